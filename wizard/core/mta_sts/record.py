"""The `_mta-sts` TXT record (RFC 8461 3.1) and the names it implies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from wizard.core.findings import Finding, error
from wizard.core.tags import cap_repeats, no_errors, read_tag_list

# RFC 8461 3.1: sts-version = %s"v=" %s"STSv1" (case-sensitive, no space), sts-sep = *WSP %x3B *WSP
STS_PREFIX = re.compile(r"v=STSv1[ \t]*(;|\Z)")
_ID = re.compile(r"[A-Za-z0-9]{1,32}\Z")
MAX_MAX_AGE = 31_557_600  # RFC 8461 3.2: about one year
POLICY_PATH = "/.well-known/mta-sts.txt"
TESTING_MAX_AGE = 86_400  # one day while testing: a mistake is forgotten quickly
ENFORCE_MAX_AGE = 1_209_600  # two weeks once enforced


class StsMode(StrEnum):
    ENFORCE = "enforce"
    TESTING = "testing"
    NONE = "none"


def policy_host(domain: str) -> str:
    return f"mta-sts.{domain}"


def policy_url(domain: str) -> str:
    return f"https://{policy_host(domain)}{POLICY_PATH}"


@dataclass(frozen=True)
class StsRecord:
    """A parsed `_mta-sts` TXT record: its id (changes whenever the policy changes) and its problems."""

    text: str
    id: str | None
    problems: tuple[Finding, ...] = ()

    @property
    def valid(self) -> bool:
        return no_errors(self.problems)


def is_sts_record(text: str) -> bool:
    """True for text starting with exactly `v=STSv1` (senders discard other TXT records at `_mta-sts`)."""
    return STS_PREFIX.match(text) is not None


def parse_sts_record(text: str) -> StsRecord:
    """Parse one `_mta-sts` record (`v=STSv1; id=20240601T000000;`); never raises."""
    tags, problems = read_tag_list(text, "MTA-STS record", "mta-sts.syntax")
    if not is_sts_record(text):
        problems.append(_record_syntax("The record must start with exactly v=STSv1;"))
    ids = [t.value for t in tags if t.name == "id"]
    if not ids:
        problems.append(_record_syntax("The record has no id= field."))
    elif len(ids) > 1:
        problems.append(_record_syntax("id= appears more than once."))
    elif not _ID.match(ids[0]):
        problems.append(_record_syntax(f"id={ids[0][:40]} must be 1 to 32 letters and digits."))
    record_id = ids[0] if len(ids) == 1 and _ID.match(ids[0]) else None
    return StsRecord(text, record_id, tuple(cap_repeats(problems)))


def _record_syntax(message: str) -> Finding:
    return error("mta-sts.syntax", message, "Publish v=STSv1; id=<letters and digits, new for every policy change>")
