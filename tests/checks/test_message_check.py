"""The message check against the BIND lab: messages signed with dkimpy, keys published by RFC 2136 updates."""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.checks.mail import CIMCLOUD_IP, DOMAIN, SELECTOR, delivered, message, publish_key, sign
from tests.lab import Lab
from tests.lab.plugin import ZONES
from wizard.checks.message import check_message, read_message
from wizard.core.message.parse import MessageError
from wizard.core.message.signatures import DkimVerdict
from wizard.core.message.verdict import DmarcResult, MessageAnalysis
from wizard.core.spf.evaluate import SpfResult
from wizard.lookup.lookup import Lookup

pytestmark = pytest.mark.lab
PASSED = "dkim=pass header.d=shop-proof.test"  # what the receiver said on arrival


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One lab for the module, with the keys published the way an admin publishes them."""
    started = Lab.start(ZONES, tmp_path_factory.mktemp("lab"))
    try:
        publish_key(started, DOMAIN, SELECTOR, "cimcloud")
        publish_key(started, DOMAIN, "cimcloud-rotated", "new")  # the key now published; mail was signed with "old"
        publish_key(started, "mycimcloud.com", "platform", "platform")
        yield started
    finally:
        started.stop()


def check(lab: Lab, raw: bytes) -> MessageAnalysis:
    return asyncio.run(check_message(read_message(raw), Lookup(lab.settings())))


def codes(analysis: MessageAnalysis) -> list[str]:
    return [f.code for f in analysis.findings]


def test_cimcloud_signed_and_aligned_proves_activation(lab: Lab) -> None:
    analysis = check(lab, delivered(sign(message()), results=PASSED + "; spf=pass; dmarc=pass"))
    (d,) = analysis.dkim
    assert (d.check.verdict, d.aligned, d.check.signature.cimcloud) == (DkimVerdict.PASS, True, True)
    assert analysis.spf is not None
    assert (str(analysis.spf.connection.ip), analysis.spf.evaluation.result) == (CIMCLOUD_IP, SpfResult.PASS)
    assert analysis.spf.aligned
    assert analysis.dmarc.result is DmarcResult.PASS
    assert analysis.dmarc.aligned_by == ("dkim", "spf")
    assert analysis.cimcloud_signing
    assert "message.cimcloud-signing" in codes(analysis)
    assert "message.receiver-disagrees" not in codes(analysis)


def test_signed_by_the_platform_domain_only_is_unaligned(lab: Lab) -> None:
    raw = delivered(sign(message(), domain="mycimcloud.com", selector="platform", key="platform"),
                    mail_from="bounce@mycimcloud.com")  # fmt: skip
    analysis = check(lab, raw)
    (d,) = analysis.dkim
    assert (d.check.verdict, d.aligned) == (DkimVerdict.PASS, False)
    assert analysis.dmarc.result is DmarcResult.FAIL
    assert not analysis.cimcloud_signing
    assert {"message.dkim-unaligned", "message.not-cimcloud", "message.dmarc-fail"} <= set(codes(analysis))


def test_body_changed_after_signing_fails_on_the_body_hash(lab: Lab) -> None:
    raw = delivered(sign(message()).replace(b"ship tomorrow", b"ship next week"), results=PASSED)
    analysis = check(lab, raw)
    (d,) = analysis.dkim
    assert d.check.verdict is DkimVerdict.FAIL
    assert "body hash" in d.check.reason
    assert not analysis.cimcloud_signing
    disagreement = next(f for f in analysis.findings if f.code == "message.receiver-disagrees")
    assert "body was changed" in disagreement.message


def test_key_rotated_since_signing_fails_and_says_so(lab: Lab) -> None:
    raw = delivered(sign(message(), selector="cimcloud-rotated", key="old"), results=PASSED)
    analysis = check(lab, raw)
    (d,) = analysis.dkim
    assert d.check.verdict is DkimVerdict.FAIL
    assert "rotated" in d.check.reason
    disagreement = next(f for f in analysis.findings if f.code == "message.receiver-disagrees")
    assert "key at cimcloud-rotated._domainkey.shop-proof.test has changed" in disagreement.message


def test_an_l_tag_verifies_and_is_flagged(lab: Lab) -> None:
    signed = sign(message(), length=True) + b"-- appended by a list --\r\n"
    analysis = check(lab, delivered(signed))
    (d,) = analysis.dkim
    assert d.check.verdict is DkimVerdict.PASS
    assert d.check.signature.body_length is not None
    assert "message.dkim-length" in codes(analysis)


def test_two_signatures_one_failing_still_passes_on_the_good_one(lab: Lab) -> None:
    good = sign(message())
    both = sign(good, domain="mycimcloud.com", selector="missing", key="platform")  # no key at missing._domainkey
    analysis = check(lab, delivered(both))
    verdicts = {d.check.signature.selector: d.check.verdict for d in analysis.dkim}
    assert verdicts == {"missing": DkimVerdict.PERMERROR, SELECTOR: DkimVerdict.PASS}
    assert analysis.dmarc.result is DmarcResult.PASS
    assert analysis.cimcloud_signing
    assert "message.dkim-failed" in codes(analysis)


def test_headers_only_is_partial_never_proven(lab: Lab) -> None:
    full = delivered(sign(message()))
    headers = full.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    analysis = check(lab, headers)
    (d,) = analysis.dkim
    assert not analysis.complete
    assert d.check.verdict is DkimVerdict.PARTIAL
    assert not analysis.cimcloud_signing
    assert analysis.cimcloud_partial
    assert "message.cimcloud-partial" in codes(analysis)


def test_headers_only_with_a_tampered_header_fails(lab: Lab) -> None:
    headers = delivered(sign(message())).split(b"\r\n\r\n", 1)[0].replace(b"order #1001", b"order #9999")
    (d,) = check(lab, headers).dkim
    assert d.check.verdict is DkimVerdict.FAIL


def test_no_dkim_signature_says_signing_is_not_active(lab: Lab) -> None:
    analysis = check(lab, delivered(message()))
    assert analysis.dkim == ()
    assert "message.no-signature" in codes(analysis)
    assert analysis.dmarc.result is DmarcResult.PASS  # SPF aligned still passes DMARC
    assert analysis.dmarc.aligned_by == ("spf",)
    assert not analysis.cimcloud_signing


def test_a_domain_without_dmarc_gives_none(lab: Lab) -> None:
    analysis = check(lab, delivered(message(from_addr="info@nospf.test")))
    assert analysis.dmarc.result is DmarcResult.NONE
    assert "message.no-dmarc" in codes(analysis)


@pytest.mark.parametrize(
    "raw", [b"", b"hello, this is not mail\r\n", b"\x00\x01\x02garbage", b"Subject: no from\r\n\r\nbody\r\n"]
)
def test_malformed_input_is_refused_with_a_finding(raw: bytes) -> None:
    with pytest.raises(MessageError) as caught:
        read_message(raw)
    assert caught.value.finding.code in ("message.malformed", "message.no-from")


def test_a_25_mb_attachment_is_checked_quickly_in_bounded_memory(lab: Lab) -> None:
    attachment = (b"QUJD" * 19 + b"\r\n") * (25 * 1024 * 1024 // 78)  # 25 MB of base64 lines
    body = b"Your invoice is attached.\r\n" + attachment
    raw = delivered(sign(message(body=body)))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    analysis = check(lab, raw)
    elapsed = time.monotonic() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert analysis.cimcloud_signing
    assert elapsed < 10, elapsed
    assert grown_mb < 8 * len(raw) / (1024 * 1024), grown_mb  # a few copies of the message, no MIME tree


def test_saved_with_bare_line_feeds_still_verifies(lab: Lab, tmp_path: Path) -> None:
    raw = delivered(sign(message())).replace(b"\r\n", b"\n")
    assert check(lab, raw).cimcloud_signing
