"""External report destinations (RFC 7489 7.1): which need an authorization record, and whether they have it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from wizard.core.answers import Source
from wizard.core.dmarc.record import is_dmarc_record
from wizard.core.names import organizational_domain
from wizard.core.tags import (
    ReportUri,
)
from wizard.core.together import together

MAX_AUTH_CHECKS = 20  # external destinations checked per record; a 100-address rua must not mean 100 queries


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
    checked = await together([_authorization(source, policy_domain, d) for d in destinations[:MAX_AUTH_CHECKS]])
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
