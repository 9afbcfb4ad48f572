"""The one Lookup object: the resolver view, the authoritative view and the public-resolver view of a name.

Nothing is cached between calls, so a re-check sees what DNS says now. Every outcome (timeout, SERVFAIL,
NXDOMAIN, ...) comes back as an Answer; no DNS exception leaves this module, and every call is bounded by
the settings' deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset
import httpx2

from wizard.core.answers import Answer, Outcome, SharedFutures, TxtRecord
from wizard.lookup.doh import ProxiedDoHNameserver, doh_query
from wizard.lookup.settings import LookupSettings

MAX_CNAME_HOPS = 8


@dataclass(frozen=True)
class AuthoritativeView:
    """What each of a zone's authoritative servers says, asked directly (RD=0).

    outcome is OK when the zone and its servers were found; otherwise it says why not (and servers is empty).
    followed holds the view of a CNAME target outside the zone, when the servers answered with a CNAME.
    """

    name: str
    rdtype: str
    zone: str | None
    outcome: Outcome
    servers: tuple[Answer, ...] = ()
    detail: str = ""
    followed: AuthoritativeView | None = None

    @property
    def agree(self) -> bool:
        """True when every server that answered gave the same outcome and the same records."""
        return len({_signature(a) for a in self.servers}) <= 1

    @property
    def consensus(self) -> Answer | None:
        """The common answer when all servers agree (the CNAME target's, when one was followed)."""
        if self.followed is not None:
            return self.followed.consensus
        if not self.servers or not self.agree:
            return None
        return self.servers[0]

    @property
    def final(self) -> AuthoritativeView:
        """The view that holds the data: the CNAME target's view when one was followed."""
        return self.followed.final if self.followed is not None else self


@dataclass(frozen=True)
class NameViews:
    """The three views of one name and type, taken at the same moment.

    direct_blocked: every query sent directly to outside servers (each authoritative server, and public
    resolvers asked over plain DNS) timed out while the configured resolver answered: the network blocks
    direct DNS, and the silence says nothing about the domain's servers.
    """

    resolver: Answer
    authoritative: AuthoritativeView
    public: tuple[Answer, ...] = field(default_factory=tuple)
    direct_blocked: bool = False


def _signature(answer: Answer) -> tuple[Outcome, frozenset[str]]:
    return answer.outcome, frozenset(answer.values)


def _absolute(name: str) -> dns.name.Name:
    return dns.name.from_text(name.rstrip(".") + ".")


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()


def _negative_ttl(response: dns.message.Message | None) -> int | None:
    """RFC 2308: the negative-caching TTL is the smaller of the SOA's TTL and its MINIMUM field."""
    if response is None:
        return None
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            return int(min(rrset.ttl, rrset[0].minimum))
    return None


def _records(rrset: dns.rrset.RRset) -> tuple[tuple[str, ...], tuple[TxtRecord, ...]]:
    if rrset.rdtype == dns.rdatatype.TXT:
        txt = tuple(TxtRecord(tuple(rd.strings)) for rd in rrset)
        return tuple(t.text for t in txt), txt
    return tuple(rd.to_text() for rd in rrset), ()


class Lookup:
    """All DNS queries go through one of these, configured once from LookupSettings."""

    def __init__(self, settings: LookupSettings | None = None) -> None:
        self.settings = settings or LookupSettings()
        self._resolver: dns.asyncresolver.Resolver | None = None
        self._resolver_error = ""
        self._in_flight = SharedFutures()
        try:
            self._resolver = self._make_resolver()
        except (dns.resolver.NoResolverConfiguration, OSError) as exc:
            self._resolver_error = f"no DNS resolver is configured on this computer ({exc})"

    def _make_resolver(self) -> dns.asyncresolver.Resolver:
        s = self.settings
        resolver = dns.asyncresolver.Resolver(configure=not (s.nameservers or s.doh))
        if s.doh:
            resolver.nameservers = [ProxiedDoHNameserver(url) for url in s.doh]
        elif s.nameservers:
            resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port) for host, port in s.nameservers]
        resolver.use_edns(0, 0, s.edns_payload)
        resolver.timeout = s.query_timeout
        resolver.lifetime = s.timeout
        resolver.cache = None
        resolver.retry_servfail = False
        return resolver

    @property
    def resolver_label(self) -> str:
        if self.settings.doh:
            return "DoH resolver " + ", ".join(self.settings.doh)
        if self.settings.nameservers:
            return "resolver " + ", ".join(f"{h}:{p}" for h, p in self.settings.nameservers)
        return "system resolver"

    # --- the resolver view -------------------------------------------------------------------------

    async def _shared(self, key: tuple[object, ...], make: Callable[[], Awaitable[Answer]]) -> Answer:
        """Run one question once while it is in flight: callers asking the same thing at the same time share
        the answer. Nothing is kept after it arrives, so a later check asks DNS again (no cache)."""
        return await self._in_flight.get((id(asyncio.get_running_loop()), *key), make, keep=False)

    async def resolve(self, name: str, rdtype: str) -> Answer:
        """Ask the resolver (system configuration or the configured addresses), following CNAMEs."""
        rdtype = rdtype.upper()
        return await self._shared(("resolve", name.rstrip(".").lower(), rdtype), partial(self._resolve, name, rdtype))

    async def _resolve(self, name: str, rdtype: str) -> Answer:
        label = self.resolver_label
        if self._resolver is None:
            return Answer(name, rdtype, Outcome.ERROR, server=label, detail=self._resolver_error)
        try:
            qname = _absolute(name)
        except dns.exception.DNSException as exc:
            return Answer(name, rdtype, Outcome.ERROR, server=label, detail=f"not a valid DNS name: {exc}")
        try:
            async with asyncio.timeout(self.settings.timeout + 0.5):
                result = await self._resolver.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN as exc:
            responses: dict[dns.name.Name, dns.message.Message] = exc.responses()  # type: ignore[no-untyped-call]
            response = responses.get(qname) or next(iter(responses.values()), None)
            return Answer(name, rdtype, Outcome.NXDOMAIN, ttl=_negative_ttl(response), server=label)
        except (dns.resolver.LifetimeTimeout, dns.exception.Timeout, TimeoutError):
            return Answer(
                name, rdtype, Outcome.TIMEOUT, server=label,
                detail=f"no answer within {self.settings.timeout:g} s",
            )  # fmt: skip
        except dns.resolver.NoNameservers as exc:
            outcome, detail = _classify_no_nameservers(exc)
            return Answer(name, rdtype, outcome, server=label, detail=detail)
        except dns.resolver.YXDOMAIN:
            return Answer(name, rdtype, Outcome.ERROR, server=label, detail="the name is too long after DNAME")
        except dns.exception.DNSException as exc:
            return Answer(name, rdtype, Outcome.ERROR, server=label, detail=str(exc))
        except OSError as exc:
            return Answer(name, rdtype, _os_outcome(exc), server=label, detail=_os_detail(exc))
        canonical = _text(result.canonical_name)
        if result.rrset is None:
            return Answer(
                name, rdtype, Outcome.NODATA, ttl=_negative_ttl(result.response), server=label, canonical=canonical
            )
        values, txt = _records(result.rrset)
        return Answer(
            name, rdtype, Outcome.OK, values=values, txt=txt, ttl=int(result.rrset.ttl), server=label,
            canonical=canonical,
        )  # fmt: skip

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
            query = dns.message.make_query(qname, rdtype, use_edns=0, payload=s.edns_payload)
            if not recursive:
                query.flags &= ~dns.flags.RD
            try:
                if attempt < udp_tries:
                    response, _ = await dns.asyncquery.udp_with_fallback(
                        query, address, timeout=s.query_timeout, port=port
                    )
                else:
                    response = await dns.asyncquery.tcp(query, address, timeout=s.query_timeout, port=port)
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

    async def find_servers(self, name: str) -> tuple[str | None, list[tuple[str, str]], Outcome, str]:
        """The zone that holds `name` and its name servers as (host, address), found through the resolver."""
        zone, outcome, detail = await self._zone_for(name)
        if zone is None:
            return None, [], outcome, detail
        ns = await self.resolve(zone, "NS")
        if not ns.ok:
            return zone, [], ns.outcome, f"could not list the name servers of {zone}: {_answer_detail(ns)}"
        hosts = sorted({v.rstrip(".").lower() for v in ns.values})
        addresses = await asyncio.gather(*(self._host_addresses(h) for h in hosts))
        servers = [(host, addr) for host, addrs in zip(hosts, addresses, strict=True) for addr in addrs]
        if not servers:
            return zone, [], Outcome.ERROR, f"none of the name servers of {zone} ({', '.join(hosts)}) has an address"
        return zone, servers, Outcome.OK, ""

    async def _zone_for(self, name: str) -> tuple[str | None, Outcome, str]:
        """Walk up from the name asking for SOA until a zone apex answers (or a reply names the zone)."""
        labels = name.rstrip(".").lower().split(".")
        for i in range(len(labels)):
            candidate = ".".join(labels[i:])
            soa = await self.resolve(candidate, "SOA")
            if soa.outcome.is_failure:
                return None, soa.outcome, f"could not find the zone of {name}: {_answer_detail(soa)}"
            if soa.ok and soa.canonical in ("", candidate):
                return candidate, Outcome.OK, ""
        return None, Outcome.ERROR, f"no zone found for {name}"

    async def _host_addresses(self, host: str) -> list[str]:
        v4 = await self.resolve(host, "A")
        if v4.ok:
            return list(v4.values)
        v6 = await self.resolve(host, "AAAA")
        return list(v6.values) if v6.ok else []

    async def authoritative(self, name: str, rdtype: str, _hops: int = 0) -> AuthoritativeView:
        """Ask every authoritative server of the name's zone directly, concurrently, within the deadline."""
        rdtype = rdtype.upper()
        try:
            async with asyncio.timeout(self.settings.timeout):
                zone, servers, outcome, detail = await self.find_servers(name)
        except TimeoutError:
            zone, servers, outcome = None, [], Outcome.TIMEOUT
            detail = f"finding the name servers took longer than {self.settings.timeout:g} s"
        if outcome is not Outcome.OK:
            return AuthoritativeView(name, rdtype, zone, outcome, detail=detail)
        port = self.settings.dns_port
        answers = await self._bounded(
            [partial(self.query_server, addr, port, name, rdtype, label=f"{host} ({addr})") for host, addr in servers],
            [f"{host} ({addr})" for host, addr in servers],
            name,
            rdtype,
        )
        view = AuthoritativeView(name, rdtype, zone, Outcome.OK, tuple(answers))
        return await self._follow_cname(view, _hops)

    async def _follow_cname(self, view: AuthoritativeView, hops: int) -> AuthoritativeView:
        """When the servers agree that the name is an alias of a name they do not hold, ask that zone's servers."""
        first = view.consensus
        if first is None or hops >= MAX_CNAME_HOPS or not _is_alias_only(first):
            return view
        target = await self.authoritative(first.canonical, view.rdtype, hops + 1)
        return AuthoritativeView(
            view.name, view.rdtype, view.zone, view.outcome, view.servers, view.detail, followed=target
        )

    async def _bounded(
        self,
        calls: list[Callable[[], Awaitable[Answer]]],
        labels: list[str],
        name: str,
        rdtype: str,
        stop: asyncio.Event | None = None,
    ) -> list[Answer]:
        """Run the calls concurrently; any still running at the deadline (or when `stop` is set) becomes a
        TIMEOUT answer. Calls still running are cancelled, also when this is cancelled."""
        tasks = [asyncio.ensure_future(call()) for call in calls]
        stopper = asyncio.ensure_future(stop.wait()) if stop is not None else None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.timeout
        pending = set(tasks)
        detail = f"no answer within {self.settings.timeout:g} s"
        try:
            while pending and (remaining := deadline - loop.time()) > 0:
                waiting = pending | ({stopper} if stopper is not None else set())
                done, _ = await asyncio.wait(waiting, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
                pending -= done
                if stopper is not None and stopper in done:
                    detail = "no answer by the time the other servers had answered"
                    break
        finally:
            for task in (*pending, *([stopper] if stopper is not None else [])):
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        return [
            task.result() if task.done() and not task.cancelled() else
            Answer(name, rdtype, Outcome.TIMEOUT, server=label, detail=detail)
            for task, label in zip(tasks, labels, strict=True)
        ]  # fmt: skip

    # --- the public resolvers ------------------------------------------------------------------------

    async def public(self, name: str, rdtype: str, stop: asyncio.Event | None = None) -> tuple[Answer, ...]:
        """Ask each public resolver, for propagation: Google, Cloudflare and Quad9 over DNS over HTTPS, or the
        resolvers configured to be asked over plain DNS (a lab).

        Those still silent when `stop` is set are reported as timeouts.
        """
        if not self.settings.public_resolvers:
            return ()
        calls: list[Callable[[], Awaitable[Answer]]]
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
        return tuple(await self._bounded(calls, labels, name, rdtype.upper(), stop))

    async def query_doh(self, url: str, name: str, rdtype: str, *, label: str = "") -> Answer:
        """One recursive question to a DNS-over-HTTPS resolver, as a typed Answer."""
        key = ("doh", url, name.rstrip(".").lower(), rdtype.upper(), label)
        return await self._shared(key, partial(self._query_doh, url, name, rdtype.upper(), label or url))

    async def _query_doh(self, url: str, name: str, rdtype: str, server: str) -> Answer:
        s = self.settings
        try:
            qname = _absolute(name)
        except dns.exception.DNSException as exc:
            return Answer(name, rdtype, Outcome.ERROR, server=server, detail=f"not a valid DNS name: {exc}")
        query = dns.message.make_query(qname, rdtype, use_edns=0, payload=s.edns_payload)
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
        stop = asyncio.Event()
        public = asyncio.ensure_future(self.public(name, rdtype, stop))
        try:
            resolver, authoritative = await asyncio.gather(self.resolve(name, rdtype), self.authoritative(name, rdtype))
            timer = asyncio.get_running_loop().call_later(self.settings.public_grace, stop.set)
            try:
                answers = await public
            finally:
                timer.cancel()
            direct = _direct_answers(authoritative) + (answers if self.settings.public_resolver_addresses else ())
            return NameViews(resolver, authoritative, answers, _blocked(resolver, direct))
        finally:
            public.cancel()


def _interpret(
    response: dns.message.Message, qname: dns.name.Name, name: str, rdtype: str, server: str, *, recursive: bool
) -> Answer:
    """Turn one server's reply into an Answer, following CNAMEs within the reply."""
    received = time.time()
    rcode = response.rcode()
    aa = bool(response.flags & dns.flags.AA)
    if rcode == dns.rcode.SERVFAIL:
        return Answer(name, rdtype, Outcome.SERVFAIL, server=server, detail="the server answered SERVFAIL")
    if rcode == dns.rcode.REFUSED:
        return Answer(name, rdtype, Outcome.REFUSED, server=server, detail="the server refused the question")
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return Answer(
            name, rdtype, Outcome.ERROR, server=server, detail=f"the server answered {dns.rcode.to_text(rcode)}"
        )
    if not recursive and not aa and (rcode == dns.rcode.NXDOMAIN or response.answer or _is_referral(response)):
        return Answer(
            name, rdtype, Outcome.ERROR, server=server,
            detail="the server is listed for the zone but does not answer for it (lame delegation)",
        )  # fmt: skip
    current = qname
    wanted = dns.rdatatype.from_text(rdtype)
    for _ in range(MAX_CNAME_HOPS + 1):
        rrset = response.get_rrset(response.answer, current, dns.rdataclass.IN, wanted)
        if rrset is not None:
            values, txt = _records(rrset)
            return Answer(
                name, rdtype, Outcome.OK, values=values, txt=txt, ttl=int(rrset.ttl), server=server,
                canonical=_text(current), received_at=received, authoritative=aa,
            )  # fmt: skip
        cname = response.get_rrset(response.answer, current, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if cname is None or wanted == dns.rdatatype.CNAME:
            break
        current = cname[0].target
    if current != qname:
        # a CNAME whose target this server does not hold: the caller follows it
        return Answer(
            name, rdtype, Outcome.OK, server=server, canonical=_text(current), received_at=received,
            authoritative=aa, detail=f"{name} is an alias of {_text(current)}, held elsewhere",
        )  # fmt: skip
    outcome = Outcome.NXDOMAIN if rcode == dns.rcode.NXDOMAIN else Outcome.NODATA
    return Answer(
        name, rdtype, outcome, ttl=_negative_ttl(response), server=server, canonical=_text(current),
        received_at=received, authoritative=aa,
    )  # fmt: skip


def _direct_answers(view: AuthoritativeView) -> tuple[Answer, ...]:
    """Every answer of the authoritative servers asked directly, along any CNAME chain that was followed."""
    return view.servers + (_direct_answers(view.followed) if view.followed is not None else ())


def _blocked(resolver: Answer, direct: tuple[Answer, ...]) -> bool:
    """The resolver answered, and every direct query (there was at least one) timed out."""
    return bool(direct) and not resolver.outcome.is_failure and all(a.outcome is Outcome.TIMEOUT for a in direct)


def _is_alias_only(answer: Answer) -> bool:
    """An OK answer with no records: the name is a CNAME to a name the server does not hold."""
    return answer.ok and not answer.values and answer.canonical not in ("", answer.name.rstrip(".").lower())


def _is_referral(response: dns.message.Message) -> bool:
    return not response.answer and any(r.rdtype == dns.rdatatype.NS for r in response.authority)


def _classify_no_nameservers(exc: dns.resolver.NoNameservers) -> tuple[Outcome, str]:
    errors = exc.kwargs.get("errors", [])
    outcome = Outcome.ERROR
    details = []
    for entry in errors:
        server, error = entry[0], entry[3] if len(entry) > 3 else entry[-1]
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
