"""The summary's "Check everything again": every record a page verified, asked again now, judged as its page did.

No Qt here: the coroutine only awaits wizard.checks.verify (the same checks the pages and `check` run) and hands
each verdict to a callback (the page passes a signal's emit, so results reach the window through Qt). Each result
keeps its target (name, kind, expected value), so the summary checks exactly the record the admin was told to add.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from wizard.checks import CheckOptions
from wizard.checks.verify import Target, Verdict, verify
from wizard.lookup.lookup import Lookup
from wizard.store import Progress

from wizard.ui.report import columns
from wizard.ui.verdict import options_of, target_of

# Names checked at the same time: enough to be quick for many domains, few enough not to flood a resolver.
CONCURRENCY = 8


@dataclass(frozen=True)
class Job:
    """One cell of the matrix to check again."""

    domain: str
    key: str  # "spf", "dkim", "dmarc", "mta_sts", "tls_rpt"
    target: Target


def jobs(progress: Progress) -> list[Job]:
    """Every shown cell whose last check kept its target, domain by domain, in column order."""
    found = []
    for entry in progress.domains:
        for key, _ in columns(progress):
            record = entry.results.get(key)
            target = target_of(entry.domain, record) if record is not None else None
            if target is not None:
                found.append(Job(entry.domain, key, target))
    return found


async def recheck(
    lookup: Lookup, todo: list[Job], on_result: Callable[[Job, Verdict], None], progress: Progress | None = None
) -> int:
    """Check every job now (a few at a time); `on_result` gets each verdict as it arrives. Returns the count."""
    gate = asyncio.Semaphore(CONCURRENCY)
    entries = {d.domain: d for d in progress.domains} if progress is not None else {}

    async def one(job: Job) -> None:
        options = options_of(entries.get(job.domain)) if entries else CheckOptions()
        async with gate:
            verdict = await verify(lookup, job.target, options)
        on_result(job, verdict)

    await asyncio.gather(*(one(job) for job in todo))
    return len(todo)
