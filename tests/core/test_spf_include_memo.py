"""The run's include memo (IncludeMemo): a vendor's subtree fetched once per run gives every later domain the
analysis a fresh one would, costs it no question, and is not given where the analysis depends on the position."""

from __future__ import annotations

import asyncio
import json

import pytest

from wizard.core.spf.tree import MAX_DEPTH, IncludeMemo, NodeStatus, TreeAnalysis, analyze
from wizard.lookup.memory import MemorySource

VENDOR = "v=spf1 include:_n1.vendor.test include:_n2.vendor.test ~all"


def vendor_zone(ttl: int = 300) -> MemorySource:
    zone = MemorySource(ttl=ttl)
    zone.add("_spf.vendor.test", "TXT", VENDOR)
    zone.add("_n1.vendor.test", "TXT", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all")
    zone.add("_n2.vendor.test", "TXT", "v=spf1 ip4:198.51.100.0/24 ~all")
    zone.add("_spf.cimcloud.test", "TXT", "v=spf1 ip4:203.0.113.0/24 ~all")
    # the vendor's include reached after different costs: its terms' running totals differ by domain
    zone.add("one.test", "TXT", "v=spf1 include:_spf.vendor.test include:_spf.cimcloud.test ~all")
    zone.add("two.test", "TXT", "v=spf1 a mx include:_spf.cimcloud.test ?include:_spf.vendor.test ~all")
    zone.add("two.test", "A", "192.0.2.7")
    zone.add("two.test", "MX", "10 two.test.")
    return zone


def run(zone: MemorySource, domain: str, memo: IncludeMemo | None) -> TreeAnalysis:
    return asyncio.run(analyze(zone, domain, memo=memo))


def as_json(analysis: TreeAnalysis) -> str:
    return json.dumps(
        [analysis.root.to_json(), analysis.lookups, analysis.void_lookups, analysis.complete, sorted(analysis.answers)]
    )


@pytest.mark.parametrize("order", [("one.test", "two.test"), ("two.test", "one.test")])
def test_a_later_domain_gets_the_vendors_subtree_without_asking_and_as_a_fresh_analysis_gives_it(
    order: tuple[str, str],
) -> None:
    first, second = order
    zone, memo = vendor_zone(), IncludeMemo()
    kept_first = run(zone, first, memo)
    first_json = as_json(kept_first)
    zone.queries.clear()
    kept_second = run(zone, second, memo)
    asked = {name for name, _ in zone.queries}
    assert asked & {"_spf.vendor.test", "_n1.vendor.test", "_n2.vendor.test", "_spf.cimcloud.test"} == set()
    assert as_json(kept_second) == as_json(run(vendor_zone(), second, None))
    assert as_json(kept_first) == first_json, "the later domain's totals were written into the first's tree"


def test_a_subtree_is_not_given_where_the_depth_bound_would_cut_it() -> None:
    zone, memo = vendor_zone(), IncludeMemo()
    run(zone, "one.test", memo)  # keeps _spf.vendor.test (two levels deep) from the top
    for level in range(MAX_DEPTH - 2):  # a chain that reaches the vendor two levels above the bound
        zone.add(f"c{level}.test", "TXT", f"v=spf1 include:c{level + 1}.test ~all")
    zone.add(f"c{MAX_DEPTH - 2}.test", "TXT", "v=spf1 include:_spf.vendor.test ~all")
    deep = run(zone, "c0.test", memo)
    assert as_json(deep) == as_json(run(zone, "c0.test", None))
    assert any(n.status is NodeStatus.NOT_FOLLOWED for n in deep.nodes())


def test_a_subtree_holding_a_name_above_it_is_not_given_there() -> None:
    """Within one run every domain sees the same records, so only a record that changed meanwhile can put one of
    a kept subtree's names above it; the subtree is then analysed again, and the loop is found."""
    memo = IncludeMemo()
    run(vendor_zone(), "one.test", memo)  # keeps _spf.vendor.test, which includes _n1.vendor.test
    zone = MemorySource()
    zone.add("_spf.vendor.test", "TXT", VENDOR)
    zone.add("_n1.vendor.test", "TXT", "v=spf1 include:_spf.vendor.test ~all")  # _n1 now includes the vendor
    zone.add("_n2.vendor.test", "TXT", "v=spf1 ip4:198.51.100.0/24 ~all")
    looped = run(zone, "_n1.vendor.test", memo)
    assert as_json(looped) == as_json(run(zone, "_n1.vendor.test", None))
    assert NodeStatus.LOOP in [n.status for n in looped.nodes()]


def test_an_expired_answer_is_asked_again() -> None:
    zone, memo = vendor_zone(ttl=0), IncludeMemo()
    run(zone, "one.test", memo)
    zone.queries.clear()
    run(zone, "two.test", memo)
    assert ("_spf.vendor.test", "TXT") in zone.queries


def test_a_subtree_with_a_failed_lookup_is_not_kept() -> None:
    zone, memo = vendor_zone(), IncludeMemo()
    zone.add_timeout("_n2.vendor.test")
    failed = run(zone, "one.test", memo)
    assert any(n.status is NodeStatus.FAILED for n in failed.nodes())
    zone.queries.clear()
    run(zone, "two.test", memo)
    assert ("_n2.vendor.test", "TXT") in zone.queries, "a failure was kept for the rest of the run"


def test_a_subtree_whose_terms_probe_the_including_domains_costs_is_not_kept() -> None:
    zone, memo = vendor_zone(), IncludeMemo()
    zone.add("_spf.probing.test", "TXT", "v=spf1 a:mail.probing.test ~all")
    zone.add("p1.test", "TXT", "v=spf1 include:_spf.probing.test ~all")
    zone.add("p2.test", "TXT", "v=spf1 include:_spf.probing.test ~all")
    run(zone, "p1.test", memo)
    zone.queries.clear()
    second = run(zone, "p2.test", memo)
    assert ("mail.probing.test", "A") in zone.queries
    assert as_json(second) == as_json(run(zone, "p2.test", None))
