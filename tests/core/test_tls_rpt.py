"""TLS-RPT records: parsing, validation and composing; and the tls_rpt check's rules over answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wizard.core.answers import Answer, Outcome, TxtRecord
from wizard.core.mta_sts.rules import tlsrpt_findings
from wizard.core.mta_sts.tls_rpt import compose_tlsrpt, is_tlsrpt_record, parse_tlsrpt
from wizard.core.tags import ComposeError


def test_valid_record_with_mailto_and_https() -> None:
    r = parse_tlsrpt("v=TLSRPTv1; rua=mailto:tls@example.com, https://reports.example.net/tls")
    assert r.valid and r.problems == ()
    assert [(u.scheme, u.domain) for u in r.rua] == [("mailto", "example.com"), ("https", "reports.example.net")]


def test_extension_fields_are_allowed() -> None:
    assert parse_tlsrpt("v=TLSRPTv1; rua=mailto:a@example.com; ext_1=foo;").valid


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("v=TLSRPTv1", "no rua="),
        ("v=tlsrptv1; rua=mailto:a@example.com", "must start with exactly v=TLSRPTv1"),
        ("rua=mailto:a@example.com; v=TLSRPTv1", "must start with exactly v=TLSRPTv1"),
        ("v=TLSRPTv1; rua=ftp://example.com", "must start with mailto: or https:"),
        ("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", "more than once"),
        ("v=TLSRPTv1; rua=mailto:tls@exämple.com", "position"),
        ("v=TLSRPTv1; rua=mailto:a@example.com; bad name=1", "not a valid field name"),
    ],
)
def test_problems_are_syntax_errors(text: str, fragment: str) -> None:
    r = parse_tlsrpt(text)
    assert not r.valid
    assert {p.code for p in r.problems} == {"tls-rpt.syntax"}
    assert any(fragment in p.message for p in r.problems), r.problems


def test_is_tlsrpt_record() -> None:
    assert is_tlsrpt_record("v=TLSRPTv1; rua=mailto:a@example.com")
    assert not is_tlsrpt_record("v=TLSRPTv10; rua=mailto:a@example.com")
    assert not is_tlsrpt_record("v=spf1 -all")


def test_compose_round_trips() -> None:
    value = compose_tlsrpt(["tls@example.com", "https://r.example.net/v1"])
    assert value == "v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.net/v1"
    assert parse_tlsrpt(value).valid


def test_compose_refuses_nothing_and_junk() -> None:
    with pytest.raises(ComposeError):
        compose_tlsrpt([])
    with pytest.raises(ComposeError) as exc:
        compose_tlsrpt(["not an address"])
    assert exc.value.field == "rua"


@given(st.text(max_size=300))
def test_parser_never_raises(text: str) -> None:
    parse_tlsrpt(text)
    parse_tlsrpt("v=TLSRPTv1; " + text)


def answer(*texts: str, outcome: Outcome = Outcome.OK) -> Answer:
    return Answer("_smtp._tls.example.com", "TXT", outcome, txt=tuple(TxtRecord((t.encode(),)) for t in texts))


def codes_and_severities(*texts: str, sts: bool = False, outcome: Outcome = Outcome.OK) -> list[tuple[str, str]]:
    findings, _ = tlsrpt_findings("example.com", answer(*texts, outcome=outcome), sts)
    return [(f.code, str(f.severity)) for f in findings]


def test_check_rules() -> None:
    assert codes_and_severities("v=TLSRPTv1; rua=mailto:a@example.com") == []
    assert codes_and_severities(outcome=Outcome.NXDOMAIN) == [("tls-rpt.missing", "info")]
    assert codes_and_severities(outcome=Outcome.NXDOMAIN, sts=True) == [("tls-rpt.missing", "warning")]
    assert codes_and_severities(outcome=Outcome.TIMEOUT) == [("tls-rpt.lookup-failed", "error")]
    assert codes_and_severities("v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com") == [
        ("tls-rpt.multiple", "error")
    ]
    assert codes_and_severities("v=TLSRPTv1;") == [("tls-rpt.syntax", "error")]
    assert codes_and_severities("V=TLSRPTV1; rua=mailto:a@example.com")[0] == ("tls-rpt.syntax", "error")


@pytest.mark.parametrize(
    ("text", "is_record"),
    [
        ("v=TLSRPTv1; rua=mailto:a@example.com", True),
        ("v=TLSRPTv1", True),
        ("v=tlsrptv1; rua=mailto:a@example.com", False),
        (" v=TLSRPTv1; rua=mailto:a@example.com", False),
        ("v=TLSRPTv10; rua=mailto:a@example.com", False),
    ],
)
def test_tlsrpt_recogniser_is_case_sensitive_as_rfc_8460_writes_it(text: str, is_record: bool) -> None:
    assert is_tlsrpt_record(text) is is_record


def test_rua_tag_name_is_case_sensitive() -> None:
    record = parse_tlsrpt("v=TLSRPTv1; RUA=mailto:a@example.com")
    assert record.rua == () and any("no rua=" in p.message for p in record.problems)
