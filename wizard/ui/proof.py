"""The DMARC page's activation gate: proof that CIMcloud signs the domain's mail, before quarantine or reject.

The admin drops or pastes a message from the CIMcloud website, opens the DMARC report files `rua=` brought in,
or states that CIMcloud confirmed activation (kept as their statement, with the warning). The checks run in
the background (wizard.checks.message / wizard.checks.reports); this widget only draws and reports the proof.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wizard.checks.message import check_message, read_message
from wizard.checks.reports import ReportsOutcome, check_reports
from wizard.core.dmarc.aggregate import MAX_FILE_BYTES
from wizard.core.dmarc.rollout import activation_proof as reports_proof
from wizard.core.findings import Finding, FindingError
from wizard.core.message.parse import MAX_MESSAGE_BYTES
from wizard.core.message.verdict import MessageAnalysis
from wizard.core.message.verdict import activation_proof as message_proof
from wizard.core.proof import STATEMENT_WARNING, ActivationProof, ProofKind, activation_proven, statement
from wizard.lookup.lookup import Lookup
from wizard.resources import load_services
from wizard.store import DomainProgress

from wizard.ui.page import finding_lines, text_label
from wizard.ui.session import Session
from wizard.ui.tasks import TaskRunner

REPORT_SUFFIXES = (".xml", ".gz", ".zip")


@dataclass(frozen=True)
class GateResult:
    """What one check of the evidence gave: the proof to keep (None when nothing was shown) and what to say."""

    proof: ActivationProof | None
    text: str


def gate_text(proof: ActivationProof | None, domain: str) -> str:
    """Where the gate stands, in words: closed, opened by evidence, or opened by the admin's statement."""
    if proof is None:
        return (
            f"Quarantine and reject stay closed until CIMcloud is shown signing {domain}'s mail: a DKIM record that "
            "verifies is not enough (CIMcloud activates signing after you publish it). Give a message sent by your "
            "CIMcloud website, or the DMARC reports, or CIMcloud's confirmation."
        )
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(proof.when))
    if proof.is_statement:
        return f"Open on your statement ({when}): CIMcloud confirmed activation. {STATEMENT_WARNING}"
    source = "a message" if proof.kind is ProofKind.MESSAGE else "the DMARC reports"
    return f"Open: {source} proved CIMcloud's aligned DKIM signature passes ({when}; {proof.evidence})."


def message_result(domain: str, outcome: MessageAnalysis | Finding, when: float) -> GateResult:
    """The gate's reading of one checked message (or of the finding that refused it)."""
    if isinstance(outcome, Finding):
        return GateResult(None, finding_lines([outcome]))
    if outcome.from_domain != domain:
        return GateResult(None, f"This message is from {outcome.from_domain}, not {domain}: nothing was recorded.")
    problems = [f for f in outcome.findings if f.code != "message.cimcloud-signing"]
    verdict = "proves CIMcloud's signing" if outcome.cimcloud_signing else "does not prove CIMcloud's signing"
    return GateResult(message_proof(outcome, when), "\n".join([f"The message {verdict}.", finding_lines(problems)]))


def reports_result(outcome: ReportsOutcome, when: float) -> GateResult:
    summary = outcome.summary
    lines = finding_lines(outcome.findings)
    if summary is None:
        return GateResult(None, lines or "No report could be used.")
    head = f"{summary.reports} reports, {summary.messages:,} messages. Next: {summary.recommendation.reason}"
    return GateResult(reports_proof(summary, when), head + ("\n" + lines if lines else ""))


async def _check_message(data: bytes, lookup: Lookup) -> MessageAnalysis | Finding:
    try:
        message = read_message(data)
    except FindingError as exc:
        return exc.finding
    return await check_message(message, lookup)


class ProofPanel(QGroupBox):
    """The evidence that opens enforcement for the page's domain; emits `proof_added` with each new proof."""

    proof_added = Signal(object)  # ActivationProof

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("Proof that CIMcloud signs your mail", parent)
        self.session = session
        self.entry: DomainProgress | None = None
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._checked)
        self.runner.failed.connect(self._failed)
        self.setAcceptDrops(True)
        self.status = text_label("", self)
        self.status.setAccessibleName("Activation proof")
        self.paste = QPlainTextEdit(self)
        self.paste.setAccessibleName("Message source or headers")
        self.paste.setPlaceholderText(
            "Drop a saved message (.eml, .msg) or DMARC report files here, or paste the message's source or headers."
        )
        self.paste.setMaximumHeight(90)
        self.check_paste = QPushButton("Check the pasted m&essage", self)
        self.check_paste.clicked.connect(self._check_pasted)
        self.open_message = QPushButton("&Open a message…", self)
        self.open_message.clicked.connect(self._choose_message)
        self.open_reports = QPushButton("Open DMARC a&ggregate reports…", self)
        self.open_reports.clicked.connect(self._choose_reports)
        self.stated = QCheckBox("CIMcloud confirmed that the&y activated DKIM signing for this domain", self)
        self.stated.setToolTip(STATEMENT_WARNING)
        self.stated.toggled.connect(self._statement_toggled)
        self.result = text_label("", self)
        self.result.setAccessibleName("Last proof check")
        buttons = QHBoxLayout()
        for button in (self.check_paste, self.open_message, self.open_reports):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.paste)
        layout.addLayout(buttons)
        layout.addWidget(self.stated)
        layout.addWidget(self.result)

    def set_domain(self, entry: DomainProgress) -> None:
        self.runner.cancel()
        self.entry = entry
        self.result.setText("")
        self.stated.blockSignals(True)
        self.stated.setChecked(any(p.is_statement for p in entry.proofs))
        self.stated.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        if self.entry is not None:
            self.status.setText(gate_text(activation_proven(self.entry.proofs, self.entry.domain), self.entry.domain))

    def cancel(self) -> None:
        self.runner.cancel()

    # --- giving evidence --------------------------------------------------------------------------------

    def check_message_bytes(self, data: bytes) -> None:
        self.result.setText("Checking the message…")
        self.runner.start(self._message_job(data))

    def check_report_files(self, files: list[tuple[str, bytes]]) -> None:
        if self.entry is None:
            return
        self.result.setText("Reading the reports…")
        self.runner.start(self._reports_job(files, self.entry.domain))

    async def _message_job(self, data: bytes) -> GateResult | None:
        outcome = await _check_message(data, self.session.lookup)
        return message_result(self.entry.domain, outcome, time.time()) if self.entry is not None else None

    async def _reports_job(self, files: list[tuple[str, bytes]], domain: str) -> GateResult:
        outcome = await check_reports(files, self.session.lookup, load_services(), domain)
        return reports_result(outcome, time.time())

    def _check_pasted(self) -> None:
        text = self.paste.toPlainText()
        if text.strip():
            self.check_message_bytes(text.encode("utf-8"))

    def _choose_message(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "A message from your CIMcloud website", "",
                                              "Messages (*.eml *.msg *.txt);;All files (*)")  # fmt: skip
        if name:
            self.open_files([Path(name)])

    def _choose_reports(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "DMARC aggregate reports", "",
                                                "DMARC reports (*.xml *.gz *.zip);;All files (*)")  # fmt: skip
        if names:
            self.open_files([Path(n) for n in names])

    def open_files(self, paths: list[Path]) -> None:
        """Report files (.xml, .gz, .zip) are read as reports, anything else as one message."""
        reports = [p for p in paths if p.name.lower().endswith(REPORT_SUFFIXES)]
        try:
            if reports:
                self.check_report_files([(p.name, _read(p, MAX_FILE_BYTES)) for p in reports])
            elif paths:
                self.check_message_bytes(_read(paths[0], MAX_MESSAGE_BYTES))
        except OSError as exc:
            self.result.setText(f"The file could not be read: {exc.strerror or exc}.")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasText():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        data = event.mimeData()
        paths = [Path(u.toLocalFile()) for u in data.urls() if u.isLocalFile()]
        if paths:
            self.open_files(paths)
        elif data.hasText():
            self.paste.setPlainText(data.text())
            self._check_pasted()
        event.acceptProposedAction()

    def _statement_toggled(self, on: bool) -> None:
        entry = self.entry
        if entry is None:
            return
        if on:
            self.proof_added.emit(statement(entry.domain, time.time()))
        else:
            entry.proofs = [p for p in entry.proofs if not p.is_statement]
            self.proof_added.emit(None)

    def _failed(self, text: str) -> None:
        self.result.setText(f"The check stopped unexpectedly: {text}")

    def _checked(self, result: GateResult | None) -> None:
        if result is None:
            return
        self.result.setText(result.text)
        if result.proof is not None:
            self.proof_added.emit(result.proof)


def _read(path: Path, limit: int) -> bytes:
    with path.open("rb") as f:
        return f.read(limit + 1)
