"""How one server's reply becomes an Answer, for replies a lab server cannot easily be made to send."""

import dns.message
import dns.name

from wizard.core.answers import Outcome
from wizard.lookup.lookup import _interpret

QNAME = dns.name.from_text("example.test.")


def reply(text: str) -> dns.message.Message:
    return dns.message.from_text(text)


def interpret(text: str, rdtype: str = "TXT", *, recursive: bool = False):  # type: ignore[no-untyped-def]
    return _interpret(reply(text), QNAME, "example.test", rdtype, "ns1", recursive=recursive)


def test_txt_answer_keeps_strings_and_ttl() -> None:
    answer = interpret(
        """id 1
opcode QUERY
rcode NOERROR
flags QR AA
;QUESTION
example.test. IN TXT
;ANSWER
example.test. 300 IN TXT "v=spf1 " "-all"
"""
    )
    assert answer.outcome is Outcome.OK
    assert answer.texts == ["v=spf1 -all"]
    assert answer.txt[0].strings == (b"v=spf1 ", b"-all")
    assert answer.ttl == 300


def test_nodata_carries_the_negative_ttl_from_the_soa() -> None:
    answer = interpret(
        """id 1
opcode QUERY
rcode NOERROR
flags QR AA
;QUESTION
example.test. IN TXT
;AUTHORITY
example.test. 3600 IN SOA ns1.example.test. h.example.test. 1 3600 600 86400 120
"""
    )
    assert answer.outcome is Outcome.NODATA
    assert answer.ttl == 120


def test_referral_without_aa_is_a_lame_delegation() -> None:
    answer = interpret(
        """id 1
opcode QUERY
rcode NOERROR
flags QR
;QUESTION
example.test. IN TXT
;AUTHORITY
example.test. 3600 IN NS ns9.elsewhere.test.
"""
    )
    assert answer.outcome is Outcome.ERROR
    assert "lame delegation" in answer.detail


def test_refused_and_servfail_are_typed() -> None:
    base = "id 1\nopcode QUERY\nrcode {}\nflags QR\n;QUESTION\nexample.test. IN TXT\n"
    assert interpret(base.format("REFUSED")).outcome is Outcome.REFUSED
    assert interpret(base.format("SERVFAIL")).outcome is Outcome.SERVFAIL
    assert interpret(base.format("FORMERR")).outcome is Outcome.ERROR


def test_cname_to_data_elsewhere_is_an_alias_to_follow() -> None:
    answer = interpret(
        """id 1
opcode QUERY
rcode NOERROR
flags QR AA
;QUESTION
example.test. IN TXT
;ANSWER
example.test. 300 IN CNAME key.provider.test.
"""
    )
    assert answer.outcome is Outcome.OK
    assert answer.values == ()
    assert answer.canonical == "key.provider.test"


def test_cname_within_the_reply_is_followed() -> None:
    answer = interpret(
        """id 1
opcode QUERY
rcode NOERROR
flags QR AA
;QUESTION
example.test. IN TXT
;ANSWER
example.test. 300 IN CNAME other.example.test.
other.example.test. 60 IN TXT "hello"
"""
    )
    assert answer.texts == ["hello"]
    assert answer.canonical == "other.example.test"
    assert answer.ttl == 60
