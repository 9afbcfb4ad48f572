"""The `tls_rpt` check: the `_smtp._tls` TXT record that tells senders where to report TLS failures (RFC 8460)."""

from __future__ import annotations

import asyncio

from wizard.checks import CheckContext, CheckOutput, register
from wizard.core.answers import Answer
from wizard.core.findings import CheckResult, Finding, info, warning
from wizard.core.mta_sts.tls_rpt import TlsRptRecord, is_tlsrpt_record, parse_tlsrpt
from wizard.core.published import RecordKind, pick_record

CHECK = "tls_rpt"
TLSRPT_RECORD = RecordKind("tls-rpt", "TLS-RPT", is_tlsrpt_record, parse_tlsrpt, near="tlsrpt")


@register(CHECK)
async def check_tls_rpt(ctx: CheckContext) -> CheckResult:
    answer, mta_sts = await asyncio.gather(ctx.lookup.resolve(f"_smtp._tls.{ctx.domain}", "TXT"), ctx.result("mta_sts"))
    findings, record = tlsrpt_findings(ctx.domain, answer, _sts_published(mta_sts))
    details = {"record": record.text if record else None, "rua": [u.uri for u in record.rua] if record else []}
    return CheckResult(CHECK, findings, details)


def _sts_published(output: CheckOutput | None) -> bool:
    return isinstance(output, CheckResult) and bool(output.details.get("record"))


def tlsrpt_findings(domain: str, answer: Answer, sts_published: bool) -> tuple[list[Finding], TlsRptRecord | None]:
    """The rules of the tls_rpt check over the `_smtp._tls.<domain>` answer, and the one record that applies."""
    name = f"_smtp._tls.{domain}"
    findings, record = pick_record(name, answer, TLSRPT_RECORD)
    if findings or record is not None:
        return findings, record
    fix = f"Publish TXT {name} = v=TLSRPTv1; rua=mailto:tls-reports@{domain}"
    if sts_published:
        return [warning("tls-rpt.missing", f"{name} has no TLS-RPT record, though MTA-STS is published.", fix)], None
    return [info("tls-rpt.missing", f"{name} has no TLS-RPT record (optional, useful with MTA-STS).", fix)], None


def human_lines(result: CheckResult) -> list[str]:
    record = result.details.get("record")
    return [f"record: {record}"] if record else []
