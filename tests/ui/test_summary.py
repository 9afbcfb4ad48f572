"""The summary: the domain × check matrix from saved results, the report as HTML and PDF, the support message."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from tests.lab.lab import Lab
from wizard.core.proof import ActivationProof, ProofKind, ProofVerdict
from wizard.store import CheckRecord, CheckState, Progress, Store

from wizard.ui.pages.summary import SummaryPage, save_html, save_pdf
from wizard.ui.report import report_html
from wizard.ui.wizard import EmailAuthWizard, Pages

from .helpers import CHECK_TIMEOUT_MS, MakeWizard, resume


def saved_progress(store: Store, *, mta_sts: bool = False) -> None:
    progress = Progress(page=Pages.SUMMARY, mta_sts=mta_sts)
    shop = progress.domain("shop.example")
    shop.dkim_name = "cimcloud-abc._domainkey"
    shop.results = {
        "spf": CheckRecord(CheckState.VERIFIED, "Verified: every server asked serves the record."),
        "dkim": CheckRecord(CheckState.VERIFIED, "Verified."),
        "dmarc": CheckRecord(CheckState.WAITING, "Published on 1 of 2 authoritative servers."),
    }
    mail = progress.domain("mail.example")
    mail.results = {"spf": CheckRecord(CheckState.PROBLEM, "A different record is published.")}
    store.save(progress)


def open_summary(qtbot: QtBot, make_wizard: MakeWizard) -> tuple[EmailAuthWizard, SummaryPage]:
    wizard = make_wizard()
    wizard.show()
    wizard.next()  # resume: on through the pages to the saved one
    qtbot.waitUntil(lambda: wizard.currentId() == Pages.SUMMARY)
    page = wizard.currentPage()
    assert isinstance(page, SummaryPage)
    return wizard, page


def test_matrix_shows_each_domain_and_check(qtbot: QtBot, make_wizard: MakeWizard, store: Store) -> None:
    saved_progress(store)
    _, page = open_summary(qtbot, make_wizard)
    assert page.cell_texts() == [
        ["shop.example", "verified", "verified", "waiting for DNS"],
        ["mail.example", "problem", "waiting for CIMcloud", "not checked"],
    ]
    assert "Published on 1 of 2 authoritative servers." in page.table.item(0, 3).toolTip()


def test_mta_sts_column_only_when_chosen(qtbot: QtBot, make_wizard: MakeWizard, store: Store) -> None:
    saved_progress(store, mta_sts=True)
    _, page = open_summary(qtbot, make_wizard)
    assert page.table.horizontalHeaderItem(4).text() == "MTA-STS"
    assert page.table.horizontalHeaderItem(5).text() == "TLS-RPT"


def test_support_message_asks_to_activate_dkim_for_verified_domains(
    qtbot: QtBot, make_wizard: MakeWizard, store: Store
) -> None:
    saved_progress(store)
    _, page = open_summary(qtbot, make_wizard)
    text = page.message.toPlainText()
    assert "- shop.example: cimcloud-abc._domainkey.shop.example" in text
    assert "Please activate DKIM signing" in text
    assert "- mail.example: SPF problem, DKIM waiting for CIMcloud, DMARC not checked" in text


def test_report_saved_as_html_and_pdf(qtbot: QtBot, make_wizard: MakeWizard, store: Store, tmp_path: Path) -> None:
    saved_progress(store)
    _, page = open_summary(qtbot, make_wizard)
    page.save_report(tmp_path / "report.html", save_html)
    html = (tmp_path / "report.html").read_text()
    assert "shop.example" in html and "waiting for DNS" in html and "Please activate DKIM" in html
    page.save_report(tmp_path / "report.pdf", save_pdf)
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    assert "Report saved to" in page.saved.text()


def test_report_to_an_unwritable_place_says_why(
    qtbot: QtBot, make_wizard: MakeWizard, store: Store, tmp_path: Path
) -> None:
    saved_progress(store)
    _, page = open_summary(qtbot, make_wizard)
    page.save_report(tmp_path / "missing-folder" / "report.pdf", save_pdf)
    assert "could not be saved" in page.saved.text()


def test_summary_follows_results_as_they_change(qtbot: QtBot, make_wizard: MakeWizard, store: Store) -> None:
    saved_progress(store)
    wizard, page = open_summary(qtbot, make_wizard)
    wizard.session.progress.domains[1].results["spf"] = CheckRecord(CheckState.VERIFIED, "ok")
    wizard.session.changed()
    assert page.cell_texts()[1][1] == "verified"


SPF = "v=spf1 include:_spf.mycimcloud.com ~all"
DMARC = "v=DMARC1; p=none; rua=mailto:dmarc@wiz.test"


def checked_before(store: Store) -> None:
    """wiz.test as left days ago: SPF not yet found, DMARC verified; DKIM never composed."""
    progress = Progress(page=Pages.SUMMARY)
    entry = progress.domain("wiz.test")
    entry.results = {
        "spf": CheckRecord(CheckState.PROBLEM, "Not found in DNS yet.", 1.0, "wiz.test", "spf", SPF),
        "dmarc": CheckRecord(CheckState.VERIFIED, "Verified.", 1.0, "_dmarc.wiz.test", "dmarc", DMARC),
    }
    store.save(progress)


def test_check_everything_again_updates_the_matrix_and_saves(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, store: Store
) -> None:
    checked_before(store)
    dns_lab.update("wiz.test", add=[("@", 1, "TXT", SPF)])  # the admin published SPF since; DMARC is not there
    wizard = make_wizard(dns_lab.settings())
    resume(qtbot, wizard, Pages.SUMMARY)
    page = wizard.currentPage()
    assert isinstance(page, SummaryPage)
    assert page.cell_texts() == [["wiz.test", "problem", "waiting for CIMcloud", "verified"]]
    assert "provisioning request" in page.table.item(0, 2).toolTip()
    with qtbot.waitSignal(page.runner.finished, timeout=CHECK_TIMEOUT_MS):
        qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
        assert page.cancel_button.isEnabled() and not page.check_button.isEnabled()
    assert page.cell_texts() == [["wiz.test", "verified", "waiting for CIMcloud", "not published yet"]]
    assert "Not found in DNS" in page.table.item(0, 3).toolTip()
    assert page.progress.isHidden() and "Checked 2 records" in page.check_state.text()
    assert "SPF verified, DKIM waiting for CIMcloud, DMARC not published yet" in page.message.toPlainText()
    wizard.session.save()
    saved = store.load().progress.domains[0].results
    assert saved["spf"].state is CheckState.VERIFIED and saved["spf"].checked_at > 1.0
    assert saved["spf"].expected == SPF  # still the record the admin was told to add


def test_check_everything_again_can_be_stopped(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, store: Store
) -> None:
    checked_before(store)
    wizard = make_wizard(dns_lab.settings(nameservers=(dns_lab.blackhole,), timeout=5, query_timeout=2))
    resume(qtbot, wizard, Pages.SUMMARY)
    page = wizard.currentPage()
    assert isinstance(page, SummaryPage)
    page.check_button.click()
    qtbot.waitUntil(page.progress.isVisible)
    assert page.progress.maximum() == 2 and page.progress.text() == "0 of 2 checked"
    with qtbot.assertNotEmitted(page.recheck_result, wait=300):
        page.cancel_button.click()
    assert not page.runner.running and page.check_button.isEnabled() and not page.cancel_button.isEnabled()
    assert "Stopped after 0 of 2" in page.check_state.text()
    assert page.cell_texts() == [["wiz.test", "problem", "waiting for CIMcloud", "verified"]]  # unchanged


def test_nothing_to_check_again_before_any_step_checked(qtbot: QtBot, make_wizard: MakeWizard, store: Store) -> None:
    saved_progress(store)  # results from before targets were kept: nothing to ask again
    _, page = open_summary(qtbot, make_wizard)
    assert not page.check_button.isEnabled()


def test_the_proof_of_cimclouds_signing_is_in_the_summary_the_report_and_the_message(
    qtbot: QtBot, make_wizard: MakeWizard, store: Store
) -> None:
    saved_progress(store)
    progress = store.load().progress
    proven = ActivationProof(ProofKind.MESSAGE, "shop.example", ProofVerdict.PROVEN, 1_764_590_400.0, "a message")
    stated = ActivationProof(ProofKind.STATEMENT, "mail.example", ProofVerdict.STATED, 1_764_590_400.0)
    progress.domain("shop.example").add_proof(proven)
    progress.domain("mail.example").add_proof(stated)
    store.save(progress)
    _, page = open_summary(qtbot, make_wizard)
    shown = page.signing.text()
    assert "shop.example: proven by a message from the website" in shown
    assert "mail.example: your statement that CIMcloud confirmed activation" in shown and "not checked" in shown
    assert "shop.example: proven by a message from the website" in page.message.toPlainText()
    html = report_html(page.session.progress)
    assert "CIMcloud DKIM signing" in html and "your statement that CIMcloud confirmed activation" in html
