"""What a live check of one record means: server by server, and with its check's findings (no Qt, no DNS)."""

from __future__ import annotations

from collections.abc import Sequence

from wizard.checks import Result
from wizard.checks.verify import Role, ServerState, Target, Verdict, judge
from wizard.core.answers import Answer, AuthoritativeView, NameViews, Outcome, TxtRecord
from wizard.core.findings import error, warning
from wizard.core.records import CheckState, Kind, Match, match

from wizard.ui.verdict import BACKOFF_CAP, backoff

SPF = "v=spf1 include:_spf.mycimcloud.com ~all"
OLD = "v=spf1 include:_spf.google.com ~all"
TARGET = Target("wiz.test", "wiz.test", Kind.SPF, SPF)


def spf_match(texts: Sequence[str]) -> Match:
    return match(Kind.SPF, SPF, list(texts))


def verdict_of(views: NameViews, result: Result | None = None) -> Verdict:
    return judge(views, TARGET, result)


def txt(server: str, *values: str, ttl: int = 300, outcome: Outcome = Outcome.OK) -> Answer:
    records = tuple(TxtRecord((v.encode(),)) for v in values)
    if outcome is Outcome.OK and not values:
        outcome = Outcome.NODATA
    return Answer("wiz.test", "TXT", outcome, tuple(values), records, ttl, server)


def views(auth: list[Answer], resolver: Answer, public: tuple[Answer, ...] = ()) -> NameViews:
    return NameViews(resolver, AuthoritativeView("wiz.test", "TXT", "wiz.test", Outcome.OK, tuple(auth)), public)


def test_matcher_tells_found_old_and_missing_apart() -> None:
    assert spf_match(["google-site-verification=x", "v=spf1  include:_spf.mycimcloud.com   ~all"]) is Match.FOUND
    assert spf_match(["V=SPF1 INCLUDE:_spf.mycimcloud.com ~ALL"]) is Match.FOUND
    assert spf_match([OLD, "google-site-verification=x"]) is Match.OTHER
    assert spf_match(["google-site-verification=x"]) is Match.NONE
    assert spf_match(["v=spf10 nonsense"]) is Match.NONE


def test_tag_list_matcher_ignores_spacing_around_separators() -> None:
    dmarc = "v=DMARC1; p=none; rua=mailto:d@wiz.test"
    assert match(Kind.DMARC, dmarc, ["v=DMARC1;p=none ;rua = mailto:d@wiz.test;"]) is Match.FOUND
    assert match(Kind.DMARC, dmarc, ["v=DMARC1; p=reject; rua=mailto:d@wiz.test"]) is Match.OTHER


def test_recognisers_follow_each_rfcs_case_rules() -> None:
    sts = "v=STSv1; id=20240601T120000"
    assert match(Kind.MTA_STS, sts, ["V=STSV1; ID=20240601T120000"]) is Match.NONE  # RFC 8461 3.1: case-sensitive
    assert match(Kind.MTA_STS, sts, ["v=STSv1; id=20240601T120001"]) is Match.OTHER
    assert match(Kind.TLS_RPT, "v=TLSRPTv1; rua=mailto:t@wiz.test", ["v=tlsrptv1; rua=mailto:t@wiz.test"]) is Match.NONE


def test_verified_when_every_server_serves_the_record() -> None:
    verdict = verdict_of(views([txt("ns1", SPF), txt("ns2", SPF)], txt("resolver", SPF)))
    assert verdict.state is CheckState.VERIFIED
    assert [r.state for r in verdict.rows] == [ServerState.FOUND] * 3


def test_a_stale_authoritative_server_means_waiting() -> None:
    verdict = verdict_of(views([txt("ns1", SPF), txt("ns2", OLD)], txt("resolver", OLD, ttl=125)))
    assert verdict.state is CheckState.WAITING
    assert "1 of 2" in verdict.headline
    assert verdict.cache_minutes == 3
    assert "about 3 minutes" in verdict.summary


def test_a_resolver_with_a_cached_negative_answer_means_waiting_with_its_ttl() -> None:
    verdict = verdict_of(views([txt("ns1", SPF), txt("ns2", SPF)], txt("resolver", ttl=40)))
    assert verdict.state is CheckState.WAITING and verdict.cache_minutes == 1
    assert [r.state for r in verdict.rows if r.role is Role.RESOLVER] == [ServerState.MISSING]


def test_a_stale_public_resolver_holds_back_verified() -> None:
    public = (txt("Google", OLD, ttl=600),)
    verdict = verdict_of(views([txt("ns1", SPF)], txt("resolver", SPF), public))
    assert verdict.state is CheckState.WAITING and verdict.cache_minutes == 10


def test_timeouts_and_missing_records_are_problems_with_reasons() -> None:
    timeout = txt("ns2", outcome=Outcome.TIMEOUT)
    verdict = verdict_of(views([timeout, txt("ns1")], txt("resolver")))
    assert verdict.state is CheckState.PROBLEM and "could not be checked" in verdict.headline
    assert ServerState.TIMEOUT in [r.state for r in verdict.rows]
    missing = verdict_of(views([txt("ns1")], txt("resolver")))
    assert missing.state is CheckState.MISSING and "Not found" in missing.headline
    different = verdict_of(views([txt("ns1", OLD)], txt("resolver", OLD)))
    assert "different record" in different.headline
    assert different.rows[0].detail == OLD  # the old value is shown


def test_a_failed_authoritative_view_is_one_row_with_its_reason() -> None:
    failed = AuthoritativeView("wiz.test", "TXT", None, Outcome.TIMEOUT, detail="finding the name servers took long")
    verdict = verdict_of(NameViews(txt("resolver", outcome=Outcome.TIMEOUT), failed))
    assert verdict.state is CheckState.PROBLEM
    assert verdict.rows[0].state is ServerState.TIMEOUT and "took long" in verdict.rows[0].detail


def test_backoff_grows_and_is_capped() -> None:
    steps = [backoff(n) for n in range(8)]
    assert steps[:4] == [15, 30, 60, 120]
    assert steps == sorted(steps) and max(steps) == BACKOFF_CAP


def test_an_error_finding_of_the_records_check_is_a_problem_even_when_every_server_serves_it() -> None:
    served = views([txt("ns1", SPF, OLD), txt("ns2", SPF, OLD)], txt("resolver", SPF, OLD))
    two = Result((error("spf.multiple", "wiz.test has 2 SPF records; receivers treat that as an error.", "Merge."),))
    verdict = verdict_of(served, two)
    assert verdict.state is CheckState.PROBLEM
    assert verdict.problem is not None and verdict.problem.code == "spf.multiple"
    assert "2 SPF records" in verdict.headline and "Verified" not in verdict.summary


def test_a_warning_of_the_records_check_does_not_hold_back_verified() -> None:
    served = views([txt("ns1", SPF)], txt("resolver", SPF))
    verdict = verdict_of(served, Result((warning("spf.lookups-near-limit", "9 of 10"),)))
    assert verdict.state is CheckState.VERIFIED and verdict.problem is None
