"""The SPF composer: merges the published record with the senders chosen, CIMcloud always included."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from wizard.core.spf import CIMCLOUD_INCLUDE
from wizard.core.spf.record import (
    MAX_RECORD_OCTETS,
    Kind,
    Mechanism,
    Modifier,
    Qualifier,
    SpfRecord,
    SpfSyntaxError,
    Term,
    is_spf,
    parse_lenient,
    parse_term,
)


@dataclass(frozen=True)
class Composition:
    """The composed record, the changes made (plain sentences for the UI), and terms that could not be used."""

    record: str
    changes: tuple[str, ...]
    errors: tuple[SpfSyntaxError, ...] = ()


@dataclass
class _Draft:
    """An SPF record being merged: its terms so far, the changes made and the errors found."""

    mechanisms: list[Mechanism] = field(default_factory=list)
    modifiers: list[Modifier] = field(default_factory=list)
    redirect: Modifier | None = None
    all: Mechanism | None = None
    changes: list[str] = field(default_factory=list)
    errors: list[SpfSyntaxError] = field(default_factory=list)

    def has(self, mechanism: Mechanism) -> Mechanism | None:
        return next((m for m in self.mechanisms if _same(m, mechanism)), None)

    def add(self, mechanism: Mechanism, reason: str) -> None:
        if self.has(mechanism) is None:
            self.mechanisms.append(mechanism)
            self.changes.append(reason)


def _same(a: Mechanism, b: Mechanism) -> bool:
    """The same mechanism whatever its qualifier or case: a second one can never match anything new."""
    return (a.kind, _name(a.domain), a.ip, a.cidr4, a.cidr6) == (b.kind, _name(b.domain), b.ip, b.cidr4, b.cidr6)


def _name(domain: str | None) -> str | None:
    return None if domain is None else domain.lower().removesuffix(".")


def included(live: Sequence[str], includes: Sequence[str]) -> list[str]:
    """Which of `includes` the published SPF record(s) already include: the senders the SPF page starts ticked."""
    present = set()
    for text in (r for r in live if is_spf(r)):
        record, _ = parse_lenient(text)
        present |= {_name(t.domain) for t in record.terms if isinstance(t, Mechanism) and t.kind is Kind.INCLUDE}
    return [include for include in includes if _name(include.removeprefix("include:")) in present]


def compose(
    live: Sequence[str] = (),
    services: Sequence[str] = (),
    custom: Sequence[str] = (),
    all_qualifier: Qualifier | None = None,
    required: str = CIMCLOUD_INCLUDE,
    *,
    drop: Sequence[str] = (),
) -> Composition:
    """One record from the live TXT values (non-SPF ones are ignored), service includes and custom terms.

    all_qualifier None keeps the live record's (or ~all); a live redirect= then stays and decides for
    unlisted servers. A chosen qualifier turns such a redirect into an include before that all.
    `drop`: includes of the live record to take out (a sending service the admin unticked; never `required`).
    """
    draft = _Draft()
    # A name's TXT records come in no fixed order (an RRset is a set): several SPF records are merged in sorted
    # order, so the record proposed does not change from one lookup to the next.
    records = sorted(r for r in live if is_spf(r))
    if len(records) > 1:
        draft.changes.append(
            f"Your domain has {len(records)} SPF records; receivers treat that as an error and ignore all of them, "
            "so they were merged into one, keeping every server they listed."
        )
    for text in records:
        _take_live(draft, text)
    _drop(draft, drop, required)
    _require(draft, required)
    for include in services:
        target = include.removeprefix("include:")
        draft.add(Mechanism(Kind.INCLUDE, domain=target), f"Added include:{target} for a service that sends as you.")
    for text in custom:
        _take_custom(draft, text)
    return _finish(draft, all_qualifier)


def _drop(draft: _Draft, includes: Sequence[str], required: str) -> None:
    for include in includes:
        target = include.removeprefix("include:")
        found = draft.has(Mechanism(Kind.INCLUDE, domain=target))
        if found is not None and _name(target) != _name(required):
            draft.mechanisms.remove(found)
            draft.changes.append(f"Removed include:{target}: that service is no longer ticked as a sender.")


def _take_live(draft: _Draft, text: str) -> None:
    record, errors = parse_lenient(text)
    for error in errors:
        draft.errors.append(error)
        draft.changes.append(f'Dropped "{error.term}" from your current record: {error.reason}.')
    for term in record.terms:
        _take_term(draft, term, "your current record")


def _take_term(draft: _Draft, term: Term, origin: str) -> None:
    if isinstance(term, Modifier):
        _take_modifier(draft, term, origin)
    elif term.kind is Kind.ALL:
        if draft.all is None:
            draft.all = term
        elif draft.all.qualifier is not term.qualifier:
            draft.changes.append(f'Dropped "{term.text or term.render()}": the record can end with only one all.')
    elif (twin := draft.has(term)) is not None:
        draft.changes.append(f'Removed "{term.text or term.render()}": it repeats "{twin.text or twin.render()}".')
    else:
        draft.mechanisms.append(term)


def _take_modifier(draft: _Draft, term: Modifier, origin: str) -> None:
    if term.name == "redirect":
        if draft.redirect is None:
            draft.redirect = term
        elif draft.redirect.value.lower() != term.value.lower():
            draft.changes.append(f'Dropped "{term.render()}" from {origin}: a record can have only one redirect=.')
        return
    same = next((m for m in draft.modifiers if m.name == term.name), None)
    if same is None:
        draft.modifiers.append(term)
    elif same.value != term.value and term.name == "exp":
        draft.changes.append(f'Dropped "{term.render()}": a record can have only one exp=.')


def _require(draft: _Draft, required: str) -> None:
    include = Mechanism(Kind.INCLUDE, domain=required)
    present = draft.has(include)
    if present is None:
        draft.mechanisms.append(include)
        draft.changes.append(f"Added include:{required} so CIMcloud's servers may send mail as your domain.")
    elif present.qualifier is not Qualifier.PASS:
        index = draft.mechanisms.index(present)
        draft.mechanisms[index] = include
        draft.changes.append(
            f'Changed "{present.text or present.render()}" to include:{required}: with a "{present.qualifier}" in '
            "front it does not authorize CIMcloud."
        )


def _take_custom(draft: _Draft, text: str) -> None:
    try:
        term = parse_term(text.strip())
    except SpfSyntaxError as exc:
        draft.errors.append(exc)
        draft.changes.append(f'Could not add "{text}": {exc.reason}.')
        return
    if isinstance(term, Mechanism) and term.kind is Kind.ALL:
        draft.changes.append(f'Ignored "{text}": choose how to end the record with the all setting instead.')
        return
    before = len(draft.mechanisms)
    _take_term(draft, term, "your custom terms")
    if len(draft.mechanisms) > before:
        draft.changes.append(f'Added "{term.render()}" as you asked.')


def _finish(draft: _Draft, chosen: Qualifier | None) -> Composition:
    redirect = draft.redirect
    if redirect is not None and draft.all is not None:
        draft.changes.append(
            f'Removed "{redirect.render()}": receivers already ignored it, because the record has '
            f'"{draft.all.render()}".'
        )
        redirect = None
    if redirect is not None and chosen is None:
        draft.changes.append(
            f'Kept "{redirect.render()}" at the end: {redirect.value} still decides for every server not listed, '
            "as before. Adding an all would make receivers ignore it."
        )
        return _render(draft, [*draft.mechanisms, *draft.modifiers, redirect])
    if redirect is not None:
        draft.add(
            Mechanism(Kind.INCLUDE, domain=redirect.value),
            f'Turned "{redirect.render()}" into include:{redirect.value} so its servers stay authorized; receivers '
            f"ignore redirect= next to all, and {chosen}all now decides for servers not listed "
            f"(before, {redirect.value}'s own all did).",
        )
    final = _final_all(draft, chosen)
    return _render(draft, [*draft.mechanisms, *draft.modifiers, final])


def _final_all(draft: _Draft, chosen: Qualifier | None) -> Mechanism:
    live = draft.all
    qualifier = chosen or (live.qualifier if live is not None else Qualifier.SOFTFAIL)
    if chosen is None and live is not None and qualifier in (Qualifier.PASS, Qualifier.NEUTRAL):
        was = live.text or live.render()
        draft.changes.append(
            f'Changed "{was}" to ~all: it let servers you never listed send as your domain without being flagged.'
        )
        qualifier = Qualifier.SOFTFAIL
    elif live is None:
        effect = (
            "refused (fail)."
            if qualifier is Qualifier.FAIL
            else "marked suspicious (soft fail), as CIMcloud's guide shows."
        )
        draft.changes.append(f"Ended the record with {qualifier}all: mail from servers not listed is {effect}")
    elif live.qualifier is not qualifier:
        draft.changes.append(f'Changed "{live.text or live.render()}" to {qualifier}all as you chose.')
    return Mechanism(Kind.ALL, qualifier)


def _render(draft: _Draft, terms: list[Term]) -> Composition:
    record = SpfRecord(tuple(terms)).render()
    octets = len(record.encode("utf-8"))
    if octets > MAX_RECORD_OCTETS:
        draft.changes.append(
            f"The record is {octets} octets; over {MAX_RECORD_OCTETS} some receivers fail to fetch it. Remove "
            "services that no longer send mail."
        )
    elif octets > 255:
        draft.changes.append("The record is longer than 255 characters, so it is published as several quoted strings.")
    return Composition(record, tuple(draft.changes), tuple(draft.errors))
