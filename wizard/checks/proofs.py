"""Activation proofs from the evidence given on the command line (`check --message FILE --reports FILE...`):
the lead's dmarc rule asks `activation_proven(proofs, domain)` before clearing dmarc.enforced-without-dkim."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from wizard.checks.message import check_message, read_message
from wizard.checks.reports import read_reports, summarise_reports
from wizard.core.dmarc.aggregate import AggregateReport
from wizard.core.dmarc.rollout import activation_proof as reports_proof
from wizard.core.message.verdict import activation_proof as message_proof
from wizard.core.proof import ActivationProof
from wizard.core.spf.services import SpfService

if TYPE_CHECKING:
    from wizard.lookup.lookup import Lookup


async def gather_proofs(
    lookup: Lookup,
    services: Sequence[SpfService],
    *,
    message: bytes | None = None,
    reports: Sequence[tuple[str, bytes]] = (),
) -> list[ActivationProof]:
    """One proof for the message's From domain, and one per domain the reports are about.

    Raises wizard.core.findings.FindingError when the message is not one (the caller reports bad input);
    refused report files are left out, as the reports command does.
    """
    now = time.time()
    proofs = []
    if message is not None:
        proofs.append(message_proof(await check_message(read_message(message), lookup), now))
    parsed, findings = await asyncio.to_thread(read_reports, reports)
    for domain in _domains(parsed):
        outcome = await summarise_reports(parsed, findings, lookup, services, domain)
        if outcome.summary is not None:
            proofs.append(reports_proof(outcome.summary, now))
    return proofs


def _domains(reports: Sequence[AggregateReport]) -> list[str]:
    return list(dict.fromkeys(r.domain for r in reports))
