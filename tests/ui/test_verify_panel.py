"""The live verification panel against the BIND lab: missing, a stale server (waiting), a silent server (timeout)
while the window keeps responding, cancel, and the automatic re-check countdown."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from PySide6.QtCore import QTimer

from tests.lab.lab import Lab
from wizard.checks.verify import Target
from wizard.core.records import CheckState, Kind
from wizard.lookup.settings import LookupSettings

from wizard.ui.session import Session
from wizard.ui.verify import VerifyPanel
from wizard.ui.widgets import tree_rows

SPF = "v=spf1 include:_spf.mycimcloud.com ~all"


@pytest.fixture
def panel_for(qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> Iterator[object]:
    made: list[VerifyPanel] = []

    def make(settings: LookupSettings) -> VerifyPanel:
        panel = VerifyPanel(Session(settings, None))
        qtbot.addWidget(panel)
        panel.set_target(Target("wiz.test", "wiz.test", Kind.SPF, SPF))
        panel.show()
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.deactivate()


def test_missing_then_stale_secondary_shows_waiting(qtbot: QtBot, dns_lab: Lab, panel_for: object) -> None:
    panel = panel_for(dns_lab.settings())  # type: ignore[operator]
    panel.check_now()
    qtbot.waitUntil(lambda: panel.verdict is not None, timeout=10000)
    assert panel.verdict.state is CheckState.MISSING
    assert "Not found" in panel.badge.text_label.text()
    assert set(panel.row_states().values()) == {"missing"}

    dns_lab.update("wiz.test", add=[("@", 1, "TXT", SPF)], servers=(0,))
    qtbot.wait(1100)  # the resolver's one-second negative cache runs out
    with qtbot.waitSignal(panel.verdict_ready, timeout=10000):
        panel.check_button.click()
    assert panel.verdict.state is CheckState.WAITING
    rows = tree_rows(panel.table)
    assert sorted(r[2] for r in rows if r[1] == "authoritative") == ["found", "missing"]
    assert "1 of 2" in panel.badge.text_label.text()


def test_verified_once_both_servers_have_it(qtbot: QtBot, dns_lab: Lab, panel_for: object) -> None:
    dns_lab.update("wiz.test", add=[("@", 1, "TXT", SPF)])
    panel = panel_for(dns_lab.settings())  # type: ignore[operator]
    with qtbot.waitSignal(panel.verdict_ready, timeout=10000):
        panel.check_button.click()
    assert panel.verdict.state is CheckState.VERIFIED
    assert set(panel.row_states().values()) == {"found"}
    # The table is as tall as its three rows, not a large empty box; its columns explain the jargon.
    rows = 3 * panel.table.sizeHintForRow(0) + panel.table.header().height()
    assert rows <= panel.table.height() <= rows + 2 * panel.table.frameWidth() + 2
    assert "own name servers" in panel.table.headerItem().toolTip(1)
    assert "how long" in panel.table.headerItem().toolTip(3)


def test_a_silent_resolver_times_out_while_the_window_keeps_turning(
    qtbot: QtBot, dns_lab: Lab, panel_for: object
) -> None:
    panel = panel_for(dns_lab.settings(nameservers=(dns_lab.blackhole,), timeout=1.5, query_timeout=0.3))  # type: ignore[operator]
    ticks = []
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    with qtbot.waitSignal(panel.verdict_ready, timeout=10000):
        panel.check_button.click()
        qtbot.waitUntil(panel.progress.isVisible)  # slow checks show progress
    timer.stop()
    assert len(ticks) >= 10  # the event loop kept running timers during the check
    assert panel.verdict.state is CheckState.PROBLEM
    assert "timeout" in panel.row_states().values()
    assert not panel.progress.isVisible()


def test_cancel_stops_a_check_in_progress(qtbot: QtBot, dns_lab: Lab, panel_for: object) -> None:
    panel = panel_for(dns_lab.settings(nameservers=(dns_lab.blackhole,), timeout=5))  # type: ignore[operator]
    panel.check_button.click()
    assert panel.cancel_button.isEnabled()
    with qtbot.assertNotEmitted(panel.verdict_ready, wait=300):
        panel.cancel_button.click()
    assert not panel.runner.running and not panel.cancel_button.isEnabled()
    assert "cancelled" in panel.badge.text_label.text()


def test_automatic_rechecks_count_down_while_the_page_is_open(qtbot: QtBot, dns_lab: Lab, panel_for: object) -> None:
    panel = panel_for(dns_lab.settings())  # type: ignore[operator]
    with qtbot.waitSignal(panel.verdict_ready, timeout=10000):
        panel.activate()  # the page opened: the first check starts at once
    assert panel.countdown.text().startswith("Next automatic check in 0:1")
    first = panel.countdown.text()
    qtbot.waitUntil(lambda: panel.countdown.text() != first, timeout=3000)
    panel.deactivate()
    assert panel.countdown.text() == "" and not panel._tick.isActive()


def test_public_resolvers_get_their_own_rows(qtbot: QtBot, dns_lab: Lab, panel_for: object) -> None:
    dns_lab.update("wiz.test", add=[("@", 1, "TXT", SPF)])
    settings = dns_lab.settings(
        public_resolvers=True,
        public_resolver_addresses=(("Lab", "127.0.0.1", dns_lab.resolver_port), ("Hole", *dns_lab.blackhole)),
        timeout=3.0,
        query_timeout=0.3,
        public_grace=0.3,
    )
    panel = panel_for(settings)  # type: ignore[operator]
    with qtbot.waitSignal(panel.verdict_ready, timeout=10000):
        panel.check_button.click()
    public = {r[0]: r[2] for r in tree_rows(panel.table) if r[1] not in ("authoritative", "resolver")}
    host, port = dns_lab.blackhole
    assert public == {f"Lab 127.0.0.1:{dns_lab.resolver_port}": "found", f"Hole {host}:{port}": "timeout"}
    # A public resolver this network cannot reach shows as such, but does not hold back "verified".
    assert panel.verdict.state is CheckState.VERIFIED
