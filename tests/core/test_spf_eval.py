"""check_host() beyond the conformance suite: DNS failures, the time limit, the trace, lookup counting."""

from __future__ import annotations

import asyncio

from wizard.core.answers import Answer, Outcome
from wizard.core.spf.evaluate import MAX_LOOKUPS, SpfResult, check_host, check_hosts, question_key
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


def _mixed_zone() -> MemorySource:
    """Terms that give different clients different results, lookup counts and void lookups."""
    zone = zone_with("v=spf1 a:none.example.com mx include:_spf.example.net exists:%{i}.ok.example.com ~all")
    zone.add("example.com", "MX", "10 mx.example.com.")
    zone.add("mx.example.com", "A", "203.0.113.9")
    zone.add("mx.example.com", "AAAA", "2001:db8::9")
    zone.add("_spf.example.net", "TXT", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:1::/48 -all")
    zone.add("198.51.100.4.ok.example.com", "A", "127.0.0.2")
    return zone


MIXED_CLIENTS = ("192.0.2.7", "2001:db8:1::7", "203.0.113.9", "2001:db8::9", "198.51.100.4", "198.51.100.5")


def test_side_by_side_evaluations_give_each_address_what_it_gets_alone() -> None:
    together = asyncio.run(check_hosts(_mixed_zone(), MIXED_CLIENTS, "example.com", "a@example.com"))
    alone = [asyncio.run(check_host(_mixed_zone(), ip, "example.com", "a@example.com")) for ip in MIXED_CLIENTS]
    assert together == alone
    assert [(e.result, e.lookups, e.void_lookups) for e in together] == [
        (SpfResult.PASS, 3, 1),  # the include's ip4
        (SpfResult.PASS, 3, 1),  # its ip6
        (SpfResult.PASS, 2, 1),  # mx, by its A
        (SpfResult.PASS, 2, 1),  # mx, by its AAAA
        (SpfResult.PASS, 4, 1),  # exists
        (SpfResult.SOFTFAIL, 4, 2),  # the include's -all does not match, exists finds nothing, then ~all
    ]


def test_side_by_side_evaluations_ask_each_question_once() -> None:
    zone = _mixed_zone()
    asyncio.run(check_hosts(zone, MIXED_CLIENTS, "example.com", "a@example.com"))
    assert len(zone.queries) == len(set(zone.queries))
    assert ("example.com", "TXT") in zone.queries and ("mx.example.com", "AAAA") in zone.queries


def test_answers_in_hand_are_used_without_asking_again() -> None:
    zone = _mixed_zone()
    first = asyncio.run(check_host(zone, "198.51.100.4", "example.com", "a@example.com"))
    questions = list(zone.queries)
    answers = {question_key(name, rdtype): asyncio.run(zone.resolve(name, rdtype)) for name, rdtype in questions}
    asked = len(zone.queries)
    again = asyncio.run(check_hosts(zone, ("198.51.100.4",), "example.com", "a@example.com", answers=answers))
    assert again == [first] and len(zone.queries) == asked


def test_side_by_side_evaluations_that_never_get_an_answer_all_end_in_temperror() -> None:
    evaluations = asyncio.run(check_hosts(Silent(), ("192.0.2.1", "2001:db8::1"), "example.com", time_limit=0.05))
    assert [e.result for e in evaluations] == [SpfResult.TEMPERROR, SpfResult.TEMPERROR]
    assert all("longer than" in e.reason for e in evaluations)
