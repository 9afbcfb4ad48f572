"""The rules of the mta_sts and tls_rpt checks: the one record at `_mta-sts` and `_smtp._tls`, the fetched
policy file (reachability, media type, syntax) and whether it covers every MX host. Pure: it reads what the
lookup layer returned."""

from __future__ import annotations

from wizard.core.answers import Answer
from wizard.core.fetched import FetchOutcome, FetchResult
from wizard.core.findings import Finding, error, info, warning
from wizard.core.mta_sts.policy import StsPolicy, decode_policy, parse_policy, policy_findings
from wizard.core.mta_sts.record import is_sts_record, parse_sts_record, policy_host
from wizard.core.mta_sts.tls_rpt import TlsRptRecord, is_tlsrpt_record, parse_tlsrpt
from wizard.core.published import RecordKind, pick_record

STS_RECORD = RecordKind("mta-sts", "MTA-STS", is_sts_record, parse_sts_record, near="sts")
TLSRPT_RECORD = RecordKind("tls-rpt", "TLS-RPT", is_tlsrpt_record, parse_tlsrpt, near="tlsrpt")

_FIXES = {
    FetchOutcome.DNS_FAILED: "Create the host {host} (an A or CNAME record pointing at your MTA-STS host).",
    FetchOutcome.CONNECT_FAILED: "Make {host} answer HTTPS on port 443.",
    FetchOutcome.TLS_FAILED: "Make {host} answer HTTPS on port 443 with a working TLS set-up.",
    FetchOutcome.CERT_INVALID: "Install a valid, unexpired certificate for {host} from a public certificate authority.",
    FetchOutcome.TIMEOUT: "Make {host} answer promptly; senders give up on slow policy hosts.",
    FetchOutcome.REDIRECT: "Serve the policy directly at {url}: senders never follow redirects.",
    FetchOutcome.HTTP_ERROR: "Publish the policy file at {url}.",
    FetchOutcome.TOO_LARGE: "Serve only the policy file (a few lines) at {url}.",
    FetchOutcome.BAD_RESPONSE: "Serve the policy file at {url} from an ordinary HTTPS web server.",
}


def record_findings(domain: str, answer: Answer) -> tuple[list[Finding], str | None]:
    """Findings about `_mta-sts.<domain>`, and the one STS record's text when there is exactly one."""
    findings, record = pick_record(f"_mta-sts.{domain}", answer, STS_RECORD)
    if findings or record is not None:
        return findings, record.text if record else None
    message = f"{domain} publishes no MTA-STS policy (optional: it makes senders require TLS to your mail servers)."
    return [
        info("mta-sts.missing", message, "Use the wizard's MTA-STS step to publish one, starting in testing.")
    ], None


def fetched_findings(
    domain: str, fetched: FetchResult, mx: Answer, hosts: list[str]
) -> tuple[list[Finding], StsPolicy | None]:
    """Findings about the fetched policy file: reachability, media type, text, syntax and MX coverage."""
    host = policy_host(domain)
    if not fetched.ok:
        fix = _FIXES.get(fetched.outcome, "").format(host=host, url=fetched.url)
        message = f"The MTA-STS policy at {fetched.url} cannot be fetched: {fetched.detail}."
        return [error("mta-sts.policy-unreachable", message, fix)], None
    findings: list[Finding] = []
    media_type = fetched.content_type.split(";", 1)[0].strip().lower()
    if media_type != "text/plain":
        findings.append(
            error(
                "mta-sts.policy-syntax",
                f"The policy is served as {fetched.content_type or 'no Content-Type'!r}; senders require text/plain.",
                f"Serve {fetched.url} with Content-Type: text/plain.",
            )
        )
    text, problem = decode_policy(fetched.body)
    if text is None:
        return [*findings, *([problem] if problem else [])], None
    policy = parse_policy(text)
    if mx.outcome.is_failure:
        findings.append(warning("mta-sts.lookup-failed", f"The MX lookup for {domain} failed ({mx.outcome}).", ""))
    return findings + policy_findings(policy, hosts), policy


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
