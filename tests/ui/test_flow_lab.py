"""End to end against the BIND lab, as an admin works: type the domain, compose the record, publish what the
page shows (the test plays the DNS provider with an RFC 2136 update), click "Check DNS now", see it verified."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from PySide6.QtGui import QGuiApplication

from tests.lab.lab import Lab
from wizard.store import CheckState

from wizard.ui.pages.spf import SpfPage
from wizard.ui.wizard import Pages

from .helpers import CHECK_TIMEOUT_MS, MakeWizard, check_now, enter_domains


def open_spf(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, domain: str = "wiz.test") -> SpfPage:
    """Type the domain, go to the SPF page and wait for today's record to be looked up."""
    wizard = make_wizard(dns_lab.settings())
    enter_domains(wizard, domain)
    wizard.next()
    spf = wizard.currentPage()
    assert isinstance(spf, SpfPage)
    qtbot.waitUntil(lambda: spf.live is not None, timeout=CHECK_TIMEOUT_MS)
    return spf


def test_domains_page_scans_what_each_domain_has_today(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    wizard = make_wizard(dns_lab.settings())
    page = enter_domains(wizard, "postmaster@wiz-mail.test\nwiz.test")
    qtbot.waitUntil(lambda: len(page.scan_texts()) == 2, timeout=CHECK_TIMEOUT_MS)
    scans = page.scan_texts()
    assert scans["wiz-mail.test"][0] == "v=spf1 include:_spf.google.com ~all"
    assert scans["wiz-mail.test"][1].startswith("v=DMARC1; p=none")
    assert "DKIM keys are published" in scans["wiz-mail.test"][2]
    assert scans["wiz.test"] == ["no SPF record", "no DMARC record", "no DKIM keys published"]


def test_spf_composed_published_and_verified(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    spf = open_spf(qtbot, dns_lab, make_wizard)
    wizard = spf.wizard()
    assert "no SPF record today" in spf.today.text()
    spf.service_boxes["google-workspace"].setChecked(True)
    assert not spf.service_boxes["cimcloud"].isEnabled() and spf.service_boxes["cimcloud"].isChecked()
    value = spf.card.value_field.text()
    assert value == "v=spf1 include:_spf.mycimcloud.com include:_spf.google.com ~all"
    assert spf.card.host_field.text() == "@"
    assert spf.card.zone_text.toPlainText() == f'wiz.test. IN TXT "{value}"'

    spf.card.value_field.button.click()
    assert QGuiApplication.clipboard().text() == value
    assert spf.card.value_field.button.text() == "Copied"

    dns_lab.update("wiz.test", add=[("@", 1, "TXT", value)])
    qtbot.wait(1100)  # the lab resolver's one-second cache of the earlier answer runs out
    assert check_now(qtbot, spf) is CheckState.VERIFIED
    assert wizard.session.progress.domains[0].results["spf"].state is CheckState.VERIFIED
    assert wizard.session.progress.domains[0].spf_services == ["google-workspace"]


def test_spf_stale_server_shows_waiting(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    spf = open_spf(qtbot, dns_lab, make_wizard)
    dns_lab.update("wiz.test", add=[("@", 1, "TXT", spf.card.value_field.text())], servers=(0,))
    assert check_now(qtbot, spf) is CheckState.WAITING
    assert "1 of 2 authoritative servers" in spf.panel.badge.text_label.text()


def test_spf_custom_term_typo_is_explained_and_blocks_next(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    spf = open_spf(qtbot, dns_lab, make_wizard)
    wizard = spf.wizard()
    spf.custom.setText("include:spf.crm.test ip4:300.1.1.1")
    assert "300.1.1.1" in spf.warnings.text()
    assert not spf.isComplete()
    spf.custom.setText("ip4:192.0.2.7")
    assert spf.isComplete()
    assert "ip4:192.0.2.7" in spf.card.value_field.text()
    wizard.next()
    assert wizard.currentId() == Pages.DKIM
