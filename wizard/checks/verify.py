"""Verifying one record the admin was told to add: every view of its name, server by server, and the verdict of
the check that judges its kind, combined into one state. The record pages, the Summary and `check` agree
because they read the same check results.

verified: every authoritative server and the resolver serve the record (no cache still holds an older one), and
its check has no error finding; waiting: some servers or caches still have the old answer (with when they
expire); problem: the check's error finding, a different record, or servers that did not answer; missing: no
record of this kind on the authoritative servers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from wizard.checks import CheckOptions, Result, entries, run_domain
from wizard.checks.dkim import DkimResult
from wizard.core.answers import Answer, NameViews, Outcome
from wizard.core.findings import Finding
from wizard.core.records import CheckState, Kind, Match, match

if TYPE_CHECKING:
    from wizard.lookup.lookup import Lookup


class ServerState(StrEnum):
    FOUND = "found"  # the expected record
    OLD = "old value"  # a record of this kind, but not the expected one
    MISSING = "missing"  # no record of this kind
    TIMEOUT = "timeout"
    ERROR = "error"


class Role(StrEnum):
    AUTHORITATIVE = "authoritative"
    RESOLVER = "resolver"
    PUBLIC = "public resolver"


_MATCH_STATE = {Match.FOUND: ServerState.FOUND, Match.OTHER: ServerState.OLD, Match.NONE: ServerState.MISSING}


@dataclass(frozen=True)
class Target:
    """One record to verify: the domain it is for, the name to ask, its kind and the value the admin was told to add."""

    domain: str
    name: str
    kind: Kind
    expected: str
    rdtype: str = "TXT"


@dataclass(frozen=True)
class ServerRow:
    """One row of a record's verification table: a server (authoritative or resolver), what it holds and its TTL."""

    role: Role
    server: str
    state: ServerState
    ttl: int | None
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    """The state of one record, the rows it was judged on, and the check result behind it."""

    state: CheckState
    headline: str
    rows: tuple[ServerRow, ...] = ()
    cache_minutes: int | None = None  # when cached old answers expire, in whole minutes (rounded up)
    result: Result | None = None  # the typed result of the check for this record's kind
    problem: Finding | None = None  # the check's error finding that makes the state a problem

    @property
    def summary(self) -> str:
        if self.cache_minutes is None:
            return self.headline
        return f"{self.headline} {cache_text(self.cache_minutes)}"


def cache_text(minutes: int) -> str:
    if minutes <= 1:
        return "Cached old answers expire in about a minute."
    return f"Cached old answers expire in about {minutes} minutes."


def server_state(answer: Answer, target: Target) -> ServerState:
    if answer.outcome is Outcome.TIMEOUT:
        return ServerState.TIMEOUT
    if answer.outcome.is_failure:
        return ServerState.ERROR
    if answer.outcome is not Outcome.OK:
        return ServerState.MISSING
    return _MATCH_STATE[match(target.kind, target.expected, answer.texts)]


def _row(role: Role, answer: Answer, target: Target) -> ServerRow:
    state = server_state(answer, target)
    detail = " | ".join(answer.texts) if state is ServerState.OLD else answer.detail
    return ServerRow(role, answer.server, state, answer.ttl, detail)


def rows_of(views: NameViews, target: Target) -> list[ServerRow]:
    """One row per authoritative server (or one for the whole view when it failed), the resolver, each public one."""
    auth = views.authoritative.final
    rows: list[ServerRow]
    if auth.outcome is Outcome.OK:
        rows = [_row(Role.AUTHORITATIVE, a, target) for a in auth.servers]
    else:
        state = ServerState.TIMEOUT if auth.outcome is Outcome.TIMEOUT else ServerState.ERROR
        rows = [ServerRow(Role.AUTHORITATIVE, auth.zone or "(name servers)", state, None, auth.detail)]
    rows.append(_row(Role.RESOLVER, views.resolver, target))
    rows.extend(_row(Role.PUBLIC, a, target) for a in views.public)
    return rows


def judge(views: NameViews, target: Target, result: Result | None) -> Verdict:
    """The record's state from its rows and its check's result (see the module docstring)."""
    rows = tuple(rows_of(views, target))
    auth = [r for r in rows if r.role is Role.AUTHORITATIVE]
    caches = [r for r in rows if r.role is not Role.AUTHORITATIVE]
    stale = [r for r in caches if r.state in (ServerState.OLD, ServerState.MISSING)]
    minutes = _expiry_minutes(stale)
    found = sum(r.state is ServerState.FOUND for r in auth)
    resolver = next(r for r in caches if r.role is Role.RESOLVER)
    if found == 0:
        return _not_found(auth, rows, result)
    if found == len(auth) and resolver.state is ServerState.FOUND and not stale:
        errors = result.errors if result is not None else ()
        if errors:
            headline = f"Problem: {errors[0].message}"
            return Verdict(CheckState.PROBLEM, headline, rows, result=result, problem=errors[0])
        return Verdict(CheckState.VERIFIED, "Verified: every server asked serves the record.", rows, result=result)
    if found == len(auth):
        headline = "Published on every authoritative server; waiting for caches to catch up."
    else:
        headline = (
            f"Published on {found} of {len(auth)} authoritative servers; waiting for the others to pick up the change."
        )
    return Verdict(CheckState.WAITING, headline, rows, minutes, result)


def _not_found(auth: list[ServerRow], rows: tuple[ServerRow, ...], result: Result | None) -> Verdict:
    states = {r.state for r in auth}
    if states & {ServerState.TIMEOUT, ServerState.ERROR}:
        headline = "The authoritative servers could not be checked: see each server below."
        return Verdict(CheckState.PROBLEM, headline, rows, result=result)
    if ServerState.OLD in states:
        headline = "A different record is published: it does not match the one shown here."
        return Verdict(CheckState.PROBLEM, headline, rows, result=result)
    headline = "Not found in DNS yet: add the record at your DNS provider, then check again."
    return Verdict(CheckState.MISSING, headline, rows, result=result)


def _expiry_minutes(stale: list[ServerRow]) -> int | None:
    ttls = [r.ttl for r in stale if r.ttl is not None]
    if not ttls:
        return None
    return max(1, math.ceil(max(ttls) / 60))


def options_for(target: Target, options: CheckOptions) -> CheckOptions:
    """The options that run exactly this record's check: its kind's check only, and for DKIM the record itself."""
    records = options.dkim_records
    if target.kind is Kind.DKIM:
        records = (*(r for r in records if r[0] != target.name), (target.name, target.expected))
    return dataclasses.replace(options, only=(str(target.kind),), dkim_records=records)


def result_for(target: Target, output: list[Result]) -> Result | None:
    """The entry of the check's output that judges this record (for DKIM, the selector at the target's name)."""
    if target.kind is not Kind.DKIM:
        return output[0] if output else None
    wanted = target.name.rstrip(".").lower()
    for entry in output:
        if not isinstance(entry, DkimResult) or (entry.name or "").rstrip(".").lower() == wanted:
            return entry
    return None


async def verify(lookup: Lookup, target: Target, options: CheckOptions | None = None) -> Verdict:
    """Ask every view of the target's name and run its kind's check for the domain, concurrently; judge both."""
    lookup = lookup.for_run()  # the views and the check find the zone and its servers once
    views, results = await asyncio.gather(
        lookup.views(target.name, target.rdtype),
        run_domain(target.domain, lookup, options_for(target, options or CheckOptions())),
    )
    return judge(views, target, result_for(target, entries(results.get(str(target.kind)))))
