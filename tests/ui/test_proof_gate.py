"""The DMARC page's activation gate with pytest-qt against the BIND lab: no proof, a message that proves
CIMcloud's signing, and the admin's statement (with its warning)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.checks.mail import delivered, message, publish_key, sign
from tests.lab.lab import Lab
from wizard.core.dmarc.record import Policy
from wizard.core.proof import STATEMENT_WARNING, ProofKind, ProofVerdict, activation_proven
from wizard.store import CheckRecord, CheckState

from wizard.ui.pages.dmarc import DmarcPage
from wizard.ui.proof import gate_text

from .helpers import CHECK_TIMEOUT_MS, MakeWizard
from .test_flow_lab import open_dmarc

SELECTOR = "cimcloud-77aa"
REPORTS = Path(__file__).resolve().parent.parent / "data" / "dmarc-reports"


def enforcement_open(page: DmarcPage) -> bool:
    return page.policy_buttons[Policy.QUARANTINE].isEnabled() and page.policy_buttons[Policy.REJECT].isEnabled()


def test_no_proof_keeps_enforcement_closed_even_with_dkim_verified(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    page = open_dmarc(qtbot, dns_lab, make_wizard)
    page.session.progress.domains[0].results["dkim"] = CheckRecord(CheckState.VERIFIED)
    page.initializePage()
    assert not enforcement_open(page)
    assert page.proof.status.text() == gate_text(None, "wiz.test")
    assert "a DKIM record that verifies is not enough" in page.proof.status.text()


def test_a_message_that_proves_activation_opens_enforcement_and_is_saved(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    publish_key(dns_lab, "wiz.test", SELECTOR, "wiz")
    page = open_dmarc(qtbot, dns_lab, make_wizard)
    raw = delivered(sign(message(from_addr="orders@wiz.test"), domain="wiz.test", selector=SELECTOR, key="wiz"))
    page.proof.paste.setPlainText(raw.decode())
    page.proof.check_paste.click()
    qtbot.waitUntil(lambda: enforcement_open(page), timeout=CHECK_TIMEOUT_MS)
    assert page.proof.status.text().startswith("Open: a message proved CIMcloud's aligned DKIM signature passes")
    assert page.guard.isHidden()
    page.policy_buttons[Policy.QUARANTINE].setChecked(True)
    assert "p=quarantine" in page.card.value_field.text()
    page.session.save()
    saved = page.session.store.path.read_text()
    assert '"verdict": "proven"' in saved and "Thank you for your order" not in saved  # the verdict, not the message


def test_a_message_that_does_not_prove_it_leaves_the_gate_closed(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    page = open_dmarc(qtbot, dns_lab, make_wizard)
    page.proof.paste.setPlainText(delivered(message(from_addr="orders@wiz.test")).decode())  # never signed
    page.proof.check_paste.click()
    qtbot.waitUntil(lambda: "does not prove" in page.proof.result.text(), timeout=CHECK_TIMEOUT_MS)
    assert "no DKIM-Signature" in page.proof.result.text()
    assert not enforcement_open(page)
    entry = page.session.progress.domains[0]
    assert [(p.kind, p.verdict) for p in entry.proofs] == [(ProofKind.MESSAGE, ProofVerdict.NOT_PROVEN)]


def test_the_admins_statement_opens_with_the_warning_and_can_be_withdrawn(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    page = open_dmarc(qtbot, dns_lab, make_wizard)
    page.proof.stated.setChecked(True)
    assert enforcement_open(page)
    assert page.proof.status.text().startswith("Open on your statement")
    assert STATEMENT_WARNING in page.proof.status.text()
    entry = page.session.progress.domains[0]
    proof = activation_proven(entry.proofs, "wiz.test")
    assert proof is not None and proof.verdict is ProofVerdict.STATED
    page.policy_buttons[Policy.REJECT].setChecked(True)
    page.proof.stated.setChecked(False)
    assert not enforcement_open(page)
    assert page.chosen_policy() is Policy.NONE
    assert entry.proofs == []


def test_report_files_for_another_domain_record_nothing(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    page = open_dmarc(qtbot, dns_lab, make_wizard)
    page.proof.open_files([REPORTS / "yahoo.xml", REPORTS / "billion-laughs.xml"])
    qtbot.waitUntil(lambda: "not wiz.test" in page.proof.result.text(), timeout=CHECK_TIMEOUT_MS)
    assert "declares XML entities" in page.proof.result.text()
    assert not enforcement_open(page)
    assert page.session.progress.domains[0].proofs == []
