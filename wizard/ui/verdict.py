"""What a live check of one record means, server by server: pure decisions, no Qt, testable without a window.

The verification panel asks the lookup layer for the three views of a name and hands them here with a
matcher from the page ("is this TXT value the record I told the admin to add?").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from wizard.core.answers import Answer, Outcome
from wizard.core.dkim.verify import compare, dkim_records
from wizard.lookup.lookup import NameViews
from wizard.store import CheckRecord, CheckState

# Automatic re-checks back off: the first soon after the page opens, then ever more patient, capped.
BACKOFF_SECONDS = (15, 30, 60, 120, 240)
BACKOFF_CAP = 300


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


Matcher = Callable[[Sequence[str]], ServerState]


@dataclass(frozen=True)
class ServerRow:
    role: Role
    server: str
    state: ServerState
    ttl: int | None
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    state: CheckState
    headline: str
    rows: tuple[ServerRow, ...]
    cache_minutes: int | None = None  # when cached old answers expire, in whole minutes (rounded up)

    @property
    def summary(self) -> str:
        if self.cache_minutes is None:
            return self.headline
        return f"{self.headline} {cache_text(self.cache_minutes)}"


def backoff(attempt: int) -> int:
    """Seconds before automatic re-check number `attempt` (0-based)."""
    if attempt < len(BACKOFF_SECONDS):
        return BACKOFF_SECONDS[attempt]
    return BACKOFF_CAP


def countdown_text(seconds: int) -> str:
    minutes, secs = divmod(max(0, seconds), 60)
    return f"{minutes}:{secs:02d}"


def cache_text(minutes: int) -> str:
    if minutes <= 1:
        return "Cached old answers expire in about a minute."
    return f"Cached old answers expire in about {minutes} minutes."


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _tags(text: str) -> list[str]:
    """A tag=value list (DKIM, DMARC, MTA-STS, TLS-RPT) in a canonical form: spaces around ; and = dropped."""
    parts = [p.strip() for p in text.split(";")]
    return [re.sub(r"\s*=\s*", "=", p, count=1) for p in parts if p]


def record_matcher(expected: str, prefix: str, *, tag_list: bool) -> Matcher:
    """A matcher for records that start with `prefix` (v=spf1, v=DMARC1, ...), compared with `expected`.

    Whitespace is collapsed; a tag list compares tag by tag so "p=none; rua=..." equals "p=none;rua=...".
    """

    def canonical(text: str) -> object:
        return _tags(text.casefold()) if tag_list else _collapse(text.casefold())

    want = canonical(expected)
    pattern = re.compile(rf"^\s*{re.escape(prefix)}(\s|;|$)", re.IGNORECASE)

    def match(texts: Sequence[str]) -> ServerState:
        relevant = [t for t in texts if pattern.match(t)]
        if any(canonical(t) == want for t in relevant):
            return ServerState.FOUND
        return ServerState.OLD if relevant else ServerState.MISSING

    return match


def dkim_matcher(expected: str) -> Matcher:
    """FOUND when a published DKIM record equals the expected one after normalization (core compare)."""

    def match(texts: Sequence[str]) -> ServerState:
        records = dkim_records(list(texts))
        if any(compare(expected, r) is None for r in records):
            return ServerState.FOUND
        return ServerState.OLD if records else ServerState.MISSING

    return match


# How each kind of record is recognised among a name's TXT records: the version tag and whether it is a tag list.
_PREFIXES = {
    "spf": ("v=spf1", False),
    "dmarc": ("v=DMARC1", True),
    "mta_sts": ("v=STSv1", True),
    "tls_rpt": ("v=TLSRPTv1", True),
}
KINDS = (*_PREFIXES, "dkim")


def matcher_for(kind: str, expected: str) -> Matcher:
    """The matcher for one kind of record ("spf", "dkim", "dmarc", "mta_sts", "tls_rpt")."""
    if kind == "dkim":
        return dkim_matcher(expected)
    prefix, tag_list = _PREFIXES[kind]
    return record_matcher(expected, prefix, tag_list=tag_list)


@dataclass(frozen=True)
class Target:
    """One record to verify: the name to ask, the kind of record and the value the admin was told to add."""

    name: str
    kind: str
    expected: str
    rdtype: str = "TXT"

    @property
    def matcher(self) -> Matcher:
        return matcher_for(self.kind, self.expected)

    def record(self, verdict: Verdict, checked_at: float) -> CheckRecord:
        """The verdict as kept in progress, with this target, so it can be checked again later."""
        return CheckRecord(verdict.state, verdict.summary, checked_at, self.name, self.kind, self.expected)

    @classmethod
    def of(cls, record: CheckRecord) -> Target | None:
        """The target a saved result was checked against (None for results saved before targets were kept)."""
        if not record.name or record.kind not in KINDS:
            return None
        return cls(record.name, record.kind, record.expected)


def server_state(answer: Answer, matcher: Matcher) -> ServerState:
    if answer.outcome is Outcome.TIMEOUT:
        return ServerState.TIMEOUT
    if answer.outcome.is_failure:
        return ServerState.ERROR
    if answer.outcome is not Outcome.OK:
        return ServerState.MISSING
    return matcher(answer.texts)


def _row(role: Role, answer: Answer, matcher: Matcher) -> ServerRow:
    state = server_state(answer, matcher)
    detail = answer.detail
    if state is ServerState.OLD:
        detail = " | ".join(answer.texts)
    return ServerRow(role, answer.server, state, answer.ttl, detail)


def rows_of(views: NameViews, matcher: Matcher) -> list[ServerRow]:
    """One row per authoritative server (or one for the whole view when it failed), the resolver, each public one."""
    auth = views.authoritative.final
    rows: list[ServerRow]
    if auth.outcome is Outcome.OK:
        rows = [_row(Role.AUTHORITATIVE, a, matcher) for a in auth.servers]
    else:
        state = ServerState.TIMEOUT if auth.outcome is Outcome.TIMEOUT else ServerState.ERROR
        rows = [ServerRow(Role.AUTHORITATIVE, auth.zone or "(name servers)", state, None, auth.detail)]
    rows.append(_row(Role.RESOLVER, views.resolver, matcher))
    rows.extend(_row(Role.PUBLIC, a, matcher) for a in views.public)
    return rows


def judge(views: NameViews, matcher: Matcher) -> Verdict:
    """Verified when every authoritative server and every cache that answered serve the record."""
    rows = rows_of(views, matcher)
    auth = [r for r in rows if r.role is Role.AUTHORITATIVE]
    caches = [r for r in rows if r.role is not Role.AUTHORITATIVE]
    stale = [r for r in caches if r.state in (ServerState.OLD, ServerState.MISSING)]
    minutes = _expiry_minutes(stale)
    found = sum(r.state is ServerState.FOUND for r in auth)
    resolver = next(r for r in caches if r.role is Role.RESOLVER)
    if found == len(auth) and resolver.state is ServerState.FOUND and not stale:
        return Verdict(CheckState.VERIFIED, "Verified: every server asked serves the record.", tuple(rows))
    if found == len(auth):
        return Verdict(
            CheckState.WAITING,
            "Published on every authoritative server; waiting for caches to catch up.",
            tuple(rows),
            minutes,
        )
    if found:
        return Verdict(
            CheckState.WAITING,
            f"Published on {found} of {len(auth)} authoritative servers; waiting for the others to pick up the change.",
            tuple(rows),
            minutes,
        )
    return Verdict(CheckState.PROBLEM, _problem_headline(auth), tuple(rows))


def _problem_headline(auth: list[ServerRow]) -> str:
    states = {r.state for r in auth}
    if states & {ServerState.TIMEOUT, ServerState.ERROR}:
        return "The authoritative servers could not be checked: see each server below."
    if ServerState.OLD in states:
        return "A different record is published: it does not match the one shown here."
    return "Not found in DNS yet: add the record at your DNS provider, then check again."


def _expiry_minutes(stale: list[ServerRow]) -> int | None:
    ttls = [r.ttl for r in stale if r.ttl is not None]
    if not ttls:
        return None
    return max(1, math.ceil(max(ttls) / 60))
