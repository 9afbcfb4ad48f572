"""The GUI entry point: a QApplication with a qasync event loop, so DNS checks run without blocking the window."""

from __future__ import annotations

import asyncio
import sys

import qasync
from PySide6.QtWidgets import QApplication

from wizard import APP_NAME, ORGANIZATION, __version__
from wizard.lookup.settings import LookupSettings
from wizard.store import Store

from wizard.ui.tasks import cancel_all
from wizard.ui.theme import follow_system
from wizard.ui.widgets import icon
from wizard.ui.wizard import EmailAuthWizard


def create_wizard(settings: LookupSettings, store: Store | None = None) -> EmailAuthWizard:
    """The wizard window, not yet shown (tests pass their own store; None keeps nothing on disk)."""
    return EmailAuthWizard(settings, store)


def _application(argv: list[str]) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(icon("app"))
    # The wizard decides when the program ends, so pending checks are cancelled before the loop stops.
    app.setQuitOnLastWindowClosed(False)
    return app


async def _run(wizard: EmailAuthWizard) -> int:
    finished = asyncio.Event()
    wizard.finished.connect(finished.set)
    wizard.show()
    await finished.wait()
    await cancel_all(asyncio.get_running_loop())
    return 0


def open_wizard(settings: LookupSettings, store: Store | None, argv: list[str]) -> EmailAuthWizard:
    """The application set up (name, icon, light or dark) and its wizard window, not yet shown: what runs
    before the first paint (bench/gui_probe.py measures it through this same function)."""
    app = _application(argv)
    follow_system(app)
    return create_wizard(settings, store)


def run_gui(settings: LookupSettings, argv: list[str] | None = None) -> int:
    """Open the wizard with saved progress resumed, run until it is closed, and return the exit code."""
    wizard = open_wizard(settings, Store(), list(sys.argv if argv is None else argv))
    return int(qasync.run(_run(wizard)))
