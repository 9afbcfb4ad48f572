"""The resolver view over plain DNS asks the configured resolvers in turn, as dnspython's Resolver did: a failing
one is left out and the next one's answer counts; when every one fails, the outcome says how."""

from __future__ import annotations

import asyncio

import dns.message
import dns.rcode
import pytest

from tests.lab import Lab
from tests.lookup.liar import Liar
from tests.lookup.test_query_server import closed_port
from wizard.core.answers import Outcome
from wizard.lookup.lookup import Lookup

pytestmark = pytest.mark.lab


def answering(rcode: dns.rcode.Rcode) -> Liar:
    def reply(query: bytes) -> bytes:
        response = dns.message.make_response(dns.message.from_wire(query))
        response.set_rcode(rcode)
        return response.to_wire()

    return Liar(reply)


@pytest.mark.parametrize("rcode", [dns.rcode.REFUSED, dns.rcode.SERVFAIL])
def test_the_next_resolver_answers_when_the_first_fails(dns_lab: Lab, rcode: dns.rcode.Rcode) -> None:
    with answering(rcode) as liar:
        servers = (("127.0.0.1", liar.port), ("127.0.0.1", dns_lab.resolver_port))
        answer = asyncio.run(Lookup(dns_lab.settings(nameservers=servers)).resolve("example.test", "TXT"))
    assert answer.outcome is Outcome.OK and answer.texts


def test_every_resolver_failing_says_how_each_failed(dns_lab: Lab) -> None:
    refused_port = closed_port()
    with answering(dns.rcode.SERVFAIL) as liar:
        servers = (("127.0.0.1", liar.port), ("127.0.0.1", refused_port))
        answer = asyncio.run(Lookup(dns_lab.settings(nameservers=servers)).resolve("example.test", "TXT"))
    assert answer.outcome is Outcome.SERVFAIL
    assert f"Do53:127.0.0.1@{liar.port}: SERVFAIL" in answer.detail
    assert f"Do53:127.0.0.1@{refused_port}:" in answer.detail and "refused" in answer.detail.lower()


def test_a_silent_resolver_is_asked_again_until_the_deadline(dns_lab: Lab) -> None:
    host, port = dns_lab.blackhole
    lookup = Lookup(dns_lab.settings(nameservers=((host, port),), timeout=0.8, query_timeout=0.2))
    answer = asyncio.run(lookup.resolve("example.test", "TXT"))
    assert answer.outcome is Outcome.TIMEOUT and answer.detail == "no answer within 0.8 s"
