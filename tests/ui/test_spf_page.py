"""The SPF page against the lab with the vendors' stand-in zones (CIMcloud, Google): whether CIMcloud is authorized
today, on the Domains scan and the "Today's record" tab, and a lookup tree whose nested includes stay readable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QTreeWidgetItemIterator

from tests.lab.lab import Lab
from tests.ui.screenshots import zone_folder

from wizard.ui.pages.spf import SpfPage

from .helpers import CHECK_TIMEOUT_MS, MakeWizard, enter_domains
from .test_flow_lab import open_spf

CIMCLOUD_ONLY = "v=spf1 include:_spf.mycimcloud.com ~all"


@pytest.fixture
def lab_zone_dir(tmp_path: Path) -> Path:
    """The wizard's zones plus the vendor stand-ins, so CIMcloud's and Google's includes resolve."""
    return zone_folder(tmp_path)


def test_domains_scan_ticks_spf_only_when_cimcloud_is_authorized(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    dns_lab.update("wiz.test", add=[("@", 1, "TXT", CIMCLOUD_ONLY)])
    wizard = make_wizard(dns_lab.settings())
    wizard.resize(920, 1000)
    page = enter_domains(wizard, "wiz-mail.test\nwiz.test")
    qtbot.waitUntil(lambda: len(page.scan_texts()) == 2, timeout=CHECK_TIMEOUT_MS)
    texts, icons = page.scan_texts(), page.scan_icons()
    assert texts["wiz-mail.test"][0] == "SPF exists, CIMcloud not included yet: v=spf1 include:_spf.google.com ~all"
    assert icons["wiz-mail.test"][0] == "warning"
    assert texts["wiz.test"][0] == f"CIMcloud authorized: {CIMCLOUD_ONLY}"
    assert icons["wiz.test"][0] == "verified"
    item = page.table.topLevelItem(0)
    assert item is not None and "does not list CIMcloud's servers" in item.toolTip(1)
    # Long records are elided at the end of their cell, not scrolled sideways: both rows stay in view.
    qtbot.wait(50)
    assert not page.table.horizontalScrollBar().isVisible()
    last = page.table.visualItemRect(page.table.topLevelItem(1))
    assert last.bottom() <= page.table.viewport().height()


def test_todays_record_tab_says_cimcloud_is_not_authorized_and_why(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    spf = open_spf(qtbot, dns_lab, make_wizard, "wiz-mail.test")
    assert spf.today_auth.text().startswith(
        "CIMcloud may not send as wiz-mail.test yet: its SPF record does not list CIMcloud's servers "
        "(include:_spf.mycimcloud.com)"
    )
    assert "pass-qualified" not in spf.today_auth.text()  # plain words, not the checker's
    assert "Problem: include:_spf.mycimcloud.com is not authorized" in spf.today_findings.text()


def test_todays_record_tab_says_cimcloud_is_authorized(qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard) -> None:
    dns_lab.update("wiz.test", add=[("@", 1, "TXT", CIMCLOUD_ONLY)])
    spf = open_spf(qtbot, dns_lab, make_wizard)
    assert spf.today_auth.text().startswith("CIMcloud may send as wiz.test: its SPF record lists CIMcloud's servers")
    assert "not authorized" not in spf.today_findings.text()


def every_item(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    found = []
    iterator = QTreeWidgetItemIterator(tree)
    while iterator.value():
        found.append(iterator.value())
        iterator += 1
    return found


def test_lookup_tree_shows_counts_first_and_nested_includes_whole(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    spf = open_spf(qtbot, dns_lab, make_wizard)
    spf.resize(920, 1000)
    spf.service_boxes["google-workspace"].setChecked(True)
    qtbot.waitUntil(lambda: spf.tree.topLevelItemCount() > 0 and "google" in spf.tree.topLevelItem(0).text(0))
    spf.details_box.setChecked(True)  # the details are folded at first
    tree, header = spf.tree, spf.tree.header()
    qtbot.waitUntil(tree.isVisible)
    shown = every_item(tree)
    nested = [i for i in shown if i.text(0).startswith("_netblocks3.google.com: v=spf1")]
    assert nested, [i.text(0) for i in shown]
    assert all(i.parent() is None or i.parent().isExpanded() for i in shown)
    # The counts come first, in view; the record column is as wide as its deepest text (nothing elided to '...').
    assert [header.visualIndex(c) for c in (1, 2, 0)] == [0, 1, 2]
    assert header.sectionViewportPosition(2) + header.sectionSize(2) <= tree.viewport().width()
    assert header.sectionSize(0) >= tree.sizeHintForColumn(0)
    assert tree.sizeHintForColumn(0) > tree.fontMetrics().horizontalAdvance(nested[0].text(0))


def test_closing_while_todays_record_waits_on_a_silent_server_leaves_no_task(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard, qloop: asyncio.AbstractEventLoop
) -> None:
    silent = dns_lab.settings(nameservers=(dns_lab.blackhole,), timeout=20, query_timeout=5)  # type: ignore[operator]
    wizard = make_wizard(silent)
    enter_domains(wizard, "wiz.test")
    wizard.next()
    spf = wizard.currentPage()
    assert isinstance(spf, SpfPage)
    qtbot.wait(200)  # the analysis is now waiting on the black hole, which would take the whole 20 s timeout
    task = spf.live_runner._task
    assert spf.live_runner.running and task is not None
    assert spf.today.text() == "Looking up today's record…"
    wizard.close()
    assert not spf.live_runner.running
    qtbot.waitUntil(lambda: not [t for t in asyncio.all_tasks(qloop) if not t.done()], timeout=2000)
    assert task.cancelled()
