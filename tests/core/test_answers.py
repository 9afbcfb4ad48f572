"""Shared answers: one question for many callers, cancelled only when nobody waits for it any more."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from wizard.core.answers import Answer, Outcome, Shared, SharedSource, TxtRecord, shared
from wizard.lookup.lookup import Lookup
from wizard.lookup.memory import MemorySource
from wizard.lookup.settings import LookupSettings


def test_a_question_nobody_waits_for_is_cancelled_and_one_still_awaited_is_asked_again() -> None:
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
        shared: Shared[Answer] = Shared()
        lone = asyncio.ensure_future(shared.get("lone", lambda: slow("lone"), keep=False))
        first = asyncio.ensure_future(shared.get("both", lambda: slow("both"), keep=False))
        second = asyncio.ensure_future(shared.get("both", lambda: slow("both"), keep=False))
        await asyncio.sleep(0.05)
        lone.cancel()
        first.cancel()
        answer = await second
        assert first.cancelled() and lone.cancelled()
        assert not shared.flights and not shared.kept, "nothing is kept once answered (keep=False)"
        return answer

    answer = asyncio.run(scenario())
    assert started == ["lone", "both", "both"], "the caller still waiting asks again when the one asking is gone"
    assert cancelled == ["lone", "both"]
    assert answer.values == ("x",)


def test_a_caller_that_joined_and_was_cancelled_leaves_the_question_to_the_others() -> None:
    asked: list[str] = []

    async def slow(name: str) -> Answer:
        asked.append(name)
        await asyncio.sleep(0.1)
        return Answer(name, "TXT", Outcome.OK, values=("x",))

    async def scenario() -> tuple[Answer, Answer]:
        shared: Shared[Answer] = Shared()
        first = asyncio.ensure_future(shared.get("q", lambda: slow("q"), keep=True))
        joined = [asyncio.ensure_future(shared.get("q", lambda: slow("q"), keep=True)) for _ in range(2)]
        await asyncio.sleep(0.02)
        joined[0].cancel()
        answers = await asyncio.gather(first, joined[1])
        later = await shared.get("q", lambda: slow("q"), keep=True)
        assert joined[0].cancelled()
        return answers[1], later

    answers = asyncio.run(scenario())
    assert asked == ["q"], "asked once, for the first caller, the one left and the caller that came later"
    assert all(a.values == ("x",) for a in answers)


def test_a_question_that_failed_fails_for_every_caller_waiting_and_is_asked_again_later() -> None:
    asked: list[int] = []

    async def failing() -> Answer:
        asked.append(len(asked))
        await asyncio.sleep(0.01)
        if len(asked) == 1:
            raise OSError("no route")
        return Answer("q", "TXT", Outcome.OK)

    async def scenario() -> tuple[list[BaseException | Answer], Answer]:
        shared: Shared[Answer] = Shared()
        together = [shared.get("q", failing, keep=True) for _ in range(3)]
        outcomes = await asyncio.gather(*together, return_exceptions=True)
        return outcomes, await shared.get("q", failing, keep=True)

    outcomes, later = asyncio.run(scenario())
    assert [type(o) for o in outcomes] == [OSError] * 3
    assert later.ok and asked == [0, 1]


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


def test_a_domain_lookup_keeps_its_answers_so_shared_adds_no_layer_and_any_other_source_is_shared() -> None:
    """A domain's lookup (for_domain) already answers each question once for that domain's checks: the SPF
    tree and its evaluations use it as it is (a second layer of sharing cost each domain 8 % of its CPU)."""
    lookup = Lookup(LookupSettings(nameservers=(("127.0.0.1", 53),), public_resolvers=False))
    domain = lookup.for_run().for_domain()
    assert shared(domain) is domain
    assert isinstance(shared(lookup), SharedSource), "a plain lookup keeps nothing: shared"
    memory = MemorySource()
    once = shared(memory)
    assert isinstance(once, SharedSource) and shared(once) is once


def test_kept_answers_are_only_those_the_predicate_accepts_and_at_most_about_the_limit() -> None:
    asked: list[str] = []

    async def answer(name: str) -> Answer:
        asked.append(name)
        return Answer(name, "TXT", Outcome.OK if name.startswith("ok") else Outcome.TIMEOUT)

    def ok(a: Answer) -> bool:
        return a.ok

    async def scenario() -> Shared[Answer]:
        shared: Shared[Answer] = Shared(limit=8)
        for name in ("ok-a", "ok-a", "bad", "bad"):
            await shared.get(name, lambda n=name: answer(n), keep=ok)  # type: ignore[misc]
        for i in range(40):
            await shared.get(f"ok-{i}", lambda i=i: answer(f"ok-{i}"), keep=ok)  # type: ignore[misc]
        return shared

    shared = asyncio.run(scenario())
    assert asked[:3] == ["ok-a", "bad", "bad"], "a kept answer is shared later; a failure is asked again"
    assert len(shared.kept) <= 8 + 8 // 4
    assert "ok-39" in shared.kept and "ok-a" not in shared.kept, "the oldest are forgotten first"


def test_an_answer_is_a_frozen_value_with_its_defaults() -> None:
    answer = Answer("example.com", "A", Outcome.OK, ("192.0.2.1",), ttl=300, received_at=1.0)
    assert (answer.txt, answer.server, answer.detail, answer.authoritative) == ((), "", "", False)
    assert answer == Answer("example.com", "A", Outcome.OK, values=("192.0.2.1",), ttl=300, received_at=1.0)
    assert hash(answer) == hash(dataclasses.replace(answer))
    assert dataclasses.replace(answer, ttl=60).ttl == 60 and answer.ttl == 300
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.ttl = 1  # type: ignore[misc]
    assert time.time() - Answer("example.com", "A", Outcome.NXDOMAIN).received_at < 60


def test_a_txt_record_is_a_frozen_value_with_its_strings_joined() -> None:
    record = TxtRecord((b"v=spf1 ", b"~all"))
    assert record.text == "v=spf1 ~all"
    assert record == TxtRecord((b"v=spf1 ", b"~all")) and hash(record) == hash(TxtRecord((b"v=spf1 ", b"~all")))
    assert record != TxtRecord((b"v=spf1 ~all",))  # the strings as published, not only their text
    assert TxtRecord((b"caf\xc3\xa9 \xff",)).text == "café \ufffd"
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.text = "v=spf1 +all"  # type: ignore[misc]
