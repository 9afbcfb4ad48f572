"""`email-auth-wizard message FILE|-`: does this message from the CIMcloud website pass DMARC, and does it
prove CIMcloud's DKIM signing is active? JSON version 1; exit 0 when DMARC passes on the whole message, 1 when
it fails, no DMARC record applies or only the headers were there (a partial pass is not a pass a script may
rely on), 2 when the input is not a message."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from wizard.checks.message import check_message, read_message
from wizard.commands import (
    EXIT_FAILED,
    EXIT_OK,
    JSON_VERSION,
    InputError,
    fail_input,
    finding_lines,
    read_input,
)
from wizard.core.findings import Finding
from wizard.core.message.parse import MAX_MESSAGE_BYTES, MessageError
from wizard.core.message.verdict import DmarcResult, MessageAnalysis
from wizard.lookup.lookup import Lookup
from wizard.lookup.settings import LookupSettings


def run(file: str, settings: LookupSettings, *, as_json: bool) -> int:
    try:
        message = read_message(read_input(file, MAX_MESSAGE_BYTES))
    except InputError as exc:
        return fail_input(str(exc))
    except MessageError as exc:
        if as_json:
            sys.stdout.write(json.dumps(refused_json(exc.finding), indent=2) + "\n")
        return fail_input(exc.finding.message)
    analysis = asyncio.run(check_message(message, Lookup(settings)))
    notes = message.notes
    if as_json:
        sys.stdout.write(json.dumps(to_json(analysis, notes), indent=2) + "\n")
    else:
        sys.stdout.write(to_text(analysis, notes))
    return EXIT_OK if analysis.complete and analysis.dmarc.result is DmarcResult.PASS else EXIT_FAILED


def to_json(analysis: MessageAnalysis, notes: list[Finding]) -> dict[str, Any]:
    """The stable JSON form (version 1) of one message's analysis."""
    spf = analysis.spf
    receiver = analysis.receiver
    return {
        "version": JSON_VERSION,
        "from_domain": analysis.from_domain,
        "complete": analysis.complete,
        "dkim": [
            {
                "domain": d.check.signature.domain,
                "selector": d.check.signature.selector,
                "result": str(d.check.verdict),
                "aligned": d.aligned,
                "cimcloud": d.check.signature.cimcloud,
                "reason": d.check.reason,
            }
            for d in analysis.dkim
        ],
        "spf": None
        if spf is None
        else {
            "ip": str(spf.connection.ip),
            "mail_from": spf.connection.mail_from,
            "result": str(spf.evaluation.result),
            "aligned": spf.aligned,
        },
        "dmarc": {
            "result": str(analysis.dmarc.result),
            "policy": str(analysis.dmarc.policy) if analysis.dmarc.policy else None,
            "aligned_by": list(analysis.dmarc.aligned_by),
        },
        "cimcloud_signing": analysis.cimcloud_signing,
        "receiver": None
        if receiver is None
        else {"dkim": receiver.first("dkim"), "spf": receiver.first("spf"), "dmarc": receiver.first("dmarc")},
        "findings": [f.to_json() for f in [*notes, *analysis.findings]],
    }


def refused_json(finding: Finding) -> dict[str, Any]:
    """The JSON form for input that is not a message: the same keys, nothing checked, the finding."""
    return {
        "version": JSON_VERSION,
        "from_domain": None,
        "complete": False,
        "dkim": [],
        "spf": None,
        "dmarc": {"result": str(DmarcResult.NONE), "policy": None, "aligned_by": []},
        "cimcloud_signing": False,
        "receiver": None,
        "findings": [finding.to_json()],
    }


def to_text(analysis: MessageAnalysis, notes: list[Finding]) -> str:
    lines = [f"{analysis.from_domain}: message {'(headers only: partial)' if not analysis.complete else ''}".rstrip()]
    for d in analysis.dkim:
        sig = d.check.signature
        flags = ("aligned" if d.aligned else "not aligned") + (", CIMcloud" if sig.cimcloud else "")
        reason = f": {d.check.reason}" if d.check.reason else ""
        lines.append(f"  DKIM  d={sig.domain} s={sig.selector}: {d.check.verdict} ({flags}){reason}")
    if analysis.spf is not None:
        spf = analysis.spf
        lines.append(
            f"  SPF   {spf.connection.ip} for {spf.domain or '-'}: {spf.evaluation.result} "
            f"({'aligned' if spf.aligned else 'not aligned'})"
        )
    verdict = analysis.dmarc
    by = f" by {', '.join(verdict.aligned_by)}" if verdict.aligned_by else ""
    policy = f" (policy {verdict.policy})" if verdict.policy else ""
    lines.append(f"  DMARC {verdict.result}{by}{policy}")
    if analysis.receiver is not None:
        r = analysis.receiver
        lines.append(
            f"  receiver {r.authserv_id}: dkim={r.first('dkim')} spf={r.first('spf')} dmarc={r.first('dmarc')}"
        )
    lines.append(f"  CIMcloud signing proven: {'yes' if analysis.cimcloud_signing else 'no'}")
    lines += finding_lines([*notes, *analysis.findings], "  ")
    return "\n".join(lines) + "\n"
