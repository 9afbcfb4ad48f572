"""The main window: a QWizard whose page order lives in one place (Pages) and which owns the shared state."""

from __future__ import annotations

from enum import IntEnum

import shiboken6
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard

from wizard import APP_NAME
from wizard.lookup.settings import LookupSettings
from wizard.store import Store

from wizard.ui.page import Page
from wizard.ui.pages.dkim import DkimPage
from wizard.ui.pages.dmarc import DmarcPage
from wizard.ui.pages.domains import DomainsPage
from wizard.ui.pages.mta_sts import MtaStsPage
from wizard.ui.pages.spf import SpfPage
from wizard.ui.pages.summary import SummaryPage
from wizard.ui.pages.welcome import WelcomePage
from wizard.ui.session import Session
from wizard.ui.widgets import icon


class Pages(IntEnum):
    WELCOME = 0
    DOMAINS = 1
    SPF = 2
    DKIM = 3
    DMARC = 4
    MTA_STS = 5
    SUMMARY = 6


def next_page(current: int, *, mta_sts: bool, resume_at: int | None = None) -> int:
    """The page after `current`: MTA-STS only when chosen; from Welcome straight to a saved page when resuming."""
    if current == Pages.WELCOME and resume_at is not None and Pages.DOMAINS < resume_at <= Pages.SUMMARY:
        return resume_at if resume_at != Pages.MTA_STS or mta_sts else Pages.SUMMARY
    if current < 0:
        return Pages.WELCOME
    if current >= Pages.SUMMARY:
        return -1
    following = current + 1
    if following == Pages.MTA_STS and not mta_sts:
        following = Pages.SUMMARY
    return following


class EmailAuthWizard(QWizard):
    """The wizard window. Pages share `session`; live checks run only on the page being shown."""

    def __init__(self, settings: LookupSettings, store: Store | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = Session(settings, store, self)
        self.save_warning: QMessageBox | None = None
        self.session.save_failed.connect(self._save_failed)
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icon("app"))
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, True)
        self.setButtonText(QWizard.WizardButton.HelpButton, "&Preferences…")
        self.helpRequested.connect(self.open_preferences)
        self.pages: dict[Pages, Page] = {
            Pages.WELCOME: WelcomePage(self.session),
            Pages.DOMAINS: DomainsPage(self.session),
            Pages.SPF: SpfPage(self.session),
            Pages.DKIM: DkimPage(self.session),
            Pages.DMARC: DmarcPage(self.session),
            Pages.MTA_STS: MtaStsPage(self.session),
            Pages.SUMMARY: SummaryPage(self.session),
        }
        for page_id, page in self.pages.items():
            self.setPage(page_id, page)
        self._shown: Page | None = None
        self.currentIdChanged.connect(self._page_changed)
        QShortcut(QKeySequence.StandardKey.Preferences, self, self.open_preferences)
        self.setMinimumSize(720, 560)
        self._restore_geometry()

    # --- order -------------------------------------------------------------------------------------

    def nextId(self) -> int:
        progress = self.session.progress
        welcome = self.pages[Pages.WELCOME]
        assert isinstance(welcome, WelcomePage)
        resume = progress.page if self.currentId() == Pages.WELCOME and welcome.resuming else None
        return next_page(self.currentId(), mta_sts=progress.mta_sts, resume_at=resume)

    def _page_changed(self, page_id: int) -> None:
        if self._shown is not None:
            self._shown.left()
        self._shown = self.pages.get(Pages(page_id)) if page_id in Pages._value2member_map_ else None
        if self._shown is None:
            return
        if page_id > Pages.WELCOME:
            self.session.progress.page = page_id
            self.session.changed()
        self._shown.shown()

    # --- preferences, saving, closing --------------------------------------------------------------

    def open_preferences(self) -> None:
        from wizard.ui.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.session.settings, self)
        dialog.accepted.connect(lambda: self.session.set_settings(dialog.settings()))
        dialog.open()

    def _save_failed(self, message: str) -> None:
        """Say so without blocking the work; while the warning is open, a later failure updates it, not a new box."""
        box = self.save_warning
        if box is not None and shiboken6.isValid(box) and box.isVisible():
            box.setText(message)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, f"{APP_NAME}: progress not saved", message, parent=self)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.save_warning = box

    def _restore_geometry(self) -> None:
        saved = self.session.progress.geometry
        if saved:
            self.restoreGeometry(QByteArray.fromBase64(saved.encode("ascii")))
        else:
            self.resize(860, 680)

    def stop_live_work(self) -> None:
        """Cancel every check in progress and stop the timers (the window is closing)."""
        for page in self.pages.values():
            page.left()
        self._shown = None

    def done(self, result: int) -> None:
        self.stop_live_work()
        self.session.progress.geometry = bytes(self.saveGeometry().toBase64().data()).decode("ascii")
        self.session.save()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop_live_work()
        super().closeEvent(event)
