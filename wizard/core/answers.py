"""Typed results of DNS lookups: every outcome is a value, never an exception. Plain data, no I/O."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

from wizard.core.txt import join_strings


class Outcome(StrEnum):
    OK = "ok"  # records found
    NXDOMAIN = "nxdomain"  # the name does not exist
    NODATA = "nodata"  # the name exists, but has no records of this type
    TIMEOUT = "timeout"  # no answer within the deadline
    SERVFAIL = "servfail"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"  # network error: no route, connection refused
    ERROR = "error"  # anything else: FORMERR, a malformed reply, a lame server

    @property
    def is_failure(self) -> bool:
        """A failure to get an answer (temperror), as opposed to an answer that says "nothing here"."""
        return self not in (Outcome.OK, Outcome.NXDOMAIN, Outcome.NODATA)


@dataclass(frozen=True, init=False)
class TxtRecord:
    """One TXT record: its character-strings as published, and their concatenation."""

    strings: tuple[bytes, ...]
    text: str = field(init=False, repr=False, compare=False)  # the strings joined

    def __init__(self, strings: tuple[bytes, ...]) -> None:
        # The text joined now, not on first use through a cached_property (whose __get__ takes a lock in
        # Python 3.11): the lookup layer reads the text of every TXT record it gets, and this costs half.
        self.__dict__.update({"strings": strings, "text": join_strings(strings)})


@dataclass(frozen=True, init=False)
class Answer:
    """What one source said about one name and type.

    values: the records in presentation form (addresses for A/AAAA, "10 mx.example.com." for MX,
    the target for CNAME/PTR/NS, the joined text for TXT); txt keeps TXT strings as published.
    ttl: the record set's TTL, or for NXDOMAIN/NODATA the negative-caching TTL from the SOA.
    server: who answered ("resolver", "127.0.0.1:53", "Google 8.8.8.8:53").
    canonical: the name the records belong to after following CNAMEs.
    received_at: when it was received (time.time(), unless given).
    """

    name: str
    rdtype: str
    outcome: Outcome
    values: tuple[str, ...] = ()
    txt: tuple[TxtRecord, ...] = ()
    ttl: int | None = None
    server: str = ""
    canonical: str = ""
    detail: str = ""
    received_at: float = field(default_factory=time.time)
    authoritative: bool = False

    def __init__(  # noqa: PLR0917 (the dataclass __init__ it replaces takes every field by position)
        self,
        name: str,
        rdtype: str,
        outcome: Outcome,
        values: tuple[str, ...] = (),
        txt: tuple[TxtRecord, ...] = (),
        ttl: int | None = None,
        server: str = "",
        canonical: str = "",
        detail: str = "",
        received_at: float | None = None,
        authoritative: bool = False,
    ) -> None:
        # The fields in one dictionary, not one object.__setattr__ each as a frozen dataclass's own __init__
        # does: a batch domain makes about 15 answers, and that __init__ cost 22 k instructions each.
        self.__dict__.update(
            {
                "name": name,
                "rdtype": rdtype,
                "outcome": outcome,
                "values": values,
                "txt": txt,
                "ttl": ttl,
                "server": server,
                "canonical": canonical,
                "detail": detail,
                "received_at": time.time() if received_at is None else received_at,
                "authoritative": authoritative,
            }
        )

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def texts(self) -> list[str]:
        """The TXT records, each one's strings joined."""
        return [t.text for t in self.txt]

    def to_json(self) -> dict[str, Any]:
        """Who answered, the outcome, the records (TXT joined), the TTL, and the detail when there is one."""
        return {
            "server": self.server,
            "outcome": str(self.outcome),
            "records": list(self.values),
            "ttl": self.ttl,
            **({"detail": self.detail} if self.detail else {}),
        }

    def expires_in(self, now: float | None = None) -> float | None:
        """Seconds until this answer's TTL runs out, counted from when it was received."""
        if self.ttl is None:
            return None
        elapsed = (time.time() if now is None else now) - self.received_at
        return max(0.0, self.ttl - elapsed)


class Source(Protocol):
    """Anything that answers DNS questions the way a resolver would: the lookup layer, or a test's zone data."""

    async def resolve(self, name: str, rdtype: str) -> Answer: ...


T = TypeVar("T")


class _AskAgain(Exception):
    """The caller that was asking a shared question was cancelled: whoever still waits for it asks again."""


def _answer_all(followers: list[asyncio.Future[T]], answer: T) -> None:
    """Hand the answer to the callers that joined a question in flight."""
    for joined in followers:
        if not joined.done():
            joined.set_result(answer)


def _fail_all(followers: list[asyncio.Future[T]], exc: BaseException) -> None:
    for joined in followers:
        if not joined.done():
            joined.set_exception(exc)


class Shared(Generic[T]):
    """Questions asked once while in flight: callers asking the same thing meanwhile share the answer, and the
    answers a caller's `keep` accepts are kept for later callers (SharedSource's for one check run; the lookup
    layer's zone cuts, name servers and their addresses for one run), at most `limit` of them when there is a
    limit (past a quarter over it, the oldest are forgotten), so a run over ten thousand domains holds no more
    than a run over a few hundred.

    The first caller asks in its own task (no task or shield of its own per question: most questions have no
    second caller, and those cost a fifth of a batch run's CPU); a caller that joins waits on a future of its
    own, so its cancellation touches nobody else. When the first caller is cancelled before the answer came,
    the question ends with it and each caller still waiting asks again itself: nothing runs on for nobody, and
    nobody is left without an answer. A question that failed fails for every caller waiting and is not kept.
    """

    __slots__ = ("flights", "kept", "limit")

    def __init__(self, limit: int | None = None) -> None:
        # A question in flight: the futures of the callers that joined the one asking (a plain list, no object
        # of its own: the lookup layer asks about fifty questions per domain through here).
        self.flights: dict[Hashable, list[asyncio.Future[T]]] = {}
        self.kept: dict[Hashable, T] = {}
        self.limit = limit

    def asked(self, key: Hashable) -> bool:
        """Whether `key` is being asked, or its answer is kept."""
        return key in self.flights or key in self.kept

    async def get(self, key: Hashable, make: Callable[[], Awaitable[T]], keep: bool | Callable[[T], bool] = False) -> T:
        """The answer for `key`: kept, joined while in flight, or asked with `make()`; kept afterwards when `keep`
        is True or accepts it."""
        if (kept := self.kept.get(key)) is not None:
            return kept
        flights = self.flights
        while (joining := flights.get(key)) is not None:
            joined: asyncio.Future[T] = asyncio.get_running_loop().create_future()
            joining.append(joined)
            try:
                return await joined
            except _AskAgain:
                continue
        followers: list[asyncio.Future[T]] = []
        flights[key] = followers
        try:
            answer = await make()
        except BaseException as exc:
            if flights.get(key) is followers:
                del flights[key]
            _fail_all(followers, exc if isinstance(exc, Exception) else _AskAgain())  # cancelled (or interrupted)
            raise
        if flights.get(key) is followers:
            del flights[key]
        if keep is True or (callable(keep) and keep(answer)):
            self._keep(key, answer)
        if followers:
            _answer_all(followers, answer)
        return answer

    def _keep(self, key: Hashable, answer: T) -> None:
        kept = self.kept
        kept[key] = answer
        limit = self.limit
        if limit is not None and len(kept) > limit + limit // 4:
            for old in list(kept)[: len(kept) - limit]:  # the oldest first (a dict keeps its order)
                del kept[old]


class SharedSource:
    """A Source that asks each name and type once and gives every caller the same answer.

    For the questions of one check run (an SPF tree and the check_host() evaluations after it), never
    longer: a new run makes a new one, so a re-check still asks DNS now.
    """

    def __init__(self, source: Source) -> None:
        self.source = source
        self._answers: Shared[Answer] = Shared()

    async def resolve(self, name: str, rdtype: str) -> Answer:
        key = (name.rstrip(".").lower(), rdtype.upper())
        answer = self._answers.kept.get(key)
        if answer is not None:
            return answer
        return await self._answers.get(key, partial(self.source.resolve, name, rdtype), keep=True)


def shared(source: Source) -> Source:
    """`source` asking each question once: itself when it already does (a SharedSource, or a source whose
    `asks_once` says it keeps every answer it gave), so callers can nest freely."""
    if isinstance(source, SharedSource) or getattr(source, "asks_once", False):
        return source
    return SharedSource(source)


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
