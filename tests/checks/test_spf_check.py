"""The spf check: offline against an in-memory zone, and live against the BIND lab (zones spf-*.test)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.lab import Lab
from wizard.checks import CheckContext, CheckOptions, Result, all_checks, get_check
from wizard.checks.spf import SpfResult, check_spf, human_lines, spf_result
from wizard.lookup.lookup import Lookup
from wizard.lookup.memory import MemorySource

VENDOR = "_spf.spf-vendor.test"


def as_json(result: Result) -> dict[str, Any]:
    """The result as `check --json` prints it (the presenter registered with the check)."""
    return get_check("spf").fields(result)


def codes(result: Result | dict[str, Any]) -> list[str]:
    data = as_json(result) if isinstance(result, Result) else result
    return [f["code"] for f in data["findings"]]


def memory_zone() -> MemorySource:
    zone = MemorySource()
    zone.add("_spf.mycimcloud.com", "TXT", "v=spf1 ip4:192.0.2.0/25 ip6:2001:db8:c1::/48 -all")
    zone.add("_spf.google.com", "TXT", "v=spf1 ip4:203.0.113.0/24 ~all")
    return zone


def offline(record: str | None, *extra: tuple[str, str, str]) -> SpfResult:
    zone = memory_zone()
    if record is not None:
        zone.add("example.com", "TXT", record)
    for name, rdtype, value in extra:
        zone.add(name, rdtype, value)
    zone.add_name("example.com")
    return asyncio.run(spf_result(zone, "example.com"))


def test_the_check_is_registered() -> None:
    assert all_checks()["spf"].run is check_spf


def test_a_good_record_passes_with_counts_and_tree() -> None:
    result = offline("v=spf1 include:_spf.mycimcloud.com include:_spf.google.com ~all")
    data = as_json(result)
    assert data["status"] == "pass", data["findings"]
    assert (data["lookups"], data["void_lookups"], data["authorized"]) == (2, 0, True)
    assert data["record"] == "v=spf1 include:_spf.mycimcloud.com include:_spf.google.com ~all"
    assert [t["node"]["domain"] for t in data["tree"]["terms"] if "node" in t] == [
        "_spf.mycimcloud.com",
        "_spf.google.com",
    ]


def test_one_check_asks_each_question_once() -> None:
    zone = memory_zone()
    zone.add("example.com", "TXT", "v=spf1 include:_spf.mycimcloud.com include:_spf.google.com ~all")
    result = asyncio.run(spf_result(zone, "example.com"))
    assert as_json(result)["authorization"]["tested"], "check_host() ran for the include's sampled addresses"
    repeated = sorted({q for q in zone.queries if zone.queries.count(q) > 1})
    assert repeated == [], f"asked more than once: {repeated}"


def test_missing_record() -> None:
    result = offline(None, ("example.com", "TXT", "google-site-verification=abc"))
    assert codes(result) == ["spf.missing"]
    assert as_json(result)["record"] is None and as_json(result)["authorized"] is False


@pytest.mark.parametrize(
    ("record", "code"),
    [
        ("v=spf1 include:_spf.mycimcloud.com +all", "spf.all-pass"),
        ("v=spf1 include:_spf.mycimcloud.com ?all", "spf.all-pass"),
        ("v=spf1 include:_spf.mycimcloud.com", "spf.no-all"),
        ("v=spf1 include:_spf.mycimcloud.com ptr ~all", "spf.ptr"),
        ("v=spf1 include:_spf.mycimcloud.com redirect=_spf.google.com ~all", "spf.redirect-ignored"),
        ("v=spf1 include:_spf.mycimcloud.com ip4:192.0.2.300 ~all", "spf.syntax"),
        ("v=spf1 include:_spf.mycimcloud.com include:nowhere.example.com ~all", "spf.include-missing"),
        ("v=spf1 include:_spf.google.com ~all", "spf.not-authorized"),
        ("v=spf1 include:_spf.google.com ~include:_spf.mycimcloud.com ~all", "spf.not-authorized"),
        ("v=spf1 -all include:_spf.mycimcloud.com", "spf.not-authorized"),
        (
            "v=spf1 a:x1.example.com a:x2.example.com a:x3.example.com include:_spf.mycimcloud.com ~all",
            "spf.void-lookups",
        ),
        ("v=spf1 include:_spf.mycimcloud.com " + "a " * 10 + "~all", "spf.too-many-lookups"),
        (
            "v=spf1 include:_spf.mycimcloud.com " + " ".join(f"ip4:192.0.2.{i}" for i in range(40)) + " ~all",
            "spf.record-too-long",
        ),
    ],
)
def test_each_problem_has_its_code(record: str, code: str) -> None:
    assert code in codes(offline(record))


def test_syntax_finding_quotes_the_term() -> None:
    result = offline("v=spf1 include:_spf.mycimcloud.com ip4:192.0.2.300 ~all")
    message = next(f.message for f in result.findings if f.code == "spf.syntax")
    assert '"ip4:192.0.2.300"' in message


def test_redirect_reaches_the_expected_include() -> None:
    result = offline(
        "v=spf1 redirect=_spf.example.net", ("_spf.example.net", "TXT", "v=spf1 include:_spf.mycimcloud.com -all")
    )
    assert as_json(result)["authorized"] is True
    assert as_json(result)["authorization"]["path"] == ["redirect=_spf.example.net", "include:_spf.mycimcloud.com"]


def test_a_minus_range_before_the_include_makes_it_not_authorized() -> None:
    result = offline("v=spf1 -ip4:192.0.2.0/24 include:_spf.mycimcloud.com ~all")
    assert "spf.not-authorized" in codes(result)
    assert {"ip": "192.0.2.1", "result": "fail"} in as_json(result)["authorization"]["tested"]


def test_a_dns_failure_in_the_tree_is_lookup_failed() -> None:
    zone = memory_zone()
    zone.add("example.com", "TXT", "v=spf1 include:_spf.mycimcloud.com include:spf.dead.example ~all")
    zone.add_timeout("spf.dead.example")
    result = asyncio.run(spf_result(zone, "example.com"))
    assert "spf.lookup-failed" in codes(result)
    assert as_json(result)["status"] == "fail"


def test_multiple_records_are_listed() -> None:
    zone = memory_zone()
    zone.add("example.com", "TXT", "v=spf1 include:_spf.mycimcloud.com ~all")
    zone.add("example.com", "TXT", "v=spf1 -all")
    result = asyncio.run(spf_result(zone, "example.com"))
    assert "spf.multiple" in codes(result)
    assert len(as_json(result)["records"]) == 2


def test_a_loop_is_found_and_the_walk_ends() -> None:
    result = offline(
        "v=spf1 include:_spf.mycimcloud.com include:a.example.com ~all",
        ("a.example.com", "TXT", "v=spf1 include:b.example.com"),
        ("b.example.com", "TXT", "v=spf1 include:a.example.com"),
    )
    assert "spf.include-loop" in codes(result)


def test_human_lines_show_the_tree_indented_with_counts() -> None:
    result = offline("v=spf1 include:_spf.mycimcloud.com include:_spf.google.com ~all")
    lines = human_lines(result)
    assert lines[0].startswith("example.com: v=spf1 include:_spf.mycimcloud.com")
    assert "  include:_spf.mycimcloud.com  [+1 = 1]" in lines
    assert "    _spf.mycimcloud.com: v=spf1 ip4:192.0.2.0/25 ip6:2001:db8:c1::/48 -all" in lines
    assert "  include:_spf.google.com  [+1 = 2]" in lines
    assert "DNS lookups (worst case): 2 of 10; void lookups: 0 of 2" in lines
    assert lines[-1] == "_spf.mycimcloud.com authorized: yes"


# Bad input: never a crash or a hang, always a finding.


def test_non_ascii_bytes_give_a_syntax_finding() -> None:
    zone = memory_zone()
    zone.add("example.com", "TXT", (b"v=spf1 include:_spf.mycimcloud.com \x96all",))
    assert "spf.syntax" in codes(asyncio.run(spf_result(zone, "example.com")))


def test_a_record_in_hundreds_of_strings_is_joined() -> None:
    record = "v=spf1 include:_spf.mycimcloud.com " + " ".join(f"ip4:10.0.{i}.0/24" for i in range(150)) + " ~all"
    zone = memory_zone()
    zone.add("example.com", "TXT", tuple(record[i : i + 3].encode() for i in range(0, len(record), 3)))
    result = asyncio.run(spf_result(zone, "example.com"))
    assert as_json(result)["record"] == record
    assert codes(result) == ["spf.record-too-long"]


def test_a_ten_thousand_term_record_gives_findings() -> None:
    record = "v=spf1 include:_spf.mycimcloud.com " + " ".join(f"a:h{i}.example.com" for i in range(10_000)) + " ~all"
    result = offline(record)
    assert {"spf.too-many-lookups", "spf.void-lookups", "spf.record-too-long"} <= set(codes(result))
    assert as_json(result)["lookups"] == 10_001


def test_a_twenty_level_include_chain_gives_findings() -> None:
    zone = memory_zone()
    zone.add("example.com", "TXT", "v=spf1 include:_spf.mycimcloud.com include:l1.example.com ~all")
    for level in range(1, 21):
        zone.add(f"l{level}.example.com", "TXT", f"v=spf1 include:l{level + 1}.example.com")
    result = asyncio.run(spf_result(zone, "example.com"))
    assert {"spf.too-many-lookups", "spf.tree-truncated"} <= set(codes(result))
    assert as_json(result)["lookups"] > 10


def test_macro_expansion_past_253_characters_is_handled() -> None:
    result = offline("v=spf1 include:_spf.mycimcloud.com exists:%{s}.%{s}.%{s}.%{s}.%{s}.%{s}.%{s}.example.com ~all")
    assert as_json(result)["authorized"] is True
    assert "spf.syntax" not in codes(result)


# The BIND lab: the check through the real lookup layer.


def run_lab(lab: Lab, name: str, expect: str = VENDOR) -> dict[str, Any]:
    ctx = CheckContext(f"{name}.spf-lab.test", Lookup(lab.settings()), CheckOptions(expect_include=expect))
    result = asyncio.run(check_spf(ctx))
    assert isinstance(result, SpfResult)
    return as_json(result)


def test_lab_good_record(dns_lab: Lab) -> None:
    result = run_lab(dns_lab, "good")
    assert result["status"] == "pass", result["findings"]
    assert (result["lookups"], result["void_lookups"], result["authorized"]) == (4, 0, True)


def test_lab_findings_per_scenario(dns_lab: Lab) -> None:
    expected = {
        "missing": "spf.missing",
        "multiple": "spf.multiple",
        "many": "spf.too-many-lookups",
        "loop": "spf.include-loop",
        "broken": "spf.include-missing",
        "unauth": "spf.not-authorized",
        "open": "spf.all-pass",
        "dead": "spf.lookup-failed",
        "long": "spf.record-too-long",
    }
    for name, code in expected.items():
        result = run_lab(dns_lab, name)
        assert code in codes(result), (name, result["findings"])
    many = run_lab(dns_lab, "many")
    assert many["lookups"] == 11


def test_lab_default_expectation_is_cimcloud(dns_lab: Lab) -> None:
    result = run_lab(dns_lab, "good", expect=CheckOptions().expect_include)
    assert result["authorized"] is False
    assert "spf.not-authorized" in codes(result)
