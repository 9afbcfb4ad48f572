"""Domains: the From-address domains CIMcloud sends as, with bad entries explained inline and a quick live scan."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from wizard.core.names import to_unicode

from wizard.ui.page import Page, text_label
from wizard.ui.scan import DomainScan, Presence, missing_domains, parse_domains, scan_domains
from wizard.ui.session import Session
from wizard.ui.tasks import TaskRunner
from wizard.ui.tooltips import wrapped
from wizard.ui.widgets import buddy, fit_rows, icon, tree_rows

SCAN_DELAY_MS = 700
HELP = (
    "Enter each domain used in the From address of email your CIMcloud site sends, one per line. "
    "You can paste an email address (orders@example.com): its domain is used. You find the From "
    "addresses in the Worker Portal under Settings, Customer Site Settings, Emails."
)


class DomainsPage(Page):
    def __init__(self, session: Session) -> None:
        super().__init__(session, "Your email domains", "Which domains does CIMcloud send email as?")
        self.edit = QPlainTextEdit(self)
        self.edit.setAccessibleName("From-address domains, one per line")
        self.edit.setPlaceholderText("example.com\norders@example.net")
        self.edit.setTabChangesFocus(True)
        self.edit.setMaximumHeight(110)
        label = buddy("&Domains (one per line):", self.edit)
        self.errors = text_label("", self)
        self.errors.setAccessibleName("Problems with the domains entered")
        self.understood = text_label("", self)
        self.missing = text_label("", self)
        self.missing.setAccessibleName("Domains that do not exist")
        self.missing.setStyleSheet("font-weight: bold")
        self.missing.hide()
        self.missing_domains: list[str] = []
        self.scan_button = QPushButton("&Scan DNS", self)
        self.scan_button.setAutoDefault(False)
        self.scan_button.setToolTip("Look up what each domain publishes today (SPF, DMARC, DKIM).")
        self.scan_button.clicked.connect(self.scan)
        self.scan_state = QLabel(self)
        self.table = QTreeWidget(self)
        self.table.setAccessibleName("What each domain has today")
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["Domain", "SPF", "DMARC", "DKIM"])
        # The domain column as wide as its names; the three record columns share the rest and elide their end
        # (the verdict comes first, the whole record is the tooltip), so no sideways scroll bar hides a row.
        header = self.table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip(
            "Point at a cell for the whole record. A green tick in the SPF column means CIMcloud is authorized; "
            "an amber mark means the domain has an SPF record that does not let CIMcloud send yet."
        )
        fit_rows(self.table)
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._scanned)
        self.runner.failed.connect(lambda message: self.scan_state.setText(f"The scan stopped: {message}"))
        self.runner.busy.connect(self._busy)
        self._scan_timer = QTimer(self)
        self._scan_timer.setSingleShot(True)
        self._scan_timer.setInterval(SCAN_DELAY_MS)
        self._scan_timer.timeout.connect(self.scan)
        self.edit.textChanged.connect(self._edited)
        layout = QVBoxLayout(self)
        layout.addWidget(text_label(HELP, self))
        layout.addWidget(label)
        layout.addWidget(self.edit)
        layout.addWidget(self.understood)
        layout.addWidget(self.errors)
        layout.addWidget(self.missing)
        row = QHBoxLayout()
        row.addWidget(self.scan_button)
        row.addWidget(self.scan_state, 1)
        layout.addLayout(row)
        layout.addWidget(self.table)
        layout.addStretch(1)

    def initializePage(self) -> None:
        names = "\n".join(to_unicode(d.domain) for d in self.session.progress.domains)
        if names != self.edit.toPlainText():
            self.edit.setPlainText(names)
        self._edited()

    def domains(self) -> list[str]:
        return parse_domains(self.edit.toPlainText())[0]

    def _edited(self) -> None:
        domains, errors = parse_domains(self.edit.toPlainText())
        self.errors.setText("\n".join(f"“{e.text}” cannot be used: {e.reason}." for e in errors))
        self.errors.setVisible(bool(errors))
        self.understood.setText(("Domains: " + ", ".join(to_unicode(d) for d in domains)) if domains else "")
        self._show_missing()
        self.completeChanged.emit()
        if domains:
            self._scan_timer.start()
        else:
            self.table.clear()
            fit_rows(self.table)

    def isComplete(self) -> bool:
        """Next needs domains, none refused, and none that DNS says does not exist (fixed or removed first)."""
        domains, errors = parse_domains(self.edit.toPlainText())
        return bool(domains) and not errors and not self._missing_entered()

    def _missing_entered(self) -> list[str]:
        entered = self.domains()
        return [d for d in self.missing_domains if d in entered]

    def _show_missing(self) -> None:
        missing = self._missing_entered()
        self.missing.setText(
            "\n".join(f"{to_unicode(d)}: no such domain: check the spelling, or remove it to go on." for d in missing)
        )
        self.missing.setVisible(bool(missing))

    def validatePage(self) -> bool:
        self.session.progress.set_domains(self.domains())
        self.session.changed()
        return True

    # --- the quick scan ---------------------------------------------------------------------------

    def scan(self) -> None:
        self._scan_timer.stop()
        known = {d.domain: d.dkim_name for d in self.session.progress.domains}
        pairs = [(d, _dkim_fqdn(known.get(d, ""), d)) for d in self.domains()]
        if pairs:
            options = {d: self.session.check_options(d) for d, _ in pairs}
            self.runner.start(scan_domains(self.session.lookup, pairs, options))

    def _busy(self, busy: bool) -> None:
        self.scan_state.setText("Looking up what each domain has today…" if busy else "")

    def _scanned(self, scans: list[DomainScan]) -> None:
        self.table.clear()
        for scan in scans:
            item = QTreeWidgetItem([to_unicode(scan.domain)])
            for column, presence in enumerate((scan.spf, scan.dmarc, scan.dkim), start=1):
                item.setText(column, presence.text)
                item.setIcon(column, icon(_presence_icon(presence)))
                item.setData(column, Qt.ItemDataRole.UserRole, _presence_icon(presence))
                item.setToolTip(column, wrapped(presence.text + (f"\n{presence.detail}" if presence.detail else "")))
            self.table.addTopLevelItem(item)
        fit_rows(self.table)
        self.scan_state.setText("What each domain publishes today (through your resolver):")
        self.scan_button.setText("&Scan DNS again")
        self.missing_domains = missing_domains(scans)
        self._show_missing()
        self.completeChanged.emit()

    def shown(self) -> None:
        if self.domains():
            self._scan_timer.start()

    def left(self) -> None:
        self._scan_timer.stop()
        self.runner.cancel()

    def scan_icons(self) -> dict[str, list[str]]:
        """Domain → [SPF, DMARC, DKIM] icon names as shown."""
        items = (self.table.topLevelItem(i) for i in range(self.table.topLevelItemCount()))
        return {
            item.text(0): [str(item.data(c, Qt.ItemDataRole.UserRole)) for c in range(1, 4)] for item in items if item
        }

    def scan_texts(self) -> dict[str, list[str]]:
        """Domain → [SPF, DMARC, DKIM] texts as shown."""
        return {row[0]: row[1:] for row in tree_rows(self.table)}


def _presence_icon(presence: Presence) -> str:
    if presence.failed:
        return "problem"
    if presence.attention:
        return "warning"
    return "verified" if presence.found else "unknown"


def _dkim_fqdn(name: str, domain: str) -> str:
    """The saved DKIM record name as a full name under the domain ("" when none was pasted yet)."""
    name = name.strip().rstrip(".")
    if not name:
        return ""
    return name if name.lower().endswith("." + domain) else f"{name}.{domain}"
