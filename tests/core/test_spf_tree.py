"""SPF tree analysis: what each term costs, the running and worst-case totals, voids, loops, concurrency."""

from __future__ import annotations

import asyncio

from wizard.core.answers import Answer
from wizard.core.spf.tree import MAX_DEPTH, NodeStatus, TreeAnalysis, analyze, authorization, pass_path
from wizard.lookup.memory import MemorySource


def analyse(zone: MemorySource, domain: str = "example.com") -> TreeAnalysis:
    return asyncio.run(analyze(zone, domain))


def costs(analysis: TreeAnalysis) -> list[tuple[str, int, int]]:
    return [(t.term, t.cost, t.total) for t in analysis.root.terms]


def test_every_dns_term_counts_with_or_without_domain_or_cidr() -> None:
    zone = MemorySource()
    zone.add(
        "example.com", "TXT", "v=spf1 a a/24 a:mail.example.com mx mx//64 ptr exists:x.example.com ip4:192.0.2.1 -all"
    )
    zone.add("example.com", "A", "192.0.2.1")
    zone.add("example.com", "MX", "10 mail.example.com.")
    zone.add("mail.example.com", "A", "192.0.2.2")
    zone.add("x.example.com", "A", "127.0.0.2")
    analysis = analyse(zone)
    assert costs(analysis) == [
        ("a", 1, 1),
        ("a/24", 1, 2),
        ("a:mail.example.com", 1, 3),
        ("mx", 1, 4),
        ("mx//64", 1, 5),
        ("ptr", 1, 6),
        ("exists:x.example.com", 1, 7),
        ("ip4:192.0.2.1", 0, 7),
        ("-all", 0, 7),
    ]
    # example.com and mail.example.com have only A records: the three a terms are void for an IPv6 client (AAAA)
    assert (analysis.lookups, analysis.void_lookups, analysis.void_family) == (7, 3, "IPv6")
    assert (analysis.void_lookups_ipv4, analysis.void_lookups_ipv6) == (0, 3)


def test_a_repeated_include_counts_each_time_and_exp_never() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 include:a.example.net include:b.example.net exp=why.example.com ~all")
    zone.add("a.example.net", "TXT", "v=spf1 include:shared.example.net -all")
    zone.add("b.example.net", "TXT", "v=spf1 include:shared.example.net mx -all")
    zone.add("b.example.net", "MX", "10 mx.example.net.")
    zone.add("shared.example.net", "TXT", "v=spf1 a:relay.example.net ip4:192.0.2.0/24 -all")
    zone.add("relay.example.net", "A", "192.0.2.9")
    analysis = analyse(zone)
    # include a (1) > shared (2) > a:relay (3); include b (4) > shared (5) > a:relay (6); mx (7)
    assert analysis.lookups == 7
    exp = analysis.root.terms[-1]
    assert (exp.term, exp.cost) == ("exp=why.example.com", 0)
    b_terms = analysis.root.terms[1].node
    assert b_terms is not None and [t.total for t in b_terms.terms] == [5, 7, 7]
    assert ("shared.example.net", "TXT") in zone.queries


def test_redirect_counts_after_the_mechanisms_and_is_ignored_next_to_all() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 redirect=_spf.example.net a")
    zone.add("example.com", "A", "192.0.2.1")
    zone.add("_spf.example.net", "TXT", "v=spf1 ip4:192.0.2.0/24 -all")
    assert costs(analyse(zone)) == [("a", 1, 1), ("redirect=_spf.example.net", 1, 2)]
    zone.add("other.com", "TXT", "v=spf1 redirect=_spf.example.net ~all")
    ignored = analyse(zone, "other.com")
    assert costs(ignored) == [("~all", 0, 0), ("redirect=_spf.example.net", 0, 0)]
    assert ignored.root.terms[1].node is None


def test_terms_after_all_are_never_evaluated() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 -all include:late.example.net")
    analysis = analyse(zone)
    assert analysis.lookups == 0
    assert not analysis.root.terms[1].reached
    assert ("late.example.net", "TXT") not in zone.queries


def test_void_lookups_are_names_without_records() -> None:
    zone = MemorySource()
    zone.add(
        "example.com", "TXT", "v=spf1 a:gone.example.com mx:nomx.example.com exists:e.example.com a:v6.example.com"
    )
    zone.add_name("nomx.example.com")
    zone.add("v6.example.com", "AAAA", "2001:db8::1")
    analysis = analyse(zone)
    assert [t.void for t in analysis.root.terms] == [True, True, True, True]
    # a:v6.example.com has only AAAA: void for IPv4 clients (they ask A), so IPv4 is the worst case
    assert (analysis.void_lookups_ipv4, analysis.void_lookups_ipv6) == (4, 3)
    assert (analysis.void_lookups, analysis.void_family) == (4, "IPv4")
    assert "void for IPv4 clients" in analysis.root.terms[3].note
    assert analysis.root.terms[3].to_json()["void_for"] == "IPv4"


def test_a_name_with_both_families_is_void_for_neither() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 a:dual.example.com a:v4.example.com ~all")
    zone.add("dual.example.com", "A", "192.0.2.1")
    zone.add("dual.example.com", "AAAA", "2001:db8::1")
    zone.add("v4.example.com", "A", "192.0.2.2")
    analysis = analyse(zone)
    assert [t.void for t in analysis.root.terms[:2]] == [False, True]
    assert (analysis.void_lookups_ipv4, analysis.void_lookups_ipv6, analysis.void_family) == (0, 1, "IPv6")


def test_a_loop_is_marked_and_not_followed() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 include:a.example.net ~all")
    zone.add("a.example.net", "TXT", "v=spf1 include:b.example.net")
    zone.add("b.example.net", "TXT", "v=spf1 include:a.example.net")
    analysis = analyse(zone)
    statuses = [(n.domain, n.status) for n in analysis.nodes()]
    assert statuses[-1] == ("a.example.net", NodeStatus.LOOP)
    assert analysis.lookups == 3


def test_a_chain_deeper_than_the_bound_stops_with_a_lower_bound() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 include:l1.example.com")
    for level in range(1, 30):
        zone.add(f"l{level}.example.com", "TXT", f"v=spf1 include:l{level + 1}.example.com")
    analysis = analyse(zone)
    assert not analysis.complete
    assert analysis.lookups == MAX_DEPTH
    assert len(zone.queries) == MAX_DEPTH


def test_a_failed_include_is_not_a_void_and_is_reported() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 include:dead.example.net ~all")
    zone.add_timeout("dead.example.net")
    term = analyse(zone).root.terms[0]
    assert term.void is None and "timeout" in term.failed
    assert term.node is not None and term.node.status is NodeStatus.FAILED


def test_pass_path_needs_pass_qualifiers_and_no_earlier_all() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 include:mid.example.net ~include:soft.example.net ~all")
    zone.add("mid.example.net", "TXT", "v=spf1 include:target.example.net -all")
    zone.add("soft.example.net", "TXT", "v=spf1 include:other.example.net -all")
    zone.add("target.example.net", "TXT", "v=spf1 ip4:192.0.2.0/24 -all")
    zone.add("other.example.net", "TXT", "v=spf1 ip4:198.51.100.0/24 -all")
    root = analyse(zone).root
    assert pass_path(root, "target.example.net") == ["include:mid.example.net", "include:target.example.net"]
    assert pass_path(root, "other.example.net") is None


class InFlight:
    """A Source that records how many questions were waiting at once."""

    def __init__(self, inner: MemorySource) -> None:
        self.inner = inner
        self.waiting = 0
        self.most = 0

    async def resolve(self, name: str, rdtype: str) -> Answer:
        self.waiting += 1
        self.most = max(self.most, self.waiting)
        await asyncio.sleep(0.001)
        try:
            return await self.inner.resolve(name, rdtype)
        finally:
            self.waiting -= 1


def test_sibling_includes_are_fetched_together() -> None:
    zone = MemorySource()
    siblings = [f"s{i}.example.net" for i in range(6)]
    zone.add("example.com", "TXT", "v=spf1 " + " ".join(f"include:{s}" for s in siblings) + " ~all")
    for sibling in siblings:
        zone.add(sibling, "TXT", "v=spf1 ip4:192.0.2.1 -all")
    source = InFlight(zone)
    analysis = asyncio.run(analyze(source, "example.com"))
    assert analysis.lookups == 6
    assert source.most == 6


def test_the_authorization_after_the_tree_asks_nothing_the_tree_asked() -> None:
    zone = MemorySource()
    zone.add("example.com", "TXT", "v=spf1 mx include:_spf.Vendor.example.net ~all")
    zone.add("example.com", "MX", "10 mx.example.com.")
    zone.add("mx.example.com", "A", "192.0.2.25")
    zone.add("_spf.vendor.example.net", "TXT", "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:c1::/48 ~all")
    analysis = asyncio.run(analyze(zone, "example.com", evaluations_follow=True))
    asked = list(zone.queries)
    auth = asyncio.run(authorization(zone, analysis, "_spf.vendor.example.net"))
    assert auth.authorized and auth.tested == (("198.51.100.1", "pass"), ("2001:db8:c1::1", "pass"))
    assert zone.queries == asked
