"""wizard.lookup.threads: worker threads never run with automatic garbage collection on (a collection there can
free a Qt object off the GUI thread), however their lives overlap."""

from __future__ import annotations

import asyncio
import gc
import threading

from wizard.lookup.threads import in_thread, pause_collection, resume_collection


def test_collection_stays_off_until_the_last_of_two_overlapping_workers_ends() -> None:
    first_may_end, second_may_end = threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        first_may_end.wait(5)
        seen.append(gc.isenabled())

    def second() -> None:
        second_may_end.wait(5)
        seen.append(gc.isenabled())

    async def main() -> None:
        one = asyncio.ensure_future(in_thread(first, "test-first"))
        two = asyncio.ensure_future(in_thread(second, "test-second"))
        await asyncio.sleep(0.05)
        first_may_end.set()
        await one
        assert not gc.isenabled(), "the second worker still runs: collection must stay off"
        second_may_end.set()
        await two

    assert gc.isenabled()
    asyncio.run(main())
    assert seen == [False, False]
    assert gc.isenabled(), "back on once every worker has ended"


def test_a_pause_begun_with_collection_off_leaves_it_off() -> None:
    gc.disable()
    try:
        pause_collection()
        resume_collection()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_the_work_raises_reaches_the_caller_and_collection_resumes() -> None:
    def broken() -> None:
        raise ValueError("from the worker")

    async def main() -> None:
        await in_thread(broken, "test-broken")

    try:
        asyncio.run(main())
    except ValueError as exc:
        assert str(exc) == "from the worker"
    else:
        raise AssertionError("the worker's exception was lost")
    assert gc.isenabled()
