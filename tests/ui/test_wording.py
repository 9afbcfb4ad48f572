"""Plain words on screen for an IT admin who does not speak DMARC/DKIM: the page's own texts explain, the tag names
and the core's full advice stay in the tooltips."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from PySide6.QtWidgets import QLabel, QWidget

from wizard.core.dmarc.compose import ROLLOUT

from wizard.ui.pages.dkim import DkimPage
from wizard.ui.pages.dmarc import DmarcPage

from .helpers import MakeWizard, enter_domains
from .test_flow_lab import dkim_content

SELECTOR = "cimcloud-a94fdfc80c2c46c782969bfb0fc4084e"


def label_for(page: QWidget, widget: QWidget) -> str:
    return next(label.text() for label in page.findChildren(QLabel) if label.buddy() is widget)


def open_page(make_wizard: MakeWizard, steps: int) -> QWidget:
    wizard = make_wizard()
    enter_domains(wizard, "wiz.test")
    for _ in range(steps):
        wizard.next()
    return wizard.currentPage()


def test_dmarc_report_address_and_roll_out_in_plain_words(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    page = open_page(make_wizard, 3)
    assert isinstance(page, DmarcPage)
    assert label_for(page, page.rua) == "&Address for daily DMARC reports (rua):"
    assert "rua= tag" in page.rua.toolTip()
    shown = page.rollout.text()
    assert "No address for daily DMARC reports yet" in shown
    assert "rua" not in shown and "aggregate" not in shown
    assert ROLLOUT[0] in page.rollout.toolTip()  # the core's stage notes, tag names and all, one point away
    page.rua.setText("dmarc@wiz.test")
    assert "No address for daily DMARC reports yet" not in page.rollout.text()
    assert "Monitor: nothing changes for delivery" in page.rollout.text()


def test_dkim_host_advice_is_short_with_the_detail_in_the_tooltip(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    page = open_page(make_wizard, 2)
    assert isinstance(page, DkimPage)
    page.name_edit.setText(f"{SELECTOR}._domainkey")
    page.content_edit.setPlainText(dkim_content())
    note = page.card.note.text()
    assert note.startswith(f"Host: enter only {SELECTOR}._domainkey. Most DNS providers add wiz.test by themselves")
    assert "The value is long: paste it whole" in note
    assert f"{SELECTOR}._domainkey.wiz.test.wiz.test" not in note  # the long explanation is not on the page
    tip = page.card.note.toolTip()
    assert f"creates {SELECTOR}._domainkey.wiz.test.wiz.test" in tip and "full name" in tip
