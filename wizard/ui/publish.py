""" "Publish for me": credentials (kept in the OS keyring, with consent), the plan as a before/after diff,
Apply, the verification turning green, and Undo for as long as the wizard stays open.

The background work (reading the primary, applying, verifying) runs through TaskRunner and never touches
a widget; the decisions (which backend, what to show) are plain functions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wizard.checks.provider import detect_provider
from wizard.core.provider import ProviderMatch
from wizard.core.publish import Plan, Wanted, diff_lines, kind_of, record_problem
from wizard.core.records import CheckState
from wizard.lookup.lookup import Lookup
from wizard.lookup.publish import PublishError, Rfc2136, apply, make, save_undo, undo_path, verify
from wizard.store import DomainProgress

from wizard.ui.tasks import TaskRunner
from wizard.ui.widgets import RecordCard, buddy

RFC2136 = "rfc2136"
VERIFY_TRIES = 5
GREEN, RED = "#1b7f3b", "#b3261e"


@dataclass(frozen=True)
class Credentials:
    """What the admin entered in the dialog; `secret` is empty when the keyring already holds it."""

    provider: str  # "rfc2136" or a dns-lexicon provider name
    server: str  # HOST[:PORT] for rfc2136; the API address where the provider needs one
    key_name: str  # the TSIG key's name (rfc2136)
    secret: str
    consent: bool  # the admin agreed to keep the secret in the OS keyring


def keyring_entry(credentials: Credentials, zone: str) -> str:
    """The keyring entry the credentials live under."""
    from wizard.secrets import token_entry, tsig_entry

    if credentials.provider == RFC2136:
        return tsig_entry(credentials.key_name)
    return token_entry(credentials.provider, zone)


def store_secret(credentials: Credentials, zone: str) -> None:
    """Keep a newly typed secret in the keyring, only with consent (SecretsError otherwise)."""
    from wizard.secrets import SecretsError, set_secret

    if not credentials.secret:
        return
    if not credentials.consent:
        raise SecretsError(
            "The secret is kept only in the OS keyring: tick the box to allow that, or store it yourself with "
            f"`email-auth-wizard secret set {keyring_entry(credentials, zone)}`."
        )
    set_secret(keyring_entry(credentials, zone), credentials.secret)


async def backend_for(lookup: Lookup, credentials: Credentials, zone: str) -> Any:
    """The publishing backend for the credentials, its secret read back from the keyring."""
    from wizard.lookup.publish import server_address
    from wizard.secrets import token, tsig_key

    if credentials.provider == RFC2136:
        if not credentials.server or not credentials.key_name:
            raise ValueError("Enter the primary server (HOST or HOST:PORT) and the TSIG key's name.")
        host, port = await server_address(lookup, credentials.server)
        return Rfc2136(host, port, tsig_key(credentials.key_name))
    from wizard.lookup.lexicon import lexicon_backend

    return lexicon_backend(credentials.provider, token(credentials.provider, zone), credentials.server or None)


def provider_choices(match: ProviderMatch | None) -> list[tuple[str, str]]:
    """(label, provider) pairs for the dialog: RFC 2136 first, then the detected provider when lexicon can
    reach it, then every other provider lexicon offers."""
    from wizard.lookup.lexicon import provider_names

    names = provider_names()
    choices = [("Name server with a TSIG key (RFC 2136: BIND, Knot, PowerDNS, Windows DNS)", RFC2136)]
    detected = match.provider.lexicon if match is not None else None
    if detected and detected in names:
        choices.append((f"{match.provider.name} API token (detected)", detected))  # type: ignore[union-attr]
    choices += [(f"{name} API token (dns-lexicon)", name) for name in names if name != detected]
    return choices


@dataclass(frozen=True)
class Outcome:
    """How one background step ended: the plan it worked on, and problems (empty when all went well)."""

    step: str  # "plan", "apply", "undo"
    plan: Plan | None
    problems: tuple[str, ...] = ()
    error: str = ""


async def _verified(lookup: Lookup, plan: Plan) -> tuple[str, ...]:
    problems: list[str] = []
    for attempt in range(VERIFY_TRIES):
        problems = await verify(lookup, plan)
        if not problems:
            break
        if attempt < VERIFY_TRIES - 1:
            await asyncio.sleep(1.0)
    return tuple(problems)


async def plan_step(lookup: Lookup, credentials: Credentials, domain: str, wanted: Sequence[Wanted]) -> Outcome:
    """Store the secret (with consent), read the primary and compute the plan."""
    from wizard.lookup.publish import zone_of
    from wizard.secrets import SecretsError

    problem = next((f"{w.name}: {p}" for w in wanted if (p := record_problem(w)) is not None), None)
    if problem is not None:
        return Outcome("plan", None, error=f"Not published, the record has a problem. {problem}")
    try:
        zone = await zone_of(lookup, domain)
        store_secret(credentials, zone)
        backend = await backend_for(lookup, credentials, zone)
        return Outcome("plan", await make(lookup, backend, domain, wanted))
    except (PublishError, SecretsError, ValueError) as exc:
        return Outcome("plan", None, error=str(exc))


async def apply_step(lookup: Lookup, credentials: Credentials, plan: Plan, step: str) -> Outcome:
    """Save the undo (not when undoing), apply the plan, then verify it on the authoritative servers."""
    from wizard.lookup.publish import zone_of
    from wizard.secrets import SecretsError

    try:
        backend = await backend_for(lookup, credentials, await zone_of(lookup, plan.domain))
        if step == "apply":
            save_undo(plan)
        await apply(backend, plan)
    except (PublishError, SecretsError, ValueError, OSError) as exc:
        return Outcome(step, plan, error=str(exc))
    problems = await _verified(lookup, plan)
    if step == "undo" and not problems:
        undo_path(plan.domain).unlink(missing_ok=True)
    return Outcome(step, plan, problems)


class PublishDialog(QDialog):
    """Publishes the records of one domain: credentials → plan → Apply → verified → Undo."""

    def __init__(
        self,
        lookup: Lookup,
        domain: str,
        wanted: Sequence[Wanted],
        match: ProviderMatch | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Publish for {domain}")
        self.lookup = lookup
        self.domain = domain
        self.wanted = list(wanted)
        self.plan: Plan | None = None
        self.applied: Plan | None = None  # what Undo reverts
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(lambda text: self._say(f"Unexpected error: {text}", RED))
        self.runner.busy.connect(self._busy)
        self._build(match)

    def _build(self, match: ProviderMatch | None) -> None:
        self.provider_box = QComboBox(self)
        for label, name in provider_choices(match):
            self.provider_box.addItem(label, name)
        self.server = QLineEdit(self)
        self.server.setPlaceholderText("primary name server, HOST or HOST:PORT (or the provider's API address)")
        self.key_name = QLineEdit(self)
        self.key_name.setPlaceholderText("the TSIG key's name, such as cimcloud-publish")
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("hmac-sha256:BASE64... or the API token; empty to use the one in the keyring")
        self.consent = QCheckBox("Keep this secret in the OS keyring (it is never written anywhere else)", self)
        form = QFormLayout()
        form.addRow(buddy("&Provider:", self.provider_box), self.provider_box)
        form.addRow(buddy("&Server:", self.server), self.server)
        form.addRow(buddy("&Key name:", self.key_name), self.key_name)
        form.addRow(buddy("S&ecret:", self.secret), self.secret)
        form.addRow(self.consent)
        self.diff = QPlainTextEdit(self)
        self.diff.setReadOnly(True)
        self.diff.setAccessibleName("plan: records before and after")
        self.diff.setFont(QFont("monospace"))
        self.diff.setPlaceholderText("The plan appears here: '=' kept, '-' removed, '+' added.")
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.plan_button = QPushButton("Show the &plan", self)
        self.apply_button = QPushButton("&Apply", self)
        self.undo_button = QPushButton("&Undo", self)
        for button in (self.plan_button, self.apply_button, self.undo_button):
            button.setAutoDefault(False)
        self.apply_button.setEnabled(False)
        self.undo_button.setEnabled(False)
        self.plan_button.clicked.connect(self.show_plan)
        self.apply_button.clicked.connect(self.apply_plan)
        self.undo_button.clicked.connect(self.undo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.plan_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.undo_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.hide)  # kept, so Undo stays offered while the wizard is open
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.diff, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(720, 520)

    def credentials(self) -> Credentials:
        return Credentials(
            provider=str(self.provider_box.currentData()),
            server=self.server.text().strip(),
            key_name=self.key_name.text().strip(),
            secret=self.secret.text(),
            consent=self.consent.isChecked(),
        )

    def show_plan(self) -> None:
        self._say("Reading the records the server holds now...", "")
        self.runner.start(plan_step(self.lookup, self.credentials(), self.domain, self.wanted))

    def apply_plan(self) -> None:
        if self.plan is not None and not self.plan.empty:
            self._say("Applying, then verifying on every authoritative server...", "")
            self.runner.start(apply_step(self.lookup, self.credentials(), self.plan, "apply"))

    def undo(self) -> None:
        if self.applied is not None:
            self._say("Restoring the records as they were...", "")
            self.runner.start(apply_step(self.lookup, self.credentials(), self.applied.inverse(), "undo"))

    def _finished(self, outcome: Outcome) -> None:
        self.secret.clear()  # stored in the keyring (or refused): never kept in the window
        if outcome.error:
            self._say(outcome.error, RED)
            return
        if outcome.step == "plan":
            self._show(outcome.plan)
            return
        self.apply_button.setEnabled(False)
        if outcome.step == "apply":
            self.applied = outcome.plan
        else:
            self.applied = None
        self.undo_button.setEnabled(self.applied is not None)
        if outcome.problems:
            self._say("Applied, not verified yet:\n" + "\n".join(outcome.problems), RED)
        elif outcome.step == "apply":
            self._say("Verified: every authoritative server serves the new records. Undo restores the old ones.", GREEN)
        else:
            self._say("Restored and verified: the records are as they were before.", GREEN)

    def _show(self, plan: Plan | None) -> None:
        self.plan = plan
        if plan is None:
            return
        self.diff.setPlainText("\n".join(diff_lines(plan, self.credentials().server or self.credentials().provider)))
        self.apply_button.setEnabled(not plan.empty)
        self._say("Nothing to change." if plan.empty else "Review the plan, then Apply.", GREEN if plan.empty else "")

    def _say(self, text: str, color: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {color};" if color else "")

    def _busy(self, on: bool) -> None:
        for button in (self.plan_button, self.apply_button, self.undo_button):
            if on:
                button.setEnabled(False)
        if not on:
            self.plan_button.setEnabled(True)
            self.apply_button.setEnabled(self.plan is not None and not self.plan.empty and self.applied is None)
            self.undo_button.setEnabled(self.applied is not None)


class PagePublisher(QObject):
    """Wires a page's record cards: the provider detected once per domain, and "Publish for me" opening one
    dialog per domain and record (kept while the wizard is open, so its Undo stays offered)."""

    def __init__(self, page: QWidget, session: Any) -> None:
        super().__init__(page)
        self.page = page
        self.session = session
        self.domain = ""
        self.match: ProviderMatch | None = None
        self.dialogs: dict[tuple[str, str], PublishDialog] = {}
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._detected)
        self._wired: set[int] = set()

    def cards(self) -> list[RecordCard]:
        return self.page.findChildren(RecordCard)

    def set_domain(self, domain: str) -> None:
        """The page now shows `domain`: wire new cards and detect its provider (when it changed)."""
        for card in self.cards():
            if id(card) not in self._wired:
                self._wired.add(id(card))
                card.publish_requested.connect(lambda c=card: self.publish(c))
        if domain == self.domain:
            return
        self.domain, self.match = domain, None
        for card in self.cards():
            card.set_provider(None)
        self.runner.start(detect_provider(self.session.lookup, domain))

    def _detected(self, match: ProviderMatch | None) -> None:
        self.match = match
        for card in self.cards():
            card.set_provider(match)

    def publish(self, card: RecordCard) -> PublishDialog | None:
        """Open (or show again) the dialog publishing the card's record; None when it is not one of ours."""
        _, name, value = card.record
        kind = kind_of(name, value)
        if kind is None or not self.domain:
            return None
        key = (self.domain, name)
        dialog = self.dialogs.get(key)
        if dialog is None or dialog.wanted != [Wanted(kind, name, value)]:
            if dialog is not None and dialog.applied is not None:
                dialog.wanted = [Wanted(kind, name, value)]  # keep its Undo; the next plan uses the new record
                dialog.plan = None
            else:
                dialog = PublishDialog(self.session.lookup, self.domain, [Wanted(kind, name, value)], self.match,
                                       self.page)  # fmt: skip
            self.dialogs[key] = dialog
        dialog.show()
        dialog.activateWindow()
        return dialog


def attach_publishing(page: QWidget, session: Any, domain: str) -> PagePublisher:
    """The page's PagePublisher (created on first use), told which domain the page shows."""
    publisher = page.findChild(PagePublisher)
    if publisher is None:
        publisher = PagePublisher(page, session)
    publisher.set_domain(domain)
    return publisher


def stop_publishing(page: QWidget) -> None:
    """The page was left or the window is closing: stop detecting its provider."""
    publisher = page.findChild(PagePublisher)
    if publisher is not None:
        publisher.runner.cancel()
        publisher.domain = ""  # detect again when the page is shown again


def missing_records(entry: DomainProgress) -> list[Wanted]:
    """The records of one domain whose last check did not verify them, as one plan's wishes."""
    wanted = []
    for record in entry.results.values():
        kind = kind_of(record.name, record.expected) if record.name and record.expected else None
        if kind is not None and record.state is not CheckState.VERIFIED:
            wanted.append(Wanted(kind, record.name, record.expected))
    return wanted


class PublishMissing(QObject):
    """The Summary's "Publish everything that is missing" for the domain of the selected row, as one plan."""

    def __init__(self, page: QWidget, session: Any, selected_domain: Callable[[], str]) -> None:
        super().__init__(page)
        self.page, self.session, self.selected_domain = page, session, selected_domain
        self.button = QPushButton("Publish everything that is &missing…", page)
        self.button.setAutoDefault(False)
        self.button.setToolTip("For the domain of the selected row: every record not verified yet, as one plan")
        self.button.clicked.connect(self.open)
        self.dialogs: dict[str, PublishDialog] = {}
        self.note = QLabel(page)
        self.note.setWordWrap(True)

    def open(self) -> PublishDialog | None:
        domain = self.selected_domain()
        entry = next((d for d in self.session.progress.domains if d.domain == domain), None)
        wanted = missing_records(entry) if entry is not None else []
        if not wanted:
            self.note.setText(f"Nothing is known to be missing for {domain or 'this domain'}: check it again first.")
            return None
        self.note.clear()
        dialog = self.dialogs.get(domain)
        if dialog is None or (dialog.applied is None and dialog.wanted != wanted):
            dialog = PublishDialog(self.session.lookup, domain, wanted, None, self.page)
            self.dialogs[domain] = dialog
        dialog.show()
        dialog.activateWindow()
        return dialog
