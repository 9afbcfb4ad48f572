"""Checks: each gathers what DNS says through the lookup layer and turns it into findings with core rules.

A check is an async function taking a CheckContext and returning a CheckResult (or, for DKIM, one
CheckResult per selector). Checks of one domain run concurrently; one that needs another's result
awaits `ctx.result("other")`.
"""

from __future__ import annotations

import asyncio
import importlib
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wizard.core.findings import CheckResult, Status, error
from wizard.core.proof import ActivationProof
from wizard.core.spf.compose import CIMCLOUD_INCLUDE

if TYPE_CHECKING:
    from wizard.lookup.lookup import Lookup

CheckOutput = CheckResult | list[CheckResult]
CheckFn = Callable[["CheckContext"], Awaitable[CheckOutput]]

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

_REGISTRY: dict[str, CheckFn] = {}


def register(name: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under its JSON name (`dns`, `spf`, `dkim`, ...)."""

    def wrap(fn: CheckFn) -> CheckFn:
        _REGISTRY[name] = fn
        return fn

    return wrap


def all_checks() -> dict[str, CheckFn]:
    for module in CHECK_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)


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


@dataclass
class CheckContext:
    domain: str
    lookup: Lookup
    options: CheckOptions
    _checks: dict[str, CheckFn] = field(default_factory=dict)
    _tasks: dict[str, asyncio.Task[CheckOutput]] = field(default_factory=dict)

    def start(self, check: str) -> asyncio.Task[CheckOutput] | None:
        """Start a check once (later calls return the same task); None if no such check is registered."""
        if check not in self._tasks:
            fn = self._checks.get(check)
            if fn is None:
                return None
            self._tasks[check] = asyncio.ensure_future(_guarded(check, fn, self))
        return self._tasks[check]

    async def result(self, check: str) -> CheckOutput | None:
        """The result of another check on the same domain, run on demand (None if it is not registered)."""
        task = self.start(check)
        if task is None:
            return None
        return await asyncio.shield(task)


def output_status(output: CheckOutput) -> Status:
    results = output if isinstance(output, list) else [output]
    statuses = {r.status for r in results}
    for status in (Status.FAIL, Status.WARN):
        if status in statuses:
            return status
    return Status.PASS


def output_json(output: CheckOutput) -> object:
    if isinstance(output, list):
        return [r.to_json() for r in output]
    return output.to_json()


async def _guarded(name: str, fn: CheckFn, ctx: CheckContext) -> CheckOutput:
    try:
        return await fn(ctx)
    except Exception as exc:  # a bug in one check must not lose the others' results
        detail = "".join(traceback.format_exception_only(exc)).strip()
        return CheckResult(
            name,
            [error("check.crashed", f"The {name} check stopped unexpectedly: {detail}", "Report this as a bug.")],
        )


async def run_domain(domain: str, lookup: Lookup, options: CheckOptions | None = None) -> dict[str, CheckOutput]:
    """Run every registered check (or options.only) for one domain concurrently."""
    options = options or CheckOptions()
    checks = all_checks()
    ctx = CheckContext(domain, lookup, options, checks)
    wanted = [name for name in checks if not options.only or name in options.only]
    tasks = {name: ctx.start(name) for name in wanted}
    return {name: await task for name, task in tasks.items() if task is not None}


async def run_domains(
    domains: Sequence[str], lookup: Lookup, options: CheckOptions | None = None
) -> list[tuple[str, dict[str, CheckOutput]]]:
    """Run the checks for every domain, the domains concurrently."""
    outputs = await asyncio.gather(*(run_domain(d, lookup, options) for d in domains))
    return list(zip(domains, outputs, strict=True))
