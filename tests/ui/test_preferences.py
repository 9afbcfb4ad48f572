"""The Preferences dialog's DNS-over-HTTPS setting, and its way into the saved preferences."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QToolTip, QWizard

from wizard.lookup.settings import LookupSettings

from wizard.ui.preferences import PreferencesDialog
from wizard.ui.session import apply_preferences, has_lab_options, preferences_of

from .helpers import MakeWizard

URL = "https://dns.example.com/dns-query"


def test_doh_url_is_checked_and_becomes_the_setting(qtbot: QtBot) -> None:
    dialog = PreferencesDialog(LookupSettings())
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.doh.setText("http://dns.example.com/dns-query")
    assert "https://" in dialog.error.text() and not ok.isEnabled()
    dialog.doh.setText(f"{URL} https://doh.example.net")
    assert dialog.error.text() == "" and ok.isEnabled()
    assert dialog.settings().doh == (URL, "https://doh.example.net/dns-query")


def test_doh_preference_is_saved_and_applied() -> None:
    settings = LookupSettings(doh=(URL,))
    prefs = preferences_of(settings)
    assert prefs.doh == [URL]
    prefs.doh.append("not a url")  # a hand-edited file: the bad entry is skipped
    assert apply_preferences(LookupSettings(), prefs).doh == (URL,)
    assert has_lab_options(settings)


# The offscreen platform, showing the tooltip and sizing the dialog (the conftest's marker is replaced by this one).
@pytest.mark.qt_log_ignore("This plugin does not support raise", "This plugin does not support propagateSizeHints")
def test_the_preferences_tooltips_wrap_at_a_readable_width(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    wizard = make_wizard()
    wizard.show()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.HelpButton), Qt.MouseButton.LeftButton)  # "Preferences…"
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), PreferencesDialog))
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, PreferencesDialog)
    for field in (dialog.servers, dialog.doh, dialog.port, dialog.public):
        where = QPoint(5, 5)
        QApplication.sendEvent(field, QHelpEvent(QEvent.Type.ToolTip, where, field.mapToGlobal(where)))
        qtbot.waitUntil(QToolTip.isVisible)
        tips = [w for w in QApplication.topLevelWidgets() if w.inherits("QLabel") and w.isVisible()]
        assert tips, field.accessibleName()
        width = tips[0].fontMetrics().averageCharWidth()
        assert all(t.width() <= 70 * width for t in tips), field.accessibleName()  # wrapped, not one long line
        assert all(t.height() > t.fontMetrics().lineSpacing() * 1.5 for t in tips), field.accessibleName()
        QToolTip.hideText()
        qtbot.waitUntil(lambda: not QToolTip.isVisible())
    dialog.reject()
