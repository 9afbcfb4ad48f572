"""Proof that CIMcloud activated DKIM signing for a domain: what the DMARC step needs before enforcement.

DNS cannot show activation (the key can be published long before CIMcloud signs). A message can, and so can
aggregate reports; failing both, the admin may state that CIMcloud confirmed it, which is kept as their word.
Only the verdict, when and a one-line summary of the evidence are kept, never the message itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class ProofKind(StrEnum):
    MESSAGE = "message"  # a message from the CIMcloud website, verified
    REPORTS = "reports"  # DMARC aggregate reports showing CIMcloud's mail passing aligned DKIM
    STATEMENT = "statement"  # the admin says CIMcloud confirmed activation


class ProofVerdict(StrEnum):
    PROVEN = "proven"  # the evidence shows CIMcloud's aligned DKIM signature passing
    PARTIAL = "partial"  # headers only: the signature matches its key, the body was not checked
    NOT_PROVEN = "not proven"  # the evidence was checked and does not show it
    STATED = "stated"  # the admin's statement: not evidence, shown as such


STATEMENT_WARNING = (
    "This is your statement, not a check: if CIMcloud is not actually signing, quarantine or reject will send "
    "your website's email to spam or block it."
)


@dataclass(frozen=True)
class ActivationProof:
    """One piece of evidence about activation for one domain: its kind, verdict, when (epoch s) and summary."""

    kind: ProofKind
    domain: str
    verdict: ProofVerdict
    when: float
    evidence: str = ""

    @property
    def opens_enforcement(self) -> bool:
        """Whether this lets quarantine/reject open: proven evidence, or the admin's statement (with warning)."""
        return self.verdict in (ProofVerdict.PROVEN, ProofVerdict.STATED)

    @property
    def is_statement(self) -> bool:
        return self.kind is ProofKind.STATEMENT

    def to_json(self) -> dict[str, str | float]:
        return {
            "kind": str(self.kind),
            "domain": self.domain,
            "verdict": str(self.verdict),
            "when": self.when,
            "evidence": self.evidence,
        }


def proof_from_json(data: object) -> ActivationProof:
    """The proof from its saved form; ValueError/TypeError/KeyError when it is not one."""
    if not isinstance(data, dict):
        raise TypeError("a proof is not an object")
    when = data["when"]
    if isinstance(when, bool) or not isinstance(when, int | float):
        raise TypeError("a proof's 'when' is not a number")
    domain, evidence = data["domain"], data.get("evidence", "")
    if not isinstance(domain, str) or not isinstance(evidence, str):
        raise TypeError("a proof's domain and evidence are text")
    return ActivationProof(ProofKind(data["kind"]), domain, ProofVerdict(data["verdict"]), float(when), evidence)


def statement(domain: str, when: float) -> ActivationProof:
    """The admin's statement that CIMcloud confirmed activation (recorded as theirs, with the warning)."""
    return ActivationProof(ProofKind.STATEMENT, domain, ProofVerdict.STATED, when, "CIMcloud confirmed activation "
                           "(the admin's statement; not verified by the wizard)")  # fmt: skip


def activation_proven(proofs: Iterable[ActivationProof], domain: str) -> ActivationProof | None:
    """The proof that opens enforcement for `domain`: the newest proven message or reports, else the newest
    statement; None when there is neither (partial or failed evidence never counts)."""
    name = domain.lower().rstrip(".")
    usable = [p for p in proofs if p.domain == name and p.opens_enforcement]
    evidence = [p for p in usable if not p.is_statement]
    pool = evidence or usable
    return max(pool, key=lambda p: p.when) if pool else None


def proof_text(proof: ActivationProof | None, day: str = "") -> str:
    """What shows that CIMcloud signs the domain's mail, in the report's words; `day` is when, as the caller
    formats it. The admin's statement is named as a statement, never as a check."""
    when = f" ({day})" if day else ""
    if proof is None:
        return "not shown yet: check a message from the website or the DMARC reports on the DMARC step"
    if proof.kind is ProofKind.STATEMENT:
        return f"your statement that CIMcloud confirmed activation{when}; not checked by the wizard"
    source = "a message from the website" if proof.kind is ProofKind.MESSAGE else "the DMARC aggregate reports"
    return f"proven by {source}{when}"
