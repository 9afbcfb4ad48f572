"""Fixtures for the wizard's tests: a qasync loop on pytest-qt's QApplication, wizards with a store in tmp_path,
links captured instead of opening a browser, and a check that no task or thread is left running."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import qasync
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from tests.lab.plugin import copy_zones
from wizard.lookup.settings import LookupSettings
from wizard.store import Store

from wizard.ui.app import create_wizard
from wizard.ui.wizard import EmailAuthWizard

UI_ZONES = Path(__file__).resolve().parent / "zones"
# The vendors' SPF stand-ins (tests/zones), so a composed record's includes resolve as on the internet: the
# spf check judges the whole tree, and an include that does not exist is a problem, never "verified".
VENDOR_ZONES = ("mycimcloud.com", "google.com", "outlook.com", "sendgrid.net", "amazonses.com")
# Settings for tests without the lab: every query goes to a closed local port, never to the internet.
OFFLINE = LookupSettings(nameservers=(("127.0.0.1", 9),), dns_port=9, public_resolvers=False, timeout=1.0, retries=0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The offscreen platform warns whenever a top-level window's size limits change (real platforms do not)."""
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"))


@pytest.fixture(scope="session")
def lab_zone_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wizard's tests serve their own small set of zones (tests/ui/zones) and the vendors' stand-ins."""
    folder = tmp_path_factory.mktemp("ui-zones")
    copy_zones(folder, (zone.stem for zone in UI_ZONES.glob("*.zone")), UI_ZONES)
    copy_zones(folder, VENDOR_ZONES)
    return folder


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """asyncio running on Qt's event loop, as in the program; pending tasks are an error at the end."""
    threads_before = set(threading.enumerate())
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        # Tasks cancelled when the windows closed finish on the next turns of the loop; give them a moment.
        deadline = loop.time() + 2
        while any(not t.done() for t in asyncio.all_tasks(loop)) and loop.time() < deadline:
            qapp.processEvents()
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        deadline = loop.time() + 2
        while any(not t.done() for t in pending) and loop.time() < deadline:
            qapp.processEvents()
        qapp.aboutToQuit.disconnect(loop._after_run_forever)
        # loop.stop() would call QApplication.exit(), which makes every later local event loop (qtbot.wait...)
        # return at once; the loop never ran exec() here, so only its running flag is cleared.
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        loop.close()
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
        leftover = [t for t in set(threading.enumerate()) - threads_before if t.is_alive()]
        for thread in leftover:  # a pool's worker already told to stop (anyio's, after a TLS wrap) ends on its own
            thread.join(timeout=2)
        leftover = [t for t in leftover if t.is_alive()]
        assert not pending, f"tasks still running when the test ended: {pending}"
        assert not leftover, f"threads left running: {leftover}"


class LinkCatcher(QObject):
    """Receives the URLs the wizard asks the desktop to open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def links() -> Iterator[LinkCatcher]:
    catcher = LinkCatcher()
    for scheme in ("http", "https", "mailto"):
        QDesktopServices.setUrlHandler(scheme, catcher, "open")
    yield catcher
    for scheme in ("http", "https", "mailto"):
        QDesktopServices.unsetUrlHandler(scheme)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "data" / "progress.json")


@pytest.fixture
def make_wizard(
    qtbot: object, qloop: asyncio.AbstractEventLoop, store: Store, links: LinkCatcher
) -> Iterator[Callable[..., EmailAuthWizard]]:
    """Build a wizard (closed and its tasks finished at the end of the test)."""
    made: list[EmailAuthWizard] = []

    def make(settings: LookupSettings | None = None, *, use_store: Store | None = None) -> EmailAuthWizard:
        wizard = create_wizard(settings or OFFLINE, use_store or store)
        qtbot.addWidget(wizard)  # type: ignore[attr-defined]
        made.append(wizard)
        return wizard

    yield make
    for wizard in made:
        wizard.stop_live_work()
        wizard.close()
