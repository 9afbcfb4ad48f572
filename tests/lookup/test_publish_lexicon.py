"""The lexicon path end to end: `publish --provider powerdns` through dns-lexicon against PowerDNS's HTTP API.

The code that drives Cloudflare or GoDaddy is the same, with lexicon's provider name and that provider's token.
"""

from __future__ import annotations

from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype
import pytest

from wizard.cli import main

ZONE = "pdns-shop.test"
DKIM_NAME = "cimcloud-a94fdfc80c2c46c782969bfb0fc4084e._domainkey"
DKIM_KEY = (Path(__file__).parent.parent / "data" / "dkim" / "rsa2048-b.b64").read_text().strip()
DKIM_RECORD = f"v=DKIM1; k=rsa; p={DKIM_KEY}"
KEPT = {(b"google-site-verification=abc123",), (b"part one ", b"part two"), (b"MS=ms1 \xc3\xa9",)}


@pytest.fixture
def shop(powerdns, memory_keyring):  # type: ignore[no-untyped-def]
    powerdns.create_zone(
        ZONE,
        [
            ("@", 600, "TXT", ['"v=spf1 include:_spf.google.com ~all"', '"google-site-verification=abc123"',
                               '"part one " "part two"', '"MS=ms1 \\195\\169"']),
            ("_dmarc", 300, "TXT", ['"v=DMARC1; p=none"']),
        ],
    )  # fmt: skip
    memory_keyring.set_password("email-auth-wizard", f"powerdns:{ZONE}", powerdns.api_key)
    return powerdns


def publish(server, *extra: str) -> int:  # type: ignore[no-untyped-def]
    return main(
        ["publish", ZONE, "--provider", "powerdns", "--server", server.api_url, *extra,
         "--nameserver", f"127.0.0.1:{server.port}", "--dns-port", str(server.port), "--no-public-resolvers"]
    )  # fmt: skip


def txt(server, name: str) -> set[tuple[bytes, ...]]:  # type: ignore[no-untyped-def]
    response = dns.query.tcp(dns.message.make_query(name, "TXT"), "127.0.0.1", port=server.port, timeout=2)
    return {tuple(rd.strings) for rrset in response.answer if rrset.rdtype == dns.rdatatype.TXT for rd in rrset}


NAMES = (ZONE, f"{DKIM_NAME}.{ZONE}", f"_dmarc.{ZONE}")
FULL = ("--spf-include", "sendgrid.net", "--dkim-record", f"{DKIM_NAME}={DKIM_RECORD}", "--dmarc", "v=DMARC1; p=reject")


def test_publish_through_lexicon_verifies_keeps_other_records_and_undoes(shop, data_home, capsys) -> None:  # type: ignore[no-untyped-def]
    before = {name: txt(shop, name) for name in NAMES}
    assert publish(shop, *FULL, "--dry-run") == 0
    assert {name: txt(shop, name) for name in NAMES} == before

    assert publish(shop, *FULL, "--yes") == 0, capsys.readouterr()
    assert "Verified" in capsys.readouterr().out
    apex = txt(shop, ZONE)
    assert apex - KEPT == {(b"v=spf1 include:_spf.google.com include:_spf.mycimcloud.com include:sendgrid.net ~all",)}
    assert apex >= KEPT  # byte for byte, the split record still split and the UTF-8 bytes intact
    (dkim,) = txt(shop, f"{DKIM_NAME}.{ZONE}")
    assert b"".join(dkim) == DKIM_RECORD.encode() and len(dkim) == 2
    assert txt(shop, f"_dmarc.{ZONE}") == {(b"v=DMARC1; p=reject",)}

    assert publish(shop, "--undo", "--yes") == 0
    assert {name: txt(shop, name) for name in NAMES} == before


def test_a_rejected_token_is_reported_plainly_and_changes_nothing(
    shop, memory_keyring, tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    memory_keyring.set_password("email-auth-wizard", f"powerdns:{ZONE}", "expired-token-123")
    before = txt(shop, ZONE)
    assert publish(shop, *FULL, "--yes") == 1
    err = capsys.readouterr().err
    assert "rejected the token (HTTP 401)" in err and "expired-token-123" not in err
    assert txt(shop, ZONE) == before


def test_an_unreachable_api_is_reported(shop, data_home, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(
        ["publish", ZONE, "--provider", "powerdns", "--server", "http://127.0.0.1:9", *FULL, "--yes",
         "--nameserver", f"127.0.0.1:{shop.port}", "--dns-port", str(shop.port), "--no-public-resolvers"]
    )  # fmt: skip
    assert code == 1
    assert "could not be reached" in capsys.readouterr().err


def test_an_unknown_provider_or_missing_token_is_bad_input(shop, memory_keyring, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["publish", ZONE, "--provider", "no-such-dns", "--dry-run"]) == 2
    assert "no-such-dns" in capsys.readouterr().err
    memory_keyring.entries.clear()
    assert publish(shop, *FULL, "--dry-run") == 2
    assert f"secret set powerdns:{ZONE}" in capsys.readouterr().err
