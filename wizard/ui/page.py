"""The page base classes: each page loads in initializePage(), guards Next in isComplete()/validatePage(),
and is told when it is shown and left so live checks run only while the admin looks at them."""

from __future__ import annotations

import time
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from wizard.checks.verify import Verdict
from wizard.core.findings import Finding, Severity
from wizard.core.names import to_unicode
from wizard.core.records import CheckState
from wizard.store import DomainProgress

from wizard.ui.plain import waiting_text
from wizard.ui.publish import attach_publishing, stop_publishing
from wizard.ui.session import Session
from wizard.ui.verdict import to_record
from wizard.ui.verify import VerifyPanel
from wizard.ui.widgets import buddy, fold, state_icon

STATUS_SCALE = 1.25  # the status line's type, against the page's


def text_label(text: str, parent: QWidget | None = None, *, rich: bool = False) -> QLabel:
    """A wrapping label; rich text opens its links in the browser."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    if rich:
        label.setOpenExternalLinks(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    return label


def finding_lines(findings: list[Finding]) -> str:
    """Findings as plain lines for the page: "Problem: ...", "Warning: ...", "Note: ..."."""
    marks = {Severity.ERROR: "Problem", Severity.WARNING: "Warning", Severity.INFO: "Note"}
    return "\n".join(f"{marks[f.severity]}: {f.message}" for f in findings)


class Page(QWizardPage):
    """A wizard page sharing the session; `shown()`/`left()` bracket the time it is the current page."""

    def __init__(self, session: Session, title: str, subtitle: str = "") -> None:
        super().__init__()
        self.session = session
        self.setTitle(title)
        if subtitle:
            self.setSubTitle(subtitle)

    def shown(self) -> None:
        """The page became the current page."""

    def left(self) -> None:
        """The admin moved to another page, or the window is closing: stop live work."""


class DomainPage(Page):
    """A record page that works on one domain at a time, chosen at the top, with a live verification panel.

    The page leads with one status line for the chosen domain (the verdict's icon and sentence, in larger type,
    never scrolled away), then the "Check DNS now" row, then the page's controls and record card (`self.body`),
    and last, folded, the details (`self.details`: today's record, the lookup tree, the table of servers).
    Subclasses build into `self.body` and `self.details`, implement `load_domain()` and call `update_target()`
    whenever the record to verify changes. `check_key` names the result kept in progress ("spf", "dkim"...).
    A second record's panel (`extra_panel()`) is placed by the page; the status line is the first panel's.
    """

    check_key = ""

    def __init__(self, session: Session, title: str, subtitle: str = "") -> None:
        super().__init__(session, title, subtitle)
        self.domain_box = QComboBox(self)
        self.domain_box.setAccessibleName("Domain")
        self.domain_box.currentIndexChanged.connect(self._domain_chosen)
        top = QHBoxLayout()
        top.addWidget(buddy("&Domain:", self.domain_box))
        top.addWidget(self.domain_box, 1)
        # The page scrolls as a whole, so every part keeps its natural height on a small screen.
        content = QWidget()
        self.body = QVBoxLayout()
        self.details = QVBoxLayout()
        self.panels: dict[str, VerifyPanel] = {}
        self.panel = self.extra_panel(self.check_key, content)
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(self._status_line())
        inner.addWidget(self.panel)
        inner.addLayout(self.body)
        inner.addWidget(self._details_box(content))
        inner.addStretch(1)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(content)
        layout.addWidget(self.scroll_area, 1)
        self._loading = False

    def _status_line(self) -> QVBoxLayout:
        """The panel's verdict (icon and sentence) and its waiting note, moved above the scrolling part and larger."""
        badge, note = self.panel.badge, self.panel.cache_label
        for widget in (badge, note):
            panel_layout = self.panel.layout()
            if panel_layout is not None:
                panel_layout.removeWidget(widget)
        font = QFont(badge.font())
        font.setPointSizeF(font.pointSizeF() * STATUS_SCALE)
        font.setBold(True)
        badge.setFont(font)
        badge.setAccessibleDescription("Where this record stands for the chosen domain")
        self.panel.verdict_ready.connect(lambda verdict: self._show_waiting(self.panel, verdict))
        self.panel.verdict_ready.connect(lambda _verdict: self.restate())
        status = QVBoxLayout()
        status.addWidget(badge)
        status.addWidget(note)
        return status

    def _details_box(self, parent: QWidget) -> QGroupBox:
        """Today's record, the lookup tree and the servers' answers: folded, for whoever wants the details."""
        box = QGroupBox("Details: today's record, what each server answered", parent)
        box.setCheckable(True)
        box.setChecked(False)
        inner = QWidget(box)
        inner_layout = QVBoxLayout(inner)
        inner_layout.setContentsMargins(0, 0, 0, 0)
        inner_layout.addLayout(self.details)
        table = self.panel.table
        panel_layout = self.panel.layout()
        if panel_layout is not None:
            panel_layout.removeWidget(table)
        inner_layout.addWidget(table)
        QVBoxLayout(box).addWidget(inner)
        fold(box, inner)
        self.details_box = box
        return box

    @staticmethod
    def _show_waiting(panel: VerifyPanel, verdict: Verdict) -> None:
        """While DNS catches up: the guide's "up to 48 hours" with the real figure the check knows."""
        text = waiting_text(verdict.state, verdict.cache_minutes)
        panel.cache_label.setText(text)
        panel.cache_label.setVisible(bool(text))

    def something_else(self, verdict: Verdict) -> str:
        """What is published at the record's name instead of the record asked for, in plain words
        (plain.not_the_record), when the page knows; "" otherwise. Pages that know override this."""
        return ""

    def restate(self) -> None:
        """When the check finds no record of its kind but something else is there, the status line says what
        (rather than only "not found"); the state stays the check's. Called after each verdict, and by pages
        whose own look at today's records arrives later."""
        verdict = self.panel.verdict
        if verdict is None or verdict.state is not CheckState.MISSING:
            return
        what = self.something_else(verdict)
        if what:
            self.panel.badge.set_state(verdict.state, f"Not found yet. {what}")

    @property
    def domain(self) -> DomainProgress | None:
        index = self.domain_box.currentIndex()
        domains = self.session.progress.domains
        return domains[index] if 0 <= index < len(domains) else None

    def initializePage(self) -> None:
        current = self.domain.domain if self.domain else ""
        self.domain_box.blockSignals(True)
        self.domain_box.clear()
        for entry in self.session.progress.domains:
            self.domain_box.addItem(state_icon(self._state(entry)), to_unicode(entry.domain))
        names = [d.domain for d in self.session.progress.domains]
        self.domain_box.setCurrentIndex(names.index(current) if current in names else 0)
        self.domain_box.blockSignals(False)
        self._domain_chosen()

    def _state(self, entry: DomainProgress) -> CheckState | None:
        record = entry.results.get(self.check_key)
        return record.state if record else None

    def _domain_chosen(self) -> None:
        entry = self.domain
        if entry is None:
            return
        self._loading = True
        try:
            self.load_domain(entry)
        finally:
            self._loading = False
        self.update_target()
        attach_publishing(self, self.session, entry.domain)

    def load_domain(self, entry: DomainProgress) -> None:
        """Fill the page's controls from one domain's saved progress."""
        raise NotImplementedError

    def update_target(self) -> None:
        """Tell the panel which name and record to verify (called after every change)."""
        raise NotImplementedError

    def changed(self) -> None:
        """A control changed: keep it in progress (not while loading) and refresh what is verified."""
        if self._loading:
            return
        self.session.changed()
        self.update_target()
        self.completeChanged.emit()

    def extra_panel(self, key: str, parent: QWidget | None = None, what: str = "") -> VerifyPanel:
        """A verification panel whose verdicts are kept in progress under `key` ("tls_rpt"...)."""
        panel = VerifyPanel(self.session, parent or self, what=what, mnemonics=not self.panels)
        panel.verdict_ready.connect(lambda verdict: self._record_verdict(key, panel, verdict))
        self.panels[key] = panel
        return panel

    def shown(self) -> None:
        for panel in self.panels.values():
            panel.activate()

    def left(self) -> None:
        for panel in self.panels.values():
            panel.deactivate()
        stop_publishing(self)

    def refresh_today(self) -> None:
        """Look up again what the page says about today's records (a verdict showed DNS changed since)."""

    def _record_verdict(self, key: str, panel: VerifyPanel, verdict: Verdict) -> None:
        entry = self.domain
        if entry is None or panel.target is None:
            return
        before, after = entry.results.get(key), to_record(panel.target, verdict, time.time())
        entry.results[key] = after
        if key == self.check_key:
            self.domain_box.setItemIcon(self.domain_box.currentIndex(), state_icon(verdict.state))
        self.session.changed()
        if before is None or replace(before, checked_at=0.0) != replace(after, checked_at=0.0):
            self.refresh_today()  # an unchanged verdict (automatic re-check) means unchanged DNS: no need
