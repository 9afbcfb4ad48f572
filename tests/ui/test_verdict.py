"""What a live check means, server by server: matchers, the verdict, the back-off schedule (no Qt, no DNS)."""

from __future__ import annotations

from wizard.core.answers import Answer, Outcome, TxtRecord
from wizard.lookup.lookup import AuthoritativeView, NameViews
from wizard.store import CheckState

from wizard.ui.verdict import BACKOFF_CAP, Role, ServerState, backoff, judge, record_matcher

SPF = "v=spf1 include:_spf.mycimcloud.com ~all"
OLD = "v=spf1 include:_spf.google.com ~all"
spf_match = record_matcher(SPF, "v=spf1", tag_list=False)


def txt(server: str, *values: str, ttl: int = 300, outcome: Outcome = Outcome.OK) -> Answer:
    records = tuple(TxtRecord((v.encode(),)) for v in values)
    if outcome is Outcome.OK and not values:
        outcome = Outcome.NODATA
    return Answer("wiz.test", "TXT", outcome, tuple(values), records, ttl, server)


def views(auth: list[Answer], resolver: Answer, public: tuple[Answer, ...] = ()) -> NameViews:
    return NameViews(resolver, AuthoritativeView("wiz.test", "TXT", "wiz.test", Outcome.OK, tuple(auth)), public)


def test_matcher_tells_found_old_and_missing_apart() -> None:
    assert spf_match(["google-site-verification=x", "v=spf1  include:_spf.mycimcloud.com   ~all"]) is ServerState.FOUND
    assert spf_match(["V=SPF1 INCLUDE:_spf.mycimcloud.com ~ALL"]) is ServerState.FOUND
    assert spf_match([OLD, "google-site-verification=x"]) is ServerState.OLD
    assert spf_match(["google-site-verification=x"]) is ServerState.MISSING
    assert spf_match(["v=spf10 nonsense"]) is ServerState.MISSING


def test_tag_list_matcher_ignores_spacing_around_separators() -> None:
    match = record_matcher("v=DMARC1; p=none; rua=mailto:d@wiz.test", "v=DMARC1", tag_list=True)
    assert match(["v=DMARC1;p=none ;rua = mailto:d@wiz.test;"]) is ServerState.FOUND
    assert match(["v=DMARC1; p=reject; rua=mailto:d@wiz.test"]) is ServerState.OLD


def test_verified_when_every_server_serves_the_record() -> None:
    verdict = judge(views([txt("ns1", SPF), txt("ns2", SPF)], txt("resolver", SPF)), spf_match)
    assert verdict.state is CheckState.VERIFIED
    assert [r.state for r in verdict.rows] == [ServerState.FOUND] * 3


def test_a_stale_authoritative_server_means_waiting() -> None:
    verdict = judge(views([txt("ns1", SPF), txt("ns2", OLD)], txt("resolver", OLD, ttl=125)), spf_match)
    assert verdict.state is CheckState.WAITING
    assert "1 of 2" in verdict.headline
    assert verdict.cache_minutes == 3
    assert "about 3 minutes" in verdict.summary


def test_a_resolver_with_a_cached_negative_answer_means_waiting_with_its_ttl() -> None:
    verdict = judge(views([txt("ns1", SPF), txt("ns2", SPF)], txt("resolver", ttl=40)), spf_match)
    assert verdict.state is CheckState.WAITING and verdict.cache_minutes == 1
    assert [r.state for r in verdict.rows if r.role is Role.RESOLVER] == [ServerState.MISSING]


def test_a_stale_public_resolver_holds_back_verified() -> None:
    public = (txt("Google", OLD, ttl=600),)
    verdict = judge(views([txt("ns1", SPF)], txt("resolver", SPF), public), spf_match)
    assert verdict.state is CheckState.WAITING and verdict.cache_minutes == 10


def test_timeouts_and_missing_records_are_problems_with_reasons() -> None:
    timeout = txt("ns2", outcome=Outcome.TIMEOUT)
    verdict = judge(views([timeout, txt("ns1")], txt("resolver")), spf_match)
    assert verdict.state is CheckState.PROBLEM and "could not be checked" in verdict.headline
    assert ServerState.TIMEOUT in [r.state for r in verdict.rows]
    assert "Not found" in judge(views([txt("ns1")], txt("resolver")), spf_match).headline
    different = judge(views([txt("ns1", OLD)], txt("resolver", OLD)), spf_match)
    assert "different record" in different.headline
    assert different.rows[0].detail == OLD  # the old value is shown


def test_a_failed_authoritative_view_is_one_row_with_its_reason() -> None:
    failed = AuthoritativeView("wiz.test", "TXT", None, Outcome.TIMEOUT, detail="finding the name servers took long")
    verdict = judge(NameViews(txt("resolver", outcome=Outcome.TIMEOUT), failed), spf_match)
    assert verdict.state is CheckState.PROBLEM
    assert verdict.rows[0].state is ServerState.TIMEOUT and "took long" in verdict.rows[0].detail


def test_backoff_grows_and_is_capped() -> None:
    steps = [backoff(n) for n in range(8)]
    assert steps[:4] == [15, 30, 60, 120]
    assert steps == sorted(steps) and max(steps) == BACKOFF_CAP
