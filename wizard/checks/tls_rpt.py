"""The `tls_rpt` check: the `_smtp._tls` TXT record that tells senders where to report TLS failures (RFC 8460)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.checks import CheckContext, Result, register
from wizard.checks.mta_sts import MtaStsResult
from wizard.core.mta_sts.rules import tlsrpt_findings
from wizard.core.mta_sts.tls_rpt import TlsRptRecord
from wizard.core.together import both

CHECK = "tls_rpt"


@dataclass(frozen=True)
class TlsRptResult(Result):
    """The one TLS-RPT record that applies, when there is one."""

    record: TlsRptRecord | None = None


async def check_tls_rpt(ctx: CheckContext) -> TlsRptResult:
    answer, mta_sts = await both(ctx.lookup.resolve(f"_smtp._tls.{ctx.domain}", "TXT"), ctx.result("mta_sts"))
    sts_published = isinstance(mta_sts, MtaStsResult) and bool(mta_sts.record)
    findings, record = tlsrpt_findings(ctx.domain, answer, sts_published)
    return TlsRptResult(tuple(findings), record)


def to_json(result: TlsRptResult) -> dict[str, Any]:
    record = result.record
    return {"record": record.text if record else None, "rua": [u.uri for u in record.rua] if record else []}


def human_lines(result: TlsRptResult) -> list[str]:
    return [f"record: {result.record.text}"] if result.record else []


register(CHECK, to_json=to_json, human=human_lines)(check_tls_rpt)
