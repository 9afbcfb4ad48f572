"""The main window: a QWizard whose page order lives in one place (Pages) and which owns the shared state."""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import IntEnum

import shiboken6
from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard

from wizard import APP_NAME
from wizard.lookup.settings import LookupSettings
from wizard.store import Store

from wizard.ui.page import DomainPage, Page
from wizard.ui.pages.welcome import WelcomePage
from wizard.ui.session import Session
from wizard.ui.steps import Step, StepList
from wizard.ui.tasks import warm_up
from wizard.ui.tooltips import wrap_tooltips
from wizard.ui.wheel import WheelGuard, guard_wheel
from wizard.ui.widgets import icon


class Pages(IntEnum):
    WELCOME = 0
    DOMAINS = 1
    SPF = 2
    DKIM = 3
    DMARC = 4
    MTA_STS = 5
    SUMMARY = 6


STEPS = [
    Step(Pages.WELCOME, "Welcome"),
    Step(Pages.DOMAINS, "Domains"),
    Step(Pages.SPF, "SPF", "spf"),
    Step(Pages.DKIM, "DKIM", "dkim"),
    Step(Pages.DMARC, "DMARC", "dmarc"),
    Step(Pages.MTA_STS, "MTA-STS", "mta_sts"),
    Step(Pages.SUMMARY, "Summary"),
]


def resume_target(saved_page: int, *, mta_sts: bool) -> int | None:
    """The page a resumed session returns to (None: start at Domains); MTA-STS only when it is still chosen."""
    if not Pages.DOMAINS < saved_page <= Pages.SUMMARY:
        return None
    return saved_page if saved_page != Pages.MTA_STS or mta_sts else Pages.SUMMARY


def next_page(current: int, *, mta_sts: bool) -> int:
    """The page after `current`: MTA-STS only when chosen."""
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
        self.pages: dict[Pages, Page] = {}
        self.wheel_guard = WheelGuard(self)
        self._shown: Page | None = None
        self._resume_to: int | None = None
        self.step_list = StepList(STEPS, self)
        self.setSideWidget(self.step_list)
        self.currentIdChanged.connect(self._page_changed)
        self.session.progress_changed.connect(self.show_steps)
        QShortcut(QKeySequence.StandardKey.Preferences, self, self.open_preferences)
        self.setMinimumSize(720, 560)
        self._restore_geometry()
        wrap_tooltips(self)
        self.warm_up: threading.Thread | None = None
        self._closing = False
        welcome = WelcomePage(self.session)
        self._add_page(Pages.WELCOME, welcome)
        # Welcome is what paints first, unless a resumed session leaves it at once: then the window does.
        self._after_paint = _AfterFirstPaint((welcome, self), self._settle)

    # --- pages -------------------------------------------------------------------------------------

    def _settle(self) -> None:
        """After the first paint: the checks' heavy modules load on a background thread, and the other pages
        are built on the GUI thread, one per turn of the event loop so that the window keeps responding."""
        if self._closing:
            return
        if self.warm_up is None:
            self.warm_up = warm_up()
        if self._build_next_page():
            QTimer.singleShot(0, self, self._settle)

    def build_pages(self) -> None:
        """Every page now (Next needs the page it goes to, even before they are all built after the first paint)."""
        while self._build_next_page():
            pass

    def _build_next_page(self) -> bool:
        """Build the first page not yet built (its module imported here); False when none was left."""
        missing = [page_id for page_id in Pages if page_id not in self.pages]
        if not missing:
            return False
        page = _page_class(missing[0])(self.session)
        self._add_page(missing[0], page)
        wrap_tooltips(page)
        return True

    def _add_page(self, page_id: Pages, page: Page) -> None:
        self.pages[page_id] = page
        self.setPage(page_id, page)
        guard_wheel(page, self.wheel_guard)
        if isinstance(page, DomainPage):
            page.domain_box.currentIndexChanged.connect(self.show_steps)

    # --- order -------------------------------------------------------------------------------------

    def nextId(self) -> int:
        return next_page(self.currentId(), mta_sts=self.session.progress.mta_sts)

    def validateCurrentPage(self) -> bool:
        """Leaving Welcome with "Continue" remembers where to return, so the pages between are walked through and
        Back follows the same path as in a fresh start (a jump would leave Back nothing but Welcome)."""
        self.build_pages()  # Next needs the page it goes to
        if not super().validateCurrentPage():
            return False
        welcome = self.pages[Pages.WELCOME]
        if self.currentId() == Pages.WELCOME and isinstance(welcome, WelcomePage) and welcome.resuming:
            progress = self.session.progress
            self._resume_to = resume_target(progress.page, mta_sts=progress.mta_sts)
        return True

    def _page_changed(self, page_id: int) -> None:
        if self._shown is not None:
            self._shown.left()
        self._shown = self.pages.get(Pages(page_id)) if page_id in Pages._value2member_map_ else None
        if self._shown is None:
            return
        if self._walk_on(page_id):
            return
        if page_id > Pages.WELCOME:
            self.session.progress.page = page_id
            self.session.changed()
        self._shown.shown()
        self.show_steps()

    def show_steps(self) -> None:
        """The step list for the current page and the domain it works on (the first domain elsewhere)."""
        page = self.currentPage()
        entry = page.domain if isinstance(page, DomainPage) else None
        domains = self.session.progress.domains
        if entry is None and domains:
            entry = domains[0]
        shown = {int(p) for p in Pages if p != Pages.MTA_STS or self.session.progress.mta_sts}
        self.step_list.show_steps(self.currentId(), entry, shown)

    def _walk_on(self, page_id: int) -> bool:
        """While resuming, go on to the next page of the path (each loads as in a fresh start); True while walking."""
        target = self._resume_to
        if target is None or page_id >= target or page_id == Pages.WELCOME:
            self._resume_to = None
            return False
        page = self.currentPage()
        if page is not None and not page.isComplete():
            self._resume_to = None  # a page needs the admin (e.g. a domain to fix): stop there
            return False
        QTimer.singleShot(0, self.next)
        return True

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
        """Cancel every check in progress and stop the timers (the window is closing); the warm-up, which
        cannot be cancelled, is waited for (it is short, and no thread outlives the window)."""
        self._closing = True  # no more pages are built
        for page in self.pages.values():
            page.left()
        self._shown = None
        if self.warm_up is not None:
            self.warm_up.join()

    def done(self, result: int) -> None:
        self.stop_live_work()
        self.session.progress.geometry = bytes(self.saveGeometry().toBase64().data()).decode("ascii")
        self.session.save()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop_live_work()
        super().closeEvent(event)


def _page_class(page_id: Pages) -> Callable[[Session], Page]:
    """The class of a page after Welcome, its module imported only now (not before the window first shows)."""
    if page_id == Pages.DOMAINS:
        from wizard.ui.pages.domains import DomainsPage

        return DomainsPage
    if page_id == Pages.SPF:
        from wizard.ui.pages.spf import SpfPage

        return SpfPage
    if page_id == Pages.DKIM:
        from wizard.ui.pages.dkim import DkimPage

        return DkimPage
    if page_id == Pages.DMARC:
        from wizard.ui.pages.dmarc import DmarcPage

        return DmarcPage
    if page_id == Pages.MTA_STS:
        from wizard.ui.pages.mta_sts import MtaStsPage

        return MtaStsPage
    from wizard.ui.pages.summary import SummaryPage

    assert page_id == Pages.SUMMARY, page_id
    return SummaryPage


class _AfterFirstPaint(QObject):
    """Calls `then` once, on the event loop's next turn after the first of `widgets` is painted (an event filter
    that removes itself): work that the first sight of the window need not wait for."""

    def __init__(self, widgets: tuple[QWidget, ...], then: Callable[[], None]) -> None:
        super().__init__(widgets[-1])
        self._then = then
        self._widgets = widgets
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._widgets:
            for widget in self._widgets:
                widget.removeEventFilter(self)
            self._widgets = ()
            QTimer.singleShot(0, self, self._then)  # not called once the window (and so this filter) is gone
        return False
