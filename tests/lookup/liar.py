"""A DNS server that misbehaves on purpose (garbage, wrong IDs, answers to other questions, TC forever)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import dns.flags
import dns.message
import dns.rrset

Reply = Callable[[bytes], bytes | None]


def garbage(query: bytes) -> bytes:
    return b"\xde\xad\xbe\xef" * 7


def wrong_id(query: bytes) -> bytes:
    message = dns.message.from_wire(query)
    response = dns.message.make_response(message)
    response.id = (message.id + 1) % 65536
    return response.to_wire()


def other_question(query: bytes) -> bytes:
    message = dns.message.from_wire(query)
    other = dns.message.make_query("elsewhere.invalid.", "TXT")
    other.id = message.id
    response = dns.message.make_response(other)
    response.answer.append(dns.rrset.from_text("elsewhere.invalid.", 60, "IN", "TXT", '"lie"'))
    return response.to_wire()


def truncated(query: bytes) -> bytes:
    response = dns.message.make_response(dns.message.from_wire(query))
    response.flags |= dns.flags.TC
    return response.to_wire()


def _bound_pair() -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket bound to the same free port of 127.0.0.1. The port the kernel picks for UDP may be
    held for TCP (a connection's local port): then another is tried, both sockets held, so no race remains."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind(("127.0.0.1", udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        return udp, tcp
    raise OSError("no port of 127.0.0.1 was free for both UDP and TCP")


class Liar:
    """UDP answers with `reply`; TCP connections are accepted and closed at once. `asked` holds each UDP query
    with the source port it came from, in the order they came."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.asked: list[tuple[int, bytes]] = []
        self.udp, self.tcp = _bound_pair()
        self.port = int(self.udp.getsockname()[1])
        self.tcp.listen(8)
        self.udp.settimeout(0.1)
        self.tcp.settimeout(0.1)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=f, daemon=True) for f in (self._serve_udp, self._serve_tcp)]

    def __enter__(self) -> Liar:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2)
        self.udp.close()
        self.tcp.close()

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                data, client = self.udp.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.asked.append((client[1], data))
            answer = self.reply(data)
            if answer is not None:
                self.udp.sendto(answer, client)

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.close()
