"""The `mta_sts` check: the `_mta-sts` TXT record, the policy file fetched over HTTPS as a sending server would,
and whether the policy covers every MX host of the domain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.checks import CheckContext, Result, prepare, register
from wizard.core.fetched import FetchResult
from wizard.core.mta_sts.policy import StsPolicy, mx_hosts, uncovered_mx
from wizard.core.mta_sts.record import POLICY_PATH, policy_host, policy_url
from wizard.core.mta_sts.rules import fetched_findings, record_findings
from wizard.core.together import both

CHECK = "mta_sts"
MAX_STAGE_SECONDS = 5.0


@dataclass(frozen=True)
class MtaStsResult(Result):
    """The `_mta-sts` record (its text when exactly one applies), the policy fetch and the policy it gave."""

    domain: str = ""
    record: str | None = None
    fetched: FetchResult | None = None
    policy: StsPolicy | None = None
    mx_hosts: tuple[str, ...] = ()


async def check_mta_sts(ctx: CheckContext) -> MtaStsResult:
    txt, mx = await both(ctx.lookup.resolve(f"_mta-sts.{ctx.domain}", "TXT"), ctx.lookup.resolve(ctx.domain, "MX"))
    findings, record_text = record_findings(ctx.domain, txt)
    if record_text is None:
        return MtaStsResult(tuple(findings), ctx.domain)
    # The policy host's address is asked while the fetch's modules load; the fetch then finds the answer (the
    # domain's checks share the resolver's answers: Lookup.for_domain).
    await both(ctx.lookup.resolve(policy_host(ctx.domain), "A"), prepare.ready(prepare.HTTPS))
    from wizard.lookup.https import FetchLimits, fetch_https  # h11 and truststore: only once a policy is to be fetched

    settings = ctx.lookup.settings
    stage = min(MAX_STAGE_SECONDS, settings.timeout / 2)  # so a stalled handshake is named as such
    limits = FetchLimits(connect=stage, handshake=stage, total=settings.timeout)
    fetched = await fetch_https(ctx.lookup, policy_host(ctx.domain), POLICY_PATH, settings.https_port, limits)
    hosts = mx_hosts(mx.values) if mx.ok else []
    more, policy = fetched_findings(ctx.domain, fetched, mx, hosts)
    return MtaStsResult(tuple(findings + more), ctx.domain, record_text, fetched, policy, tuple(hosts))


def to_json(result: MtaStsResult) -> dict[str, Any]:
    data: dict[str, Any] = {"record": result.record, "policy_url": policy_url(result.domain)}
    fetched, policy = result.fetched, result.policy
    if fetched is None:
        return data
    data["fetch"] = {"outcome": str(fetched.outcome), "status": fetched.status, "content_type": fetched.content_type}
    data["mx_hosts"] = list(result.mx_hosts)
    if policy is not None:
        data.update(
            mode=str(policy.mode) if policy.mode else None,
            max_age=policy.max_age,
            mx_patterns=list(policy.mx),
            uncovered_mx=uncovered_mx(policy.mx, result.mx_hosts),
        )
    return data


def human_lines(result: MtaStsResult) -> list[str]:
    """The TXT record and what the policy says, for the human output."""
    if not result.record:
        return []
    lines = [f"record: {result.record}", f"policy: {policy_url(result.domain)}"]
    policy = result.policy
    if policy is not None and policy.mode:
        lines.append(f"mode {policy.mode}, max_age {policy.max_age}, mx {', '.join(policy.mx)}")
    return lines


register(CHECK, to_json=to_json, human=human_lines)(check_mta_sts)
