"""The one Lookup object: the resolver view, the authoritative view and the public-resolver view of a name.

Nothing is cached between calls, so a re-check sees what DNS says now. Every outcome (timeout, SERVFAIL,
NXDOMAIN, ...) comes back as an Answer; no DNS exception leaves this module, and every call is bounded by
the settings' deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import errno
import os
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, TypeVar

# Of dnspython, only its exceptions (for the except clauses): its resolver, message and query modules (130 M of the
# 460 M instructions a run spent before its first question, about 50 ms), and its names, types and rcodes (with
# idna: 37 M of 314 M), are imported where they are used, which a run over plain DNS, with the resolvers given or
# read from /etc/resolv.conf (wizard.lookup.system), does only for an unusual reply or name, a truncated reply
# (TCP), or DNS over HTTPS.
import dns.exception

from wizard.core.answers import Answer, AuthoritativeView, NameViews, Outcome, Shared, TxtRecord
from wizard.core.together import both, together
from wizard.lookup import system, wire
from wizard.lookup.settings import LookupSettings
from wizard.lookup.wire import Reply

if TYPE_CHECKING:
    import dns.asyncresolver
    import dns.message
    import dns.name
    import dns.resolver

T = TypeVar("T")
M = TypeVar("M")  # a run memo's type (Lookup.run_memo)
MAX_CNAME_HOPS = 8
RESOLVER_CNAME_HOPS = 16  # as dnspython's resolver follows a chain within one reply
ZONE_MEMORY = 4096  # zone cuts (and server lists, server addresses) one run holds at most
__all__ = ["AuthoritativeView", "Lookup", "NameViews"]

#: (zone, [(host, address)], outcome, detail): a zone's name servers, or why they could not be found.
Servers = tuple[str | None, list[tuple[str, str]], Outcome, str]
#: One question to one server, asked when called (a coroutine: it may run in a task of its own).
Ask = Callable[[], Coroutine[Any, Any, Answer]]
#: Servers, and whether the zone was taken from an enclosing name's zone rather than asked for.
Found = tuple[str | None, list[tuple[str, str]], Outcome, str, bool]


@dataclass(frozen=True)
class _Cut:
    """The zone a name belongs to (None when it could not be found: outcome and detail say why)."""

    zone: str | None
    outcome: Outcome = Outcome.OK
    detail: str = ""
    ns: Answer | None = None  # the zone's NS answer, when the question that found the zone asked it too


@lru_cache(maxsize=ZONE_MEMORY)
def _absolute(name: str) -> wire.QName:
    """The name to ask about (kept for the names asked again: a domain's TXT goes to the resolver and to every
    authoritative server; a QName is immutable)."""
    return wire.query_name(name)


def _negative_ttl(reply: Reply | None) -> int | None:
    """RFC 2308: the negative-caching TTL is the smaller of the SOA's TTL and its MINIMUM field."""
    if reply is None:
        return None
    for rrset in reply.authority:
        if rrset.rdtype == wire.SOA and len(rrset):
            return min(rrset.ttl, rrset.minimum)
    return None


def _records(rrset: wire.RRset) -> tuple[tuple[str, ...], tuple[TxtRecord, ...]]:
    if rrset.rdtype == wire.TXT:
        txt = tuple(TxtRecord(strings) for strings in rrset.strings)
        return tuple(t.text for t in txt), txt
    return rrset.values, ()


def _chain(reply: Reply, start: str, wanted: int, hops: int) -> tuple[wire.RRset | None, str]:
    """The wanted rrset along the CNAME chain in the reply's answer section from `start` (a name key), and the
    name the chain ended at."""
    current = start
    for _ in range(hops + 1):
        rrset = reply.get(reply.answer, current, wanted)
        if rrset is not None:
            return rrset, current
        cname = reply.get(reply.answer, current, wire.CNAME)
        if cname is None or wanted == wire.CNAME:
            break
        current = cname.target
    return None, current


class Lookup:
    """All DNS queries go through one of these, configured once from LookupSettings."""

    def __init__(self, settings: LookupSettings | None = None) -> None:
        self.settings = settings or LookupSettings()
        self._resolver: dns.asyncresolver.Resolver | None = None
        self._resolver_error = ""
        self._questions: Shared[Answer] = Shared()  # in flight only: nothing is kept
        self._resolutions: Shared[tuple[Answer, Reply | None]] = Shared()  # the resolver's, likewise
        self._run = False
        self._answered: dict[tuple[str, str], Answer] | None = None  # one domain's resolver answers (for_domain)
        self._viewed: Shared[AuthoritativeView] | None = None  # and its authoritative views, likewise
        self._label: tuple[LookupSettings, str] | None = None
        self._new_memory()
        self._plain = self._given_resolvers()
        if not self._plain:
            self._configure_resolver()

    def _new_memory(self) -> None:
        """Where zone cuts, name server lists and name server addresses are shared: while in flight only, or
        (in a run) for the rest of the run, holding at most ZONE_MEMORY of each."""
        self._cuts: Shared[_Cut] = Shared(ZONE_MEMORY)
        self._servers: Shared[Servers] = Shared(ZONE_MEMORY)
        self._hosts: Shared[tuple[str, ...]] = Shared(ZONE_MEMORY)
        self._memos: dict[type[Any], Any] = {}

    def run_memo(self, kind: type[M]) -> M | None:
        """The run's one `kind()` (made on first use), where the checks keep what every domain of the run may
        use again (wizard.core.spf.tree.IncludeMemo); None outside a run (for_run), so nothing a check keeps
        there outlives the run that made it."""
        if not self._run:
            return None
        memo = self._memos.get(kind)
        if memo is None:
            memo = self._memos[kind] = kind()
        return memo

    def for_run(self) -> Lookup:
        """This lookup for one run (`check` over a list of domains, one re-check): every zone cut, name server
        list and name server address is found once and shared by all the run's checks. The next run (a new
        `for_run()`) finds them again, so a changed delegation is seen. Records are not kept here; the checks keep
        what they may use again in the run's memos (run_memo: the SPF include subtrees, within their TTL)."""
        if self._run:
            return self
        run = copy.copy(self)
        run._run = True
        run._new_memory()
        return run

    def for_domain(self) -> Lookup:
        """This run's lookup for the checks of one domain: a question the resolver already answered for one of
        them (the domain's MX, asked by the SPF and the MTA-STS checks) is answered the same for the others
        instead of being asked again. Only for that domain's checks: the next domain, or the next check of the
        same domain in a later run, asks DNS again."""
        domain = copy.copy(self.for_run())
        domain._answered = {}
        domain._viewed = Shared()
        return domain

    @property
    def asks_once(self) -> bool:
        """Whether every resolver answer is kept and given to later askers (a domain's lookup, for_domain): the
        core's `shared` then adds no layer of its own (it cost a domain 1 M instructions, 8 %)."""
        return self._answered is not None

    def _given_resolvers(self) -> tuple[tuple[str, int], ...]:
        """The resolvers asked over plain DNS when known without dnspython's resolver: given in the settings, or
        the system's from /etc/resolv.conf; empty for DNS over HTTPS and whatever wizard.lookup.system leaves
        to dnspython."""
        if self.settings.doh:
            return ()
        return self.settings.nameservers or system.system_resolvers()

    def _configure_resolver(self) -> None:
        """dnspython's resolver, for DNS over HTTPS and a system configuration only it reads (Windows')."""
        import dns.resolver

        try:
            self._resolver = self._make_resolver()
        except (dns.resolver.NoResolverConfiguration, OSError, ValueError) as exc:  # ValueError: a bad address
            self._resolver_error = f"no DNS resolver is configured on this computer ({exc})"
            return
        self._plain = self._plain_resolvers()

    def _make_resolver(self) -> dns.asyncresolver.Resolver:
        """dnspython's resolver: the DoH resolvers given, else the system's configuration (given nameservers
        never come here: _given_resolvers has them)."""
        import dns.asyncresolver

        from wizard.lookup.doh import ProxiedDoHNameserver

        s = self.settings
        resolver = dns.asyncresolver.Resolver(system.RESOLV_CONF, configure=not s.doh)
        if s.doh:
            resolver.nameservers = [ProxiedDoHNameserver(url) for url in s.doh]
        resolver.use_edns(0, 0, s.edns_payload)
        resolver.timeout = s.query_timeout
        resolver.lifetime = s.timeout
        resolver.cache = None
        resolver.retry_servfail = False
        return resolver

    def _plain_resolvers(self) -> tuple[tuple[str, int], ...]:
        """The system's resolvers as dnspython's resolver read them, asked over plain DNS by this module's own
        transport, in order; empty when dnspython's resolver asks (DNS over HTTPS, or a configuration of
        another kind)."""
        resolver = self._resolver
        if resolver is None or self.settings.doh:
            return ()
        hosts = resolver.nameservers
        if not all(isinstance(h, str) for h in hosts):
            return ()
        return tuple((str(h), resolver.nameserver_ports.get(str(h), resolver.port)) for h in hosts)

    @property
    def resolver_label(self) -> str:
        """How answers name the resolver (asked for every resolver answer: made once per settings)."""
        made = self._label
        if made is not None and made[0] is self.settings:
            return made[1]
        if self.settings.doh:
            label = "DoH resolver " + ", ".join(self.settings.doh)
        elif self.settings.nameservers:
            label = "resolver " + ", ".join(f"{h}:{p}" for h, p in self.settings.nameservers)
        else:
            label = "system resolver"
        self._label = (self.settings, label)
        return label

    # --- the resolver view -------------------------------------------------------------------------

    def _shared(self, key: tuple[object, ...], make: Callable[[], Awaitable[Answer]]) -> Coroutine[Any, Any, Answer]:
        """Run one question once while it is in flight (see core.answers.Shared). Nothing is kept after it arrives, so a
        later check asks DNS again (no cache). (A function returning the awaitable: no coroutine of its own.)"""
        return self._questions.get((id(asyncio.get_running_loop()), *key), make)

    async def resolve(self, name: str, rdtype: str) -> Answer:
        """Ask the resolver (system configuration or the configured addresses), following CNAMEs."""
        answer, _ = await self._resolve_replied(name, rdtype)
        return answer

    async def _resolve_replied(self, name: str, rdtype: str) -> tuple[Answer, Reply | None]:
        """`resolve`, with the reply the answer came in (None when it was kept from an earlier question, or there
        was no reply)."""
        rdtype = rdtype.upper()
        key = (name.rstrip(".").lower(), rdtype)
        answered = self._answered
        if answered is not None and (answer := answered.get(key)) is not None:
            return answer, None
        shared = (id(asyncio.get_running_loop()), *key)
        answer, reply = await self._resolutions.get(shared, partial(self._resolve_reply, name, rdtype))
        if answered is not None:
            answered[key] = answer
        return answer, reply

    def _resolve_reply(self, name: str, rdtype: str) -> Awaitable[tuple[Answer, Reply | None]]:
        """The resolver's answer and the fields of the reply it came in, or None without one. (A function
        returning the transport's coroutine: no coroutine of its own between the question and the socket.)"""
        label = self.resolver_label
        resolver = self._resolver
        if resolver is None and not self._plain:
            return _given((Answer(name, rdtype, Outcome.ERROR, server=label, detail=self._resolver_error), None))
        try:
            qname = _absolute(name)
        except dns.exception.DNSException as exc:
            detail = f"not a valid DNS name: {exc}"
            return _given((Answer(name, rdtype, Outcome.ERROR, server=label, detail=detail), None))
        if self._plain or resolver is None:  # plain: each exchange and backoff ends by the deadline, no timer needed
            return self._resolve_plain(qname, name, rdtype)
        return self._resolve_dnspython(resolver, qname, name, rdtype)

    async def _resolve_dnspython(
        self, resolver: dns.asyncresolver.Resolver, qname: wire.QName, name: str, rdtype: str
    ) -> tuple[Answer, Reply | None]:
        """The resolver's answer through dnspython's resolver (DNS over HTTPS, a system configuration this
        module's transport does not ask itself)."""
        import dns.resolver

        label = self.resolver_label
        try:
            async with asyncio.timeout(self.settings.timeout + 0.5):
                result = await resolver.resolve(qname.name, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN as exc:
            responses: dict[dns.name.Name, dns.message.Message] = exc.responses()  # type: ignore[no-untyped-call]
            response = responses.get(qname.name) or next(iter(responses.values()), None)
            reply = Reply.from_message(response) if response is not None else None
            answer = Answer(name, rdtype, Outcome.NXDOMAIN, ttl=_negative_ttl(reply), server=label)
            return answer, reply
        except (dns.resolver.LifetimeTimeout, dns.exception.Timeout, TimeoutError):
            return _resolver_timeout(name, rdtype, label, self.settings.timeout), None
        except dns.resolver.NoNameservers as exc:
            outcome, detail = _classify_no_nameservers(exc)
            return Answer(name, rdtype, outcome, server=label, detail=detail), None
        except dns.resolver.YXDOMAIN:
            return Answer(name, rdtype, Outcome.ERROR, server=label, detail="the name is too long after DNAME"), None
        except dns.exception.DNSException as exc:
            return Answer(name, rdtype, Outcome.ERROR, server=label, detail=str(exc)), None
        except OSError as exc:
            return Answer(name, rdtype, _os_outcome(exc), server=label, detail=_os_detail(exc)), None
        reply = Reply.from_message(result.response)
        return _resolver_answer(reply, qname, name, rdtype, label), reply

    async def _resolve_plain(self, qname: wire.QName, name: str, rdtype: str) -> tuple[Answer, Reply | None]:
        """The resolver's answer over plain DNS, asked the way dnspython's Resolver asks: each resolver in turn;
        one that fails (an error rcode, a broken reply, a refused connection) is left out, a silent one asked
        again after a backoff, until the deadline."""
        s = self.settings
        label = self.resolver_label
        loop = asyncio.get_running_loop()
        deadline = loop.time() + s.timeout
        servers = list(self._plain)
        errors: list[tuple[str, object]] = []
        backoff = 0.1
        while servers:
            for host, port in list(servers):
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return _resolver_timeout(name, rdtype, label, s.timeout), None
                try:
                    within = min(s.query_timeout, remaining)
                    reply = await self._exchange(qname, rdtype, host, port, recursive=True, within=within)
                except (dns.exception.Timeout, TimeoutError):
                    continue
                except (OSError, EOFError, dns.exception.DNSException) as exc:
                    errors.append((f"Do53:{host}@{port}", exc))
                    servers.remove((host, port))
                    continue
                if reply.rcode in (wire.NOERROR, wire.NXDOMAIN):
                    return _resolver_answer(reply, qname, name, rdtype, label), reply
                if reply.rcode == wire.YXDOMAIN:
                    detail = "the name is too long after DNAME"
                    return Answer(name, rdtype, Outcome.ERROR, server=label, detail=detail), None
                errors.append((f"Do53:{host}@{port}", _rcode_text(reply.rcode)))
                servers.remove((host, port))
            if servers:
                await asyncio.sleep(max(0.0, min(backoff, deadline - loop.time())))
                backoff = min(backoff * 2, 2.0)
        outcome, detail = _classify_errors(errors)
        return Answer(name, rdtype, outcome, server=label, detail=detail), None

    async def _exchange(
        self, qname: wire.QName, rdtype: str, address: str, port: int, *, recursive: bool, within: float
    ) -> Reply:
        """One question to one server over UDP, and its reply (asked again over TCP when the reply is truncated).

        The query is built and the reply read by `wire` (a tenth of dnspython's CPU per message). Over UDP it
        goes out on the server's shared socket (`_Socket`: at most QUERIES_PER_SOCKET queries per socket and
        source port) with an ID no other query waiting there has, and waits up to `within` seconds for the
        datagram that answers it. When the time is up, a reply already waiting in the socket is still taken: it
        arrived while this process was busy, so it is no timeout (the deadline's timer and the socket can become
        ready in the same turn of the loop). Over TCP (truncated replies, the last try) it has a connection of
        its own. (One coroutine from the question to the socket: each layer between cost every query.)
        """
        question = wire.unnumbered_query(qname, rdtype, recursive=recursive, payload=self.settings.edns_payload)
        loop = asyncio.get_running_loop()
        sock = _socket_to(loop, address, port)
        if sock is None:  # a loop that watches no sockets: a datagram transport
            data = await _endpoint_exchange(loop, question, address, port, within)
        else:
            qid, done = sock.send(question, loop.time() + within)
            try:
                data = await done
            finally:
                sock.end(qid)
        if wire.truncated(data):
            return await self._tcp_exchange(qname, rdtype, address, port, recursive=recursive, within=within)
        return _reply(data)

    async def _tcp_exchange(
        self, qname: wire.QName, rdtype: str, address: str, port: int, *, recursive: bool, within: float
    ) -> Reply:
        """One question over TCP (dnspython: truncated replies and the last try are rare)."""
        import dns.asyncquery
        import dns.message

        query = dns.message.make_query(qname.name, rdtype, use_edns=0, payload=self.settings.edns_payload)
        if not recursive:
            query.flags &= ~wire.RD
        response = await dns.asyncquery.tcp(query, address, timeout=within, port=port)
        return Reply.from_message(response)

    # --- one server, asked directly ------------------------------------------------------------------

    async def query_server(
        self, address: str, port: int, name: str, rdtype: str, *, recursive: bool = False, label: str = ""
    ) -> Answer:
        """Send one question to one server, as a typed Answer (shared with callers asking the same meanwhile)."""
        key = ("server", address, port, name.rstrip(".").lower(), rdtype.upper(), recursive, label)
        return await self._shared(
            key, partial(self._query_server, address, port, name, rdtype, recursive=recursive, label=label)
        )

    async def _query_server(
        self, address: str, port: int, name: str, rdtype: str, *, recursive: bool, label: str
    ) -> Answer:
        """One question to one server.

        UDP (with TCP fallback on truncation) is retried on timeout; a last try over TCP tells a dead server
        (connection refused) from a network that drops UDP, and gets the answer where only TCP gets through.
        With recursive=False (authoritative use), a reply without the AA bit is reported as an ERROR: the
        server does not hold the zone (a lame delegation).
        """
        rdtype = rdtype.upper()
        server = label or f"{address}:{port}"
        qname = _absolute(name)
        s = self.settings
        udp_tries = max(1, s.retries + 1)
        for attempt in range(udp_tries + 1):
            exchange = self._exchange if attempt < udp_tries else self._tcp_exchange
            try:
                response = await exchange(qname, rdtype, address, port, recursive=recursive, within=s.query_timeout)
            except (dns.exception.Timeout, TimeoutError, EOFError):
                continue
            except OSError as exc:
                return Answer(name, rdtype, _os_outcome(exc), server=server, detail=_os_detail(exc))
            except dns.exception.DNSException as exc:
                return Answer(name, rdtype, Outcome.ERROR, server=server, detail=f"malformed reply: {exc}")
            return _interpret(response, qname, name, rdtype, server, recursive=recursive)
        detail = f"no answer to {udp_tries} UDP and 1 TCP tries of {s.query_timeout:g} s"
        return Answer(name, rdtype, Outcome.TIMEOUT, server=server, detail=detail)

    # --- the authoritative view ----------------------------------------------------------------------

    async def find_servers(self, name: str, *, own: bool = False) -> Servers:
        """The zone that holds `name` and its name servers as (host, address), found through the resolver.

        Without `own`, a name under one whose zone this run already asked for (or is asking for) is taken to
        be in that zone, so `_dmarc.example.com` costs no question of its own.
        """
        zone, servers, outcome, detail, _ = await self._find_servers(name, own=own)
        return zone, servers, outcome, detail

    async def name_servers(self, name: str) -> tuple[str | None, list[str], Outcome, str]:
        """The zone that holds `name` and the host names of its NS records (sorted, lower case, no final dot)."""
        zone, servers, outcome, detail = await self.find_servers(name)
        return zone, sorted({host for host, _ in servers}), outcome, detail

    async def _find_servers(
        self, name: str, *, own: bool
    ) -> tuple[str | None, list[tuple[str, str]], Outcome, str, bool]:
        name = name.rstrip(".").lower()
        cut, assumed = await self._zone_for(name, own=own)
        if cut.zone is None:
            return None, [], cut.outcome, cut.detail, False
        zone, servers, outcome, detail = await self._servers.get(
            self._key(cut.zone), partial(self._list_servers, cut.zone, cut.ns), self._keep_servers
        )
        return zone, list(servers), outcome, detail, assumed

    def _kept_servers(self, name: str, *, own: bool) -> Found | None:
        """What _find_servers gives when the run already holds the zone of `name` and its servers (as most of a
        domain's later questions find), else None. (Only cuts with a zone are kept.)"""
        asked = name if own else self._asked_enclosing(name)
        cut = self._cuts.kept.get(self._key(asked)) if asked is not None else None
        if cut is None or cut.zone is None:
            return None
        servers = self._servers.kept.get(self._key(cut.zone))
        if servers is None:
            return None
        zone, found, outcome, detail = servers
        return zone, list(found), outcome, detail, asked != name

    def _key(self, name: str) -> tuple[int, str]:
        return id(asyncio.get_running_loop()), name

    def _keep_cut(self, cut: _Cut) -> bool:
        return self._run and cut.zone is not None

    def _keep_servers(self, servers: Servers) -> bool:
        return self._run and servers[2] is Outcome.OK

    def _keep_addresses(self, addresses: tuple[str, ...]) -> bool:
        return self._run and bool(addresses)

    async def _zone_for(self, name: str, *, own: bool) -> tuple[_Cut, bool]:
        """The zone of `name`, and whether it was taken from an enclosing name's zone rather than asked."""
        enclosing = None if own else self._asked_enclosing(name)
        if enclosing is not None:
            cut = await self._cut(enclosing)
            if cut.zone is not None or enclosing == name:
                return cut, enclosing != name
        return await self._cut(name), False

    def _asked_enclosing(self, name: str) -> str | None:
        """The longest of `name` and its parents whose zone was asked for in this run (or is being asked)."""
        loop = id(asyncio.get_running_loop())
        labels = name.split(".")
        for i in range(len(labels)):
            candidate = ".".join(labels[i:])
            if self._cuts.asked((loop, candidate)):
                return candidate
        return None

    async def _cut(self, name: str) -> _Cut:
        return await self._cuts.get(self._key(name), partial(self._discover_zone, name), self._keep_cut)

    async def _discover_zone(self, name: str) -> _Cut:
        """One question: an answer at the name makes it a zone apex; a negative answer names the zone in the
        SOA of its authority section (RFC 2308). Only an alias (or a reply without that SOA) makes the parent
        name the next question.

        A name that looks like an apex (no `_label`: a domain) is asked for its NS records: NS records exist
        only where a zone starts, a negative answer names the zone as an SOA answer's would, and the name
        servers are then known with no question of their own (one query per domain fewer than an SOA and an
        NS). Any other name is asked for its SOA, and the domain under its last `_label` (whose zone likely
        holds it: `_dmarc.`, `<selector>._domainkey.`) for its NS at the same time, so when the SOA confirms
        that zone, its name servers cost no round trip after the SOA's."""
        apex = _likely_apex(name)
        if apex == name:
            answer, reply = await self._resolve_replied(name, "NS")
            if answer.outcome.is_failure:
                return _Cut(None, answer.outcome, f"could not find the zone of {name}: {_answer_detail(answer)}")
            if answer.ok and answer.canonical in ("", name):
                return _Cut(name, ns=answer)
            if reply is not None:
                return await self._cut_from(name, _zone_named(name, answer, reply))
            # a negative answer kept without its reply (a check asked first): the SOA question names the zone
        ns = asyncio.ensure_future(self.resolve(apex, "NS")) if apex and apex != name else None
        try:
            answer, reply = await self._resolve_reply(name, "SOA")
            if answer.outcome.is_failure:
                return _Cut(None, answer.outcome, f"could not find the zone of {name}: {_answer_detail(answer)}")
            zone = _zone_named(name, answer, reply)
            if zone == apex and ns is not None:
                return _Cut(zone, ns=await ns)
        finally:
            if ns is not None and not ns.done():
                ns.cancel()
        return await self._cut_from(name, zone)

    async def _cut_from(self, name: str, zone: str | None) -> _Cut:
        """The cut of `name` once its question named `zone` (None: the parent name's zone, asked next)."""
        if zone is not None:
            return _Cut(zone)
        parent = name.partition(".")[2]
        if not parent:
            return _Cut(None, Outcome.ERROR, f"no zone found for {name}")
        return await self._cut(parent)

    async def _list_servers(self, zone: str, asked: Answer | None = None) -> Servers:
        """The zone's NS names through the resolver (the answer `asked` when the zone was found, when it is one),
        and each one's addresses."""
        ns = asked if asked is not None and asked.ok and asked.canonical in ("", zone) else None
        ns = ns or await self.resolve(zone, "NS")
        if not ns.ok:
            return zone, [], ns.outcome, f"could not list the name servers of {zone}: {_answer_detail(ns)}"
        hosts = sorted({v.rstrip(".").lower() for v in ns.values})
        addresses = await self._addresses(hosts)
        servers = [(host, addr) for host, addrs in zip(hosts, addresses, strict=True) for addr in addrs]
        if not servers:
            return zone, [], Outcome.ERROR, f"none of the name servers of {zone} ({', '.join(hosts)}) has an address"
        return zone, servers, Outcome.OK, ""

    async def _addresses(self, hosts: list[str]) -> list[tuple[str, ...]]:
        """Each host's addresses: kept from earlier in the run (most are: a few providers' name servers serve
        most zones), the others asked concurrently."""
        keys = [self._key(h) for h in hosts]
        known = [self._hosts.kept.get(key) for key in keys]
        asked = iter(
            await together(
                [
                    self._hosts.get(key, partial(self._host_addresses, host), self._keep_addresses)
                    for host, key, addresses in zip(hosts, keys, known, strict=True)
                    if addresses is None
                ]
            )
        )
        return [addresses if addresses is not None else next(asked) for addresses in known]

    async def _host_addresses(self, host: str) -> tuple[str, ...]:
        v4 = await self.resolve(host, "A")
        if v4.ok:
            return v4.values
        v6 = await self.resolve(host, "AAAA")
        return v6.values if v6.ok else ()

    async def _servers_within_deadline(self, name: str, *, own: bool = False) -> Found:
        """find_servers within the deadline (answers that came while this process was busy still count), in
        this task: a deadline, not a task and a wait of its own; none at all when the run holds the answer."""
        kept = self._kept_servers(name.rstrip(".").lower(), own=own)
        if kept is not None:
            return kept
        async with _Deadline(self.settings.timeout):
            return await self._find_servers(name, own=own)
        detail = f"finding the name servers took longer than {self.settings.timeout:g} s"
        return None, [], Outcome.TIMEOUT, detail, False

    def authoritative(self, name: str, rdtype: str) -> Awaitable[AuthoritativeView]:
        """Ask every authoritative server of the name's zone directly, concurrently, within the deadline.

        A domain's lookup (for_domain) asks each name and type once for all the domain's checks, as it does the
        resolver: run_domain's first wave asks the dns and DKIM checks' questions before those checks are
        loaded, and the checks get those views."""
        viewed = self._viewed
        if viewed is None:
            return self._authoritative(name, rdtype)
        key = (name.rstrip(".").lower(), rdtype.upper())
        return viewed.get(key, partial(self._authoritative, name, rdtype), keep=True)

    async def _authoritative(self, name: str, rdtype: str, _hops: int = 0) -> AuthoritativeView:
        rdtype = rdtype.upper()
        zone, servers, outcome, detail, assumed = await self._servers_within_deadline(name)
        if outcome is not Outcome.OK:
            return AuthoritativeView(name, rdtype, zone, outcome, detail=detail)
        answers = await self._ask_servers(servers, name, rdtype)
        if assumed and any(a.outcome is Outcome.ERROR for a in answers):
            # The zone was an enclosing name's: a server that does not answer for the name may mean that the
            # name is delegated further down, so ask for its own zone.
            own_zone, own_servers, own_outcome, _, _ = await self._servers_within_deadline(name, own=True)
            if own_outcome is Outcome.OK and own_zone != zone:
                zone, answers = own_zone, await self._ask_servers(own_servers, name, rdtype)
        view = AuthoritativeView(name, rdtype, zone, Outcome.OK, tuple(answers))
        return await self._follow_cname(view, _hops)

    async def _ask_servers(self, servers: list[tuple[str, str]], name: str, rdtype: str) -> list[Answer]:
        port = self.settings.dns_port
        labels = [f"{host} ({addr})" for host, addr in servers]
        calls: list[Ask] = [
            partial(self.query_server, addr, port, name, rdtype, label=label)
            for (_, addr), label in zip(servers, labels, strict=True)
        ]
        return await self._bounded(calls, labels, name, rdtype)

    async def _follow_cname(self, view: AuthoritativeView, hops: int) -> AuthoritativeView:
        """When the servers agree that the name is an alias of a name they do not hold, ask that zone's servers."""
        first = view.consensus
        if first is None or hops >= MAX_CNAME_HOPS or not _is_alias_only(first):
            return view
        target = await self._authoritative(first.canonical, view.rdtype, hops + 1)
        return AuthoritativeView(
            view.name, view.rdtype, view.zone, view.outcome, view.servers, view.detail, followed=target
        )

    async def _bounded(
        self,
        calls: list[Ask],
        labels: list[str],
        name: str,
        rdtype: str,
        deadline: _Deadline | None = None,
    ) -> list[Answer]:
        """Run the calls concurrently; any still running at the deadline (the settings' timeout, or sooner when
        the caller brings it forward) becomes a TIMEOUT answer. Calls still running are cancelled, also when
        this is cancelled.

        The first call runs in this task and each other in a task of its own, under one timer: asyncio.wait
        would add a future, a timer and a callback on every task each time it is called."""
        deadline = deadline or _Deadline(self.settings.timeout)
        loop = asyncio.get_running_loop()
        others = [loop.create_task(call()) for call in calls[1:]]
        got: list[Answer | None] = [None] * len(calls)
        try:
            async with deadline:
                if calls:
                    got[0] = await calls[0]()
                for i, task in enumerate(others, 1):
                    got[i] = await task
        finally:
            pending = [task for task in others if not task.done()]
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for i, task in enumerate(others, 1):
            if got[i] is None and not task.cancelled():
                got[i] = task.result()
        detail = deadline.detail or f"no answer within {self.settings.timeout:g} s"
        return [
            answer if answer is not None else Answer(name, rdtype, Outcome.TIMEOUT, server=label, detail=detail)
            for answer, label in zip(got, labels, strict=True)
        ]

    # --- the public resolvers ------------------------------------------------------------------------

    async def public(self, name: str, rdtype: str, deadline: _Deadline | None = None) -> tuple[Answer, ...]:
        """Ask each public resolver, for propagation: Google, Cloudflare and Quad9 over DNS over HTTPS, or the
        resolvers configured to be asked over plain DNS (a lab).

        Those still silent at the deadline are reported as timeouts (`views` brings it forward once the other
        views are in).
        """
        if not self.settings.public_resolvers:
            return ()
        calls: list[Ask]
        if self.settings.public_resolver_addresses:
            targets = self.settings.public_resolver_addresses
            labels = [f"{label} {host}:{port}" for label, host, port in targets]
            calls = [
                partial(self.query_server, host, port, name, rdtype, recursive=True, label=label)
                for (_, host, port), label in zip(targets, labels, strict=True)
            ]
        else:
            labels = [f"{label} (DoH)" for label, _ in self.settings.public_doh]
            calls = [
                partial(self.query_doh, url, name, rdtype, label=label)
                for (_, url), label in zip(self.settings.public_doh, labels, strict=True)
            ]
        return tuple(await self._bounded(calls, labels, name, rdtype.upper(), deadline))

    async def query_doh(self, url: str, name: str, rdtype: str, *, label: str = "") -> Answer:
        """One recursive question to a DNS-over-HTTPS resolver, as a typed Answer."""
        key = ("doh", url, name.rstrip(".").lower(), rdtype.upper(), label)
        return await self._shared(key, partial(self._query_doh, url, name, rdtype.upper(), label or url))

    async def _query_doh(self, url: str, name: str, rdtype: str, server: str) -> Answer:
        import dns.message
        import httpx2  # loaded by the first DoH query, not by every run's start-up

        from wizard.lookup.doh import doh_query

        s = self.settings
        try:
            qname = _absolute(name)
        except dns.exception.DNSException as exc:
            return Answer(name, rdtype, Outcome.ERROR, server=server, detail=f"not a valid DNS name: {exc}")
        query = dns.message.make_query(qname.name, rdtype, use_edns=0, payload=s.edns_payload)
        try:
            response = await doh_query(query, url, s.timeout)
        except (dns.exception.Timeout, TimeoutError, httpx2.TimeoutException):
            return Answer(name, rdtype, Outcome.TIMEOUT, server=server, detail=f"no answer within {s.timeout:g} s")
        except (httpx2.ConnectError, httpx2.ProxyError, OSError) as exc:
            return Answer(name, rdtype, Outcome.UNREACHABLE, server=server, detail=f"cannot reach {url}: {exc}")
        except (httpx2.HTTPError, ValueError, dns.exception.DNSException) as exc:
            return Answer(name, rdtype, Outcome.ERROR, server=server, detail=f"DNS over HTTPS failed: {exc}")
        return _interpret(response, qname, name, rdtype, server, recursive=True)

    async def views(self, name: str, rdtype: str) -> NameViews:
        """The resolver, authoritative and public views of one name, taken concurrently.

        Public resolvers only show propagation: where a network drops DNS to them, they get
        `public_grace` seconds after the other views are in, not the whole deadline.
        """
        if not self.settings.public_resolvers:  # no task or timer for them (a batch asks this per domain)
            resolver, authoritative = await both(self.resolve(name, rdtype), self.authoritative(name, rdtype))
            return NameViews(resolver, authoritative, (), _blocked(resolver, _direct_answers(authoritative)))
        grace = _Deadline(self.settings.timeout, "no answer by the time the other servers had answered")
        public = asyncio.ensure_future(self.public(name, rdtype, grace))
        try:
            resolver, authoritative = await both(self.resolve(name, rdtype), self.authoritative(name, rdtype))
            grace.sooner(self.settings.public_grace)
            answers = await public
            direct = _direct_answers(authoritative) + (answers if self.settings.public_resolver_addresses else ())
            return NameViews(resolver, authoritative, answers, _blocked(resolver, direct))
        finally:
            public.cancel()


async def _given(value: T) -> T:
    """`value`, as an awaitable (for a function that returns a coroutine, when the answer is known at once)."""
    return value


class _Deadline:
    """A deadline for what one task awaits in an `async with` block, as asyncio.timeout sets one, but fair to a
    busy process: when it comes, the loop first runs SETTLE_ROUNDS more rounds (each reading the sockets), so
    answers that arrived while this process was busy still reach their callers; only then is the block
    cancelled. That cancellation ends the block quietly (`expired` says so). One timer, no task of its own.

    `detail` is what a caller says of an answer missing because `sooner` brought the deadline forward.
    """

    def __init__(self, seconds: float, sooner_detail: str = "") -> None:
        self.seconds = seconds
        self.expired = False
        self.detail = ""
        self._sooner_detail = sooner_detail
        self._sooner: float | None = None
        self._state = "new"  # "open" inside the block, "closed" after it
        self._rounds = SETTLE_ROUNDS
        self._when = 0.0
        self._timer: asyncio.Handle | None = None

    async def __aenter__(self) -> _Deadline:
        self._loop = loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None  # (an async with runs in a task)
        self._task, self._cancelling = task, task.cancelling()
        self._state = "open"
        self._when = loop.time() + self.seconds
        self._timer = loop.call_at(self._when, self._settle)
        if self._sooner is not None:
            self.sooner(self._sooner)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> bool:
        self._state = "closed"
        if self._timer is not None:
            self._timer.cancel()
        if not self.expired:
            return False
        return self._task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError

    def sooner(self, seconds: float) -> None:
        """Bring the deadline forward to `seconds` from now, if that is sooner (before the block: once in it)."""
        if self._state == "new":
            self._sooner = seconds
            return
        when = self._loop.time() + seconds
        if self._state != "open" or when >= self._when or self._rounds < SETTLE_ROUNDS:
            return
        assert self._timer is not None
        self._timer.cancel()
        self._when = when
        self._timer = self._loop.call_at(when, self._settle)
        self.detail = self._sooner_detail

    def _settle(self) -> None:
        if self._state != "open":
            return
        if self._rounds:
            self._rounds -= 1
            self._timer = self._loop.call_soon(self._settle)
            return
        self.expired = True
        self._task.cancel()


SETTLE_ROUNDS = 10  # event loop rounds that answers already received need to reach their caller


def _interpret(
    response: Reply | dns.message.Message,
    qname: wire.QName | dns.name.Name,
    name: str,
    rdtype: str,
    server: str,
    *,
    recursive: bool,
) -> Answer:
    """Turn one server's reply into an Answer, following CNAMEs within the reply."""
    received = time.time()
    reply = response if isinstance(response, Reply) else Reply.from_message(response)
    rcode = reply.rcode
    aa = reply.authoritative
    if rcode == wire.SERVFAIL:
        return Answer(name, rdtype, Outcome.SERVFAIL, server=server, detail="the server answered SERVFAIL")
    if rcode == wire.REFUSED:
        return Answer(name, rdtype, Outcome.REFUSED, server=server, detail="the server refused the question")
    if rcode not in (wire.NOERROR, wire.NXDOMAIN):
        return Answer(name, rdtype, Outcome.ERROR, server=server, detail=f"the server answered {_rcode_text(rcode)}")
    if not recursive and not aa and (rcode == wire.NXDOMAIN or reply.answer or _is_referral(reply)):
        return Answer(
            name, rdtype, Outcome.ERROR, server=server,
            detail="the server is listed for the zone but does not answer for it (lame delegation)",
        )  # fmt: skip
    start = qname.key if isinstance(qname, wire.QName) else wire.name_key(qname)
    rrset, current = _chain(reply, start, wire.rdtype_number(rdtype), MAX_CNAME_HOPS)
    if rrset is not None:
        values, txt = _records(rrset)
        return Answer(
            name, rdtype, Outcome.OK, values=values, txt=txt, ttl=rrset.ttl, server=server,
            canonical=current, received_at=received, authoritative=aa,
        )  # fmt: skip
    if current != start:
        # a CNAME whose target this server does not hold: the caller follows it
        return Answer(
            name, rdtype, Outcome.OK, server=server, canonical=current, received_at=received,
            authoritative=aa, detail=f"{name} is an alias of {current}, held elsewhere",
        )  # fmt: skip
    outcome = Outcome.NXDOMAIN if rcode == wire.NXDOMAIN else Outcome.NODATA
    return Answer(
        name, rdtype, outcome, ttl=_negative_ttl(reply), server=server, canonical=current,
        received_at=received, authoritative=aa,
    )  # fmt: skip


def _resolver_answer(reply: Reply, qname: wire.QName, name: str, rdtype: str, label: str) -> Answer:
    """The resolver view's Answer from a NOERROR or NXDOMAIN reply, as from dnspython's resolver: the CNAME
    chain within the reply followed; NXDOMAIN and NODATA with the negative-caching TTL."""
    if reply.rcode == wire.NXDOMAIN:
        return Answer(name, rdtype, Outcome.NXDOMAIN, ttl=_negative_ttl(reply), server=label)
    rrset, canonical = _chain(reply, qname.key, wire.rdtype_number(rdtype), RESOLVER_CNAME_HOPS)
    if rrset is None:
        return Answer(name, rdtype, Outcome.NODATA, ttl=_negative_ttl(reply), server=label, canonical=canonical)
    values, txt = _records(rrset)
    return Answer(name, rdtype, Outcome.OK, values=values, txt=txt, ttl=rrset.ttl, server=label, canonical=canonical)


def _rcode_text(rcode: int) -> str:
    import dns.rcode

    return dns.rcode.to_text(dns.rcode.Rcode.make(rcode))


def _resolver_timeout(name: str, rdtype: str, label: str, timeout: float) -> Answer:
    return Answer(name, rdtype, Outcome.TIMEOUT, server=label, detail=f"no answer within {timeout:g} s")


def _reply(data: bytes) -> Reply:
    """A reply's fields: read by `wire`, or by dnspython when it is unusual (a malformed one raises its error)."""
    reply = wire.read(data)
    if reply is None:
        import dns.message

        reply = Reply.from_message(dns.message.from_wire(data), data)
    return reply


def _socket_to(loop: asyncio.AbstractEventLoop, address: str, port: int) -> _Socket | None:
    """The socket taking queries to the server on this loop (a new one when there is none, or the last one
    retired), or None on a loop that watches no sockets (Windows' proactor)."""
    udp = _UDP.get(id(loop))
    if udp is None or udp.loop is not loop:
        udp = _UDP[id(loop)] = _Udp(loop)
    sock = udp.current.get((address, port))
    if sock is not None:
        return sock
    try:
        return _Socket(udp, address, port)
    except NotImplementedError:
        udp.close_if_idle()
        return None


QUERIES_PER_SOCKET = 32
"""How many queries one UDP socket serves before it retires and a new one (on a new random port) takes over, as
c-ares' `udp_max_queries` does.

A socket of its own per query cost ~13 us user + 41 us system CPU (socket, connect, watching it, close), one
reused ~4 + 14 us: a third. But a socket that serves many queries keeps one source port, and RFC 5452 counts
on the port being as unguessable as the ID: an off-path spoofer who learned the port of a long-lived socket has
only the 16-bit ID left to guess. At 32 the socket's own cost spread over its queries is ~1 us per query (all
but 3 % of what sharing can save), while a port stays in use for at most 32 queries, one round trip or two of a
batch run's traffic to one server. (Most sockets serve fewer: one closes as soon as no query waits on it.)
"""


class _Socket:
    """A connected UDP socket to one server, shared by the queries in flight to it.

    Connected: the kernel drops datagrams from other addresses, and a refused port is an error at once. Each
    query's ID is unique among the queries waiting here, and a datagram is taken only by the query whose ID
    and question it matches (`wire.answers`); anything else (a late reply to a query that gave up, a spoof) is
    dropped. The socket takes QUERIES_PER_SOCKET queries, then no more; it is closed as soon as no query
    waits on it (so none outlives a run, nor a cancelled query once its siblings end), and at once on an error
    (a refused port: every query waiting fails with it).
    """

    __slots__ = ("fd", "key", "served", "sock", "udp", "waiting")

    def __init__(self, udp: _Udp, address: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM | _NONBLOCK)
        try:
            if not _NONBLOCK:
                sock.setblocking(False)
            sock.connect((address, port))
            udp.watch(sock.fileno(), self.readable)
        except BaseException:
            sock.close()
            raise
        self.udp = udp
        self.key = (address, port)
        self.sock: socket.socket | None = sock
        self.fd = sock.fileno()
        self.waiting: dict[bytes, tuple[bytes, asyncio.Future[bytes]]] = {}  # by query ID (2 bytes)
        self.served = 0
        udp.current[self.key] = self

    def send(self, question: bytes, when: float) -> tuple[bytes, asyncio.Future[bytes]]:
        """Send the query with an ID of its own here; its ID and the future its reply comes in (expiring at
        loop time `when`). A send that fails fails every query waiting here."""
        waiting = self.waiting
        qid = _query_id().to_bytes(2, "big")
        while qid in waiting:
            qid = _query_id().to_bytes(2, "big")
        query = qid + question
        done = self.udp.loop.create_future()
        waiting[qid] = (query, done)
        self.served += 1
        if self.served >= QUERIES_PER_SOCKET:
            self._retire()
        self.udp.expire_at(when, done, self)
        assert self.sock is not None  # (open while a query waits on it)
        try:
            self.sock.send(query)
        except BlockingIOError:  # no room (never seen: a datagram leaves at once): lost, as on the network
            self._retire()
        except OSError as exc:
            self.fail(exc)
        return qid, done

    def readable(self) -> None:
        """Give each datagram waiting to the query it answers."""
        sock = self.sock
        waiting = self.waiting
        while sock is not None:
            try:
                data = sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.fail(exc)
                return
            asked = waiting.get(data[:2])
            if asked is not None and not asked[1].done() and wire.answers(asked[0], data):
                asked[1].set_result(data)

    def end(self, qid: bytes) -> None:
        """The query `qid` is over (answered, expired, failed or cancelled): the last one closes the socket."""
        waiting = self.waiting
        waiting.pop(qid, None)
        if not waiting:
            self.close()

    def fail(self, exc: OSError) -> None:
        """An error on the socket (ECONNREFUSED from an ICMP port unreachable, ...): every query waiting fails
        with it (each with an error of its own: one raised in many tasks would gather all their tracebacks),
        and the socket is closed."""
        for _, done in self.waiting.values():
            if not done.done():
                done.set_exception(type(exc)(exc.errno, exc.strerror))
        self.close()

    def close(self) -> None:
        sock = self.sock
        if sock is None:
            return
        self.sock = None
        self._retire()
        self.udp.unwatch(self.fd)
        sock.close()

    def _retire(self) -> None:
        """Take no more queries: the next query to this server opens a new socket."""
        if self.udp.current.get(self.key) is self:
            del self.udp.current[self.key]


_NONBLOCK = getattr(socket, "SOCK_NONBLOCK", 0)  # made non-blocking by socket() itself (Linux): no fcntl calls
_IDS: list[int] = []  # query IDs drawn from the system's CSPRNG, 512 at a time


def _query_id() -> int:
    """A random query ID (RFC 5452), from os.urandom as secrets.randbits would take it, but one system call per
    512 queries instead of one per query (list.pop is atomic: lookups in other threads may draw too)."""
    try:
        return _IDS.pop()
    except IndexError:
        _IDS.extend(memoryview(os.urandom(1024)).cast("H"))
        return _IDS.pop()


class _Udp:
    """The UDP query sockets of one event loop (`_Socket`): the one taking queries to each server, the sockets
    watched, and the queries' deadlines, in a heap of this module's own under one timer of the loop.

    On Linux with asyncio's own selector loop the sockets are watched in an epoll set of this module's own,
    which the loop watches as one file descriptor: asyncio's add_reader/remove_reader cost 17 us of CPU per
    socket (its selector's keys and handles, a weak dictionary of transports), registering in an epoll set
    directly 3 us. Elsewhere (another platform, Qt's loop) each socket is watched with the loop's add_reader;
    a loop without it (Windows' proactor) sends each query from a fresh socket through a datagram transport
    (`_endpoint_exchange`: sharing there would need a protocol of its own, for no CPU that matters there).
    A deadline is a plain tuple, not a call_later per query: cancelled timers stay in the loop's heap, ordered
    by a comparison written in Python (4 % of the CPU); the loop's one timer is set for the earliest. All of
    it is closed with the last socket, so no file descriptor or timer outlives a run.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        import heapq
        import select  # (here, not at the top: only what a query needs, when it needs it)

        self.push, self.pop = heapq.heappush, heapq.heappop
        self.loop = loop
        self.current: dict[tuple[str, int], _Socket] = {}  # by (address, port): the socket taking queries
        self.watching: dict[int, Callable[[], None]] = {}  # by file descriptor: every socket still open
        # a heap of (when, order, the query's future, its socket): at `when`, the socket is read once more, and
        # the query, unless that answered it, fails with TimeoutError
        self.deadlines: list[tuple[float, int, asyncio.Future[bytes], _Socket]] = []
        self.order = 0
        # the loop's one timer and when it fires (kept here: Qt's loop gives a handle without `when()`)
        self.timer: asyncio.Handle | None = None
        self.timer_at = 0.0
        self.epoll: Any = None
        if type(loop) is asyncio.SelectorEventLoop and hasattr(select, "epoll"):
            self.epoll = select.epoll()
            self.flag = select.EPOLLIN
            loop.add_reader(self.epoll.fileno(), self._ready)

    def watch(self, fd: int, readable: Callable[[], None]) -> None:
        """Call `readable` whenever a datagram (or an error) waits in `fd`, until `unwatch`. NotImplementedError
        on a loop that watches no sockets."""
        if self.epoll is not None:
            self.epoll.register(fd, self.flag)
        else:
            self.loop.add_reader(fd, readable)
        self.watching[fd] = readable

    def unwatch(self, fd: int) -> None:
        """Stop watching `fd` (before its socket is closed); the last one closes this."""
        del self.watching[fd]
        if self.epoll is not None:
            self.epoll.unregister(fd)
        else:
            self.loop.remove_reader(fd)
        self.close_if_idle()

    def close_if_idle(self) -> None:
        """With no socket left, close the epoll set and the timer, and forget this loop."""
        if self.watching:
            return
        if _UDP.get(id(self.loop)) is self:
            del _UDP[id(self.loop)]
        if self.epoll is not None:
            self.loop.remove_reader(self.epoll.fileno())
            self.epoll.close()
            self.epoll = None
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.deadlines.clear()  # every query is over: what is left expires nothing

    def expire_at(self, when: float, done: asyncio.Future[bytes], sock: _Socket) -> None:
        """At loop time `when`, fail the query of `done` (sent from `sock`) with TimeoutError unless it is done
        by then."""
        self.order += 1
        self.push(self.deadlines, (when, self.order, done, sock))
        if self.timer is None or when < self.timer_at:
            self._arm()

    def _ready(self) -> None:
        watching = self.watching
        for fd, _ in self.epoll.poll(0):
            readable = watching.get(fd)
            if readable is not None:
                readable()

    def _arm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = None
        if self.deadlines:
            self.timer_at = self.deadlines[0][0]
            self.timer = self.loop.call_at(self.timer_at, self._expire)

    def _expire(self) -> None:
        """Expire the queries whose time has come (each after reading its socket once more), drop the deadlines
        of queries already over (most are: the answer came long before), and set the timer for the first query
        still waiting. The timer so fires about once per query timeout, not once per query."""
        self.timer = None
        now = self.loop.time()
        deadlines = self.deadlines
        while deadlines:
            when, _, done, sock = deadlines[0]
            if not done.done() and when > now:
                break
            self.pop(deadlines)
            if not done.done():
                sock.readable()
                if not done.done():
                    done.set_exception(TimeoutError())
        if deadlines and self.watching:
            self._arm()


_UDP: dict[int, _Udp] = {}  # by id() of the loop


class _Answering(asyncio.DatagramProtocol):
    """Takes the datagram that answers the query (others are dropped) for loops without add_reader."""

    def __init__(self, query: bytes, done: asyncio.Future[bytes]) -> None:
        self.query = query
        self.done = done

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self.done.done() and wire.answers(self.query, data):
            self.done.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(exc)


async def _endpoint_exchange(
    loop: asyncio.AbstractEventLoop, question: bytes, address: str, port: int, within: float
) -> bytes:
    """The reply to the query, sent from a fresh connected socket and read through asyncio's datagram
    transport (loops without add_reader)."""
    query = _query_id().to_bytes(2, "big") + question
    done: asyncio.Future[bytes] = loop.create_future()
    transport, _ = await loop.create_datagram_endpoint(lambda: _Answering(query, done), remote_addr=(address, port))
    try:
        transport.sendto(query)
        async with asyncio.timeout(within):
            return await done
    finally:
        transport.close()


def _zone_named(name: str, answer: Answer, reply: Reply | None) -> str | None:
    """The zone a reply to `name`'s SOA (or NS) question names: the name itself when its records are the answer,
    else the owner of the SOA in the authority section. None for an alias (its zone is the parent's) or without
    SOA.

    Read from the reply's fields (`wire`), not a dnspython message: parsing the whole reply again cost more CPU
    than the rest of the zone's discovery."""
    if reply is None:
        return None
    key = name.rstrip(".").lower()
    if any(r.name == key and r.rdtype in (wire.CNAME, wire.DNAME) for r in reply.answer):
        return None
    if answer.ok:
        return name if answer.canonical in ("", name) else None
    for rrset in reply.authority:
        if rrset.rdtype == wire.SOA and _is_subdomain(key, rrset.name):
            return rrset.name
    return None


def _is_subdomain(key: str, owner: str) -> bool:
    """Whether the name `key` is `owner` or under it (both as name keys: lower case, no final dot; "@" the root)."""
    return owner in ("@", key) or key.endswith("." + owner)


def _likely_apex(name: str) -> str:
    """The name whose NS is worth asking with `name`'s SOA: the name itself, or for a service name
    (`_dmarc.`, `<selector>._domainkey.`, `_mta-sts.`) the domain under its last `_label`, whose zone holds
    it. Empty when nothing is left (`_tcp.`)."""
    labels = name.split(".")
    last = max((i for i, label in enumerate(labels) if label.startswith("_")), default=-1)
    return ".".join(labels[last + 1 :])


def _direct_answers(view: AuthoritativeView) -> tuple[Answer, ...]:
    """Every answer of the authoritative servers asked directly, along any CNAME chain that was followed."""
    return view.servers + (_direct_answers(view.followed) if view.followed is not None else ())


def _blocked(resolver: Answer, direct: tuple[Answer, ...]) -> bool:
    """The resolver answered, and every direct query (there was at least one) timed out."""
    return bool(direct) and not resolver.outcome.is_failure and all(a.outcome is Outcome.TIMEOUT for a in direct)


def _is_alias_only(answer: Answer) -> bool:
    """An OK answer with no records: the name is a CNAME to a name the server does not hold."""
    return answer.ok and not answer.values and answer.canonical not in ("", answer.name.rstrip(".").lower())


def _is_referral(reply: Reply) -> bool:
    return not reply.answer and any(r.rdtype == wire.NS for r in reply.authority)


def _classify_no_nameservers(exc: dns.resolver.NoNameservers) -> tuple[Outcome, str]:
    errors = exc.kwargs.get("errors", [])
    return _classify_errors([(entry[0], entry[3] if len(entry) > 3 else entry[-1]) for entry in errors])


def _classify_errors(errors: list[tuple[str, object]]) -> tuple[Outcome, str]:
    """What every resolver failing means, from (server, error or rcode text) as dnspython's resolver lists them."""
    outcome = Outcome.ERROR
    details = []
    for server, error in errors:
        text = str(error)
        details.append(f"{server}: {text}")
        if "SERVFAIL" in text:
            outcome = Outcome.SERVFAIL
        elif "REFUSED" in text and outcome is not Outcome.SERVFAIL:
            outcome = Outcome.REFUSED
        elif isinstance(error, OSError) and outcome is Outcome.ERROR:
            outcome = _os_outcome(error)
    return outcome, "; ".join(details) or "all name servers failed"


_UNREACHABLE = (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL)


def _os_outcome(exc: OSError) -> Outcome:
    """Refused or no route: nothing to talk to (unreachable). A reset mid-answer: a server that misbehaves."""
    return Outcome.UNREACHABLE if exc.errno in _UNREACHABLE else Outcome.ERROR


def _os_detail(exc: OSError) -> str:
    if exc.errno == errno.ECONNREFUSED:
        return "connection refused: nothing answers DNS at that address and port"
    if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL):
        return "network unreachable"
    if exc.errno in (errno.ECONNRESET, errno.EPIPE):
        return "the server dropped the connection without answering (it may have sent a truncated reply first)"
    return exc.strerror or str(exc)


def _answer_detail(answer: Answer) -> str:
    return answer.detail or str(answer.outcome).upper()
