"""A thousand domains in one run: bounded concurrency keeps every deadline honest (no false dns.timeout),
every domain gets the findings its zone warrants, and results stream in as each domain finishes."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from tests.lab import Lab
from tests.lab.plugin import copy_zones
from wizard import checks
from wizard.checks import CheckOptions, DomainResults, entries, run_domains, stream_domains
from wizard.lookup.lookup import Lookup

pytestmark = pytest.mark.lab

VENDORS = ("mycimcloud.com", "google.com")
ZONE = """@ IN TXT "v=spf1 include:_spf.google.com include:_spf.mycimcloud.com ~all"
@ IN MX 10 mx.{name}.
mx IN A 192.0.2.25
_dmarc IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@{name}"
"""


def batch_zones(folder: Path, count: int) -> list[str]:
    """`count` zones alike but for their names, and the vendor zones their SPF includes."""
    copy_zones(folder, VENDORS)
    names = [f"b{i:04d}.test" for i in range(count)]
    for name in names:
        (folder / f"{name}.zone").write_text(ZONE.format(name=name))
    return names


def codes(results: DomainResults) -> tuple[str, ...]:
    return tuple(sorted(f.code for output in results.values() for r in entries(output) for f in r.findings))


@pytest.mark.timeout(600)
def test_a_thousand_lab_domains_give_no_timeout_and_the_same_findings(tmp_path: Path) -> None:
    names = batch_zones(tmp_path / "zones", 1000)
    with Lab.start(tmp_path / "zones", tmp_path / "lab", timeout=120) as lab:
        lookup = Lookup(lab.settings(timeout=10.0, query_timeout=2.0))
        results = asyncio.run(run_domains(names, lookup, CheckOptions()))

    assert [domain for domain, _ in results] == names, "results come back in the domains' order"
    seen = Counter(codes(checks) for _, checks in results)
    all_codes = {code for found in seen for code in found}
    assert not {c for c in all_codes if c.endswith((".timeout", ".lookup-failed"))}, seen
    assert len(seen) == 1, f"identical zones, different findings: {seen}"


def test_results_stream_as_each_domain_finishes_at_most_n_at_a_time(
    dns_lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["example.test", "nospf.test", "dmarc-good.test", "spf-lab.test", "broken.test"]
    running: list[str] = []
    most = 0
    real = checks.run_domain

    async def counted(domain: str, lookup: Lookup, options: CheckOptions | None = None) -> DomainResults:
        nonlocal most
        running.append(domain)
        most = max(most, len(running))
        try:
            return await real(domain, lookup, options)
        finally:
            running.remove(domain)

    monkeypatch.setattr(checks, "run_domain", counted)

    async def scenario() -> list[tuple[int, str]]:
        stream = stream_domains(names, Lookup(dns_lab.settings()), CheckOptions(only=("dns",)), concurrency=2)
        return [(index, domain) async for index, domain, _ in stream]

    finished = asyncio.run(scenario())
    assert sorted(finished) == list(enumerate(names)), "each result carries its domain's position"
    assert most == 2, "never more than --concurrency domains at a time"
