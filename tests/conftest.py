"""Test configuration: Qt runs offscreen (no display needed); the BIND lab fixtures come from tests.lab.plugin."""

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
import trustme

from tests.lookup.policy_server import trust
from tests.memory_keyring import MemoryKeyring

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["tests.lab.plugin"]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A test certificate authority, one per test module: policy servers get their certificates from it."""
    return trustme.CA()


@pytest.fixture
def trusted(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """The test CA, trusted for one test through SSL_CERT_FILE, the way the fetcher finds the system store."""
    trust(ca, tmp_path, monkeypatch)
    return ca


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory OS keyring for one test (keyring.set_keyring), the previous backend restored after."""
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user data folder (XDG_DATA_HOME) for one test, so undo files land in tmp_path."""
    home = tmp_path / "data-home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home
