"""The verification panel's pure parts: the back-off of automatic re-checks, and a verdict as kept in progress.

What a verdict *is* comes from wizard.checks.verify (the same checks `check` runs); nothing here judges a record.
"""

from __future__ import annotations

from wizard.checks import CheckOptions
from wizard.checks.verify import Target, Verdict
from wizard.core.records import Kind
from wizard.store import CheckRecord, DomainProgress

# Automatic re-checks back off: the first soon after the page opens, then ever more patient, capped.
BACKOFF_SECONDS = (15, 30, 60, 120, 240)
BACKOFF_CAP = 300


def backoff(attempt: int) -> int:
    """Seconds before automatic re-check number `attempt` (0-based)."""
    if attempt < len(BACKOFF_SECONDS):
        return BACKOFF_SECONDS[attempt]
    return BACKOFF_CAP


def countdown_text(seconds: int) -> str:
    minutes, secs = divmod(max(0, seconds), 60)
    return f"{minutes}:{secs:02d}"


def to_record(target: Target, verdict: Verdict, checked_at: float) -> CheckRecord:
    """The verdict as kept in progress, with its target, so it can be checked again later."""
    return CheckRecord(verdict.state, verdict.summary, checked_at, target.name, str(target.kind), target.expected)


def target_of(domain: str, record: CheckRecord) -> Target | None:
    """The target a saved result was checked against (None for results saved before targets were kept)."""
    if not record.name or record.kind not in set(Kind):
        return None
    return Target(domain, record.name, Kind(record.kind), record.expected)


def options_of(entry: DomainProgress | None) -> CheckOptions:
    """The check options `check` would need to judge this domain as the wizard does: CIMcloud's DKIM record as
    pasted (so DMARC's guard and the DKIM check see the same record) and the proofs that CIMcloud signs (as
    `check --message/--reports` gives them)."""
    if entry is None:
        return CheckOptions()
    records = (
        ((entry.dkim_name.strip(), entry.dkim_content),)
        if entry.dkim_name.strip() and entry.dkim_content.strip()
        else ()
    )
    return CheckOptions(dkim_records=records, proofs=tuple(entry.proofs))
