"""The UDP query sockets: the queries in flight to one server share a connected socket (at most
QUERIES_PER_SOCKET on one, each with an ID of its own there), a datagram is taken only by the query it answers,
an error on a socket fails every query waiting on it, and every socket is closed once no query waits on it,
also when queries are cancelled: no file descriptor outlives a run (the lookup layer watches them in an epoll
set of its own)."""

from __future__ import annotations

import asyncio
import math
import os
import socket
import sys
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import dns.message
import dns.rrset
import pytest

from tests.lookup.liar import Liar
from wizard.core.answers import Answer, Outcome
from wizard.lookup.lookup import QUERIES_PER_SOCKET, Lookup
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


def told(query: bytes, text: str, qid: int | None = None) -> bytes:
    """A reply to `query` whose TXT record says `text` (with another ID when `qid` is given)."""
    message = dns.message.from_wire(query)
    response = dns.message.make_response(message)
    response.answer.append(dns.rrset.from_text(message.question[0].name, 60, "IN", "TXT", f'"{text}"'))
    if qid is not None:
        response.id = qid
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


def settings(port: int, **overrides: Any) -> LookupSettings:
    return LookupSettings(nameservers=(("127.0.0.1", port),), public_resolvers=False, **{"timeout": 5, **overrides})


class Timer:
    """A timer as Qt's loop (qasync) hands one out: it can be cancelled, and has no `when()`."""

    def __init__(self, timer: asyncio.TimerHandle) -> None:
        self._timer = timer

    def cancel(self) -> None:
        self._timer.cancel()

    def cancelled(self) -> bool:
        return self._timer.cancelled()


class OwnReaders(asyncio.SelectorEventLoop):
    """asyncio's selector loop as the lookup layer sees Qt's loop: of another type, so each socket is watched
    with the loop's add_reader, not in the layer's own epoll set; and with timers like qasync's."""

    def call_at(self, when: float, callback: Callable[..., object], *args: Any, context: Any = None) -> Any:
        return Timer(super().call_at(when, callback, *args, context=context))


@pytest.mark.parametrize("loop_factory", [asyncio.SelectorEventLoop, OwnReaders], ids=["epoll", "add_reader"])
def test_queries_in_flight_to_one_server_share_sockets(loop_factory: Callable[[], asyncio.AbstractEventLoop]) -> None:
    count = 100
    with Liar(answering) as liar:
        lookup = Lookup(settings(liar.port))

        async def scenario() -> list[Answer]:
            return list(await asyncio.gather(*(lookup.resolve(f"n{i}.example.test", "TXT") for i in range(count))))

        with asyncio.Runner(loop_factory=loop_factory) as runner:
            answers = runner.run(scenario())
        asked = list(liar.asked)
    assert [a.texts for a in answers] == [["here"]] * count
    per_port = Counter(port for port, _ in asked)
    assert len(asked) == count
    assert max(per_port.values()) <= QUERIES_PER_SOCKET, f"a socket served more queries than it may: {per_port}"
    # all were sent before any reply was read: each socket took its QUERIES_PER_SOCKET, then the next took over
    assert len(per_port) == math.ceil(count / QUERIES_PER_SOCKET), f"sockets not shared: {per_port}"
    for port in per_port:
        ids = [query[:2] for source, query in asked if source == port]
        assert len(set(ids)) == len(ids), "two queries waiting on one socket had the same ID"


class Spoofer:
    """A UDP server that waits for `count` queries, then answers each one first with its question but another
    query's ID, then with its ID but another query's question, then with an ID no query has, and only then
    truly (the TXT record says which: "spoof" or the query's own name)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(5)
        self.port = int(self.udp.getsockname()[1])
        self.ports: set[int] = set()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Spoofer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.join(5)
        self.udp.close()

    def _serve(self) -> None:
        queries = []
        client = ("", 0)
        for _ in range(self.count):
            data, client = self.udp.recvfrom(4096)
            self.ports.add(client[1])
            queries.append(data)
        ids = [dns.message.from_wire(q).id for q in queries]
        replies = []
        for i, query in enumerate(queries):
            other = (i + 1) % len(queries)
            replies.append(told(query, "spoof", qid=ids[other]))  # i's question, another query's ID
            replies.append(told(queries[other], "spoof", qid=ids[i]))  # i's ID, another query's question
            replies.append(told(query, "spoof", qid=next(n for n in range(65536) if n not in ids)))
        replies += [told(query, dns.message.from_wire(query).question[0].name.to_text()) for query in queries]
        for reply in replies:
            self.udp.sendto(reply, client)


def test_a_reply_is_taken_only_by_the_query_whose_id_and_question_it_matches() -> None:
    names = [f"q{i}.example.test" for i in range(4)]
    with Spoofer(len(names)) as spoofer:
        lookup = Lookup(settings(spoofer.port))

        async def scenario() -> list[Answer]:
            return list(await asyncio.gather(*(lookup.resolve(name, "TXT") for name in names)))

        answers = asyncio.run(scenario())
    assert len(spoofer.ports) == 1, "the queries did not share one socket"
    assert [a.texts for a in answers] == [[name + "."] for name in names], "a spoofed reply was taken"


def test_a_refused_port_fails_every_query_waiting_on_the_socket_at_once() -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # takes the queries and never answers
    silent.bind(("127.0.0.1", 0))
    port = int(silent.getsockname()[1])
    lookup = Lookup(settings(port, timeout=60, query_timeout=30, retries=0))

    async def scenario() -> tuple[list[Answer], int]:
        before = open_descriptors() - 1  # (the silent server's socket, closed below)
        waiting = [asyncio.ensure_future(lookup.query_server("127.0.0.1", port, f"w{i}.test", "TXT")) for i in range(5)]
        await asyncio.sleep(0.1)  # out, unanswered, on one socket
        silent.close()  # the port is closed: the next datagram to it brings an ICMP port unreachable
        last = asyncio.ensure_future(lookup.query_server("127.0.0.1", port, "last.test", "TXT"))
        _, pending = await asyncio.wait([*waiting, last], timeout=5)  # (their own timeout is 30 s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        assert not pending, f"{len(pending)} queries still waited after the socket's error"
        return [task.result() for task in [*waiting, last]], open_descriptors() - before

    answers, left = asyncio.run(scenario())
    assert [a.outcome for a in answers] == [Outcome.UNREACHABLE] * 6
    assert all("connection refused" in a.detail for a in answers)
    assert left == 0, "the refused socket stayed open"


def test_no_query_socket_outlives_its_query() -> None:
    with Liar(answering) as liar:
        lookup = Lookup(settings(liar.port))

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


def test_a_cancelled_query_leaves_no_socket_once_its_siblings_end() -> None:
    with Liar(answering) as liar:
        lookup = Lookup(settings(liar.port, timeout=1, query_timeout=0.3))

        async def scenario() -> tuple[int, int, list[Answer]]:
            before = open_descriptors()
            silent = [asyncio.ensure_future(lookup.resolve(f"s{i}.silent.test", "TXT")) for i in range(5)]
            await asyncio.sleep(0.1)  # out on one socket, unanswered
            for task in silent[:2]:
                task.cancel()
            await asyncio.gather(*silent[:2], return_exceptions=True)
            during = open_descriptors() - before  # the siblings still wait on the socket
            siblings = list(await asyncio.gather(*silent[2:]))  # asked again over UDP until the deadline
            return during, open_descriptors() - before, siblings

        during, left, siblings = asyncio.run(scenario())
    assert during == 2, "the socket its siblings wait on (and the epoll set) did not stay open for them"
    assert [a.outcome for a in siblings] == [Outcome.TIMEOUT] * 3
    assert left == 0, "a socket (or the set watching them) stayed open after the last query on it"


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
