"""DKIM verification offline: comparing records precisely, and judging what the views of the name say."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from tests.core.test_dkim import data_key
from wizard.core.answers import Answer, Outcome
from wizard.core.dkim.verify import DkimStatus, DkimVerification, compare, misplaced_names, verify
from wizard.lookup.memory import MemorySource

KEY = data_key("rsa2048-a")
OTHER = data_key("rsa2048-b")
RECORD = f"v=DKIM1; k=rsa; p={KEY}"
SEL = "cimcloud-aaa"
NAME = f"{SEL}._domainkey.example.com"


@dataclass(frozen=True)
class FakeAuthority:
    name: str
    outcome: Outcome
    servers: tuple[Answer, ...]
    detail: str = ""

    @property
    def final(self) -> FakeAuthority:
        return self


@dataclass(frozen=True)
class FakeViews:
    resolver: Answer
    authoritative: FakeAuthority


class MemoryViews:
    """The views of a MemorySource: two authoritative servers and the resolver all give its answer."""

    def __init__(self, source: MemorySource, lagging: MemorySource | None = None) -> None:
        self.source = source
        self.lagging = lagging or source

    async def views(self, name: str, rdtype: str) -> FakeViews:
        answer = await self.source.resolve(name, rdtype)
        second = await self.lagging.resolve(name, rdtype)
        servers = (replace(answer, server="ns1"), replace(second, server="ns2"))
        return FakeViews(replace(answer, server="resolver"), FakeAuthority(name, Outcome.OK, servers))


def run(source: MemorySource, expected: str | None = RECORD, lagging: MemorySource | None = None) -> DkimVerification:
    return asyncio.run(verify(MemoryViews(source, lagging), "example.com", SEL, expected))


def zone(records: dict[str, str | tuple[bytes, ...]] | None = None) -> MemorySource:
    source = MemorySource()
    source.add_name("example.com")
    for name, value in (records or {}).items():
        source.add(name, "TXT", value)
    return source


def codes(result: DkimVerification) -> list[str]:
    return [f.code for f in result.findings]


def message(result: DkimVerification, code: str) -> str:
    return next(f.message for f in result.findings if f.code == code)


def test_compare_says_a_truncated_key_is_missing_its_end() -> None:
    difference = compare(RECORD, f"v=DKIM1; k=rsa; p={KEY[:-30]}")
    assert difference is not None
    assert difference.truncated
    assert difference.position == len(KEY) - 29
    assert f"the last 30 (…{KEY[-10:]}) are missing" in difference.message


def test_compare_finds_the_differing_character() -> None:
    flipped = KEY[:100] + ("A" if KEY[100] != "A" else "B") + KEY[101:]
    difference = compare(RECORD, f"v=DKIM1; k=rsa; p={flipped}")
    assert difference is not None
    assert difference.position == 101
    assert "differ at character 101" in difference.message


def test_compare_recognizes_another_key_and_other_tags() -> None:
    difference = compare(RECORD, f"v=DKIM1; t=y; p={OTHER}")
    assert difference is not None
    assert "different key" in difference.message
    assert "k=rsa is missing" in difference.message
    assert "adds t=y" in difference.message


def test_compare_ignores_formatting() -> None:
    assert compare(RECORD, f"v=DKIM1;k=rsa;p={KEY[:50]} {KEY[50:]};") is None
    assert compare(RECORD, f"k=rsa; p={KEY}") is None  # v= is optional


def test_published_in_two_strings_and_matching_is_verified() -> None:
    source = zone({NAME: (RECORD[:255].encode(), RECORD[255:].encode())})
    result = asyncio.run(verify(MemoryViews(source), "example.com", SEL, f'"{RECORD[:255]}" "{RECORD[255:]}"'))
    assert result.status is DkimStatus.VERIFIED, result.findings
    assert (result.key_type, result.key_bits) == ("rsa", 2048)


def test_truncated_publication_is_a_mismatch() -> None:
    result = run(zone({NAME: f"v=DKIM1; k=rsa; p={KEY[:-20]}"}))
    assert result.status is DkimStatus.MISMATCH
    assert "cut short" in message(result, "dkim.mismatch")


def test_missing_with_the_doubled_name_says_where_it_is() -> None:
    result = run(zone({NAME + ".example.com": RECORD}))
    assert codes(result) == ["dkim.doubled-name"]
    text = message(result, "dkim.doubled-name")
    assert f"{NAME}.example.com" in text
    assert "it is the record CIMcloud sent" in text
    assert result.status is DkimStatus.MISSING


def test_missing_with_the_record_at_the_selector_without_domainkey() -> None:
    result = run(zone({f"{SEL}.example.com": RECORD}))
    assert codes(result) == ["dkim.missing"]
    assert f"there is one at {SEL}.example.com" in message(result, "dkim.missing")


def test_missing_everywhere() -> None:
    result = run(zone())
    assert codes(result) == ["dkim.missing"]
    assert "does not exist" in message(result, "dkim.missing")


def test_two_dkim_records_are_multiple() -> None:
    source = zone({NAME: RECORD})
    source.add(NAME, "TXT", f"v=DKIM1; p={OTHER}")
    assert "dkim.multiple" in codes(run(source))


def test_quotes_stored_literally_are_explained() -> None:
    result = run(zone({NAME: f'"{RECORD}"'}), expected=None)
    assert any("quote characters" in f.message for f in result.findings)


def test_a_server_still_without_the_record_is_propagating() -> None:
    result = run(zone({NAME: RECORD}), lagging=zone())
    assert codes(result) == ["dkim.propagating"]
    assert "ns2" in message(result, "dkim.propagating")


def test_cname_to_provider_is_followed() -> None:
    source = zone({"key.provider.example": RECORD})
    source.add(NAME, "CNAME", "key.provider.example")
    result = run(source)
    assert result.alias == "key.provider.example"
    assert codes(result) == ["dkim.cname"]
    assert result.verified


def test_timeouts_everywhere_are_lookup_failed() -> None:
    source = zone()
    source.add_timeout(NAME)
    result = run(source)
    assert codes(result) == ["dkim.lookup-failed"]
    assert result.status is DkimStatus.LOOKUP_FAILED


def test_mistake_names_for_a_subdomain_include_the_zone_and_org_domain() -> None:
    names = dict(misplaced_names("shop.example.com", "s"))
    assert names["s._domainkey.shop.example.com.shop.example.com"] == "doubled-name"
    assert names["s._domainkey.shop.example.com.example.com"] == "zone-appended"
    assert names["s._domainkey.example.com"] == "org-domain"
    assert names["shop.example.com"] == "apex"


def test_another_txt_record_beside_the_key_is_an_error_naming_it() -> None:
    source = zone({NAME: RECORD})
    source.add(NAME, "TXT", "google-site-verification=abc123")
    result = run(source)
    assert "dkim.other-records" in codes(result)
    assert "google-site-verification=abc123" in message(result, "dkim.other-records")
    assert result.status is DkimStatus.INVALID and not result.verified


def test_the_key_alone_has_no_other_records_finding() -> None:
    result = run(zone({NAME: RECORD}))
    assert result.verified and "dkim.other-records" not in codes(result)
