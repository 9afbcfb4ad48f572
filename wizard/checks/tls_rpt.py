"""The `tls_rpt` check: the `_smtp._tls` TXT record that tells senders where to report TLS failures (RFC 8460)."""

from __future__ import annotations

import asyncio

from wizard.checks import CheckContext, CheckOutput, register
from wizard.core.answers import Answer
from wizard.core.findings import CheckResult, Finding, error, info, warning
from wizard.core.tls_rpt import is_tlsrpt_record, parse_tlsrpt

CHECK = "tls_rpt"


@register(CHECK)
async def check_tls_rpt(ctx: CheckContext) -> CheckResult:
    answer, mta_sts = await asyncio.gather(ctx.lookup.resolve(f"_smtp._tls.{ctx.domain}", "TXT"), ctx.result("mta_sts"))
    findings = tlsrpt_findings(ctx.domain, answer, _sts_published(mta_sts))
    records = [t for t in answer.texts if is_tlsrpt_record(t)]
    record = parse_tlsrpt(records[0]) if len(records) == 1 else None
    details = {"record": record.text if record else None, "rua": [u.uri for u in record.rua] if record else []}
    return CheckResult(CHECK, findings, details)


def _sts_published(output: CheckOutput | None) -> bool:
    return isinstance(output, CheckResult) and bool(output.details.get("record"))


def tlsrpt_findings(domain: str, answer: Answer, sts_published: bool) -> list[Finding]:
    """The rules of the tls_rpt check over the `_smtp._tls.<domain>` answer."""
    name = f"_smtp._tls.{domain}"
    if answer.outcome.is_failure:
        return [error("tls-rpt.lookup-failed", f"Looking up {name} failed ({answer.outcome}).", "Check again later.")]
    records = [t for t in answer.texts if is_tlsrpt_record(t)]
    if len(records) > 1:
        return [
            error(
                "tls-rpt.multiple",
                f"{name} has {len(records)} TLS-RPT records; senders ignore them all.",
                "Keep exactly one.",
            )
        ]
    if records:
        return list(parse_tlsrpt(records[0]).problems)
    near = [t for t in answer.texts if "tlsrpt" in t.lower()]
    if near:
        return list(parse_tlsrpt(near[0]).problems)
    fix = f"Publish TXT {name} = v=TLSRPTv1; rua=mailto:tls-reports@{domain}"
    if sts_published:
        return [warning("tls-rpt.missing", f"{name} has no TLS-RPT record, though MTA-STS is published.", fix)]
    return [info("tls-rpt.missing", f"{name} has no TLS-RPT record (optional, useful with MTA-STS).", fix)]


def human_lines(result: CheckResult) -> list[str]:
    record = result.details.get("record")
    return [f"record: {record}"] if record else []
