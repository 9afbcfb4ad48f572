"""The Preferences dialog's DNS-over-HTTPS setting, and its way into the saved preferences."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from PySide6.QtWidgets import QDialogButtonBox

from wizard.lookup.settings import LookupSettings

from wizard.ui.preferences import PreferencesDialog
from wizard.ui.session import apply_preferences, has_lab_options, preferences_of

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
