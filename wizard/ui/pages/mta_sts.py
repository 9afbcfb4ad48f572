"""MTA-STS and TLS-RPT (optional): what they affect and what they do not, today's state, the generated policy
and records, and where to host the policy (not on the CIMcloud website).

The plan, policy and records come from wizard.core.mta_sts / tls_rpt; today's state from the mta_sts and
tls_rpt checks.
"""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from wizard.checks import CheckOptions, Result, entries, run_domain
from wizard.checks.mta_sts import MtaStsResult
from wizard.checks.tls_rpt import TlsRptResult
from wizard.checks.verify import Target
from wizard.core.mta_sts.compose import GUIDANCE, PublishedSts, StsPlan, new_policy_id, plan_mta_sts, published_sts
from wizard.core.mta_sts.policy import mx_hosts
from wizard.core.mta_sts.record import StsMode
from wizard.core.records import Kind
from wizard.core.tags import ComposeError
from wizard.lookup.lookup import Lookup
from wizard.store import DomainProgress

from wizard.ui.page import DomainPage, finding_lines, text_label
from wizard.ui.plain import card_title
from wizard.ui.session import Session
from wizard.ui.tasks import TaskRunner
from wizard.ui.widgets import CopyButton, RecordCard, buddy


async def today(lookup: Lookup, domain: str) -> tuple[dict[str, Result | None], list[str]]:
    """The mta_sts and tls_rpt checks for the domain, and its MX hosts (to fill the policy)."""
    results, mx = await asyncio.gather(
        run_domain(domain, lookup, CheckOptions(only=("mta_sts", "tls_rpt"))), lookup.resolve(domain, "MX")
    )
    found = {name: next(iter(entries(results.get(name))), None) for name in ("mta_sts", "tls_rpt")}
    return found, mx_hosts(mx.values) if mx.ok else []


def published_of(results: dict[str, Result | None]) -> PublishedSts:
    """Today's published values, from the mta_sts and tls_rpt checks' typed results."""
    sts, tls = results.get("mta_sts"), results.get("tls_rpt")
    record = sts.record if isinstance(sts, MtaStsResult) else None
    policy = sts.policy if isinstance(sts, MtaStsResult) else None
    return published_sts(record, policy, tls.record if isinstance(tls, TlsRptResult) else None)


def today_lines(results: dict[str, Result | None]) -> list[str]:
    """Today's records in the page's words, from the checks' typed results."""
    lines = []
    for name, label in (("mta_sts", "MTA-STS"), ("tls_rpt", "TLS-RPT")):
        result = results.get(name)
        if isinstance(result, MtaStsResult):
            lines.append(f"{label}: {result.record or 'not published'}")
        elif isinstance(result, TlsRptResult):
            lines.append(f"{label}: {result.record.text if result.record else 'not published'}")
        if result is not None:
            lines += finding_lines(list(result.findings)).splitlines()
    return lines


class MtaStsPage(DomainPage):
    """Two records: _mta-sts, verified by the page's panel at the top like every record page's, and _smtp._tls
    (TLS-RPT), verified by its own panel below its card."""

    check_key = "mta_sts"

    def __init__(self, session: Session) -> None:
        super().__init__(
            session,
            "MTA-STS and TLS-RPT (optional)",
            "Encrypted, verified delivery of mail sent to your domain, and reports when it fails.",
        )
        self.plan: StsPlan | None = None
        self.published: PublishedSts | None = None  # today's values, once looked up
        self.published_record = ""  # today's _mta-sts record text
        self.error = ""
        self.mx_found: list[str] = []
        self.state_runner = TaskRunner(self)
        self.state_runner.finished.connect(self._today_found)
        self.changes = text_label("", self)
        self.changes.setAccessibleName("What changes from today's records")
        self.body.addWidget(self.changes)
        self.guidance = text_label("\n\n".join(GUIDANCE), self)
        self.body.addWidget(self.guidance)
        self.today = text_label("", self)
        self.today.setAccessibleName("Today's MTA-STS and TLS-RPT state")
        self.details.addWidget(self.today)
        self.body.addWidget(self._choices())
        self.body.addWidget(self._policy_box())
        self.card = RecordCard("MTA-STS record to add", self)
        self.tls_card = RecordCard("TLS-RPT record to add", self, mnemonics=False)
        self.tls_panel = self.extra_panel("tls_rpt", self, what="T&LS-RPT record")
        self.body.addWidget(self.card)
        self.body.addWidget(self.tls_card)
        self.body.addWidget(self.tls_panel)

    def _choices(self) -> QWidget:
        box = QGroupBox("Your choices", self)
        self.mode = QComboBox(box)
        self.mode.setAccessibleName("Policy mode")
        self.mode.addItem("testing: report problems, deliver anyway (start here)", str(StsMode.TESTING))
        self.mode.addItem("enforce: refuse delivery without verified encryption", str(StsMode.ENFORCE))
        self.mode.currentIndexChanged.connect(self.changed)
        self.mx = QLineEdit(box)
        self.mx.setAccessibleName("Mail server names the policy covers")
        self.mx.setToolTip("Your MX hosts (or patterns such as *.mail.protection.outlook.com), separated by spaces.")
        self.mx.textChanged.connect(self.changed)
        self.rua = QLineEdit(box)
        self.rua.setAccessibleName("TLS report address")
        self.rua.setPlaceholderText("tls-reports@example.com")
        self.rua.textChanged.connect(self.changed)
        form = QFormLayout(box)
        form.addRow(buddy("&Mode:", self.mode), self.mode)
        form.addRow(buddy("Mail &servers:", self.mx), self.mx)
        form.addRow(buddy("TLS &reports to:", self.rua), self.rua)
        return box

    def _policy_box(self) -> QWidget:
        box = QGroupBox("Policy file for your MTA-STS host", self)
        self.policy_url = text_label("", box)
        self.policy_text = QPlainTextEdit(box)
        self.policy_text.setReadOnly(True)
        self.policy_text.setAccessibleName("MTA-STS policy file")
        self.policy_text.setMaximumHeight(90)
        self.policy_copy = CopyButton("policy file", box)
        layout = QVBoxLayout(box)
        layout.addWidget(self.policy_url)
        layout.addWidget(self.policy_text)
        layout.addWidget(self.policy_copy)
        return box

    # --- loading ---------------------------------------------------------------------------------------

    def load_domain(self, entry: DomainProgress) -> None:
        if not entry.mta_sts_id:
            entry.mta_sts_id = new_policy_id()
        self.mode.setCurrentIndex(max(0, self.mode.findData(entry.mta_sts_mode)))
        self.mx.setText(entry.mta_sts_mx)
        self.rua.setText(entry.tls_rpt_rua)
        self.published = None
        self.changes.setText("Looking up today's MTA-STS and TLS-RPT records…")
        self.today.setText("Looking up today's MTA-STS and TLS-RPT records…")
        self.refresh_today()

    def refresh_today(self) -> None:
        """Today's state again. Once the panels have checked, their checks' results are today's state (no second
        lookup); before that the page asks the checks itself. The text shown stays until the new answer replaces it."""
        verdicts = {key: panel.verdict for key, panel in self.panels.items()}
        if all(v is not None and v.result is not None for v in verdicts.values()):
            self._show_today({key: v.result for key, v in verdicts.items() if v is not None})
            return
        entry = self.domain
        if entry is not None:
            self.state_runner.start(today(self.session.lookup, entry.domain))

    def changed(self) -> None:
        entry = self.domain
        if entry is not None and not self._loading:
            self._save(entry)
        super().changed()

    def _save(self, entry: DomainProgress) -> None:
        entry.mta_sts_mode = str(self.mode.currentData())
        entry.mta_sts_mx = self.mx.text()
        entry.tls_rpt_rua = self.rua.text()

    def _today_found(self, found: tuple[dict[str, Result | None], list[str]]) -> None:
        results, self.mx_found = found
        self._show_today(results)
        entry = self.domain
        if entry is not None and self.published is not None:
            self._start_from(entry, self.published)
        self.update_target()

    def _start_from(self, entry: DomainProgress, published: PublishedSts) -> None:
        """The first look at the domain: keep what it publishes where the admin has chosen nothing yet (the
        policy's mode and mail server patterns, the TLS report addresses); its MX hosts when it has no policy."""
        self._loading = True
        try:
            if not self.mx.text().strip():
                self.mx.setText(" ".join(published.mx if published.has_policy else self.mx_found))
            if published.mode is StsMode.ENFORCE and not entry.mta_sts_mx:
                self.mode.setCurrentIndex(max(0, self.mode.findData(str(StsMode.ENFORCE))))
            if not self.rua.text().strip() and published.rua:
                self.rua.setText(", ".join(published.rua))
        finally:
            self._loading = False
        self._save(entry)

    def _show_today(self, results: dict[str, Result | None]) -> None:
        lines = today_lines(results)
        if self.mx_found:
            lines.append("Mail servers (MX): " + ", ".join(self.mx_found))
        self.today.setText("\n".join(lines))
        self.published = published_of(results)
        sts = results.get("mta_sts")
        self.published_record = sts.record or "" if isinstance(sts, MtaStsResult) else ""

    # --- the plan --------------------------------------------------------------------------------------

    def update_target(self) -> None:
        entry = self.domain
        if entry is None:
            return
        reports = tuple(a.strip() for a in self.rua.text().replace(";", ",").split(",") if a.strip())
        try:
            self.plan = plan_mta_sts(
                entry.domain, self.mx.text().split(), StsMode(self.mode.currentData()), reports,
                published=self.published, saved_id=entry.mta_sts_id,
            )  # fmt: skip
            entry.mta_sts_id = self.plan.policy_id  # today's id for today's policy, a new one for a new policy
            self.error = ""
        except ComposeError as exc:
            self.plan, self.error = None, f"{exc.text!r} cannot be used: {exc.reason}"
        self._show(entry)

    def _show(self, entry: DomainProgress) -> None:
        plan = self.plan
        if plan is None:
            self.card.clear()
            self.card.note.setText(self.error)
            self.card.note.setVisible(True)
            self.panel.set_target(None)
            self.tls_panel.set_target(None)
            self.completeChanged.emit()
            return
        self.policy_url.setText(f"Publish this file at {plan.policy_url} (HTTPS, valid certificate):")
        self.policy_text.setPlainText(plan.policy.replace("\r\n", "\n"))
        self.policy_copy.set_text(plan.policy)
        self.changes.setText("\n".join(plan.changes))
        self.changes.setVisible(bool(plan.changes))
        name, value = plan.records[0]
        self.card.set_record("TXT", name.removesuffix("." + entry.domain), value, name)
        self.card.setTitle(card_title("MTA-STS", self.published_record or None, value))
        self.panel.set_target(Target(entry.domain, name, Kind.MTA_STS, value))
        if len(plan.records) > 1:
            tls_name, tls_value = plan.records[1]
            self.tls_card.set_record("TXT", tls_name.removesuffix("." + entry.domain), tls_value, tls_name)
            self.tls_card.setTitle(card_title("TLS-RPT", self.published.tls_rpt if self.published else None, tls_value))
            self.tls_panel.set_target(Target(entry.domain, tls_name, Kind.TLS_RPT, tls_value))
        else:
            self.tls_card.clear()
            self.tls_card.note.setText("Enter an address under \u201cTLS reports to\u201d to get this record.")
            self.tls_card.note.setVisible(True)
            self.tls_panel.set_target(None)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.error

    def left(self) -> None:
        super().left()
        self.state_runner.cancel()
