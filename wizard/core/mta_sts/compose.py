"""The MTA-STS generator: a testing policy first, a fresh id, TLS-RPT, and CIMcloud's hosting guidance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from wizard.core.mta_sts.policy import StsPolicy
from wizard.core.mta_sts.record import ENFORCE_MAX_AGE, TESTING_MAX_AGE, StsMode, parse_sts_record, policy_url
from wizard.core.mta_sts.tls_rpt import TlsRptRecord, compose_tlsrpt

GUIDANCE = (
    "MTA-STS affects only mail sent TO your corporate domain, from anyone. It does not change email your "
    "CIMcloud website sends to other domains; CIMcloud's relays already honour other domains' MTA-STS policies.",
    "Do not host the policy on your CIMcloud website: CIMcloud does not support it. Use a third-party MTA-STS "
    "hosting service (for example PowerDMARC, Mailhardener or URIports; CIMcloud endorses none of them) or a web "
    "server you run, reachable as mta-sts.<your domain> over HTTPS with a valid certificate.",
    "Start with mode: testing and TLS reports (TLS-RPT); switch to mode: enforce after a few weeks without "
    "failures. Every change to the policy file needs a new id in the _mta-sts TXT record.",
)


def new_policy_id(now: datetime | None = None) -> str:
    """A fresh id from the time (`20240601T120000`), alphanumeric as RFC 8461 requires."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%S")


def default_max_age(mode: StsMode) -> int:
    """A day while testing (a mistake is forgotten quickly), two weeks once enforced."""
    return ENFORCE_MAX_AGE if mode is StsMode.ENFORCE else TESTING_MAX_AGE


def generate_policy(mode: StsMode, mx: Sequence[str], max_age: int | None = None) -> str:
    """The policy file text, CRLF line endings as RFC 8461 writes it."""
    age = max_age if max_age is not None else default_max_age(mode)
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m.lower().rstrip('.')}" for m in mx), f"max_age: {age}"]
    return "\r\n".join(lines) + "\r\n"


@dataclass(frozen=True)
class PublishedSts:
    """What a domain publishes today: the `_mta-sts` record's id, the policy file's mode, mx patterns and max_age
    (None when no policy could be read), and where TLS-RPT sends reports (as the admin types them)."""

    record_id: str | None = None
    mode: StsMode | None = None
    mx: tuple[str, ...] = ()
    max_age: int | None = None
    rua: tuple[str, ...] = ()
    tls_rpt: str | None = None  # the TLS-RPT record's text

    @property
    def has_policy(self) -> bool:
        return self.mode is not None


def published_sts(record: str | None, policy: StsPolicy | None, tls_rpt: TlsRptRecord | None) -> PublishedSts:
    """Today's values from what the checks found (the record's text, the fetched policy, the TLS-RPT record)."""
    record_id = parse_sts_record(record).id if record else None
    rua = tuple(u.address if u.scheme == "mailto" else u.uri for u in tls_rpt.rua) if tls_rpt else ()
    tls_text = tls_rpt.text if tls_rpt else None
    if policy is None or policy.mode is None:
        return PublishedSts(record_id, rua=rua, tls_rpt=tls_text)
    return PublishedSts(record_id, policy.mode, policy.mx, policy.max_age, rua, tls_text)


def max_age_for(mode: StsMode, published: PublishedSts | None) -> int:
    """Today's max_age while the mode stays as published; the mode's own default once it changes."""
    if published is not None and published.mode is mode and published.max_age is not None:
        return published.max_age
    return default_max_age(mode)


@dataclass(frozen=True)
class StsPlan:
    """Everything the admin publishes for MTA-STS: the policy file and where, the TXT records, and the guidance.

    policy_id is the id in the `_mta-sts` record; changes says, line by line, what differs from what the domain
    publishes today (empty without anything published)."""

    policy_url: str
    policy: str
    records: tuple[tuple[str, str], ...]  # (name, TXT value): _mta-sts, and _smtp._tls when reports are wanted
    guidance: tuple[str, ...] = GUIDANCE
    policy_id: str = ""
    changes: tuple[str, ...] = ()


def plan_mta_sts(
    domain: str,
    mx: Sequence[str],
    mode: StsMode = StsMode.TESTING,
    report_to: Sequence[str] = (),
    *,
    now: datetime | None = None,
    published: PublishedSts | None = None,
    saved_id: str = "",
) -> StsPlan:
    """The policy (testing by default) covering the MX hosts, the `_mta-sts` TXT and TLS-RPT, starting from what is
    published: today's max_age is kept while the mode is, and today's id while the policy file is the same; a changed
    file gets `saved_id` (the id kept in progress; from `now` without one), never today's id.

    Raises ComposeError (from the TLS-RPT composer) for an unusable report address.
    """
    patterns = tuple(m.lower().rstrip(".") for m in mx)
    policy = generate_policy(mode, patterns, max_age_for(mode, published))
    policy_id = choose_id(published, _same_policy(published, mode, patterns), saved_id or new_policy_id(now))
    records = [(f"_mta-sts.{domain}", f"v=STSv1; id={policy_id}")]
    tls_rpt = compose_tlsrpt(report_to) if report_to else None
    if tls_rpt is not None:
        records.append((f"_smtp._tls.{domain}", tls_rpt))
    changes = sts_changes(published, mode, patterns, max_age_for(mode, published), policy_id) if published else ()
    changes += tls_rpt_changes(published, tls_rpt) if published else ()
    return StsPlan(policy_url(domain), policy, tuple(records), policy_id=policy_id, changes=changes)


def _same_policy(published: PublishedSts | None, mode: StsMode, mx: tuple[str, ...]) -> bool:
    return published is not None and published.mode is mode and sorted(published.mx) == sorted(mx)


def choose_id(published: PublishedSts | None, same_policy: bool, saved: str) -> str:
    """Today's id for today's policy; else the id kept for the new policy, or a fresh one when that is today's
    (a changed file under an unchanged id is never fetched again by senders that cached the old one). While
    today's policy file cannot be read, nothing says it changed: the id kept stays."""
    today = published.record_id if published is not None else None
    if same_policy and today:
        return today
    if published is None or not published.has_policy or saved != today:
        return saved
    fresh = new_policy_id()
    return fresh if fresh != today else fresh + "1"


def sts_changes(
    published: PublishedSts, mode: StsMode, mx: tuple[str, ...], max_age: int, policy_id: str
) -> tuple[str, ...]:
    """What the policy file and the `_mta-sts` record change from today's, in the admin's words."""
    if published.record_id is None and not published.has_policy:
        return ("MTA-STS: nothing is published today; add the policy file, then the _mta-sts record.",)
    if not published.has_policy:
        return (f"MTA-STS: the _mta-sts record is published, but its policy file cannot be read today; publish the "
                f"file below, then set the record's id to {policy_id}.",)  # fmt: skip
    parts = []
    if published.mode is not mode:
        parts.append(f"mode {published.mode} → {mode}")
    added = [m for m in mx if m not in published.mx]
    removed = [m for m in published.mx if m not in mx]
    if added:
        parts.append("mx added: " + ", ".join(added))
    if removed:
        parts.append("mx removed: " + ", ".join(removed))
    if published.max_age != max_age:
        parts.append(f"max_age {published.max_age} → {max_age}")
    if not parts:
        return ("MTA-STS: the policy file is the one published today (mode, mail servers and max_age kept); the "
                "_mta-sts record keeps its id. Nothing to change.",)  # fmt: skip
    return (f"MTA-STS policy changes: {'; '.join(parts)}. Publish the new file first, then change the id in the "
            f"_mta-sts record to {policy_id}: senders fetch a policy again only when its id changes.",)  # fmt: skip


def tls_rpt_changes(published: PublishedSts, composed: str | None) -> tuple[str, ...]:
    """What the TLS-RPT record changes from today's."""
    if published.tls_rpt is None:
        return ("TLS-RPT: no record today; add the one below.",) if composed else ()
    if composed is None:
        return (f"TLS-RPT: today's record ({published.tls_rpt}) stays as it is; enter an address to change it.",)
    if composed == published.tls_rpt:
        return ("TLS-RPT: the record published today; nothing to change.",)
    return (f"TLS-RPT: replace today's record ({published.tls_rpt}) with the one below.",)
