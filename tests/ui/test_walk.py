"""Issue 10, walked as a first-time admin would: the Domains page, the wheel over settings, small wording fixes.

Each test drives the real wizard with clicks, keys and wheel events (against the BIND lab where DNS matters).
"""

from __future__ import annotations

import pytest
import trustme
from pytestqt.qtbot import QtBot

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QGuiApplication, QHelpEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QGroupBox, QToolTip, QWidget, QWizard

from tests.lab.lab import Lab
from tests.lookup.policy_server import server_context, serving_in_thread
from wizard.core.dmarc.record import Policy
from wizard.core.proof import ActivationProof, ProofKind, ProofVerdict
from wizard.lookup.settings import LookupSettings
from wizard.store import CheckRecord, CheckState, Progress, Store

from wizard.ui.page import DomainPage
from wizard.ui.pages.dkim import DkimPage
from wizard.ui.pages.dmarc import DmarcPage
from wizard.ui.pages.domains import DomainsPage
from wizard.ui.pages.mta_sts import MtaStsPage
from wizard.ui.pages.spf import SpfPage
from wizard.ui.pages.summary import SummaryPage
from wizard.ui.widgets import ERROR_COLOURS
from wizard.ui.wizard import EmailAuthWizard, Pages

from .helpers import CHECK_TIMEOUT_MS, MakeWizard, check_now, enter_domains, resume
from .test_flow_lab import dkim_content, open_dmarc, open_spf, publish_card


def test_a_domain_that_does_not_exist_is_said_plainly_and_holds_next(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    wizard = make_wizard(dns_lab.settings())
    page = enter_domains(wizard, "acme-prts.test\nwiz.test")
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    qtbot.waitUntil(lambda: len(page.scan_texts()) == 2, timeout=CHECK_TIMEOUT_MS)
    assert page.scan_texts()["acme-prts.test"][0] == "no such domain: check the spelling"
    assert page.missing.isVisible() and "acme-prts.test: no such domain" in page.missing.text()
    assert not next_button.isEnabled()
    # The admin removes the typo: Next comes back at once, without waiting for another scan.
    page.edit.setFocus()
    page.edit.selectAll()
    qtbot.keyClicks(page.edit, "wiz.test")
    assert next_button.isEnabled() and not page.missing.isVisible()


def test_scan_button_says_again_only_after_a_scan(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    wizard = make_wizard(dns_lab.settings())
    wizard.show()
    wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, DomainsPage)
    assert page.scan_button.text() == "&Scan DNS"
    qtbot.keyClicks(page.edit, "wiz.test")
    qtbot.waitUntil(lambda: len(page.scan_texts()) == 1, timeout=CHECK_TIMEOUT_MS)
    assert page.scan_button.text() == "&Scan DNS again"


def test_a_from_line_with_a_display_name_is_accepted(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    wizard = make_wizard()
    page = enter_domains(wizard, "")
    qtbot.keyClicks(page.edit, "Acme Orders <orders@acme-parts.test>")
    page.runner.cancel()
    assert not page.errors.isVisible()
    assert page.domains() == ["acme-parts.test"]
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == Pages.SPF
    assert [d.domain for d in wizard.session.progress.domains] == ["acme-parts.test"]


def wheel(widget: QWidget, steps: int = -1) -> None:
    """Turn the mouse wheel over the middle of `widget` (negative: towards the admin, i.e. scroll down)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_a_combo_box_scrolls_the_page_and_changes_nothing(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    wizard = make_wizard()
    enter_domains(wizard, "example.com").runner.cancel()
    wizard.next()
    spf = wizard.currentPage()
    combo = spf.all_box
    assert combo.currentData() == "~all"
    record = spf.card.value_field.text()
    wizard.button(QWizard.WizardButton.NextButton).setFocus()
    bar = spf.scroll_area.verticalScrollBar()
    wizard.resize(wizard.width(), wizard.minimumHeight())  # a small window, so the page has to scroll
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    wheel(combo)
    assert combo.currentData() == "~all" and spf.card.value_field.text() == record
    assert bar.value() > 0  # the page scrolled instead
    # Once the admin has clicked into it (it has the focus), the wheel is theirs to use on it.
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel(combo)
    assert combo.currentData() == "-all"


def open_dkim(make_wizard: MakeWizard, domains: str, settings: LookupSettings | None = None) -> DkimPage:
    """Type the domains (no scan wanted) and go on to the DKIM page (offline unless lab settings are given)."""
    wizard = make_wizard(settings)
    enter_domains(wizard, domains).runner.cancel()
    wizard.next()
    wizard.next()
    dkim = wizard.currentPage()
    assert isinstance(dkim, DkimPage)
    return dkim


def test_no_dkim_values_yet_the_dkim_page_writes_the_provisioning_request(
    qtbot: QtBot, make_wizard: MakeWizard
) -> None:
    dkim = open_dkim(make_wizard, "shop.example\nAcme Orders <orders@acme-parts.test>")
    assert dkim.request_box.isVisible()
    assert dkim.panel.badge.text_label.text().startswith("Waiting for CIMcloud")  # the status line, not "problem"
    request = dkim.request.toPlainText()
    assert "provision DKIM for our website" in request
    assert "- shop.example\n- acme-parts.test" in request
    qtbot.mouseClick(dkim.request_copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == request
    assert dkim.request_copy.text() == "Copied"
    # The text box is as tall as the request, not a scrolling slit or half a screen.
    assert dkim.request.verticalScrollBar().maximum() == 0
    assert dkim.request.height() < 20 * dkim.request.fontMetrics().lineSpacing()
    # The placeholder reads as an instruction, not as a value already filled in.
    assert dkim.name_edit.text() == "" and dkim.name_edit.placeholderText().startswith("paste the record name")
    # Once CIMcloud's values are in, this domain no longer needs the request; the other still does.
    qtbot.keyClicks(dkim.name_edit, "cimcloud-abc._domainkey")
    qtbot.keyClicks(dkim.content_edit, "v=DKIM1; p=MIIB")
    assert not dkim.request_box.isVisible()
    dkim.domain_box.setCurrentIndex(1)
    assert dkim.request_box.isVisible() and "- shop.example" not in dkim.request.toPlainText()


def test_summary_shows_dkim_waiting_for_cimcloud_and_asks_for_each_domains_next_step(
    qtbot: QtBot, make_wizard: MakeWizard, store: Store
) -> None:
    progress = Progress(page=Pages.SUMMARY)
    progress.domain("new.example")  # CIMcloud has not sent anything yet
    done = progress.domain("done.example")
    done.dkim_name, done.dkim_content = "cimcloud-abc._domainkey", "v=DKIM1; p=MIIB"
    done.results = {"dkim": CheckRecord(CheckState.VERIFIED, "Verified.")}
    store.save(progress)
    wizard = make_wizard()
    wizard.show()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentId() == Pages.SUMMARY)
    summary = wizard.currentPage()
    assert isinstance(summary, SummaryPage)
    assert summary.cell_texts() == [
        ["new.example", "not checked", "waiting for CIMcloud", "not checked"],
        ["done.example", "not checked", "verified", "not checked"],
    ]
    text = summary.message.toPlainText()
    provision = text.index("Please provision DKIM")
    activate = text.index("Please activate DKIM signing")
    assert text.index("- new.example", provision) < activate
    assert "- done.example: cimcloud-abc._domainkey.done.example" in text[activate:]
    # Sized to its content: no half-empty screen under the message, and nothing hidden in it either.
    assert summary.message.verticalScrollBar().maximum() == 0
    assert summary.message.height() < summary.height() // 2


def paste_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Paste `text` with Ctrl+V, as an admin copies from an email."""
    QGuiApplication.clipboard().setText(text)
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def test_each_clean_up_is_listed_once(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    dkim = open_dkim(make_wizard, "shop.example")
    paste_into(qtbot, dkim.name_edit, "“cimcloud-abc._domainkey”")
    paste_into(qtbot, dkim.content_edit, "“v=DKIM1; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA”")
    assert dkim.name_edit.text() == "“cimcloud-abc._domainkey”"
    lines = dkim.feedback.text().splitlines()
    quotes = [line for line in lines if "typographic quotes" in line]
    assert len(quotes) == 1, lines


def test_spf_starts_from_the_published_record_and_says_replace_it(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    spf = open_spf(qtbot, dns_lab, make_wizard, "wiz-mail.test")
    google = spf.service_boxes["google-workspace"]
    assert google.isChecked()  # today's record includes _spf.google.com
    assert spf.card.title() == "Replace your existing SPF record with this one"
    assert "make sure your domain has only one SPF record" in spf.card.note.text()
    assert "do not add a second one" in spf.card.note.text()
    assert spf.card.value_field.text() == "v=spf1 include:_spf.google.com include:_spf.mycimcloud.com ~all"
    # Unticking a sender the record had takes it out, and says so.
    qtbot.mouseClick(google, Qt.MouseButton.LeftButton)
    assert spf.card.value_field.text() == "v=spf1 include:_spf.mycimcloud.com ~all"
    assert "Removed include:_spf.google.com" in spf.changes.text()


def test_spf_without_a_record_says_add_and_still_warns_of_a_second(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    spf = open_spf(qtbot, dns_lab, make_wizard, "wiz.test")
    assert not spf.service_boxes["google-workspace"].isChecked()
    assert spf.card.title() == "Record to add at your DNS provider"
    assert "only one SPF record" in spf.card.note.text()
    # Once the admin has published it, the card no longer asks to replace the record with itself.
    dns_lab.update("wiz.test", add=[("@", 1, "TXT", spf.card.value_field.text())])
    qtbot.wait(1100)  # the lab resolver's one-second cache of the earlier answer runs out
    assert check_now(qtbot, spf) is CheckState.VERIFIED
    qtbot.waitUntil(lambda: "nothing to change" in spf.card.title(), timeout=CHECK_TIMEOUT_MS)


def test_waiting_on_dns_gives_the_guides_48_hours_and_the_real_figure(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    spf = open_spf(qtbot, dns_lab, make_wizard, "wiz.test")
    dns_lab.update("wiz.test", add=[("@", 1, "TXT", spf.card.value_field.text())], servers=(0,))
    assert check_now(qtbot, spf) is CheckState.WAITING  # one of the two name servers has it so far
    note = spf.panel.cache_label
    assert note.isVisible() and "up to 48 hours" in note.text()
    assert note.text().endswith("cached old answers expire in about a minute.")  # the zone's TTL of 1 s
    # The status line is in larger type than the page, above the scrolling part.
    assert spf.panel.badge.font().pointSizeF() > spf.font().pointSizeF()
    assert not spf.scroll_area.widget().isAncestorOf(spf.panel.badge)


def test_the_verification_result_is_in_view_at_the_default_size_on_every_record_page(
    qtbot: QtBot, make_wizard: MakeWizard
) -> None:
    wizard = make_wizard()
    enter_domains(wizard, "example.com").runner.cancel()
    wizard.session.progress.mta_sts = True
    assert (wizard.width(), wizard.height()) == (860, 680)  # the default size (nothing saved yet)
    for page_id in (Pages.SPF, Pages.DKIM, Pages.DMARC, Pages.MTA_STS):
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
        assert wizard.currentId() == page_id
        page = wizard.currentPage()
        assert isinstance(page, DomainPage)
        qtbot.waitUntil(page.panel.badge.isVisible)
        badge = page.panel.badge
        top_left = badge.mapTo(page, QPoint(0, 0))
        assert page.rect().contains(QRect(top_left, badge.size())), page_id  # the status line, never scrolled
        viewport = page.scroll_area.viewport()
        button = page.panel.check_button
        assert page.scroll_area.verticalScrollBar().value() == 0
        corner = button.mapTo(viewport, QPoint(0, 0))
        assert viewport.rect().contains(QRect(corner, button.size())), page_id  # "Check DNS now" in view
        assert not page.details_box.isChecked()  # details come last, folded
        assert not page.panel.table.isVisibleTo(page)


def open_dmarc_for(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, domain: str) -> DmarcPage:
    wizard = make_wizard(dns_lab.settings())
    enter_domains(wizard, domain)
    for _ in range(3):
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    page = wizard.currentPage()
    assert isinstance(page, DmarcPage)
    qtbot.waitUntil(lambda: page.discovery is not None, timeout=CHECK_TIMEOUT_MS)
    return page


def test_dmarc_starts_from_the_published_record(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    page = open_dmarc_for(qtbot, dns_lab, make_wizard, "wiz-mail.test")
    published = "v=DMARC1; p=none; rua=mailto:dmarc@wiz-mail.test"
    assert page.rua.text() == "dmarc@wiz-mail.test"  # the report address is kept, not dropped
    assert page.card.value_field.text() == published
    assert page.changes.text() == "This is the record published today: nothing to change."
    assert page.card.title() == "DMARC record, as published today: nothing to change"
    assert "No address for daily DMARC reports yet" not in page.rollout.text()
    assert check_now(qtbot, page) is CheckState.VERIFIED  # the correct published record is not "different"
    assert page.session.progress.domains[0].dmarc_rua == "dmarc@wiz-mail.test"


def test_dmarc_says_what_is_at_dmarc_when_it_is_not_a_dmarc_record(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    dns_lab.update("wiz.test", add=[("_dmarc", 1, "TXT", "v=spf1 include:_spf.mycimcloud.com ~all")])
    page = open_dmarc_for(qtbot, dns_lab, make_wizard, "wiz.test")
    text = page.today.text()
    assert '_dmarc.wiz.test has a TXT record, but it is not a DMARC record: "v=spf1' in text
    assert "starts with v=DMARC1" in text
    # The status line says it too, not only "not found": the details with today's record are folded.
    assert check_now(qtbot, page) is CheckState.MISSING
    qtbot.waitUntil(lambda: "has a TXT record, but it is not a DMARC record" in page.panel.badge.text_label.text())


def open_dmarc_offline(make_wizard: MakeWizard) -> DmarcPage:
    wizard = make_wizard()
    enter_domains(wizard, "example.com").runner.cancel()
    for _ in range(3):
        wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, DmarcPage)
    return page


def test_dmarc_subdomain_enforcement_is_held_back_like_the_policy(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    page = open_dmarc_offline(make_wizard)
    advanced = page.sp.parentWidget().parentWidget()
    assert isinstance(advanced, QGroupBox)
    advanced.setChecked(True)  # open "Advanced options"
    page.sp.setFocus()
    for _ in range(4):
        qtbot.keyClick(page.sp, Qt.Key.Key_Down)  # the keyboard skips choices that are not allowed
    assert page.sp.currentData() in ("", "none")
    assert "sp=" not in page.card.value_field.text() or "sp=none" in page.card.value_field.text()
    model = page.sp.model()
    enforcing = [page.sp.findData(v) for v in ("quarantine", "reject")]
    assert all(not model.flags(model.index(i, 0)) & Qt.ItemFlag.ItemIsEnabled for i in enforcing)
    assert not page.policy_buttons[Policy.REJECT].isEnabled()


def click_radio(qtbot: QtBot, button: QWidget) -> None:
    """Click a radio button on its circle (its label does not fill the whole row)."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))


def test_dmarc_warns_on_a_jump_from_none_to_reject_once_dkim_is_verified(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    wizard = make_wizard()
    enter_domains(wizard, "example.com").runner.cancel()
    wizard.next()
    entry = wizard.session.progress.domains[0]
    entry.results["dkim"] = CheckRecord(CheckState.VERIFIED, "Verified.")
    # Enforcement opens on proof that CIMcloud signs (issue 11), here a checked message.
    entry.add_proof(ActivationProof(ProofKind.MESSAGE, "example.com", ProofVerdict.PROVEN, 1.0, "a message"))
    wizard.next()
    wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, DmarcPage)
    assert page.sp.model().flags(page.sp.model().index(page.sp.findData("reject"), 0)) & Qt.ItemFlag.ItemIsEnabled
    assert not page.jump.isVisible()
    click_radio(qtbot, page.policy_buttons[Policy.QUARANTINE])
    assert not page.jump.isVisible()  # one stage at a time: no warning
    click_radio(qtbot, page.policy_buttons[Policy.NONE])
    click_radio(qtbot, page.policy_buttons[Policy.REJECT])
    assert page.chosen_policy() is Policy.REJECT, page.card.value_field.text()
    assert page.jump.isVisible() and "skips a stage" in page.jump.text() and "p=quarantine first" in page.jump.text()


def test_an_invalid_report_address_is_an_error_next_to_the_field(qtbot: QtBot, make_wizard: MakeWizard) -> None:
    page = open_dmarc_offline(make_wizard)
    wizard = page.wizard()
    page.rua.setFocus()
    qtbot.keyClicks(page.rua, "reports at example")
    error = page.rua_error
    assert error.isVisible() and error.isEnabled() and "cannot be used" in error.text()
    assert ERROR_COLOURS[0] in error.styleSheet() or ERROR_COLOURS[1] in error.styleSheet()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    for _ in range(len("reports at example")):
        qtbot.keyClick(page.rua, Qt.Key.Key_Backspace)
    qtbot.keyClicks(page.rua, "reports@example.com")
    assert not error.isVisible() and wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_the_step_list_shows_where_the_admin_is_and_each_steps_state_for_the_domain(
    qtbot: QtBot, make_wizard: MakeWizard
) -> None:
    wizard = make_wizard()
    enter_domains(wizard, "shop.example\nmail.example").runner.cancel()
    steps = wizard.step_list
    assert steps.isVisible() and steps.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert "Domains (you are here)" in steps.texts()
    assert "MTA-STS" not in " ".join(steps.texts())  # not chosen: not a step this time
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    wizard.session.progress.domain("mail.example").results["spf"] = CheckRecord(CheckState.VERIFIED, "Verified.")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    dkim = wizard.currentPage()
    assert isinstance(dkim, DkimPage)
    assert steps.texts()[2:4] == ["SPF: not checked", "DKIM (you are here): waiting for CIMcloud"]
    dkim.domain_box.setFocus()
    qtbot.keyClick(dkim.domain_box, Qt.Key.Key_Down)  # the other domain
    assert dkim.domain is not None and dkim.domain.domain == "mail.example"
    assert steps.texts()[2] == "SPF: verified"


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the offscreen platform, showing the tooltip
def test_a_refusing_resolver_is_said_in_plain_words_and_tooltips_wrap(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    # An authoritative lab server used as the resolver refuses questions about names it does not serve.
    auth = dns_lab.auth[0]
    wizard = make_wizard(dns_lab.settings(nameservers=((auth.address, auth.port),)))
    page = enter_domains(wizard, "elsewhere.example")
    qtbot.waitUntil(lambda: len(page.scan_texts()) == 1, timeout=CHECK_TIMEOUT_MS)
    spf = page.scan_texts()["elsewhere.example"][0]
    assert spf == "could not check: your DNS resolver refused the question"
    item = page.table.topLevelItem(0)
    assert item is not None and "Do53" not in item.toolTip(1) and "@" not in item.toolTip(1)
    # A long tooltip wraps at a readable width instead of running across the screen on one line.
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    spf_page = wizard.currentPage()
    assert isinstance(spf_page, SpfPage)
    combo = spf_page.all_box
    QApplication.sendEvent(combo, QHelpEvent(QEvent.Type.ToolTip, QPoint(5, 5), combo.mapToGlobal(QPoint(5, 5))))
    qtbot.waitUntil(QToolTip.isVisible)
    assert "Why ~all?" in QToolTip.text()
    tips = [w for w in QApplication.topLevelWidgets() if w.inherits("QLabel") and w.isVisible()]
    assert tips and all(t.width() <= 70 * t.fontMetrics().averageCharWidth() for t in tips)  # not screen-wide
    QToolTip.hideText()


def test_spf_says_what_is_published_when_it_is_not_an_spf_record(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    dns_lab.update("wiz.test", add=[("@", 1, "TXT", "v=spf 1 include:_spf.google.com ~all")])  # a space too many
    spf = open_spf(qtbot, dns_lab, make_wizard, "wiz.test")
    spf.details_box.setChecked(True)
    text = spf.today.text()
    assert 'wiz.test has a TXT record, but it is not an SPF record: "v=spf 1 include:_spf.google.com ~all"' in text
    assert "starts with v=spf1, so receivers ignore it" in text
    assert spf.today.isVisible()
    assert check_now(qtbot, spf) is CheckState.MISSING
    status = spf.panel.badge.text_label.text()
    assert status.startswith("Not found yet. wiz.test has a TXT record, but it is not an SPF record"), status


def status_after_check(qtbot: QtBot, dkim: DkimPage, name: str) -> str:
    """Type the record name CIMcloud sent, click "Check DNS now" and read the status line."""
    dkim.name_edit.setFocus()
    dkim.name_edit.selectAll()
    qtbot.keyClicks(dkim.name_edit, name)
    check_now(qtbot, dkim)
    return dkim.panel.badge.text_label.text()


def test_dkim_says_what_is_at_the_selector_name_when_it_is_not_a_key(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    dns_lab.update(
        "wiz.test",
        add=[
            ("sel1._domainkey", 1, "TXT", '"v=spf1 include:_spf.mycimcloud.com ~all"'),  # SPF at the selector
            ("sel2._domainkey", 1, "CNAME", "verify.wiz.test."),  # an alias of another host's TXT
            ("verify", 1, "TXT", '"google-site-verification=abc123"'),
        ],
    )
    dkim = open_dkim(make_wizard, "wiz.test", dns_lab.settings())
    paste_into(qtbot, dkim.content_edit, dkim_content(2048))
    text = status_after_check(qtbot, dkim, "sel1._domainkey")
    assert text.startswith(
        'Not found yet. sel1._domainkey.wiz.test has a TXT record, but it is not a DKIM key record: "v=spf1 '
        'include:_spf.mycimcloud.com ~all". A DKIM key record starts with v=DKIM1, so receivers ignore it.'
    )
    assert not dkim.diagnosis.isVisible()  # nothing else to add: the check's own sentence is not repeated below
    text = status_after_check(qtbot, dkim, "sel2._domainkey")
    assert (
        "sel2._domainkey.wiz.test is an alias (CNAME) of verify.wiz.test, which has a TXT record, but it is not a "
        'DKIM key record: "google-site-verification=abc123"'
    ) in text
    assert "Replace the alias at sel2._domainkey.wiz.test with the TXT record below." in text


def test_summary_asks_to_publish_and_verify_pasted_dkim_before_activation(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    dkim = open_dkim(make_wizard, "wiz.test", dns_lab.settings())
    wizard = dkim.wizard()
    paste_into(qtbot, dkim.content_edit, dkim_content(2048))
    paste_into(qtbot, dkim.name_edit, "sel1._domainkey")  # CIMcloud's values are in; nothing published yet
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    while wizard.currentId() != Pages.SUMMARY:
        qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    summary = wizard.currentPage()
    assert isinstance(summary, SummaryPage)
    assert summary.cell_texts()[0][2] == "not checked"  # not "waiting for CIMcloud": the admin's turn now
    text = summary.message.toPlainText()
    assert "are publishing them now. We will ask you to activate DKIM signing once each is verified" in text
    assert "- wiz.test" in text and "Please activate" not in text and "Please provision" not in text
    steps = summary.next_steps
    assert steps.isVisible() and "wiz.test: publish the DKIM record CIMcloud sent" in steps.text()
    assert "Once it is verified, this message asks CIMcloud to activate signing" in steps.text()
    # The admin does it: back to DKIM, publish, check; the Summary then asks CIMcloud for activation.
    back = wizard.button(QWizard.WizardButton.BackButton)
    while wizard.currentId() != Pages.DKIM:
        qtbot.mouseClick(back, Qt.MouseButton.LeftButton)
    publish_card(dns_lab, "wiz.test", dkim)
    qtbot.wait(1100)
    assert check_now(qtbot, dkim) is CheckState.VERIFIED
    while wizard.currentId() != Pages.SUMMARY:
        qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    text = summary.message.toPlainText()
    assert "Please activate DKIM signing for:\n- wiz.test: sel1._domainkey.wiz.test" in text
    assert "publishing them now" not in text and not steps.isVisible()


def signing_shown(wizard: EmailAuthWizard, domain: str) -> None:
    """DKIM verified and CIMcloud's signing shown by a checked message (issue 11): enforcement opens."""
    entry = wizard.session.progress.domain(domain)
    entry.results["dkim"] = CheckRecord(CheckState.VERIFIED, "Verified.")
    entry.add_proof(ActivationProof(ProofKind.MESSAGE, domain, ProofVerdict.PROVEN, 1.0, "a message"))


def test_dmarc_offers_the_staged_path_with_its_pct_ramp_and_warns_on_a_jump(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, store: Store
) -> None:
    dns_lab.update("wiz.test", add=[("_dmarc", 1, "TXT", "v=DMARC1; p=none; rua=mailto:dmarc@wiz.test")])
    wizard = make_wizard(dns_lab.settings())
    enter_domains(wizard, "wiz.test")
    signing_shown(wizard, "wiz.test")
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    while wizard.currentId() != Pages.DMARC:
        qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    page = wizard.currentPage()
    assert isinstance(page, DmarcPage)
    qtbot.waitUntil(lambda: page.discovery is not None, timeout=CHECK_TIMEOUT_MS)
    step = page.next_step.text()
    assert step.startswith(
        "Today's record has p=none. Next step on the staged path: p=quarantine with pct=25 (25% of the mail that "
        "fails DMARC goes to spam, the rest is delivered as today)"
    )
    assert "After it: p=quarantine, then p=reject." in step
    assert page.take_step.isVisible() and not page.pct.isEnabled()  # pct= means nothing while monitoring
    qtbot.mouseClick(page.take_step, Qt.MouseButton.LeftButton)
    assert page.chosen_policy() is Policy.QUARANTINE and page.pct.value() == 25
    record = "v=DMARC1; p=quarantine; pct=25; rua=mailto:dmarc@wiz.test"
    assert page.card.value_field.text() == record
    assert page.card.title() == "Change your DMARC record to this one"  # not a second one beside it
    assert not page.jump.isVisible() and not page.take_step.isVisible()
    # Published as shown, it verifies; the next step is then all of the failing mail.
    dns_lab.update("wiz.test", replace=[("_dmarc", 1, "TXT", record)])
    qtbot.wait(1100)
    assert check_now(qtbot, page) is CheckState.VERIFIED
    qtbot.waitUntil(lambda: "Today's record has p=quarantine with pct=25" in page.next_step.text(), timeout=5000)
    assert (
        "Next step on the staged path: p=quarantine (all mail that fails DMARC goes to spam)" in page.next_step.text()
    )
    # Straight to reject from a quarter: warned, with the step it skips.
    click_radio(qtbot, page.policy_buttons[Policy.REJECT])
    assert page.pct.value() == 100 and "p=reject;" in page.card.value_field.text()
    warning = page.jump.text()
    assert page.jump.isVisible()
    assert warning.startswith("p=reject straight after p=quarantine with pct=25 skips a stage")
    assert "The safer path: p=quarantine first" in warning
    # The share is kept with the domain's progress: closed and reopened, the page has it again.
    click_radio(qtbot, page.policy_buttons[Policy.QUARANTINE])
    assert page.pct.value() == 25 and not page.jump.isVisible()  # today's share for today's policy
    page.pct.setFocus()
    qtbot.keyClick(page.pct, Qt.Key.Key_Up)
    assert page.card.value_field.text() == record.replace("pct=25", "pct=26")
    wizard.close()
    again = make_wizard(dns_lab.settings())
    resume(qtbot, again, Pages.DMARC)
    reopened = again.currentPage()
    assert isinstance(reopened, DmarcPage)
    assert reopened.chosen_policy() is Policy.QUARANTINE and reopened.pct.value() == 26


PUBLISHED_POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: *.wiz.test\r\nmax_age: 604800\r\n"


def test_mta_sts_starts_from_the_published_policy_and_says_what_changes(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, trusted: trustme.CA
) -> None:
    dns_lab.update(
        "wiz.test",
        add=[
            ("_mta-sts", 1, "TXT", "v=STSv1; id=20240101T000000"),
            ("mta-sts", 1, "A", "127.0.0.1"),
            ("_smtp._tls", 1, "TXT", "v=TLSRPTv1; rua=mailto:tls@wiz.test"),
        ],
    )
    with serving_in_thread(PUBLISHED_POLICY, server_context(trusted, "mta-sts.wiz.test")) as port:
        # The process's first policy fetch loads the HTTPS stack and reads the trust store: on a loaded machine
        # the lab's 1.5 s per stage can run out, and the page then rightly starts from a policy it could not read.
        dmarc = open_dmarc(qtbot, dns_lab, make_wizard, https_port=port, timeout=10.0)
        wizard = dmarc.wizard()
        qtbot.mouseClick(dmarc.mta_sts, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
        page = wizard.currentPage()
        assert isinstance(page, MtaStsPage)
        qtbot.waitUntil(lambda: page.published is not None, timeout=CHECK_TIMEOUT_MS)
        # Today's policy, not a fresh testing one over the MX host: mode, patterns, max_age and reports kept.
        assert page.mode.currentData() == "enforce" and page.mx.text() == "*.wiz.test"
        assert page.rua.text() == "tls@wiz.test"
        assert page.policy_text.toPlainText() == PUBLISHED_POLICY.decode().replace("\r\n", "\n")
        assert page.card.value_field.text() == "v=STSv1; id=20240101T000000"  # today's id for today's policy
        assert page.card.title() == "MTA-STS record, as published today: nothing to change"
        assert page.tls_card.title() == "TLS-RPT record, as published today: nothing to change"
        assert "the policy file is the one published today" in page.changes.text()
        assert check_now(qtbot, page) is CheckState.VERIFIED
        # The admin steps back to testing: the page says what changes, and the record gets a new id.
        page.mode.setFocus()
        qtbot.keyClick(page.mode, Qt.Key.Key_Up)
        assert page.mode.currentData() == "testing"
        changes = page.changes.text()
        assert "MTA-STS policy changes: mode enforce → testing; max_age 604800 → 86400." in changes
        assert "change the id in the _mta-sts record to" in changes
        value = page.card.value_field.text()
        assert value.startswith("v=STSv1; id=") and value != "v=STSv1; id=20240101T000000"
        assert value.removeprefix("v=STSv1; id=") in changes
        assert page.card.title() == "Change your MTA-STS record to this one"
        qtbot.mouseClick(page.rua, Qt.MouseButton.LeftButton)
        qtbot.keyClick(page.rua, Qt.Key.Key_End)
        qtbot.keyClicks(page.rua, ", tls2@wiz.test")
        assert "TLS-RPT: replace today's record (v=TLSRPTv1; rua=mailto:tls@wiz.test)" in page.changes.text()
        wizard.stop_live_work()  # before the policy server stops: no fetch is left half-way
