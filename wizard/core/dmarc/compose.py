"""The DMARC composer: the staged roll-out and the CIMcloud DKIM guard."""

from __future__ import annotations

from dataclasses import dataclass, field

from wizard.core.dmarc.record import Alignment, DmarcRecord, Policy
from wizard.core.dmarc.reports import ReportAuthorization, authorization_name, external_destinations
from wizard.core.dmarc.rollout import STAGES, Stage, next_stage, path_to, stage_of, step_of
from wizard.core.names import DomainError, normalize_domain
from wizard.core.tags import (
    ComposeError,
    report_uri,
)
from wizard.core.txt import zone_file_value

ROLLOUT = (
    "Stage 1, monitor (p=none): nothing changes for delivery; receivers send aggregate reports to the rua "
    "address, showing every service that sends as your domain.",
    "Stage 2, quarantine on part of the mail (p=quarantine; pct=25): once the reports show every legitimate sender "
    "(CIMcloud included) passing with SPF or DKIM alignment, a quarter of the failing mail goes to spam.",
    "Stage 3, quarantine (p=quarantine): after clean reports at pct=25, all failing mail goes to spam.",
    "Stage 4, reject (p=reject): after some weeks of clean reports at quarantine, failing mail is refused.",
)


def dkim_guard_text(domain: str) -> str:
    """Why enforcement must wait: the text the UI shows next to a held-back quarantine/reject."""
    return (
        f"CIMcloud DKIM signing is not shown to be active for {domain} yet. With p=quarantine or p=reject, "
        "receivers send website email from CIMcloud to spam or refuse it when it is not DKIM-aligned with your "
        "domain. Keep p=none until CIMcloud's DKIM record is published, verified and activated by CIMcloud."
    )


def recommend_stage(domain: str, current: Stage | None, dkim_verified: bool) -> tuple[Stage, str]:
    """The next stage of the roll-out (quarantine at pct=25, then 100, then reject), and the reason text when
    enforcement is held back ("" otherwise). With no record yet, monitoring comes first."""
    if not dkim_verified:
        return STAGES[0], dkim_guard_text(domain)
    if current is None:
        return STAGES[0], ""
    return next_stage(current), ""


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
    current: Stage | None = None  # the live record's stage, if any: the recommendation is the next stage
    pct: int = 100  # the share of failing mail an enforcing policy applies to (pct=); ignored with p=none

    @property
    def stage(self) -> Stage:
        return Stage(self.policy, self.pct if self.policy.enforced else 100)


@dataclass(frozen=True)
class DmarcComposition:
    """The record to publish, the stage recommended, and what the admin must know about it.

    guard is the reason enforcement is held back (CIMcloud DKIM not verified), "" when nothing holds it back;
    authorizations are the (name, TXT value) records external report destinations must publish.
    """

    name: str
    value: str
    zone_file: str
    recommended: Stage
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
    if not 0 <= choice.pct <= 100:
        raise ComposeError("pct", str(choice.pct), "pct= is a percentage, from 0 to 100")
    parts = ["v=DMARC1", f"p={choice.policy}"]
    if choice.stage.ramping:
        parts.append(f"pct={choice.pct}")
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
    recommended, guard = recommend_stage(domain, choice.current, choice.dkim_verified)
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


def jump_warning(current: Stage | None, chosen: Stage) -> str:
    """A warning when the chosen stage skips one of the roll-out (monitor straight to reject, or quarantine on part
    of the mail straight to reject), "" otherwise. With no record today the roll-out starts at p=none."""
    start = current or STAGES[0]
    skipped = path_to(start, chosen)
    if not skipped or step_of(chosen) <= step_of(start):
        return ""
    path = ", then ".join(str(s) for s in skipped)
    return (
        f"{chosen} straight after {start} skips a stage: a sender the reports have not shown yet (a billing system, "
        "a newsletter service) would have its mail sent to spam or refused at once. The safer path: "
        f"{path} first, each for some weeks of clean reports, then {chosen}."
    )


@dataclass(frozen=True)
class Published:
    """The choices a published DMARC record already makes: the composer starts from them, so nothing is lost."""

    policy: Policy | None
    pct: int
    rua: tuple[str, ...]
    ruf: tuple[str, ...]
    subdomain_policy: Policy | None
    adkim: Alignment
    aspf: Alignment


def stage_today(record: DmarcRecord | None) -> Stage | None:
    """The stage a published record is at (None without a record: the roll-out has not started)."""
    return None if record is None else stage_of(record.policy, record.pct)


def published_choices(record: DmarcRecord) -> Published:
    """What a domain's own DMARC record sets (report addresses without their mailto:, as the admin types them)."""
    return Published(
        record.policy,
        100 if record.pct is None else record.pct,
        tuple(u.address for u in record.rua),
        tuple(u.address for u in record.ruf),
        record.subdomain_policy,
        record.adkim,
        record.aspf,
    )
