"""Awaiting several jobs at once for fewer tasks than asyncio.gather: the core's lookups are many and small."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
U = TypeVar("U")


async def together(jobs: Sequence[Awaitable[T]]) -> list[T]:
    """The results of `jobs`, in order, the jobs run at the same time: the first in the caller's task, each
    other in a task of its own (none at all for a single job, one fewer than gather for more; a job whose
    answer is already in hand then finishes without a trip through the event loop).

    The jobs' results are awaited in order, so a failure propagates once the jobs before it have finished
    (the core's jobs give their failures as values: an exception here is a bug). Then, and when the caller is
    cancelled, the jobs still running are cancelled (gather would leave them running for nobody).
    """
    if not jobs:
        return []
    first, *rest = jobs
    if not rest:
        return [await first]
    tasks = [asyncio.ensure_future(job) for job in rest]
    try:
        results = [await first]
        for task in tasks:
            results.append(await task)
    except BaseException:
        _abandon(tasks)
        raise
    return results


async def both(first: Awaitable[T], second: Awaitable[U]) -> tuple[T, U]:
    """`first` and `second` at the same time, typed each its own: `first` in the caller's task, `second` in a
    task of its own (gather would make a task of each, and a future). As in `together`, a failure or the
    caller's cancellation cancels the other if it is still running."""
    task = asyncio.ensure_future(second)
    try:
        return await first, await task
    except BaseException:
        _abandon([task])
        raise


def _abandon(tasks: Sequence[asyncio.Future[Any]]) -> None:
    """Cancel the tasks still running; mark the failures of those already done as seen (asyncio would log
    them as never retrieved)."""
    for task in tasks:
        if not task.done():
            task.cancel()
        elif not task.cancelled():
            task.exception()
