"""MTA-STS: the TXT record, the policy file, MX pattern matching, the rules over a policy, and the generator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wizard.core.mta_sts.compose import (
    GUIDANCE,
    PublishedSts,
    choose_id,
    generate_policy,
    new_policy_id,
    plan_mta_sts,
    published_sts,
)
from wizard.core.mta_sts.policy import decode_policy, mx_hosts, mx_matches, parse_policy, policy_findings, uncovered_mx
from wizard.core.mta_sts.record import MAX_MAX_AGE, StsMode, is_sts_record, parse_sts_record
from wizard.core.mta_sts.tls_rpt import parse_tlsrpt
from wizard.core.tags import ComposeError

GOOD = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.backup.example.net\r\nmax_age: 604800\r\n"

# ---------------------------------------------------------------- TXT record


def test_txt_record_with_id() -> None:
    r = parse_sts_record("v=STSv1; id=20240601T120000;")
    assert r.valid and r.id == "20240601T120000"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("v=STSv1;", "no id="),
        ("v=STSv1; id=2024-06-01", "letters and digits"),
        ("v=STSv1; id=" + "a" * 33, "letters and digits"),
        ("v=STSv1; id=1; id=2", "more than once"),
        ("v=stsv1; id=1", "exactly v=STSv1"),
        ("id=1; v=STSv1", "exactly v=STSv1"),
        ("v=STSv1; id=é1", "position"),
    ],
)
def test_txt_record_problems(text: str, fragment: str) -> None:
    r = parse_sts_record(text)
    assert not r.valid and {p.code for p in r.problems} == {"mta-sts.syntax"}
    assert any(fragment in p.message for p in r.problems), r.problems


def test_is_sts_record() -> None:
    assert is_sts_record("v=STSv1; id=1")
    assert not is_sts_record("v=STSv10; id=1")
    assert not is_sts_record("v=spf1 -all")


# ---------------------------------------------------------------- policy file


def test_good_policy_with_crlf() -> None:
    p = parse_policy(GOOD)
    assert p.valid and p.problems == ()
    assert (p.version, p.mode, p.mx, p.max_age) == (
        "STSv1",
        StsMode.ENFORCE,
        ("mx1.example.com", "*.backup.example.net"),
        604800,
    )


def test_lf_only_and_extension_keys_are_accepted() -> None:
    p = parse_policy(GOOD.replace("\r\n", "\n") + "ext_key: whatever\n")
    assert p.valid and p.mode is StsMode.ENFORCE


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (GOOD.replace("STSv1", "STSv2"), "version must be STSv1"),
        (GOOD.replace("enforce", "strict"), "mode must be"),
        (GOOD.replace("604800", "31557601"), "max_age must be"),
        (GOOD.replace("604800", "-1"), "max_age must be"),
        (GOOD.replace("604800", "9" * 40), "max_age must be"),
        ("version: STSv1\nmode: enforce\nmax_age: 86400\n", "no mx:"),
        (GOOD + "this line is junk\n", "is not a `key: value` line"),
        (GOOD.replace("mx1.example.com", "mx1..example.com"), "is not a host name"),
        (GOOD + "mode: testing\n", "mode appears more than once"),
    ],
)
def test_policy_problems(text: str, fragment: str) -> None:
    p = parse_policy(text)
    assert not p.valid
    assert any(fragment in f.message for f in p.problems), p.problems
    assert {f.code for f in p.problems} == {"mta-sts.policy-syntax"}


def test_max_age_limit_is_inclusive() -> None:
    assert parse_policy(GOOD.replace("604800", str(MAX_MAX_AGE))).valid


def test_mode_none_needs_no_mx() -> None:
    assert parse_policy("version: STSv1\nmode: none\nmax_age: 86400\n").valid


def test_short_max_age_when_enforcing_is_a_warning() -> None:
    p = parse_policy(GOOD.replace("604800", "300"))
    assert p.valid and [f.code for f in p.problems] == ["mta-sts.short-max-age"]


def test_binary_and_non_utf8_bodies_are_refused_as_text() -> None:
    assert decode_policy(GOOD.encode()) == (GOOD, None)
    text, problem = decode_policy(b"\x00\x01\x02" * 1000)
    assert text is None and problem is not None and "binary" in problem.message
    text, problem = decode_policy(b"version: STSv1\n\xff\xfe")
    assert text is None and problem is not None and "UTF-8" in problem.message


def test_policy_of_thousands_of_junk_lines_gives_bounded_findings() -> None:
    p = parse_policy("junk\n" * 100_000)
    assert len(p.problems) < 30


@given(st.text(max_size=500))
def test_policy_parser_never_raises(text: str) -> None:
    parse_policy(text)
    parse_sts_record(text)


# ---------------------------------------------------------------- mx matching


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        ("mx1.example.com", "mx1.example.com", True),
        ("mx1.example.com", "MX1.Example.COM.", True),
        ("mx1.example.com", "mx2.example.com", False),
        ("*.example.com", "mx1.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.b.example.com", False),
        ("*.example.com", "mx1.example.com.evil.net", False),
    ],
)
def test_mx_pattern_matching(pattern: str, host: str, matches: bool) -> None:
    assert mx_matches(pattern, host) is matches


def test_mx_hosts_sorted_by_preference_and_null_mx_dropped() -> None:
    assert mx_hosts(["20 mx2.example.com.", "10 mx1.example.com.", "0 ."]) == ["mx1.example.com", "mx2.example.com"]


def test_uncovered_mx() -> None:
    assert uncovered_mx(["*.example.com"], ["mx1.example.com", "mail.other.net"]) == ["mail.other.net"]


def codes(policy_text: str, hosts: list[str]) -> list[tuple[str, str]]:
    return [(f.code, str(f.severity)) for f in policy_findings(parse_policy(policy_text), hosts)]


def test_policy_rules() -> None:
    assert codes(GOOD, ["mx1.example.com", "a.backup.example.net"]) == []
    assert codes(GOOD, ["mx1.example.com", "mx9.example.com"]) == [("mta-sts.mx-mismatch", "error")]
    testing = GOOD.replace("enforce", "testing")
    assert codes(testing, ["mx9.example.com"]) == [("mta-sts.testing", "info"), ("mta-sts.mx-mismatch", "warning")]
    findings = policy_findings(parse_policy(GOOD), ["mx9.example.com"])
    assert "mx: mx9.example.com" in findings[0].fix


# ---------------------------------------------------------------- generator


def test_policy_id_is_time_based_and_valid() -> None:
    moment = datetime(2024, 6, 1, 12, 30, 5, tzinfo=UTC)
    assert new_policy_id(moment) == "20240601T123005"
    assert parse_sts_record(f"v=STSv1; id={new_policy_id()}").valid


def test_generated_policy_starts_in_testing_and_parses_back() -> None:
    text = generate_policy(StsMode.TESTING, ["MX1.example.com.", "*.example.net"])
    assert text == "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 86400\r\n"
    enforce = parse_policy(generate_policy(StsMode.ENFORCE, ["mx1.example.com"]))
    assert enforce.valid and enforce.mode is StsMode.ENFORCE and enforce.max_age == 1_209_600


def test_plan_has_the_records_and_cimcloud_guidance() -> None:
    plan = plan_mta_sts(
        "example.com", ["mx1.example.com"], report_to=["tls@example.com"], now=datetime(2024, 6, 1, tzinfo=UTC)
    )
    assert plan.policy_url == "https://mta-sts.example.com/.well-known/mta-sts.txt"
    assert parse_policy(plan.policy).mode is StsMode.TESTING
    assert plan.records[0] == ("_mta-sts.example.com", "v=STSv1; id=20240601T000000")
    assert plan.records[1][0] == "_smtp._tls.example.com" and parse_tlsrpt(plan.records[1][1]).valid
    guidance = " ".join(GUIDANCE)
    assert "Do not host the policy on your CIMcloud website" in guidance
    assert "only mail sent TO your corporate domain" in guidance


TODAY = PublishedSts("20240101T000000", StsMode.ENFORCE, ("*.example.com",), 604800, ("tls@example.com",),
                     "v=TLSRPTv1; rua=mailto:tls@example.com")  # fmt: skip


def test_published_values_come_from_the_record_the_policy_and_tls_rpt() -> None:
    policy = parse_policy("version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 604800\n")
    tls = parse_tlsrpt("v=TLSRPTv1; rua=mailto:tls@example.com")
    assert published_sts("v=STSv1; id=20240101T000000", policy, tls) == TODAY
    assert published_sts(None, None, None) == PublishedSts()


def test_plan_from_the_published_policy_keeps_its_id_and_max_age_until_the_file_changes() -> None:
    same = plan_mta_sts("example.com", ["*.example.com"], StsMode.ENFORCE, ["tls@example.com"], published=TODAY,
                        saved_id="20250101T000000")  # fmt: skip
    assert same.records[0][1] == "v=STSv1; id=20240101T000000" and "max_age: 604800" in same.policy
    assert "Nothing to change" in same.changes[0] and "nothing to change" in same.changes[1]
    testing = plan_mta_sts("example.com", ["*.example.com", "mx9.example.net"], StsMode.TESTING, published=TODAY,
                           saved_id="20250101T000000")  # fmt: skip
    assert testing.policy_id == "20250101T000000" and "max_age: 86400" in testing.policy
    assert "mode enforce → testing; mx added: mx9.example.net; max_age 604800 → 86400" in testing.changes[0]
    assert "stays as it is" in testing.changes[1]


def test_a_changed_policy_never_keeps_todays_id() -> None:
    assert choose_id(TODAY, True, "20240101T000000") == "20240101T000000"
    fresh = choose_id(TODAY, False, "20240101T000000")  # the id saved is today's, but the file changed
    assert fresh != "20240101T000000" and parse_sts_record(f"v=STSv1; id={fresh}").valid
    assert choose_id(None, False, "20250101T000000") == "20250101T000000"
    unreadable = PublishedSts("20240101T000000")  # the record is published, its policy file cannot be fetched
    assert choose_id(unreadable, False, "20240101T000000") == "20240101T000000"


def test_plan_refuses_a_bad_report_address() -> None:
    with pytest.raises(ComposeError):
        plan_mta_sts("example.com", ["mx1.example.com"], report_to=["not an address"])


@pytest.mark.parametrize("digit", ["²", "٣", "５", "𝟗"])
def test_max_age_in_other_scripts_digits_is_a_syntax_error_not_a_crash(digit: str) -> None:
    policy = parse_policy(f"version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 8640{digit}\n")
    assert policy.max_age is None and not policy.valid
    assert any("max_age must be a number" in p.message for p in policy.problems)


@pytest.mark.parametrize(
    ("text", "is_record"),
    [("v=STSv1; id=1", True), ("v=STSv1 ; id=1", True), ("V=STSV1; id=1", False), ("v=stsv1; id=1", False),
     (" v=STSv1; id=1", False), ("v = STSv1; id=1", False)],
)  # fmt: skip
def test_sts_record_recogniser_is_case_sensitive_as_rfc_8461_writes_it(text: str, is_record: bool) -> None:
    assert is_sts_record(text) is is_record


def test_sts_id_tag_name_is_case_sensitive() -> None:
    assert parse_sts_record("v=STSv1; ID=20240101").id is None


def test_policy_values_are_case_sensitive_and_only_space_or_tab_surrounds_them() -> None:
    base = "version: STSv1\nmx: mx.example.com\nmax_age: 86400\n"
    assert parse_policy(base + "mode: enforce\n").mode is StsMode.ENFORCE
    assert parse_policy(base + "mode: Enforce\n").mode is None  # %s"enforce" in RFC 8461 3.2
    assert parse_policy(base + "mode: enforce\u00a0\n").mode is None  # a no-break space is not WSP
    assert parse_policy(base.replace("STSv1", "stsv1") + "mode: enforce\n").version == "stsv1"
    assert not parse_policy(base.replace("STSv1", "stsv1") + "mode: enforce\n").valid
