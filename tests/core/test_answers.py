"""Shared answers: one question for many callers, cancelled only when nobody waits for it any more."""

from __future__ import annotations

import asyncio

from wizard.core.answers import Answer, Outcome, SharedFutures, SharedSource
from wizard.lookup.memory import MemorySource


def test_a_question_nobody_waits_for_is_cancelled_but_one_still_awaited_goes_on() -> None:
    started: list[str] = []
    cancelled: list[str] = []

    async def slow(name: str) -> Answer:
        started.append(name)
        try:
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise
        return Answer(name, "TXT", Outcome.OK, values=("x",))

    async def scenario() -> Answer:
        shared: SharedFutures[Answer] = SharedFutures()
        lone = asyncio.ensure_future(shared.get("lone", lambda: slow("lone"), keep=False))
        first = asyncio.ensure_future(shared.get("both", lambda: slow("both"), keep=False))
        second = asyncio.ensure_future(shared.get("both", lambda: slow("both"), keep=False))
        await asyncio.sleep(0.05)
        lone.cancel()
        first.cancel()
        await asyncio.sleep(0)
        answer = await second
        assert not shared.futures, "nothing is kept once answered (keep=False)"
        return answer

    answer = asyncio.run(scenario())
    assert started == ["lone", "both"]
    assert cancelled == ["lone"]
    assert answer.values == ("x",)


def test_shared_source_asks_once_per_run_and_keeps_the_answer_for_the_run() -> None:
    memory = MemorySource()
    memory.add("example.test", "TXT", "v=spf1 -all")
    source = SharedSource(memory)

    async def scenario() -> list[list[str]]:
        together = await asyncio.gather(*(source.resolve("Example.test.", "txt") for _ in range(3)))
        later = await source.resolve("example.test", "TXT")
        return [a.texts for a in (*together, later)]

    assert asyncio.run(scenario()) == [["v=spf1 -all"]] * 4
    assert memory.queries == [("example.test", "TXT")]


def test_kept_answers_are_only_those_the_predicate_accepts_and_at_most_about_the_limit() -> None:
    asked: list[str] = []

    async def answer(name: str) -> Answer:
        asked.append(name)
        return Answer(name, "TXT", Outcome.OK if name.startswith("ok") else Outcome.TIMEOUT)

    def ok(a: Answer) -> bool:
        return a.ok

    async def scenario() -> SharedFutures[Answer]:
        shared: SharedFutures[Answer] = SharedFutures(limit=8)
        for name in ("ok-a", "ok-a", "bad", "bad"):
            await shared.get(name, lambda n=name: answer(n), keep=ok)  # type: ignore[misc]
        for i in range(40):
            await shared.get(f"ok-{i}", lambda i=i: answer(f"ok-{i}"), keep=ok)  # type: ignore[misc]
        return shared

    shared = asyncio.run(scenario())
    assert asked[:3] == ["ok-a", "bad", "bad"], "a kept answer is shared later; a failure is asked again"
    assert len(shared.futures) <= 8 + 8 // 4
    assert "ok-39" in shared.futures and "ok-a" not in shared.futures, "the oldest are forgotten first"
