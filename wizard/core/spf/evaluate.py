"""check_host() (RFC 7208 section 4), over an injected Source: no I/O of its own."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address, ip_address

from wizard.core.answers import Answer, Outcome, Source
from wizard.core.spf.macro import MacroContext, MacroError, MacroString, expand, parse_macro_string, truncate_name
from wizard.core.spf.record import Kind, Mechanism, Modifier, Qualifier, SpfSyntaxError, parse, select_records
from wizard.core.together import together

MAX_LOOKUPS = 10  # DNS-querying terms per check_host() (4.6.4)
MAX_VOID_LOOKUPS = 2  # lookups that return no records (4.6.4)
MAX_MX = 10  # MX names whose addresses are looked up (4.6.4)
MAX_PTR = 10  # PTR names that are validated (4.6.4)
MACRO_MEMORY = 1024  # distinct domain-specs with macros whose parse is kept
ADDRESS_MEMORY = 4096  # distinct A/AAAA values kept as addresses
NAME_MEMORY = 4096  # distinct names whose validity is kept
DEFAULT_TIME_LIMIT = 20.0  # seconds for a whole check_host() (4.6.4 suggests at least 20)
DEFAULT_EXPLANATION = "The domain's SPF record does not authorize this host to send its mail."


class SpfResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SOFTFAIL = "softfail"
    NEUTRAL = "neutral"
    NONE = "none"
    PERMERROR = "permerror"
    TEMPERROR = "temperror"


QUALIFIER_RESULT = {
    Qualifier.PASS: SpfResult.PASS,
    Qualifier.FAIL: SpfResult.FAIL,
    Qualifier.SOFTFAIL: SpfResult.SOFTFAIL,
    Qualifier.NEUTRAL: SpfResult.NEUTRAL,
}


@dataclass(frozen=True)
class TraceStep:
    """One step of an evaluation: at which include depth, for which domain, which term, and what came of it."""

    depth: int
    domain: str
    term: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class Evaluation:
    """The result of check_host(), with the explanation (for fail), the reason in plain words and the trace."""

    result: SpfResult
    reason: str
    explanation: str = ""
    trace: tuple[TraceStep, ...] = ()
    lookups: int = 0
    void_lookups: int = 0
    limit: str = ""  # "too-many-lookups" or "void-lookups" when a 4.6.4 limit ended it with permerror


class _Stop(Exception):
    """Ends the evaluation with a permerror or temperror (RFC 7208: the error propagates through includes)."""

    def __init__(self, result: SpfResult, reason: str) -> None:
        self.result = result
        self.reason = reason
        super().__init__(reason)


@dataclass
class _Verdict:
    result: SpfResult
    reason: str
    exp: Modifier | None = None
    domain: str = ""  # the record's domain, for the macros of exp=


@lru_cache(maxsize=NAME_MEMORY)
def is_query_name(name: str) -> bool:
    """A name DNS can be asked about: 1 to 253 characters, no empty label, no label over 63 (kept per name: the
    same targets are checked by the tree and by every evaluation)."""
    if not 0 < len(name) <= 253:
        return False
    labels = name.split(".")
    return "" not in labels and max(map(len, labels)) <= 63


def is_valid_domain(domain: str) -> bool:
    """Initial processing (4.3): a multi-label domain name that DNS can be asked about, not a literal."""
    name = domain.removesuffix(".")
    return not name.startswith("[") and "." in name and is_query_name(name)


def client_ip(text: str | IPv4Address | IPv6Address) -> IPv4Address | IPv6Address:
    """The client address; an IPv4-mapped IPv6 address is treated as IPv4 (5/9/2)."""
    ip = ip_address(text) if isinstance(text, str) else text
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


async def check_host(
    source: Source,
    ip: str | IPv4Address | IPv6Address,
    domain: str,
    sender: str = "",
    helo: str = "",
    *,
    receiver: str = "unknown",
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    trace: bool = True,
) -> Evaluation:
    """Evaluate the SPF policy of `domain` for a message from `ip` (RFC 7208 check_host()).

    sender is the MAIL FROM address (or empty: then postmaster@domain); an empty local part is postmaster.
    Without `trace` the evaluation keeps no trace (for callers that need only the result, many times over).
    """
    local, _, sender_domain = sender.rpartition("@")
    sender = f"{local or 'postmaster'}@{sender_domain or domain}"
    if not is_valid_domain(domain):
        return Evaluation(SpfResult.NONE, f"{domain!r} is not a domain name SPF can be looked up for")
    evaluator = _Evaluator(source, client_ip(ip), sender, helo, receiver, trace=trace)
    try:
        async with asyncio.timeout(time_limit):
            return await evaluator.run(domain.removesuffix("."))
    except TimeoutError:
        reason = f"the evaluation took longer than {time_limit:g} seconds"
        return evaluator.evaluation(_Verdict(SpfResult.TEMPERROR, reason))


class _Evaluator:
    """The state of one check_host() call: the limits' counters, the trace, and the PTR names of the IP."""

    def __init__(
        self, source: Source, ip: IPv4Address | IPv6Address, sender: str, helo: str, receiver: str, *, trace: bool
    ) -> None:
        self.source = source
        self.ip = ip
        self.sender = sender
        self.helo = helo
        self.receiver = receiver
        self.lookups = 0
        self.voids = 0
        self.limit = ""
        self.trace: list[TraceStep] | None = [] if trace else None
        self._ptr: tuple[Answer, list[str]] | None = None

    async def run(self, domain: str) -> Evaluation:
        try:
            verdict = await self.check_host(domain, 0)
        except _Stop as stop:
            return self.evaluation(_Verdict(stop.result, stop.reason))
        explanation = ""
        if verdict.result is SpfResult.FAIL:
            explanation = await self._explain(verdict) or DEFAULT_EXPLANATION
        return self.evaluation(verdict, explanation)

    def evaluation(self, verdict: _Verdict, explanation: str = "") -> Evaluation:
        trace = tuple(self.trace) if self.trace is not None else ()
        return Evaluation(verdict.result, verdict.reason, explanation, trace, self.lookups, self.voids, self.limit)

    def _step(self, depth: int, domain: str, term: str, outcome: str, detail: str = "") -> None:
        if self.trace is not None:
            self.trace.append(TraceStep(depth, domain, term, outcome, detail))

    async def check_host(self, domain: str, depth: int) -> _Verdict:
        text = await self._fetch_record(domain, depth)
        if text is None:
            return _Verdict(SpfResult.NONE, f"{domain} has no SPF record")
        try:
            record = parse(text)
        except SpfSyntaxError as exc:
            self._step(depth, domain, exc.term, "permerror", exc.reason)
            raise _Stop(SpfResult.PERMERROR, f"the SPF record of {domain} has an error: {exc}") from None
        for mechanism in record.mechanisms:
            if await self._matches(mechanism, domain, depth):
                result = QUALIFIER_RESULT[mechanism.qualifier]
                self._step(depth, domain, mechanism.text, f"match: {result}")
                return _Verdict(result, f"{mechanism.text} in the record of {domain} matched", record.exp, domain)
            self._step(depth, domain, mechanism.text, "no match")
        redirect = record.redirect
        if redirect is not None and record.all is None:
            return await self._redirect(redirect, domain, depth)
        return _Verdict(SpfResult.NEUTRAL, f"nothing in the record of {domain} matched", record.exp, domain)

    async def _fetch_record(self, domain: str, depth: int) -> str | None:
        answer = await self.source.resolve(domain, "TXT")
        if answer.outcome.is_failure:
            self._step(depth, domain, "TXT", "temperror", _describe(answer))
            raise _Stop(SpfResult.TEMPERROR, f"the TXT lookup for {domain} failed: {_describe(answer)}")
        records = select_records(answer.texts) if answer.ok else []
        if len(records) > 1:
            self._step(depth, domain, "TXT", "permerror", f"{len(records)} SPF records")
            raise _Stop(SpfResult.PERMERROR, f"{domain} has {len(records)} SPF records; there must be only one")
        self._step(depth, domain, "TXT", records[0] if records else "no SPF record")
        return records[0] if records else None

    async def _redirect(self, redirect: Modifier, domain: str, depth: int) -> _Verdict:
        self._count(redirect.text)
        target = await self._target(redirect.value, domain)
        self._step(depth, domain, redirect.text, f"redirect to {target}")
        verdict = await self.check_host(target, depth + 1) if is_query_name(target) else None
        if verdict is None or verdict.result is SpfResult.NONE:
            raise _Stop(SpfResult.PERMERROR, f"{redirect.text}: {target} has no SPF record")
        return verdict

    def _count(self, term: str) -> None:
        self.lookups += 1
        if self.lookups > MAX_LOOKUPS:
            self.limit = "too-many-lookups"
            raise _Stop(SpfResult.PERMERROR, f"{term} is DNS lookup {self.lookups}; SPF allows only {MAX_LOOKUPS}")

    def _void(self, answer: Answer, term: str) -> None:
        if answer.outcome in (Outcome.NXDOMAIN, Outcome.NODATA) or (answer.ok and not answer.values):
            self.voids += 1
            if self.voids > MAX_VOID_LOOKUPS:
                reason = f"{term} is void lookup {self.voids}; SPF allows only {MAX_VOID_LOOKUPS}"
                self.limit = "void-lookups"
                raise _Stop(SpfResult.PERMERROR, reason)

    async def _resolve(self, name: str, rdtype: str, term: str) -> Answer:
        """A lookup a mechanism depends on: a DNS failure ends the evaluation with temperror."""
        answer = await self.source.resolve(name, rdtype)
        if answer.outcome.is_failure:
            raise _Stop(SpfResult.TEMPERROR, f"{term}: the {rdtype} lookup for {name} failed: {_describe(answer)}")
        return answer

    def _context(self, domain: str) -> MacroContext:
        """What the macros of `domain`'s record expand to (made only for a record that has macros)."""
        return MacroContext(self.sender, domain, self.ip, self.helo, receiver=self.receiver)

    async def _target(self, domain_spec: str | None, domain: str) -> str:
        """The name a term queries: its domain-spec expanded (or the current domain), without a final dot."""
        if domain_spec is None:
            return domain
        if "%" not in domain_spec:  # no macro and no escape: the domain-spec is the name
            return truncate_name(domain_spec.removesuffix("."))
        macro_string = _domain_spec(domain_spec)
        ctx = self._context(domain)
        if "p" in macro_string.letters:
            ctx = await self._with_validated_name(ctx)
        return truncate_name(expand(macro_string, ctx).removesuffix("."))

    async def _matches(self, mechanism: Mechanism, domain: str, depth: int) -> bool:
        kind = mechanism.kind
        if kind is Kind.ALL:
            return True
        if kind in (Kind.IP4, Kind.IP6):
            network = mechanism.network
            return network is not None and network.version == self.ip.version and self.ip in network
        self._count(mechanism.text)
        target = await self._target(mechanism.domain, domain)
        if kind is Kind.INCLUDE:
            return await self._include(mechanism, target, depth)
        if not is_query_name(target):
            return False  # a name DNS cannot hold does not exist: no match (4.3, 5/10)
        if kind is Kind.A:
            return await self._match_a(mechanism, target)
        if kind is Kind.MX:
            return await self._match_mx(mechanism, target)
        if kind is Kind.PTR:
            return await self._match_ptr(mechanism, target)
        answer = await self._resolve(target, "A", mechanism.text)
        self._void(answer, mechanism.text)
        return answer.ok and bool(answer.values)

    async def _include(self, mechanism: Mechanism, target: str, depth: int) -> bool:
        verdict = await self.check_host(target, depth + 1) if is_query_name(target) else None
        if verdict is None or verdict.result is SpfResult.NONE:
            raise _Stop(SpfResult.PERMERROR, f"{mechanism.text}: {target} has no SPF record")
        return verdict.result is SpfResult.PASS

    def _in_range(self, mechanism: Mechanism, addresses: tuple[str, ...]) -> bool:
        length = mechanism.cidr4 if isinstance(self.ip, IPv4Address) else mechanism.cidr6
        for text in addresses:
            address = _address(text)
            if address is None or address.version != self.ip.version:
                continue
            if length is None:
                length = address.max_prefixlen
            if int(address) >> (address.max_prefixlen - length) == int(self.ip) >> (address.max_prefixlen - length):
                return True
        return False

    @property
    def _address_type(self) -> str:
        return "A" if isinstance(self.ip, IPv4Address) else "AAAA"

    async def _match_a(self, mechanism: Mechanism, target: str) -> bool:
        answer = await self._resolve(target, self._address_type, mechanism.text)
        self._void(answer, mechanism.text)
        return self._in_range(mechanism, answer.values)

    async def _match_mx(self, mechanism: Mechanism, target: str) -> bool:
        answer = await self._resolve(target, "MX", mechanism.text)
        self._void(answer, mechanism.text)
        hosts = [h for h in (mx_host(v) for v in answer.values) if h]
        if len(hosts) > MAX_MX:
            raise _Stop(SpfResult.PERMERROR, f"{mechanism.text}: {target} has {len(hosts)} MX hosts; at most {MAX_MX}")
        lookups = [self._resolve(h, self._address_type, mechanism.text) for h in hosts if is_query_name(h)]
        answers = await together(lookups)
        return any(self._in_range(mechanism, a.values) for a in answers)

    async def _match_ptr(self, mechanism: Mechanism, target: str) -> bool:
        names = await self._validated_names(mechanism.text)
        target = target.lower()
        return any(n == target or n.endswith("." + target) for n in names)

    async def _validated_names(self, term: str = "") -> list[str]:
        """The IP's PTR names (at most 10) whose addresses include the IP (5.5); errors just skip a name.

        Looked up once per evaluation; each ptr mechanism still counts its lookup and any void.
        """
        if self._ptr is None:
            answer = await self.source.resolve(self.ip.reverse_pointer, "PTR")
            names = [v.removesuffix(".").lower() for v in answer.values[:MAX_PTR]] if answer.ok else []
            checks = await together([self._has_ip(n) for n in names])
            self._ptr = (answer, [n for n, ok in zip(names, checks, strict=True) if ok])
        if term:
            self._void(self._ptr[0], term)
        return self._ptr[1]

    async def _has_ip(self, name: str) -> bool:
        if not is_query_name(name):
            return False
        answer = await self.source.resolve(name, self._address_type)
        return answer.ok and any(_same_ip(v, self.ip) for v in answer.values)

    async def _with_validated_name(self, ctx: MacroContext) -> MacroContext:
        """ctx with %{p}: the validated name equal to the domain, else one under it, else any, else unknown."""
        names = await self._validated_names()
        domain = ctx.domain.lower()
        ranked = sorted(names, key=lambda n: (n != domain, not n.endswith("." + domain)))
        return MacroContext(ctx.sender, ctx.domain, ctx.ip, ctx.helo, ranked[0] if ranked else "unknown", ctx.receiver)

    async def _explain(self, verdict: _Verdict) -> str | None:
        """The exp= text for a fail (6.2); any problem means the default explanation is used instead."""
        if verdict.exp is None or not verdict.domain:
            return None
        ctx = self._context(verdict.domain)
        target = await self._target(verdict.exp.value, verdict.domain)
        if not is_query_name(target):
            return None
        answer = await self.source.resolve(target, "TXT")
        if not answer.ok or len(answer.texts) != 1 or not answer.texts[0].isascii():
            return None
        try:
            text = parse_macro_string(answer.texts[0], explanation=True)
        except MacroError:
            return None
        if "p" in text.letters:
            ctx = await self._with_validated_name(ctx)
        return expand(text, ctx)


@lru_cache(maxsize=MACRO_MEMORY)
def _domain_spec(text: str) -> MacroString:
    """A domain-spec with macros, parsed (once per text: the parse is pure and a MacroString immutable)."""
    return parse_macro_string(text)


def mx_host(value: str) -> str:
    """The exchange of an MX value "10 mx.example.com." (empty for the null MX "0 .")."""
    parts = value.split()
    return parts[-1].removesuffix(".") if parts else ""


def _same_ip(text: str, ip: IPv4Address | IPv6Address) -> bool:
    return _address(text) == ip


@lru_cache(maxsize=ADDRESS_MEMORY)
def _address(text: str) -> IPv4Address | IPv6Address | None:
    """An A or AAAA value as an address (None when it is none), read once per text: the same mail servers'
    addresses come back in every evaluation of a run."""
    try:
        return ip_address(text)
    except ValueError:
        return None


def _describe(answer: Answer) -> str:
    return f"{answer.outcome}" + (f" ({answer.detail})" if answer.detail else "")
