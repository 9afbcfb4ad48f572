"""The `mta_sts` check: the `_mta-sts` TXT record, the policy file fetched over HTTPS as a sending server would,
and whether the policy covers every MX host of the domain."""

from __future__ import annotations

import asyncio
from typing import Any

from wizard.checks import CheckContext, register
from wizard.core.answers import Answer
from wizard.core.findings import CheckResult, Finding, error, info, warning
from wizard.core.mta_sts.policy import StsPolicy, decode_policy, mx_hosts, parse_policy, policy_findings, uncovered_mx
from wizard.core.mta_sts.record import POLICY_PATH, is_sts_record, parse_sts_record, policy_host, policy_url
from wizard.core.published import RecordKind, pick_record
from wizard.lookup.https import FetchLimits, FetchOutcome, FetchResult, fetch_https

CHECK = "mta_sts"
STS_RECORD = RecordKind("mta-sts", "MTA-STS", is_sts_record, parse_sts_record, near="sts")
MAX_STAGE_SECONDS = 5.0

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


@register(CHECK)
async def check_mta_sts(ctx: CheckContext) -> CheckResult:
    txt, mx = await asyncio.gather(
        ctx.lookup.resolve(f"_mta-sts.{ctx.domain}", "TXT"), ctx.lookup.resolve(ctx.domain, "MX")
    )
    findings, record_text = record_findings(ctx.domain, txt)
    details: dict[str, Any] = {"record": record_text, "policy_url": policy_url(ctx.domain)}
    if record_text is None:
        return CheckResult(CHECK, findings, details)
    settings = ctx.lookup.settings
    stage = min(MAX_STAGE_SECONDS, settings.timeout / 2)  # so a stalled handshake is named as such
    limits = FetchLimits(connect=stage, handshake=stage, total=settings.timeout)
    fetched = await fetch_https(ctx.lookup, policy_host(ctx.domain), POLICY_PATH, settings.https_port, limits)
    hosts = mx_hosts(mx.values) if mx.ok else []
    more, policy = fetched_findings(ctx.domain, fetched, mx, hosts)
    details.update(_policy_details(fetched, policy, hosts))
    return CheckResult(CHECK, findings + more, details)


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


def _policy_details(fetched: FetchResult, policy: StsPolicy | None, hosts: list[str]) -> dict[str, Any]:
    details: dict[str, Any] = {
        "fetch": {"outcome": str(fetched.outcome), "status": fetched.status, "content_type": fetched.content_type},
        "mx_hosts": hosts,
    }
    if policy is not None:
        details.update(
            mode=str(policy.mode) if policy.mode else None,
            max_age=policy.max_age,
            mx_patterns=list(policy.mx),
            uncovered_mx=uncovered_mx(policy.mx, hosts),
        )
    return details


def human_lines(result: CheckResult) -> list[str]:
    """The TXT record and what the policy says, for the human output."""
    details = result.details
    if not details.get("record"):
        return []
    lines = [f"record: {details['record']}", f"policy: {details['policy_url']}"]
    if details.get("mode"):
        lines.append(f"mode {details['mode']}, max_age {details['max_age']}, mx {', '.join(details['mx_patterns'])}")
    return lines
