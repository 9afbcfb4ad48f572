"""A small UDP/TCP proxy that adds latency in front of a DNS server (this kernel has no `tc netem`).

Each datagram or TCP connection to (listen_host, listen_port) is forwarded to (target_host, target_port);
replies come back after `delay` seconds each way, so one query costs about 2 × delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable
from typing import cast


class _UdpRelay(asyncio.DatagramProtocol):
    def __init__(self, target: tuple[str, int], delay: float, seen: Callable[[bytes], None] | None) -> None:
        self.target = target
        self.delay = delay
        self.seen = seen
        self.transport: asyncio.DatagramTransport | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.seen is not None:
            self.seen(data)
        task = asyncio.ensure_future(self._relay(data, addr))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _relay(self, data: bytes, client: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(self.delay)
        reply: asyncio.Future[bytes] = loop.create_future()

        class Once(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                if not reply.done():
                    reply.set_result(data)

        transport, _ = await loop.create_datagram_endpoint(Once, remote_addr=self.target)
        try:
            transport.sendto(data)
            answer = await asyncio.wait_for(reply, 5)
        except TimeoutError:
            return
        finally:
            transport.close()
        await asyncio.sleep(self.delay)
        if self.transport is not None:
            self.transport.sendto(answer, client)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    writer.close()


class DelayProxy:
    """Runs the relays on a private event loop in a daemon thread; `start()`, then `stop()`.

    `seen`, when given, is called (on the proxy's thread) with every UDP query as it arrives: a test counts
    the questions a run asks with it.
    """

    def __init__(
        self,
        listen: tuple[str, int],
        target: tuple[str, int],
        delay: float,
        seen: Callable[[bytes], None] | None = None,
    ) -> None:
        self.listen, self.target, self.delay, self.seen = listen, target, delay, seen
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._closers: list[object] = []

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        # A burst of queries arrives while this thread waits for the GIL: a large receive buffer keeps the
        # kernel from dropping them (the default holds only about a hundred datagrams).
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        sock.bind(self.listen)
        udp, _ = await loop.create_datagram_endpoint(lambda: _UdpRelay(self.target, self.delay, self.seen), sock=sock)

        async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.target)
            except OSError:
                writer.close()
                return
            await asyncio.gather(_pipe(reader, up_writer, self.delay), _pipe(up_reader, writer, self.delay))

        tcp = await asyncio.start_server(on_client, *self.listen)
        self._closers = [udp, tcp]

    def start(self) -> DelayProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(5)
        return self

    def stop(self) -> None:
        def close() -> None:
            for closer in self._closers:
                closer.close()  # type: ignore[attr-defined]
            self._loop.stop()

        self._loop.call_soon_threadsafe(close)
        self._thread.join(5)
