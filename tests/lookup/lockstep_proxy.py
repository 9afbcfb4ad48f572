"""A UDP proxy that answers in waves, to measure how many questions of a run wait for each other.

Every question is forwarded at once, but the replies are held until the client has gone quiet (sent nothing new
for `quiet` seconds); then all of them are released together and the next wave begins. A question sent in wave
k could only be asked once wave k-1 was answered, so the number of waves is the run's longest chain of
questions that depend on each other: its critical path in round trips, whatever the machine's speed (a client
stalled for longer than `quiet` while it still had questions to send would split a wave, never merge two).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import dns.message
import dns.rdatatype


@dataclass(frozen=True)
class Question:
    """One question the proxy saw: in which wave, to which server, about what."""

    wave: int
    server: str
    name: str
    rdtype: str


@dataclass
class _Held:
    client: tuple[str, int]
    listener: asyncio.DatagramTransport
    reply: asyncio.Future[bytes]


@dataclass
class LockstepProxy:
    """Listens on each (address, port) of `routes`, forwarding to its target, on a private loop and thread."""

    routes: dict[tuple[str, int], tuple[str, int]]
    quiet: float = 0.5
    questions: list[Question] = field(default_factory=list)
    _held: list[_Held] = field(default_factory=list)
    _wave: int = 0
    _timer: asyncio.TimerHandle | None = None
    _transports: list[asyncio.DatagramTransport] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> LockstepProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(5)
        return self

    def stop(self) -> None:
        def close() -> None:
            for transport in self._transports:
                transport.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(close)
        self._thread.join(5)

    @property
    def waves(self) -> int:
        return len({q.wave for q in self.questions})

    def in_wave(self, wave: int) -> list[Question]:
        return [q for q in self.questions if q.wave == wave]

    async def _listen(self) -> None:
        for listen, target in self.routes.items():
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(listen)
            label = f"{listen[0]}:{listen[1]}"
            transport, _ = await self._loop.create_datagram_endpoint(partial(_Listener, self, label, target), sock=sock)
            self._transports.append(transport)

    def _received(self, listener: asyncio.DatagramTransport, label: str, target: tuple[str, int], data: bytes,
                  client: tuple[str, int]) -> None:  # fmt: skip
        question = dns.message.from_wire(data).question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        self.questions.append(Question(self._wave, label, name, dns.rdatatype.to_text(question.rdtype)))
        reply: asyncio.Future[bytes] = self._loop.create_future()
        self._held.append(_Held(client, listener, reply))
        self._keep(_forward(data, target, reply))
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_later(self.quiet, lambda: self._keep(self._release()))

    def _keep(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _release(self) -> None:
        """The client went quiet: answer the whole wave at once and start the next one."""
        held, self._held = self._held, []
        self._wave += 1
        for entry in held:
            try:
                data = await asyncio.wait_for(asyncio.shield(entry.reply), 5)
            except TimeoutError:
                continue  # the server did not answer: neither does the proxy
            entry.listener.sendto(data, entry.client)


class _Listener(asyncio.DatagramProtocol):
    def __init__(self, proxy: LockstepProxy, label: str, target: tuple[str, int]) -> None:
        self.proxy, self.label, self.target = proxy, label, target
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        self.proxy._received(self.transport, self.label, self.target, data, addr)


async def _forward(data: bytes, target: tuple[str, int], reply: asyncio.Future[bytes]) -> None:
    loop = asyncio.get_running_loop()

    class Once(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            if not reply.done():
                reply.set_result(data)

    transport, _ = await loop.create_datagram_endpoint(Once, remote_addr=target)
    try:
        transport.sendto(data)
        await asyncio.wait_for(asyncio.shield(reply), 5)
    except TimeoutError:
        pass
    finally:
        transport.close()
