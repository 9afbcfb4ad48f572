"""Blocking work in a worker thread, with Python's garbage collector paused while any such thread runs.

A collection triggered in a worker thread can free a Qt object there, off the GUI thread, and crash the wizard
(PySide6 objects must die on the thread that owns them). So automatic collection is off from before a worker
starts until the last worker running has finished, and it is turned back on from the event loop's thread (the
GUI thread in the wizard). Pauses nest: two workers at once resume collection only when both have ended. No
collection is forced before a pause: a full one takes 10-15 ms, a stall of the event loop, and nothing needs it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
THREAD_END = 1.0  # seconds a cancelled worker thread is given to return once it has handed over its result


class _Pauses:
    """How many pauses are in force, and whether collection was on before the first."""

    lock = threading.Lock()
    count = 0
    was_enabled = False


def pause_collection() -> None:
    """Keep automatic collection off until the matching resume."""
    with _Pauses.lock:
        if _Pauses.count == 0:
            _Pauses.was_enabled = gc.isenabled()
            gc.disable()
        _Pauses.count += 1


def resume_collection() -> None:
    """End one pause; automatic collection is back (if it was on) once every pause has ended."""
    with _Pauses.lock:
        _Pauses.count -= 1
        if _Pauses.count == 0 and _Pauses.was_enabled:
            gc.enable()


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def start_paused(work: Callable[[], None], name: str) -> None:
    """Start `work` in a daemon thread of its own with collection paused, for a caller that does not wait for it:
    collection resumes from the running event loop's thread once the work ends (from the thread itself when
    there is no loop, or it has closed)."""
    loop = running_loop()

    def run() -> None:
        try:
            work()
        finally:
            if loop is None or not _resume_on(loop):
                resume_collection()

    pause_collection()
    try:
        threading.Thread(target=run, name=name, daemon=True).start()
    except BaseException:
        resume_collection()
        raise


def _resume_on(loop: asyncio.AbstractEventLoop) -> bool:
    """Ask `loop` to resume collection on its thread; False when it is not running (a loop that has stopped for
    good, as asyncio.run's does at its end, may close without running what was handed to it) or has closed."""
    if not loop.is_running():
        return False
    try:
        loop.call_soon_threadsafe(resume_collection)
    except RuntimeError:
        return False
    return True


async def in_thread(work: Callable[[], T], name: str, *, on_cancel: Callable[[], None] | None = None) -> T:
    """Run `work` in a daemon thread of its own and return its result (or raise what it raised).

    Cancelled, it calls `on_cancel` (which should make the work end soon, e.g. by shutting its socket) and waits
    for the thread to end, so a cancelled fetch leaves no thread behind; without `on_cancel` (work that cannot
    be cut short, such as a provider's API call) it returns at once and the thread finishes on its own.
    """
    done: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        try:
            done.set_result(work())
        except BaseException as exc:  # handed to the caller
            done.set_exception(exc)

    pause_collection()
    thread = threading.Thread(target=run, name=name, daemon=True)
    try:
        thread.start()
    except BaseException:
        resume_collection()
        raise
    waited = asyncio.wrap_future(done)  # its callbacks run on the loop's thread: collection resumes there
    resumes_later = False
    try:
        return await asyncio.shield(waited)
    except asyncio.CancelledError:
        if on_cancel is None:  # the thread runs on: collection resumes when it ends
            waited.add_done_callback(lambda _: resume_collection())
            resumes_later = True
        else:
            on_cancel()
            with contextlib.suppress(BaseException):
                await waited
            thread.join(THREAD_END)  # it has handed its result over and is returning: gone in a moment
        raise
    finally:
        if not resumes_later:
            resume_collection()
