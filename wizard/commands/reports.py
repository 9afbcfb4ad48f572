"""`email-auth-wizard reports FILE...`: DMARC aggregate reports summarised by source, and the next DMARC stage.
JSON version 1; exit 0 when the reports show CIMcloud's mail passing aligned DKIM and no file was refused,
1 otherwise, 2 when no file could be read as a report."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from wizard.checks.reports import ReportsOutcome, check_reports
from wizard.commands import EXIT_FAILED, EXIT_OK, JSON_VERSION, InputError, fail_input, finding_lines, read_input
from wizard.core.dmarc.aggregate import MAX_FILE_BYTES
from wizard.core.findings import Severity
from wizard.lookup.lookup import Lookup
from wizard.lookup.settings import LookupSettings


def run(files: Sequence[str], settings: LookupSettings, *, domain: str | None, as_json: bool) -> int:
    from wizard.resources import load_services

    try:
        contents = [(name, read_input(name, MAX_FILE_BYTES)) for name in files]
    except InputError as exc:
        return fail_input(str(exc))
    outcome = asyncio.run(check_reports(contents, Lookup(settings), load_services(), domain))
    sys.stdout.write(json.dumps(to_json(outcome), indent=2) + "\n" if as_json else to_text(outcome))
    if outcome.summary is None:
        return fail_input("no report could be used: " + "; ".join(f.message for f in outcome.findings)[:500])
    refused = any(f.severity is Severity.ERROR for f in outcome.file_findings)
    return EXIT_OK if outcome.summary.cimcloud_signing and not refused else EXIT_FAILED


def _date(epoch: int) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if epoch else None


def to_json(outcome: ReportsOutcome) -> dict[str, Any]:
    """The stable JSON form (version 1); counts are messages, `service` the matched sender or null."""
    s = outcome.summary
    findings = [f.to_json() for f in outcome.findings]
    if s is None:
        return {"version": JSON_VERSION, "domain": None, "reports": 0, "messages": 0,
                "period": {"begin": None, "end": None}, "sources": [], "recommendation": None,
                "findings": findings}  # fmt: skip
    return {
        "version": JSON_VERSION,
        "domain": s.domain,
        "reports": s.reports,
        "messages": s.messages,
        "period": {"begin": _date(s.begin), "end": _date(s.end)},
        "sources": [
            {
                "ip": src.ip,
                "count": src.count,
                "service": src.service,
                "spf_aligned": src.spf_aligned,
                "dkim_aligned": src.dkim_aligned,
                "dmarc_pass": src.dmarc_pass,
            }
            for src in s.sources
        ],
        "recommendation": {
            "policy": s.recommendation.policy,
            "pct": s.recommendation.pct,
            "reason": s.recommendation.reason,
        },
        "findings": findings,
    }


def to_text(outcome: ReportsOutcome) -> str:
    s = outcome.summary
    if s is None:
        return "\n".join(["no usable report", *finding_lines(outcome.findings)]) + "\n"
    lines = [f"{s.domain}: {s.reports} reports, {s.messages:,} messages, {_date(s.begin)} to {_date(s.end)}"]
    for src in s.sources:
        name = src.service or "unknown"
        lines.append(
            f"  {src.ip:<40} {src.count:>8,}  {name:<28} SPF aligned {src.spf_aligned:,}, "
            f"DKIM aligned {src.dkim_aligned:,}, DMARC pass {src.dmarc_pass:,}"
        )
    r = s.recommendation
    lines.append(f"  next: p={r.policy} pct={r.pct}: {r.reason}")
    lines += finding_lines(outcome.findings)
    return "\n".join(lines) + "\n"
