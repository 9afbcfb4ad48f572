"""For `python -m bench` (scenario C), in a fresh process: the wizard's cold start to its first painted page,
then the longest GUI-thread stall while Scenario A's records are verified on the GUI's event loop.

`gui_probe.py [RESOLVER_PORT AUTH_PORT DOMAIN SELECTOR]`: prints one JSON line with first_paint_s (from this
process's start, before any import of the program, to the first paint of the wizard's page, through the same
wizard.ui.app.open_wizard that `email-auth-wizard` runs), settle_s (from there until the work the wizard does
after its first paint is done: the other pages built, the warm-up thread finished; an admin is still on the
Welcome page then) and, given the lab's ports, stall_ms: the longest gap beyond its interval between ticks of
a 10 ms QTimer while the SPF, DKIM, DMARC, MTA-STS and TLS-RPT records of DOMAIN are verified (the way the
record pages run them: on the qasync loop in the GUI thread, once the wizard has settled), and stall_cpu_ms:
how much of that gap the GUI thread spent computing (on a busy machine the rest is time it was not scheduled).
"""

from __future__ import annotations

import importlib
import json
import sys
import time

STARTED = time.perf_counter()
TICK_MS = 10


def main() -> None:
    importlib.import_module("wizard.cli")  # the path `email-auth-wizard` takes before it opens the window
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from wizard.lookup.settings import LookupSettings

    from wizard.ui.app import open_wizard
    from wizard.ui.wizard import Pages

    window = open_wizard(LookupSettings(public_resolvers=False), None, [])  # no store: nothing read or kept
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    measured: dict[str, float] = {}

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and "first_paint_s" not in measured:
                measured["first_paint_s"] = time.perf_counter() - STARTED
                QTimer.singleShot(0, shown.quit)
            return False

    probe = FirstPaint()
    page = window.currentPage() or window
    page.installEventFilter(probe)
    shown = QEventLoop()  # not app.quit(): Qt 6 closes the windows when the application quits
    window.show()
    QTimer.singleShot(30_000, shown.quit)
    shown.exec()
    while len(window.pages) < len(Pages) or window.warm_up is None or window.warm_up.is_alive():
        app.processEvents()
        time.sleep(0.005)
    measured["settle_s"] = time.perf_counter() - STARTED - measured["first_paint_s"]
    if len(sys.argv) == 5:
        stall = stall_during_verification(app, int(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:])
        measured["stall_ms"], measured["stall_cpu_ms"] = stall
    print(json.dumps(measured))


def stall_during_verification(
    app: object, resolver: int, auth_port: int, domain: str, selector: str
) -> tuple[float, float]:
    import asyncio

    import qasync
    from PySide6.QtCore import QTimer

    from wizard.checks.verify import Target, verify
    from wizard.core.records import Kind
    from wizard.lookup.lookup import Lookup
    from wizard.lookup.settings import LookupSettings

    settings = LookupSettings(
        nameservers=(("127.0.0.1", resolver),), dns_port=auth_port, public_resolvers=False, timeout=10.0
    )
    targets = [
        Target(domain, domain, Kind.SPF, ""),
        Target(domain, f"{selector}._domainkey.{domain}", Kind.DKIM, ""),
        Target(domain, f"_dmarc.{domain}", Kind.DMARC, ""),
        Target(domain, f"_mta-sts.{domain}", Kind.MTA_STS, ""),
        Target(domain, f"_smtp._tls.{domain}", Kind.TLS_RPT, ""),
    ]
    worst = worst_cpu = 0.0
    last, last_cpu = time.perf_counter(), time.thread_time()

    def tick() -> None:
        nonlocal worst, worst_cpu, last, last_cpu
        now, cpu = time.perf_counter(), time.thread_time()
        if (now - last) * 1000 - TICK_MS > worst:
            worst, worst_cpu = (now - last) * 1000 - TICK_MS, (cpu - last_cpu) * 1000
        last, last_cpu = now, cpu

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def verify_all() -> None:
        await asyncio.sleep(0.1)  # the probe runs alone first
        lookup = Lookup(settings)
        await asyncio.gather(*(verify(lookup, target) for target in targets))

    timer.start()
    with loop:
        loop.run_until_complete(verify_all())
    timer.stop()
    return worst, worst_cpu


if __name__ == "__main__":
    main()
