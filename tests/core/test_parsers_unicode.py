"""Every parser in core fed arbitrary Unicode, digits from every script and tag=value shapes: each returns its
result or raises only its own documented error (never IndexError, ValueError from int(), ...)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_dkim_verify import MemoryViews
from wizard.core.dkim.extract import extract
from wizard.core.dkim.key import is_dkim_record, parse_tags, validate
from wizard.core.dkim.paste import normalize, normalize_content, normalize_name
from wizard.core.dkim.verify import compare, looks_like_dkim, verify
from wizard.core.dmarc.discovery import discover_policy
from wizard.core.dmarc.record import is_dmarc_record, parse_dmarc
from wizard.core.findings import Finding
from wizard.core.mta_sts.policy import decode_policy, mx_hosts, parse_policy, policy_findings
from wizard.core.mta_sts.record import is_sts_record, parse_sts_record
from wizard.core.mta_sts.tls_rpt import is_tlsrpt_record, parse_tlsrpt
from wizard.core.names import DomainError, normalize_domain, organizational_domain, to_unicode
from wizard.core.spf.evaluate import SpfResult, check_host
from wizard.core.spf.macro import MacroError, parse_macro_string
from wizard.core.spf.record import SpfSyntaxError, is_spf_record, parse, parse_lenient
from wizard.core.spf.rules import spf_findings
from wizard.core.spf.tree import analyze
from wizard.core.tags import ComposeError, ascii_number, parse_uri_list, read_tag_list, report_uri
from wizard.lookup.memory import MemorySource

# Digits of every script (Nd: '٣', '５', '𝟗', ...) and other numerals int() or isdigit() may take ('²', '½').
DIGITS = st.text(st.characters(categories=["Nd", "No"], min_codepoint=0x80), min_size=1, max_size=6)
NUMBERISH = st.one_of(DIGITS, st.builds(lambda a, b: a + b, st.text("0123456789", max_size=3), DIGITS))
TAG_NAMES = st.sampled_from(
    ["v", "p", "sp", "np", "pct", "ri", "rf", "fo", "rua", "ruf", "adkim", "aspf", "t", "psd", "h", "k", "s", "g",
     "n", "id", "V", "P", "x", "max_age"]
)  # fmt: skip
VALUES = st.one_of(NUMBERISH, st.text(max_size=20), st.sampled_from(["DMARC1", "DKIM1", "STSv1", "TLSRPTv1",
    "reject", "mailto:a@example.com", "mailto:a@example.com!1²m", "sha256", "rsa", "ed25519", "y"]))  # fmt: skip
TAG_LISTS = st.lists(st.builds(lambda n, v: f"{n}={v}", TAG_NAMES, VALUES), max_size=8).map("; ".join)
HEADS = st.sampled_from(["v=DMARC1; ", "v=DKIM1; ", "v=STSv1; ", "v=TLSRPTv1; ", "v=spf1 ", "", " "])
RECORDS = st.one_of(st.text(max_size=200), st.builds(lambda h, t: h + t, HEADS, TAG_LISTS))
SPF_TERMS = st.sampled_from(
    ["ip4:", "ip6:", "a", "a:", "mx", "include:", "exists:", "all", "+all", "redirect=", "exp=", "ptr", "/", "//",
     "%{", "%{i", "%{d", "}", ".", ":", "1", "0"]
)  # fmt: skip
SPF_RECORDS = st.one_of(
    st.builds(lambda t: "v=spf1 " + t, st.text(max_size=120)),
    st.lists(st.one_of(SPF_TERMS, DIGITS, st.text(max_size=4)), max_size=12).map(lambda p: "v=spf1 " + "".join(p)),
    st.lists(st.builds(lambda a, b: a + b, SPF_TERMS, NUMBERISH), max_size=6).map(lambda p: "v=spf1 " + " ".join(p)),
)
POLICY_LINES = st.lists(
    st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(["version", "mode", "mx", "max_age", "x"]), VALUES),
    max_size=6,
).map("\n".join)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def only_findings(problems: tuple[Finding, ...] | list[Finding]) -> None:
    assert all(isinstance(p, Finding) and p.message for p in problems)


@FAST
@given(RECORDS)
def test_dmarc_parser_and_recogniser(text: str) -> None:
    record = parse_dmarc(text)
    only_findings(record.problems)
    assert is_dmarc_record(text) in (True, False)
    assert record.pct is None or 0 <= record.pct <= 100
    record.policy_for(subdomain=True)


@FAST
@given(RECORDS)
def test_mta_sts_and_tls_rpt_records(text: str) -> None:
    only_findings(parse_sts_record(text).problems)
    only_findings(parse_tlsrpt(text).problems)
    assert is_sts_record(text) in (True, False) and is_tlsrpt_record(text) in (True, False)


@FAST
@given(st.one_of(st.text(max_size=200), POLICY_LINES))
def test_mta_sts_policy(text: str) -> None:
    policy = parse_policy(text)
    only_findings(policy.problems)
    assert policy.max_age is None or 0 <= policy.max_age <= 31_557_600
    decode_policy(text.encode("utf-8", "surrogatepass"))


@FAST
@given(st.lists(st.builds(lambda p, h: f"{p} {h}", NUMBERISH, st.text(max_size=20)), max_size=5))
def test_mx_host_values(values: list[str]) -> None:
    assert isinstance(mx_hosts(values), list)


@FAST
@given(RECORDS)
def test_dkim_key_record(text: str) -> None:
    only_findings(validate(text).findings)
    only_findings(parse_tags(text).problems)
    assert is_dkim_record(text) in (True, False) and looks_like_dkim(text) in (True, False)
    compare("v=DKIM1; p=MIIB", text)


@FAST
@given(st.one_of(st.text(max_size=200), RECORDS), st.one_of(st.text(max_size=40), DIGITS))
def test_dkim_paste_and_extract(text: str, name: str) -> None:
    normalize(name, text, "example.com")
    normalize_content(text)
    normalize_name(name, None)
    extract(text + "\n" + name, ["example.com"])


@FAST
@given(SPF_RECORDS)
def test_spf_record_parses_or_raises_its_syntax_error(text: str) -> None:
    with contextlib.suppress(SpfSyntaxError):
        parse(text)
    _, errors = parse_lenient(text)
    assert all(isinstance(e, SpfSyntaxError) for e in errors)
    assert is_spf_record(text)


@FAST
@given(st.one_of(st.text(max_size=60), st.lists(st.one_of(SPF_TERMS, DIGITS), max_size=8).map("".join)))
def test_spf_macro_string(text: str) -> None:
    for explanation in (False, True):
        with contextlib.suppress(MacroError):
            parse_macro_string(text, explanation=explanation)


@settings(max_examples=60, deadline=None)
@given(SPF_RECORDS, SPF_RECORDS, st.sampled_from(["192.0.2.1", "2001:db8::1"]), st.text(max_size=20))
def test_spf_tree_rules_and_check_host_over_arbitrary_records(root: str, child: str, ip: str, local: str) -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", root)
    zone.add("x.example.net", "TXT", child)
    analysis = asyncio.run(analyze(zone, "example.com"))
    only_findings(spf_findings(analysis, None))
    evaluation = asyncio.run(check_host(zone, ip, "example.com", f"{local}@example.com", "mail.example.com"))
    assert isinstance(evaluation.result, SpfResult) and evaluation.reason


@FAST
@given(st.one_of(st.text(max_size=80), RECORDS), st.sampled_from([("mailto",), ("mailto", "https")]))
def test_tags_and_report_uris(text: str, schemes: tuple[str, ...]) -> None:
    tags, problems = read_tag_list(text, "record", "x.syntax")
    only_findings(problems)
    for tag in tags:
        uris, uri_problems = parse_uri_list(tag.value, tag.name, "x.syntax", schemes)
        only_findings(uri_problems)
        assert all(u.size_limit is None or u.size_limit >= 0 for u in uris)
    with contextlib.suppress(ComposeError):
        report_uri("rua", text, schemes)


@FAST
@given(st.one_of(st.text(max_size=80), DIGITS.map(lambda d: f"mail.{d}.example"), DIGITS.map(lambda d: f"{d}.{d}")))
def test_names(text: str) -> None:
    try:
        name = normalize_domain(text, allow_email=True)
    except DomainError:
        return
    assert name.isascii()
    to_unicode(name)
    organizational_domain(name)


@settings(max_examples=60, deadline=None)
@given(st.lists(RECORDS, min_size=1, max_size=3), st.lists(RECORDS, max_size=2))
def test_dmarc_discovery_and_dkim_verification_over_arbitrary_published_records(
    texts: list[str], parents: list[str]
) -> None:
    zone = MemorySource()
    zone.add_name("example.com")
    for text in texts:
        zone.add("_dmarc.mail.example.com", "TXT", text)
        zone.add("sel._domainkey.example.com", "TXT", text)
    for text in parents:
        zone.add("_dmarc.example.com", "TXT", text)
    discovery = asyncio.run(discover_policy(zone, "mail.example.com"))
    assert discovery.record is None or isinstance(discovery.record.problems, tuple)
    result = asyncio.run(verify(MemoryViews(zone), "example.com", "sel", texts[0]))
    only_findings(result.findings)


@FAST
@given(st.one_of(st.text(max_size=200), POLICY_LINES), st.lists(st.text(max_size=30), max_size=3))
def test_mta_sts_policy_findings(text: str, hosts: list[str]) -> None:
    only_findings(policy_findings(parse_policy(text), hosts))


@given(NUMBERISH)
def test_ascii_number_reads_only_ascii_digits(text: str) -> None:
    assert ascii_number(text, 10**30) is None  # every example holds at least one non-ASCII digit


@pytest.mark.parametrize(
    "text",
    [
        "v=DMARC1; p=none; pct=²",
        "v=DMARC1; p=none; ri=٣",
        "v=DMARC1; p=none; rua=mailto:a@example.com!²m",
        "v=spf1 ip4:192.0.2.0/² -all",
        "v=spf1 ip4:١٩٢.0.2.1 -all",
        "v=spf1 a//٣ -all",
        "v=spf1 exists:%{i٣}.example.com -all",
    ],
)
def test_the_known_crashes_are_findings_or_syntax_errors(text: str) -> None:
    if text.startswith("v=spf1"):
        with pytest.raises(SpfSyntaxError):
            parse(text)
    else:
        assert not parse_dmarc(text).valid
