"""The DMARC composer: the staged roll-out and the CIMcloud DKIM guard."""

from __future__ import annotations

from dataclasses import dataclass, field

from wizard.core.dmarc.record import Alignment, DmarcRecord, Policy
from wizard.core.dmarc.reports import ReportAuthorization, authorization_name, external_destinations
from wizard.core.names import DomainError, normalize_domain
from wizard.core.tags import (
    ComposeError,
    report_uri,
)
from wizard.core.txt import zone_file_value

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
        f"CIMcloud DKIM signing is not shown to be active for {domain} yet. With p=quarantine or p=reject, "
        "receivers send website email from CIMcloud to spam or refuse it when it is not DKIM-aligned with your "
        "domain. Keep p=none until CIMcloud's DKIM record is published, verified and activated by CIMcloud."
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


def allowed_policies(dkim_verified: bool) -> tuple[Policy, ...]:
    """The policies the composer offers, for p= and sp= alike: enforcement only once CIMcloud DKIM is verified."""
    return tuple(Policy) if dkim_verified else (Policy.NONE,)


def jump_warning(current: Policy | None, chosen: Policy) -> str:
    """A warning when the chosen policy skips a stage of the roll-out (monitor straight to reject), "" otherwise."""
    stages = list(Policy)
    start = stages.index(current) if current is not None else 0
    if stages.index(chosen) - start < 2:
        return ""
    return (
        f"p={chosen} straight after p={current or 'none'} skips a stage: a sender the reports have not shown yet "
        "(a billing system, a newsletter service) would have its mail refused at once. The safer path: p=quarantine "
        "first, then p=reject after some weeks of clean reports."
    )


@dataclass(frozen=True)
class Published:
    """The choices a published DMARC record already makes: the composer starts from them, so nothing is lost."""

    policy: Policy | None
    rua: tuple[str, ...]
    ruf: tuple[str, ...]
    subdomain_policy: Policy | None
    adkim: Alignment
    aspf: Alignment


def published_choices(record: DmarcRecord) -> Published:
    """What a domain's own DMARC record sets (report addresses without their mailto:, as the admin types them)."""
    return Published(
        record.policy,
        tuple(u.address for u in record.rua),
        tuple(u.address for u in record.ruf),
        record.subdomain_policy,
        record.adkim,
        record.aspf,
    )
