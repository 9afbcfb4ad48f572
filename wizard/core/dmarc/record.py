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
    ascii_number,
    cap_repeats,
    no_errors,
    parse_uri_list,
    read_tag_list,
)

# RFC 7489 6.4: dmarc-version = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31: the value is exactly "DMARC1"
# (hex, so case-sensitive), WSP is only space and tab, and 6.6.3 discards records that do not start with "v=".
# Tag names are case-sensitive: 6.3 takes the DKIM tag-value syntax, whose RFC 6376 3.2 says "Tags MUST be
# interpreted in a case-sensitive manner".
DMARC_PREFIX = re.compile(r"v[ \t]*=[ \t]*DMARC1[ \t]*(;|\Z)")


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
    invalid_policy: tuple[str, ...] = ()  # "p" and/or "sp" when present with a value receivers do not know
    problems: tuple[Finding, ...] = ()

    @property
    def valid(self) -> bool:
        """No error: a receiver uses the record as written."""
        return no_errors(self.problems)

    @property
    def acts_as_none(self) -> bool:
        """RFC 7489 6.6.3: a missing or invalid p=, or an invalid sp=, with at least one usable rua= address makes
        receivers act as if the record were "v=DMARC1; p=none" (for the domain and its subdomains alike)."""
        broken = self.policy is None or bool(self.invalid_policy)
        return broken and bool(self.rua)

    def policy_for(self, *, subdomain: bool) -> Policy | None:
        """The policy receivers apply to the record's own domain, or to a subdomain (sp, defaulting to p).

        None when receivers apply no DMARC processing (6.6.3: p= or sp= unusable and no usable rua=)."""
        if self.acts_as_none:
            return Policy.NONE
        if self.policy is None or self.invalid_policy:
            return None
        if subdomain and self.subdomain_policy is not None:
            return self.subdomain_policy
        return self.policy


def is_dmarc_record(text: str) -> bool:
    """True for text that starts with exactly `v=DMARC1` (RFC 7489 6.4, 6.6.3): the records a receiver considers.

    `v=dmarc1`, `V=DMARC1` and " v=DMARC1" (leading space) are not DMARC records and are discarded."""
    return DMARC_PREFIX.match(text) is not None


_KEYWORDS: dict[str, tuple[str, ...]] = {
    "p": tuple(Policy),
    "sp": tuple(Policy),
    "np": tuple(Policy),
    "adkim": tuple(Alignment),
    "aspf": tuple(Alignment),
    "t": ("y", "n"),
    "psd": ("y", "n", "u"),
}
_REPORT_FORMATS = ("afrf",)  # the IANA "Feedback Report Formats" registry RFC 7489 6.3 refers rf= to
# Why each retired tag is noted, and what to do about it.
_RETIRED = {
    "pct": (
        "receivers that follow RFC 7489 (most today) apply the policy to this share of failing mail; DMARCbis "
        "retires pct= (t=y is its test mode).",
        "Keep pct= while you stage the policy, and remove it when the policy covers all mail.",
    ),
    "rf": ("DMARCbis retires rf=; failure reports are always AFRF.", "Remove rf=."),
    "ri": ("DMARCbis retires ri=; receivers send aggregate reports daily whatever it says.", "Remove ri=."),
}
_KNOWN = {"v", "p", "sp", "np", "pct", "t", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri", "psd"}


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse and validate one DMARC record. Never raises: every problem is a finding in `.problems`."""
    tags, problems = read_tag_list(text, "DMARC record", "dmarc.syntax")
    if not is_dmarc_record(text):
        problems.append(
            _syntax(
                "The record must start with exactly v=DMARC1 (upper case, nothing before it); receivers ignore "
                "any other record.",
                "Put v=DMARC1; first, exactly so.",
            )
        )
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
    problems += _policy_fallback(fields)
    problems = cap_repeats(problems)
    return DmarcRecord(text=text, tags=tuple(tags), problems=tuple(problems), **fields)  # type: ignore[arg-type]


def _policy_fallback(fields: dict[str, object]) -> list[Finding]:
    """Say what receivers do instead when p= or sp= holds a value they do not know (RFC 7489 6.6.3)."""
    invalid = fields.get("invalid_policy")
    if not isinstance(invalid, tuple) or not invalid:
        return []
    named = " and ".join(f"{n}=" for n in invalid)
    if fields.get("rua"):
        return [
            warning(
                "dmarc.policy-fallback",
                f"Because {named} is not valid, receivers act as if the record said p=none (RFC 7489 6.6.3): "
                "nothing is quarantined or rejected.",
                "Correct the policy value (none, quarantine or reject).",
            )
        ]
    return [
        error(
            "dmarc.policy-fallback",
            f"Because {named} is not valid and rua= has no usable address, receivers apply no DMARC to this domain "
            "(RFC 7489 6.6.3).",
            "Correct the policy value (none, quarantine or reject).",
        )
    ]


def _syntax(message: str, fix: str = "") -> Finding:
    return error("dmarc.syntax", message, fix)


def _check_tag(tag: Tag, fields: dict[str, object]) -> list[Finding]:
    """Validate one tag and store its parsed value in `fields` (keyed by DmarcRecord field name)."""
    name, value = tag.name, tag.value
    problems: list[Finding] = []
    if name in _RETIRED:
        why, fix = _RETIRED[name]
        problems.append(info("dmarc.retired-tag", f"{name}={value[:20]}: {why}", fix))
    if name == "v":
        return problems
    if name not in _KNOWN:
        shown = name if len(name) <= 20 else name[:20] + "..."
        hint = f" (tag names are case-sensitive: did you mean {name.lower()}=?)" if name.lower() in _KNOWN else ""
        message = f"Unknown tag {shown}= is ignored by receivers{hint}."
        return [warning("dmarc.unknown-tag", message, "Check its spelling.")]
    if name in _KEYWORDS:
        # Keyword values are ABNF quoted strings ("none" / "quarantine" / "reject", RFC 7489 6.4), which RFC 5234
        # 2.3 makes case-insensitive: p=Reject is p=reject. Only "DMARC1" is written in hex, case-sensitive.
        keyword = value.lower()
        if keyword not in _KEYWORDS[name]:
            if name in ("p", "sp"):
                previous = fields.get("invalid_policy")
                fields["invalid_policy"] = (*(previous if isinstance(previous, tuple) else ()), name)
            allowed = ", ".join(_KEYWORDS[name])
            return [*problems, _syntax(f"{name}={value[:30]} is not valid; use one of: {allowed}.")]
        _store_keyword(name, keyword, fields)
    elif name == "rf":
        problems += _report_formats(value)
    elif name in ("pct", "ri"):
        limit = 100 if name == "pct" else 2**32 - 1
        number = ascii_number(value, limit)
        if number is None:
            return [*problems, _syntax(f"{name}={value[:30]} must be a whole number from 0 to {limit}.")]
        if name == "pct":
            fields["pct"] = number
    elif name in ("rua", "ruf"):
        uris, uri_problems = parse_uri_list(value, name, "dmarc.syntax", foreign="dmarc.rua-scheme")
        fields[name] = tuple(uris)
        problems += uri_problems
    elif name == "fo":
        options = tuple(o.strip().lower() for o in value.split(":"))
        if not all(o in ("0", "1", "d", "s") for o in options):
            return [*problems, _syntax(f"fo={value[:30]} must be options 0, 1, d or s separated by ':'.")]
        fields["fo"] = options
    return problems


def _report_formats(value: str) -> list[Finding]:
    """rf= names failure-report formats; receivers ignore the ones outside the registry (RFC 7489 6.3), so an
    unknown format is a warning, not an error."""
    unknown = [f for f in (part.strip() for part in value.split(":")) if f.lower() not in _REPORT_FORMATS]
    if not unknown:
        return []
    shown = ", ".join(repr(f[:20]) for f in unknown[:5])
    return [
        warning(
            "dmarc.rf-unknown",
            f"rf= names {shown}, not a registered failure-report format; receivers ignore it.",
            "Remove rf= (afrf is the default and the only registered format).",
        )
    ]


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
