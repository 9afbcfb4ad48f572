"""Each record page's "today" text agrees with its own verification panel: once a check finds the record the admin
just published, the page looks up today's state again instead of still saying there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from tests.lab.lab import Lab
from tests.ui.screenshots import zone_folder
from wizard.store import CheckState

from wizard.ui.pages.mta_sts import MtaStsPage

from .helpers import CHECK_TIMEOUT_MS, MakeWizard, check_now
from .test_flow_lab import open_dmarc, open_spf, publish_card


@pytest.fixture
def lab_zone_dir(tmp_path: Path) -> Path:
    """The wizard's zones plus the vendor stand-ins, so CIMcloud's include resolves."""
    return zone_folder(tmp_path)


def test_spf_todays_record_tab_follows_a_verified_publication(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    spf = open_spf(qtbot, dns_lab, make_wizard)
    assert "wiz.test has no SPF record today" in spf.today.text()
    value = spf.card.value_field.text()
    publish_card(dns_lab, "wiz.test", spf)
    qtbot.wait(1100)  # the lab resolver's one-second cache of the earlier answer runs out
    assert check_now(qtbot, spf) is CheckState.VERIFIED
    published = f"Today wiz.test publishes:\n{value}"
    qtbot.waitUntil(lambda: spf.today.text().startswith(published), timeout=CHECK_TIMEOUT_MS)
    assert spf.today_auth.text().startswith("CIMcloud may send as wiz.test")
    # The record composed from today's record is the one just verified: the page does not ask for another.
    assert spf.card.value_field.text() == value
    assert spf.panel.verdict is not None and spf.panel.verdict.state is CheckState.VERIFIED


def test_dmarc_today_line_follows_a_verified_publication(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    page = open_dmarc(qtbot, dns_lab, make_wizard)
    assert page.today.text() == "wiz.test has no DMARC record today."
    page.rua.setText("dmarc@wiz.test")
    value = page.card.value_field.text()
    publish_card(dns_lab, "wiz.test", page)
    qtbot.wait(1100)
    assert check_now(qtbot, page) is CheckState.VERIFIED
    qtbot.waitUntil(lambda: page.today.text() == f"Today: {value}", timeout=CHECK_TIMEOUT_MS)
    assert page.card.value_field.text() == value
    assert page.panel.verdict is not None and page.panel.verdict.state is CheckState.VERIFIED


def open_mta_sts(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> MtaStsPage:
    dmarc = open_dmarc(qtbot, dns_lab, make_wizard)
    dmarc.mta_sts.setChecked(True)
    dmarc.wizard().next()
    page = dmarc.wizard().currentPage()
    assert isinstance(page, MtaStsPage)
    qtbot.waitUntil(lambda: page.mx.text() == "mx1.wiz.test", timeout=CHECK_TIMEOUT_MS)
    return page


def test_mta_sts_today_state_follows_each_panels_verdict(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    page = open_mta_sts(qtbot, dns_lab, make_wizard)
    assert "MTA-STS: not published" in page.today.text() and "TLS-RPT: not published" in page.today.text()
    page.rua.setText("tls@wiz.test")
    record, tls_record = page.card.value_field.text(), page.tls_card.value_field.text()

    publish_card(dns_lab, "wiz.test", page)
    qtbot.wait(1100)
    assert check_now(qtbot, page) is CheckState.PROBLEM  # published, but no policy host serves the file yet
    qtbot.waitUntil(lambda: f"MTA-STS: {record}" in page.today.text(), timeout=CHECK_TIMEOUT_MS)
    assert "MTA-STS: not published" not in page.today.text()
    assert "TLS-RPT: not published" in page.today.text()  # true: only the MTA-STS record is published so far

    line = page.tls_card.zone_text.toPlainText()
    name, _, rdata = line.partition(" IN TXT ")
    dns_lab.update("wiz.test", add=[(name, 1, "TXT", rdata)])
    qtbot.wait(1100)
    with qtbot.waitSignal(page.tls_panel.verdict_ready, timeout=CHECK_TIMEOUT_MS):
        qtbot.mouseClick(page.tls_panel.check_button, Qt.MouseButton.LeftButton)
    assert page.tls_panel.verdict is not None and page.tls_panel.verdict.state is CheckState.VERIFIED
    qtbot.waitUntil(lambda: f"TLS-RPT: {tls_record}" in page.today.text(), timeout=CHECK_TIMEOUT_MS)
    assert "not published" not in page.today.text()
    assert page.card.value_field.text() == record and page.tls_card.value_field.text() == tls_record
