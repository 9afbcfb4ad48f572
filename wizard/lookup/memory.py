"""An in-memory answer source behind the same interface as the lookup layer, for offline use and tests."""

from __future__ import annotations

import asyncio

from wizard.core.answers import Answer, AuthoritativeView, NameViews, Outcome, TxtRecord
from wizard.lookup.settings import LookupSettings


def _key(name: str) -> str:
    return name.rstrip(".").lower()


class MemorySource:
    """Answers from a dict of names, like a tiny authoritative zone, with optional delay and timeouts.

    `queries` records every question asked, in order, so a caller can count lookups. It also offers the lookup
    layer's views (one authoritative server, "memory", that serves the same data), so checks run on it offline.
    """

    settings = LookupSettings()

    def __init__(self, delay: float = 0.0, ttl: int = 300) -> None:
        self._data: dict[str, dict[str, list[str | TxtRecord]]] = {}
        self._timeouts: set[tuple[str, str]] = set()
        self.delay = delay
        self.ttl = ttl
        self.queries: list[tuple[str, str]] = []

    def add(self, name: str, rdtype: str, value: str | TxtRecord | tuple[bytes, ...]) -> None:
        """Add a record. TXT values may be a str (one string), a tuple of byte strings or a TxtRecord."""
        rdtype = rdtype.upper()
        if rdtype in ("TXT", "SPF") and not isinstance(value, TxtRecord):
            value = TxtRecord(value if isinstance(value, tuple) else (value.encode("utf-8"),))
        assert not isinstance(value, tuple)
        self._data.setdefault(_key(name), {}).setdefault(rdtype, []).append(value)

    def add_name(self, name: str) -> None:
        """Make the name exist with no records (so questions get NODATA, not NXDOMAIN)."""
        self._data.setdefault(_key(name), {})

    def add_timeout(self, name: str, rdtype: str = "*") -> None:
        """Questions for this name (and type, or every type with "*") never get an answer."""
        self._timeouts.add((_key(name), rdtype.upper()))

    async def resolve(self, name: str, rdtype: str) -> Answer:
        rdtype = rdtype.upper()
        self.queries.append((_key(name), rdtype))
        if self.delay:
            await asyncio.sleep(self.delay)
        current = _key(name)
        for _ in range(16):
            if (current, rdtype) in self._timeouts or (current, "*") in self._timeouts:
                return Answer(name, rdtype, Outcome.TIMEOUT, server="memory", detail="no answer (simulated)")
            node = self._data.get(current)
            if node is None:
                return Answer(name, rdtype, Outcome.NXDOMAIN, ttl=self.ttl, server="memory", canonical=current)
            if rdtype != "CNAME" and "CNAME" in node:
                target = node["CNAME"][0]
                assert isinstance(target, str)
                current = _key(target)
                continue
            records = node.get(rdtype, [])
            if not records:
                return Answer(name, rdtype, Outcome.NODATA, ttl=self.ttl, server="memory", canonical=current)
            txt = tuple(r for r in records if isinstance(r, TxtRecord))
            values = tuple(r.text if isinstance(r, TxtRecord) else r for r in records)
            return Answer(
                name, rdtype, Outcome.OK, values=values, txt=txt, ttl=self.ttl, server="memory", canonical=current
            )
        return Answer(name, rdtype, Outcome.ERROR, server="memory", detail="CNAME chain too long")

    async def authoritative(self, name: str, rdtype: str) -> AuthoritativeView:
        return AuthoritativeView(name, rdtype.upper(), "memory", Outcome.OK, (await self.resolve(name, rdtype),))

    async def views(self, name: str, rdtype: str) -> NameViews:
        answer = await self.resolve(name, rdtype)
        return NameViews(answer, AuthoritativeView(name, rdtype.upper(), "memory", Outcome.OK, (answer,)))

    async def name_servers(self, name: str) -> tuple[str | None, list[str], Outcome, str]:
        """The nearest enclosing name with NS records, and their host names (as Lookup.name_servers gives them)."""
        labels = name.rstrip(".").lower().split(".")
        for start in range(len(labels)):
            zone = ".".join(labels[start:])
            answer = await self.resolve(zone, "NS")
            if answer.ok:
                return zone, sorted({v.rstrip(".").lower() for v in answer.values}), Outcome.OK, ""
            if answer.outcome.is_failure:
                return None, [], answer.outcome, answer.detail
        return None, [], Outcome.NXDOMAIN, f"no zone holds {name}"

    def for_run(self) -> MemorySource:
        """The same zone data for a run of checks (there is nothing to share: it answers at once)."""
        return self

    def run_memo(self, kind: type) -> None:
        """No run memo (Lookup.run_memo): each domain's checks ask this source again, so `queries` counts them."""
        return None

    def for_domain(self) -> MemorySource:
        """The same zone data for one domain's checks (each question is still counted in `queries`)."""
        return self
