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

UPSTREAM_TIMEOUT = 5.0  # a question the server has not answered by then is forgotten (its ID freed)
_BUFFER = 8 << 20


class _UdpRelay:
    """Relays datagrams with plain callbacks on the proxy's loop: a timer per datagram and direction, no task, no
    socket and no transport per query (the old relay's per-datagram task and datagram endpoint cost 0.6 ms of
    CPU per query, in the bench process that competes with the measured program for the machine's 2 cores).

    The questions go upstream from one socket, each with an ID of the proxy's own (as a forwarder does), so a
    reply is matched to its client by that ID alone; the client's own ID is put back in the reply it gets.
    Every datagram is still delayed by `delay` each way, and `seen` still sees every query as it arrives.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        listen: socket.socket,
        target: tuple[str, int],
        delay: float,
        seen: Callable[[bytes], None] | None,
    ) -> None:
        self.loop, self.listen, self.target, self.delay, self.seen = loop, listen, target, delay, seen
        self.upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.upstream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _BUFFER)
        self.upstream.setblocking(False)
        self.upstream.connect(target)
        self.waiting: dict[int, tuple[bytes, tuple[str, int], float]] = {}  # our ID: (their ID, client, sent at)
        self.next_id = 0
        from collections import deque  # (here: the lead keeps the module's import lines)

        self.due: deque[tuple[float, Callable[[bytes, tuple[str, int]], None], bytes, tuple[str, int]]] = deque()
        self.timer: asyncio.TimerHandle | None = None
        loop.add_reader(listen.fileno(), self._from_clients)
        loop.add_reader(self.upstream.fileno(), self._from_server)

    def _from_clients(self) -> None:
        while True:
            try:
                data, client = self.listen.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an ICMP error for an earlier reply
            if self.seen is not None:
                self.seen(data)
            if len(data) >= 12:
                self._later(self._forward, data, client)

    def _forward(self, data: bytes, client: tuple[str, int]) -> None:
        ours = self._new_id()
        self.waiting[ours] = (data[:2], client, self.loop.time())
        with contextlib.suppress(OSError):
            self.upstream.send(ours.to_bytes(2, "big") + data[2:])

    def _new_id(self) -> int:
        """An ID no question in flight has (one older than UPSTREAM_TIMEOUT counts as answered by nobody)."""
        now = self.loop.time()
        for _ in range(65536):
            ours, self.next_id = self.next_id, (self.next_id + 1) & 0xFFFF
            held = self.waiting.get(ours)
            if held is None or now - held[2] > UPSTREAM_TIMEOUT:
                return ours
        raise RuntimeError("65536 questions in flight")

    def _from_server(self) -> None:
        while True:
            try:
                data = self.upstream.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # the server's port refused a datagram
            held = self.waiting.pop(int.from_bytes(data[:2], "big"), None) if len(data) >= 12 else None
            if held is not None:
                their_id, client, _ = held
                self._later(self._reply, their_id + data[2:], client)

    def _reply(self, data: bytes, client: tuple[str, int]) -> None:
        with contextlib.suppress(OSError):
            self.listen.sendto(data, client)

    def _later(self, send: Callable[[bytes, tuple[str, int]], None], data: bytes, client: tuple[str, int]) -> None:
        """Send after `delay`. The delay is the same for every datagram, so they are due in the order they came:
        a queue and one loop timer for its head (a timer per datagram cost a Python-level heap comparison each)."""
        if self.delay <= 0:
            send(data, client)
            return
        self.due.append((self.loop.time() + self.delay, send, data, client))
        if self.timer is None:
            self.timer = self.loop.call_at(self.due[0][0], self._send_due)

    def _send_due(self) -> None:
        now = self.loop.time()
        while self.due and self.due[0][0] <= now:
            _, send, data, client = self.due.popleft()
            send(data, client)
        self.timer = self.loop.call_at(self.due[0][0], self._send_due) if self.due else None

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.loop.remove_reader(self.listen.fileno())
        self.loop.remove_reader(self.upstream.fileno())
        self.listen.close()
        self.upstream.close()


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
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _BUFFER)
        sock.bind(self.listen)
        sock.setblocking(False)
        udp = _UdpRelay(loop, sock, self.target, self.delay, self.seen)

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
