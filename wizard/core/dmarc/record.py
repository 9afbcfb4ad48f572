"""The DMARC record (RFC 7489 6.3): parsing and validation of its tags."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from wizard.core.findings import Finding, error, info, warning
from wizard.core.tags import (
    ReportUri,
    Tag,
    cap_repeats,
    no_errors,
    parse_uri_list,
    read_tag_list,
)

DMARC_PREFIX = re.compile(r"^\s*v\s*=\s*DMARC1\s*(;|$)", re.IGNORECASE)


class Policy(StrEnum):
    NONE = "none"
    QUARANTINE = "quarantine"
    REJECT = "reject"

    @property
    def enforced(self) -> bool:
        return self is not Policy.NONE


class Alignment(StrEnum):
    RELAXED = "r"
    STRICT = "s"


@dataclass(frozen=True)
class DmarcRecord:
    """A parsed DMARC record: the tags it sets and every problem found (as findings, errors first)."""

    text: str
    tags: tuple[Tag, ...]
    policy: Policy | None = None
    subdomain_policy: Policy | None = None
    nonexistent_policy: Policy | None = None
    pct: int | None = None
    testing: bool = False
    rua: tuple[ReportUri, ...] = ()
    ruf: tuple[ReportUri, ...] = ()
    adkim: Alignment = Alignment.RELAXED
    aspf: Alignment = Alignment.RELAXED
    fo: tuple[str, ...] = ()
    psd: str | None = None
    problems: tuple[Finding, ...] = ()

    @property
    def valid(self) -> bool:
        """No error: a receiver uses the record as written."""
        return no_errors(self.problems)

    def policy_for(self, *, subdomain: bool) -> Policy | None:
        """The policy for the record's own domain, or for a subdomain (sp, defaulting to p)."""
        if subdomain and self.subdomain_policy is not None:
            return self.subdomain_policy
        if self.policy is None and self.rua:
            return Policy.NONE  # RFC 7489 6.6.3: an invalid p= with a usable rua= acts as p=none
        return self.policy


def is_dmarc_record(text: str) -> bool:
    """True for text that starts with `v=DMARC1` (the records a receiver considers; others are ignored)."""
    return DMARC_PREFIX.match(text) is not None


_KEYWORDS: dict[str, tuple[str, ...]] = {
    "p": tuple(Policy),
    "sp": tuple(Policy),
    "np": tuple(Policy),
    "adkim": tuple(Alignment),
    "aspf": tuple(Alignment),
    "t": ("y", "n"),
    "psd": ("y", "n", "u"),
    "rf": ("afrf",),
}
_RETIRED = {
    "pct": "DMARCbis retires pct=; use t=y for a test roll-out instead.",
    "rf": "DMARCbis retires rf=; failure reports are always AFRF.",
    "ri": "DMARCbis retires ri=; receivers send aggregate reports daily whatever it says.",
}
_KNOWN = {"v", "p", "sp", "np", "pct", "t", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri", "psd"}


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse and validate one DMARC record. Never raises: every problem is a finding in `.problems`."""
    tags, problems = read_tag_list(text, "DMARC record", "dmarc.syntax")
    if not tags or tags[0].name != "v" or tags[0].value.upper() != "DMARC1":
        problems.append(_syntax("The record must start with v=DMARC1.", "Put v=DMARC1; first."))
    fields: dict[str, object] = {}
    seen: set[str] = set()
    for tag in tags:
        if tag.name not in seen:
            seen.add(tag.name)
            problems += _check_tag(tag, fields)
    counts = Counter(t.name for t in tags)
    for name, count in counts.items():
        if count > 1 and name in _KNOWN:
            problems.append(_syntax(f"The tag {name}= appears {count} times.", "Keep only the first."))
    if "p" not in seen:
        problems.append(_syntax("The record has no p= tag (the policy).", "Add p=none to start monitoring."))
    problems = cap_repeats(problems)
    return DmarcRecord(text=text, tags=tuple(tags), problems=tuple(problems), **fields)  # type: ignore[arg-type]


def _syntax(message: str, fix: str = "") -> Finding:
    return error("dmarc.syntax", message, fix)


def _check_tag(tag: Tag, fields: dict[str, object]) -> list[Finding]:
    """Validate one tag and store its parsed value in `fields` (keyed by DmarcRecord field name)."""
    name, value = tag.name, tag.value
    problems: list[Finding] = []
    if name in _RETIRED:
        problems.append(info("dmarc.retired-tag", f"{name}={value[:20]}: {_RETIRED[name]}", f"Remove {name}=."))
    if name == "v":
        return problems
    if name not in _KNOWN:
        shown = name if len(name) <= 20 else name[:20] + "..."
        return [warning("dmarc.unknown-tag", f"Unknown tag {shown}= is ignored by receivers.", "Check its spelling.")]
    if name in _KEYWORDS:
        keyword = value.lower()
        if keyword not in _KEYWORDS[name]:
            allowed = ", ".join(_KEYWORDS[name])
            return [*problems, _syntax(f"{name}={value[:30]} is not valid; use one of: {allowed}.")]
        _store_keyword(name, keyword, fields)
    elif name in ("pct", "ri"):
        limit = 100 if name == "pct" else 2**32 - 1
        if not value.isdigit() or int(value) > limit:
            return [*problems, _syntax(f"{name}={value[:30]} must be a whole number from 0 to {limit}.")]
        if name == "pct":
            fields["pct"] = int(value)
    elif name in ("rua", "ruf"):
        uris, uri_problems = parse_uri_list(value, name, "dmarc.syntax")
        fields[name] = tuple(uris)
        problems += uri_problems
    elif name == "fo":
        options = tuple(o.strip().lower() for o in value.split(":"))
        if not all(o in ("0", "1", "d", "s") for o in options):
            return [*problems, _syntax(f"fo={value[:30]} must be options 0, 1, d or s separated by ':'.")]
        fields["fo"] = options
    return problems


def _store_keyword(name: str, keyword: str, fields: dict[str, object]) -> None:
    if name in ("p", "sp", "np"):
        key = {"p": "policy", "sp": "subdomain_policy", "np": "nonexistent_policy"}[name]
        fields[key] = Policy(keyword)
    elif name in ("adkim", "aspf"):
        fields[name] = Alignment(keyword)
    elif name == "t":
        fields["testing"] = keyword == "y"
    elif name == "psd":
        fields["psd"] = keyword
