"""The `dmarc` check: which DMARC record applies to the domain, whether it is sound, and whether it is safe
for CIMcloud's website email (enforcement needs CIMcloud DKIM verified first)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.checks import CheckContext, CheckOutput, Result, entries, prepare, register
from wizard.checks.dkim import DkimResult
from wizard.core.answers import Answer, Source
from wizard.core.dmarc.discovery import Discovery, discover_policy
from wizard.core.dmarc.reports import ReportAuthorization, check_authorizations
from wizard.core.dmarc.rules import DkimState, dmarc_findings
from wizard.core.proof import ActivationProof, activation_proven
from wizard.core.together import both

CHECK = "dmarc"


@dataclass(frozen=True)
class DmarcResult(Result):
    """The policy discovery (every `_dmarc` name asked), the external report authorizations, and the DKIM state
    the CIMcloud guard was judged on."""

    discovery: Discovery | None = None
    authorizations: tuple[ReportAuthorization, ...] = ()
    dkim: DkimState = DkimState.NOT_RUN
    activation: ActivationProof | None = None  # the proof that CIMcloud signs (a message, the reports, a statement)


@dataclass(frozen=True)
class _After:
    """A source whose answers are handed over once the Public Suffix List is loaded (wizard.checks.prepare, off
    the event loop): the questions leave at once, and the discovery, which reads the list as soon as its answers
    are in, finds it parsed instead of parsing it on the loop."""

    source: Source

    async def resolve(self, name: str, rdtype: str) -> Answer:
        return await prepare.after(prepare.PSL, self.source.resolve(name, rdtype))


def dkim_state(output: CheckOutput | None) -> DkimState:
    """Passed only when the dkim check ran for at least one selector and every selector's record is verified:
    published and matching, even if a warning (a 1024-bit key, a server still updating) came with it."""
    results = entries(output)
    if not results:
        return DkimState.NOT_RUN
    return DkimState.PASSED if all(isinstance(r, DkimResult) and r.verified for r in results) else DkimState.FAILED


async def check_dmarc(ctx: CheckContext) -> DmarcResult:
    discovery, dkim = await both(discover_policy(_After(ctx.lookup), ctx.domain), ctx.result("dkim"))
    auths: list[ReportAuthorization] = []
    if discovery.record is not None and discovery.policy_domain is not None:
        uris = [*discovery.record.rua, *discovery.record.ruf]
        auths = await check_authorizations(ctx.lookup, discovery.policy_domain, uris)
    state = dkim_state(dkim)
    proof = activation_proven(ctx.options.proofs, ctx.domain)
    findings = dmarc_findings(discovery, auths, state, proven=proof is not None)
    return DmarcResult(tuple(findings), discovery, tuple(auths), state, proof)


def to_json(result: DmarcResult) -> dict[str, Any]:
    discovery = result.discovery
    assert discovery is not None
    record = discovery.record
    return {
        "record": record.text if record else None,
        "policy_domain": discovery.policy_domain,
        "org_domain": discovery.org_domain,
        "inherited": discovery.inherited,
        "policy": str(discovery.policy) if discovery.policy else None,
        "rua": [u.address for u in record.rua] if record else [],
        "ruf": [u.address for u in record.ruf] if record else [],
        "report_authorizations": [
            {"destination": a.destination, "name": a.name, "status": str(a.status)} for a in result.authorizations
        ],
        "dkim": str(result.dkim),
        "walk": [
            {"name": f"_dmarc.{s.domain}", "outcome": str(s.answer.outcome), "records": list(s.records)}
            for s in discovery.steps
        ],
        "activation": result.activation.to_json() if result.activation is not None else None,
    }


def human_lines(result: DmarcResult) -> list[str]:
    """The record that applies and where it lives, for the human output."""
    discovery = result.discovery
    if discovery is None or discovery.record is None:
        return []
    inherited = " (inherited)" if discovery.inherited else ""
    return [f"record at _dmarc.{discovery.policy_domain}{inherited}: {discovery.record.text}"]


register(CHECK, to_json=to_json, human=human_lines)(check_dmarc)
