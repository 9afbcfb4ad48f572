"""DMARC: the policy explained, enforcement held back until CIMcloud's signing is proven, report addresses,
advanced options folded away, the record to add and any authorization record a report destination needs.

The composer, the guard and policy discovery come from wizard.core.dmarc.
"""

from __future__ import annotations

from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wizard.checks.verify import Target, Verdict
from wizard.core.dmarc.compose import (
    DmarcChoice,
    DmarcComposition,
    allowed_policies,
    compose_dmarc,
    jump_warning,
    published_choices,
    recommend_stage,
    stage_today,
)
from wizard.core.dmarc.discovery import Discovery, discover_policy
from wizard.core.dmarc.record import Alignment, Policy
from wizard.core.dmarc.rollout import STAGES, Stage, first_stage_with, path_to, step_of
from wizard.core.proof import ActivationProof, activation_proven
from wizard.core.records import Kind
from wizard.core.tags import ComposeError
from wizard.store import DomainProgress

from wizard.ui.page import DomainPage, text_label
from wizard.ui.plain import card_title, not_the_record
from wizard.ui.proof import ProofPanel
from wizard.ui.session import Session
from wizard.ui.tasks import TaskRunner
from wizard.ui.tooltips import wrapped
from wizard.ui.widgets import ErrorLabel, RecordCard, buddy, fold

POLICY_TEXT = {
    Policy.NONE: "&Monitor only (p=none): nothing changes for delivery; you receive reports",
    Policy.QUARANTINE: "&Quarantine (p=quarantine): failing mail goes to spam",
    Policy.REJECT: "&Reject (p=reject): failing mail is refused",
}
ALIGNMENT_TEXT = (("r", "relaxed (subdomains count as the domain)"), ("s", "strict (exact domain only)"))
# The roll-out in plain words; the core's stage notes (with the tag names) are the tooltip.
ROLLOUT_PLAIN = (
    "1. Monitor: nothing changes for delivery; each day, receivers email you a report of every server that sent "
    "as your domain and whether it passed.",
    "2. Quarantine a quarter (pct=25): once those reports show every real sender (CIMcloud included) passing, a "
    "quarter of the failing mail goes to spam.",
    "3. Quarantine all (pct=100): after clean reports at a quarter, all failing mail goes to spam.",
    "4. Reject: after some weeks of clean reports, failing mail is refused.",
)
# What each step of the roll-out does, by its place on the ladder (wizard.core.dmarc.rollout.STAGES).
STAGE_WORDS = (
    "monitor only: nothing changes for delivery",
    "{pct}% of the mail that fails DMARC goes to spam, the rest is delivered as today",
    "all mail that fails DMARC goes to spam",
    "mail that fails DMARC is refused",
)
PCT_TIP = (
    "The record's pct= tag: the share of the mail failing DMARC that quarantine or reject applies to; the rest is "
    "treated one step milder (quarantine on the rest of a reject, delivery on the rest of a quarantine). Starting "
    "quarantine at 25% limits the harm of a sender the reports have not shown yet."
)
NO_REPORTS = (
    "No address for daily DMARC reports yet: without one, nobody sees which servers send as your domain, "
    "so moving on to quarantine would be guesswork."
)
SUBDOMAIN_TEXT = (("", "same as the domain"), ("none", "none"), ("quarantine", "quarantine"), ("reject", "reject"))


def addresses(text: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in text.replace(";", ",").split(",") if a.strip())


class DmarcPage(DomainPage):
    check_key = "dmarc"

    def __init__(self, session: Session) -> None:
        super().__init__(
            session,
            "DMARC: what receivers do with mail that fails",
            "Start by monitoring; enforce once the reports show every sender passing.",
        )
        self.composition: DmarcComposition | None = None
        self.error = ""
        self.error_tag = ""
        self.discovery_runner = TaskRunner(self)
        self.discovery_runner.finished.connect(self._discovered)
        self.discovery: Discovery | None = None
        self.today = text_label("", self)
        self.today.setAccessibleName("Today's DMARC record")
        self.details.addWidget(self.today)
        self.changes = text_label("", self)
        self.changes.setAccessibleName("What changes from today's record")
        self.body.addWidget(self.changes)
        self.body.addWidget(self._policy_box())
        self.body.addWidget(self._advanced_box())
        self.card = RecordCard(parent=self)
        self.body.addWidget(self.card)
        self.auth_card = RecordCard(
            "Record the report destination must publish (send it to them)", self, mnemonics=False
        )
        self.auth_card.hide()
        self.body.addWidget(self.auth_card)
        self.mta_sts = QCheckBox("Also set up MTA-STS and TLS-RPT (optional, protects mail sent to you)", self)
        self.mta_sts.setToolTip(
            "MTA-STS makes servers that send mail to your domain use encrypted, verified connections. It does not "
            "affect the email your CIMcloud website sends."
        )
        self.mta_sts.toggled.connect(self._mta_sts_toggled)
        self.body.addWidget(self.mta_sts)

    def _policy_box(self) -> QWidget:
        box = QGroupBox("Policy", self)
        self.policy_group = QButtonGroup(self)
        self.policy_buttons: dict[Policy, QRadioButton] = {}
        layout = QVBoxLayout(box)
        for policy, text in POLICY_TEXT.items():
            button = QRadioButton(text, box)
            self.policy_group.addButton(button)
            self.policy_buttons[policy] = button
            button.toggled.connect(self._policy_toggled)
            layout.addWidget(button)
        self.pct = QSpinBox(box)
        self.pct.setRange(0, 100)
        self.pct.setSuffix(" %")
        self.pct.setValue(100)
        for named in (self.pct, self.pct.lineEdit()):  # the box and the field inside it read the same
            named.setAccessibleName("Share of failing mail the policy applies to (pct)")
        self.pct.setToolTip(PCT_TIP)
        self.pct.valueChanged.connect(self.changed)
        pct_form = QFormLayout()
        pct_form.addRow("Share of failing mail (pct):", self.pct)  # every Alt+letter is taken on this page
        layout.addLayout(pct_form)
        self.next_step = text_label("", box)
        self.next_step.setAccessibleName("The next step of the staged roll-out")
        self.next_step.setStyleSheet("font-weight: bold")
        self.take_step = QPushButton("S&witch to this step", box)
        self.take_step.setAutoDefault(False)
        self.take_step.setToolTip("Choose the next step's policy and pct= in the record below.")
        self.take_step.clicked.connect(self._take_next_step)
        step_row = QHBoxLayout()
        step_row.addWidget(self.next_step, 1)
        step_row.addWidget(self.take_step)
        layout.addLayout(step_row)
        self.guard = text_label("", box)
        self.guard.setAccessibleName("Why enforcement is held back")
        layout.addWidget(self.guard)
        self.proof = ProofPanel(self.session, box)
        self.proof.proof_added.connect(self._proof_added)
        layout.addWidget(self.proof)
        self.jump = ErrorLabel(box)
        self.jump.setAccessibleName("Warning about skipping a stage")
        layout.addWidget(self.jump)
        self.rua = QLineEdit(box)
        self.rua.setAccessibleName("Addresses for daily DMARC reports (rua)")
        self.rua.setPlaceholderText("dmarc-reports@example.com")
        self.rua.setToolTip(
            "Receivers send daily aggregate reports here (the record's rua= tag): they show which servers send as "
            "your domain and whether they pass. Separate several addresses with commas. An address at another "
            "organization (a DMARC report service) must publish an authorization record, shown below."
        )
        self.rua.textChanged.connect(self.changed)
        self.rua_error = ErrorLabel(box)
        self.rua_error.setAccessibleName("Problem with the report address")
        form = QFormLayout()
        form.addRow(buddy("&Address for daily DMARC reports (rua):", self.rua), self.rua)
        form.addRow("", self.rua_error)
        layout.addLayout(form)
        self.rollout = text_label("", box)
        layout.addWidget(self.rollout)
        return box

    def _advanced_box(self) -> QWidget:
        box = QGroupBox("&Advanced options", self)
        box.setCheckable(True)
        box.setChecked(False)
        inner = QWidget(box)
        self.sp = self._combo(SUBDOMAIN_TEXT, "Subdomain policy", inner)
        self.adkim = self._combo(ALIGNMENT_TEXT, "DKIM alignment", inner)
        self.aspf = self._combo(ALIGNMENT_TEXT, "SPF alignment", inner)
        self.ruf = QLineEdit(inner)
        self.ruf.setAccessibleName("Addresses for reports on single failed messages (ruf)")
        self.ruf.setToolTip(
            "The record's ruf= tag: a report for each message that fails. Few receivers send them and they may "
            "contain personal data. Most domains leave this empty."
        )
        self.ruf.textChanged.connect(self.changed)
        self.ruf_error = ErrorLabel(inner)
        self.ruf_error.setAccessibleName("Problem with the failure report address")
        form = QFormLayout(inner)
        form.addRow(buddy("&Subdomains:", self.sp), self.sp)
        form.addRow(buddy("DKIM a&lignment:", self.adkim), self.adkim)
        form.addRow(buddy("SPF al&ignment:", self.aspf), self.aspf)
        form.addRow(buddy("&Failure reports:", self.ruf), self.ruf)
        form.addRow("", self.ruf_error)
        layout = QVBoxLayout(box)
        layout.addWidget(inner)
        fold(box, inner)
        return box

    def _combo(self, choices: tuple[tuple[str, str], ...], name: str, parent: QWidget) -> QComboBox:
        combo = QComboBox(parent)
        combo.setAccessibleName(name)
        for value, text in choices:
            combo.addItem(text, value)
        combo.currentIndexChanged.connect(self.changed)
        return combo

    # --- loading and saving ---------------------------------------------------------------------------

    def dkim_verified(self, entry: DomainProgress) -> bool:
        """Whether enforcement may open: CIMcloud's signing proven (a message, the reports) or stated by the admin.
        A DKIM record that verifies is not enough: CIMcloud activates signing after it is published."""
        return activation_proven(entry.proofs, entry.domain) is not None

    def _proof_added(self, proof: ActivationProof | None) -> None:
        entry = self.domain
        if entry is None:
            return
        if proof is not None:
            entry.add_proof(proof)
        self.proof.refresh()
        self._gate(entry)
        if not self.dkim_verified(entry) and self.chosen_policy().enforced:
            self.policy_buttons[Policy.NONE].setChecked(True)  # the statement was withdrawn: back to monitoring
        self.session.changed()
        self.update_target()

    def _gate(self, entry: DomainProgress) -> None:
        """p= and sp= alike: quarantine and reject only once CIMcloud DKIM is verified for the domain."""
        allowed = allowed_policies(self.dkim_verified(entry))
        for policy, button in self.policy_buttons.items():
            button.setEnabled(policy in allowed)
        model = self.sp.model()
        for index in range(self.sp.count()):
            value = str(self.sp.itemData(index))
            item = model.item(index) if isinstance(model, QStandardItemModel) else None
            if item is not None:
                item.setEnabled(not value or Policy(value) in allowed)
        chosen = str(self.sp.currentData())
        if chosen and Policy(chosen) not in allowed:
            self.sp.setCurrentIndex(0)

    def load_domain(self, entry: DomainProgress) -> None:
        self.proof.set_domain(entry)
        self._gate(entry)
        allowed = allowed_policies(self.dkim_verified(entry))
        policy = Policy(entry.dmarc_policy) if entry.dmarc_policy in set(Policy) else Policy.NONE
        self.policy_buttons[policy if policy in allowed else Policy.NONE].setChecked(True)
        self.rua.setText(entry.dmarc_rua)
        options = entry.dmarc_options
        pct = options.get("pct", "")
        self.pct.setValue(int(pct) if pct.isdigit() else 100)
        for combo, key in ((self.sp, "sp"), (self.adkim, "adkim"), (self.aspf, "aspf")):
            combo.setCurrentIndex(max(0, combo.findData(options.get(key, ""))))
        self._gate(entry)
        self.ruf.setText(options.get("ruf", ""))
        self.mta_sts.setChecked(self.session.progress.mta_sts)
        self.discovery = None
        self.today.setText("Looking up today's DMARC record…")
        self.refresh_today()

    def _start_from(self, entry: DomainProgress, discovery: Discovery) -> None:
        """The first look at the domain's own record: keep what it sets where the admin has chosen nothing yet
        (the report addresses, the policy when allowed, the advanced options), so the record is not lost."""
        record = discovery.record
        if record is None or discovery.inherited:
            return
        published = published_choices(record)
        self._loading = True
        try:
            if not self.rua.text().strip() and published.rua:
                self.rua.setText(", ".join(published.rua))
            allowed = allowed_policies(self.dkim_verified(entry))
            if self.chosen_policy() is Policy.NONE and published.policy in allowed:
                self.policy_buttons[published.policy].setChecked(True)
                if "pct" not in entry.dmarc_options:
                    self.pct.setValue(published.pct)
            if not entry.dmarc_options:
                sp = published.subdomain_policy
                self.sp.setCurrentIndex(max(0, self.sp.findData(str(sp) if sp and sp in allowed else "")))
                self.adkim.setCurrentIndex(max(0, self.adkim.findData(str(published.adkim))))
                self.aspf.setCurrentIndex(max(0, self.aspf.findData(str(published.aspf))))
                if not self.ruf.text().strip() and published.ruf:
                    self.ruf.setText(", ".join(published.ruf))
        finally:
            self._loading = False
        self._save(entry)

    def refresh_today(self) -> None:
        """Look up today's DMARC record again; the text shown stays until the new answer replaces it."""
        entry = self.domain
        if entry is not None:
            self.discovery_runner.start(discover_policy(self.session.lookup, entry.domain))

    def changed(self) -> None:
        entry = self.domain
        if entry is not None and not self._loading:
            self._save(entry)
        super().changed()

    def _save(self, entry: DomainProgress) -> None:
        entry.dmarc_policy = str(self.chosen_policy())
        entry.dmarc_rua = self.rua.text()
        entry.dmarc_options = {
            k: v
            for k, v in (
                ("sp", str(self.sp.currentData())),
                ("adkim", str(self.adkim.currentData()) if self.adkim.currentData() != "r" else ""),
                ("aspf", str(self.aspf.currentData()) if self.aspf.currentData() != "r" else ""),
                ("ruf", self.ruf.text()),
                ("pct", str(self.pct.value()) if self.chosen_stage().ramping else ""),
            )
            if v
        }

    def _mta_sts_toggled(self, on: bool) -> None:
        self.session.progress.mta_sts = on
        self.session.changed()

    def chosen_policy(self) -> Policy:
        return next((p for p, b in self.policy_buttons.items() if b.isChecked()), Policy.NONE)

    def chosen_stage(self) -> Stage:
        policy = self.chosen_policy()
        return Stage(policy, self.pct.value() if policy.enforced else 100)

    def today_stage(self) -> Stage | None:
        """The stage of the domain's own published record (None without one, or while it is looked up)."""
        discovery = self.discovery
        if discovery is None or discovery.inherited:
            return None
        return stage_today(discovery.record)

    def recommended(self, entry: DomainProgress) -> Stage:
        return recommend_stage(entry.domain, self.today_stage(), self.dkim_verified(entry))[0]

    def _policy_toggled(self, checked: bool) -> None:
        """A policy chosen: its share starts where the staged path puts it (quarantine at 25% after monitoring, today's
        share for today's policy); pct= only means something while enforcing."""
        entry = self.domain
        if not checked or entry is None:
            return
        policy = self.chosen_policy()
        self.pct.setEnabled(policy.enforced)
        if not self._loading:
            self._loading = True
            try:
                self.pct.setValue(first_stage_with(self.today_stage(), policy).pct)
            finally:
                self._loading = False
        self.changed()

    def _take_next_step(self) -> None:
        """The button beside the next step: choose its policy and pct=."""
        entry = self.domain
        if entry is None:
            return
        stage = self.recommended(entry)
        self.policy_buttons[stage.policy].setChecked(True)
        self.pct.setValue(stage.pct)

    # --- the record -----------------------------------------------------------------------------------

    def update_target(self) -> None:
        entry = self.domain
        if entry is None:
            return
        current = self.today_stage()
        sp = str(self.sp.currentData())
        choice = DmarcChoice(
            entry.domain,
            self.chosen_policy(),
            addresses(self.rua.text()),
            addresses(self.ruf.text()),
            adkim=Alignment(self.adkim.currentData()),
            aspf=Alignment(self.aspf.currentData()),
            subdomain_policy=Policy(sp) if sp else None,
            dkim_verified=self.dkim_verified(entry),
            current=current,
            pct=self.pct.value(),
        )
        try:
            self.composition = compose_dmarc(choice)
            self.error, self.error_tag = "", ""
        except ComposeError as exc:
            self.composition = None
            self.error = f"{exc.text!r} cannot be used: {exc.reason}"
            self.error_tag = exc.field
        self.rua_error.show_error(self.error if self.error_tag == "rua" else "")
        self.ruf_error.show_error(self.error if self.error_tag == "ruf" else "")
        self.jump.show_error(jump_warning(current, choice.stage))
        self._show()

    def _show(self) -> None:
        composition, entry = self.composition, self.domain
        if composition is None or entry is None:
            self.card.clear()
            self.card.note.setText(self.error)
            self.card.note.setVisible(bool(self.error))
            self.panel.set_target(None)
            self.completeChanged.emit()
            return
        self.guard.setText(composition.guard)
        self.guard.setVisible(bool(composition.guard))
        plain = ([] if addresses(self.rua.text()) else [NO_REPORTS]) + list(ROLLOUT_PLAIN)
        self.rollout.setText("\n".join(plain))
        self._show_next_step(composition.recommended, bool(composition.guard))
        self.rollout.setToolTip(wrapped("\n".join(composition.notes)))
        self.card.set_record("TXT", "_dmarc", composition.value, composition.name)
        own = self.discovery.record if self.discovery and not self.discovery.inherited else None
        self.card.setTitle(card_title("DMARC", own.text.strip() if own else None, composition.value))
        self.changes.setText(self.change_text(composition.value))
        self._show_authorizations(composition)
        self.panel.set_target(Target(entry.domain, composition.name, Kind.DMARC, composition.value))
        self.completeChanged.emit()

    def _show_next_step(self, recommended: Stage, held_back: bool) -> None:
        """The next step of the staged path, with a button that takes it (not while enforcement is held back, where
        the guard says why, nor once it is the stage chosen)."""
        self.next_step.setText(self.stage_text(recommended))
        self.pct.setEnabled(self.chosen_policy().enforced)
        self.take_step.setVisible(not held_back and recommended != self.chosen_stage())

    def stage_text(self, recommended: Stage) -> str:
        """The recommendation in words: the core recommends the step after the one published today."""
        current = self.today_stage()
        words = STAGE_WORDS[step_of(recommended)].format(pct=recommended.pct)
        if current is None or recommended == current:
            last = current is not None and step_of(current) == len(STAGES) - 1
            return "Today's record has p=reject: the last stage." if last else f"Recommended now: {recommended}."
        after = path_to(recommended, STAGES[-1]) + ((STAGES[-1],) if recommended != STAGES[-1] else ())
        then = f" After it: {', then '.join(str(s) for s in after)}." if after else ""
        return (
            f"Today's record has {current}. Next step on the staged path: {recommended} ({words}), once the reports "
            f"show every legitimate sender (CIMcloud included) passing.{then}"
        )

    def _show_authorizations(self, composition: DmarcComposition) -> None:
        if not composition.authorizations:
            self.auth_card.hide()
            return
        name, value = composition.authorizations[0]
        others = [n for n, _ in composition.authorizations[1:]]
        note = ("Also needed: " + ", ".join(others)) if others else ""
        self.auth_card.set_record("TXT", name, value, name, note=note)
        self.auth_card.show()

    def change_text(self, value: str) -> str:
        """What publishing the card changes, in one line (today's record itself is in the details)."""
        record = self.discovery.record if self.discovery is not None else None
        if self.discovery is None:
            return ""
        if record is None or self.discovery.inherited:
            return "Add this record: the domain has no DMARC record of its own yet."
        if record.text.strip() == value:
            return "This is the record published today: nothing to change."
        return f"Replace today's record ({record.text}) with this one: a domain has only one DMARC record."

    def _discovered(self, discovery: Discovery) -> None:
        self.discovery = discovery
        record = discovery.record
        entry = self.domain
        if entry is not None:
            self._start_from(entry, discovery)
        if record is None:
            what = self.something_else()
            self.today.setText(what or f"{discovery.domain} has no DMARC record today.")
        elif discovery.policy_domain and discovery.policy_domain != discovery.domain:
            self.today.setText(
                f"{discovery.domain} has no record of its own; it inherits {discovery.policy_domain}'s: {record.text}"
            )
        else:
            self.today.setText(f"Today: {record.text}")
        self.update_target()
        self.restate()

    def something_else(self, verdict: Verdict | None = None) -> str:
        """What is at _dmarc.<domain> instead of a DMARC record, from today's discovery."""
        discovery = self.discovery
        if discovery is None or discovery.record is not None or not discovery.steps:
            return ""
        return not_the_record(f"_dmarc.{discovery.domain}", discovery.steps[0].others, "DMARC record", "v=DMARC1")

    def isComplete(self) -> bool:
        return not self.error

    def shown(self) -> None:
        entry = self.domain
        if entry is not None:
            self._gate(entry)
        super().shown()

    def left(self) -> None:
        super().left()
        self.discovery_runner.cancel()
        self.proof.cancel()
