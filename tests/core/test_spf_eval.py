"""check_host() beyond the conformance suite: DNS failures, the time limit, the trace, lookup counting."""

from __future__ import annotations

import asyncio

from wizard.core.answers import Answer, Outcome
from wizard.core.spf.evaluate import MAX_LOOKUPS, SpfResult, check_host
from wizard.lookup.memory import MemorySource


def zone_with(record: str) -> MemorySource:
    zone = MemorySource()
    zone.add("example.com", "TXT", record)
    return zone


class Failing:
    """A Source whose every answer is one failure outcome."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome

    async def resolve(self, name: str, rdtype: str) -> Answer:
        return Answer(name, rdtype, self.outcome)


class Silent:
    """A Source that never answers (a dead server with no timeout of its own)."""

    async def resolve(self, name: str, rdtype: str) -> Answer:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def test_every_failure_outcome_is_temperror() -> None:
    for outcome in (Outcome.TIMEOUT, Outcome.SERVFAIL, Outcome.REFUSED, Outcome.UNREACHABLE, Outcome.ERROR):
        evaluation = asyncio.run(check_host(Failing(outcome), "192.0.2.1", "example.com"))
        assert evaluation.result is SpfResult.TEMPERROR, outcome
        assert str(outcome) in evaluation.reason


def test_a_source_that_never_answers_ends_in_temperror_at_the_time_limit() -> None:
    evaluation = asyncio.run(check_host(Silent(), "192.0.2.1", "example.com", time_limit=0.05))
    assert evaluation.result is SpfResult.TEMPERROR
    assert "longer than" in evaluation.reason


def test_the_trace_follows_includes_with_depth() -> None:
    zone = zone_with("v=spf1 include:_spf.example.net -all")
    zone.add("_spf.example.net", "TXT", "v=spf1 ip4:192.0.2.0/24 -all")
    evaluation = asyncio.run(check_host(zone, "192.0.2.7", "example.com", "a@example.com"))
    assert evaluation.result is SpfResult.PASS
    steps = [(s.depth, s.domain, s.term, s.outcome) for s in evaluation.trace]
    assert (1, "_spf.example.net", "ip4:192.0.2.0/24", "match: pass") in steps
    assert steps[-1] == (0, "example.com", "include:_spf.example.net", "match: pass")
    assert evaluation.lookups == 1


def test_without_a_trace_the_evaluation_and_its_counts_are_the_same() -> None:
    zone = zone_with("v=spf1 mx include:_spf.example.net exists:%{i}.ok.example.com -all exp=why.example.com")
    zone.add("example.com", "MX", "10 mx.example.com.")
    zone.add("mx.example.com", "A", "203.0.113.9")
    zone.add("_spf.example.net", "TXT", "v=spf1 ip4:192.0.2.0/24 -all")
    zone.add("198.51.100.4.ok.example.com", "A", "127.0.0.2")
    zone.add("why.example.com", "TXT", "%{i} is not one of %{d}'s senders")
    for ip in ("192.0.2.7", "198.51.100.4", "203.0.113.9", "203.0.113.10"):
        traced = asyncio.run(check_host(zone, ip, "example.com"))
        untraced = asyncio.run(check_host(zone, ip, "example.com", trace=False))
        assert traced.trace and not untraced.trace
        assert (traced.result, traced.reason, traced.explanation, traced.lookups, traced.void_lookups) == (
            untraced.result,
            untraced.reason,
            untraced.explanation,
            untraced.lookups,
            untraced.void_lookups,
        ), ip
    assert untraced.result is SpfResult.FAIL
    assert untraced.explanation == "203.0.113.10 is not one of example.com's senders"


def test_a_and_a_cidr_each_count_against_the_limit() -> None:
    record = "v=spf1 " + " ".join(["a", "a/24", "a:example.com"] * 4) + " -all"
    zone = zone_with(record)
    zone.add("example.com", "A", "198.51.100.1")
    evaluation = asyncio.run(check_host(zone, "192.0.2.7", "example.com"))
    assert evaluation.result is SpfResult.PERMERROR
    assert evaluation.lookups == MAX_LOOKUPS + 1


def test_fail_carries_the_expanded_exp_text() -> None:
    zone = zone_with("v=spf1 -all exp=why.example.com")
    zone.add("why.example.com", "TXT", "%{i} may not send for %{d}; see https://example.com/spf?s=%{L}")
    evaluation = asyncio.run(check_host(zone, "192.0.2.7", "example.com", "Jo Doe@example.com"))
    assert evaluation.result is SpfResult.FAIL
    assert evaluation.explanation == "192.0.2.7 may not send for example.com; see https://example.com/spf?s=Jo%20Doe"


def test_a_hostile_macro_name_is_truncated_not_fatal() -> None:
    zone = zone_with("v=spf1 exists:%{s}.%{s}.%{s}.%{s}.%{s}.%{s}.example.com -all")
    sender = "x" * 30 + "@" + "y" * 20 + ".example.com"
    evaluation = asyncio.run(check_host(zone, "192.0.2.7", "example.com", sender))
    assert evaluation.result is SpfResult.FAIL
    queried = [name for name, rdtype in zone.queries if rdtype == "A"]
    assert len(queried) == 1 and len(queried[0]) <= 253
