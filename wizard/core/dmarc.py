"""DMARC (RFC 7489, DMARCbis): parse and validate a record, discover the policy that applies, compose a record.

Parsing is pure; discovery only awaits an injected Source (the lookup layer or a test's answers), so it does
no I/O itself. The organizational domain comes from the Public Suffix List bundled with `publicsuffixlist`
(offline); the policy walk is DMARCbis's DNS tree walk.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

from wizard.core.answers import Answer, Source
from wizard.core.domain import DomainError, normalize_domain
from wizard.core.findings import Finding, error, info, warning
from wizard.core.tags import (
    ComposeError,
    ReportUri,
    Tag,
    cap_repeats,
    no_errors,
    parse_uri_list,
    read_tag_list,
    report_uri,
)
from wizard.core.txt import zone_file_value

DMARC_PREFIX = re.compile(r"^\s*v\s*=\s*DMARC1\s*(;|$)", re.IGNORECASE)
MAX_WALK_LABELS = 7  # DMARCbis: a name of 8 or more labels jumps straight to its 7-label ancestor
MAX_AUTH_CHECKS = 20  # external destinations checked per record; a 100-address rua must not mean 100 queries


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


# ---------------------------------------------------------------------------------------------- tag lists


# ---------------------------------------------------------------------------------------------- the record


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


# ---------------------------------------------------------------------------------------------- discovery


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()  # the list bundled with the package: no download


def organizational_domain(domain: str) -> str:
    """The registrable domain per the Public Suffix List (`sub.example.test` → `example.test`).

    A name the list does not know ends in an implicit one-label suffix (`test`), as the list's `*` rule says;
    a name that is itself a public suffix is its own organizational domain.
    """
    name = domain.rstrip(".").lower()
    return _psl().privatesuffix(name) or name


def walk_names(domain: str) -> list[str]:
    """The domains whose `_dmarc` record DMARCbis's tree walk asks for, nearest first."""
    labels = domain.rstrip(".").lower().split(".")
    names = [".".join(labels)]
    for count in range(min(len(labels) - 1, MAX_WALK_LABELS), 0, -1):
        names.append(".".join(labels[-count:]))
    return names


@dataclass(frozen=True)
class WalkStep:
    """One `_dmarc.<domain>` question of the walk: the answer and the DMARC records in it."""

    domain: str
    answer: Answer
    records: tuple[str, ...] = ()
    others: tuple[str, ...] = ()  # TXT records there that are not DMARC (ignored by receivers)

    @property
    def failed(self) -> bool:
        return self.answer.outcome.is_failure


@dataclass(frozen=True)
class Discovery:
    """Which DMARC record applies to a domain, found as a receiver finds it.

    policy_domain is where the applicable record lives (the domain itself, or an ancestor: inherited);
    failure is a lookup that failed nearer the domain than the record, so a receiver would get a temporary error.
    """

    domain: str
    org_domain: str
    steps: tuple[WalkStep, ...]
    policy_domain: str | None = None
    record: DmarcRecord | None = None
    failure: WalkStep | None = None

    @property
    def inherited(self) -> bool:
        return self.policy_domain is not None and self.policy_domain != self.domain

    @property
    def policy(self) -> Policy | None:
        """The policy a receiver applies to mail from this domain (sp= when the record is inherited)."""
        if self.record is None:
            return None
        return self.record.policy_for(subdomain=self.inherited)

    def step(self, domain: str) -> WalkStep | None:
        return next((s for s in self.steps if s.domain == domain), None)

    @property
    def rfc7489_policy_domain(self) -> str | None:
        """Where an RFC 7489 receiver (domain, then its PSL organizational domain) finds the record."""
        for name in dict.fromkeys((self.domain, self.org_domain)):
            step = self.step(name)
            if step is not None and len(step.records) == 1:
                return name
        return None


async def fetch_step(source: Source, domain: str) -> WalkStep:
    answer = await source.resolve(f"_dmarc.{domain}", "TXT")
    texts = answer.texts if answer.ok else []
    records = tuple(t for t in texts if is_dmarc_record(t))
    return WalkStep(domain, answer, records, tuple(t for t in texts if not is_dmarc_record(t)))


async def discover_policy(source: Source, domain: str) -> Discovery:
    """Run the DMARCbis tree walk (all levels asked at once) and pick the nearest single DMARC record."""
    names = walk_names(domain)
    steps = tuple(await asyncio.gather(*(fetch_step(source, n) for n in names)))
    failure: WalkStep | None = None
    for step in steps:
        if step.failed and failure is None:
            failure = step
        if len(step.records) == 1:
            record = parse_dmarc(step.records[0])
            return Discovery(names[0], organizational_domain(names[0]), steps, step.domain, record, failure)
    return Discovery(names[0], organizational_domain(names[0]), steps, failure=failure)


# ---------------------------------------------------------------------------------------------- external reports


class AuthStatus(StrEnum):
    INTERNAL = "internal"  # same organizational domain: no authorization needed
    AUTHORIZED = "authorized"
    MISSING = "missing"
    FAILED = "lookup-failed"
    UNCHECKED = "unchecked"  # beyond MAX_AUTH_CHECKS


@dataclass(frozen=True)
class ReportAuthorization:
    """Whether a report destination in another organization agreed (RFC 7489 7.1) to receive this domain's reports."""

    destination: str
    name: str
    status: AuthStatus
    detail: str = ""

    record: str = "v=DMARC1;"  # what the destination must publish at `name` (RFC 7489 7.1)


def authorization_name(policy_domain: str, destination: str) -> str:
    return f"{policy_domain}._report._dmarc.{destination}"


def external_destinations(policy_domain: str, uris: Iterable[ReportUri]) -> list[str]:
    """Distinct report domains outside the policy domain's organization, in order of appearance."""
    own = organizational_domain(policy_domain)
    return list(dict.fromkeys(u.domain for u in uris if organizational_domain(u.domain) != own))


async def check_authorizations(
    source: Source, policy_domain: str, uris: Iterable[ReportUri]
) -> list[ReportAuthorization]:
    """Ask each external destination (at most MAX_AUTH_CHECKS, concurrently) for its authorization record."""
    destinations = external_destinations(policy_domain, uris)
    checked = await asyncio.gather(*(_authorization(source, policy_domain, d) for d in destinations[:MAX_AUTH_CHECKS]))
    unchecked = [
        ReportAuthorization(d, authorization_name(policy_domain, d), AuthStatus.UNCHECKED)
        for d in destinations[MAX_AUTH_CHECKS:]
    ]
    return [*checked, *unchecked]


async def _authorization(source: Source, policy_domain: str, destination: str) -> ReportAuthorization:
    name = authorization_name(policy_domain, destination)
    if len(name) > 253:
        return ReportAuthorization(destination, name, AuthStatus.FAILED, "the name is longer than DNS allows")
    answer = await source.resolve(name, "TXT")
    if answer.outcome.is_failure:
        return ReportAuthorization(destination, name, AuthStatus.FAILED, f"{answer.outcome}: {answer.detail}")
    if any(is_dmarc_record(t) for t in answer.texts):
        return ReportAuthorization(destination, name, AuthStatus.AUTHORIZED)
    return ReportAuthorization(destination, name, AuthStatus.MISSING, str(answer.outcome))


# ---------------------------------------------------------------------------------------------- composer

ROLLOUT = (
    "Stage 1, monitor (p=none): nothing changes for delivery; receivers send aggregate reports to the rua "
    "address, showing every service that sends as your domain.",
    "Stage 2, quarantine (p=quarantine): once the reports show every legitimate sender (CIMcloud included) "
    "passing with SPF or DKIM alignment, failing mail goes to spam instead of the inbox.",
    "Stage 3, reject (p=reject): after some weeks of clean reports at quarantine, failing mail is refused.",
)


def dkim_guard_text(domain: str) -> str:
    """Why enforcement must wait: the text the UI shows next to a held-back quarantine/reject."""
    return (
        f"CIMcloud DKIM is not verified for {domain} yet. With p=quarantine or p=reject, receivers send "
        "website email from CIMcloud to spam or refuse it when it is not DKIM-aligned with your domain. "
        "Keep p=none until CIMcloud's DKIM record is published, verified and activated by CIMcloud."
    )


def recommend_policy(domain: str, current: Policy | None, dkim_verified: bool) -> tuple[Policy, str]:
    """The next stage of the roll-out, and the reason text when enforcement is held back ("" otherwise)."""
    if not dkim_verified:
        return Policy.NONE, dkim_guard_text(domain)
    if current is None:
        return Policy.NONE, ""
    stages = list(Policy)
    return stages[min(stages.index(current) + 1, len(stages) - 1)], ""


@dataclass(frozen=True)
class DmarcChoice:
    """What the admin chose in the composer. Addresses may be given with or without `mailto:`."""

    domain: str
    policy: Policy = Policy.NONE
    rua: tuple[str, ...] = ()
    ruf: tuple[str, ...] = ()
    failure_options: tuple[str, ...] = ()
    adkim: Alignment = Alignment.RELAXED
    aspf: Alignment = Alignment.RELAXED
    subdomain_policy: Policy | None = None
    dkim_verified: bool = False
    current: Policy | None = None  # the live record's policy, if any: the recommendation is the next stage


@dataclass(frozen=True)
class DmarcComposition:
    """The record to publish, the stage recommended, and what the admin must know about it.

    guard is the reason enforcement is held back (CIMcloud DKIM not verified), "" when nothing holds it back;
    authorizations are the (name, TXT value) records external report destinations must publish.
    """

    name: str
    value: str
    zone_file: str
    recommended: Policy
    guard: str = ""
    notes: tuple[str, ...] = ()
    authorizations: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def compose_dmarc(choice: DmarcChoice) -> DmarcComposition:
    """Build `_dmarc.<domain>` from the choices; raises ComposeError for an unusable domain or address."""
    try:
        domain = normalize_domain(choice.domain)
    except DomainError as exc:
        raise ComposeError("domain", choice.domain, exc.reason) from None
    rua = [report_uri("rua", a) for a in choice.rua]
    ruf = [report_uri("ruf", a) for a in choice.ruf]
    parts = ["v=DMARC1", f"p={choice.policy}"]
    if choice.subdomain_policy is not None and choice.subdomain_policy is not choice.policy:
        parts.append(f"sp={choice.subdomain_policy}")
    if rua:
        parts.append("rua=" + ",".join(u.uri for u in rua))
    if ruf:
        parts.append("ruf=" + ",".join(u.uri for u in ruf))
        if choice.failure_options:
            parts.append("fo=" + ":".join(choice.failure_options))
    parts += [f"{tag}={value}" for tag, value in (("adkim", choice.adkim), ("aspf", choice.aspf)) if value != "r"]
    value = "; ".join(parts)
    recommended, guard = recommend_policy(domain, choice.current, choice.dkim_verified)
    notes = list(ROLLOUT)
    if not rua:
        notes.insert(0, "Without a rua= address nobody sees the reports that make the roll-out safe.")
    external = external_destinations(domain, [*rua, *ruf])
    authorizations = tuple((authorization_name(domain, d), ReportAuthorization.record) for d in external)
    return DmarcComposition(
        f"_dmarc.{domain}", value, zone_file_value(value), recommended, guard, tuple(notes), authorizations
    )
