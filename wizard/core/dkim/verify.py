"""Live DKIM verification: is `<selector>._domainkey.<domain>` published, sound, and the record CIMcloud sent?

`verify()` only awaits an injected lookup (anything with `views(name, rdtype)`, such as wizard.lookup's
Lookup), so it does no I/O itself; the check and the UI both use it. `compare()` says precisely how a
published record differs from the expected one. When the record is missing, the names where admins put it
by mistake are asked too, and the finding says where it actually is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from wizard.core.answers import Answer, Outcome
from wizard.core.dkim.key import (
    DkimValidation,
    TagList,
    canonical,
    parse_tags,
    strip_fws,
    validate,
)
from wizard.core.dkim.paste import normalize_content
from wizard.core.dkim.record import DOMAINKEY, record_name
from wizard.core.findings import Finding, Severity, error, info, warning
from wizard.core.names import organizational_domain
from wizard.core.tags import Tag

CONTEXT = 10  # characters shown either side of a difference
DIFFERENT_KEY_SHARE = 0.5  # under this share of equal characters after the first difference: another key


class AuthorityView(Protocol):
    """What a zone's authoritative servers said (wizard.lookup.lookup.AuthoritativeView has this shape)."""

    @property
    def name(self) -> str: ...
    @property
    def outcome(self) -> Outcome: ...
    @property
    def servers(self) -> tuple[Answer, ...]: ...
    @property
    def detail(self) -> str: ...
    @property
    def final(self) -> AuthorityView: ...


class Views(Protocol):
    @property
    def resolver(self) -> Answer: ...
    @property
    def authoritative(self) -> AuthorityView: ...


class ViewSource(Protocol):
    """The part of the lookup layer verification needs: the resolver and authoritative views of a name."""

    async def views(self, name: str, rdtype: str) -> Views: ...


class DkimStatus(StrEnum):
    VERIFIED = "verified"  # published, valid, and (when given) the same as the expected record
    MISMATCH = "mismatch"  # published, but not the record CIMcloud sent
    INVALID = "invalid"  # published, but receivers cannot use it
    MISSING = "missing"  # not published at the name (perhaps somewhere else: see misplaced)
    LOOKUP_FAILED = "lookup-failed"


@dataclass(frozen=True)
class Difference:
    """How the published record differs from the expected one, in words, plus where the key first differs."""

    message: str
    position: int | None = None  # 1-based character of p= where the keys first differ
    truncated: bool = False


@dataclass(frozen=True)
class Misplacement:
    """A DKIM record found at a name where admins put it by mistake."""

    name: str
    kind: str  # doubled-name, zone-appended, no-domainkey, domainkey-typo, apex, no-selector, org-domain, parent
    record: str
    matches: bool | None  # equal to the expected record (None: nothing expected)


@dataclass(frozen=True)
class Published:
    """The TXT records at the name as the authoritative servers (or, failing them, the resolver) give them."""

    answer: Answer | None
    findings: tuple[Finding, ...] = ()

    @property
    def records(self) -> list[str]:
        return self.answer.texts if self.answer is not None and self.answer.ok else []


@dataclass(frozen=True)
class DkimVerification:
    """Everything verification learned about one selector of one domain."""

    domain: str
    selector: str
    name: str
    expected: str | None
    records: tuple[str, ...]
    validation: DkimValidation | None
    findings: tuple[Finding, ...]
    alias: str | None = None
    difference: Difference | None = None
    misplaced: tuple[Misplacement, ...] = ()
    servers: tuple[Answer, ...] = ()
    resolver: Answer | None = None

    @property
    def record(self) -> str | None:
        """The published DKIM record that was validated (the first, when there are several)."""
        dkim = dkim_records(list(self.records))
        return dkim[0] if dkim else None

    @property
    def key_type(self) -> str | None:
        return self.validation.key_type if self.validation else None

    @property
    def key_bits(self) -> int | None:
        return self.validation.key_bits if self.validation else None

    @property
    def status(self) -> DkimStatus:
        codes = {f.code for f in self.findings if f.severity is Severity.ERROR}
        if "dkim.lookup-failed" in codes:
            return DkimStatus.LOOKUP_FAILED
        if codes & {"dkim.missing", "dkim.doubled-name"}:
            return DkimStatus.MISSING
        if "dkim.mismatch" in codes:
            return DkimStatus.MISMATCH
        if codes:
            return DkimStatus.INVALID
        return DkimStatus.VERIFIED

    @property
    def verified(self) -> bool:
        return self.status is DkimStatus.VERIFIED


def looks_like_dkim(text: str) -> bool:
    """A TXT value *meant* as a DKIM key record: it starts with v=DKIM1 in any case (or in quotes), or has a p= tag
    and no other version. Wider than key.is_dkim_record (what verifiers accept) so that `v=dkim1; p=...` is
    judged as a broken key (validate() says receivers discard it) rather than reported as an unrelated record."""
    head = text.lstrip(' \t"').lower()
    if head.startswith("v=dkim1") or head.replace(" ", "").startswith("v=dkim1"):
        return True
    return not head.startswith("v=") and parse_tags(text).get("p") is not None


def dkim_records(records: list[str]) -> list[str]:
    return [r for r in records if looks_like_dkim(r)]


# --- comparing ------------------------------------------------------------------------------------------


def compare(expected: str, published: str) -> Difference | None:
    """None when the records are the same after normalization; else what differs, the key first."""
    want, have = parse_tags(expected), parse_tags(published)
    if _without_version(want) == _without_version(have):
        return None  # v= is optional and means DKIM1 either way
    want_key, have_key = strip_fws(want.get("p") or ""), strip_fws(have.get("p") or "")
    parts: list[str] = []
    position: int | None = None
    truncated = False
    if want_key != have_key:
        message, position, truncated = key_difference(want_key, have_key)
        parts.append(message)
    parts += _tag_differences(want.tags, have.tags)
    if not parts:
        parts.append("the tags are in a different order or spelled differently")
    return Difference("; ".join(parts) + ".", position, truncated)


def _without_version(tags: TagList) -> str:
    return canonical(TagList(tuple(t for t in tags.tags if t.name != "v")))


def key_difference(want: str, have: str) -> tuple[str, int | None, bool]:
    """(message, 1-based first differing position, truncated) for two base64 keys that differ."""
    if not have:
        return "the published record has no key (p= is empty or missing)", None, False
    if want.startswith(have):
        missing = len(want) - len(have)
        return (
            f"the published key is cut short: it has {len(have)} of the {len(want)} characters; the last {missing} "
            f"(…{want[-min(missing, CONTEXT) :]}) are missing",
            len(have) + 1,
            True,
        )
    if have.startswith(want):
        extra = have[len(want) :]
        return (
            f"the published key has {len(extra)} extra characters at the end ({extra[:CONTEXT]}…)",
            len(want) + 1,
            False,
        )
    index = next(i for i, (a, b) in enumerate(zip(want, have, strict=False)) if a != b)
    here = f"published …{have[max(0, index - CONTEXT) : index + CONTEXT]}…, expected …"
    here += f"{want[max(0, index - CONTEXT) : index + CONTEXT]}…"
    tail = list(zip(want[index:], have[index:], strict=False))
    same = sum(a == b for a, b in tail) / max(1, len(tail))
    if same < DIFFERENT_KEY_SHARE:
        return (
            f"the published key is a different key from character {index + 1} on ({here}): perhaps an older key, "
            "or the one for another domain",
            index + 1,
            False,
        )
    return f"the keys differ at character {index + 1} of {len(want)} ({here})", index + 1, False


def _tag_differences(want: Sequence[Tag], have: Sequence[Tag]) -> list[str]:
    want_tags = _tag_values(want)
    have_tags = _tag_values(have)
    parts = []
    for name in dict.fromkeys([*want_tags, *have_tags]):
        if name in ("p", "v"):
            continue  # the key is compared above; v= is optional and means DKIM1 either way
        a, b = want_tags.get(name), have_tags.get(name)
        if a == b:
            continue
        if b is None:
            parts.append(f"{name}={a} is missing from the published record")
        elif a is None:
            parts.append(f"the published record adds {name}={b}")
        else:
            parts.append(f"{name}= is {b} where {a} was expected")
    return parts


def _tag_values(tags: Sequence[Tag]) -> dict[str, str]:
    values: dict[str, str] = {}
    for tag in tags:
        values.setdefault(tag.name, strip_fws(tag.value))
    return values


# --- what is published ------------------------------------------------------------------------------------


def published_view(views: Views, name: str) -> Published:
    """The answer to judge (the authoritative servers' newest, or the resolver's), with notes on the views."""
    auth = views.authoritative.final
    answered = [a for a in auth.servers if not a.outcome.is_failure]
    resolver = views.resolver
    if not answered:
        if resolver.outcome.is_failure:
            return Published(None, (_lookup_failed(name, auth, resolver),))
        reason = auth.detail or _failures(auth.servers) or str(auth.outcome)
        note = warning(
            "dkim.lookup-failed",
            f"The authoritative servers of {name} could not be asked ({reason}); this uses your resolver's answer, "
            "which may be cached.",
            "Check again later, or from a network that allows DNS to other servers.",
        )
        return Published(resolver, (note,))
    best = max(answered, key=lambda a: (bool(dkim_records(a.texts)), len(a.values)))
    findings = [_lagging(name, a) for a in answered if _set(a) != _set(best)]
    if not resolver.outcome.is_failure and _set(resolver) != _set(best):
        findings.append(_stale(name, resolver))
    return Published(best, tuple(findings))


def _set(answer: Answer) -> frozenset[str]:
    return frozenset(answer.texts) if answer.ok else frozenset()


def _failures(answers: Sequence[Answer]) -> str:
    return "; ".join(f"{a.server}: {a.detail or a.outcome}" for a in answers if a.outcome.is_failure)


def _lookup_failed(name: str, auth: AuthorityView, resolver: Answer) -> Finding:
    reasons = "; ".join(
        part
        for part in (auth.detail, _failures(auth.servers), f"{resolver.server}: {resolver.detail or resolver.outcome}")
        if part
    )
    return error(
        "dkim.lookup-failed",
        f"Could not look up {name}: {reasons}.",
        "Check your network and the domain's name servers, then check again.",
    )


def _lagging(name: str, answer: Answer) -> Finding:
    has = "has " + "; ".join(answer.texts) if answer.texts else "does not have it"
    return warning(
        "dkim.propagating",
        f"The authoritative server {answer.server} gives a different answer for {name}: it {has}.",
        "Your DNS provider is still copying the change to all its servers; check again in a few minutes.",
    )


def _stale(name: str, resolver: Answer) -> Finding:
    remaining = resolver.expires_in()
    when = f"for about {round(remaining)} s more" if remaining is not None else "until its cache time runs out"
    return info(
        "dkim.resolver-stale",
        f"Your resolver ({resolver.server}) still has an older answer for {name} {when}; the authoritative "
        "servers already have the current one.",
    )


def alias_of(views: Views, answer: Answer | None, name: str) -> str | None:
    """The CNAME target when the name is an alias, else None."""
    final = views.authoritative.final
    for candidate in (final.name, answer.canonical if answer else "", views.resolver.canonical):
        target = candidate.rstrip(".").lower()
        if target and target != name:
            return target
    return None


# --- the checks on what was found -------------------------------------------------------------------------


async def verify(
    lookup: ViewSource, domain: str, selector: str, expected_content: str | None = None
) -> DkimVerification:
    """Look up the selector's record for the domain and judge it; compare it with expected_content when given."""
    domain = domain.rstrip(".").lower()
    name = record_name(domain, selector)
    expected = normalize_content(expected_content).content or None if expected_content else None
    views = await lookup.views(name, "TXT")
    published = published_view(views, name)
    findings = list(published.findings)
    alias = alias_of(views, published.answer, name)
    base = DkimVerification(
        domain, selector, name, expected, (), None, tuple(findings), alias=alias,
        servers=views.authoritative.final.servers, resolver=views.resolver,
    )  # fmt: skip
    if published.answer is None:
        return base
    if alias:
        findings.append(info("dkim.cname", f"{name} is an alias (CNAME) of {alias}; receivers use the key there."))
    records = published.records
    dkim = dkim_records(records)
    if not dkim:
        findings += _not_there(name, alias, published.answer, records)
        misplaced: tuple[Misplacement, ...] = ()
        if alias is None and not records:
            misplaced = await find_misplaced(lookup, domain, selector, expected)
            findings = _replace_missing(findings, misplaced, name, domain, selector)
        return replace(base, records=tuple(records), findings=tuple(findings), misplaced=misplaced)
    if len(dkim) > 1:
        findings.append(_multiple(name, dkim))
    findings += other_records_findings(name, records)
    validation = validate(dkim[0])
    findings += validation.findings
    findings += _quotes(dkim[0])
    difference = _difference(expected, dkim)
    if difference is not None:
        findings.append(_mismatch(name, difference))
    return replace(base, records=tuple(records), validation=validation, findings=tuple(findings), difference=difference)


def _difference(expected: str | None, dkim: list[str]) -> Difference | None:
    if expected is None:
        return None
    differences = [compare(expected, record) for record in dkim]
    if any(d is None for d in differences):
        return None
    return differences[0]


def _not_there(name: str, alias: str | None, answer: Answer, records: list[str]) -> list[Finding]:
    if records:
        shown = "; ".join(f'"{r[:60]}"' for r in records[:3])
        return [
            error(
                "dkim.syntax",
                f"{name} has TXT records, but none is a DKIM key record: {shown}.",
                "Replace them with the record CIMcloud sent (v=DKIM1; p=...).",
            )
        ]
    where = f"{name} is an alias (CNAME) of {alias}, which " if alias else f"{name} "
    state = "does not exist" if answer.outcome is Outcome.NXDOMAIN else "has no TXT record"
    return [
        error(
            "dkim.missing",
            f"{where}{state}: the DKIM record is not published.",
            f"Add a TXT record with host {name.partition(f'.{DOMAINKEY}')[0]}.{DOMAINKEY} and CIMcloud's content."
            if not alias
            else f"Ask whoever manages {alias} to publish the key, or replace the CNAME with the TXT record.",
        )
    ]


def _multiple(name: str, dkim: list[str]) -> Finding:
    return error(
        "dkim.multiple",
        f"{name} has {len(dkim)} DKIM records; receivers may pick either, so signatures fail at random.",
        "Keep only the record CIMcloud sent and delete the others.",
    )


def other_records_findings(name: str, records: Sequence[str]) -> list[Finding]:
    """RFC 6376 3.6.2.2: the TXT RRset at a selector name must hold only the key; with other records beside it
    "the results are undefined" (a verifier may read the wrong one and fail the signature)."""
    others = [r for r in records if not looks_like_dkim(r)]
    if not others or len(others) == len(records):
        return []
    shown = "; ".join(f'"{r[:60]}"' for r in others[:3])
    return [
        error(
            "dkim.other-records",
            f"{name} has {len(others)} other TXT record(s) beside the DKIM key: {shown}. RFC 6376 3.6.2.2 leaves "
            "the result undefined, so some receivers may fail the signature.",
            f"Delete the other TXT record(s) at {name}; only the DKIM key belongs there.",
        )
    ]


def _quotes(record: str) -> list[Finding]:
    if '"' not in record:
        return []
    return [
        error(
            "dkim.syntax",
            "The published record contains quote characters: the provider stored the quotes that were typed "
            "into its form as part of the value.",
            "Edit the record and remove the quotes (enter the value without them).",
        )
    ]


def _mismatch(name: str, difference: Difference) -> Finding:
    return error(
        "dkim.mismatch",
        f"The record at {name} is not the one CIMcloud sent: {difference.message}",
        "Replace the record's content with the full content CIMcloud sent, copied in one piece.",
    )


# --- where else it may be ---------------------------------------------------------------------------------


def misplaced_names(domain: str, selector: str) -> list[tuple[str, str]]:
    """(name, kind) of where admins put the record by mistake, most likely first."""
    name = record_name(domain, selector)
    org = organizational_domain(domain)
    parent = domain.partition(".")[2]
    candidates = [(f"{name}.{domain}", "doubled-name")]
    if org != domain:
        candidates.append((f"{name}.{org}", "zone-appended"))
    candidates += [
        (f"{selector}.{domain}", "no-domainkey"),
        (f"{selector}.domainkey.{domain}", "domainkey-typo"),
        (f"{DOMAINKEY}.{domain}", "no-selector"),
        (domain, "apex"),
    ]
    if org != domain:
        candidates.append((record_name(org, selector), "org-domain"))
    if parent and parent != org and "." in parent:
        candidates.append((record_name(parent, selector), "parent"))
    return list(dict.fromkeys(candidates))


async def find_misplaced(
    lookup: ViewSource, domain: str, selector: str, expected: str | None
) -> tuple[Misplacement, ...]:
    """Ask every likely wrong name at once; return those that hold a DKIM record."""
    candidates = misplaced_names(domain, selector)
    all_views = await asyncio.gather(*(lookup.views(name, "TXT") for name, _ in candidates))
    found = []
    for (name, kind), views in zip(candidates, all_views, strict=True):
        for record in dkim_records(published_view(views, name).records):
            matches = None if expected is None else compare(expected, record) is None
            found.append(Misplacement(name, kind, record, matches))
    return tuple(found)


_WHY = {
    "no-domainkey": "the host is missing ._domainkey",
    "domainkey-typo": "the host has 'domainkey' without the underscore",
    "no-selector": "the host is missing the selector",
    "apex": "it was added at the domain's root (host @)",
    "org-domain": "it was added to {org} instead of {domain}",
    "parent": "it was added to {org} instead of {domain}",
    "zone-appended": "the provider added the zone name to the full name that was entered",
}


def _replace_missing(
    findings: list[Finding], misplaced: tuple[Misplacement, ...], name: str, domain: str, selector: str
) -> list[Finding]:
    """Turn the plain dkim.missing into one that says where the record actually is."""
    if not misplaced:
        return findings
    kept = [f for f in findings if f.code != "dkim.missing"]
    return kept + [_misplaced_finding(m, name, domain, selector) for m in misplaced]


def _misplaced_finding(place: Misplacement, name: str, domain: str, selector: str) -> Finding:
    same = {True: " (it is the record CIMcloud sent)", False: " (but it is not the record CIMcloud sent)", None: ""}
    host = f"{selector}._domainkey"
    fix = f"Add the record with host {host} (the provider adds {domain}), then delete the one at {place.name}."
    if place.kind in ("doubled-name", "zone-appended"):
        return error(
            "dkim.doubled-name",
            f"The DKIM record is not at {name} but at {place.name}{same[place.matches]}: the DNS provider added "
            "the domain to a host that already ended with it.",
            f"Change the host to {host} only, without {domain}.",
        )
    org = place.name.split(f"{DOMAINKEY}.", 1)[-1]
    why = _WHY[place.kind].format(org=org, domain=domain)
    return error(
        "dkim.missing",
        f"No DKIM record at {name}; there is one at {place.name}{same[place.matches]}: {why}.",
        fix,
    )
