"""Which DMARC record applies to a domain: DMARCbis's tree walk over an injected Source."""

from __future__ import annotations

from dataclasses import dataclass

from wizard.core.answers import Answer, Source
from wizard.core.dmarc.record import DmarcRecord, Policy, is_dmarc_record, parse_dmarc
from wizard.core.names import organizational_domain, walk_names
from wizard.core.together import together


@dataclass(frozen=True)
class WalkStep:
    """One `_dmarc.<domain>` question of the walk: the answer and the DMARC records in it."""

    domain: str
    answer: Answer
    records: tuple[str, ...] = ()
    others: tuple[str, ...] = ()  # TXT records there that are not DMARC (ignored by receivers)

    @property
    def failed(self) -> bool:
        return self.answer.outcome.is_failure


@dataclass(frozen=True)
class Discovery:
    """Which DMARC record applies to a domain, found as a receiver finds it.

    policy_domain is where the applicable record lives (the domain itself, or an ancestor: inherited);
    failure is a lookup that failed nearer the domain than the record, so a receiver would get a temporary error.
    """

    domain: str
    org_domain: str
    steps: tuple[WalkStep, ...]
    policy_domain: str | None = None
    record: DmarcRecord | None = None
    failure: WalkStep | None = None

    @property
    def inherited(self) -> bool:
        return self.policy_domain is not None and self.policy_domain != self.domain

    @property
    def policy(self) -> Policy | None:
        """The policy a receiver applies to mail from this domain (sp= when the record is inherited)."""
        if self.record is None:
            return None
        return self.record.policy_for(subdomain=self.inherited)

    def step(self, domain: str) -> WalkStep | None:
        return next((s for s in self.steps if s.domain == domain), None)

    @property
    def rfc7489_policy_domain(self) -> str | None:
        """Where an RFC 7489 receiver (domain, then its PSL organizational domain) finds the record."""
        for name in dict.fromkeys((self.domain, self.org_domain)):
            step = self.step(name)
            if step is not None and len(step.records) == 1:
                return name
        return None


async def fetch_step(source: Source, domain: str) -> WalkStep:
    answer = await source.resolve(f"_dmarc.{domain}", "TXT")
    texts = answer.texts if answer.ok else []
    records = tuple(t for t in texts if is_dmarc_record(t))
    return WalkStep(domain, answer, records, tuple(t for t in texts if not is_dmarc_record(t)))


async def discover_policy(source: Source, domain: str) -> Discovery:
    """Run the DMARCbis tree walk (all levels asked at once) and pick the nearest single DMARC record."""
    names = walk_names(domain)
    steps = tuple(await together([fetch_step(source, n) for n in names]))
    failure: WalkStep | None = None
    for step in steps:
        if step.failed and failure is None:
            failure = step
        if len(step.records) == 1:
            record = parse_dmarc(step.records[0])
            return Discovery(names[0], organizational_domain(names[0]), steps, step.domain, record, failure)
    return Discovery(names[0], organizational_domain(names[0]), steps, failure=failure)
