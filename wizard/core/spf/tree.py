"""The SPF include tree: per-term lookup costs, void lookups, and whether an include is authorized."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from wizard.core.answers import Answer, Outcome, Source, shared
from wizard.core.spf.evaluate import MAX_MX, Question, SpfResult, check_hosts, is_query_name, mx_host, question_key
from wizard.core.spf.record import (
    Kind,
    Mechanism,
    Modifier,
    Qualifier,
    SpfRecord,
    SpfSyntaxError,
    parse_lenient,
    spf_records,
)
from wizard.core.together import together

MAX_DEPTH = 12  # 11 nested includes already cost 11 lookups: deeper can only confirm "too many"
MAX_NODES = 60  # records fetched in one analysis
MAX_PROBES = 40  # a/mx/exists targets probed for void lookups in one analysis
MACRO_NOTE = "depends on the sender (macros): its target is known only during a check"


class NodeStatus(StrEnum):
    OK = "ok"
    MISSING = "missing"  # no SPF record at the name
    MULTIPLE = "multiple"  # more than one SPF record (permerror); the first is shown
    SYNTAX = "syntax"  # the record has syntax errors (permerror); the valid terms are shown
    LOOP = "loop"  # the name is already being evaluated further up: an include/redirect cycle
    FAILED = "failed"  # the TXT lookup failed (timeout, SERVFAIL): temperror
    MACRO = "macro"  # the name depends on the sender (macros), so it cannot be followed without one
    NOT_FOLLOWED = "not-followed"  # the analysis' depth or size bound was reached


FOLLOWED = (NodeStatus.OK, NodeStatus.MULTIPLE, NodeStatus.SYNTAX)


@dataclass
class TermCost:
    """One term of a record in evaluation order: its own lookup cost and the running worst-case total."""

    term: str
    kind: Kind | None = None  # for mechanisms
    qualifier: Qualifier | None = None
    reached: bool = True  # False after all, or for a redirect= that all makes ignored
    cost: int = 0
    total: int = 0
    void: bool | None = None  # True: its lookup finds nothing (for at least one client family); None: unknown
    void_ipv4: bool | None = None  # a: set when it depends on the family (A asked for IPv4 clients, AAAA for IPv6)
    void_ipv6: bool | None = None
    note: str = ""
    failed: str = ""  # a DNS failure seen while probing this term's target
    node: SpfNode | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"term": self.term, "cost": self.cost, "total": self.total}
        if self.void is not None:
            data["void"] = self.void
        if self.void_ipv4 is not None and self.void_ipv4 != self.void_ipv6:
            data["void_for"] = "IPv4" if self.void_ipv4 else "IPv6"
        if self.note:
            data["note"] = self.note
        if self.failed:
            data["failed"] = self.failed
        if self.node is not None:
            data["node"] = self.node.to_json()
        return data

    def voids_for(self, family: int) -> bool:
        """Whether this term's lookup is void for a client of IP version `family` (4 or 6)."""
        own = self.void_ipv4 if family == 4 else self.void_ipv6
        return bool(self.void if own is None else own)


@dataclass
class SpfNode:
    """A name in the tree: its SPF record (if any), its status, and its terms in evaluation order."""

    domain: str
    via: str = ""  # the term that led here; empty at the root
    status: NodeStatus = NodeStatus.OK
    records: tuple[str, ...] = ()
    detail: str = ""
    errors: list[SpfSyntaxError] = field(default_factory=list)
    parsed: SpfRecord | None = None
    terms: list[TermCost] = field(default_factory=list)
    outcome: Outcome | None = None  # the TXT lookup's outcome

    @property
    def record(self) -> str | None:
        return self.records[0] if self.records else None

    def walk(self) -> Iterator[SpfNode]:
        """This node and every node below it, depth first in evaluation order (a stack, not nested generators:
        each node is handed out once, not passed up through every level above it)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(term.node for term in reversed(node.terms) if term.node is not None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"domain": self.domain, "status": str(self.status), "record": self.record}
        if len(self.records) > 1:
            data["records"] = list(self.records)
        if self.detail:
            data["detail"] = self.detail
        if self.errors:
            data["errors"] = [str(e) for e in self.errors]
        data["terms"] = [t.to_json() for t in self.terms]
        return data


@dataclass
class TreeAnalysis:
    """The whole tree, the worst-case lookup total and the void lookups found.

    Void lookups depend on the client's address family (`a` asks A for IPv4 clients, AAAA for IPv6 ones):
    void_lookups is the worst case over both families, void_family names it ("IPv4", "IPv6", or "" when the
    two counts are equal)."""

    root: SpfNode
    lookups: int
    void_lookups: int
    complete: bool  # False when a bound stopped the walk: the totals are then lower bounds
    void_lookups_ipv4: int = 0
    void_lookups_ipv6: int = 0
    # What the source answered, by question_key: check_host() after the tree finds them in hand.
    answers: dict[Question, Answer] = field(default_factory=dict, repr=False, compare=False)

    @property
    def void_family(self) -> str:
        if self.void_lookups_ipv4 == self.void_lookups_ipv6:
            return ""
        return "IPv4" if self.void_lookups_ipv4 > self.void_lookups_ipv6 else "IPv6"

    def nodes(self) -> Iterator[SpfNode]:
        return self.root.walk()

    def terms(self) -> Iterator[tuple[SpfNode, TermCost]]:
        for node in self.nodes():
            for term in node.terms:
                yield node, term


class IncludeMemo:
    """The include subtrees of one run (`check` over a list of domains, one re-check), for the domains analysed
    after the first that reached them: a vendor's tree (`include:_spf.google.com` and the three records it
    includes) is fetched and costed once per run, not once per domain (in a batch of domains that include one
    vendor, 0.67 M of the 6.3 M instructions each domain cost). Plain data: the run that owns it decides how
    long it lives, and no run after it sees what it holds.

    Only a subtree whose analysis cannot depend on where it is reached is kept: every record in it followed
    (no lookup failure, loop or bound), no term probed for void lookups (a, mx, exists: their answers are the
    including domain's to count), and no longer than its answers' TTL. It is given again only where a fresh
    analysis would follow all of it: none of its names above it, within MAX_DEPTH and MAX_NODES from there.
    """

    def __init__(self, limit: int = 1024) -> None:
        self.limit = limit
        self._kept: dict[str, _KeptTree] = {}

    def get(self, target: str, ancestors: tuple[str, ...], fetched: int, now: float) -> _KeptTree | None:
        kept = self._kept.get(target)
        if kept is None or now >= kept.expires:
            return None
        if len(ancestors) + kept.depth >= MAX_DEPTH or fetched + kept.nodes > MAX_NODES:
            return None
        return kept if kept.names.isdisjoint(ancestors) else None

    def offer(self, node: SpfNode, answers: dict[Question, Answer], now: float) -> None:
        """Keep the subtree below an include, when it is one that does not depend on where it is reached."""
        kept = _KeptTree.of(node, answers, now)
        if kept is None:
            return
        if node.domain not in self._kept and len(self._kept) >= self.limit:
            del self._kept[next(iter(self._kept))]  # the oldest first
        self._kept[node.domain] = kept


@dataclass(frozen=True)
class _KeptTree:
    """A vendor's SPF subtree kept by IncludeMemo, with what decides whether it may be reused."""

    node: SpfNode
    names: frozenset[str]  # every record's name in it
    depth: int  # levels below its top
    nodes: int  # records fetched (MAX_NODES counts them)
    answers: dict[Question, Answer]  # its TXT answers, for the check_host() evaluations after the tree
    expires: float  # time.time() when the first of its answers' TTLs runs out

    @classmethod
    def of(cls, top: SpfNode, answers: dict[Question, Answer], now: float) -> _KeptTree | None:
        names: set[str] = set()
        kept: dict[Question, Answer] = {}
        depth = nodes = 0
        stack = [(top, 0)]
        while stack:
            node, level = stack.pop()
            key = question_key(node.domain, "TXT")
            answer = answers.get(key)
            if node.status not in _KEPT_STATUS or answer is None or answer.ttl is None or answer.outcome.is_failure:
                return None
            if any(term.kind in _PROBES for term in node.terms):
                return None
            names.add(node.domain)
            nodes += 1  # (a record included twice is fetched, and counted, twice)
            kept[key] = answer
            depth = max(depth, level)
            stack.extend((term.node, level + 1) for term in node.terms if term.node is not None)
        expires = now + min(answer.expires_in(now) or 0.0 for answer in kept.values())
        return cls(top, frozenset(names), depth, nodes, kept, expires)

    def copy(self, via: str) -> SpfNode:
        """The subtree as new nodes and terms (each analysis writes its own running totals into its terms),
        its top reached through `via`."""
        return _copied(self.node, via)


# A kept subtree holds records that were all fetched and read (a missing record too: NXDOMAIN and NODATA are
# answers), nothing that depends on the path to it (a loop, a bound) or on a lookup that failed.
_KEPT_STATUS = frozenset({NodeStatus.OK, NodeStatus.MISSING, NodeStatus.MULTIPLE, NodeStatus.SYNTAX})


def _copied(node: SpfNode, via: str) -> SpfNode:
    copy = SpfNode.__new__(SpfNode)
    copy.__dict__.update(node.__dict__)
    copy.via = via
    terms = []
    for term in node.terms:
        new = TermCost.__new__(TermCost)
        new.__dict__.update(term.__dict__)
        if term.node is not None:
            new.node = _copied(term.node, term.node.via)
        terms.append(new)
    copy.terms = terms
    return copy


async def analyze(
    source: Source, domain: str, *, evaluations_follow: bool = False, memo: IncludeMemo | None = None
) -> TreeAnalysis:
    """Fetch and cost the SPF tree of a domain.

    With `evaluations_follow` (check_host() runs next through the same shared source), the addresses of `mx`
    hosts are asked too, alongside the rest of the tree, so those evaluations find every answer in hand
    instead of waiting one more round trip. They are not counted: the costs are the tree's as before.
    With `memo` (one run's), an include subtree an earlier domain of the run reached is taken from it.
    """
    analyzer = _Analyzer(source, mx_addresses=evaluations_follow, memo=memo)
    root = await analyzer.node(domain.lower().removesuffix("."), "", ())
    totals = _Totals()
    totals.add(root)
    complete = not totals.not_followed and not analyzer.probes_skipped
    voids4, voids6 = totals.voids_ipv4, totals.voids_ipv6
    return TreeAnalysis(root, totals.lookups, max(voids4, voids6), complete, voids4, voids6, analyzer.answers)


class _Totals:
    """One walk over the tree, depth first in evaluation order: each term's running lookup total, the void
    lookups for IPv4 and for IPv6 clients, and whether a bound left a node not followed."""

    def __init__(self) -> None:
        self.lookups = 0
        self.voids_ipv4 = 0
        self.voids_ipv6 = 0
        self.not_followed = False

    def add(self, node: SpfNode) -> None:
        for term in node.terms:
            self.lookups += term.cost
            term.total = self.lookups
            void = bool(term.void)
            self.voids_ipv4 += void if term.void_ipv4 is None else term.void_ipv4
            self.voids_ipv6 += void if term.void_ipv6 is None else term.void_ipv6
            below = term.node
            if below is not None:
                if below.status in FOLLOWED:
                    self.add(below)
                elif below.status is NodeStatus.NOT_FOLLOWED:
                    self.not_followed = True


class _Analyzer:
    def __init__(self, source: Source, *, mx_addresses: bool = False, memo: IncludeMemo | None = None) -> None:
        self.source = shared(source)  # one lookup per name and type, shared by every term that needs it
        self.mx_addresses = mx_addresses
        self.memo = memo
        self.nodes = 0
        self.probes = 0
        self.probes_skipped = False
        self.answers: dict[Question, Answer] = {}

    async def node(self, domain: str, via: str, ancestors: tuple[str, ...]) -> SpfNode:
        if domain in ancestors:
            return SpfNode(domain, via, NodeStatus.LOOP, detail=f"{domain} is already being evaluated: a cycle")
        if len(ancestors) >= MAX_DEPTH or self.nodes >= MAX_NODES:
            reason = f"not followed: more than {MAX_DEPTH} levels" if ancestors else ""
            return SpfNode(domain, via, NodeStatus.NOT_FOLLOWED, detail=reason or f"over {MAX_NODES} records")
        self.nodes += 1
        answer = self.answers[question_key(domain, "TXT")] = await self.source.resolve(domain, "TXT")
        node = _node_from_answer(domain, via, answer)
        if node.status in FOLLOWED:
            assert node.record is not None
            node.parsed, node.errors = parse_lenient(node.record)
            if node.errors and node.status is NodeStatus.OK:
                node.status = NodeStatus.SYNTAX
                node.detail = "; ".join(str(e) for e in node.errors)
            node.terms = await self._terms(node.parsed, domain, (*ancestors, domain))
        return node

    async def _terms(self, record: SpfRecord, domain: str, ancestors: tuple[str, ...]) -> list[TermCost]:
        """Cost each term and fetch what it points at, all siblings at once."""
        costs: list[TermCost] = []
        jobs: list[Awaitable[None]] = []
        reached_all = False
        for term in record.in_evaluation_order:
            cost = TermCost(term.text or term.render())
            if isinstance(term, Mechanism):
                cost.kind, cost.qualifier = term.kind, term.qualifier
            costs.append(cost)
            if isinstance(term, Modifier):
                jobs.extend(self._modifier(term, cost, domain, ancestors, record.all is not None))
                continue
            if reached_all:
                cost.reached = False
                cost.note = "never evaluated: it comes after all"
                continue
            reached_all = term.kind is Kind.ALL
            if term.queries_dns:
                cost.cost = 1
                jobs.extend(self._mechanism(term, cost, domain, ancestors))
        if jobs:  # (a record of ip4, ip6 and all alone: no coroutine to await)
            await together(jobs)
        return costs

    def _modifier(
        self, term: Modifier, cost: TermCost, domain: str, ancestors: tuple[str, ...], has_all: bool
    ) -> list[Awaitable[None]]:
        if term.name == "exp":
            cost.note = "not counted: exp= is only looked up to explain a fail"
        elif term.name == "redirect" and has_all:
            cost.reached = False
            cost.note = "ignored: a record with all never uses redirect="
        elif term.name == "redirect":
            cost.cost = 1
            return [self._follow(term.value, term.render(), cost, ancestors)]
        return []

    def _mechanism(
        self, term: Mechanism, cost: TermCost, domain: str, ancestors: tuple[str, ...]
    ) -> list[Awaitable[None]]:
        target = (term.domain or domain).removesuffix(".")
        if term.kind is Kind.INCLUDE:
            return [self._follow(target, term.text, cost, ancestors)]
        if "%" in target:
            cost.note = MACRO_NOTE
            return []
        if term.kind is Kind.PTR:
            cost.note = "what it looks up depends on the sender's IP address"
            return []
        if self.probes >= MAX_PROBES:
            self.probes_skipped = True
            cost.note = "not probed for void lookups: too many terms"
            return []
        self.probes += 1
        return [_PROBES[term.kind](self, target, cost)]

    async def _follow(self, target: str, via: str, cost: TermCost, ancestors: tuple[str, ...]) -> None:
        if "%" in target:
            cost.note = MACRO_NOTE
            cost.node = SpfNode(target, via, NodeStatus.MACRO, detail=MACRO_NOTE)
            return
        if not is_query_name(target):
            cost.node = SpfNode(target, via, NodeStatus.MISSING, detail=f"{target!r} is not a valid DNS name")
            return
        target = target.lower()
        memo = self.memo
        kept = memo.get(target, ancestors, self.nodes, time.time()) if memo is not None else None
        if kept is not None:
            self.nodes += kept.nodes
            self.answers.update(kept.answers)
            cost.node = kept.copy(via)
        else:
            cost.node = await self.node(target, via, ancestors)
            if memo is not None:
                memo.offer(cost.node, self.answers, time.time())
        if cost.node.outcome in (Outcome.NXDOMAIN, Outcome.NODATA):
            cost.void = True
        elif cost.node.status is NodeStatus.FAILED:
            cost.failed = cost.node.detail

    async def _probe_a(self, target: str, cost: TermCost) -> None:
        """a: an IPv4 client's check asks A, an IPv6 client's AAAA (RFC 7208 5.3), so a name with only A records
        is a void lookup for IPv6 clients, and one with only AAAA for IPv4 clients."""
        v4, v6 = await together((self._lookup(target, "A", cost), self._lookup(target, "AAAA", cost)))
        if v4 is not None:
            cost.void_ipv4 = not v4.values
        if v6 is not None:
            cost.void_ipv6 = not v6.values
        if v4 is not None and v6 is not None:
            cost.void = cost.void_ipv4 or cost.void_ipv6
            if cost.void_ipv4 != cost.void_ipv6:
                family, rdtype = ("IPv4", "A") if cost.void_ipv4 else ("IPv6", "AAAA")
                cost.note = f"void for {family} clients: {target} has no {rdtype} record"

    async def _probe_exists(self, target: str, cost: TermCost) -> None:
        answer = await self._lookup(target, "A", cost)
        if answer is not None:
            cost.void = not answer.values

    async def _probe_mx(self, target: str, cost: TermCost) -> None:
        answer = await self._lookup(target, "MX", cost)
        if answer is None:
            return
        hosts = [h for h in (mx_host(v) for v in answer.values) if h]
        cost.void = not hosts
        if len(hosts) > MAX_MX:
            cost.note = f"{target} has {len(hosts)} MX hosts; over {MAX_MX} makes the check a permerror"
        elif self.mx_addresses:
            await self._prefetch_addresses(hosts)

    async def _prefetch_addresses(self, hosts: list[str]) -> None:
        """Ask the A and AAAA of each host now (an evaluation's `mx` asks them next); the answers are kept by
        the shared source, not looked at here."""
        questions = [(h, rdtype) for h in hosts if is_query_name(h) for rdtype in ("A", "AAAA")]
        answers = await together([self.source.resolve(*q) for q in questions])
        self.answers.update(zip((question_key(*q) for q in questions), answers, strict=True))

    async def _lookup(self, name: str, rdtype: str, cost: TermCost) -> Answer | None:
        """A probe's answer, or None (with the failure noted) when DNS failed or the name is unusable."""
        if not is_query_name(name):
            cost.void = True
            return None
        answer = self.answers[question_key(name, rdtype)] = await self.source.resolve(name, rdtype)
        if answer.outcome.is_failure:
            cost.failed = f"the {rdtype} lookup for {name} failed: {answer.outcome}"
            return None
        return answer


_PROBES: dict[Kind, Callable[[_Analyzer, str, TermCost], Awaitable[None]]] = {
    Kind.A: _Analyzer._probe_a,
    Kind.MX: _Analyzer._probe_mx,
    Kind.EXISTS: _Analyzer._probe_exists,
}


def _node_from_answer(domain: str, via: str, answer: Answer) -> SpfNode:
    node = SpfNode(domain, via, outcome=answer.outcome)
    if answer.outcome.is_failure:
        node.status = NodeStatus.FAILED
        node.detail = f"the TXT lookup for {domain} failed: {answer.outcome}" + (
            f" ({answer.detail})" if answer.detail else ""
        )
        return node
    node.records = spf_records(answer.txt) if answer.ok else ()
    if not node.records:
        node.status = NodeStatus.MISSING
        node.detail = f"{domain} has no SPF record" + (
            " (the name does not exist)" if answer.outcome is Outcome.NXDOMAIN else ""
        )
    elif len(node.records) > 1:
        node.status = NodeStatus.MULTIPLE
        node.detail = f"{domain} has {len(node.records)} SPF records; there must be only one"
    return node


def pass_path(root: SpfNode, target: str) -> list[str] | None:
    """The terms through which `target` is reached with pass-qualified includes or redirect, before any all.

    None when no such path exists (a ~include, an include after all, an ignored redirect, ...).
    """
    target = target.lower().removesuffix(".")
    for term in root.terms:
        node = term.node
        if node is None or not term.reached or term.qualifier not in (None, Qualifier.PASS):
            continue
        if node.domain == target and node.status in FOLLOWED:
            return [term.term]
        if node.status in FOLLOWED:
            below = pass_path(node, target)
            if below is not None:
                return [term.term, *below]
    return None


def find_node(root: SpfNode, domain: str) -> SpfNode | None:
    domain = domain.lower().removesuffix(".")
    return next((n for n in root.walk() if n.domain == domain and n.status in FOLLOWED), None)


@dataclass(frozen=True)
class Authorization:
    """Whether an expected include (CIMcloud's by default) is authorized by a domain's SPF tree.

    path: the pass-qualified terms that reach it; tested: each address taken from its own ip4/ip6 ranges
    with the check_host() result for it. temperror is set when a DNS failure left the answer open.
    """

    expected: str
    authorized: bool
    reason: str
    path: tuple[str, ...] = ()
    tested: tuple[tuple[str, str], ...] = ()
    temperror: bool = False
    limit: str = ""  # the RFC 7208 4.6.4 limit ("too-many-lookups", "void-lookups") that failed the check
    result: str = ""  # check_host()'s result for the first sampled address that did not pass

    def to_json(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "authorized": self.authorized,
            "reason": self.reason,
            "path": list(self.path),
            "tested": [{"ip": ip, "result": result} for ip, result in self.tested],
        }


def sample_addresses(record: SpfRecord) -> list[IPv4Address | IPv6Address]:
    """One address from each ip4/ip6 range of a record (the first host of the range)."""
    return [ip for ip, _ in record.samples]


async def authorization(source: Source, analysis: TreeAnalysis, expected: str) -> Authorization:
    """True when `expected` is reached through pass-qualified includes/redirect before any all, and
    check_host() passes for an address from each ip4/ip6 range of the expected include's own record.

    The evaluations start from the answers the analysis got (the same run's: its source answers each
    question once), so they ask `source` only what the tree did not, such as a macro's target.
    """
    source = shared(source)
    domain = analysis.root.domain
    expected = expected.lower().removesuffix(".")
    path = pass_path(analysis.root, expected)
    if path is None:
        reason = f"{domain}'s SPF record does not reach include:{expected} through pass-qualified terms before all"
        return Authorization(expected, False, reason)
    node = find_node(analysis.root, expected)
    samples = node.parsed.samples if node is not None and node.parsed is not None else ()
    addresses = [ip for ip, _ in samples]
    sender = f"postmaster@{domain}"
    evaluations = await check_hosts(source, addresses, domain, sender, domain, trace=False, answers=analysis.answers)
    tested = tuple((text, str(e.result)) for (_, text), e in zip(samples, evaluations, strict=True))
    failed = [(ip, e) for ip, e in zip(addresses, evaluations, strict=True) if e.result is not SpfResult.PASS]
    if not failed:
        reason = f"include:{expected} is reached via {' > '.join(path)}"
        if addresses:
            reason += f" and all {len(addresses)} of its sampled addresses pass"
        return Authorization(expected, True, reason, tuple(path), tested)
    ip, evaluation = failed[0]
    reason = f"check_host() gives {evaluation.result} for {ip} (from {expected}'s record): {evaluation.reason}"
    temperror = any(e.result is SpfResult.TEMPERROR for _, e in failed)
    limit = next((e.limit for _, e in failed if e.limit), "")
    return Authorization(expected, False, reason, tuple(path), tested, temperror, limit, str(evaluation.result))
