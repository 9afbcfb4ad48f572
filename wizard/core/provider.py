"""DNS providers: which one hosts a zone (from its NS names), and a record as that provider's form wants it.

The data (NS patterns, form conventions, help links) lives in resources/providers.json; this module
only parses it and applies it, so the rules are testable without files or DNS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from wizard.core.txt import split_value, zone_file_value

OTHER_ID = "other"


class Quotes(StrEnum):
    """Whether the form wants the TXT value in double quotes."""

    NONE = "none"  # type the value bare; the form adds the quotes itself
    REQUIRED = "required"  # type it in double quotes


class LongValues(StrEnum):
    """How the form takes a value longer than one 255-octet TXT string."""

    ONE_FIELD = "one-field"  # paste it whole: the form keeps it in one field
    SPLIT_AUTOMATICALLY = "split-automatically"  # paste it whole: the form splits it into strings
    QUOTED_STRINGS = "quoted-strings"  # type several quoted strings of at most 255 octets


class ProviderDataError(ValueError):
    """resources/providers.json does not hold what this module expects."""


@dataclass(frozen=True)
class Provider:
    """One DNS provider: how to recognise it and how its record form works."""

    id: str
    name: str
    ns_patterns: tuple[re.Pattern[str], ...]
    name_apex: str  # what to type in the name field for the zone apex ("@" or "")
    appends_zone: bool  # the form adds the zone to the name typed (the full name would double it)
    quotes: Quotes
    long_values: LongValues
    ttl_choices: tuple[int, ...]  # seconds; 0 is the provider's "Auto"
    ttl_free: bool  # any number of seconds may be typed
    lexicon: str | None  # dns-lexicon's provider name, when lexicon can publish there
    help_url: str

    def matches(self, host: str) -> bool:
        """Whether one NS host name (any case, final dot or not) follows one of this provider's patterns."""
        bare = host.strip().rstrip(".").lower()
        return any(p.fullmatch(bare) for p in self.ns_patterns)


@dataclass(frozen=True)
class Providers:
    """The known providers and the generic "other provider" fallback."""

    known: tuple[Provider, ...]
    other: Provider
    # The provider found for each set of NS names (a batch's domains mostly share a handful of providers' servers).
    _found: dict[tuple[str, ...], Provider | None] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def by_id(self, provider_id: str) -> Provider | None:
        return next((p for p in (*self.known, self.other) if p.id == provider_id), None)

    def serving(self, hosts: tuple[str, ...]) -> Provider | None:
        """The provider whose pattern most of `hosts` (bare lower-case NS names) follow; the data file's order
        breaks a tie. Worked out once per set of names."""
        if hosts not in self._found:
            best: tuple[int, Provider] | None = None
            for provider in self.known:
                count = sum(provider.matches(h) for h in hosts)
                if count and (best is None or count > best[0]):
                    best = (count, provider)
            self._found[hosts] = best[1] if best is not None else None
        return self._found[hosts]


@dataclass(frozen=True)
class ProviderMatch:
    """The provider assumed for a zone, and why: the zone's NS names that follow its pattern."""

    provider: Provider
    zone: str
    ns: tuple[str, ...]  # every NS name of the zone, sorted

    @property
    def reason(self) -> str:
        """One sentence for the record card: which provider was assumed and why."""
        return f"{self.zone} is served by {', '.join(self.ns)}: these are {self.provider.name}'s name servers."

    def to_json(self) -> dict[str, Any]:
        return {"name": self.provider.name, "ns": list(self.ns)}


@dataclass(frozen=True)
class FormRecord:
    """A TXT record as one provider's form wants it typed."""

    provider: Provider
    type: str
    name: str  # the name field
    values: tuple[str, ...]  # one entry per field to fill (several only when the form takes strings apart)
    ttl: int  # seconds; 0 for "Auto"
    ttl_label: str
    notes: tuple[str, ...]

    @property
    def value(self) -> str:
        """The value field's text (the strings, space-separated, when the form wants several)."""
        return " ".join(self.values)


def providers_from_json(data: Any) -> Providers:
    """Providers from the parsed resources/providers.json; ProviderDataError when it is not that file."""
    if not isinstance(data, dict) or not isinstance(data.get("providers"), list):
        raise ProviderDataError("providers.json holds no 'providers' list")
    known = tuple(_provider(entry) for entry in data["providers"])
    ids = [p.id for p in known]
    if len(set(ids)) != len(ids):
        raise ProviderDataError("providers.json lists a provider twice")
    return Providers(known, _provider(data.get("other")))


def _provider(entry: Any) -> Provider:
    if not isinstance(entry, Mapping):
        raise ProviderDataError("a provider entry is not an object")
    try:
        ttl = tuple(int(t) for t in entry["ttl"])
        return Provider(
            id=str(entry["id"]),
            name=str(entry["name"]),
            ns_patterns=tuple(re.compile(str(p)) for p in entry["ns"]),
            name_apex=str(entry["name_apex"]),
            appends_zone=bool(entry["appends_zone"]),
            quotes=Quotes(entry["quotes"]),
            long_values=LongValues(entry["long_values"]),
            ttl_choices=ttl or (3600,),
            ttl_free=bool(entry["ttl_free"]),
            lexicon=str(entry["lexicon"]) if entry.get("lexicon") else None,
            help_url=str(entry.get("help") or ""),
        )
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ProviderDataError(f"provider {entry.get('id', '?')!r}: {exc}") from None


def detect(providers: Providers, zone: str, ns_names: Iterable[str]) -> ProviderMatch | None:
    """The provider whose pattern most of the zone's NS names follow; None when none does (self-hosted or
    unknown). A zone moving between providers can list both: the majority wins, the data file's order breaks
    a tie."""
    hosts = tuple(sorted({h.strip().rstrip(".").lower() for h in ns_names if h.strip()}))
    provider = providers.serving(hosts)
    if provider is None:
        return None
    return ProviderMatch(provider, zone.rstrip(".").lower(), hosts)


def name_field(provider: Provider, fqdn: str, zone: str) -> str:
    """What to type in the name field: relative to the zone when the form appends it, else the full name."""
    name = fqdn.rstrip(".").lower()
    zone = zone.rstrip(".").lower()
    if not provider.appends_zone:
        return name
    if name == zone:
        return provider.name_apex
    if name.endswith("." + zone):
        return name[: -len(zone) - 1]
    return name + "."  # outside the zone: an absolute name, so that nothing is appended


def value_fields(provider: Provider, value: str) -> tuple[str, ...]:
    """The value as the form wants it typed: bare, quoted, or as several quoted strings."""
    if provider.long_values is LongValues.QUOTED_STRINGS and len(split_value(value)) > 1:
        return (zone_file_value(value),)
    if provider.quotes is Quotes.REQUIRED:
        return (zone_file_value(value),)
    return (value,)


def pick_ttl(provider: Provider, wanted: int) -> int:
    """The TTL to choose: `wanted` when the form takes any number, else the closest choice offered."""
    if provider.ttl_free or wanted in provider.ttl_choices:
        return wanted
    timed = [t for t in provider.ttl_choices if t > 0] or [wanted]
    return min(timed, key=lambda t: (abs(t - wanted), t))


def ttl_label(seconds: int) -> str:
    """A TTL as provider forms show it: "Auto", "5 minutes", "1 hour", "1 day"."""
    if seconds == 0:
        return "Auto"
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def form_record(provider: Provider, fqdn: str, zone: str, value: str, ttl: int = 3600) -> FormRecord:
    """One TXT record as `provider`'s form wants it, with the notes that prevent the usual mistakes."""
    chosen = pick_ttl(provider, ttl)
    return FormRecord(
        provider=provider,
        type="TXT",
        name=name_field(provider, fqdn, zone),
        values=value_fields(provider, value),
        ttl=chosen,
        ttl_label=ttl_label(chosen),
        notes=tuple(_notes(provider, fqdn, zone, value)),
    )


def _notes(provider: Provider, fqdn: str, zone: str, value: str) -> Sequence[str]:
    notes: list[str] = []
    zone = zone.rstrip(".").lower()
    if provider.appends_zone:
        apex = f"'{provider.name_apex}'" if provider.name_apex else "nothing (leave it empty)"
        notes.append(
            f"{provider.name} adds {zone} to the name itself: type only the part shown (for the domain "
            f"itself, type {apex}), never the full name, or it becomes {fqdn.rstrip('.').lower()}.{zone}."
        )
    if provider.quotes is Quotes.NONE:
        notes.append(f"Type the value without quotes: {provider.name} adds them.")
    if len(split_value(value)) > 1:
        notes.append(_long_note(provider))
    return notes


def _long_note(provider: Provider) -> str:
    if provider.long_values is LongValues.QUOTED_STRINGS:
        return (
            "The value is longer than 255 characters: type it exactly as shown, as several quoted strings "
            "separated by a space; DNS joins them back without a space."
        )
    if provider.long_values is LongValues.SPLIT_AUTOMATICALLY:
        return f"The value is longer than 255 characters: paste it whole; {provider.name} splits it when saving."
    return "The value is longer than 255 characters: paste it whole, in one field, without splitting it."
