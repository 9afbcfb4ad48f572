"""The provider-aware record card and "Publish for me": credentials with consent, the plan as a diff, Apply,
verified, Undo; against the lab (a BIND primary taking TSIG updates, zones delegated to provider look-alikes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from tests.lab.lab import Lab
from tests.memory_keyring import MemoryKeyring
from tests.ui.screenshots import zone_folder
from wizard.core.provider import detect

from wizard.ui.publish import PublishDialog
from wizard.ui.widgets import RecordCard, providers

from .helpers import CHECK_TIMEOUT_MS, MakeWizard
from .test_flow_lab import open_spf

TESTS = Path(__file__).resolve().parent.parent
DKIM_FQDN = "cimcloud-abc._domainkey.acme.com"
LONG_DKIM = "v=DKIM1; k=rsa; p=" + "A" * 380


@pytest.fixture
def lab_zone_dir(tmp_path: Path) -> Path:
    """The wizard's zones and vendor stand-ins, the provider look-alikes, and pub.test (served by ns1 only)."""
    folder = zone_folder(tmp_path)
    for path in [
        *(TESTS / "checks" / "provider_zones").glob("*.zone"),
        TESTS / "lookup" / "publish_zones" / "pub.test.zone",
    ]:
        shutil.copy(path, folder)
    return folder


def test_record_card_shows_the_fields_the_providers_form_wants(qtbot: QtBot) -> None:
    card = RecordCard()
    qtbot.addWidget(card)
    card.set_record("TXT", "cimcloud-abc._domainkey", LONG_DKIM, DKIM_FQDN, note="generic note")
    assert card.provider_box.currentData() == "other" and card.note.text() == "generic note"

    card.set_provider(detect(providers(), "acme.com", ["ns51.domaincontrol.com", "ns52.domaincontrol.com"]))
    assert card.host_field.text() == "cimcloud-abc._domainkey"
    assert card.value_field.text() == LONG_DKIM  # one field: GoDaddy takes it whole
    assert f"{DKIM_FQDN}.acme.com" in card.note.text()  # the doubled name it prevents
    assert "GoDaddy" in card.provider_reason.text() and "ns51.domaincontrol.com" in card.provider_reason.text()

    card.provider_box.setCurrentIndex(card.provider_box.findData("route53"))
    assert card.value_field.text().startswith('"v=DKIM1; k=rsa; p=AAA') and '" "' in card.value_field.text()
    assert "several quoted strings" in card.note.text()
    assert "name servers point elsewhere" in card.provider_reason.text()

    card.provider_box.setCurrentIndex(card.provider_box.findData("other"))
    assert card.host_field.text() == "cimcloud-abc._domainkey" and card.note.text() == "generic note"
    assert card.value_field.text() == LONG_DKIM


def test_spf_card_assumes_the_provider_from_the_ns_names(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    spf = open_spf(qtbot, dns_lab, make_wizard, "gd-shop.test")
    qtbot.waitUntil(lambda: spf.card.provider_box.currentData() == "godaddy", timeout=CHECK_TIMEOUT_MS)
    assert spf.card.host_field.text() == "@"
    assert "ns51.domaincontrol.com" in spf.card.provider_reason.text()
    assert "GoDaddy adds gd-shop.test to the name itself" in spf.card.note.text()


def open_dialog(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> PublishDialog:
    spf = open_spf(qtbot, dns_lab, make_wizard, "pub.test")
    qtbot.waitUntil(lambda: "Generic fields" in spf.card.provider_reason.text(), timeout=CHECK_TIMEOUT_MS)
    qtbot.mouseClick(spf.card.publish_button, Qt.MouseButton.LeftButton)
    dialog = spf.findChild(PublishDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.server.setText(f"127.0.0.1:{dns_lab.port}")
    dialog.key_name.setText(dns_lab.key_name)
    dialog.secret.setText(f"hmac-sha256:{dns_lab.key_secret}")
    return dialog


def apex(dns_lab: Lab) -> set[tuple[bytes, ...]]:
    response = dns_lab.query("pub.test", "TXT", tcp=True)
    return {tuple(rd.strings) for rrset in response.answer for rd in rrset}


def click_and_wait(qtbot: QtBot, dialog: PublishDialog, button: object) -> None:
    with qtbot.waitSignal(dialog.runner.finished, timeout=CHECK_TIMEOUT_MS):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def test_publish_for_me_plans_applies_verifies_and_undoes(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, memory_keyring: MemoryKeyring, data_home: Path
) -> None:
    before = apex(dns_lab)
    dialog = open_dialog(qtbot, dns_lab, make_wizard)
    dialog.consent.setChecked(True)
    click_and_wait(qtbot, dialog, dialog.plan_button)
    diff = dialog.diff.toPlainText()
    assert '- "v=spf1 include:_spf.google.com ~all"' in diff
    assert '+ "v=spf1 include:_spf.google.com include:_spf.mycimcloud.com ~all"' in diff
    assert '= "google-site-verification=abc123"' in diff
    assert dialog.secret.text() == ""  # kept in the keyring, not in the window
    assert memory_keyring.entries["email-auth-wizard", "tsig:lab-key"] == f"hmac-sha256:{dns_lab.key_secret}"
    assert apex(dns_lab) == before and dialog.apply_button.isEnabled()

    click_and_wait(qtbot, dialog, dialog.apply_button)
    assert dialog.status.text().startswith("Verified"), dialog.status.text()
    assert "#1b7f3b" in dialog.status.styleSheet()
    assert (b"v=spf1 include:_spf.google.com include:_spf.mycimcloud.com ~all",) in apex(dns_lab)
    assert dialog.undo_button.isEnabled() and not dialog.apply_button.isEnabled()

    dialog.hide()  # closed and opened again: Undo is still offered
    spf = dialog.parent()
    qtbot.mouseClick(spf.card.publish_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert spf.findChild(PublishDialog) is dialog and dialog.undo_button.isEnabled()  # type: ignore[attr-defined]
    spf.session.save()  # type: ignore[attr-defined]
    folders = (spf.session.store.path.parent, data_home)  # type: ignore[attr-defined]
    written = [p for folder in folders for p in folder.rglob("*") if p.is_file()]
    assert {"progress.json", "pub.test.json"} <= {p.name for p in written}
    assert all(dns_lab.key_secret.encode() not in p.read_bytes() for p in written)

    click_and_wait(qtbot, dialog, dialog.undo_button)
    assert dialog.status.text().startswith("Restored and verified"), dialog.status.text()
    assert apex(dns_lab) == before
    assert not any(data_home.rglob("pub.test.json"))  # restored: nothing left to undo


def test_without_consent_the_secret_is_not_stored_and_nothing_changes(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, memory_keyring: MemoryKeyring, data_home: Path
) -> None:
    before = apex(dns_lab)
    dialog = open_dialog(qtbot, dns_lab, make_wizard)
    click_and_wait(qtbot, dialog, dialog.plan_button)
    assert "tick the box" in dialog.status.text() and dns_lab.key_secret not in dialog.status.text()
    assert memory_keyring.entries == {} and not dialog.apply_button.isEnabled()
    assert apex(dns_lab) == before


def test_a_wrong_secret_is_reported_in_the_dialog(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, memory_keyring: MemoryKeyring, data_home: Path
) -> None:
    dialog = open_dialog(qtbot, dns_lab, make_wizard)
    dialog.consent.setChecked(True)
    click_and_wait(qtbot, dialog, dialog.plan_button)  # reading needs no key: the plan is shown
    memory_keyring.entries["email-auth-wizard", "tsig:lab-key"] = "hmac-sha256:" + "QUFB" * 11
    click_and_wait(qtbot, dialog, dialog.apply_button)
    assert "the secret is wrong" in dialog.status.text() and "#b3261e" in dialog.status.styleSheet()
    assert not dialog.undo_button.isEnabled()


def test_summary_publishes_everything_missing_for_a_domain_as_one_plan(
    qtbot: QtBot, dns_lab: Lab, qloop: object, memory_keyring: MemoryKeyring, data_home: Path
) -> None:
    from wizard.store import CheckRecord, CheckState, DomainProgress

    from wizard.ui.pages.summary import SummaryPage
    from wizard.ui.session import Session

    session = Session(dns_lab.settings(), None)
    entry = DomainProgress("pub.test")
    entry.results = {
        "spf": CheckRecord(
            CheckState.PROBLEM, name="pub.test", kind="spf", expected="v=spf1 include:_spf.mycimcloud.com ~all"
        ),
        "dmarc": CheckRecord(CheckState.WAITING, name="_dmarc.pub.test", kind="dmarc", expected="v=DMARC1; p=reject"),
        "dkim": CheckRecord(CheckState.VERIFIED, name="s._domainkey.pub.test", kind="dkim", expected="v=DKIM1; p=x"),
    }
    session.progress.domains = [entry]
    page = SummaryPage(session)
    qtbot.addWidget(page)
    page.refresh()
    dialog = page.publish_missing.open()
    assert dialog is not None
    assert {w.name for w in dialog.wanted} == {"pub.test", "_dmarc.pub.test"}  # the verified DKIM is left alone
    dialog.server.setText(f"127.0.0.1:{dns_lab.port}")
    dialog.key_name.setText(dns_lab.key_name)
    dialog.secret.setText(f"hmac-sha256:{dns_lab.key_secret}")
    dialog.consent.setChecked(True)
    click_and_wait(qtbot, dialog, dialog.plan_button)
    diff = dialog.diff.toPlainText()
    assert '+ "v=spf1 include:_spf.mycimcloud.com ~all"' in diff and '+ "v=DMARC1; p=reject"' in diff
    click_and_wait(qtbot, dialog, dialog.apply_button)
    assert dialog.status.text().startswith("Verified"), dialog.status.text()
    response = dns_lab.query("_dmarc.pub.test", "TXT", tcp=True)
    assert [rd.strings for rrset in response.answer for rd in rrset] == [(b"v=DMARC1; p=reject",)]
    dialog.close()


def test_summary_says_when_nothing_is_known_to_be_missing(qtbot: QtBot, qloop: object) -> None:
    from wizard.store import DomainProgress

    from wizard.ui.pages.summary import SummaryPage
    from wizard.ui.session import Session

    from .conftest import OFFLINE

    session = Session(OFFLINE, None)
    session.progress.domains = [DomainProgress("acme.test")]
    page = SummaryPage(session)
    qtbot.addWidget(page)
    page.refresh()
    assert page.publish_missing.open() is None
    assert "Nothing is known to be missing for acme.test" in page.publish_missing.note.text()
