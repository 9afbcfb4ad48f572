"""The publish plan: the change to a domain's TXT records, limited to the records this tool owns.

Owned: the SPF record at the apex (only the `v=spf1` one: every other apex TXT, such as
`google-site-verification=` or `MS=`, is kept byte for byte, its string splitting included), the DKIM
TXT, `_dmarc`, `_mta-sts`, `_smtp._tls` and `_report._dmarc` authorizations. A Change holds the whole
RRset read (the update's prerequisite, so a server changed meanwhile refuses it all), the exact records
removed and those added; its inverse is the undo.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wizard.core.dmarc.record import is_dmarc_record
from wizard.core.names import organizational_domain
from wizard.core.records import Kind, replaces
from wizard.core.spf.compose import compose
from wizard.core.spf.record import is_spf
from wizard.core.txt import join_strings, split_value

Strings = tuple[bytes, ...]  # one TXT record's character-strings, as published
DEFAULT_TTL = 3600


class PlanError(ValueError):
    """The plan cannot be made (a name outside the zone, a zone above the domain's registrable domain)."""


@dataclass(frozen=True)
class Wanted:
    """One record the admin wants published. For SPF, value is either the whole record (`v=spf1 ...`, as the
    wizard composed it) or the includes to add (space-separated), composed with what is published."""

    kind: Kind
    name: str  # absolute, no final dot
    value: str


@dataclass(frozen=True)
class Change:
    """The change at one name: the TXT RRset read, the records removed from it, and those added."""

    name: str
    zone: str
    ttl: int
    before: tuple[Strings, ...]
    remove: tuple[Strings, ...]
    add: tuple[Strings, ...]
    reasons: tuple[str, ...] = ()

    @property
    def after(self) -> tuple[Strings, ...]:
        """The RRset once applied: the records kept, in their order, then the ones added."""
        kept = tuple(r for r in self.before if r not in self.remove)
        return kept + tuple(r for r in self.add if r not in kept)

    def inverse(self) -> Change:
        """The change that restores `before` from `after` (the undo)."""
        return Change(self.name, self.zone, self.ttl, self.after, self.add, self.remove, ("restore the saved records",))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "zone": self.zone,
            "ttl": self.ttl,
            "before": [_encode(r) for r in self.before],
            "remove": [_encode(r) for r in self.remove],
            "add": [_encode(r) for r in self.add],
        }


@dataclass(frozen=True)
class Plan:
    """Every change for one domain, grouped per zone when applied (one all-or-nothing update per zone)."""

    domain: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.changes

    def zones(self) -> dict[str, list[Change]]:
        grouped: dict[str, list[Change]] = {}
        for change in self.changes:
            grouped.setdefault(change.zone, []).append(change)
        return grouped

    def inverse(self) -> Plan:
        return Plan(self.domain, tuple(c.inverse() for c in self.changes), ("undo",))

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "domain": self.domain, "changes": [c.to_json() for c in self.changes]}


def _encode(record: Strings) -> list[str]:
    return [base64.b64encode(s).decode("ascii") for s in record]


def plan_from_json(data: Any) -> Plan:
    """A Plan saved by Plan.to_json() (the undo file); ValueError when the data is not one."""
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("changes"), list):
        raise ValueError("not a saved publish plan")
    try:
        changes = tuple(
            Change(
                str(c["name"]),
                str(c["zone"]),
                int(c["ttl"]),
                before=_records(c["before"]),
                remove=_records(c["remove"]),
                add=_records(c["add"]),
            )
            for c in data["changes"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a saved publish plan: {exc}") from None
    return Plan(str(data["domain"]), changes)


def _records(data: Any) -> tuple[Strings, ...]:
    if not isinstance(data, list):
        raise TypeError("records are not a list")
    return tuple(_decode(r) for r in data)


def _decode(record: Any) -> Strings:
    if not isinstance(record, list):
        raise TypeError("a record is not a list of strings")
    return tuple(base64.b64decode(s, validate=True) for s in record)


def to_strings(value: str) -> Strings:
    """A value as TXT character-strings of at most 255 octets."""
    return tuple(piece.encode("utf-8") for piece in split_value(value))


def render(record: Strings) -> str:
    """A record as a zone file writes it, every string quoted: shows where a value is split."""
    return " ".join('"' + s.decode("utf-8", "replace").replace("\\", "\\\\").replace('"', '\\"') + '"' for s in record)


def check_zone(domain: str, zone: str, name: str) -> None:
    """PlanError unless `name` is in `zone` and the zone is the domain's own (never a public suffix above it)."""
    zone, name = zone.rstrip(".").lower(), name.rstrip(".").lower()
    if name != zone and not name.endswith("." + zone):
        raise PlanError(f"{name} is not in zone {zone}")
    org = organizational_domain(domain)
    if zone != org and not zone.endswith("." + org):
        raise PlanError(
            f"{domain} has no zone of its own in DNS (the nearest zone is {zone}): check that the domain is "
            "registered and delegated to the server you publish to"
        )


def change_for(wanted: Wanted, zone: str, current: Sequence[Strings], ttl: int | None) -> Change | None:
    """The change that makes `wanted` published at its name, None when it already is."""
    texts = [join_strings(r) for r in current]
    value, reasons = wanted.value, tuple[str, ...]()
    if wanted.kind is Kind.SPF and not is_spf(wanted.value):
        composed = compose(live=texts, services=wanted.value.split())
        value, reasons = composed.record, composed.changes
    remove = tuple(r for r, text in zip(current, texts, strict=True) if replaces(wanted.kind, text) and text != value)
    add: tuple[Strings, ...] = () if value in texts else (to_strings(value),)
    if not remove and not add:
        return None
    return Change(wanted.name, zone, ttl if current and ttl else DEFAULT_TTL, tuple(current), remove, add, reasons)


def make_plan(
    domain: str,
    wanted: Iterable[Wanted],
    zones: Mapping[str, str],
    current: Mapping[str, tuple[Sequence[Strings], int | None]],
) -> Plan:
    """The plan for `domain`: for each wanted record, the change from the RRset read at its name.

    zones maps each name to its zone; current maps it to (TXT records read, the RRset's TTL).
    """
    changes = []
    for item in wanted:
        zone = zones[item.name]
        check_zone(domain, zone, item.name)
        records, ttl = current.get(item.name, ((), None))
        change = change_for(item, zone, records, ttl)
        if change is not None:
            changes.append(change)
    return Plan(domain, tuple(changes))


def kind_of(name: str, value: str) -> Kind | None:
    """Which owned record a TXT value at `name` is (None: not one this tool publishes)."""
    labels = name.rstrip(".").lower().split(".")
    checks = (
        (Kind.SPF, is_spf(value)),
        (Kind.DKIM, "_domainkey" in labels[1:]),
        (Kind.REPORT_AUTH, any(labels[i : i + 2] == ["_report", "_dmarc"] for i in range(1, len(labels)))),
        (Kind.DMARC, labels[0] == "_dmarc" and is_dmarc_record(value)),
        (Kind.MTA_STS, labels[0] == "_mta-sts" and replaces(Kind.MTA_STS, value)),
        (Kind.TLS_RPT, labels[:2] == ["_smtp", "_tls"] and replaces(Kind.TLS_RPT, value)),
    )
    return next((kind for kind, matched in checks if matched), None)


def diff_lines(plan: Plan, server: str) -> list[str]:
    """The plan as a before/after diff: '=' kept, '-' removed, '+' added, every string quoted."""
    if plan.empty:
        return [f"{plan.domain}: nothing to change; every record is already published."]
    lines = [f"Plan for {plan.domain} on {server}:"]
    for change in plan.changes:
        lines.append(f"  {change.name} TXT (zone {change.zone}, TTL {change.ttl})")
        lines += [f"    = {render(r)}" for r in change.before if r not in change.remove]
        lines += [f"    - {render(r)}" for r in change.remove]
        lines += [f"    + {render(r)}" for r in change.add]
        lines += [f"      ({reason})" for reason in change.reasons]
    return lines


def record_problem(wanted: Wanted) -> str | None:
    """Why a record must not be published as it is (a DKIM key that does not read, a DMARC record with
    errors), or None. The plan never writes a record the checks would fail."""
    from wizard.core.dkim.key import validate
    from wizard.core.dmarc.record import parse_dmarc
    from wizard.core.findings import Severity

    if wanted.kind is Kind.DKIM:
        findings = validate(wanted.value).findings
    elif wanted.kind is Kind.DMARC:
        findings = parse_dmarc(wanted.value).problems
    else:
        return None
    return next((f.message for f in findings if f.severity is Severity.ERROR), None)
