"""A batch loads the HTTPS stack only when a domain needs it (no background loading ahead), and a domain of the
batch that publishes MTA-STS still has its policy fetched and checked."""

from __future__ import annotations

import asyncio

import pytest
import trustme

from tests.lab import Lab
from tests.lookup.policy_server import replying, response, server_context, serving
from wizard.checks import CheckOptions, entries, pieces_needed, prepare, run_domains
from wizard.lookup.lookup import Lookup

POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mx1.sts-good.test\r\nmx: *.backup.sts-good.test\r\nmax_age: 86400\r\n"


def test_a_batch_leaves_the_https_stack_to_the_first_domain_that_needs_it() -> None:
    assert prepare.HTTPS in pieces_needed(CheckOptions())
    assert pieces_needed(CheckOptions(), batch=True) == [prepare.PSL]


@pytest.mark.lab
def test_a_batch_domain_with_mta_sts_gets_its_policy_checked(dns_lab: Lab, trusted: trustme.CA) -> None:
    domains = ["example.test", "sts-good.test", "dmarc-good.test"]

    async def main() -> list[str]:
        async with serving(replying(response(body=POLICY)), server_context(trusted, "mta-sts.sts-good.test")) as port:
            lookup = Lookup(dns_lab.settings(https_port=port))
            results = await run_domains(domains, lookup, concurrency=1)  # more domains than places: a batch
        return [str(entries(checks["mta_sts"])[0].status) for _, checks in results]

    assert asyncio.run(main())[1] == "pass"
