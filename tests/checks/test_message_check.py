"""The message check against the BIND lab: messages signed with dkimpy, keys published by RFC 2136 updates."""

from __future__ import annotations

import asyncio
import io
import json
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.checks.mail import CIMCLOUD_IP, DOMAIN, SELECTOR, delivered, message, publish_key, sign
from tests.core.outlook_file import outlook_msg
from tests.lab import Lab
from tests.lab.plugin import ZONES
from wizard.checks.message import check_message, read_message
from wizard.cli import main
from wizard.core.message.parse import MessageError
from wizard.core.message.signatures import DkimVerdict
from wizard.core.message.verdict import DmarcResult, MessageAnalysis, activation_proof
from wizard.core.proof import ProofKind, ProofVerdict
from wizard.core.spf.evaluate import SpfResult
from wizard.lookup.lookup import Lookup

pytestmark = pytest.mark.lab
Capture = pytest.CaptureFixture[str]
PASSED = "dkim=pass header.d=shop-proof.test"  # what the receiver said on arrival


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One lab for the module, with the keys published the way an admin publishes them."""
    started = Lab.start(ZONES, tmp_path_factory.mktemp("lab"))
    try:
        publish_key(started, DOMAIN, SELECTOR, "cimcloud")
        publish_key(started, DOMAIN, "cimcloud-rotated", "new")  # the key now published; mail was signed with "old"
        publish_key(started, "mycimcloud.com", "platform", "platform")
        publish_key(started, DOMAIN, "cimcloud-ed", "ed", ed25519=True)
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
    proof = activation_proof(analysis, 1.0)
    assert (proof.kind, proof.domain, proof.verdict) == (ProofKind.MESSAGE, DOMAIN, ProofVerdict.PROVEN)
    assert proof.evidence == f"whole message: signature d={DOMAIN} s={SELECTOR}; DMARC pass"


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


def test_an_ed25519_signature_verifies(lab: Lab) -> None:
    (d,) = check(lab, delivered(sign(message(), selector="cimcloud-ed", key="ed", ed25519=True))).dkim
    assert d.check.verdict is DkimVerdict.PASS, d.check.reason


def test_rsa_sha1_is_refused(lab: Lab) -> None:
    raw = sign(message()).replace(b"a=rsa-sha256", b"a=rsa-sha1")
    (d,) = check(lab, delivered(raw)).dkim
    assert (d.check.verdict, d.check.reason) == (DkimVerdict.PERMERROR, "a=rsa-sha1 is no longer accepted (RFC 8301)")


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
    assert activation_proof(analysis, 1.0).verdict is ProofVerdict.PARTIAL


def test_an_outlook_msg_gives_its_transport_headers_partial(lab: Lab, tmp_path: Path, capsys: Capture) -> None:
    headers = delivered(sign(message())).split(b"\r\n\r\n", 1)[0].decode() + "\r\n\r\n"
    path = tmp_path / "Your order.msg"
    path.write_bytes(outlook_msg(headers))
    code, out, _ = run_cli(lab, path, capsys, "--json")
    data = json.loads(out)
    assert (code, data["complete"], data["cimcloud_signing"]) == (1, False, False)  # partial: not a pass to rely on
    assert data["dkim"][0]["result"] == "partial"


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
    attachment = (b"QUJD" * 19 + b"\r\n") * (25 * 1024 * 1024 * 4 // 3 // 76)  # 25 MB attached: 34 MB in base64
    body = b"Your invoice is attached.\r\n" + attachment
    raw = delivered(sign(message(body=body)))
    started = time.monotonic()
    tracemalloc.start()
    try:
        analysis = check(lab, raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - started
    assert analysis.cimcloud_signing
    assert elapsed < 10, elapsed
    assert peak < 4 * len(raw), peak / len(raw)  # a few copies of the message, no MIME tree


def test_saved_with_bare_line_feeds_still_verifies(lab: Lab, tmp_path: Path) -> None:
    raw = delivered(sign(message())).replace(b"\r\n", b"\n")
    assert check(lab, raw).cimcloud_signing


def lab_options(lab: Lab) -> list[str]:
    return ["--nameserver", f"127.0.0.1:{lab.resolver_port}", "--dns-port", str(lab.port), "--no-public-resolvers",
            "--timeout", "3"]  # fmt: skip


def run_cli(lab: Lab, path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(["message", str(path), *extra, *lab_options(lab)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_message_command_prints_version_1_json(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "order.eml"
    path.write_bytes(
        delivered(sign(message()), results=PASSED + "; spf=pass smtp.mailfrom=shop-proof.test; dmarc=pass")
    )
    code, out, _ = run_cli(lab, path, capsys, "--json")
    data = json.loads(out)
    assert code == 0
    assert list(data) == ["version", "from_domain", "complete", "dkim", "spf", "dmarc", "cimcloud_signing", "receiver",
                          "findings"]  # fmt: skip
    assert (data["version"], data["from_domain"], data["complete"], data["cimcloud_signing"]) == (
        1, DOMAIN, True, True)  # fmt: skip
    assert data["dkim"] == [{"domain": DOMAIN, "selector": SELECTOR, "result": "pass", "aligned": True,
                             "cimcloud": True, "reason": ""}]  # fmt: skip
    assert data["spf"] == {"ip": CIMCLOUD_IP, "mail_from": f"bounce@{DOMAIN}", "result": "pass", "aligned": True}
    assert data["dmarc"] == {"result": "pass", "policy": "none", "aligned_by": ["dkim", "spf"]}
    assert data["receiver"] == {"dkim": "pass", "spf": "pass", "dmarc": "pass"}


def test_the_message_command_reads_standard_input_and_prints_text(
    lab: Lab, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = delivered(sign(message())).split(b"\r\n\r\n", 1)[0] + b"\r\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(headers)))
    code, out, _ = run_cli(lab, Path("-"), capsys)
    assert code == 1  # DMARC passes as far as headers go (aligned SPF, the signature's header part): not a pass...
    assert "headers only: partial" in out
    assert "CIMcloud signing proven: no" in out  # ...but headers never prove activation
    assert "message.headers-only" in out


def test_no_dmarc_record_exits_1(lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(delivered(message(from_addr="info@nospf.test")))
    code, out, _ = run_cli(lab, path, capsys, "--json")
    assert code == 1
    assert json.loads(out)["dmarc"]["result"] == "none"


def test_a_malformed_message_exits_2_with_the_finding(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "junk.eml"
    path.write_bytes(b"this is not an email\r\nat all\r\n")
    code, out, err = run_cli(lab, path, capsys, "--json")
    assert code == 2
    assert [f["code"] for f in json.loads(out)["findings"]] == ["message.malformed"]
    assert err.startswith("email-auth-wizard: error: This is not an email message")


def test_a_missing_file_exits_2(lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(lab, tmp_path / "none.eml", capsys)
    assert (code, out) == (2, "")
    assert "cannot read" in err


def test_check_with_message_clears_enforced_without_dkim(lab: Lab, tmp_path: Path, capsys: Capture) -> None:
    publish_key(lab, "dmarc-good.test", "cimcloud-good", "good")
    path = tmp_path / "order.eml"
    path.write_bytes(delivered(sign(message(from_addr="orders@dmarc-good.test"), domain="dmarc-good.test",
                                    selector="cimcloud-good", key="good")))  # fmt: skip

    def dmarc(*extra: str) -> dict[str, Any]:
        main(["check", "dmarc-good.test", "--json", *extra, *lab_options(lab)])
        result: dict[str, Any] = json.loads(capsys.readouterr().out)["domains"][0]["checks"]["dmarc"]
        return result

    without = dmarc()
    assert "dmarc.enforced-without-dkim" in [f["code"] for f in without["findings"]]
    proven = dmarc("--message", str(path))
    assert "dmarc.enforced-without-dkim" not in [f["code"] for f in proven["findings"]]
    assert (proven["activation"]["kind"], proven["activation"]["verdict"]) == ("message", "proven")


def test_check_with_a_junk_message_is_bad_input(lab: Lab, tmp_path: Path, capsys: Capture) -> None:
    path = tmp_path / "junk.eml"
    path.write_bytes(b"not a message\r\n")
    assert main(["check", "dmarc-good.test", "--message", str(path), *lab_options(lab)]) == 2
    assert "--message: This is not an email message" in capsys.readouterr().err
