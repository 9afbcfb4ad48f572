"""together(): several jobs awaited at once, results in order, and nothing left running after a failure."""

from __future__ import annotations

import asyncio

import pytest

from wizard.core.together import together


def test_the_jobs_run_at_the_same_time_and_their_results_come_in_order() -> None:
    async def scenario() -> list[str]:
        second_started = asyncio.Event()

        async def first() -> str:
            await second_started.wait()  # only returns if the second job runs meanwhile
            return "first"

        async def second() -> str:
            second_started.set()
            return "second"

        return await asyncio.wait_for(together([first(), second()]), 5)

    assert asyncio.run(scenario()) == ["first", "second"]
    assert asyncio.run(_alone()) == ["only"]
    assert asyncio.run(_none()) == []


async def _alone() -> list[str]:
    async def only() -> str:
        return "only"

    return await together([only()])


async def _none() -> list[str]:
    return await together([])


async def _slow(name: str, cancelled: list[str]) -> None:
    """Waits long; notes its name when cancelled."""
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        cancelled.append(name)
        raise


def test_a_failure_cancels_the_jobs_still_running_and_propagates() -> None:
    cancelled: list[str] = []

    async def scenario() -> None:
        async def failing() -> None:
            await asyncio.sleep(0)
            raise ValueError("bad answer")

        with pytest.raises(ValueError, match="bad answer"):
            await together([failing(), _slow("a", cancelled), _slow("b", cancelled)])
        await asyncio.sleep(0)
        assert sorted(cancelled) == ["a", "b"], "nothing runs on for nobody"

    asyncio.run(scenario())


def test_cancelling_the_caller_cancels_every_job() -> None:
    cancelled: list[str] = []

    async def scenario() -> None:
        caller = asyncio.ensure_future(together([_slow(n, cancelled) for n in "abc"]))
        await asyncio.sleep(0.01)
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        await asyncio.sleep(0)

    asyncio.run(scenario())
    assert sorted(cancelled) == ["a", "b", "c"]
