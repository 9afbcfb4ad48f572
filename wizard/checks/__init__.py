"""Checks: each gathers what DNS says through the lookup layer and applies core rules, returning a typed result.

A check is registered with its presenters: `to_json` (the fields of its JSON object) and `human` (the lines
printed above its findings). `check`, the Domains scan, the record pages' verification and the Summary all
take their state from these results; no presenter judges anything again.

Checks of one domain run concurrently; one that needs another's result awaits `ctx.result("other")`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import sys
import traceback
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence, Sized
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wizard import DEFAULT_CONCURRENCY
from wizard.checks import prepare
from wizard.core.findings import Finding, Severity, Status, error, status_of
from wizard.core.names import MAX_NAME, is_label, walk_names
from wizard.core.spf import CIMCLOUD_INCLUDE

if TYPE_CHECKING:
    from wizard.core.proof import ActivationProof
    from wizard.lookup.lookup import Lookup

DEFAULT_SPF_INCLUDE = CIMCLOUD_INCLUDE  # the include --expect-include checks unless told otherwise

# Modules that register checks, in the order their results are printed.
CHECK_MODULES = (
    "wizard.checks.dnscheck",
    "wizard.checks.spf",
    "wizard.checks.dmarc",
    "wizard.checks.dkim",
    "wizard.checks.mta_sts",
    "wizard.checks.tls_rpt",
)
# The order a process's first domains load them in, in a thread, each check starting as soon as its module is
# in, those with the longest chains of questions after the first answers first: SPF's (the includes, theirs),
# MTA-STS's (the policy host's address, then the fetch: a connection, TLS and the GET). The dns and DKIM checks'
# authoritative questions wait for the name servers' addresses anyway (asked without any check module), and
# DMARC's for one more answer at most. A check that awaits another's result imports that one's module (dmarc
# imports dkim, tls_rpt mta_sts), so it is never started before it.
LOAD_ORDER = (
    "wizard.checks.spf",
    "wizard.checks.mta_sts",
    "wizard.checks.dnscheck",
    "wizard.checks.dkim",
    "wizard.checks.dmarc",
    "wizard.checks.tls_rpt",
)


@dataclass(frozen=True)
class Result:
    """What one check found for one domain (or one DKIM selector). Each check subclasses it with its own
    typed fields (the records seen, the analysis); `findings` are the rules' verdict."""

    findings: tuple[Finding, ...] = ()

    @property
    def status(self) -> Status:
        return status_of(list(self.findings))

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)


@dataclass(frozen=True)
class Crashed(Result):
    """A check that raised: its only finding is `check.crashed` (a bug in one check must not lose the others)."""


CheckOutput = Result | list[Result]
Presenter = Callable[[Any], dict[str, Any]]
Lines = Callable[[Any], list[str]]


def _no_lines(result: Any) -> list[str]:
    return []


def _no_fields(result: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Check:
    """A registered check: how to run it, and its presenters over its own result type."""

    name: str
    run: Callable[[CheckContext], Awaitable[CheckOutput]]
    to_json: Presenter = _no_fields
    human: Lines = _no_lines
    label: Callable[[Any], str] | None = None  # "dkim <selector>" for one entry of a list

    def fields(self, result: Result) -> dict[str, Any]:
        """The JSON object of one result: status, the check's own fields, then the findings."""
        own = {} if isinstance(result, Crashed) else self.to_json(result)
        return {"status": str(result.status), **own, "findings": [f.to_json() for f in result.findings]}

    def lines(self, result: Result) -> list[str]:
        return [] if isinstance(result, Crashed) else self.human(result)

    def title(self, result: Result) -> str:
        if self.label is None or isinstance(result, Crashed):
            return self.name
        return self.label(result)


_REGISTRY: dict[str, Check] = {}


def register(
    name: str, *, to_json: Presenter = _no_fields, human: Lines = _no_lines, label: Callable[[Any], str] | None = None
) -> Callable[[Callable[[CheckContext], Awaitable[Any]]], Callable[[CheckContext], Awaitable[Any]]]:
    """Register a check function under its JSON name (`dns`, `spf`, `dkim`, ...) with its presenters."""

    def wrap(fn: Callable[[CheckContext], Awaitable[Any]]) -> Callable[[CheckContext], Awaitable[Any]]:
        _REGISTRY[name] = Check(name, fn, to_json, human, label)
        return fn

    return wrap


@functools.cache
def _import_check_modules(modules: tuple[str, ...]) -> None:
    """Import the modules (each registers its checks) once: all_checks is asked for every domain of a batch."""
    for module in modules:
        importlib.import_module(module)


def all_checks() -> dict[str, Check]:
    """Every registered check, in the order results are printed (CHECK_MODULES', whatever order they loaded in)."""
    _import_check_modules(CHECK_MODULES)
    return {check.name: check for check in sorted(_REGISTRY.values(), key=_printing_position)}


def _printing_position(check: Check) -> int:
    module = check.run.__module__
    return CHECK_MODULES.index(module) if module in CHECK_MODULES else len(CHECK_MODULES)


def get_check(name: str) -> Check:
    return all_checks()[name]


@dataclass(frozen=True)
class CheckOptions:
    """What the caller asked for beyond the domain: expected SPF include, DKIM selectors and records."""

    expect_include: str = DEFAULT_SPF_INCLUDE
    dkim_selectors: tuple[str, ...] = ()
    # (NAME, CONTENT) pairs as given to --dkim-record: NAME relative (every domain) or an FQDN.
    dkim_records: tuple[tuple[str, str], ...] = ()
    only: tuple[str, ...] = ()  # run only these checks (and those they await); empty: all of them
    # Evidence that CIMcloud signs (check --message / --reports): clears dmarc.enforced-without-dkim.
    proofs: tuple[ActivationProof, ...] = ()

    def runs(self, check: str) -> bool:
        """Whether `check` is one the caller asked for (every check, when `only` is empty)."""
        return not self.only or check in self.only


@dataclass
class CheckContext:
    """One domain's run: its checks' tasks, each started once, sharing the domain's lookup and options."""

    domain: str
    lookup: Lookup
    options: CheckOptions
    _checks: dict[str, Check] = field(default_factory=dict)
    _tasks: dict[str, asyncio.Task[CheckOutput]] = field(default_factory=dict)

    def start(self, check: str) -> asyncio.Task[CheckOutput] | None:
        """Start a check once (later calls return the same task); None if no such check is registered."""
        if check not in self._tasks:
            registered = self._checks.get(check)
            if registered is None:
                return None
            self._tasks[check] = asyncio.ensure_future(_guarded(registered, self))
        return self._tasks[check]

    def result(self, check: str) -> Awaitable[CheckOutput | None]:
        """The result of another check on the same domain, run on demand (None if it is not registered).

        A future, not a coroutine: awaited alongside a check's own question (`both`), it needs no task of its own
        (two per batch domain). Shielded: a check that gives up waiting does not cancel the other check."""
        task = self.start(check)
        if task is None:
            none: asyncio.Future[CheckOutput | None] = asyncio.get_running_loop().create_future()
            none.set_result(None)
            return none
        return asyncio.shield(task)


def entries(output: CheckOutput | None) -> list[Result]:
    """A check's output as a list (the dkim check gives one result per selector)."""
    if output is None:
        return []
    return output if isinstance(output, list) else [output]


def output_status(output: CheckOutput) -> Status:
    statuses = {r.status for r in entries(output)}
    for status in (Status.FAIL, Status.WARN):
        if status in statuses:
            return status
    return Status.PASS


async def _guarded(check: Check, ctx: CheckContext) -> CheckOutput:
    try:
        return await check.run(ctx)
    except Exception as exc:  # a bug in one check must not lose the others' results
        detail = "".join(traceback.format_exception_only(exc)).strip()
        message = f"The {check.name} check stopped unexpectedly: {detail}"
        return Crashed((error("check.crashed", message, "Report this as a bug."),))


DomainResults = dict[str, CheckOutput]


# Seconds after a run starts when the background loading (wizard.checks.prepare) begins, unless a check needs a
# piece sooner: after the first wave of questions is out and the check modules are imported, so the loading
# thread does not compete with them for the interpreter (scenario A at 50 ms per query, 2 x 5 runs alternating,
# measured when the check modules were still imported first: 0.02 s gave 0.74 s, 0.15 s gave 0.66 s).
PREPARE_AFTER = 0.15


async def run_domain(domain: str, lookup: Lookup, options: CheckOptions | None = None) -> DomainResults:
    """Run every registered check (or options.only) for one domain concurrently.

    The checks share one run of the lookup: the domain's zone and name servers are found once for all of them, and
    a question the resolver answered for one check is not asked again for another (Lookup.for_domain).
    """
    options = options or CheckOptions()
    domain_lookup = lookup.for_run().for_domain()
    asking: list[asyncio.Future[Any]] = []
    ctx = CheckContext(domain, domain_lookup, options, _REGISTRY)  # checks join as their modules load
    try:
        if not _checks_imported():  # the process's first domains: their first questions leave before the imports
            asking = await _ask_first(domain, domain_lookup, options)
            await _start_as_loaded(ctx)
        checks = all_checks()
        for name in checks:
            if options.runs(name):
                ctx.start(name)
        return {name: await ctx._tasks[name] for name in checks if name in ctx._tasks}
    finally:  # cancelled (the page was left, the window closed): no check runs on for nobody
        for task in [*ctx._tasks.values(), *asking]:
            task.cancel()


# Event loop rounds that take a question from `resolve` to its socket: no step of it waits for anything else.
ASK_ROUNDS = 10


@functools.cache
def _load_pieces() -> tuple[str, ...]:
    return tuple(prepare.module(name) for name in LOAD_ORDER)


def _checks_imported() -> bool:
    """Whether every check module is in (not still being imported by _start_as_loaded's thread)."""
    return all(name in sys.modules for name in CHECK_MODULES) and not prepare.loading(*_load_pieces())


async def _start_as_loaded(ctx: CheckContext) -> None:
    """Import the check modules in a thread (LOAD_ORDER) and start each check the caller wants once its module is
    in. The imports take about 60 ms of CPU, longer than a round trip to a nearby resolver: done on the event loop,
    they held every answer of the first wave unread, and every question that follows from those answers, until
    they were over. A module that fails to load here is imported again, and its error raised, by all_checks."""
    pieces = _load_pieces()
    prepare.start(*pieces)
    for loaded, piece in enumerate(pieces, 1):
        await prepare.ready(piece)
        whole = set(LOAD_ORDER[:loaded])  # a check of a module still being executed may call what is not yet in
        for check in list(_REGISTRY.values()):
            module = check.run.__module__
            if ctx.options.runs(check.name) and (module in whole or module not in LOAD_ORDER):
                ctx.start(check.name)


async def _ask_first(domain: str, lookup: Lookup, options: CheckOptions) -> list[asyncio.Future[Any]]:
    """Send the domain's first questions (first_questions, and its zone's name servers) and return once they have
    left, so they are in flight while the check modules are imported (about 60 ms of CPU, longer than a round
    trip to a nearby resolver). The checks ask the same questions and get these answers (Lookup.for_domain keeps
    the resolver's for the domain's checks; the run keeps the zone and its servers)."""
    asking: list[asyncio.Future[Any]] = [
        asyncio.ensure_future(lookup.resolve(name, rdtype)) for name, rdtype in first_questions(domain, options)
    ]
    asking.append(asyncio.ensure_future(lookup.find_servers(domain)))
    asking += [asyncio.ensure_future(lookup.authoritative(*q)) for q in first_views(domain, options)]
    for _ in range(ASK_ROUNDS):
        await asyncio.sleep(0)
    return asking


def first_questions(domain: str, options: CheckOptions) -> list[tuple[str, str]]:
    """The resolver questions the checks to be run ask first for `domain`, known from the name alone: the SPF
    record, every name of DMARC's tree walk, each DKIM selector given as a plain label (a selector given any
    other way needs the DKIM module to read it: asked once that is loaded), the MTA-STS and TLS-RPT records.
    tests/lookup/test_query_count.py checks that the checks do ask each of them."""

    runs = options.runs
    asked = [(domain, "TXT")] if runs("spf") else []
    if runs("dmarc"):
        asked += [(f"_dmarc.{name}", "TXT") for name in walk_names(domain)]
    if runs("dkim"):
        asked += [(name, "TXT") for name in _selector_names(domain, options)]
    if runs("mta_sts") or runs("tls_rpt"):  # tls_rpt awaits mta_sts
        asked += [(f"_mta-sts.{domain}", "TXT"), (domain, "MX")]
    if runs("tls_rpt"):
        asked.append((f"_smtp._tls.{domain}", "TXT"))
    return asked


def _selector_names(domain: str, options: CheckOptions) -> list[str]:
    """The key names of the DKIM selectors given as plain labels (as the DKIM check judges them)."""
    names = (f"{s.lower()}._domainkey.{domain}" for s in options.dkim_selectors if is_label(s.lower()))
    return [name for name in names if len(name) <= MAX_NAME]


def first_views(domain: str, options: CheckOptions) -> list[tuple[str, str]]:
    """The authoritative questions the checks to be run ask, known from the name alone: the dns check's TXT and
    SOA at the domain, each DKIM selector's key (as first_questions gives it). Asked with the first wave, they
    leave as soon as the zone's servers are known, not once the check modules are in (in scenario A the DKIM
    module was the last of them, and its question left a third of a round trip after the others)."""
    views = [(domain, "TXT"), (domain, "SOA")] if options.runs("dns") else []
    if options.runs("dkim"):
        views += [(name, "TXT") for name in _selector_names(domain, options)]
    return views


async def stream_domains(
    domains: Iterable[str],
    lookup: Lookup,
    options: CheckOptions | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> AsyncGenerator[tuple[int, str, DomainResults]]:
    """Check the domains, at most `concurrency` at a time, yielding (position, domain, results) as each finishes.

    Domains are taken from `domains` only as a place frees up, so ten thousand cost the memory of
    `concurrency`; all share one run of the lookup (zones such as a vendor's are found once). Closing or
    cancelling the iteration cancels the domains still running.
    """
    run = lookup.for_run()
    pending: set[asyncio.Task[tuple[int, str, DomainResults]]] = set()
    # the check modules are imported by the first domain once its first questions are out (run_domain)
    batch = isinstance(domains, Sized) and len(domains) > concurrency
    loader = prepare.Plan(pieces_needed(options or CheckOptions(), batch=batch), PREPARE_AFTER)

    async def one(index: int, domain: str) -> tuple[int, str, DomainResults]:
        return index, domain, await run_domain(domain, run, options)

    try:
        for index, domain in enumerate(domains):
            while len(pending) >= max(1, concurrency):
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
            pending.add(asyncio.ensure_future(one(index, domain)))
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                yield task.result()
    finally:
        loader.cancel()
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def pieces_needed(options: CheckOptions, *, batch: bool = False) -> list[str]:
    """What the checks to be run will load (wizard.checks.prepare), in the order they need it.

    In a batch (more domains than are checked at once), the policy fetch's modules are left to the first domain
    that publishes an MTA-STS record: loaded ahead they cost each worker process CPU whether any of its domains
    needed them or not (0.15-0.2 s with httpx2's stack; about 20 ms with h11), and a batch has no first round
    trips for them to hide behind."""

    runs = options.runs
    pieces = [prepare.PSL] if runs("dmarc") else []
    if runs("dkim") and (options.dkim_selectors or options.dkim_records):
        pieces.append(prepare.KEYS)
    if (runs("mta_sts") or runs("tls_rpt")) and not batch:  # tls_rpt awaits mta_sts
        pieces.append(prepare.HTTPS)
    return pieces


async def run_domains(
    domains: Sequence[str],
    lookup: Lookup,
    options: CheckOptions | None = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[tuple[str, DomainResults]]:
    """Run the checks for every domain (at most `concurrency` at a time), the results in the domains' order."""
    finished: dict[int, tuple[str, DomainResults]] = {}
    async with contextlib.aclosing(stream_domains(domains, lookup, options, concurrency=concurrency)) as stream:
        async for index, domain, results in stream:
            finished[index] = (domain, results)
    return [finished[i] for i in sorted(finished)]
