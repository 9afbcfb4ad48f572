"""The wizard's frame: page order, resuming, Next guarded by the Domains page, preferences, clean closing."""

from __future__ import annotations

import asyncio
import errno

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard

from wizard.lookup.memory import MemorySource
from wizard.lookup.settings import LookupSettings
from wizard.store import Progress, Store

from wizard.ui.pages.domains import DomainsPage
from wizard.ui.pages.spf import SpfPage
from wizard.ui.pages.welcome import WelcomePage
from wizard.ui.wizard import EmailAuthWizard, Pages, next_page, resume_target

from .helpers import MakeWizard, enter_domains


def test_page_order_skips_mta_sts_unless_chosen() -> None:
    assert next_page(Pages.DMARC, mta_sts=False) == Pages.SUMMARY
    assert next_page(Pages.DMARC, mta_sts=True) == Pages.MTA_STS
    assert next_page(Pages.MTA_STS, mta_sts=True) == Pages.SUMMARY
    assert next_page(Pages.SUMMARY, mta_sts=True) == -1
    assert next_page(Pages.WELCOME, mta_sts=False) == Pages.DOMAINS
    assert resume_target(Pages.DKIM, mta_sts=False) == Pages.DKIM
    assert resume_target(Pages.MTA_STS, mta_sts=False) == Pages.SUMMARY
    assert resume_target(Pages.DOMAINS, mta_sts=False) is None


def test_domains_page_explains_bad_entries_and_guards_next(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    wizard = make_wizard()
    wizard.show()
    wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, DomainsPage)
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled()
    page.edit.setPlainText("Orders@Example.COM\nbad domain.com\nexample.com")
    assert not next_button.isEnabled()
    assert page.errors.isVisible() and "bad domain.com" in page.errors.text() and "space" in page.errors.text()
    assert "example.com" in page.understood.text()
    page.edit.setPlainText("orders@example.com\nshop.example.net")
    assert next_button.isEnabled() and not page.errors.isVisible()
    page.runner.cancel()
    qtbot.keyClick(wizard, Qt.Key.Key_Return)  # Enter advances
    assert wizard.currentId() == Pages.SPF
    assert [d.domain for d in wizard.session.progress.domains] == ["example.com", "shop.example.net"]


def test_progress_is_saved_and_resumed_at_the_same_page(qtbot: QtBot, make_wizard: MakeWizard, store: Store) -> None:
    first = make_wizard()
    enter_domains(first, "example.com")
    first.next()
    first.next()
    assert first.currentId() == Pages.DKIM
    first.close()
    saved = store.load().progress
    assert saved.page == Pages.DKIM and [d.domain for d in saved.domains] == ["example.com"]
    assert saved.geometry

    second = make_wizard()
    second.show()
    welcome = second.currentPage()
    assert isinstance(welcome, WelcomePage)
    assert welcome.resume.isVisible() and welcome.resume.isChecked()
    assert "example.com" in welcome.resume.text()
    second.next()
    qtbot.waitUntil(lambda: second.currentId() == Pages.DKIM)


def test_back_after_resuming_follows_the_path_of_a_fresh_start(
    qtbot: QtBot, make_wizard: MakeWizard, store: Store
) -> None:
    first = make_wizard()
    enter_domains(first, "example.com")
    for _ in range(3):
        first.next()
    assert first.currentId() == Pages.DMARC
    first.close()

    second = make_wizard()
    second.show()
    qtbot.mouseClick(second.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)  # "Continue"
    qtbot.waitUntil(lambda: second.currentId() == Pages.DMARC)
    back = second.button(QWizard.WizardButton.BackButton)
    visited = []
    for _ in range(3):
        qtbot.mouseClick(back, Qt.MouseButton.LeftButton)
        visited.append(Pages(second.currentId()))
    assert visited == [Pages.DKIM, Pages.SPF, Pages.DOMAINS]
    domains = second.currentPage()
    assert isinstance(domains, DomainsPage) and domains.edit.toPlainText() == "example.com"
    assert second.session.progress.page == Pages.DOMAINS  # where the admin now is, for the next resume


def saved_work(store: Store) -> None:
    progress = Progress(page=Pages.SPF)
    progress.domain("old.example")
    progress.preferences.dns_port = 5353
    store.save(progress)


def answer_start_over(monkeypatch: pytest.MonkeyPatch, answer: QMessageBox.StandardButton) -> list[tuple[object, ...]]:
    """Answer the "Start over?" question as the admin would; the questions asked are recorded."""
    asked: list[tuple[object, ...]] = []

    def question(*args: object) -> QMessageBox.StandardButton:
        asked.append(args)
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def choose_start_over(make_wizard: MakeWizard) -> EmailAuthWizard:
    """Open the wizard on saved work, choose "Start over" and click Next."""
    wizard = make_wizard()
    wizard.show()
    welcome = wizard.currentPage()
    assert isinstance(welcome, WelcomePage)
    welcome.restart.setChecked(True)
    wizard.next()
    return wizard


def test_start_over_asks_first_and_yes_clears_domains_but_keeps_preferences(
    make_wizard: MakeWizard, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved_work(store)
    asked = answer_start_over(monkeypatch, QMessageBox.StandardButton.Yes)
    wizard = choose_start_over(make_wizard)
    assert len(asked) == 1
    _, title, text, _, default = asked[0]
    assert title == "Start over?"
    assert "old.example" in str(text) and "stay there" in str(text)
    assert default == QMessageBox.StandardButton.No  # Enter on the question keeps the work
    assert wizard.currentId() == Pages.DOMAINS
    assert wizard.session.progress.domains == []
    assert wizard.session.progress.preferences.dns_port == 5353


def test_start_over_answered_no_keeps_everything_and_stays(
    make_wizard: MakeWizard, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved_work(store)
    asked = answer_start_over(monkeypatch, QMessageBox.StandardButton.No)
    wizard = choose_start_over(make_wizard)
    assert len(asked) == 1
    assert wizard.currentId() == Pages.WELCOME
    assert [d.domain for d in wizard.session.progress.domains] == ["old.example"]
    wizard.session.save()
    assert [d.domain for d in store.load().progress.domains] == ["old.example"]


def test_resuming_does_not_ask(
    qtbot: QtBot, make_wizard: MakeWizard, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved_work(store)
    asked = answer_start_over(monkeypatch, QMessageBox.StandardButton.Yes)
    wizard = make_wizard()
    wizard.show()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == Pages.SPF)
    assert asked == []


def save_warnings(wizard: QWidget) -> list[QMessageBox]:
    return [box for box in wizard.findChildren(QMessageBox) if box.isVisible()]


def test_a_failed_save_is_explained_once_and_no_work_is_lost(
    qtbot: QtBot, make_wizard: MakeWizard, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    wizard = make_wizard()
    page = enter_domains(wizard, "shop.example")
    page.runner.cancel()
    wizard.next()
    spf = wizard.currentPage()
    assert isinstance(spf, SpfPage)
    # Today's record is looked up first (at once here: nothing listens on the lab-less resolver's port), so that
    # its arrival does not save the page's fields over the progress this test changes behind the page.
    qtbot.waitUntil(lambda: not spf.live_runner.running)
    real_save = Store.save

    def full_disk(self: Store, progress: Progress) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Store, "save", full_disk)
    wizard.session.progress.domains[0].spf_custom = "ip4:192.0.2.7"
    wizard.session.changed()
    qtbot.waitUntil(lambda: len(save_warnings(wizard)) == 1)
    box = save_warnings(wizard)[0]  # shown without stopping the event loop: this test goes on running
    text = box.text()
    assert str(store.path) in text and "No space left on device" in text and "Nothing is lost" in text

    wizard.session.save()  # fails again: the same box says so, no pile of boxes
    assert save_warnings(wizard) == [box]
    assert wizard.session.progress.domains[0].spf_custom == "ip4:192.0.2.7"  # still in memory

    monkeypatch.setattr(Store, "save", real_save)  # the disk has room again
    wizard.session.changed()
    qtbot.waitUntil(lambda: store.path.exists() and "192.0.2.7" in store.path.read_text())
    saved = store.load().progress
    assert saved.domains[0].domain == "shop.example" and saved.domains[0].spf_custom == "ip4:192.0.2.7"


def test_a_corrupt_saved_file_is_reported_on_the_welcome_page(make_wizard: MakeWizard, store: Store) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text("{broken")
    wizard = make_wizard()
    wizard.show()
    welcome = wizard.currentPage()
    assert isinstance(welcome, WelcomePage)
    assert welcome.problem.isVisible() and "kept at" in welcome.problem.text()
    assert list(store.path.parent.glob("progress.corrupt-*.json"))


def test_command_line_lab_settings_win_over_saved_preferences(make_wizard: MakeWizard, store: Store) -> None:
    progress = Progress()
    progress.preferences.nameservers = ["192.0.2.1"]
    store.save(progress)
    wizard = make_wizard(LookupSettings(nameservers=(("127.0.0.1", 5300),)))
    assert wizard.session.settings.nameservers == (("127.0.0.1", 5300),)
    plain = make_wizard(LookupSettings())
    assert plain.session.settings.nameservers == (("192.0.2.1", 53),)


def test_preferences_dialog_changes_the_lookup_and_is_saved(make_wizard: MakeWizard, store: Store) -> None:
    from wizard.ui.preferences import PreferencesDialog

    wizard = make_wizard()
    wizard.show()
    wizard.open_preferences()
    dialog = wizard.findChild(PreferencesDialog)
    assert dialog is not None
    dialog.servers.setText("10.0.0.1:5353 not-an-ip")
    assert "IP address" in dialog.error.text()
    dialog.servers.setText("10.0.0.1:5353")
    dialog.port.setValue(5300)
    dialog.public.setChecked(False)
    dialog.accept()
    assert wizard.session.lookup.settings.nameservers == (("10.0.0.1", 5353),)
    wizard.session.save()
    prefs = store.load().progress.preferences
    assert prefs.nameservers == ["10.0.0.1:5353"] and prefs.dns_port == 5300 and not prefs.public_resolvers


def test_closing_mid_check_cancels_the_task_cleanly(
    qtbot: QtBot, make_wizard: MakeWizard, qloop: asyncio.AbstractEventLoop
) -> None:
    wizard = make_wizard()
    slow = MemorySource(delay=30)
    wizard.session.lookup = slow  # type: ignore[assignment]
    page = enter_domains(wizard, "example.com")
    page.scan()
    qtbot.waitUntil(lambda: bool(slow.queries))
    assert page.runner.running
    wizard.close()
    assert not page.runner.running
    qtbot.waitUntil(lambda: not [t for t in asyncio.all_tasks(qloop) if not t.done()])
