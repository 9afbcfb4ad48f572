"""Issue 10, walked as a first-time admin would: the Domains page, the wheel over settings, small wording fixes.

Each test drives the real wizard with clicks, keys and wheel events (against the BIND lab where DNS matters).
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget, QWizard

from tests.lab.lab import Lab

from wizard.ui.pages.domains import DomainsPage
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
