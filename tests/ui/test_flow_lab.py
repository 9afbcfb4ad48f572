"""End to end against the BIND lab, as an admin works: type the domain, compose the record, publish what the
page shows (the test plays the DNS provider with an RFC 2136 update), click "Check DNS now", see it verified."""

from __future__ import annotations

import base64
import time
from typing import Any

import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pytestqt.qtbot import QtBot

from PySide6.QtGui import QGuiApplication

from tests.lab.lab import Lab
from tests.lookup.policy_server import server_context, serving_in_thread
from wizard.core.dmarc.record import Policy
from wizard.core.proof import ActivationProof, ProofKind, ProofVerdict
from wizard.core.records import CheckState
from wizard.store import CheckRecord

from wizard.ui.page import DomainPage
from wizard.ui.pages.dkim import DkimPage
from wizard.ui.pages.dmarc import DmarcPage
from wizard.ui.pages.mta_sts import MtaStsPage
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
    assert scans["wiz-mail.test"][0] == "SPF exists, CIMcloud not included yet: v=spf1 include:_spf.google.com ~all"
    assert page.scan_icons()["wiz-mail.test"][0] == "warning"  # not a green tick: CIMcloud may not send yet
    assert scans["wiz-mail.test"][1].startswith("v=DMARC1; p=none")
    assert "DKIM keys are published" in scans["wiz-mail.test"][2]
    assert scans["wiz.test"] == ["no SPF record", "no DMARC record", "no DKIM keys published"]
    assert page.table.height() < page.table.header().height() + 3 * page.table.sizeHintForRow(0)  # sized to fit


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


def dkim_content(bits: int = 2048) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"


def open_dkim(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, domains: str = "wiz.test") -> DkimPage:
    wizard = make_wizard(dns_lab.settings())
    enter_domains(wizard, domains)
    wizard.next()
    wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, DkimPage)
    return page


def publish_card(dns_lab: Lab, zone: str, page: DomainPage, servers: tuple[int, ...] = (0, 1)) -> None:
    """Do what the admin does at the provider: add the record shown (zone-file form keeps 255-octet strings)."""
    line = page.card.zone_text.toPlainText()
    name, _, rdata = line.partition(" IN TXT ")
    dns_lab.update(zone, add=[(name, 1, "TXT", rdata)], servers=servers)


def test_dkim_pasted_with_quotes_and_breaks_is_cleaned_published_and_verified(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    content = dkim_content()
    page = open_dkim(qtbot, dns_lab, make_wizard)
    page.name_edit.setText("cimcloud-a94fdfc80c2c46c782969bfb0fc4084e._domainkey.wiz.test.")
    messy = '"' + content[:120] + '"\n  "' + content[120:] + '"'
    page.content_edit.setPlainText(messy)
    assert "Cleaned up" in page.feedback.text()
    assert page.card.host_field.text() == "cimcloud-a94fdfc80c2c46c782969bfb0fc4084e._domainkey"
    assert page.card.value_field.text() == content
    assert "mxtoolbox.com" in page.link.text()
    assert "Once a record is verified" in page.message.toPlainText()

    publish_card(dns_lab, "wiz.test", page)
    qtbot.wait(1100)
    assert check_now(qtbot, page) is CheckState.VERIFIED
    message = page.message.toPlainText()
    assert "wiz.test: cimcloud-a94fdfc80c2c46c782969bfb0fc4084e._domainkey.wiz.test" in message
    page.message_copy.click()
    assert QGuiApplication.clipboard().text() == message


def test_dkim_truncated_publication_is_a_problem_with_the_difference(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    content = dkim_content()
    page = open_dkim(qtbot, dns_lab, make_wizard)
    page.name_edit.setText("sel1._domainkey")
    page.content_edit.setPlainText('"' + content[:120] + '"\n  "' + content[120:] + '"')  # quoted: cleaned up
    notes = page.feedback.text()
    assert "Cleaned up" in notes and not page.diagnosis.isVisibleTo(page)
    dns_lab.update("wiz.test", add=[("sel1._domainkey", 1, "TXT", f'"{content[:200]}"')])
    qtbot.wait(1100)
    assert check_now(qtbot, page) is CheckState.PROBLEM
    assert "different record" in page.panel.badge.text_label.text()
    qtbot.waitUntil(lambda: "cut short" in page.diagnosis.text(), timeout=5000)  # the core's precise diagnosis
    assert page.diagnosis.isVisibleTo(page)
    assert page.feedback.text() == notes  # the notes on the paste stay beside the diagnosis, not replaced by it

    page.content_edit.setPlainText(content[:200])  # the admin changes the paste: the old diagnosis goes
    assert page.diagnosis.text() == "" and not page.diagnosis.isVisibleTo(page)


def test_whole_message_pasted_once_fills_every_domain(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    one, two = dkim_content(1024), dkim_content(1024)
    page = open_dkim(qtbot, dns_lab, make_wizard, "wiz.test\nwiz-mail.test")
    message = (
        "Hello, here is your DKIM configuration.\n\n"
        "Domain: wiz.test\nDNS Record Name: cimcloud-1111._domainkey\nDNS Record Content: " + one + "\n\n"
        "Domain: wiz-mail.test\nDNS Record Name: cimcloud-2222._domainkey\nDNS Record Content: " + two + "\n"
    )
    page.paste.setPlainText(message)
    page._extract()
    progress = {d.domain: d for d in page.session.progress.domains}
    assert progress["wiz.test"].dkim_name == "cimcloud-1111._domainkey"
    assert progress["wiz-mail.test"].dkim_name == "cimcloud-2222._domainkey"
    assert progress["wiz-mail.test"].dkim_content == two
    assert page.name_edit.text() == "cimcloud-1111._domainkey"


def test_a_private_key_pasted_by_mistake_is_removed_and_never_saved(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    page = open_dkim(qtbot, dns_lab, make_wizard)
    page.name_edit.setText("sel1._domainkey")
    page.content_edit.setPlainText(pem)
    assert page.content_edit.toPlainText() == ""
    assert "PRIVATE key" in page.feedback.text()
    page.session.save()
    assert "PRIVATE" not in page.session.store.path.read_text()


def open_dmarc(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, **settings: Any) -> DmarcPage:
    wizard = make_wizard(dns_lab.settings(**settings))
    enter_domains(wizard, "wiz.test")
    for _ in range(3):
        wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, DmarcPage)
    qtbot.waitUntil(lambda: page.discovery is not None, timeout=CHECK_TIMEOUT_MS)
    return page


def test_dmarc_enforcement_waits_for_dkim_then_published_and_verified(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    page = open_dmarc(qtbot, dns_lab, make_wizard)
    assert "no DMARC record today" in page.today.text()
    assert not page.policy_buttons[Policy.QUARANTINE].isEnabled()
    assert not page.policy_buttons[Policy.REJECT].isEnabled()
    assert "CIMcloud DKIM signing is not shown to be active for wiz.test" in page.guard.text()
    page.rua.setText("dmarc@wiz.test")
    assert page.card.host_field.text() == "_dmarc"
    value = page.card.value_field.text()
    assert value == "v=DMARC1; p=none; rua=mailto:dmarc@wiz.test"
    assert page.auth_card.isHidden()

    publish_card(dns_lab, "wiz.test", page)
    qtbot.wait(1100)
    assert check_now(qtbot, page) is CheckState.VERIFIED

    entry = page.session.progress.domains[0]
    entry.results["dkim"] = CheckRecord(CheckState.VERIFIED)
    page.initializePage()
    assert not page.policy_buttons[Policy.QUARANTINE].isEnabled()  # a verified record is not CIMcloud signing
    entry.add_proof(ActivationProof(ProofKind.MESSAGE, "wiz.test", ProofVerdict.PROVEN, time.time(), "a message"))
    page.initializePage()
    assert page.policy_buttons[Policy.QUARANTINE].isEnabled() and page.guard.isHidden()
    qtbot.waitUntil(lambda: page.discovery is not None and page.discovery.record is not None, timeout=CHECK_TIMEOUT_MS)
    assert "Today's record has p=none. Next step on the staged path: p=quarantine with pct=25" in page.next_step.text()
    page.policy_buttons[Policy.QUARANTINE].setChecked(True)
    assert "p=quarantine" in page.card.value_field.text()


def test_dmarc_reports_to_another_organization_need_its_authorization_record(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    page = open_dmarc(qtbot, dns_lab, make_wizard)
    page.rua.setText("agg@reports.wiz-mail.test, dmarc@wiz.test")
    assert page.auth_card.isVisibleTo(page)
    assert page.auth_card.host_field.text() == "wiz.test._report._dmarc.reports.wiz-mail.test"
    assert page.auth_card.value_field.text().startswith("v=DMARC1")
    page.rua.setText("not an address@@")
    assert "cannot be used" in page.card.note.text() and not page.isComplete()


def test_mta_sts_only_when_chosen_then_planned_published_and_verified(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, trusted: trustme.CA
) -> None:
    with serving_in_thread(b"", server_context(trusted, "mta-sts.wiz.test")) as unused:
        policy_port = unused  # a port nobody listens on once the block ends: the policy cannot be fetched yet
    dmarc = open_dmarc(qtbot, dns_lab, make_wizard, https_port=policy_port)
    wizard = dmarc.wizard()
    wizard.next()
    assert wizard.currentId() == Pages.SUMMARY  # not chosen: skipped
    wizard.back()
    dmarc.mta_sts.setChecked(True)
    wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, MtaStsPage)
    assert "does not change email your CIMcloud website sends" in page.guidance.text()
    qtbot.waitUntil(lambda: page.mx.text() == "mx1.wiz.test", timeout=CHECK_TIMEOUT_MS)
    assert "MTA-STS: not published" in page.today.text()
    assert "mode: testing" in page.policy_text.toPlainText() and "mx: mx1.wiz.test" in page.policy_text.toPlainText()
    assert page.card.host_field.text() == "_mta-sts"
    record = page.card.value_field.text()
    assert record.startswith("v=STSv1; id=")
    page.rua.setText("tls@wiz.test")
    assert page.tls_card.value_field.text() == "v=TLSRPTv1; rua=mailto:tls@wiz.test"
    assert page.card.value_field.text() == record  # the id stays the same while the admin edits

    publish_card(dns_lab, "wiz.test", page)
    dns_lab.update("wiz.test", add=[("mta-sts", 1, "A", "127.0.0.1")])
    qtbot.wait(1100)
    # The record is on every server, but senders cannot fetch the policy: a problem, never "Verified".
    assert check_now(qtbot, page) is CheckState.PROBLEM
    assert page.panel.verdict is not None and page.panel.verdict.problem is not None
    assert page.panel.verdict.problem.code == "mta-sts.policy-unreachable"
    shown = page.panel.badge.text_label.text()
    assert "cannot be fetched" in shown and "Verified" not in shown
    # Today's state looked up again finds the record but no readable policy: nothing says the file changed, so
    # the record keeps its id (a new one would make the record just published "a different record").
    qtbot.waitUntil(lambda: page.published is not None and page.published.record_id is not None, timeout=5000)
    assert page.card.value_field.text() == record

    policy = page.policy_text.toPlainText().replace("\n", "\r\n").encode()
    with serving_in_thread(policy, server_context(trusted, "mta-sts.wiz.test"), port=policy_port):
        assert check_now(qtbot, page) is CheckState.VERIFIED


def test_tls_rpt_record_is_verified_live_by_its_own_panel(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    dmarc = open_dmarc(qtbot, dns_lab, make_wizard)
    wizard = dmarc.wizard()
    dmarc.mta_sts.setChecked(True)
    wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, MtaStsPage)
    qtbot.waitUntil(lambda: page.mx.text() == "mx1.wiz.test", timeout=CHECK_TIMEOUT_MS)
    assert not page.tls_panel.check_button.isEnabled()  # no report address yet: nothing to verify
    assert "TLS reports to" in page.tls_card.note.text()
    page.rua.setText("tls@wiz.test")
    assert page.tls_panel.check_button.isEnabled()
    assert page.tls_panel.target is not None and page.tls_panel.target.name == "_smtp._tls.wiz.test"

    line = page.tls_card.zone_text.toPlainText()
    name, _, rdata = line.partition(" IN TXT ")
    dns_lab.update("wiz.test", add=[(name, 1, "TXT", rdata)])
    qtbot.wait(1100)
    with qtbot.waitSignal(page.tls_panel.verdict_ready, timeout=CHECK_TIMEOUT_MS):
        page.tls_panel.check_button.click()
    assert page.tls_panel.verdict is not None and page.tls_panel.verdict.state is CheckState.VERIFIED
    results = page.session.progress.domains[0].results
    assert results["tls_rpt"].state is CheckState.VERIFIED and results["tls_rpt"].name == "_smtp._tls.wiz.test"
    assert results.get("mta_sts") is None or results["mta_sts"].state is not CheckState.VERIFIED  # not published
