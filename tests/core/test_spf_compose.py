"""The SPF composer: one record with CIMcloud's include, duplicates gone, all last, every change explained."""

from __future__ import annotations

from urllib.parse import urlparse

from wizard.core.spf.compose import CIMCLOUD_INCLUDE, compose, included
from wizard.core.spf.record import Kind, Qualifier, parse
from wizard.resources import load_services


def test_from_nothing_the_record_is_cimclouds_example() -> None:
    result = compose()
    assert result.record == "v=spf1 include:_spf.mycimcloud.com ~all"
    assert any("CIMcloud" in c for c in result.changes)


def test_existing_terms_keep_their_order_and_new_ones_follow() -> None:
    result = compose(
        ["v=spf1 ip4:192.0.2.1 include:_spf.google.com -all"], services=["sendgrid.net", "_spf.google.com"]
    )
    assert (
        result.record
        == "v=spf1 ip4:192.0.2.1 include:_spf.google.com include:_spf.mycimcloud.com include:sendgrid.net -all"
    )
    assert not any("_spf.google.com" in c for c in result.changes)


def test_all_stays_last_with_the_chosen_qualifier() -> None:
    result = compose(["v=spf1 -all"], services=["_spf.google.com"], all_qualifier=Qualifier.SOFTFAIL)
    record = parse(result.record)
    assert record.mechanisms[-1].kind is Kind.ALL and record.mechanisms[-1].qualifier is Qualifier.SOFTFAIL
    assert 'Changed "-all" to ~all as you chose.' in result.changes


def test_plus_all_is_replaced_and_explained() -> None:
    result = compose(["v=spf1 include:_spf.mycimcloud.com +all"])
    assert result.record == "v=spf1 include:_spf.mycimcloud.com ~all"
    assert any(c.startswith('Changed "+all" to ~all') for c in result.changes)


def test_several_records_are_merged_without_duplicates() -> None:
    result = compose(["v=spf1 mx include:_spf.google.com ~all", "v=spf1 include:_spf.google.com a ~all", "other=txt"])
    assert result.record == "v=spf1 include:_spf.google.com a mx include:_spf.mycimcloud.com ~all"  # sorted merge
    assert result.changes[0].startswith("Your domain has 2 SPF records")
    assert any("repeats" in c for c in result.changes)


def test_a_redirect_keeps_deciding_when_no_all_is_chosen() -> None:
    result = compose(["v=spf1 redirect=_spf.example.net"])
    assert result.record == "v=spf1 include:_spf.mycimcloud.com redirect=_spf.example.net"
    assert any("still decides" in c for c in result.changes)


def test_a_redirect_becomes_an_include_when_an_all_is_chosen() -> None:
    result = compose(["v=spf1 mx redirect=_spf.example.net"], all_qualifier=Qualifier.FAIL)
    assert result.record == "v=spf1 mx include:_spf.mycimcloud.com include:_spf.example.net -all"
    assert any("Turned" in c and "include:_spf.example.net" in c for c in result.changes)


def test_a_soft_cimcloud_include_is_made_pass() -> None:
    result = compose(["v=spf1 ~include:_spf.mycimcloud.com -all"])
    assert result.record == "v=spf1 include:_spf.mycimcloud.com -all"


def test_bad_live_and_custom_terms_are_reported_not_kept() -> None:
    result = compose(["v=spf1 ip4:1.2.3 a ~all"], custom=["ip4:192.0.2.9", "nonsense", "+all"])
    assert result.record == "v=spf1 a include:_spf.mycimcloud.com ip4:192.0.2.9 ~all"
    assert [e.term for e in result.errors] == ["ip4:1.2.3", "nonsense"]
    assert any('Ignored "+all"' in c for c in result.changes)


def test_presets_name_the_includes_and_link_vendor_docs() -> None:
    services = {s.id: s for s in load_services()}
    assert services["cimcloud"].include == CIMCLOUD_INCLUDE and services["cimcloud"].fixed
    assert services["google-workspace"].include == "_spf.google.com"
    assert services["microsoft-365"].include == "spf.protection.outlook.com"
    assert len(services) >= 13
    assert services["hubspot"].include is None and "differs per account" in services["hubspot"].include_hint
    for service in services.values():
        assert urlparse(service.docs).scheme == "https", service.id
        if service.include is not None:
            parse(f"v=spf1 include:{service.include}")


def test_several_live_records_give_the_same_record_whatever_order_dns_returns_them_in() -> None:
    first, second = "v=spf1 include:_spf.google.com ~all", "v=spf1 include:_spf.mycimcloud.com -all"
    assert compose([first, second]).record == compose([second, first]).record


def test_included_finds_the_presets_todays_record_already_has() -> None:
    live = ["google-site-verification=abc", "v=spf1 include:_SPF.Google.com. ip4:192.0.2.1 ~all"]
    assert included(live, ["_spf.google.com", "spf.protection.outlook.com"]) == ["_spf.google.com"]
    assert included([], ["_spf.google.com"]) == []


def test_drop_takes_an_unticked_include_out_but_never_cimclouds() -> None:
    live = ["v=spf1 include:_spf.google.com include:_spf.mycimcloud.com ~all"]
    result = compose(live, drop=["_spf.google.com", "_spf.mycimcloud.com"])
    assert result.record == "v=spf1 include:_spf.mycimcloud.com ~all"
    assert any("Removed include:_spf.google.com" in c for c in result.changes)
