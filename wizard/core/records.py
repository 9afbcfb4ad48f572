"""Which TXT value is which kind of record, and whether a published value is the record the admin was told to add.

One recogniser per kind, each the protocol's own (with its RFC's case rules); the UI never matches text itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from wizard.core.dkim.key import is_dkim_record
from wizard.core.dkim.verify import compare
from wizard.core.dmarc.record import is_dmarc_record
from wizard.core.mta_sts.record import is_sts_record
from wizard.core.mta_sts.tls_rpt import is_tlsrpt_record
from wizard.core.spf.record import is_spf
from wizard.core.tags import split_tag_list


class CheckState(StrEnum):
    """What a live check of one record the admin was told to add says: the state every view shows."""

    VERIFIED = "verified"  # every authoritative server and the resolver serve it, and its check has no error
    WAITING = "waiting"  # published somewhere, but a server or a cache still has the old answer
    PROBLEM = "problem"  # a different value, an error finding of its check, or the servers did not answer
    MISSING = "missing"  # no record of this kind on the authoritative servers


class Kind(StrEnum):
    """The records the wizard composes and publishes; the value is the name of the check that judges them
    (REPORT_AUTH, RFC 7489 7.1's authorization at a report receiver's domain, is judged by the dmarc check)."""

    SPF = "spf"
    DKIM = "dkim"
    DMARC = "dmarc"
    MTA_STS = "mta_sts"
    TLS_RPT = "tls_rpt"
    REPORT_AUTH = "report_auth"


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _same_spf(expected: str, published: str) -> bool:
    """Terms compare without regard to case (RFC 7208 4.6.1: mechanism names and domains are case-insensitive)."""
    return _collapse(expected).lower() == _collapse(published).lower()


def _same_tags(expected: str, published: str) -> bool:
    """Tag lists compare tag by tag, whitespace around `;` and `=` ignored; values keep their case."""
    want, bad_want = split_tag_list(expected)
    have, bad_have = split_tag_list(published)
    return bad_want == bad_have and [(t.name, t.value) for t in want] == [(t.name, t.value) for t in have]


def _same_dkim(expected: str, published: str) -> bool:
    return compare(expected, published) is None


def _meant_as(version: str) -> Callable[[str], bool]:
    """Text that was meant as a record with this version tag, though a receiver may discard it for its case or
    spacing (` v=dmarc1;`): publishing the right record replaces it rather than leaving two."""
    wanted = version.lower()
    return lambda text: "".join(text.split()).lower().startswith(wanted)


def _anything(_text: str) -> bool:
    return True


@dataclass(frozen=True)
class Recogniser:
    """How records of one kind are told apart from the other TXT records at their name."""

    is_kind: Callable[[str], bool]  # what a receiver takes as a record of the kind (the RFC's own test)
    same: Callable[[str, str], bool]  # whether a published record is the expected one
    replaced: Callable[[str], bool]  # which existing values at the name a new record of the kind replaces


RECOGNISERS: dict[Kind, Recogniser] = {
    Kind.SPF: Recogniser(is_spf, _same_spf, is_spf),  # not spf2.0/ (Sender ID) or other TXT at the apex
    Kind.DKIM: Recogniser(is_dkim_record, _same_dkim, _anything),  # CIMcloud's selector name is CIMcloud's alone
    Kind.DMARC: Recogniser(is_dmarc_record, _same_tags, _meant_as("v=DMARC1")),
    Kind.MTA_STS: Recogniser(is_sts_record, _same_tags, _meant_as("v=STSv1")),
    Kind.TLS_RPT: Recogniser(is_tlsrpt_record, _same_tags, _meant_as("v=TLSRPTv1")),
    Kind.REPORT_AUTH: Recogniser(is_dmarc_record, _same_tags, _meant_as("v=DMARC1")),
}


def replaces(kind: Kind, text: str) -> bool:
    """Whether publishing a record of `kind` replaces this value found at its name."""
    return RECOGNISERS[kind].replaced(text)


class Match(StrEnum):
    FOUND = "found"  # the expected record is among the values
    OTHER = "other"  # records of this kind, but not the expected one
    NONE = "none"  # no record of this kind


def match(kind: Kind, expected: str, texts: list[str] | tuple[str, ...]) -> Match:
    """Whether the TXT values at a name hold the expected record of `kind`, another one of its kind, or none."""
    recogniser = RECOGNISERS[kind]
    relevant = [t for t in texts if recogniser.is_kind(t)]
    if any(recogniser.same(expected, t) for t in relevant):
        return Match.FOUND
    return Match.OTHER if relevant else Match.NONE
