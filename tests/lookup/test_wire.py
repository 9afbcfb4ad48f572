"""The lean reply reader agrees with dnspython on every reply it reads, and leaves the rest to dnspython."""

from __future__ import annotations

import socket
import struct

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rrset
import dns.tsig
import dns.tsigkeyring
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.lab import Lab
from wizard.lookup import wire
from wizard.lookup.lookup import _reply
from wizard.lookup.wire import Reply

QUESTION = "example.test."


def reply_wire(
    *,
    rcode: str = "NOERROR",
    flags: str = "QR AA RD",
    answer: tuple[str, ...] = (),
    authority: tuple[str, ...] = (),
    additional: tuple[str, ...] = (),
    rdtype: str = "TXT",
    edns: bool = True,
) -> bytes:
    """A reply as a server sends it (dnspython renders it, compressing names), sections as zone-file lines."""
    text = f"id 4660\nopcode QUERY\nrcode {rcode}\nflags {flags}\n"
    if edns:
        text += "edns 0\npayload 1232\n"
    text += f";QUESTION\n{QUESTION} IN {rdtype}\n"
    for title, lines in (("ANSWER", answer), ("AUTHORITY", authority), ("ADDITIONAL", additional)):
        if lines:
            text += f";{title}\n" + "\n".join(lines) + "\n"
    return dns.message.from_text(text).to_wire()


def separate_rrsets(lines: tuple[str, ...]) -> bytes:
    """A reply whose records each go on the wire with their own TTL (as rendered, an rrset has one TTL)."""
    message = dns.message.from_wire(reply_wire())
    for line in lines:
        owner, ttl, _, rdtype, rdata = line.split(" ", 4)
        message.answer.append(dns.rrset.from_text(owner, int(ttl), "IN", rdtype, rdata))
    return message.to_wire()


SOA = "example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 7 3600 600 86400 120"
CASES = {
    "txt-strings": reply_wire(answer=('example.test. 300 IN TXT "v=spf1 " "include:_spf.google.com ~all"',)),
    "txt-binary-and-quotes": reply_wire(answer=('example.test. 60 IN TXT "a\\"b\\\\c\\255\\000 " ""',)),
    "txt-two-records-two-ttls": separate_rrsets(
        ('example.test. 200 IN TXT "one"', 'example.test. 100 IN TXT "two"', 'example.test. 300 IN TXT "one"')
    ),
    "nodata-soa": reply_wire(authority=(SOA,)),
    "nxdomain-soa": reply_wire(rcode="NXDOMAIN", authority=(SOA,)),
    "referral-with-glue": reply_wire(
        flags="QR",
        authority=("example.test. 3600 IN NS ns1.example.test.", "example.test. 3600 IN NS NS2.Example.TEST."),
        additional=("ns1.example.test. 3600 IN A 192.0.2.1", "ns1.example.test. 3600 IN AAAA 2001:db8::1"),
    ),
    "cname-chain": reply_wire(
        answer=(
            "example.test. 300 IN CNAME Alias.Example.test.",
            "alias.example.test. 300 IN CNAME final.other.test.",
            'final.other.test. 30 IN TXT "at the end"',
        )
    ),
    "mx": reply_wire(rdtype="MX", answer=("example.test. 300 IN MX 10 mx.Example.test.", "example.test. 60 IN MX 0 .")),
    "a": reply_wire(rdtype="A", answer=("example.test. 300 IN A 192.0.2.25", "example.test. 300 IN A 192.0.2.26")),
    "aaaa-forms": reply_wire(
        rdtype="AAAA",
        answer=(
            "example.test. 300 IN AAAA 2001:db8:0:0:1:0:0:1",
            "example.test. 300 IN AAAA ::ffff:192.0.2.1",
            "example.test. 300 IN AAAA ::1",
        ),
    ),
    "soa-answer": reply_wire(rdtype="SOA", answer=(SOA,)),
    "ptr-and-dname": reply_wire(
        rdtype="PTR",
        answer=("example.test. 300 IN DNAME elsewhere.test.", "example.test. 300 IN PTR host.example.test."),
    ),
    "escaped-names": reply_wire(
        answer=(
            "example.test. 300 IN CNAME a\\032space.ex\\.ample.test.",
            'a\\032space.ex\\.ample.test. 300 IN TXT "odd"',
        )
    ),
    "servfail": reply_wire(rcode="SERVFAIL"),
    "extended-rcode": reply_wire(rcode="BADVERS"),
    "no-edns": reply_wire(edns=False, answer=('example.test. 300 IN TXT "x"',)),
}


@pytest.mark.parametrize("data", CASES.values(), ids=CASES.keys())
def test_the_reader_agrees_with_dnspython(data: bytes) -> None:
    fast = wire.read(data)
    assert fast is not None, "an ordinary reply is read without dnspython"
    assert fast == Reply.from_message(dns.message.from_wire(data), data)


def test_the_fields_are_the_ones_the_lookup_layer_reads() -> None:
    fast = wire.read(CASES["txt-two-records-two-ttls"])
    assert fast is not None and fast.authoritative and fast.rcode == dns.rcode.NOERROR
    (rrset,) = fast.answer
    assert rrset.strings == ((b"one",), (b"two",)) and rrset.ttl == 100, "one record twice is one record"
    chain = wire.read(CASES["cname-chain"])
    assert chain is not None and chain.answer[0].target == "alias.example.test"
    assert wire.read(CASES["extended-rcode"]) == Reply(dns.rcode.BADVERS, True, (), (), CASES["extended-rcode"])


def with_tsig() -> bytes:
    message = dns.message.from_wire(CASES["nodata-soa"])
    keyring = dns.tsigkeyring.from_text({"key.": "c2VjcmV0c2VjcmV0c2VjcmV0"})
    message.use_tsig(keyring, "key.", algorithm=dns.tsig.HMAC_SHA256)
    return message.to_wire()


def pointer_loop() -> bytes:
    data = bytearray(CASES["nodata-soa"])
    at = data.index(b"\xc0\x0c")  # the SOA owner points at the question's name: make it point at itself
    data[at : at + 2] = struct.pack("!H", 0xC000 | at)
    return bytes(data)


UNUSUAL = {
    "other-type": reply_wire(answer=("example.test. 300 IN HINFO cpu os",)),
    "other-class": dns.message.from_text(
        "id 1\nflags QR\n;QUESTION\nexample.test. CH TXT\n;ANSWER\nexample.test. 0 CH TXT x\n"
    ).to_wire(),
    "tsig": with_tsig(),
    "trailing-junk": CASES["a"] + b"\x00",
    "cut-short": CASES["txt-strings"][:-3],
    "pointer-loop": pointer_loop(),
    "truncated": reply_wire(flags="QR TC"),
}


@pytest.mark.parametrize("data", UNUSUAL.values(), ids=UNUSUAL.keys())
def test_what_the_reader_does_not_know_is_left_to_dnspython(data: bytes) -> None:
    assert wire.read(data) is None
    try:
        expected = Reply.from_message(dns.message.from_wire(data), data)
    except dns.exception.DNSException:
        with pytest.raises(dns.exception.DNSException):
            _reply(data)  # malformed: the lookup layer reports dnspython's error
    else:
        assert _reply(data) == expected


@pytest.mark.parametrize("recursive", [True, False])
def test_queries_are_the_ones_dnspython_builds(recursive: bool) -> None:
    qname = dns.name.from_text("_dmarc.Example.test.")
    expected = dns.message.make_query(qname, "TXT", use_edns=0, payload=1232)
    expected.id = 4660
    if not recursive:
        expected.flags &= ~dns.flags.RD
    assert wire.make_query(4660, qname, "TXT", recursive=recursive, payload=1232) == expected.to_wire()


def test_a_reply_answers_only_its_own_query() -> None:
    query = wire.make_query(4660, dns.name.from_text(QUESTION), "TXT", recursive=True, payload=1232)
    reply = CASES["txt-strings"]
    assert wire.answers(query, reply)
    assert wire.answers(query, reply[:12] + reply[12:].replace(b"example", b"ExAmPlE", 1)), "0x20: case may differ"
    assert not wire.answers(query, b"\x12\x35" + reply[2:]), "another ID"
    assert not wire.answers(query, query), "the query itself (QR not set)"
    other = wire.make_query(4660, dns.name.from_text("other.test."), "TXT", recursive=True, payload=1232)
    assert not wire.answers(other, reply), "another question"


@pytest.mark.lab
def test_every_lab_reply_reads_as_dnspython_reads_it(dns_lab: Lab) -> None:
    """Real BIND replies (compression, glue, EDNS), authoritative and recursive."""
    questions = [
        ("example.test.", "TXT"), ("example.test.", "SOA"), ("example.test.", "NS"), ("example.test.", "MX"),
        ("nosuch.example.test.", "TXT"), ("_dmarc.example.test.", "TXT"), ("test.", "SOA"),
        ("_spf.google.com.", "TXT"), ("mycimcloud.com.", "NS"), ("ns1.lab.test.", "A"),
    ]  # fmt: skip
    servers = [("127.0.0.1", dns_lab.port, False), ("127.0.0.1", dns_lab.resolver_port, True)]
    read = 0
    for address, port, recursive in servers:
        for name, rdtype in questions:
            query = wire.make_query(7, dns.name.from_text(name), rdtype, recursive=recursive, payload=1232)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(3)
                sock.sendto(query, (address, port))
                data = sock.recv(65535)
            assert wire.answers(query, data)
            fast = wire.read(data)
            assert fast == Reply.from_message(dns.message.from_wire(data), data), (name, rdtype, recursive)
            read += fast is not None
    assert read == len(servers) * len(questions), "every ordinary reply is read without dnspython"


@settings(max_examples=400, deadline=None)
# a pointer into the question's name, whose target overlaps the part that pointed there (found by Hypothesis)
@example(case="referral-with-glue", edits=[(13, 16), (186, 13)], cut=0)
@given(
    case=st.sampled_from(sorted(CASES)),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.integers(min_value=0, max_value=600),
)
def test_a_damaged_reply_is_read_as_dnspython_reads_it_or_left_to_dnspython(
    case: str, edits: list[tuple[int, int]], cut: int
) -> None:
    """A lying or broken server: bytes changed and the message cut anywhere. The lean reader never raises and
    never reads a reply dnspython would refuse or read differently."""
    data = bytearray(CASES[case])
    for where, byte in edits:
        data[where % len(data)] = byte
    damaged = bytes(data[: max(12, len(data) - cut % len(data))])
    fast = wire.read(damaged)
    if fast is None:
        return
    try:
        expected = Reply.from_message(dns.message.from_wire(damaged), damaged)
    except dns.exception.DNSException:
        pytest.fail("the lean reader read a reply that dnspython refuses")
    assert fast == expected
