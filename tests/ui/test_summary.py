"""The summary: the domain × check matrix from saved results, the report as HTML and PDF, the support message."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from wizard.store import CheckRecord, CheckState, Progress, Store

from wizard.ui.pages.summary import SummaryPage, save_html, save_pdf
from wizard.ui.wizard import EmailAuthWizard, Pages

from .helpers import MakeWizard


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


def open_summary(make_wizard: MakeWizard) -> tuple[EmailAuthWizard, SummaryPage]:
    wizard = make_wizard()
    wizard.show()
    wizard.next()  # resume: straight to the saved page
    page = wizard.currentPage()
    assert isinstance(page, SummaryPage)
    return wizard, page


def test_matrix_shows_each_domain_and_check(make_wizard: MakeWizard, store: Store) -> None:
    saved_progress(store)
    _, page = open_summary(make_wizard)
    assert page.cell_texts() == [
        ["shop.example", "verified", "verified", "waiting for DNS"],
        ["mail.example", "problem", "not checked", "not checked"],
    ]
    assert page.table.item(0, 3).toolTip() == "Published on 1 of 2 authoritative servers."


def test_mta_sts_column_only_when_chosen(make_wizard: MakeWizard, store: Store) -> None:
    saved_progress(store, mta_sts=True)
    _, page = open_summary(make_wizard)
    assert page.table.horizontalHeaderItem(4).text() == "MTA-STS"


def test_support_message_asks_to_activate_dkim_for_verified_domains(make_wizard: MakeWizard, store: Store) -> None:
    saved_progress(store)
    _, page = open_summary(make_wizard)
    text = page.message.toPlainText()
    assert "- shop.example: cimcloud-abc._domainkey.shop.example" in text
    assert "Please activate DKIM signing" in text
    assert "- mail.example: SPF problem, DKIM not checked, DMARC not checked" in text


def test_report_saved_as_html_and_pdf(make_wizard: MakeWizard, store: Store, tmp_path: Path) -> None:
    saved_progress(store)
    _, page = open_summary(make_wizard)
    page.save_report(tmp_path / "report.html", save_html)
    html = (tmp_path / "report.html").read_text()
    assert "shop.example" in html and "waiting for DNS" in html and "Please activate DKIM" in html
    page.save_report(tmp_path / "report.pdf", save_pdf)
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    assert "Report saved to" in page.saved.text()


def test_report_to_an_unwritable_place_says_why(make_wizard: MakeWizard, store: Store, tmp_path: Path) -> None:
    saved_progress(store)
    _, page = open_summary(make_wizard)
    page.save_report(tmp_path / "missing-folder" / "report.pdf", save_pdf)
    assert "could not be saved" in page.saved.text()


def test_summary_follows_results_as_they_change(qtbot: QtBot, make_wizard: MakeWizard, store: Store) -> None:
    saved_progress(store)
    wizard, page = open_summary(make_wizard)
    wizard.session.progress.domains[1].results["spf"] = CheckRecord(CheckState.VERIFIED, "ok")
    wizard.session.changed()
    assert page.cell_texts()[1][1] == "verified"
