"""The dns check's rules: the domain exists, its authoritative servers answer and agree, and the resolver is not
serving an older answer. Pure: it reads the views the lookup layer took."""

from __future__ import annotations

from wizard.core.answers import Answer, AuthoritativeView, NameViews, Outcome
from wizard.core.findings import Finding, error, warning
from wizard.core.network import direct_blocked
from wizard.core.timefmt import about


def dns_findings(domain: str, views: NameViews, soa: AuthoritativeView) -> list[Finding]:
    """The rules of the dns check, over what the resolver and the authoritative servers said."""
    auth = views.authoritative
    resolver = views.resolver
    if resolver.outcome is Outcome.NXDOMAIN or (
        auth.servers and all(a.outcome is Outcome.NXDOMAIN for a in auth.servers)
    ):
        return [
            error(
                "dns.no-such-domain",
                f"{domain} does not exist in DNS.",
                "Check the spelling, and that the domain is registered and delegated to your DNS provider.",
            )
        ]
    findings = _failure_findings(resolver, auth, blocked=views.direct_blocked)
    if views.direct_blocked:
        findings.insert(0, direct_blocked(resolver.server))
    answered = [a for a in auth.servers if not a.outcome.is_failure]
    if len({_record_set(a) for a in answered}) > 1:
        findings.append(_disagree(domain, answered, soa))
    stale = _stale_resolver(domain, resolver, answered, soa)
    if stale:
        findings.append(stale)
    return findings


def _failure_findings(resolver: Answer, auth: AuthoritativeView, *, blocked: bool = False) -> list[Finding]:
    """One finding per server that failed; when the network blocks direct DNS, the servers' silence is not theirs."""
    findings: list[Finding] = []
    failed = [resolver] if resolver.outcome.is_failure else []
    if auth.outcome is not Outcome.OK:
        findings.append(_failure(auth.outcome, "the domain's authoritative servers", auth.detail))
    failed += [a for a in auth.servers if a.outcome.is_failure and not blocked]  # blocked: all timed out
    for answer in failed:
        findings.append(_failure(answer.outcome, answer.server, answer.detail))
    return findings


def _failure(outcome: Outcome, who: str, detail: str) -> Finding:
    if outcome is Outcome.TIMEOUT:
        return error(
            "dns.timeout",
            f"No answer in time from {who} ({detail}).",
            "Check that the server is up and that your network allows DNS to it (UDP and TCP port 53).",
        )
    if outcome in (Outcome.SERVFAIL, Outcome.REFUSED):
        return error(
            "dns.server-failure",
            f"Server failure from {who}: it answered {str(outcome).upper()} ({detail}).",
            "Ask your DNS provider to check the zone: it may have failed to load, or the server is not "
            "configured for this domain.",
        )
    return error(
        "dns.server-error",
        f"Could not use {who}: {detail or outcome}.",
        "Check the name server entries for this domain at your registrar and DNS provider.",
    )


def _record_set(answer: Answer) -> frozenset[str]:
    return frozenset(answer.values)


def serials_of(soa: AuthoritativeView) -> dict[str, int]:
    serials = {}
    for answer in soa.servers:
        if answer.ok and answer.values:
            fields = answer.values[0].split()
            if len(fields) >= 3 and fields[2].isdigit():
                serials[answer.server] = int(fields[2])
    return serials


def _newest(answered: list[Answer], soa: AuthoritativeView) -> Answer | None:
    """The answer of the server with the highest SOA serial: the one that has the newest data."""
    if not answered:
        return None
    serials = serials_of(soa)
    return max(answered, key=lambda a: serials.get(a.server, -1))


def _describe(answer: Answer) -> str:
    if answer.outcome is not Outcome.OK:
        return "no TXT records"
    return "; ".join(f'"{v}"' for v in sorted(answer.values))


def _disagree(domain: str, answered: list[Answer], soa: AuthoritativeView) -> Finding:
    serials = serials_of(soa)
    groups: dict[frozenset[str], list[Answer]] = {}
    for answer in answered:
        groups.setdefault(_record_set(answer), []).append(answer)
    parts = []
    for members in groups.values():
        names = ", ".join(a.server + (f" (serial {serials[a.server]})" if a.server in serials else "") for a in members)
        parts.append(f"{names}: {_describe(members[0])}")
    return warning(
        "dns.servers-disagree",
        f"The authoritative servers of {domain} give different TXT records. " + " | ".join(parts),
        "A change is still being copied between your DNS provider's servers; wait a few minutes and check "
        "again. If it lasts, ask the provider why a server is not updated.",
    )


def _stale_resolver(domain: str, resolver: Answer, answered: list[Answer], soa: AuthoritativeView) -> Finding | None:
    newest = _newest(answered, soa)
    if newest is None or resolver.outcome.is_failure or _record_set(resolver) == _record_set(newest):
        return None
    if resolver.outcome is not newest.outcome and Outcome.OK not in (resolver.outcome, newest.outcome):
        return None
    remaining = resolver.expires_in()
    when = f"in {about(remaining)}" if remaining is not None else "when its cache time runs out"
    return warning(
        "dns.resolver-stale",
        f"The {resolver.server} still serves an older answer for {domain} ({_describe(resolver)}); "
        f"the authoritative servers now say {_describe(newest)}. The cached answer expires {when}.",
        "Nothing to fix: wait for the cache to expire. Checks against the authoritative servers already see "
        "the change.",
    )
