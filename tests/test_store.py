"""Saved progress: round trip, atomic writes, unusable files kept aside and reported, no secrets on disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from wizard.core.proof import ActivationProof, ProofKind, ProofVerdict, activation_proven, statement
from wizard.store import (
    SCHEMA_VERSION,
    CheckRecord,
    CheckState,
    Progress,
    Store,
    default_path,
    is_secret,
)

PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
)


def sample() -> Progress:
    progress = Progress(mta_sts=True, page=3)
    d = progress.domain("example.test")
    d.spf_services = ["google"]
    d.spf_all = "-all"
    d.dkim_name = "cimcloud-abc._domainkey"
    d.dkim_content = "v=DKIM1; p=MIIBIjAN"
    d.dmarc_options = {"adkim": "s"}
    d.results["spf"] = CheckRecord(CheckState.WAITING, "1 of 2 servers", 1700000000.0)
    progress.preferences.nameservers = ["127.0.0.1:5353"]
    progress.preferences.dns_port = 5300
    return progress


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    store = Store(tmp_path / "progress.json")
    saved = sample()
    store.save(saved)
    loaded = store.load()
    assert loaded.problem == ""
    assert loaded.progress == saved
    assert loaded.progress.domains[0].results["spf"].state is CheckState.WAITING
    assert json.loads((tmp_path / "progress.json").read_text())["version"] == SCHEMA_VERSION


def test_missing_file_starts_fresh_without_complaint(tmp_path: Path) -> None:
    loaded = Store(tmp_path / "none" / "progress.json").load()
    assert loaded.problem == "" and loaded.progress.domains == []


def test_default_path_is_in_the_user_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_path().is_relative_to(tmp_path)


def test_save_is_atomic_when_writing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "progress.json"
    store = Store(path)
    store.save(sample())
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    changed = sample()
    changed.domains[0].spf_all = "~all"
    with pytest.raises(OSError):
        store.save(changed)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json"]  # no temp file left behind


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2]", b'{"domains": []}', b'{"version": 1, "domains": "x"}', b"\xff\xfe\x00", b""],
)
def test_corrupt_file_is_kept_aside_and_reported(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "progress.json"
    path.write_bytes(content)
    loaded = Store(path).load()
    assert loaded.progress.domains == []
    assert loaded.moved_to is not None and loaded.moved_to.read_bytes() == content
    assert "corrupt" in loaded.moved_to.name
    assert str(loaded.moved_to) in loaded.problem
    assert not path.exists()


def test_wrong_field_types_count_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    data = json.loads(json.dumps({"version": 1, "domains": [{"domain": "a.test", "spf_services": [1]}]}))
    path.write_text(json.dumps(data))
    loaded = Store(path).load()
    assert loaded.moved_to is not None and "spf_services" in loaded.problem


def test_newer_version_is_kept_aside_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    newer = json.dumps({"version": SCHEMA_VERSION + 1, "domains": [{"domain": "future.test"}]}).encode()
    path.write_bytes(newer)
    store = Store(path)
    loaded = store.load()
    assert loaded.moved_to is not None and loaded.moved_to.read_bytes() == newer
    assert "newer version" in loaded.problem
    store.save(sample())  # the fresh progress is saved without touching the kept file
    assert loaded.moved_to.read_bytes() == newer


def test_two_unusable_files_in_one_second_both_survive(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    kept = []
    for content in (b"one", b"two"):
        path.write_bytes(content)
        moved = Store(path).load().moved_to
        assert moved is not None
        kept.append(moved)
    assert kept[0] != kept[1] and {p.read_bytes() for p in kept} == {b"one", b"two"}


def test_private_key_pasted_by_mistake_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    progress = sample()
    progress.domains[0].dkim_content = PRIVATE_KEY
    progress.domains[0].dmarc_rua = 'key "x" { algorithm hmac-sha256; secret "c2VjcmV0"; };'
    Store(path).save(progress)
    text = path.read_text()
    assert "PRIVATE KEY" not in text and "MIIEvQ" not in text and "c2VjcmV0" not in text
    assert Store(path).load().progress.domains[0].dkim_content == ""


def test_secret_detection() -> None:
    assert is_secret(PRIVATE_KEY)
    assert is_secret("-----BEGIN RSA PRIVATE KEY-----")
    assert is_secret("secret: abcd")
    assert not is_secret("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA")
    assert not is_secret("v=spf1 include:_spf.mycimcloud.com ~all")


def test_set_domains_keeps_existing_progress() -> None:
    progress = sample()
    progress.set_domains(["new.test", "example.test"])
    assert [d.domain for d in progress.domains] == ["new.test", "example.test"]
    assert progress.domains[1].spf_all == "-all"


def test_activation_proofs_are_kept_with_verdict_and_time_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "progress.json")
    progress = sample()
    entry = progress.domain("example.test")
    entry.add_proof(ActivationProof(ProofKind.MESSAGE, "example.test", ProofVerdict.PARTIAL, 1.0, "headers only"))
    entry.add_proof(ActivationProof(ProofKind.MESSAGE, "example.test", ProofVerdict.PROVEN, 2.0, "d=example.test"))
    entry.add_proof(statement("example.test", 3.0))
    entry.add_proof(ActivationProof(ProofKind.MESSAGE, "example.test", ProofVerdict.NOT_PROVEN, 4.0, "forwarded"))
    store.save(progress)
    loaded = store.load().progress.domain("example.test")
    assert [(p.kind, p.verdict, p.when) for p in loaded.proofs] == [
        (ProofKind.MESSAGE, ProofVerdict.PROVEN, 2.0),  # replaced the partial one; a failing copy does not undo it
        (ProofKind.STATEMENT, ProofVerdict.STATED, 3.0),
    ]
    assert activation_proven(loaded.proofs, "example.test") == loaded.proofs[0]
    saved = json.loads((tmp_path / "progress.json").read_text())
    assert set(saved["domains"][0]["proofs"][0]) == {"kind", "domain", "verdict", "when", "evidence"}


def test_a_version_1_file_loads_with_no_proof_and_a_bad_proof_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    path.write_text(json.dumps({"version": 1, "domains": [{"domain": "old.test", "dmarc_policy": "none"}]}))
    loaded = Store(path).load()
    assert loaded.problem == ""
    assert loaded.progress.domains[0].proofs == []
    bad = {"kind": "message", "domain": "new.test", "verdict": "certainly", "when": 1}
    path.write_text(json.dumps({"version": SCHEMA_VERSION, "domains": [{"domain": "new.test", "proofs": [bad]}]}))
    assert Store(path).load().progress.domains[0].proofs == []
