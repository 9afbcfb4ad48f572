"""Each query's socket is watched while its query is in flight and closed after it, also when the query is
cancelled: no file descriptor outlives a run (the lookup layer watches them in an epoll set of its own)."""

from __future__ import annotations

import asyncio
import os
import sys

import dns.message
import dns.rrset
import pytest

from tests.lookup.liar import Liar
from wizard.core.answers import Answer, Outcome
from wizard.lookup.lookup import Lookup
from wizard.lookup.settings import LookupSettings

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="counts open file descriptors in /proc")


def answering(query: bytes) -> bytes | None:
    """A TXT answer for every name but those under silent.test (no reply at all)."""
    message = dns.message.from_wire(query)
    name = message.question[0].name
    if name.to_text().endswith("silent.test."):
        return None
    response = dns.message.make_response(message)
    response.answer.append(dns.rrset.from_text(name, 60, "IN", "TXT", '"here"'))
    return response.to_wire()


def open_descriptors() -> int:
    """The process's open sockets and epoll sets (not its files: a thread of an earlier test still importing a
    module opens and closes those meanwhile)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        count += target.startswith("socket:") or target == "anon_inode:[eventpoll]"
    return count


def test_no_query_socket_outlives_its_query() -> None:
    with Liar(answering) as liar:
        lookup = Lookup(LookupSettings(nameservers=(("127.0.0.1", liar.port),), public_resolvers=False, timeout=5))

        async def scenario() -> tuple[list[Answer], bool]:
            before = open_descriptors()
            answers = await asyncio.gather(*(lookup.resolve(f"n{i}.example.test", "TXT") for i in range(40)))
            silent = [asyncio.ensure_future(lookup.resolve(f"s{i}.silent.test", "TXT")) for i in range(5)]
            await asyncio.sleep(0.1)  # their queries are out, unanswered
            for task in silent:
                task.cancel()
            await asyncio.gather(*silent, return_exceptions=True)
            return list(answers), open_descriptors() == before

        answers, none_left = asyncio.run(scenario())
    assert {a.outcome for a in answers} == {Outcome.OK}
    assert none_left, "a socket (or the set watching them) stayed open after its query"


def test_a_shorter_deadline_set_after_a_longer_one_still_ends_on_time() -> None:
    with Liar(answering) as liar:
        server = (("127.0.0.1", liar.port),)
        patient = Lookup(LookupSettings(nameservers=server, public_resolvers=False, timeout=3, query_timeout=3))
        hasty = Lookup(LookupSettings(nameservers=server, public_resolvers=False, timeout=0.3, query_timeout=0.3))

        async def scenario() -> tuple[Answer, float, Answer]:
            loop = asyncio.get_running_loop()
            slow = asyncio.ensure_future(patient.resolve("a.silent.test", "TXT"))
            await asyncio.sleep(0.05)
            start = loop.time()
            quick = await hasty.resolve("b.silent.test", "TXT")
            took = loop.time() - start
            return quick, took, await slow

        quick, took, slow = asyncio.run(scenario())
    assert quick.outcome is Outcome.TIMEOUT and slow.outcome is Outcome.TIMEOUT
    assert took < 1.0, f"the 0.3 s deadline waited for the 3 s one: {took:.2f} s"
