"""One domain's checks ask the resolver each question once: the domain's MX, wanted by the SPF check (its `mx`
mechanism) and by the MTA-STS check, is asked once per run of the domain, and again by the next run. Counted at
a proxy in front of the lab's resolver."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bench.delay_proxy import DelayProxy
from tests.lab import Lab
from tests.lab.bind import free_port
from tests.lookup.test_zone_sharing import Questions
from wizard.checks import entries, run_domain
from wizard.lookup.lookup import Lookup

pytestmark = pytest.mark.lab

DOMAIN = "good.spf-lab.test"  # SPF with `mx`, and an MX record


@pytest.fixture
def counted(dns_lab: Lab) -> Iterator[tuple[Questions, Lookup]]:
    questions = Questions()
    port = free_port(("127.0.0.1",), exclude=(dns_lab.port, dns_lab.resolver_port))
    proxy = DelayProxy(("127.0.0.1", port), ("127.0.0.1", dns_lab.resolver_port), 0.0, seen=questions).start()
    try:
        yield questions, Lookup(dns_lab.settings(nameservers=(("127.0.0.1", port),), timeout=10.0))
    finally:
        proxy.stop()


def test_the_domains_mx_is_asked_once_for_the_spf_and_mta_sts_checks(counted: tuple[Questions, Lookup]) -> None:
    questions, lookup = counted
    results = asyncio.run(run_domain(DOMAIN, lookup))

    spf = entries(results["spf"])[0]
    assert "spf.lookup-failed" not in {f.code for f in spf.findings}
    assert results["mta_sts"] is not None
    assert questions.counts[DOMAIN, "MX"] == 1, questions.counts


def test_the_next_run_of_the_domain_asks_again(counted: tuple[Questions, Lookup]) -> None:
    questions, lookup = counted
    asyncio.run(run_domain(DOMAIN, lookup))
    asyncio.run(run_domain(DOMAIN, lookup))
    assert questions.counts[DOMAIN, "MX"] == 2, "no answer is kept from one run of a domain to the next"
    assert questions.counts[DOMAIN, "TXT"] == 2
