"""`email-auth-wizard` with no command opens the wizard window and returns when it is closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWizard

from wizard.cli import main


def test_bare_command_opens_a_wizard_window(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    seen: list[QWizard] = []
    pages: list[int] = []

    def close_the_window() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, QWizard) and w.isVisible()]
        if not windows:
            QTimer.singleShot(20, close_the_window)
            return
        seen.extend(windows)
        pages.append(windows[0].currentId())
        windows[0].reject()

    QTimer.singleShot(0, close_the_window)
    code = main(["--no-public-resolvers", "--nameserver", "127.0.0.1:9"])
    assert code == 0
    assert len(seen) == 1
    assert seen[0].windowTitle() == "Email Auth Wizard"
    assert pages == [0], "it opens on the welcome page"
