"""The SPF parser and renderer: terms with positions, errors that name the term, round trips."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wizard.core.spf.macro import Macro, parse_macro_string
from wizard.core.spf.record import (
    Kind,
    Mechanism,
    Modifier,
    Qualifier,
    SpfRecord,
    SpfSyntaxError,
    is_spf,
    is_spf_record,
    parse,
    parse_lenient,
    parse_term,
    render_txt,
)


def test_terms_carry_kind_qualifier_cidr_and_position() -> None:
    text = "v=spf1 -a:mail.example.com/24//64 ~mx ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.google.com ?all"
    record = parse(text)
    a, mx, ip4, ip6, include, all_ = record.mechanisms
    assert (a.kind, a.qualifier, a.domain, a.cidr4, a.cidr6) == (Kind.A, Qualifier.FAIL, "mail.example.com", 24, 64)
    assert text[a.start : a.start + len(a.text)] == "-a:mail.example.com/24//64"
    assert (mx.kind, mx.qualifier, mx.domain) == (Kind.MX, Qualifier.SOFTFAIL, None)
    assert ip4.ip == IPv4Address("192.0.2.0") and ip4.cidr4 == 24
    assert ip6.ip == IPv6Address("2001:db8::") and ip6.cidr6 == 32
    assert include.domain == "_spf.google.com" and include.qualifier is Qualifier.PASS
    assert all_.kind is Kind.ALL and record.all is all_


def test_modifiers_are_kept_including_unknown_ones() -> None:
    record = parse("v=spf1 mx redirect=_spf.example.com exp=explain.%{d} Foo-bar=%{i}.x")
    assert record.redirect == Modifier("redirect", "_spf.example.com")
    assert record.exp is not None and record.exp.value == "explain.%{d}"
    assert Modifier("foo-bar", "%{i}.x") in record.terms
    assert record.render() == "v=spf1 mx redirect=_spf.example.com exp=explain.%{d} foo-bar=%{i}.x"


def test_macros_are_parsed_with_their_transformers() -> None:
    parsed = parse_macro_string("%{ir}.%{v}._spf.%{D2}")
    assert parsed.tokens == (Macro("i", reverse=True), ".", Macro("v"), "._spf.", Macro("d", True, 2))
    assert parsed.ends_with_macro


@pytest.mark.parametrize(
    ("record", "term", "reason"),
    [
        ("v=spf1 a:museum -all", "a:museum", "not a domain name"),
        ("v=spf1 ip4:192.0.2.300 -all", "ip4:192.0.2.300", "full IPv4 address"),
        ("v=spf1 ip4:192.0.2.1/33", "ip4:192.0.2.1/33", "0 to 32"),
        ("v=spf1 include -all", "include", "include needs a domain"),
        ("v=spf1 redirect:example.com", "redirect:example.com", "redirect is a modifier"),
        ("v=spf1 foo:bar", "foo:bar", "unknown mechanism 'foo'"),
        ("v=spf1 -all/8", "-all/8", "all takes no"),
        ("v=spf1 exists:%{x}.example.com", "exists:%{x}.example.com", "not a macro letter"),
        ("v=spf1 a:%zz.example.com", "a:%zz.example.com", "must be followed by"),
        ("v=spf1 ptr/24", "ptr/24", "ptr takes no CIDR"),
        ("v=spf1 redirect=a.example.com redirect=b.example.com", "redirect=b.example.com", "only once"),
        ("v=spf1 a:caf\u00e9.example.com", "a:caf\u00e9.example.com", "U+00E9"),
    ],
)
def test_errors_name_the_term_and_where_it_is(record: str, term: str, reason: str) -> None:
    with pytest.raises(SpfSyntaxError) as caught:
        parse(record)
    error = caught.value
    assert error.term == term
    assert reason in str(error)
    assert record[error.start : error.end] == term


def test_lenient_parse_keeps_good_terms_and_lists_every_bad_one() -> None:
    record, errors = parse_lenient("v=spf1 include:_spf.mycimcloud.com a:bad ip4:1.2.3 ~all")
    assert [t.render() for t in record.terms] == ["include:_spf.mycimcloud.com", "~all"]
    assert [e.term for e in errors] == ["a:bad", "ip4:1.2.3"]


@pytest.mark.parametrize(
    ("text", "is_record"),
    [("v=spf1 -all", True), ("V=SPF1 -all", True), ("v=Spf1", True),  # RFC 7208 4.5 / ABNF: case-insensitive
     ("v=spf1\t-all", False), (" v=spf1 -all", False), ("v=spf1mx", False), ("v = spf1 -all", False)],
)  # fmt: skip
def test_spf_recogniser_is_case_insensitive_but_exact_otherwise(text: str, is_record: bool) -> None:
    assert is_spf_record(text) is is_record


def test_version_must_be_followed_by_a_space_or_the_end() -> None:
    assert is_spf("v=spf1") and is_spf("V=SPF1 -all")
    assert not is_spf("v=spf1mx") and not is_spf("v=spf10") and not is_spf("spf1 -all")
    with pytest.raises(SpfSyntaxError, match="must start with v=spf1"):
        parse("v=spf2.0/pra -all")


def test_a_ten_thousand_term_record_parses_and_renders() -> None:
    text = "v=spf1 " + " ".join(f"ip4:10.{i // 256 % 256}.{i % 256}.1" for i in range(10_000)) + " -all"
    record = parse(text)
    assert len(record.terms) == 10_001
    assert parse(record.render()) == record


def test_txt_rendering_splits_into_255_octet_strings() -> None:
    value = "v=spf1 " + " ".join(f"include:service{i}.example.com" for i in range(20)) + " ~all"
    rendering = render_txt(value)
    assert len(value) > 255
    assert all(len(s.encode()) <= 255 for s in rendering.strings)
    assert "".join(rendering.strings) == value
    assert rendering.zone_file.startswith('"v=spf1 ') and rendering.zone_file.count('" "') == len(rendering.strings) - 1


# Property tests: records built from valid terms survive render -> parse, and junk never escapes as another error.

_labels = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
_domains = st.builds(lambda a, b: f"{a}.{b}", _labels, st.sampled_from(["com", "net", "example", "xn--zckzah"]))
_qualifiers = st.sampled_from(list(Qualifier))
_mechanisms = st.one_of(
    st.builds(lambda q: Mechanism(Kind.ALL, q), _qualifiers),
    st.builds(lambda q, d: Mechanism(Kind.INCLUDE, q, d), _qualifiers, _domains),
    st.builds(lambda q, d: Mechanism(Kind.EXISTS, q, d), _qualifiers, _domains),
    st.builds(lambda q, d: Mechanism(Kind.PTR, q, d), _qualifiers, st.none() | _domains),
    st.builds(
        lambda k, q, d, c4, c6: Mechanism(k, q, d, None, c4, c6),
        st.sampled_from([Kind.A, Kind.MX]),
        _qualifiers,
        st.none() | _domains,
        st.none() | st.integers(0, 32),
        st.none() | st.integers(0, 128),
    ),
    st.builds(
        lambda q, ip, c: Mechanism(Kind.IP4, q, None, ip, c),
        _qualifiers,
        st.ip_addresses(v=4),
        st.none() | st.integers(0, 32),
    ),
    st.builds(
        lambda q, ip, c: Mechanism(Kind.IP6, q, None, ip, None, c),
        _qualifiers,
        st.ip_addresses(v=6),
        st.none() | st.integers(0, 128),
    ),
)
_modifiers = st.builds(Modifier, st.from_regex(r"[a-z][a-z0-9._-]{0,8}", fullmatch=True), _domains)


@given(st.lists(_mechanisms | _modifiers.filter(lambda m: m.name not in ("redirect", "exp")), max_size=12))
def test_render_then_parse_gives_the_same_terms(terms: list[Mechanism | Modifier]) -> None:
    record = SpfRecord(tuple(terms))
    assert parse(record.render()).terms == record.terms
    assert parse(parse(record.render()).render()).terms == record.terms


@given(st.text(max_size=80))
def test_parser_raises_only_its_own_error_on_junk(junk: str) -> None:
    for text in (junk, "v=spf1 " + junk):
        try:
            record = parse(text)
        except SpfSyntaxError as exc:
            assert str(exc)
            continue
        assert parse(record.render()) == record


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40))
def test_any_visible_ascii_term_parses_or_names_itself(term: str) -> None:
    try:
        parse_term(term)
    except SpfSyntaxError as exc:
        assert exc.term == term
