"""The MTA-STS generator: a testing policy first, a fresh id, TLS-RPT, and CIMcloud's hosting guidance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from wizard.core.mta_sts.record import ENFORCE_MAX_AGE, TESTING_MAX_AGE, StsMode, policy_url
from wizard.core.mta_sts.tls_rpt import compose_tlsrpt

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


def generate_policy(mode: StsMode, mx: Sequence[str], max_age: int | None = None) -> str:
    """The policy file text, CRLF line endings as RFC 8461 writes it."""
    age = max_age if max_age is not None else (ENFORCE_MAX_AGE if mode is StsMode.ENFORCE else TESTING_MAX_AGE)
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m.lower().rstrip('.')}" for m in mx), f"max_age: {age}"]
    return "\r\n".join(lines) + "\r\n"


@dataclass(frozen=True)
class StsPlan:
    """Everything the admin publishes for MTA-STS: the policy file and where, the TXT records, and the guidance."""

    policy_url: str
    policy: str
    records: tuple[tuple[str, str], ...]  # (name, TXT value): _mta-sts, and _smtp._tls when reports are wanted
    guidance: tuple[str, ...] = GUIDANCE


def plan_mta_sts(
    domain: str,
    mx: Sequence[str],
    mode: StsMode = StsMode.TESTING,
    report_to: Sequence[str] = (),
    now: datetime | None = None,
) -> StsPlan:
    """The policy (testing by default) covering the MX hosts, the `_mta-sts` TXT with a fresh id, and TLS-RPT.

    Raises ComposeError (from the TLS-RPT composer) for an unusable report address.
    """
    records = [(f"_mta-sts.{domain}", f"v=STSv1; id={new_policy_id(now)}")]
    if report_to:
        records.append((f"_smtp._tls.{domain}", compose_tlsrpt(report_to)))
    return StsPlan(policy_url(domain), generate_policy(mode, mx), tuple(records))
