"""Issue 10, walked as a first-time admin would: the Domains page, the wheel over settings, small wording fixes.

Each test drives the real wizard with clicks, keys and wheel events (against the BIND lab where DNS matters).
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget, QWizard

from tests.lab.lab import Lab
from wizard.store import CheckRecord, CheckState, Progress, Store

from wizard.ui.pages.dkim import DkimPage
from wizard.ui.pages.domains import DomainsPage
from wizard.ui.pages.summary import SummaryPage
from wizard.ui.wizard import Pages

from .helpers import CHECK_TIMEOUT_MS, MakeWizard, enter_domains


def test_a_domain_that_does_not_exist_is_said_plainly_and_holds_next(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    wizard = make_wizard(dns_lab.settings())
    page = enter_domains(wizard, "acme-prts.test\nwiz.test")
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    qtbot.waitUntil(lambda: len(page.scan_texts()) == 2, timeout=CHECK_TIMEOUT_MS)
    assert page.scan_texts()["acme-prts.test"][0] == "no such domain: check the spelling"
    assert page.missing.isVisible() and "acme-prts.test: no such domain" in page.missing.text()
    assert not next_button.isEnabled()
    # The admin removes the typo: Next comes back at once, without waiting for another scan.
    page.edit.setFocus()
    page.edit.selectAll()
    qtbot.keyClicks(page.edit, "wiz.test")
    assert next_button.isEnabled() and not page.missing.isVisible()


def test_scan_button_says_again_only_after_a_scan(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    wizard = make_wizard(dns_lab.settings())
    wizard.show()
    wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, DomainsPage)
    assert page.scan_button.text() == "&Scan DNS"
    qtbot.keyClicks(page.edit, "wiz.test")
    qtbot.waitUntil(lambda: len(page.scan_texts()) == 1, timeout=CHECK_TIMEOUT_MS)
    assert page.scan_button.text() == "&Scan DNS again"


def test_a_from_line_with_a_display_name_is_accepted(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    wizard = make_wizard()
    page = enter_domains(wizard, "")
    qtbot.keyClicks(page.edit, "Acme Orders <orders@acme-parts.test>")
    page.runner.cancel()
    assert not page.errors.isVisible()
    assert page.domains() == ["acme-parts.test"]
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == Pages.SPF
    assert [d.domain for d in wizard.session.progress.domains] == ["acme-parts.test"]


def wheel(widget: QWidget, steps: int = -1) -> None:
    """Turn the mouse wheel over the middle of `widget` (negative: towards the admin, i.e. scroll down)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_a_combo_box_scrolls_the_page_and_changes_nothing(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    wizard = make_wizard()
    enter_domains(wizard, "example.com").runner.cancel()
    wizard.next()
    spf = wizard.currentPage()
    combo = spf.all_box
    assert combo.currentData() == "~all"
    record = spf.card.value_field.text()
    wizard.button(QWizard.WizardButton.NextButton).setFocus()
    bar = spf.scroll_area.verticalScrollBar()
    wizard.resize(wizard.width(), wizard.minimumHeight())  # a small window, so the page has to scroll
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    wheel(combo)
    assert combo.currentData() == "~all" and spf.card.value_field.text() == record
    assert bar.value() > 0  # the page scrolled instead
    # Once the admin has clicked into it (it has the focus), the wheel is theirs to use on it.
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel(combo)
    assert combo.currentData() == "-all"


def open_dkim(make_wizard: MakeWizard, domains: str) -> DkimPage:
    """Type the domains (offline: no scan wanted) and go on to the DKIM page."""
    wizard = make_wizard()
    enter_domains(wizard, domains).runner.cancel()
    wizard.next()
    wizard.next()
    dkim = wizard.currentPage()
    assert isinstance(dkim, DkimPage)
    return dkim


def test_no_dkim_values_yet_the_dkim_page_writes_the_provisioning_request(
    qtbot: QtBot, make_wizard: MakeWizard
) -> None:
    dkim = open_dkim(make_wizard, "shop.example\nAcme Orders <orders@acme-parts.test>")
    assert dkim.request_box.isVisible()
    request = dkim.request.toPlainText()
    assert "provision DKIM for our website" in request
    assert "- shop.example\n- acme-parts.test" in request
    qtbot.mouseClick(dkim.request_copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == request
    assert dkim.request_copy.text() == "Copied"
    # The text box is as tall as the request, not a scrolling slit or half a screen.
    assert dkim.request.verticalScrollBar().maximum() == 0
    assert dkim.request.height() < 20 * dkim.request.fontMetrics().lineSpacing()
    # The placeholder reads as an instruction, not as a value already filled in.
    assert dkim.name_edit.text() == "" and dkim.name_edit.placeholderText().startswith("paste the record name")
    # Once CIMcloud's values are in, this domain no longer needs the request; the other still does.
    qtbot.keyClicks(dkim.name_edit, "cimcloud-abc._domainkey")
    qtbot.keyClicks(dkim.content_edit, "v=DKIM1; p=MIIB")
    assert not dkim.request_box.isVisible()
    dkim.domain_box.setCurrentIndex(1)
    assert dkim.request_box.isVisible() and "- shop.example" not in dkim.request.toPlainText()


def test_summary_shows_dkim_waiting_for_cimcloud_and_asks_for_each_domains_next_step(
    qtbot: QtBot, make_wizard: MakeWizard, store: Store
) -> None:
    progress = Progress(page=Pages.SUMMARY)
    progress.domain("new.example")  # CIMcloud has not sent anything yet
    done = progress.domain("done.example")
    done.dkim_name, done.dkim_content = "cimcloud-abc._domainkey", "v=DKIM1; p=MIIB"
    done.results = {"dkim": CheckRecord(CheckState.VERIFIED, "Verified.")}
    store.save(progress)
    wizard = make_wizard()
    wizard.show()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentId() == Pages.SUMMARY)
    summary = wizard.currentPage()
    assert isinstance(summary, SummaryPage)
    assert summary.cell_texts() == [
        ["new.example", "not checked", "waiting for CIMcloud", "not checked"],
        ["done.example", "not checked", "verified", "not checked"],
    ]
    text = summary.message.toPlainText()
    provision = text.index("Please provision DKIM")
    activate = text.index("Please activate DKIM signing")
    assert text.index("- new.example", provision) < activate
    assert "- done.example: cimcloud-abc._domainkey.done.example" in text[activate:]
    # Sized to its content: no half-empty screen under the message, and nothing hidden in it either.
    assert summary.message.verticalScrollBar().maximum() == 0
    assert summary.message.height() < summary.height() // 2


def paste_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Paste `text` with Ctrl+V, as an admin copies from an email."""
    QGuiApplication.clipboard().setText(text)
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def test_each_clean_up_is_listed_once(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    dkim = open_dkim(make_wizard, "shop.example")
    paste_into(qtbot, dkim.name_edit, "“cimcloud-abc._domainkey”")
    paste_into(qtbot, dkim.content_edit, "“v=DKIM1; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA”")
    assert dkim.name_edit.text() == "“cimcloud-abc._domainkey”"
    lines = dkim.feedback.text().splitlines()
    quotes = [line for line in lines if "typographic quotes" in line]
    assert len(quotes) == 1, lines
