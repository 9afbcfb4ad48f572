"""One question to one server: a closed port is 'unreachable', told apart from a silent server."""

import asyncio
import socket

from wizard.core.answers import Outcome
from wizard.lookup.lookup import Lookup
from wizard.lookup.settings import LookupSettings


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nothing_listening_is_unreachable_not_a_timeout() -> None:
    lookup = Lookup(LookupSettings(nameservers=(("127.0.0.1", 53),), query_timeout=0.2, retries=0))
    answer = asyncio.run(lookup.query_server("127.0.0.1", closed_port(), "example.test", "TXT"))
    assert answer.outcome is Outcome.UNREACHABLE
    assert "connection refused" in answer.detail


def test_silent_server_is_a_timeout_after_udp_and_tcp_tries(dns_lab) -> None:  # type: ignore[no-untyped-def]
    host, port = dns_lab.blackhole
    lookup = Lookup(dns_lab.settings(query_timeout=0.2, retries=1))
    answer = asyncio.run(lookup.query_server(host, port, "example.test", "TXT"))
    assert answer.outcome is Outcome.TIMEOUT
    assert answer.detail == "no answer to 2 UDP and 1 TCP tries of 0.2 s"
