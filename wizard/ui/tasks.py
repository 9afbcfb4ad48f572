"""The one helper for background work: a coroutine run on the qasync loop, tied to a widget.

The rule: the coroutine only awaits the lookup layer and returns data; it never touches a widget.
Results come back through Qt signals, on the GUI thread. Starting again cancels the previous run;
the run is cancelled when the owner is destroyed, when its page is left, or when the window closes.

`warm_up()` is the one piece of work on a thread of its own: what the first checks would otherwise load on
the GUI thread, where each import or trust-store read freezes the window (see its docstring).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import threading
import traceback
from collections.abc import Coroutine
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from wizard.lookup.threads import pause_collection, resume_collection

# A check that takes longer than this shows a progress indicator.
BUSY_DELAY_MS = 300


class TaskRunner(QObject):
    """Runs at most one coroutine at a time for its owner and reports how it ended."""

    finished = Signal(object)  # the coroutine's result
    failed = Signal(str)  # an unexpected exception, as one line (a bug, never a DNS outcome)
    busy = Signal(bool)  # True when a run starts, False when it ends in any way
    slow = Signal()  # the run has taken longer than BUSY_DELAY_MS

    def __init__(self, owner: QObject) -> None:
        super().__init__(owner)
        self._task: asyncio.Task[Any] | None = None
        self._slow_timer = QTimer(self)
        self._slow_timer.setSingleShot(True)
        self._slow_timer.setInterval(BUSY_DELAY_MS)
        self._slow_timer.timeout.connect(self.slow)
        owner.destroyed.connect(self._owner_gone)

    @property
    def running(self) -> bool:
        """Whether a run has started and not yet reported: still True between its coroutine's end and the
        `finished` (or `failed`) it emits on the loop's next round, so a caller that waits for `not running`
        finds the result already applied."""
        return self._task is not None

    def start(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run the coroutine on the event loop, cancelling any run still in progress."""
        self.cancel()
        task = asyncio.get_running_loop().create_task(coro)
        self._task = task
        task.add_done_callback(self._done)
        self._slow_timer.start()
        self.busy.emit(True)

    def cancel(self) -> None:
        """Cancel the run in progress, if any; no result or failure is reported for it."""
        task, self._task = self._task, None
        if task is None or task.done():
            return
        task.cancel()
        if shiboken6.isValid(self):
            self._slow_timer.stop()
            self.busy.emit(False)

    def _owner_gone(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()

    def _done(self, task: asyncio.Task[Any]) -> None:
        exc = None if task.cancelled() else task.exception()  # always retrieved, so asyncio never logs it
        if task is not self._task or not shiboken6.isValid(self):
            return  # cancelled, replaced, or the owner is gone: nobody is waiting for this result
        self._task = None
        self._slow_timer.stop()
        self.busy.emit(False)
        if task.cancelled():
            return
        if exc is not None:
            self.failed.emit("".join(traceback.format_exception_only(exc)).strip())
        else:
            self.finished.emit(task.result())


async def cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel every other task on the loop and wait until each has finished (clean shutdown)."""
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks(loop) if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# Besides what the checks load when first needed (wizard.checks.prepare: the public suffix list, the policy
# fetch, cryptography), dnspython imports its asyncio backend on the first query, and the class of each record
# type on the first answer that holds one.
WARM_MODULES = (
    # dnspython's message, query and resolver modules: the lookup layer imports them where it first needs them
    # (TCP, an unusual reply, DNS over HTTPS, Windows' resolver settings)
    *(f"dns.{module}" for module in ("message", "asyncquery", "asyncresolver")),
    "dns._asyncio_backend",
    *(f"dns.rdtypes.IN.{rdtype}" for rdtype in ("A", "AAAA")),
    *(f"dns.rdtypes.ANY.{rdtype}" for rdtype in ("CNAME", "MX", "NS", "SOA", "TXT", "PTR")),
)


def warm_up() -> threading.Thread:
    """Load, on a background thread, what the first verification would otherwise load on the GUI thread:
    the checks' pieces (wizard.checks.prepare), the modules above and the trust store's TLS contexts (each a
    few to a hundred milliseconds: a frozen window). Python's imports are thread-safe; a check that needs a
    module while it loads waits for that one module. Nothing here touches a widget; a step that fails is left
    for the check that needs it to report.
    """
    pause_collection()  # off until the warm-up ends (wizard.lookup.threads)
    thread = threading.Thread(target=_without_collection, name="warm-up", daemon=True)
    thread.start()
    return thread


def _without_collection() -> None:
    """The warm-up with automatic garbage collection off, as for every worker thread (wizard.lookup.threads):
    the imports and the suffix list allocate enough to trigger a collection in this thread, which could free a
    Qt object off the GUI thread and crash the wizard."""
    try:
        _warm()
    finally:
        resume_collection()


def _warm() -> None:
    # The public suffix list first: resuming saved work builds the DMARC page, which needs it, at once. A piece
    # that fails is loaded again, and its failure reported, by the check that needs it.
    from wizard.checks import prepare

    prepare.load_here(prepare.PSL, prepare.HTTPS, prepare.KEYS)
    for name in WARM_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    with contextlib.suppress(Exception):
        _warm_trust()


def _warm_trust() -> None:
    from wizard.lookup.trust import trust_context

    trust_context(http2=False)
    trust_context(http2=True)
