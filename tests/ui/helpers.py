"""Steps the wizard's tests share: getting to a page as an admin would."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from wizard.store import CheckState

from wizard.ui.page import DomainPage
from wizard.ui.pages.domains import DomainsPage
from wizard.ui.wizard import EmailAuthWizard

MakeWizard = Callable[..., EmailAuthWizard]
CHECK_TIMEOUT_MS = 10000


def enter_domains(wizard: EmailAuthWizard, text: str) -> DomainsPage:
    """Show the wizard, go to the Domains page and type the domains."""
    wizard.show()
    wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, DomainsPage)
    page.edit.setPlainText(text)
    return page


def check_now(qtbot: QtBot, page: DomainPage) -> CheckState:
    """Click "Check DNS now" and wait for the verdict."""
    with qtbot.waitSignal(page.panel.verdict_ready, timeout=CHECK_TIMEOUT_MS):
        qtbot.mouseClick(page.panel.check_button, Qt.MouseButton.LeftButton)
    assert page.panel.verdict is not None
    return page.panel.verdict.state


def resume(qtbot: QtBot, wizard: EmailAuthWizard, page_id: int) -> None:
    """Show the wizard on saved work, choose Continue (Next) and wait while it walks on to the saved page."""
    wizard.show()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == page_id, timeout=CHECK_TIMEOUT_MS)
