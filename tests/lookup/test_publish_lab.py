"""`publish` against a real BIND primary with TSIG: plan, apply, verify, undo, and every way it is refused."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import dns.rdatatype
import pytest

from tests.memory_keyring import MemoryKeyring
from wizard.cli import main

DOMAIN = "pub.test"
DKIM_NAME = "cimcloud-a94fdfc80c2c46c782969bfb0fc4084e._domainkey"
DKIM_KEY = (Path(__file__).parent.parent / "data" / "dkim" / "rsa2048-a.b64").read_text().strip()
DKIM_RECORD = f"v=DKIM1; k=rsa; p={DKIM_KEY}"
OTHER_APEX = {
    (b"google-site-verification=abc123",),
    (b"MS=ms12345678",),
    (b"part one ", b"part two"),
    (b"bytes \xc3\x28 not utf-8",),
}


@pytest.fixture
def lab_zone_dir() -> Path:
    return Path(__file__).parent / "publish_zones"


@pytest.fixture
def lab_key(dns_lab, memory_keyring: MemoryKeyring) -> str:  # type: ignore[no-untyped-def]
    memory_keyring.set_password("email-auth-wizard", "tsig:lab-key", f"hmac-sha256:{dns_lab.key_secret}")
    return "lab-key"


def lab_options(dns_lab) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        "--nameserver", f"127.0.0.1:{dns_lab.resolver_port}", "--dns-port", str(dns_lab.port),
        "--no-public-resolvers",
    ]  # fmt: skip


def publish(dns_lab, *extra: str, key: str = "lab-key", server: str | None = None) -> int:  # type: ignore[no-untyped-def]
    target = server or f"127.0.0.1:{dns_lab.port}"
    return main(
        [
            "publish",
            DOMAIN,
            "--provider",
            "rfc2136",
            "--server",
            target,
            "--tsig-key",
            key,
            *extra,
            *lab_options(dns_lab),
        ]
    )


def records(dns_lab, name: str) -> tuple[set[tuple[bytes, ...]], int | None]:  # type: ignore[no-untyped-def]
    """The TXT strings at `name` on the primary, and the RRset's TTL."""
    response = dns_lab.query(name, "TXT", tcp=True)
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.TXT:
            return {tuple(rd.strings) for rd in rrset}, rrset.ttl
    return set(), None


NAMES = (DOMAIN, f"{DKIM_NAME}.{DOMAIN}", f"_dmarc.{DOMAIN}")


def snapshot(dns_lab) -> dict[str, tuple[set[tuple[bytes, ...]], int | None]]:  # type: ignore[no-untyped-def]
    return {name: records(dns_lab, name) for name in NAMES}


FULL = (
    "--spf-include",
    "sendgrid.net",
    "--dkim-record",
    f"{DKIM_NAME}={DKIM_RECORD}",
    "--dmarc",
    "v=DMARC1; p=quarantine",
)


def test_dry_run_prints_the_plan_and_changes_nothing(dns_lab, lab_key, data_home, capsys) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(dns_lab)
    assert publish(dns_lab, *FULL, "--dry-run") == 0
    out = capsys.readouterr().out
    assert '- "v=spf1 include:_spf.google.com ~all"' in out
    assert '+ "v=spf1 include:_spf.google.com include:_spf.mycimcloud.com include:sendgrid.net ~all"' in out
    assert '= "part one " "part two"' in out
    assert '- "v=DMARC1; p=none"' in out and '+ "v=DMARC1; p=quarantine"' in out
    assert snapshot(dns_lab) == before
    assert not data_home.exists()


def test_apply_verifies_keeps_other_apex_txt_byte_for_byte_and_undo_restores_exactly(  # type: ignore[no-untyped-def]
    dns_lab, lab_key, data_home, capsys
) -> None:
    before = snapshot(dns_lab)
    assert publish(dns_lab, *FULL, "--yes") == 0
    out = capsys.readouterr().out
    assert "Verified: every authoritative server serves the planned records." in out
    apex, ttl = records(dns_lab, DOMAIN)
    assert apex - OTHER_APEX == {
        (b"v=spf1 include:_spf.google.com include:_spf.mycimcloud.com include:sendgrid.net ~all",)
    }
    assert apex >= OTHER_APEX and ttl == 600  # the other records, their splitting and the RRset's TTL are kept
    dkim, _ = records(dns_lab, f"{DKIM_NAME}.{DOMAIN}")
    assert {b"".join(r) for r in dkim} == {DKIM_RECORD.encode()}
    assert all(len(s) <= 255 for r in dkim for s in r)
    assert records(dns_lab, f"_dmarc.{DOMAIN}")[0] == {(b"v=DMARC1; p=quarantine",)}

    undo_file = data_home / "email-auth-wizard" / "undo" / f"{DOMAIN}.json"
    assert undo_file.is_file()
    assert publish(dns_lab, *FULL, "--dry-run") == 0  # published: nothing more to do
    assert "nothing to change" in capsys.readouterr().out

    assert publish(dns_lab, "--undo", "--yes") == 0
    assert "Verified" in capsys.readouterr().out
    assert snapshot(dns_lab) == before
    assert not undo_file.exists()


def test_wrong_secret_is_refused_and_nothing_changes(dns_lab, memory_keyring, data_home, capsys) -> None:  # type: ignore[no-untyped-def]
    wrong = base64.b64encode(os.urandom(32)).decode()
    memory_keyring.set_password("email-auth-wizard", "tsig:lab-key", f"hmac-sha256:{wrong}")
    before = snapshot(dns_lab)
    assert publish(dns_lab, *FULL, "--yes") == 1
    err = capsys.readouterr().err
    assert "the secret is wrong" in err and wrong not in err
    assert err.count("\n") == 1
    assert snapshot(dns_lab) == before


def test_unknown_key_name_is_refused(dns_lab, memory_keyring, data_home, capsys) -> None:  # type: ignore[no-untyped-def]
    memory_keyring.set_password("email-auth-wizard", "tsig:nobody", f"hmac-sha256:{dns_lab.key_secret}")
    assert publish(dns_lab, *FULL, "--yes", key="nobody") == 1
    assert "does not know the TSIG key nobody" in capsys.readouterr().err


def test_key_without_update_permission_is_refused_and_nothing_changes(  # type: ignore[no-untyped-def]
    dns_lab, memory_keyring, data_home, capsys
) -> None:
    memory_keyring.set_password(
        "email-auth-wizard", f"tsig:{dns_lab.readonly_key_name}", f"hmac-sha256:{dns_lab.readonly_key_secret}"
    )
    before = snapshot(dns_lab)
    assert publish(dns_lab, *FULL, "--yes", key=dns_lab.readonly_key_name) == 1
    assert f"key {dns_lab.readonly_key_name} may not change zone {DOMAIN}" in capsys.readouterr().err
    assert snapshot(dns_lab) == before


def test_a_server_that_does_not_serve_the_zone_is_reported(dns_lab, lab_key, data_home, capsys) -> None:  # type: ignore[no-untyped-def]
    # the lab's resolver answers for pub.test from its cache, but is no primary for it
    assert publish(dns_lab, *FULL, "--yes", server=f"127.0.0.1:{dns_lab.resolver_port}") == 1
    assert f"does not serve the zone {DOMAIN}" in capsys.readouterr().err


def test_an_unreachable_server_is_reported(dns_lab, lab_key, data_home, capsys) -> None:  # type: ignore[no-untyped-def]
    assert publish(dns_lab, *FULL, "--yes", server="127.0.0.1:9") == 1
    assert "could not be reached" in capsys.readouterr().err


def test_records_changed_between_plan_and_apply_refuse_the_whole_update(dns_lab, lab_key, data_home) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from wizard.core.publish import Wanted
    from wizard.core.records import Kind
    from wizard.lookup import publish as pub
    from wizard.lookup.lookup import Lookup
    from wizard.secrets import tsig_key

    backend = pub.Rfc2136("127.0.0.1", dns_lab.port, tsig_key("lab-key"))
    lookup = Lookup(dns_lab.settings())
    wanted = [Wanted(Kind.SPF, DOMAIN, ""), Wanted(Kind.DMARC, f"_dmarc.{DOMAIN}", "v=DMARC1; p=reject")]
    plan = asyncio.run(pub.make(lookup, backend, DOMAIN, wanted))
    dns_lab.update(DOMAIN, add=[("@", 600, "TXT", "added-meanwhile=1")], servers=(0,))
    with pytest.raises(pub.PublishError) as caught:
        asyncio.run(pub.apply(backend, plan))
    assert caught.value.failure is pub.Failure.CHANGED
    assert records(dns_lab, f"_dmarc.{DOMAIN}")[0] == {(b"v=DMARC1; p=none",)}  # not half-applied


def test_missing_key_and_bad_input_exit_2_with_one_line(dns_lab, memory_keyring, data_home, capsys) -> None:  # type: ignore[no-untyped-def]
    assert publish(dns_lab, *FULL, "--yes") == 2
    err = capsys.readouterr().err
    assert "No TSIG key lab-key in the keyring" in err and "secret set tsig:lab-key" in err
    assert publish(dns_lab, "--dmarc", "p=none", "--dry-run") == 2
    assert "--dmarc" in capsys.readouterr().err
    assert main(["publish", DOMAIN, "--provider", "rfc2136", "--yes"]) == 2
    assert "needs --server" in capsys.readouterr().err
    assert main(["publish", DOMAIN, "--provider", "rfc2136", "--server", "x", "--tsig-key", "k"]) == 2
    assert "--dry-run" in capsys.readouterr().err


def test_undo_with_nothing_saved_is_a_clear_failure(dns_lab, lab_key, data_home, capsys) -> None:  # type: ignore[no-untyped-def]
    assert publish(dns_lab, "--undo", "--yes") == 1
    assert "Nothing to undo for pub.test" in capsys.readouterr().err


PUBLISH_SCRIPT = """
import sys, keyring
from tests.memory_keyring import MemoryKeyring
keyring.set_keyring(MemoryKeyring())
from wizard.cli import main
assert main(["secret", "set", "tsig:lab-key"]) == 0
sys.exit(main(sys.argv[1:]))
"""


def test_publish_keeps_the_secret_out_of_files_output_and_process_listing(dns_lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A real process stores the key from standard input, then publishes: the secret appears nowhere."""
    import sys

    from tests.memory_keyring import run_watched

    home = tmp_path / "home"
    args = ["publish", DOMAIN, "--provider", "rfc2136", "--server", f"127.0.0.1:{dns_lab.port}", "--tsig-key",
            "lab-key", *FULL, "--yes", *lab_options(dns_lab)]  # fmt: skip
    run = run_watched(
        [sys.executable, "-c", PUBLISH_SCRIPT, *args],
        f"hmac-sha256:{dns_lab.key_secret}".encode(),
        {"XDG_DATA_HOME": str(home), "HOME": str(home)},
    )
    cmdline, out, err = run.cmdline, run.out, run.err
    secret = dns_lab.key_secret.encode()
    assert run.returncode == 0, err
    assert b"Verified" in out
    assert b"lab-key" in cmdline and secret not in cmdline
    assert secret not in out + err
    written = [p for p in home.rglob("*") if p.is_file()]
    assert [p.name for p in written] == [f"{DOMAIN}.json"]
    for path in written:
        data = path.read_bytes()
        assert secret not in data and base64.b64decode(secret) not in data
        assert (path.stat().st_mode & 0o077) == 0  # readable by the user only


def test_the_server_may_be_given_by_name(dns_lab, lab_key, data_home, capsys) -> None:  # type: ignore[no-untyped-def]
    assert publish(dns_lab, "--dmarc", "v=DMARC1; p=reject", "--yes", server=f"ns1.lab.test:{dns_lab.port}") == 0
    assert "Verified" in capsys.readouterr().out
    assert records(dns_lab, f"_dmarc.{DOMAIN}")[0] == {(b"v=DMARC1; p=reject",)}
    assert publish(dns_lab, "--dry-run", server="no-such-host.test") == 1
    assert "has no address" in capsys.readouterr().err
    assert publish(dns_lab, "--dry-run", server="ns1.lab.test:99999") == 2
    assert "--server" in capsys.readouterr().err


def test_a_server_that_never_answers_is_reported_within_the_deadline(dns_lab, lab_key, data_home, capsys) -> None:  # type: ignore[no-untyped-def]
    import time

    host, port = dns_lab.blackhole
    start = time.monotonic()
    assert publish(dns_lab, *FULL, "--yes", server=f"{host}:{port}") == 1
    assert time.monotonic() - start < 8
    assert "did not answer within 5 s" in capsys.readouterr().err
    assert not data_home.exists()  # nothing was planned, so nothing was saved


def test_junk_records_are_bad_input(dns_lab, lab_key, data_home, capsys) -> None:  # type: ignore[no-untyped-def]
    assert publish(dns_lab, "--dkim-record", f"{DKIM_NAME}=\x00\x01 junk " + "x" * 5000, "--dry-run") == 2
    err = capsys.readouterr().err
    assert err.startswith("email-auth-wizard: error: --dkim-record") and err.count("\n") == 1
    assert publish(dns_lab, "--spf-include", "not a name!", "--dry-run") == 2
    assert "--spf-include" in capsys.readouterr().err
    assert publish(dns_lab, "--dmarc", "v=DMARC1; p=sometimes", "--dry-run") == 2
    assert "--dmarc" in capsys.readouterr().err
