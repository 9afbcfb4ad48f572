"""check_host() (RFC 7208 section 4), over an injected Source: no I/O of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import TypeVar

from wizard.core.answers import Answer, Outcome, Source
from wizard.core.spf.macro import MacroContext, MacroError, MacroString, expand, parse_macro_string, truncate_name
from wizard.core.spf.record import Kind, Mechanism, Modifier, Qualifier, SpfSyntaxError, parse, spf_records
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
    """One check_host() result, its reason, and the exp= modifier that may explain a fail."""

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


Question = tuple[str, str]  # a name and a record type
T = TypeVar("T")
# An evaluation step: yields the questions it needs at once, is sent their answers in the same order.
Asking = Generator[tuple[Question, ...], tuple[Answer, ...], T]


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
    (evaluation,) = await check_hosts(
        source, (ip,), domain, sender, helo, receiver=receiver, time_limit=time_limit, trace=trace
    )
    return evaluation


async def check_hosts(
    source: Source,
    ips: Sequence[str | IPv4Address | IPv6Address],
    domain: str,
    sender: str = "",
    helo: str = "",
    *,
    receiver: str = "unknown",
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    trace: bool = True,
    answers: Mapping[Question, Answer] | None = None,
) -> list[Evaluation]:
    """check_host() for each of `ips` (the same domain and sender), in order, evaluated side by side in the
    caller's task: a question several evaluations need is asked once, the questions of one round are asked
    together, and `answers` (what `source` already answered in this run, keyed by `question_key`, such as
    the answers an SPF tree analysis got) are used as they are, without a wait.

    Each evaluation is its own: its own limits' counters, trace and result, as if it ran alone; the time
    limit applies to each (they all run at once).
    """
    local, _, sender_domain = sender.rpartition("@")
    sender = f"{local or 'postmaster'}@{sender_domain or domain}"
    if not is_valid_domain(domain):
        reason = f"{domain!r} is not a domain name SPF can be looked up for"
        return [Evaluation(SpfResult.NONE, reason) for _ in ips]
    name = domain.removesuffix(".")
    evaluators = [_Evaluator(client_ip(ip), sender, helo, receiver, trace=trace) for ip in ips]
    driver = _Driver(source, [e.run(name) for e in evaluators], answers)
    try:
        async with asyncio.timeout(time_limit):
            await driver.run()
    except TimeoutError:
        reason = f"the evaluation took longer than {time_limit:g} seconds"
        driver.stop(lambda i: evaluators[i].evaluation(_Verdict(SpfResult.TEMPERROR, reason)))
    return driver.results()


def question_key(name: str, rdtype: str) -> Question:
    """How a question is known among answers in hand: DNS names compare without case or a final dot."""
    return name.rstrip(".").lower(), rdtype


class _Driver:
    """Runs evaluation steps to their end: each is sent the answers to the questions it yields, from those
    in hand when there (given, or asked in this call), else asked of the source, every question of a round
    once and all at the same time."""

    def __init__(
        self, source: Source, steps: list[Asking[Evaluation]], answers: Mapping[Question, Answer] | None
    ) -> None:
        self.source = source
        self.answers: dict[Question, Answer] = dict(answers) if answers else {}
        self.steps = steps
        self.done: dict[int, Evaluation] = {}
        self.waiting: dict[int, tuple[Question, ...]] = {}

    async def run(self) -> None:
        for index in range(len(self.steps)):
            self._advance(index, None)
        while self.waiting:
            wanted = {question_key(*q): q for questions in self.waiting.values() for q in questions}
            asked = [(key, q) for key, q in wanted.items() if key not in self.answers]
            if len(asked) == 1:
                answers = [await self.source.resolve(*asked[0][1])]
            else:
                answers = await together([self.source.resolve(name, rdtype) for _, (name, rdtype) in asked])
            self.answers.update(zip((key for key, _ in asked), answers, strict=True))
            waiting, self.waiting = self.waiting, {}
            for index, questions in waiting.items():
                self._advance(index, tuple(self.answers[question_key(*q)] for q in questions))

    def _advance(self, index: int, sent: tuple[Answer, ...] | None) -> None:
        """Step one evaluation on while the answers it asks for are in hand."""
        step = self.steps[index]
        answers = self.answers
        while True:
            try:
                questions = step.send(sent)  # type: ignore[arg-type]  # None starts a generator
            except StopIteration as finished:
                self.done[index] = finished.value
                return
            if len(questions) == 1:  # most steps ask one question: no generator expression for it
                name, rdtype = questions[0]
                found: tuple[Answer | None, ...] = (answers.get((name.rstrip(".").lower(), rdtype)),)
            else:
                found = tuple(answers.get((name.rstrip(".").lower(), rdtype)) for name, rdtype in questions)
            for answer in found:
                if answer is None:  # (not `None in found`: that calls each Answer's __eq__)
                    self.waiting[index] = questions
                    return
            sent = found  # type: ignore[assignment]  # no None among them

    def stop(self, ended: Callable[[int], Evaluation]) -> None:
        """End the evaluations still running with `ended(index)` (the time limit ran out)."""
        for index, step in enumerate(self.steps):
            if index not in self.done:
                step.close()
                self.done[index] = ended(index)
        self.waiting.clear()

    def results(self) -> list[Evaluation]:
        return [self.done[index] for index in range(len(self.steps))]


class _Evaluator:
    """The state of one check_host() call: the limits' counters, the trace, and the PTR names of the IP.

    Its steps are generators that yield the questions they need (plain calls between them, no coroutine or
    task per term): the evaluation of a domain whose answers are all in hand runs straight through.
    """

    def __init__(self, ip: IPv4Address | IPv6Address, sender: str, helo: str, receiver: str, *, trace: bool) -> None:
        self.ip = ip
        self.sender = sender
        self.helo = helo
        self.receiver = receiver
        self.address_type = "A" if isinstance(ip, IPv4Address) else "AAAA"
        self.version = ip.version
        self.number = int(ip)
        self.lookups = 0
        self.voids = 0
        self.limit = ""
        self.trace: list[TraceStep] | None = [] if trace else None
        self._ptr: tuple[Answer, list[str]] | None = None

    def run(self, domain: str) -> Asking[Evaluation]:
        try:
            verdict = yield from self.check_host(domain, 0)
        except _Stop as stop:
            return self.evaluation(_Verdict(stop.result, stop.reason))
        explanation = ""
        if verdict.result is SpfResult.FAIL:
            explanation = (yield from self._explain(verdict)) or DEFAULT_EXPLANATION
        return self.evaluation(verdict, explanation)

    def evaluation(self, verdict: _Verdict, explanation: str = "") -> Evaluation:
        trace = tuple(self.trace) if self.trace is not None else ()
        return Evaluation(verdict.result, verdict.reason, explanation, trace, self.lookups, self.voids, self.limit)

    def _step(self, depth: int, domain: str, term: str, outcome: str, detail: str = "") -> None:
        if self.trace is not None:
            self.trace.append(TraceStep(depth, domain, term, outcome, detail))

    def check_host(self, domain: str, depth: int) -> Asking[_Verdict]:
        (answer,) = yield ((domain, "TXT"),)
        text = self._record_text(answer, domain, depth)
        if text is None:
            return _Verdict(SpfResult.NONE, f"{domain} has no SPF record")
        try:
            record = parse(text)
        except SpfSyntaxError as exc:
            self._step(depth, domain, exc.term, "permerror", exc.reason)
            raise _Stop(SpfResult.PERMERROR, f"the SPF record of {domain} has an error: {exc}") from None
        trace = self.trace
        for mechanism in record.mechanisms:
            kind = mechanism.kind
            if kind is Kind.ALL:
                matched = True
            elif kind is Kind.IP4 or kind is Kind.IP6:
                bits = mechanism.bits
                matched = bits is not None and bits[0] == self.version and self.number >> bits[1] == bits[2]
            elif kind is Kind.INCLUDE:  # here, not in a generator of its own: one level fewer per include
                self._count(mechanism.text)
                spec = mechanism.domain
                target = _literal_target(spec, domain) or (yield from self._target(spec, domain))
                verdict = (yield from self.check_host(target, depth + 1)) if is_query_name(target) else None
                if verdict is None or verdict.result is SpfResult.NONE:
                    raise _Stop(SpfResult.PERMERROR, f"{mechanism.text}: {target} has no SPF record")
                matched = verdict.result is SpfResult.PASS
            else:
                matched = yield from self._matches(mechanism, domain)
            if matched:
                result = QUALIFIER_RESULT[mechanism.qualifier]
                if trace is not None:
                    trace.append(TraceStep(depth, domain, mechanism.text, f"match: {result}"))
                return _Verdict(result, f"{mechanism.text} in the record of {domain} matched", record.exp, domain)
            if trace is not None:
                trace.append(TraceStep(depth, domain, mechanism.text, "no match"))
        redirect = record.redirect
        if redirect is not None and record.all is None:
            return (yield from self._redirect(redirect, domain, depth))
        return _Verdict(SpfResult.NEUTRAL, f"nothing in the record of {domain} matched", record.exp, domain)

    def _record_text(self, answer: Answer, domain: str, depth: int) -> str | None:
        """The SPF record among the domain's TXT answer, None when it has none; a failure or two records stop."""
        outcome = answer.outcome
        if outcome is Outcome.OK:
            records = spf_records(answer.txt)
        elif outcome.is_failure:
            self._step(depth, domain, "TXT", "temperror", _describe(answer))
            raise _Stop(SpfResult.TEMPERROR, f"the TXT lookup for {domain} failed: {_describe(answer)}")
        else:
            records = ()
        if len(records) > 1:
            self._step(depth, domain, "TXT", "permerror", f"{len(records)} SPF records")
            raise _Stop(SpfResult.PERMERROR, f"{domain} has {len(records)} SPF records; there must be only one")
        if self.trace is not None:
            self._step(depth, domain, "TXT", records[0] if records else "no SPF record")
        return records[0] if records else None

    def _redirect(self, redirect: Modifier, domain: str, depth: int) -> Asking[_Verdict]:
        self._count(redirect.text)
        target = yield from self._target(redirect.value, domain)
        self._step(depth, domain, redirect.text, f"redirect to {target}")
        verdict = (yield from self.check_host(target, depth + 1)) if is_query_name(target) else None
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

    @staticmethod
    def _usable(answer: Answer, question: Question, term: str) -> Answer:
        """The answer to a question a mechanism depends on: a DNS failure ends the evaluation with temperror."""
        if answer.outcome.is_failure:
            name, rdtype = question
            raise _Stop(SpfResult.TEMPERROR, f"{term}: the {rdtype} lookup for {name} failed: {_describe(answer)}")
        return answer

    def _context(self, domain: str) -> MacroContext:
        """What the macros of `domain`'s record expand to (made only for a record that has macros)."""
        return MacroContext(self.sender, domain, self.ip, self.helo, receiver=self.receiver)

    def _target(self, domain_spec: str | None, domain: str) -> Asking[str]:
        """The name a term queries: its domain-spec expanded (or the current domain), without a final dot."""
        if domain_spec is None:
            return domain
        if "%" not in domain_spec:  # no macro and no escape: the domain-spec is the name
            return truncate_name(domain_spec.removesuffix("."))
        macro_string = _domain_spec(domain_spec)
        ctx = self._context(domain)
        if "p" in macro_string.letters:
            ctx = yield from self._with_validated_name(ctx)
        return truncate_name(expand(macro_string, ctx).removesuffix("."))

    def _matches(self, mechanism: Mechanism, domain: str) -> Asking[bool]:
        """Whether a mechanism that queries DNS other than include (a, mx, ptr, exists) matches."""
        kind = mechanism.kind
        self._count(mechanism.text)
        spec = mechanism.domain
        target = _literal_target(spec, domain) or (yield from self._target(spec, domain))
        if not is_query_name(target):
            return False  # a name DNS cannot hold does not exist: no match (4.3, 5/10)
        if kind is Kind.A:
            question = (target, self.address_type)
            (answer,) = yield (question,)
            self._void(self._usable(answer, question, mechanism.text), mechanism.text)
            return self._in_range(mechanism, answer.values)
        if kind is Kind.MX:
            return (yield from self._match_mx(mechanism, target))
        if kind is Kind.PTR:
            return (yield from self._match_ptr(mechanism, target))
        question = (target, "A")
        (answer,) = yield (question,)
        self._void(self._usable(answer, question, mechanism.text), mechanism.text)
        return answer.ok and bool(answer.values)

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

    def _match_mx(self, mechanism: Mechanism, target: str) -> Asking[bool]:
        question = (target, "MX")
        (answer,) = yield (question,)
        self._void(self._usable(answer, question, mechanism.text), mechanism.text)
        hosts = [h for h in (mx_host(v) for v in answer.values) if h]
        if len(hosts) > MAX_MX:
            raise _Stop(SpfResult.PERMERROR, f"{mechanism.text}: {target} has {len(hosts)} MX hosts; at most {MAX_MX}")
        questions = tuple((h, self.address_type) for h in hosts if is_query_name(h))
        addresses = yield questions
        # the first failure, in order, stops
        usable = [self._usable(a, q, mechanism.text) for a, q in zip(addresses, questions, strict=True)]
        return any(self._in_range(mechanism, a.values) for a in usable)

    def _match_ptr(self, mechanism: Mechanism, target: str) -> Asking[bool]:
        names = yield from self._validated_names(mechanism.text)
        target = target.lower()
        return any(n == target or n.endswith("." + target) for n in names)

    def _validated_names(self, term: str = "") -> Asking[list[str]]:
        """The IP's PTR names (at most 10) whose addresses include the IP (5.5); errors just skip a name.

        Looked up once per evaluation; each ptr mechanism still counts its lookup and any void.
        """
        if self._ptr is None:
            (answer,) = yield ((self.ip.reverse_pointer, "PTR"),)
            names = [v.removesuffix(".").lower() for v in answer.values[:MAX_PTR]] if answer.ok else []
            asked = [n for n in names if is_query_name(n)]
            addresses = dict(zip(asked, (yield tuple((n, self.address_type) for n in asked)), strict=True))
            self._ptr = (answer, [n for n in names if n in addresses and self._has_ip(addresses[n])])
        if term:
            self._void(self._ptr[0], term)
        return self._ptr[1]

    def _has_ip(self, answer: Answer) -> bool:
        return answer.ok and any(_same_ip(v, self.ip) for v in answer.values)

    def _with_validated_name(self, ctx: MacroContext) -> Asking[MacroContext]:
        """ctx with %{p}: the validated name equal to the domain, else one under it, else any, else unknown."""
        names = yield from self._validated_names()
        domain = ctx.domain.lower()
        ranked = sorted(names, key=lambda n: (n != domain, not n.endswith("." + domain)))
        return MacroContext(ctx.sender, ctx.domain, ctx.ip, ctx.helo, ranked[0] if ranked else "unknown", ctx.receiver)

    def _explain(self, verdict: _Verdict) -> Asking[str | None]:
        """The exp= text for a fail (6.2); any problem means the default explanation is used instead."""
        if verdict.exp is None or not verdict.domain:
            return None
        ctx = self._context(verdict.domain)
        target = yield from self._target(verdict.exp.value, verdict.domain)
        if not is_query_name(target):
            return None
        (answer,) = yield ((target, "TXT"),)
        if not answer.ok or len(answer.texts) != 1 or not answer.texts[0].isascii():
            return None
        try:
            text = parse_macro_string(answer.texts[0], explanation=True)
        except MacroError:
            return None
        if "p" in text.letters:
            ctx = yield from self._with_validated_name(ctx)
        return expand(text, ctx)


def _literal_target(domain_spec: str | None, domain: str) -> str:
    """The name a term without macros queries (its domain-spec, or the current domain); empty when the
    domain-spec has macros (or escapes) to expand."""
    if domain_spec is None:
        return domain
    if "%" in domain_spec:
        return ""
    return truncate_name(domain_spec.removesuffix("."))


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
