"""DKIM: paste what CIMcloud sent (field by field, or the whole message once), see it cleaned and checked as you
type, add the record, verify it live, and send CIMcloud the note that lets them switch signing on.

Paste handling, validation, the record to add and the precise comparison come from wizard.core.dkim*.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from wizard.checks.dkim import DkimResult
from wizard.checks.verify import Target, Verdict
from wizard.core.dkim.extract import extract
from wizard.core.dkim.key import validate
from wizard.core.dkim.paste import NormalizedDkim, normalize
from wizard.core.dkim.record import RecordToAdd, message_for_cimcloud, record_to_add, verification_link
from wizard.core.dkim.verify import DkimVerification, dkim_records
from wizard.core.findings import Severity
from wizard.core.records import CheckState, Kind
from wizard.store import DomainProgress

from wizard.ui.page import DomainPage, finding_lines, text_label
from wizard.ui.plain import not_the_record
from wizard.ui.report import DkimStep, dkim_selectors, dkim_step, provisioning_request
from wizard.ui.session import Session
from wizard.ui.tooltips import wrapped
from wizard.ui.widgets import CopyButton, FittedText, RecordCard, buddy, fold

PASTE_DELAY_MS = 300
WAITING_TEXT = "Waiting for CIMcloud: ask them to provision DKIM (the request to send is below)."


def host_note(record: RecordToAdd) -> str:
    """The host-name advice in a line or two; the core's full warnings (both provider forms) are the tooltip."""
    lines = [
        f"Host: enter only {record.relative_name}. Most DNS providers add {record.domain} by themselves; "
        "point here for providers that want the full name."
    ]
    if len(record.strings) > 1:
        lines.append("The value is long: paste it whole, without adding spaces or line breaks.")
    return "\n".join(lines)


def what_is_there(verification: DkimVerification | None) -> str:
    """The TXT records at the selector name (or at its CNAME's target) when none of them is a DKIM key, in plain
    words; "" when a key is there or nothing is."""
    if verification is None or not verification.records or dkim_records(list(verification.records)):
        return ""
    name, alias = verification.name, verification.alias
    what = not_the_record(name, verification.records, "DKIM key record", "v=DKIM1", alias=alias)
    fix = f"Replace the alias at {name} with the TXT record below." if alias else "Replace it with the record below."
    return f"{what} {fix}"


class DkimPage(DomainPage):
    check_key = "dkim"

    def __init__(self, session: Session) -> None:
        super().__init__(
            session,
            "DKIM: let CIMcloud sign your email",
            "CIMcloud sends you one record per domain after you ask for DKIM in a support task.",
        )
        self.normalized: NormalizedDkim | None = None
        self.panel.verdict_ready.connect(self._verdict)
        self.body.addWidget(self._request_box())
        self.body.addWidget(self._paste_box())
        self.body.addWidget(self._fields_box())
        self.card = RecordCard(parent=self)
        self.body.addWidget(self.card)
        self.link = text_label("", self, rich=True)
        self.link.setAccessibleName("Verification link")
        self.body.addWidget(self.link)
        self.body.addWidget(self._message_box())

    # --- building -----------------------------------------------------------------------------------

    def _request_box(self) -> QWidget:
        box = QGroupBox("No DKIM record from CIMcloud yet? Ask for it first", self)
        self.request_text = text_label(
            "This is the usual start. CIMcloud's guide: submit a support task to request that DKIM be provisioned "
            "for your website; CIMcloud then sends each domain's record name and content. Copy this request into "
            "the support task:",
            box,
        )
        self.request = FittedText(box)
        self.request.setAccessibleName("Request for CIMcloud support: DKIM provisioning")
        self.request_copy = CopyButton("DKIM provisioning request", box)
        layout = QVBoxLayout(box)
        layout.addWidget(self.request_text)
        layout.addWidget(self.request)
        layout.addWidget(self.request_copy)
        self.request_box = box
        return box

    def _show_request(self) -> None:
        """The provisioning request for every domain CIMcloud has sent nothing for; shown while this one has none."""
        progress = self.session.progress
        waiting = [d.domain for d in progress.domains if dkim_step(d) is DkimStep.PROVISIONING]
        text = provisioning_request(waiting)
        self.request.set_text(text)
        self.request_copy.set_text(text)
        entry = self.domain
        self.request_box.setVisible(entry is not None and entry.domain in waiting)

    def _paste_box(self) -> QWidget:
        box = QGroupBox("Paste CIMcloud's whole message (optional)", self)
        box.setCheckable(True)
        box.setChecked(False)
        self.paste_box = box
        self.paste = QPlainTextEdit(box)
        self.paste.setAccessibleName("CIMcloud's whole message")
        self.paste.setPlaceholderText("Paste the support reply here: every domain's record name and content are found.")
        self.paste.setTabChangesFocus(True)
        self.paste.setMaximumHeight(90)
        self.paste_result = text_label("", box)
        self._paste_timer = QTimer(self)
        self._paste_timer.setSingleShot(True)
        self._paste_timer.setInterval(PASTE_DELAY_MS)
        self._paste_timer.timeout.connect(self._extract)
        self.paste.textChanged.connect(self._paste_timer.start)
        layout = QVBoxLayout(box)
        layout.addWidget(self.paste)
        layout.addWidget(self.paste_result)
        fold(box, self.paste, self.paste_result)
        return box

    def _fields_box(self) -> QWidget:
        box = QGroupBox("What CIMcloud sent for this domain", self)
        self.name_edit = QLineEdit(box)
        self.name_edit.setAccessibleName("DKIM record name")
        self.name_edit.setPlaceholderText("paste the record name from CIMcloud's reply (…._domainkey)")
        self.content_edit = QPlainTextEdit(box)
        self.content_edit.setAccessibleName("DKIM record content")
        self.content_edit.setPlaceholderText("paste the record content from CIMcloud's reply (v=DKIM1; p=…)")
        self.content_edit.setTabChangesFocus(True)
        self.content_edit.setMaximumHeight(70)
        self.feedback = text_label("", box)
        self.feedback.setAccessibleName("What was cleaned up and any problems")
        self.diagnosis = text_label("", box)
        self.diagnosis.setAccessibleName("What the last DNS check found")
        self.diagnosis.setStyleSheet("font-weight: bold")
        self.diagnosis.hide()
        self.name_edit.textChanged.connect(self.changed)
        self.content_edit.textChanged.connect(self.changed)
        form = QFormLayout(box)
        form.addRow(buddy("Record na&me:", self.name_edit), self.name_edit)
        form.addRow(buddy("Record c&ontent:", self.content_edit), self.content_edit)
        form.addRow(self.feedback)
        form.addRow(self.diagnosis)
        return box

    def _message_box(self) -> QWidget:
        box = QGroupBox("Tell CIMcloud (once the record is verified)", self)
        self.message = FittedText(box)
        self.message.setAccessibleName("Message for CIMcloud support")
        self.message_copy = CopyButton("message for CIMcloud", box)
        layout = QVBoxLayout(box)
        layout.addWidget(self.message)
        layout.addWidget(self.message_copy)
        self.message_box = box
        return box

    # --- loading, typing, pasting ---------------------------------------------------------------------

    def load_domain(self, entry: DomainProgress) -> None:
        self.name_edit.setText(entry.dkim_name)
        self.content_edit.setPlainText(entry.dkim_content)
        self._show_message()
        self._show_request()

    def changed(self) -> None:
        entry = self.domain
        if entry is not None and not self._loading:
            entry.dkim_name = self.name_edit.text()
            entry.dkim_content = self.content_edit.toPlainText()
            self._show_request()
        super().changed()

    def _extract(self) -> None:
        """Fill every domain's fields from the pasted message; report what was found and for which domain."""
        domains = [d.domain for d in self.session.progress.domains]
        found = extract(self.paste.toPlainText(), domains)
        lines = [finding_lines(list(found.findings))] if found.findings else []
        for pair in found.pairs:
            if pair.known and pair.domain is not None and pair.normalized.content:
                target = self.session.progress.domain(pair.domain)
                target.dkim_name = pair.normalized.name or pair.name_text
                target.dkim_content = pair.normalized.content
                lines.append(f"{pair.domain}: {target.dkim_name}")
            else:
                lines.append(
                    f"Found a record for {pair.domain or 'an unknown domain'}: {pair.name_text or '(no name)'}"
                )
        if not found.pairs:
            lines.append("No DKIM record name or content was found in this text.")
        if found.findings:
            self.paste.blockSignals(True)
            self.paste.clear()  # a private key is never kept on screen
            self.paste.blockSignals(False)
        self.paste_result.setText("\n".join(line for line in lines if line))
        entry = self.domain
        if entry is not None:
            self._loading = True
            try:
                self.load_domain(entry)
            finally:
                self._loading = False
        self.session.changed()
        self.update_target()
        self.completeChanged.emit()

    # --- the record and its verification -----------------------------------------------------------

    def update_target(self) -> None:
        entry = self.domain
        if entry is None:
            return
        normalized = normalize(self.name_edit.text(), self.content_edit.toPlainText(), entry.domain)
        if normalized.private_key:
            self._drop_private_key()
        self.normalized = normalized
        lines = [f"Cleaned up: {note}." for note in dict.fromkeys(normalized.notes)]  # name and content alike
        findings = list(normalized.findings)
        if normalized.content:
            findings += [f for f in validate(normalized.content).findings if f not in findings]
        lines += finding_lines(findings).splitlines()
        self.feedback.setText("\n".join(lines))
        self._set_diagnosis("")  # it was about the record before this change
        if not (normalized.selector and normalized.content):
            self.card.clear()
            self.link.clear()
            self.panel.set_target(None)
            if dkim_step(entry) is DkimStep.PROVISIONING:
                self.panel.badge.set_state(None, WAITING_TEXT)
            return
        record = record_to_add(entry.domain, normalized.selector, normalized.content)
        self.card.set_record("TXT", record.relative_name, record.value, record.fqdn, note=host_note(record))
        self.card.note.setToolTip(wrapped("\n\n".join(record.warnings)))
        url = verification_link(entry.domain, normalized.selector)
        self.link.setText(f'Also verifiable with CIMcloud\'s tool: <a href="{escape(url)}">MxToolbox DKIM lookup</a>')
        self.panel.set_target(Target(entry.domain, record.fqdn, Kind.DKIM, record.value))

    def _drop_private_key(self) -> None:
        """A private key pasted by mistake is removed from the screen and from progress at once."""
        self.content_edit.blockSignals(True)
        self.content_edit.clear()
        self.content_edit.blockSignals(False)
        entry = self.domain
        if entry is not None:
            entry.dkim_content = ""

    def _verdict(self, verdict: Verdict) -> None:
        self._show_message()
        entry, normalized = self.domain, self.normalized
        if verdict.state is CheckState.VERIFIED or entry is None or normalized is None or not normalized.selector:
            self._set_diagnosis("")
            return
        if isinstance(verdict.result, DkimResult):
            self._diagnosed(verdict.result)

    def something_else(self, verdict: Verdict) -> str:
        result = verdict.result
        return what_is_there(result.verification) if isinstance(result, DkimResult) else ""

    def _diagnosed(self, result: DkimResult) -> None:
        """After a failed check: the dkim check's precise account (what differs, where the record went by mistake),
        from the panel's own check: no second lookup. When something else is published at the name (an SPF record,
        a verification token, a CNAME to another host's TXT), the status line says what (`something_else`), in the
        words the SPF and DMARC pages use, and the check's own sentence for it is not repeated here."""
        what = what_is_there(result.verification)
        findings = [
            f
            for f in result.findings
            if f.severity is not Severity.INFO and not (what and f.code == "dkim.syntax")  # the status line says it
        ]
        detail = finding_lines(findings)
        self._set_diagnosis(f"The last DNS check found:\n{detail}" if detail else "")

    def _set_diagnosis(self, text: str) -> None:
        """The check's precise account, kept apart from the notes on the paste so neither hides the other."""
        self.diagnosis.setText(text)
        self.diagnosis.setVisible(bool(text))

    def _show_message(self) -> None:
        selectors = dkim_selectors(self.session.progress)
        text = message_for_cimcloud(list(selectors), selectors)
        self.message.set_text(text or "Once a record is verified, the note for CIMcloud support appears here.")
        self.message_copy.set_text(text)

    def isComplete(self) -> bool:
        """Next is allowed with nothing pasted yet (CIMcloud may not have sent it), not with a broken paste."""
        normalized = self.normalized
        if normalized is None or not (self.name_edit.text().strip() or self.content_edit.toPlainText().strip()):
            return True
        return not any(f.severity is Severity.ERROR for f in normalized.findings)

    def left(self) -> None:
        super().left()
        self._paste_timer.stop()
