"""Within one run, each zone's cut, name servers and their addresses are asked for once and shared by every
check; the next run asks again. Counted at a proxy in front of the lab's resolver."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator

import dns.message
import dns.name
import dns.rdatatype
import pytest

from bench.delay_proxy import DelayProxy
from tests.lab import Lab
from tests.lab.bind import free_port
from wizard.checks import CheckOptions, run_domains
from wizard.lookup.lookup import Lookup

pytestmark = pytest.mark.lab

DOMAINS = ("example.test", "dmarc-good.test", "dkim-good.test", "sts-good.test", "spf-lab.test")


class Questions:
    """Every (name, type) the proxy saw, counted (called on the proxy's thread)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def __call__(self, wire: bytes) -> None:
        question = dns.message.from_wire(wire).question[0]
        with self._lock:
            self.counts[question.name.to_text(omit_final_dot=True).lower(), dns.rdatatype.to_text(question.rdtype)] += 1

    def per_zone(self, rdtype: str, zones: list[str]) -> Counter[str]:
        """How many `rdtype` questions were asked about names in each zone (its longest enclosing lab zone)."""
        found: Counter[str] = Counter()
        for (name, kind), count in self.counts.items():
            if kind == rdtype:
                found[_zone_of(name, zones)] += count
        return found


def _zone_of(name: str, zones: list[str]) -> str:
    absolute = dns.name.from_text(name)
    holding = [z for z in zones if absolute.is_subdomain(dns.name.from_text(z))]
    return max(holding, key=len).rstrip(".") if holding else "."


@pytest.fixture
def counted(dns_lab: Lab) -> Iterator[tuple[Lab, Questions, Lookup]]:
    questions = Questions()
    port = free_port(("127.0.0.1",), exclude=(dns_lab.port, dns_lab.resolver_port))
    proxy = DelayProxy(("127.0.0.1", port), ("127.0.0.1", dns_lab.resolver_port), 0.0, seen=questions).start()
    try:
        yield dns_lab, questions, Lookup(dns_lab.settings(nameservers=(("127.0.0.1", port),), timeout=10.0))
    finally:
        proxy.stop()


def test_one_run_asks_each_zone_for_its_ns_once_and_no_domain_for_its_soa(
    counted: tuple[Lab, Questions, Lookup],
) -> None:
    lab, questions, lookup = counted
    options = CheckOptions(dkim_selectors=("cimcloud", "google"))
    results = asyncio.run(run_domains(DOMAINS, lookup, options))

    assert [domain for domain, _ in results] == list(DOMAINS)
    assert all(r["dns"].views.authoritative.zone == domain for domain, r in results), "every domain's zone was found"
    soa = questions.per_zone("SOA", lab.zones)
    ns = questions.per_zone("NS", lab.zones)
    assert {zone: n for zone, n in ns.items() if n != 1} == {}, questions.counts
    assert set(DOMAINS) <= set(ns), questions.counts
    # a domain's NS answer names its zone (NS records exist only at a zone's apex): no SOA question of its own
    assert {zone: n for zone, n in soa.items() if n} == {}, questions.counts
    assert questions.counts["ns1.lab.test", "A"] == 1, "the name servers' addresses are shared by every zone"
    assert questions.counts["ns2.lab.test", "A"] == 1


def test_the_next_run_finds_the_zones_again(counted: tuple[Lab, Questions, Lookup]) -> None:
    _, questions, lookup = counted
    options = CheckOptions(only=("dns",))
    asyncio.run(run_domains(["example.test"], lookup, options))
    asyncio.run(run_domains(["example.test"], lookup, options))
    assert questions.counts["example.test", "NS"] == 2, "no zone memory from one run to the next"
