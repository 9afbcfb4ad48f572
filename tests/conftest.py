"""Test configuration: Qt runs offscreen (no display needed); the BIND lab fixtures come from tests.lab.plugin."""

import os
from pathlib import Path

import pytest
import trustme

from tests.lookup.policy_server import trust

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
