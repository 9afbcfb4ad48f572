"""Secrets live only in the OS keyring: stored, read and removed through `keyring`, refused without one."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest

from tests.memory_keyring import MemoryKeyring, run_watched
from wizard import secrets
from wizard.cli import main
from wizard.commands.secret import read_secret

SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="
ROOT = Path(__file__).resolve().parent.parent


def test_tsig_key_round_trip_and_repr_hides_the_secret(memory_keyring: MemoryKeyring) -> None:
    secrets.set_secret("tsig:lab-key", f"HMAC-SHA256:{SECRET}\n")
    assert memory_keyring.entries["email-auth-wizard", "tsig:lab-key"] == f"hmac-sha256:{SECRET}"
    key = secrets.tsig_key("lab-key")
    assert (key.name, key.algorithm, key.secret) == ("lab-key", "hmac-sha256", SECRET)
    assert SECRET not in repr(key)
    assert secrets.delete_secret("tsig:lab-key") is True
    assert secrets.delete_secret("tsig:lab-key") is False
    with pytest.raises(secrets.SecretsError, match="secret set tsig:lab-key"):
        secrets.tsig_key("lab-key")


def test_a_bind_key_statement_is_accepted_as_a_tsig_value(memory_keyring: MemoryKeyring) -> None:
    statement = f'key "lab-key" {{\n\talgorithm hmac-sha512;\n\tsecret "{SECRET}";\n}};\n'
    secrets.set_secret("tsig:lab-key", statement)
    assert memory_keyring.entries["email-auth-wizard", "tsig:lab-key"] == f"hmac-sha512:{SECRET}"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("tsig:k", "hmac-sha256:not base64!", "not base64"),
        ("tsig:k", "rot13:" + SECRET, "algorithm"),
        ("tsig:k", "   ", "No secret"),
        ("no colon", "tok-3f9a1c", "not a secret name"),
    ],
)
def test_bad_names_and_values_are_refused_without_echoing_the_value(
    memory_keyring: MemoryKeyring, key: str, value: str, message: str
) -> None:
    with pytest.raises(secrets.InvalidSecret, match=message) as caught:
        secrets.set_secret(key, value)
    assert value.strip() == "" or value not in str(caught.value)
    assert memory_keyring.entries == {}


class _AltFile(MemoryKeyring):
    pass


_AltFile.__module__ = "keyrings.alt.file"  # what keyrings.alt's PlaintextKeyring reports


@pytest.mark.parametrize(
    "backend", [keyring.backends.fail.Keyring(), keyring.backends.null.Keyring(), _AltFile()], ids=type
)
def test_no_usable_keyring_says_how_to_fix_it_and_never_writes_a_file(backend, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"hmac-sha256:{SECRET}"))
    try:
        with pytest.raises(secrets.NoKeyringError, match="gnome-keyring"):
            secrets.get_secret("tsig:k")
        assert main(["secret", "set", "tsig:k"]) == 1
    finally:
        keyring.set_keyring(previous)
    err = capsys.readouterr().err
    assert "No usable keyring" in err and "never written to a plain file" in err and SECRET not in err
    assert list(tmp_path.iterdir()) == []
    if isinstance(backend, _AltFile):
        assert backend.entries == {}


def test_secret_set_reads_standard_input_and_delete_removes_it(memory_keyring, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"hmac-sha256:{SECRET}\n"))
    assert main(["secret", "set", "tsig:lab-key"]) == 0
    assert memory_keyring.entries["email-auth-wizard", "tsig:lab-key"] == f"hmac-sha256:{SECRET}"
    assert main(["secret", "delete", "tsig:lab-key"]) == 0
    assert main(["secret", "delete", "tsig:lab-key"]) == 1
    monkeypatch.setattr(sys, "stdin", io.StringIO("token"))
    assert main(["secret", "set", "not a key"]) == 2
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    assert "there is no tsig:lab-key" in err and "not a secret name" in err


def test_on_a_terminal_the_secret_is_asked_for_without_echo() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    prompts: list[str] = []
    value = read_secret("cloudflare:acme.com", Terminal("ignored"), lambda p: prompts.append(p) or "tok")
    assert value == "tok" and prompts == ["Secret for cloudflare:acme.com (not shown): "]


def test_the_secret_never_appears_in_the_process_listing(tmp_path: Path) -> None:
    """`secret set` in a real process: /proc/<pid>/cmdline while it waits for the secret, and its output."""
    env = {"PYTHON_KEYRING_BACKEND": "tests.memory_keyring.MemoryKeyring", "XDG_DATA_HOME": str(tmp_path)}
    run = run_watched(
        [sys.executable, "-m", "wizard", "secret", "set", "tsig:lab-key"], f"hmac-sha256:{SECRET}".encode(), env
    )
    cmdline, out, err = run.cmdline, run.out, run.err
    assert b"secret\x00set\x00tsig:lab-key" in cmdline and SECRET.encode() not in cmdline
    assert run.returncode == 0, err
    assert b"Stored tsig:lab-key" in out and SECRET.encode() not in out + err
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
