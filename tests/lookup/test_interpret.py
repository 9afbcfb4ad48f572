"""How one server's reply becomes an Answer, for replies a lab server cannot easily be made to send."""

import dns.message
import dns.name

from wizard.core.answers import Answer, Outcome
from wizard.lookup.lookup import _interpret

QNAME = dns.name.from_text("example.test.")


def interpret(rcode: str = "NOERROR", flags: str = "QR AA", answer: str = "", authority: str = "") -> Answer:
    """The Answer for a reply to `example.test. IN TXT` with the given sections (zone-file lines)."""
    text = f"id 1\nopcode QUERY\nrcode {rcode}\nflags {flags}\n;QUESTION\nexample.test. IN TXT\n"
    text += f";ANSWER\n{answer}\n" if answer else ""
    text += f";AUTHORITY\n{authority}\n" if authority else ""
    return _interpret(dns.message.from_text(text), QNAME, "example.test", "TXT", "ns1", recursive=False)


def test_txt_answer_keeps_strings_and_ttl() -> None:
    answer = interpret(answer='example.test. 300 IN TXT "v=spf1 " "-all"')
    assert answer.outcome is Outcome.OK
    assert answer.texts == ["v=spf1 -all"]
    assert answer.txt[0].strings == (b"v=spf1 ", b"-all")
    assert answer.ttl == 300


def test_nodata_carries_the_negative_ttl_from_the_soa() -> None:
    answer = interpret(authority="example.test. 3600 IN SOA ns1.example.test. h.example.test. 1 3600 600 86400 120")
    assert answer.outcome is Outcome.NODATA
    assert answer.ttl == 120


def test_referral_without_aa_is_a_lame_delegation() -> None:
    answer = interpret(flags="QR", authority="example.test. 3600 IN NS ns9.elsewhere.test.")
    assert answer.outcome is Outcome.ERROR
    assert "lame delegation" in answer.detail


def test_refused_and_servfail_are_typed() -> None:
    assert interpret("REFUSED", "QR").outcome is Outcome.REFUSED
    assert interpret("SERVFAIL", "QR").outcome is Outcome.SERVFAIL
    assert interpret("FORMERR", "QR").outcome is Outcome.ERROR


def test_cname_to_data_elsewhere_is_an_alias_to_follow() -> None:
    answer = interpret(answer="example.test. 300 IN CNAME key.provider.test.")
    assert answer.outcome is Outcome.OK
    assert answer.values == ()
    assert answer.canonical == "key.provider.test"


def test_cname_within_the_reply_is_followed() -> None:
    answer = interpret(answer='example.test. 300 IN CNAME other.example.test.\nother.example.test. 60 IN TXT "hello"')
    assert answer.texts == ["hello"]
    assert answer.canonical == "other.example.test"
    assert answer.ttl == 60
