"""A deadline on a chain of questions (finding a zone's name servers: NS, then their addresses) ends it on
time in the caller's own task: the caller gets a TIMEOUT it can show, goes on uncancelled, and no query socket
outlives it. A cancellation from outside still cancels."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import dns.message
import dns.rdatatype
import dns.rrset
import pytest

from tests.lookup.liar import Liar
from wizard.core.answers import AuthoritativeView, Outcome
from wizard.lookup.lookup import Lookup
from wizard.lookup.settings import LookupSettings

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads this process's sockets in /proc")

ZONE = "example.test."
RECORDS = {
    dns.rdatatype.SOA: (ZONE, "ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60"),
    dns.rdatatype.NS: (ZONE, "ns1.example.test."),
    dns.rdatatype.A: ("ns1.example.test.", "127.0.0.1"),
}


def slowly(query: bytes) -> bytes:
    """The zone's SOA, NS and its name server's address, each 0.6 s after it is asked (one at a time)."""
    time.sleep(0.6)
    message = dns.message.from_wire(query)
    question = message.question[0]
    response = dns.message.make_response(message)
    owner, rdata = RECORDS[question.rdtype]
    if question.name.to_text() == owner:
        response.answer.append(dns.rrset.from_text(owner, 60, "IN", question.rdtype, rdata))
    return response.to_wire()


def sockets_asking(port: int) -> int:
    """How many of this process's UDP sockets are connected to 127.0.0.1:`port` (the query sockets; a thread of
    an earlier test opening sockets of its own meanwhile is not counted)."""
    mine = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            mine.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # closed meanwhile
            continue
    asking = 0
    for line in Path("/proc/self/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        asking += fields[2] == f"0100007F:{port:04X}" and f"socket:[{fields[9]}]" in mine
    return asking


def lookup_through(liar: Liar) -> Lookup:
    server = (("127.0.0.1", liar.port),)
    return Lookup(
        LookupSettings(
            nameservers=server, dns_port=liar.port, public_resolvers=False, timeout=1.0, query_timeout=1.0, retries=0
        )
    )


def test_finding_the_name_servers_ends_at_the_deadline_and_the_caller_goes_on() -> None:
    with Liar(slowly) as liar:
        lookup = lookup_through(liar)

        async def scenario() -> tuple[AuthoritativeView, float, int, int]:
            started = time.monotonic()
            # the zone's NS comes after 0.6 s, the name server's address only after 1.2 s: past the 1 s deadline
            view = await lookup.authoritative("example.test", "TXT")
            took = time.monotonic() - started
            task = asyncio.current_task()
            assert task is not None
            await asyncio.sleep(0.01)  # a cancellation left over from the deadline would end the task here
            return view, took, task.cancelling(), sockets_asking(liar.port)

        view, took, cancelling, left = asyncio.run(scenario())
    assert view.outcome is Outcome.TIMEOUT, view
    assert view.detail == "finding the name servers took longer than 1 s"
    assert took < 1.5, f"the 1 s deadline ended the chain after {took:.2f} s"
    assert cancelling == 0, "the deadline's cancellation was not taken back"
    assert left == 0, "the address query's socket stayed open after the deadline"


def test_a_caller_cancelled_while_the_name_servers_are_found_is_cancelled() -> None:
    with Liar(slowly) as liar:
        lookup = lookup_through(liar)

        async def scenario() -> tuple[bool, int, int]:
            asking = asyncio.ensure_future(lookup.authoritative("example.test", "TXT"))
            await asyncio.sleep(0.2)  # its NS question is out
            out = sockets_asking(liar.port)
            asking.cancel()
            try:
                await asking
            except asyncio.CancelledError:
                return True, out, sockets_asking(liar.port)
            return False, out, sockets_asking(liar.port)

        cancelled, out, left = asyncio.run(scenario())
    assert cancelled, "the deadline swallowed a cancellation that came from outside"
    assert (out, left) == (1, 0), "the NS query's socket was not open, then closed"
