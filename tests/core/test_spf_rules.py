"""The spf check's rules in core: all-pass from anywhere in the tree, void lookups per client family, and an
authorization that fails because evaluation errs before the include."""

from __future__ import annotations

import asyncio

import pytest

from wizard.core.findings import Finding, Severity
from wizard.core.spf import CIMCLOUD_INCLUDE
from wizard.core.spf.rules import spf_findings
from wizard.core.spf.tree import analyze, authorization
from wizard.lookup.memory import MemorySource

# ---------------------------------------------------------------- all-pass wherever it comes from


def all_pass(zone: MemorySource, domain: str = "example.com") -> list[Finding]:
    analysis = asyncio.run(analyze(zone, domain))
    return [f for f in spf_findings(analysis, None) if f.code == "spf.all-pass"]


@pytest.mark.parametrize(
    ("record", "path"),
    [
        ("v=spf1 include:x.example.net -all", "include:x.example.net > +all"),
        ("v=spf1 include:deep.example.net -all", "include:deep.example.net > include:x.example.net > +all"),
        ("v=spf1 redirect=x.example.net", "redirect=x.example.net > +all"),
        ("v=spf1 ip4:0.0.0.0/0 -all", "ip4:0.0.0.0/0"),
        ("v=spf1 a:host.example.net/0 -all", "a:host.example.net/0"),
        ("v=spf1 mx/0 -all", "mx/0"),
    ],
)
def test_a_policy_that_passes_everyone_is_all_pass_wherever_it_comes_from(record: str, path: str) -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", record)
    zone.add("x.example.net", "TXT", "v=spf1 +all")
    zone.add("deep.example.net", "TXT", "v=spf1 include:x.example.net ~all")
    zone.add("host.example.net", "A", "192.0.2.1")
    zone.add("example.com", "MX", "10 host.example.net.")
    found = all_pass(zone)
    assert [f.severity for f in found] == [Severity.ERROR], found
    assert path in found[0].message


def test_a_zero_length_on_a_name_without_addresses_matches_nobody() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 a:v6only.example.net/0 -all")
    zone.add("v6only.example.net", "AAAA", "2001:db8::1")
    assert all_pass(zone) == []  # /0 applies to IPv4 clients, for whom the name has no A record


def test_ip6_everything_is_all_pass_for_ipv6_only() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 ip6:::/0 -all")
    found = all_pass(zone)
    assert len(found) == 1 and "every IPv6 address" in found[0].message


@pytest.mark.parametrize("qualifier", ["~", "-", "?"])
def test_an_include_that_passes_everyone_gives_its_own_qualifier_to_everyone(qualifier: str) -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", f"v=spf1 {qualifier}include:x.example.net -all")
    zone.add("x.example.net", "TXT", "v=spf1 +all")
    assert all_pass(zone) == []


def test_an_include_that_does_not_pass_everyone_is_not_all_pass() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 include:x.example.net include:y.example.net -all")
    zone.add("x.example.net", "TXT", "v=spf1 ip4:192.0.2.0/24 ~all")
    zone.add("y.example.net", "TXT", "v=spf1 -all")
    zone.add("z.example.net", "TXT", "v=spf1 +all")
    assert all_pass(zone) == []


def test_the_records_own_plus_all_is_reported_once() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 +all")
    assert len(all_pass(zone)) == 1


# ---------------------------------------------------------------- void lookups and the include they block


def cimcloud_zone(record: str) -> MemorySource:
    zone = MemorySource()
    zone.add("example.com", "TXT", record)
    zone.add(CIMCLOUD_INCLUDE, "TXT", "v=spf1 ip4:198.51.100.0/24 -all")
    return zone


def findings_with_authorization(zone: MemorySource) -> list[Finding]:
    async def run() -> list[Finding]:
        analysis = await analyze(zone, "example.com")
        auth = await authorization(zone, analysis, CIMCLOUD_INCLUDE)
        return spf_findings(analysis, auth)

    return asyncio.run(run())


def test_void_lookups_name_the_worse_client_family() -> None:
    zone = cimcloud_zone(
        f"v=spf1 a:v4a.example.com a:v4b.example.com a:v4c.example.com include:{CIMCLOUD_INCLUDE} ~all"
    )
    for name in ("v4a", "v4b", "v4c"):
        zone.add(f"{name}.example.com", "A", "192.0.2.1")
    found = [f for f in findings_with_authorization(zone) if f.code == "spf.void-lookups"]
    assert len(found) == 1
    assert "for mail from IPv6 addresses" in found[0].message and "IPv4: 0, IPv6: 3" in found[0].message
    assert found[0].fix.endswith("a:v4a.example.com, a:v4b.example.com, a:v4c.example.com")


def test_an_include_blocked_by_void_lookups_names_the_cause_not_add_the_include() -> None:
    zone = cimcloud_zone(
        f"v=spf1 a:gone1.example.com a:gone2.example.com a:gone3.example.com include:{CIMCLOUD_INCLUDE} ~all"
    )
    found = [f for f in findings_with_authorization(zone) if f.code == "spf.not-authorized"]
    assert len(found) == 1
    assert "is in the record, but receivers do not reach it" in found[0].message
    assert "void lookup 3" in found[0].message
    assert "Add include:" not in found[0].fix and "names without records" in found[0].fix


def test_an_include_blocked_by_too_many_lookups_names_the_cause() -> None:
    terms = " ".join(f"a:h{i}.example.com" for i in range(10))
    zone = cimcloud_zone(f"v=spf1 {terms} include:{CIMCLOUD_INCLUDE} ~all")
    for i in range(10):
        zone.add(f"h{i}.example.com", "A", "192.0.2.1")
        zone.add(f"h{i}.example.com", "AAAA", "2001:db8::1")
    found = [f for f in findings_with_authorization(zone) if f.code == "spf.not-authorized"]
    assert len(found) == 1 and "DNS lookup 11" in found[0].message
    assert "within 10 DNS lookups" in found[0].fix


def test_a_missing_include_still_says_add_it() -> None:
    zone = cimcloud_zone("v=spf1 ip4:192.0.2.0/24 ~all")
    found = [f for f in findings_with_authorization(zone) if f.code == "spf.not-authorized"]
    assert len(found) == 1 and found[0].fix.startswith(f"Add include:{CIMCLOUD_INCLUDE}")


def test_an_earlier_term_that_fails_cimclouds_servers_is_named_instead_of_add_the_include() -> None:
    zone = cimcloud_zone(f"v=spf1 -ip4:198.51.100.0/24 include:{CIMCLOUD_INCLUDE} ~all")
    found = [f for f in findings_with_authorization(zone) if f.code == "spf.not-authorized"]
    assert len(found) == 1 and "fail" in found[0].message
    assert found[0].fix.startswith("Remove the earlier term")


def test_an_include_missing_before_cimclouds_is_the_error_to_correct() -> None:
    zone = cimcloud_zone(f"v=spf1 include:gone.example.net include:{CIMCLOUD_INCLUDE} ~all")
    found = [f for f in findings_with_authorization(zone) if f.code == "spf.not-authorized"]
    assert len(found) == 1 and "permerror" in found[0].message
    assert found[0].fix.startswith("Correct the error")


def test_a_record_with_errors_is_not_reported_as_passing_everyone() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 include:x.example.net -all")
    zone.add("x.example.net", "TXT", "v=spf1 bogus:x +all")
    assert all_pass(zone) == []


def test_the_tree_counts_the_voids_check_host_meets_for_cimclouds_ipv4_servers() -> None:
    """The issue's case: names with only AAAA records are void for CIMcloud's IPv4 servers; the tree's count
    and the authorization's reason must agree (they said 0 of 2 beside 'void lookup 3')."""
    names = ("v6a", "v6b", "v6c")
    zone = cimcloud_zone(f"v=spf1 {' '.join(f'a:{n}.example.com' for n in names)} include:{CIMCLOUD_INCLUDE} ~all")
    for name in names:
        zone.add(f"{name}.example.com", "AAAA", "2001:db8::1")

    async def run() -> tuple[int, str, str]:
        analysis = await analyze(zone, "example.com")
        auth = await authorization(zone, analysis, CIMCLOUD_INCLUDE)
        return analysis.void_lookups, analysis.void_family, auth.reason

    voids, family, reason = asyncio.run(run())
    assert (voids, family) == (3, "IPv4")
    assert "void lookup 3" in reason
