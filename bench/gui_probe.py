"""For `python -m bench` (scenario C): cold start of the wizard to its first painted page, in a fresh process.

Prints one JSON line: first_paint_s, the seconds from this process's start (before any import of the
program) to the first paint event of the wizard window's current page.
"""

from __future__ import annotations

import importlib
import json
import time

STARTED = time.perf_counter()


def main() -> None:
    importlib.import_module("wizard.cli")  # the path `email-auth-wizard` takes before it opens the window
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from wizard.lookup.settings import LookupSettings

    from wizard.ui.app import create_wizard

    app = QApplication([])
    window = create_wizard(LookupSettings(public_resolvers=False), None)  # no store: nothing read or kept
    painted: dict[str, float] = {}

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and "first_paint_s" not in painted:
                painted["first_paint_s"] = time.perf_counter() - STARTED
                QTimer.singleShot(0, app.quit)
            return False

    probe = FirstPaint()
    page = window.currentPage() or window
    page.installEventFilter(probe)
    window.show()
    QTimer.singleShot(30_000, app.quit)
    app.exec()
    print(json.dumps(painted))


if __name__ == "__main__":
    main()
