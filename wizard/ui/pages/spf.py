"""SPF: today's record with its lookup tree, the services that send as the domain, and the one record to publish.

Composition and the rules come from wizard.core.spf_compose / spf_tree / spf_rules; this page only wires them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wizard.checks.spf import SpfResult, spf_result
from wizard.checks.verify import Target, Verdict
from wizard.core.answers import Source
from wizard.core.records import Kind
from wizard.core.spf import CIMCLOUD_INCLUDE
from wizard.core.spf.compose import Composition, compose, included
from wizard.core.spf.evaluate import MAX_LOOKUPS
from wizard.core.spf.record import Qualifier, is_spf
from wizard.core.spf.rules import spf_findings
from wizard.core.spf.services import SpfService
from wizard.core.spf.tree import Authorization, SpfNode, TreeAnalysis, analyze
from wizard.resources import load_services
from wizard.store import DomainProgress

from wizard.ui.overlay import OverlaySource
from wizard.ui.page import DomainPage, finding_lines, text_label
from wizard.ui.plain import authorization_text, near_misses, not_the_record
from wizard.ui.session import Session
from wizard.ui.tasks import TaskRunner
from wizard.ui.tooltips import wrapped
from wizard.ui.widgets import RecordCard, buddy

ALL_CHOICES = (
    ("~all", "~all: mark mail from other servers as suspicious (recommended)"),
    ("-all", "-all: refuse mail from other servers"),
)
WHY_ALL = (
    "Why ~all? It tells receivers that mail from a server you did not list is suspicious rather than forged "
    "for certain. While you are still finding every service that sends as your domain, that keeps a forgotten "
    "one from having its mail refused. CIMcloud's guide uses ~all. Switch to -all once DMARC reports show every "
    "sender is listed; with DMARC at quarantine or reject, receivers act on DMARC anyway."
)
COMPOSE_DELAY_MS = 500


@cache
def services() -> tuple[SpfService, ...]:
    return tuple(load_services())


def qualifier_of(choice: str) -> Qualifier:
    return Qualifier.FAIL if choice == "-all" else Qualifier.SOFTFAIL


@dataclass(frozen=True)
class Today:
    """Today's record as the spf check judges it, and the TXT values at the name that look meant as SPF but are not."""

    result: SpfResult
    near_misses: tuple[str, ...] = ()


async def analyze_live(source: Source, domain: str) -> Today:
    """Today's record as the spf check judges it: the tree, whether it authorizes CIMcloud, the findings; and what
    else is published there that looks like an SPF record. (A question nobody waits for any more, when the page is
    left or the window closed, is cancelled.)"""
    result, answer = await asyncio.gather(spf_result(source, domain, CIMCLOUD_INCLUDE), source.resolve(domain, "TXT"))
    texts = tuple(answer.texts) if answer.ok else ()
    return Today(result, near_misses(texts, "spf", is_spf))


def fill_tree(tree: QTreeWidget, analysis: TreeAnalysis | None) -> None:
    """The include/redirect tree: each record, each term with its lookup cost and the running total."""
    tree.clear()
    if analysis is None:
        return
    tree.addTopLevelItem(_node_item(analysis.root))
    tree.expandAll()


def _node_item(node: SpfNode) -> QTreeWidgetItem:
    shown = node.record or f"({node.status}{': ' + node.detail if node.detail else ''})"
    item = QTreeWidgetItem([f"{node.domain}: {shown}", "", ""])
    for term in node.terms:
        child = QTreeWidgetItem([term.term, str(term.cost) if term.cost else "", str(term.total) if term.cost else ""])
        notes = [n for n in (term.note, term.failed, "finds nothing (void)" if term.void else "") if n]
        if not term.reached:
            notes.append("never reached")
        child.setToolTip(0, wrapped("; ".join(notes)))
        if term.node is not None:
            child.addChild(_node_item(term.node))
        item.addChild(child)
    return item


def card_title(live: list[str], record: str) -> str:
    """A domain has one SPF record: with one published, the card replaces it rather than adding a second."""
    if live == [record]:
        return "Your SPF record, as published today: nothing to change"
    return "Replace your existing SPF record with this one" if live else "Record to add at your DNS provider"


def card_note(domain: str, live: list[str], record: str) -> str:
    host = f"Host @ means {domain} itself."
    if live == [record]:
        return f"{host} CIMcloud's guide: make sure your domain has only one SPF record (it has)."
    if live:
        return (
            f"{host} Edit the SPF record your domain already has (the TXT record starting v=spf1) and put this "
            "value in its place; do not add a second one. CIMcloud's guide: make sure your domain has only one "
            "SPF record."
        )
    return f"{host} CIMcloud's guide: make sure your domain has only one SPF record."


class SpfPage(DomainPage):
    check_key = "spf"

    def __init__(self, session: Session) -> None:
        super().__init__(
            session, "SPF: who may send as your domain", "One SPF record per domain, listing every sender."
        )
        self.live: TreeAnalysis | None = None
        self.instead = ""  # what is published instead of an SPF record (plain words), once looked up
        self.live_auth: Authorization | None = None
        self.proposed: TreeAnalysis | None = None
        self.composition: Composition | None = None
        self.live_runner = TaskRunner(self)
        self.live_runner.finished.connect(self._live_analyzed)
        self.proposed_runner = TaskRunner(self)
        self.proposed_runner.finished.connect(self._proposed_analyzed)
        self._compose_timer = QTimer(self)
        self._compose_timer.setSingleShot(True)
        self._compose_timer.setInterval(COMPOSE_DELAY_MS)
        self._compose_timer.timeout.connect(self._analyze_proposed)
        self.body.addWidget(self._compose_tab())
        self.card = RecordCard(parent=self)
        self.body.addWidget(self.card)
        self.details.addWidget(self._today_tab())
        self.details.addWidget(self._tree_tab())

    # --- building -----------------------------------------------------------------------------------

    def _compose_tab(self) -> QWidget:
        tab = QWidget(self)
        box = QGroupBox("Services that send email as this domain", tab)
        grid = QGridLayout(box)
        self.service_boxes: dict[str, QCheckBox] = {}
        per_account = []
        usable = [s for s in services() if s.include]
        for index, service in enumerate(usable):
            check = QCheckBox(service.name, box)
            check.setToolTip(
                f"include:{service.include}" + (f"\n{service.note}" if service.note else "") + f"\n{service.docs}"
            )
            check.setAccessibleName(f"{service.name} sends as this domain")
            if service.fixed:
                check.setChecked(True)
                check.setEnabled(False)
            check.toggled.connect(self.changed)
            self.service_boxes[service.id] = check
            grid.addWidget(check, index // 3, index % 3)
        per_account = [s for s in services() if not s.include]
        self.custom = QLineEdit(tab)
        self.custom.setAccessibleName("Other SPF terms")
        self.custom.setPlaceholderText("e.g. include:spf.example-crm.com ip4:203.0.113.7")
        self.custom.setToolTip(
            "Terms for senders not listed above, separated by spaces: include:, ip4:, ip6:, a, mx."
            + "".join(f"\n{s.name}: {s.include_hint}" for s in per_account)
        )
        self.custom.textChanged.connect(self.changed)
        self.all_box = QComboBox(tab)
        self.all_box.setAccessibleName("How to treat mail from servers not listed")
        for value, text in ALL_CHOICES:
            self.all_box.addItem(text, value)
        self.all_box.setToolTip(WHY_ALL)
        self.all_box.currentIndexChanged.connect(self.changed)
        form = QFormLayout()
        form.addRow(buddy("&Other senders:", self.custom), self.custom)
        form.addRow(buddy("&Everything else:", self.all_box), self.all_box)
        self.changes = text_label("", tab)
        self.changes.setAccessibleName("What changes and why")
        self.warnings = text_label("", tab)
        self.warnings.setAccessibleName("Warnings about the new record")
        self.warnings.setStyleSheet("font-weight: bold")
        self.lookups = QLabel(tab)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)
        layout.addLayout(form)
        layout.addWidget(self.warnings)
        layout.addWidget(self.lookups)
        layout.addWidget(self.changes)
        return tab

    def _today_tab(self) -> QWidget:
        tab = QWidget(self)
        self.today = text_label("Looking up today's record…", tab)
        self.today.setAccessibleName("Today's SPF record")
        self.today_auth = text_label("", tab)
        self.today_auth.setAccessibleName("Whether CIMcloud may send as this domain today")
        self.today_auth.setStyleSheet("font-weight: bold")
        self.today_findings = text_label("", tab)
        self.today_findings.setAccessibleName("Problems in today's SPF record")
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.today)
        layout.addWidget(self.today_auth)
        layout.addWidget(self.today_findings)
        return tab

    def _tree_tab(self) -> QWidget:
        tab = QWidget(self)
        self.tree = QTreeWidget(tab)
        self.tree.setAccessibleName("SPF lookup tree of the new record")
        self.tree.setHeaderLabels(["Record and terms", "Lookups", "Running total"])
        # Nested includes indent deeply: the counts come first, where they stay in view, and the record column
        # takes the width it needs (scrolling sideways if it must).
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.moveSection(0, 2)
        self.tree.setTreePosition(0)
        self.tree.setIndentation(16)
        self.tree.setToolTip(
            f"Every include, a, mx, ptr, exists and redirect costs a DNS lookup; SPF allows {MAX_LOOKUPS}."
        )
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(text_label("The new record's tree: what a receiver looks up, in order.", tab))
        layout.addWidget(self.tree)
        return tab

    # --- loading and saving -----------------------------------------------------------------------------

    def load_domain(self, entry: DomainProgress) -> None:
        for service_id, check in self.service_boxes.items():
            if check.isEnabled():
                check.setChecked(service_id in entry.spf_services)
        self.custom.setText(entry.spf_custom)
        index = self.all_box.findData(entry.spf_all)
        self.all_box.setCurrentIndex(max(index, 0))
        self.live = None
        self.instead = ""  # what is published instead of an SPF record, once today's record is looked up
        self.live_auth = None
        self.proposed = None
        self.today.setText("Looking up today's record…")
        self.today_auth.clear()
        self.today_findings.clear()
        self.refresh_today()

    def refresh_today(self) -> None:
        """Analyze today's record again (the record composed from it stays until the new analysis arrives)."""
        entry = self.domain
        if entry is not None:
            self.live_runner.start(analyze_live(self.session.lookup, entry.domain))

    def _save(self, entry: DomainProgress) -> None:
        entry.spf_services = [sid for sid, c in self.service_boxes.items() if c.isChecked() and c.isEnabled()]
        entry.spf_custom = self.custom.text()
        entry.spf_all = str(self.all_box.currentData())

    def changed(self) -> None:
        entry = self.domain
        if entry is not None and not self._loading:
            self._save(entry)
        super().changed()

    # --- composing ---------------------------------------------------------------------------------------

    def _includes(self, *, ticked: bool = True) -> list[str]:
        """The includes of the presets ticked (or, with ticked=False, unticked), CIMcloud's own left out."""
        chosen = {sid for sid, c in self.service_boxes.items() if c.isChecked() == ticked}
        return [s.include for s in services() if s.id in chosen and s.include and not s.fixed]

    def _tick_published(self, records: list[str]) -> None:
        """Start from what is published: tick the presets whose include today's record already has."""
        present = set(included(records, [s.include for s in services() if s.include and not s.fixed]))
        entry = self.domain
        self._loading = True
        try:
            for service in services():
                check = self.service_boxes.get(service.id)
                if check is not None and check.isEnabled() and service.include in present:
                    check.setChecked(True)
        finally:
            self._loading = False
        if entry is not None:
            self._save(entry)

    def update_target(self) -> None:
        entry = self.domain
        if entry is None:
            return
        live = list(self.live.root.records) if self.live is not None else []
        self.composition = compose(
            live,
            self._includes(),
            self.custom.text().split(),
            qualifier_of(str(self.all_box.currentData())),
            drop=self._includes(ticked=False),
        )
        record = self.composition.record
        spf_live = [r for r in live if is_spf(r)]
        self.card.setTitle(card_title(spf_live, record))
        self.card.set_record("TXT", "@", record, entry.domain, note=card_note(entry.domain, spf_live, record))
        self.changes.setText("\n".join(self.composition.changes))
        self._show_warnings()
        # Until today's record is known, the composition may drop live terms: verify only once it is.
        self.panel.set_target(Target(entry.domain, entry.domain, Kind.SPF, record) if self.live is not None else None)
        self._compose_timer.start()
        self.completeChanged.emit()

    def _show_warnings(self) -> None:
        problems = [f"Problem: {e}" for e in (self.composition.errors if self.composition else ())]
        if self.proposed is not None:
            findings = [f for f in spf_findings(self.proposed, None) if f.code != "spf.missing"]
            problems += finding_lines(findings).splitlines()
            self.lookups.setText(f"DNS lookups for the new record: {self.proposed.lookups} of {MAX_LOOKUPS} allowed.")
        self.warnings.setText("\n".join(problems))
        self.warnings.setVisible(bool(problems))

    def _analyze_proposed(self) -> None:
        entry = self.domain
        if entry is None or self.composition is None:
            return
        overlay = OverlaySource(self.session.lookup, entry.domain, [self.composition.record])
        self.proposed_runner.start(analyze(overlay, entry.domain))

    def _proposed_analyzed(self, analysis: TreeAnalysis) -> None:
        self.proposed = analysis
        fill_tree(self.tree, analysis)
        self._show_warnings()

    def _live_analyzed(self, today: Today) -> None:
        result = today.result
        assert result.analysis is not None
        analysis, auth = result.analysis, result.authorization
        first = self.live is None
        self.live, self.live_auth = analysis, auth
        if first:
            self._tick_published(list(analysis.root.records))
        root = analysis.root
        what = "" if root.records else not_the_record(root.domain, today.near_misses, "SPF record", "v=spf1", "an")
        self.instead = what
        if root.records:
            listed = "\n".join(root.records)
            self.today.setText(
                f"Today {root.domain} publishes:\n{listed}\n({analysis.lookups} of {MAX_LOOKUPS} lookups)"
            )
        else:
            self.today.setText(
                (what + " " if what else f"{root.domain} has no SPF record today. ") + "The new record starts fresh."
            )
        fixes = "" if auth is not None and auth.authorized else " The record below fixes that."
        self.today_auth.setText(authorization_text(root.domain, auth) + fixes)
        self.today_findings.setText(finding_lines(list(result.findings)))
        self.update_target()
        self.restate()

    def something_else(self, verdict: Verdict) -> str:
        """What is published at the domain that looks meant as SPF but is not, from today's look."""
        return self.instead

    def isComplete(self) -> bool:
        return self.composition is None or not self.composition.errors

    def shown(self) -> None:
        entry = self.domain
        if self.live is None and entry is not None and not self.live_runner.running:
            self.refresh_today()
        super().shown()

    def left(self) -> None:
        super().left()
        self._compose_timer.stop()
        self.live_runner.cancel()
        self.proposed_runner.cancel()
