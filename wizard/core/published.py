"""The one record of a kind at a DNS name (`v=STSv1` at `_mta-sts`, `v=TLSRPTv1` at `_smtp._tls`), picked as
senders pick it: a failed lookup or several such records mean none applies. Pure: it reads a given Answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from wizard.core.answers import Answer
from wizard.core.findings import Finding, error


class Parsed(Protocol):
    @property
    def problems(self) -> tuple[Finding, ...]: ...


R = TypeVar("R", bound=Parsed)


@dataclass(frozen=True)
class RecordKind(Generic[R]):
    """How to recognise and parse one kind of record, and how its findings are named."""

    code: str  # finding-code prefix: "mta-sts" gives mta-sts.lookup-failed and mta-sts.multiple
    label: str  # in messages: "MTA-STS records"
    is_record: Callable[[str], bool]
    parse: Callable[[str], R]
    near: str  # a TXT value containing this (any case) was meant as one: its problems are reported


def pick_record(name: str, answer: Answer, kind: RecordKind[R]) -> tuple[list[Finding], R | None]:
    """Findings about the `kind` records at `name`, and the parsed record when there is exactly one.

    No findings and no record: nothing of the kind is published there (the caller says what that means).
    """
    if answer.outcome.is_failure:
        return [
            error(f"{kind.code}.lookup-failed", f"Looking up {name} failed ({answer.outcome}).", "Check again later.")
        ], None
    records = [t for t in answer.texts if kind.is_record(t)]
    if len(records) > 1:
        message = f"{name} has {len(records)} {kind.label} records; senders ignore them all."
        return [error(f"{kind.code}.multiple", message, "Keep exactly one.")], None
    if records:
        record = kind.parse(records[0])
        return list(record.problems), record
    near = [t for t in answer.texts if kind.near in t.lower()]
    return (list(kind.parse(near[0]).problems) if near else []), None
