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


class Liar:
    """UDP answers with `reply`; TCP connections are accepted and closed at once."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = int(self.udp.getsockname()[1])
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
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
