"""run_gui: closing the window while a check waits on a server that never answers exits cleanly and at once."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from tests.lab.lab import Lab

from wizard.ui.app import run_gui
from wizard.ui.pages.domains import DomainsPage
from wizard.ui.wizard import EmailAuthWizard


def test_closing_mid_check_exits_cleanly(
    qapp: QApplication, dns_lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    palette = qapp.palette()
    state: dict[str, object] = {}

    def drive() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, EmailAuthWizard) and w.isVisible()]
        if not windows:
            QTimer.singleShot(20, drive)
            return
        wizard = windows[0]
        wizard.next()
        page = wizard.currentPage()
        assert isinstance(page, DomainsPage)
        page.edit.setPlainText("wiz.test")
        page.scan()  # asks the black hole: this check would take the whole timeout
        state["running"] = page.runner.running
        QTimer.singleShot(200, lambda: (state.setdefault("closed_at", time.monotonic()), wizard.close()))

    QTimer.singleShot(0, drive)
    caplog.set_level(logging.DEBUG, logger="asyncio")
    try:
        code = run_gui(dns_lab.settings(nameservers=(dns_lab.blackhole,), timeout=20, query_timeout=5), ["test"])
    finally:
        qapp.setPalette(palette)
    ended = time.monotonic()
    assert code == 0
    assert state["running"] is True
    closed_at = state["closed_at"]
    assert isinstance(closed_at, float)
    assert ended - closed_at < 5  # the pending 20-second lookup was cancelled, not waited for
    assert "Task was destroyed" not in caplog.text and "exception was never retrieved" not in caplog.text
    assert any((tmp_path / "data").rglob("progress.json"))  # progress saved on the way out
