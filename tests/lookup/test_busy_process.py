"""A deadline never runs out because this process was busy: answers that arrived while the event loop was
blocked are read before anything is called a timeout."""

from __future__ import annotations

import asyncio
import time

import pytest

from bench.delay_proxy import DelayProxy
from tests.lab import Lab
from tests.lab.bind import free_port
from wizard.core.answers import Answer, Outcome
from wizard.lookup.lookup import Lookup

pytestmark = pytest.mark.lab


def test_answers_that_arrived_while_the_loop_was_busy_are_not_timeouts(dns_lab: Lab) -> None:
    port = free_port(("127.0.0.1",), exclude=(dns_lab.port, dns_lab.resolver_port))
    proxy = DelayProxy(("127.0.0.1", port), ("127.0.0.1", dns_lab.resolver_port), 0.1).start()
    settings = dns_lab.settings(
        public_resolvers=True, public_resolver_addresses=(("Lab", "127.0.0.1", port),), timeout=1.0, retries=0
    )
    lookup = Lookup(settings)

    async def scenario() -> tuple[Answer, ...]:
        asked = asyncio.ensure_future(lookup.public("example.test", "TXT"))
        await asyncio.sleep(0.05)  # the question is sent; its answer comes 0.2 s later
        time.sleep(1.5)  # noqa: ASYNC251 (the point: this process is busy past the deadline)
        return await asked

    try:
        answers = asyncio.run(scenario())
    finally:
        proxy.stop()
    assert [a.outcome for a in answers] == [Outcome.OK], answers
