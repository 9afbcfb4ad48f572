"""wizard.checks.prepare: what a run loads in the background never holds a check up when it fails."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

import pytest

from wizard.checks import prepare
from wizard.lookup import threads


def test_a_piece_that_fails_to_load_lets_its_check_go_on(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ImportError("no such module")

    monkeypatch.setitem(prepare._WORK, "broken-for-test", broken)
    prepare.start("broken-for-test")
    asyncio.run(asyncio.wait_for(prepare.ready("broken-for-test"), 5))  # returns: the check loads it in line


def test_a_piece_is_loaded_once_however_often_it_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[str] = []
    release = threading.Event()

    def slow() -> None:
        release.wait(5)
        loads.append(threading.current_thread().name)

    monkeypatch.setitem(prepare._WORK, "once-for-test", slow)

    async def run() -> None:
        prepare.start("once-for-test")
        prepare.start("once-for-test")
        waiting = [asyncio.ensure_future(prepare.ready("once-for-test")) for _ in range(3)]
        await asyncio.sleep(0.05)
        assert not any(task.done() for task in waiting), "ready() waits while the piece is being loaded"
        release.set()
        await asyncio.wait_for(asyncio.gather(*waiting), 5)

    asyncio.run(run())
    assert loads == ["wizard-prepare"], "one load, off the event loop's thread"


def test_nothing_started_means_ready_at_once() -> None:
    asyncio.run(asyncio.wait_for(prepare.ready("never-started-for-test"), 1))


def test_a_planned_piece_a_check_needs_is_loaded_then_in_the_background(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check whose answer came in before the plan's delay ran out gets its piece loaded off the event loop
    (that piece first), not in line on the loop; once the run ends, nothing planned is left behind."""
    loads: list[tuple[str, str]] = []
    for piece in ("first-for-test", "needed-for-test"):
        monkeypatch.setitem(
            prepare._WORK, piece, lambda piece=piece: loads.append((piece, threading.current_thread().name))
        )

    async def run() -> None:
        plan = prepare.Plan(["first-for-test", "needed-for-test"], after=30.0)
        try:
            await asyncio.wait_for(prepare.ready("needed-for-test"), 5)
            await asyncio.wait_for(prepare.ready("first-for-test"), 5)
        finally:
            plan.cancel()

    asyncio.run(run())
    assert loads == [("needed-for-test", "wizard-prepare"), ("first-for-test", "wizard-prepare")]
    assert prepare._planned["needed-for-test"] == 0


def test_collection_is_off_while_pieces_load_and_back_on_from_the_loop_once_they_are_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The wizard may check a domain before its pages (which import the check modules) are built: the modules
    then load in prepare's thread, where a collection could free a Qt object off the GUI thread."""
    release = threading.Event()
    enabled_while_loading: list[bool] = []

    def slow() -> None:
        enabled_while_loading.append(gc.isenabled())
        release.wait(5)

    monkeypatch.setitem(prepare._WORK, "collection-for-test", slow)

    async def run() -> tuple[bool, bool]:
        prepare.start("collection-for-test")
        await asyncio.sleep(0.05)
        during = gc.isenabled()
        release.set()
        await asyncio.wait_for(prepare.ready("collection-for-test"), 5)
        for _ in range(100):  # the thread asks the loop to resume collection once it has ended
            if gc.isenabled():
                break
            await asyncio.sleep(0.01)
        return during, gc.isenabled()

    _earlier_loading_ended()
    assert gc.isenabled()
    assert asyncio.run(run()) == (False, True)
    assert enabled_while_loading == [False]


def _earlier_loading_ended(timeout: float = 30.0) -> None:
    """Wait until no pause of collection is left from an earlier test: a run that ends before its pieces are loaded
    leaves the loading thread to finish on its own (a daemon), and collection resumes when it does (on a slow
    machine, after the next test has started)."""
    deadline = time.monotonic() + timeout
    while threads._Pauses.count and time.monotonic() < deadline:
        time.sleep(0.01)


def test_between_two_pieces_the_event_loop_runs_what_came_in_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop and the loading thread share one interpreter: work that reached the loop while a piece loaded
    (answers in, the next questions to send: a few rounds of the loop) runs before the next piece starts."""
    order: list[str] = []
    loop_holder: list[asyncio.AbstractEventLoop] = []

    def rounds(left: int) -> None:  # an answer's handling: a chain of callbacks, one per round of the loop
        time.sleep(0.002)  # (a system call: the interpreter is free for the loading thread meanwhile)
        if left:
            loop_holder[0].call_soon(rounds, left - 1)
        else:
            order.append("the loop's work done")

    def first() -> None:
        order.append("first piece loaded")
        loop_holder[0].call_soon_threadsafe(rounds, prepare.CATCH_UP_ROUNDS // 2)  # came in while it loaded

    monkeypatch.setitem(prepare._WORK, "first-catch-up-test", first)
    monkeypatch.setitem(prepare._WORK, "second-catch-up-test", lambda: order.append("second piece started"))

    async def run() -> None:
        loop_holder.append(asyncio.get_running_loop())
        prepare.start("first-catch-up-test", "second-catch-up-test")
        await asyncio.wait_for(prepare.ready("second-catch-up-test"), 5)

    asyncio.run(run())
    assert order == ["first piece loaded", "the loop's work done", "second piece started"]


def test_pieces_still_load_once_the_loop_that_started_them_has_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    loaded = threading.Event()
    monkeypatch.setitem(prepare._WORK, "blocked-after-loop-test", lambda: release.wait(5))
    monkeypatch.setitem(prepare._WORK, "after-loop-test", loaded.set)

    async def run() -> None:
        prepare.start("blocked-after-loop-test", "after-loop-test")

    asyncio.run(run())  # the loop ends (and closes) while the first piece still loads
    release.set()
    assert loaded.wait(5)
