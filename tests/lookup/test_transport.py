"""The UDP transport on an event loop that watches no sockets (as Windows' proactor loop): the same outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from tests.lab import Lab
from tests.lookup.test_query_server import closed_port
from wizard.core.answers import Outcome
from wizard.lookup.lookup import Lookup

pytestmark = pytest.mark.lab
T = TypeVar("T")


class NoReaders(asyncio.SelectorEventLoop):
    """A loop without add_reader, like asyncio's proactor loop on Windows."""

    def add_reader(self, fd: Any, callback: Callable[..., object], *args: Any) -> None:
        raise NotImplementedError


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=NoReaders) as runner:
        return runner.run(coroutine)


def test_answers_come_through_a_loop_without_add_reader(dns_lab: Lab) -> None:
    lookup = Lookup(dns_lab.settings())
    direct = run(lookup.query_server("127.0.0.1", dns_lab.port, "example.test", "TXT"))
    resolved = run(lookup.resolve("example.test", "TXT"))
    assert direct.outcome is resolved.outcome is Outcome.OK
    assert any(t.startswith("v=spf1") for t in direct.texts)
    assert sorted(direct.texts) == sorted(resolved.texts)


def test_refused_and_silent_servers_are_told_apart_there_too(dns_lab: Lab) -> None:
    lookup = Lookup(dns_lab.settings(query_timeout=0.2, retries=0))
    refused = run(lookup.query_server("127.0.0.1", closed_port(), "example.test", "TXT"))
    host, port = dns_lab.blackhole
    silent = run(lookup.query_server(host, port, "example.test", "TXT"))
    assert refused.outcome is Outcome.UNREACHABLE
    assert silent.outcome is Outcome.TIMEOUT
