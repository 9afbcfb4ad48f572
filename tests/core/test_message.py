"""Messages offline: parsing what the admin gives, the receiver's headers, alignment, and the activation proof."""

from __future__ import annotations

from ipaddress import ip_address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.core.outlook_file import HEADERS_STREAM, outlook_msg
from wizard.core.answers import Answer, Outcome, TxtRecord
from wizard.core.dmarc.record import Alignment
from wizard.core.message import parse as parse_module
from wizard.core.message.outlook import is_outlook_msg, transport_headers
from wizard.core.message.parse import MessageError, parse_message
from wizard.core.message.received import connection, parse_authentication_results, receiver_view, strip_comments
from wizard.core.message.signatures import DkimVerdict, verify_signatures
from wizard.core.message.verdict import aligned
from wizard.core.proof import ActivationProof, ProofKind, ProofVerdict, activation_proven, proof_from_json, statement

MSG = b"From: Shop <orders@Shop.Example.com>\nTo: a@b.example\nSubject: hi\n\nbody\n"


def test_bare_line_feeds_become_crlf_and_the_from_domain_is_read() -> None:
    parsed = parse_message(MSG)
    assert parsed.raw == MSG.replace(b"\n", b"\r\n")
    assert (parsed.from_domain, parsed.complete) == ("shop.example.com", True)
    assert parsed.values("subject") == ["hi"]


def test_folded_fields_are_unfolded_and_an_mbox_line_skipped() -> None:
    parsed = parse_message(b"From someone Tue Dec  1 09:00:00 2026\r\n" + b"Subject: a\r\n  b\r\n" + MSG)
    assert parsed.values("Subject") == ["a b", "hi"]


def test_headers_only_is_not_complete() -> None:
    parsed = parse_message(MSG.split(b"\n\n")[0])
    assert not parsed.complete
    assert [f.code for f in parsed.notes] == ["message.headers-only"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"From: a@b.example\r\nFrom: c@d.example\r\n\r\nx", "message.no-from"),
        (b"From: a@b.example, c@d.example\r\n\r\nx", "message.no-from"),
        (b"From: undisclosed\r\n\r\nx", "message.no-from"),
        (b"From: a@[192.0.2.1]\r\n\r\nx", "message.no-from"),
        (b"   \r\n\r\n", "message.malformed"),
        (b"From: a@b.example\r\n<html>\r\n\r\nx", "message.malformed"),
    ],
)
def test_unusable_input_is_refused_with_a_finding(raw: bytes, code: str) -> None:
    with pytest.raises(MessageError) as caught:
        parse_message(raw)
    assert caught.value.finding.code == code


def test_a_too_large_file_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_module, "MAX_MESSAGE_BYTES", 100)
    with pytest.raises(MessageError) as caught:
        parse_message(MSG + b"x" * 200)
    assert caught.value.finding.code == "message.too-large"


def test_a_header_block_with_no_end_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_module, "MAX_HEADER_BYTES", 1000)
    with pytest.raises(MessageError):
        parse_message(b"From: a@b.example\r\n" + b"X-Pad: " + b"y" * 2000 + b"\r\n")


def test_authentication_results_with_comments_and_quotes() -> None:
    view = parse_authentication_results(
        'mx.google.com; dkim=pass header.i=@shop.example header.s=cimcloud-1 header.b="Ab/cD"; '
        "spf=pass (google.com: domain of b@shop.example designates 198.51.100.7 as permitted sender) "
        "smtp.mailfrom=b@shop.example; dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=shop.example"
    )
    assert view.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in view.results] == [("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]
    assert view.of("dkim")[0].get("header.s") == "cimcloud-1"
    assert view.of("spf")[0].get("smtp.mailfrom") == "b@shop.example"


def test_microsofts_authentication_results_without_an_authserv_id() -> None:
    view = parse_authentication_results(
        "spf=pass (sender IP is 198.51.100.7) smtp.mailfrom=shop.example; dkim=pass (signature was verified) "
        "header.d=shop.example;dmarc=pass action=none header.from=shop.example;compauth=pass reason=100"
    )
    assert view.authserv_id == ""
    assert [(r.method, r.result) for r in view.results] == [
        ("spf", "pass"), ("dkim", "pass"), ("dmarc", "pass"), ("compauth", "pass")]  # fmt: skip
    assert view.of("dkim")[0].get("header.d") == "shop.example"


def test_comments_nest() -> None:
    assert strip_comments("a (b (c) d) e") == "a  e"


def received(*fields: str) -> bytes:
    return ("\r\n".join(fields) + "\r\nFrom: a@shop.example\r\n\r\nbody\r\n").encode()


def test_the_connecting_ip_comes_from_received_spf_first() -> None:
    parsed = parse_message(received(
        "Received-SPF: pass (mx: domain designates) client-ip=198.51.100.7; envelope-from=<b@shop.example>; helo=web1;",
        "Received: from web9 (web9 [203.0.113.9]) by mx; Tue, 1 Dec 2026",
    ))  # fmt: skip
    found = connection(parsed)
    assert found is not None
    assert (found.ip, found.mail_from, found.helo, found.source) == (
        ip_address("198.51.100.7"), "b@shop.example", "web1", "Received-SPF")  # fmt: skip


def test_received_skips_internal_hops_and_takes_return_path() -> None:
    parsed = parse_message(received(
        "Received: by 2002:a05:6a10:1234 with SMTP id x; Tue, 1 Dec 2026",
        "Received: from relay (relay.internal [10.1.2.3]) by mx; Tue, 1 Dec 2026",
        "Received: from web1.mycimcloud.example (web1 [IPv6:2001:db8:c1::7]) by relay; Tue, 1 Dec 2026",
        "Return-Path: <bounce@shop.example>",
    ))  # fmt: skip
    found = connection(parsed)
    assert found is not None
    assert (str(found.ip), found.mail_from, found.source) == ("2001:db8:c1::7", "bounce@shop.example", "Received")


def test_no_receiving_headers_means_no_connection_and_no_view() -> None:
    parsed = parse_message(MSG)
    assert connection(parsed) is None
    assert receiver_view(parsed) is None


@pytest.mark.parametrize(
    ("identifier", "mode", "want"),
    [
        ("shop.example.com", Alignment.STRICT, True),
        ("mail.shop.example.com", Alignment.STRICT, False),
        ("mail.shop.example.com", Alignment.RELAXED, True),
        ("example.com", Alignment.RELAXED, True),
        ("mycimcloud.com", Alignment.RELAXED, False),
        ("", Alignment.RELAXED, False),
    ],
)
def test_alignment(identifier: str, mode: Alignment, want: bool) -> None:
    assert aligned(identifier, "shop.example.com", mode) is want


def test_an_outlook_msg_without_internet_headers_is_refused() -> None:
    with pytest.raises(MessageError) as caught:
        transport_headers(
            outlook_msg("x").replace(HEADERS_STREAM.encode("utf-16-le"), "__substg1.0_0037001F".encode("utf-16-le"))
        )
    assert "no internet headers" in caught.value.finding.message


def test_a_file_that_is_not_outlook_is_told_apart() -> None:
    assert not is_outlook_msg(MSG)
    with pytest.raises(MessageError) as caught:
        transport_headers(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert caught.value.finding.code == "message.malformed"


def proof(kind: ProofKind, verdict: ProofVerdict, when: float, domain: str = "shop.example") -> ActivationProof:
    return ActivationProof(kind, domain, verdict, when, "evidence")


def test_activation_proven_prefers_evidence_over_a_statement() -> None:
    said = statement("shop.example", 300)
    message = proof(ProofKind.MESSAGE, ProofVerdict.PROVEN, 100)
    assert activation_proven([said, message], "shop.example") == message
    assert activation_proven([said], "Shop.Example.") == said
    assert said.opens_enforcement and said.is_statement


def test_partial_or_failed_evidence_and_other_domains_never_count() -> None:
    proofs = [
        proof(ProofKind.MESSAGE, ProofVerdict.PARTIAL, 100),
        proof(ProofKind.REPORTS, ProofVerdict.NOT_PROVEN, 200),
        proof(ProofKind.MESSAGE, ProofVerdict.PROVEN, 300, domain="other.example"),
    ]
    assert activation_proven(proofs, "shop.example") is None


def test_a_proof_round_trips_through_json_and_junk_is_refused() -> None:
    original = proof(ProofKind.REPORTS, ProofVerdict.PROVEN, 1764201600.5)
    assert proof_from_json(original.to_json()) == original
    for junk in ([], {"kind": "dream", "domain": "a", "verdict": "proven", "when": 1},
                 {"kind": "message", "domain": "a", "verdict": "proven", "when": True}):  # fmt: skip
        with pytest.raises((ValueError, TypeError, KeyError)):
            proof_from_json(junk)


SIGNED = b"DKIM-Signature: v=1; a=rsa-sha256; d=shop.example; s=cimcloud-1; h=from:subject; bh=AAAA; b=AAAA\r\n" + MSG


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=len(SIGNED)))
def test_junk_never_raises_anything_but_a_finding(junk: bytes, at: int) -> None:
    key = Answer("cimcloud-1._domainkey.shop.example", "TXT", Outcome.OK, txt=(TxtRecord((b"v=DKIM1; p=AAAA",)),))
    for raw in (junk, SIGNED[:at] + junk + SIGNED[at:]):
        try:
            parsed = parse_message(raw)
        except MessageError as exc:
            assert exc.finding.code.startswith("message.")
            continue
        for check in verify_signatures(parsed, {"cimcloud-1._domainkey.shop.example": key}):
            assert check.verdict is not DkimVerdict.PASS
        connection(parsed)
        receiver_view(parsed)
