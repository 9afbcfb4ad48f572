"""What users expect: both palettes render, SVG icons stay sharp at HiDPI, links open in the browser, every
control has a name for screen readers, mnemonics do not clash, and the window geometry is remembered."""

from __future__ import annotations

import re

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTreeWidget,
    QWidget,
    QWizard,
)

from wizard.store import Store

from wizard.ui.pages.dkim import WAITING_TEXT, DkimPage
from wizard.ui.theme import apply_scheme, is_dark
from wizard.ui.widgets import icon
from wizard.ui.wizard import EmailAuthWizard, Pages

from .conftest import LinkCatcher
from .helpers import MakeWizard, enter_domains

WIZARD_BUTTONS = (
    QWizard.WizardButton.BackButton,
    QWizard.WizardButton.NextButton,
    QWizard.WizardButton.FinishButton,
    QWizard.WizardButton.HelpButton,
)
DKIM = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"


@pytest.fixture
def restore_palette(qapp: QApplication) -> object:
    before = qapp.palette()
    yield None
    qapp.setPalette(before)


@pytest.mark.parametrize("scheme", [Qt.ColorScheme.Light, Qt.ColorScheme.Dark])
def test_both_palettes_render_readable_pages(
    qapp: QApplication, make_wizard: MakeWizard, restore_palette: object, scheme: Qt.ColorScheme
) -> None:
    apply_scheme(qapp, scheme)
    wizard = make_wizard()
    enter_domains(wizard, "example.com")
    assert is_dark(qapp.palette()) == (scheme == Qt.ColorScheme.Dark)
    image = wizard.grab().toImage()
    centre = image.pixelColor(image.width() // 2, image.height() // 2)
    assert (centre.lightness() < 128) == (scheme == Qt.ColorScheme.Dark)
    palette = wizard.palette()
    text = palette.color(QPalette.ColorRole.WindowText).lightness()
    window = palette.color(QPalette.ColorRole.Window).lightness()
    assert abs(text - window) > 100  # text stands out from its background


def test_svg_icons_are_sharp_at_hidpi() -> None:
    for name in ("app", "verified", "waiting", "problem", "unknown", "copy"):
        pixmap = icon(name).pixmap(QSize(16, 16), 2.0)
        assert not pixmap.isNull(), name
        assert pixmap.width() == 32 and pixmap.devicePixelRatio() == 2.0


def open_dkim_offline(make_wizard: MakeWizard) -> DkimPage:
    """The DKIM page for example.com, with the Domains page's live scan stopped (these tests need no DNS)."""
    wizard = make_wizard()
    enter_domains(wizard, "example.com")
    wizard.page(Pages.DOMAINS).runner.cancel()
    wizard.next()
    wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, DkimPage)
    return page


def test_verification_link_opens_in_the_browser(qtbot: QtBot, make_wizard: MakeWizard, links: LinkCatcher) -> None:
    page = open_dkim_offline(make_wizard)
    page.name_edit.setText("sel1._domainkey")
    page.content_edit.setPlainText(DKIM)
    page.link.setFocus()
    qtbot.keyClick(page.link, Qt.Key.Key_Tab)  # move to the link inside the label
    qtbot.keyClick(page.link, Qt.Key.Key_Return)
    assert len(links.urls) == 1 and links.urls[0].startswith("https://mxtoolbox.com/")
    assert "example.com" in links.urls[0]


def visible_controls(page: QWidget) -> list[QWidget]:
    kinds = (QLineEdit, QPlainTextEdit, QTreeWidget, QComboBox, QAbstractButton)
    return [w for kind in kinds for w in page.findChildren(kind) if w.isVisibleTo(page)]


def named(widget: QWidget, page: QWidget) -> bool:
    if widget.accessibleName():
        return True
    if isinstance(widget, QAbstractButton) and widget.text():
        return True
    return any(label.buddy() is widget for label in page.findChildren(QLabel))


def test_every_page_names_its_controls_and_mnemonics_do_not_clash(
    qtbot: QtBot, make_wizard: MakeWizard, store: Store
) -> None:
    wizard = make_wizard()
    enter_domains(wizard, "example.com")
    wizard.session.progress.mta_sts = True
    seen = []
    while True:
        page = wizard.currentPage()
        seen.append(wizard.currentId())
        unnamed = [type(w).__name__ for w in visible_controls(page) if not named(w, page)]
        assert unnamed == [], f"page {wizard.currentId()}: controls without a name: {unnamed}"
        buttons = [wizard.button(b) for b in WIZARD_BUTTONS if wizard.button(b).isVisible()]
        keys = [
            m.group(1).lower()
            for w in [*page.findChildren(QLabel), *page.findChildren(QAbstractButton), *buttons]
            if (w in buttons or w.isVisibleTo(page)) and (m := re.search(r"&(\w)", w.text()))
        ]
        assert len(keys) == len(set(keys)), f"page {wizard.currentId()}: mnemonics used twice: {sorted(keys)}"
        if wizard.currentId() == Pages.SUMMARY:
            break
        page.left()
        wizard.next()
    assert seen == list(Pages)[1:]  # from Domains (where the test starts) to Summary, MTA-STS included


def test_window_geometry_is_remembered(make_wizard: MakeWizard, store: Store) -> None:
    first = make_wizard()
    first.show()
    first.resize(760, 590)
    first.close()
    second = make_wizard()
    assert (second.width(), second.height()) == (760, 590)


def test_keyboard_only_walk_reaches_the_domain_field(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    wizard: EmailAuthWizard = make_wizard()
    wizard.show()
    qtbot.keyClick(wizard, Qt.Key.Key_Return)  # Enter on Welcome goes to Domains
    assert wizard.currentId() == Pages.DOMAINS
    page = wizard.currentPage()
    page.edit.setFocus()
    qtbot.keyClicks(page.edit, "example.com")
    qtbot.keyClick(page.edit, Qt.Key.Key_Tab)
    assert not page.edit.hasFocus()  # Tab leaves the text box instead of inserting a tab
    assert page.isComplete()


def test_folded_option_boxes_leave_no_empty_frame(make_wizard: MakeWizard) -> None:
    page = open_dkim_offline(make_wizard)
    box = page.paste_box
    assert not page.paste.isVisible() and box.height() <= 2 * box.fontMetrics().height()
    assert page.panel.badge.text_label.text() == WAITING_TEXT  # nothing pasted: not "not checked"
    box.setChecked(True)
    assert page.paste.isVisible() and box.maximumHeight() > 1000
