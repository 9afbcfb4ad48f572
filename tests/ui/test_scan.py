"""The Domains page's quick scan (wizard/ui/scan.py): an SPF record counts only when it authorizes CIMcloud."""

from __future__ import annotations

import asyncio

from wizard.checks import CheckOptions
from wizard.lookup.memory import MemorySource

from wizard.ui.scan import DomainScan, scan_domain


def vendors() -> MemorySource:
    """CIMcloud's and Google's includes as the lab's stand-ins publish them (documentation ranges)."""
    source = MemorySource()
    source.add("_spf.mycimcloud.com", "TXT", "v=spf1 ip4:198.51.100.0/24 ~all")
    source.add("_spf.google.com", "TXT", "v=spf1 ip4:192.0.2.0/27 ~all")
    return source


def scan(source: MemorySource, domain: str) -> DomainScan:
    return asyncio.run(scan_domain(source, domain))


def test_spf_without_cimcloud_is_a_warning_not_a_tick() -> None:
    source = vendors()
    source.add("wiz-mail.test", "TXT", "v=spf1 include:_spf.google.com ~all")
    spf = scan(source, "wiz-mail.test").spf
    assert spf.text == "SPF exists, CIMcloud not included yet: v=spf1 include:_spf.google.com ~all"
    assert spf.found and spf.attention and not spf.failed
    assert "does not list CIMcloud's servers (include:_spf.mycimcloud.com)" in spf.detail
    assert "pass-qualified" not in spf.detail


def test_spf_listing_cimcloud_without_letting_it_pass_is_a_warning() -> None:
    source = vendors()
    for record in (
        "v=spf1 ~include:_spf.mycimcloud.com ~all",
        "v=spf1 -ip4:198.51.100.0/24 include:_spf.mycimcloud.com ~all",
    ):
        source.add("wiz-mail.test", "TXT", record)
        spf = scan(source, "wiz-mail.test").spf
        assert spf.text == f"SPF exists, CIMcloud listed but not authorized: {record}"
        assert spf.attention and spf.detail
        source = vendors()


def test_spf_that_authorizes_cimcloud_is_a_tick_with_the_reason() -> None:
    source = vendors()
    source.add("shop.test", "TXT", "v=spf1 include:_spf.mycimcloud.com include:_spf.google.com ~all")
    spf = scan(source, "shop.test").spf
    assert spf.text == "CIMcloud authorized: v=spf1 include:_spf.mycimcloud.com include:_spf.google.com ~all"
    assert spf.found and not spf.attention and not spf.failed
    assert "lists CIMcloud's servers (include:_spf.mycimcloud.com)" in spf.detail


def test_missing_multiple_and_unanswered_spf() -> None:
    source = vendors()
    source.add_name("none.test")
    source.add("two.test", "TXT", "v=spf1 include:_spf.mycimcloud.com ~all")
    source.add("two.test", "TXT", "v=spf1 -all")
    source.add_timeout("silent.test", "TXT")
    assert scan(source, "none.test").spf.text == "no SPF record"
    two = scan(source, "two.test").spf
    assert two.text.startswith("2 SPF records (there should be one)") and two.attention
    silent = scan(source, "silent.test").spf
    assert silent.failed and silent.text.startswith("could not check")


def test_the_scan_keeps_every_option_it_is_given_with_a_dkim_name_too() -> None:
    """The scan judges with the options `check` would get: the expected include is not reset to CIMcloud's."""
    source = vendors()
    source.add("shop.test", "TXT", "v=spf1 include:_spf.google.com ~all")
    options = CheckOptions(expect_include="_spf.google.com")
    scanned = asyncio.run(scan_domain(source, "shop.test", "cimcloud-a._domainkey.shop.test", options))  # type: ignore[arg-type]
    assert scanned.spf.text.startswith("CIMcloud authorized") and not scanned.spf.attention
