"""Questions asked at the same moment share one query; a later question asks again (no cache)."""

from __future__ import annotations

import asyncio
import time

import dns.message
import dns.rrset

from tests.lookup.liar import Liar
from wizard.core.answers import Answer, Outcome
from wizard.lookup.lookup import Lookup
from wizard.lookup.settings import LookupSettings


class Counting:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, query: bytes) -> bytes:
        message = dns.message.from_wire(query)
        name = message.question[0].name
        self.asked.append(name.to_text())
        response = dns.message.make_response(message)
        response.answer.append(dns.rrset.from_text(name, 60, "IN", "TXT", f'"answer {len(self.asked)}"'))
        return response.to_wire()


def test_concurrent_identical_questions_share_one_query_and_later_ones_ask_again() -> None:
    server = Counting()
    with Liar(server) as liar:
        lookup = Lookup(LookupSettings(nameservers=(("127.0.0.1", liar.port),), public_resolvers=False))

        async def scenario() -> tuple[list[list[str]], list[str]]:
            together = await asyncio.gather(*(lookup.resolve("Example.test", "TXT") for _ in range(5)))
            later = await lookup.resolve("example.test.", "TXT")
            return [a.texts for a in together], later.texts

        together, later = asyncio.run(scenario())
    assert [n.lower() for n in server.asked] == ["example.test.", "example.test."]
    assert together == [["answer 1"]] * 5
    assert later == ["answer 2"], "a re-check must see what DNS says now"


class Slow(Counting):
    """Answers each question after a pause, so a second caller can join one in flight."""

    def __call__(self, query: bytes) -> bytes:
        time.sleep(0.2)
        return super().__call__(query)


def test_a_caller_that_joined_still_gets_an_answer_when_the_first_caller_is_cancelled() -> None:
    server = Slow()
    with Liar(server) as liar:
        lookup = Lookup(LookupSettings(nameservers=(("127.0.0.1", liar.port),), public_resolvers=False))

        async def scenario() -> Answer:
            first = asyncio.ensure_future(lookup.resolve("example.test", "TXT"))
            await asyncio.sleep(0.05)  # the first caller's query is out
            second = asyncio.ensure_future(lookup.resolve("example.test", "TXT"))
            await asyncio.sleep(0.05)  # the second caller has joined it
            first.cancel()
            return await asyncio.wait_for(second, 5)  # a caller left waiting forever fails here

        answer = asyncio.run(scenario())
    assert answer.outcome is Outcome.OK, answer
    assert answer.texts[0].startswith("answer ")
