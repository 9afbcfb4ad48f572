"""The summary's pure parts: the domain × check matrix, the HTML report and the message for CIMcloud support.

No Qt here; the Summary page renders the HTML to PDF with Qt's own QTextDocument and QPdfWriter.
"""

from __future__ import annotations

import time
from html import escape

from wizard import APP_NAME, __version__
from wizard.core.dkim.paste import normalize
from wizard.core.dkim.record import message_for_cimcloud
from wizard.core.records import CheckState
from wizard.store import Progress

CHECKS = (("spf", "SPF"), ("dkim", "DKIM"), ("dmarc", "DMARC"), ("mta_sts", "MTA-STS"), ("tls_rpt", "TLS-RPT"))
OPTIONAL = ("mta_sts", "tls_rpt")  # shown only when the admin chose the MTA-STS step
STATE_WORDS = {
    CheckState.VERIFIED: "verified",
    CheckState.WAITING: "waiting for DNS",
    CheckState.PROBLEM: "problem",
    CheckState.MISSING: "not published yet",
    None: "not checked",
}
STATE_COLOURS: dict[CheckState | None, str] = {
    CheckState.VERIFIED: "#1a7f37",
    CheckState.WAITING: "#9a6700",
    CheckState.PROBLEM: "#cf222e",
    CheckState.MISSING: "#cf222e",
}


def columns(progress: Progress) -> list[tuple[str, str]]:
    """The checks shown: MTA-STS and TLS-RPT only when the admin chose that step."""
    return [c for c in CHECKS if c[0] not in OPTIONAL or progress.mta_sts]


def matrix(progress: Progress) -> list[tuple[str, list[tuple[CheckState | None, str]]]]:
    """Per domain, per shown check: the last state and its one-line summary."""
    rows = []
    for entry in progress.domains:
        cells: list[tuple[CheckState | None, str]] = []
        for key, _ in columns(progress):
            record = entry.results.get(key)
            cells.append((record.state, record.summary) if record else (None, ""))
        rows.append((entry.domain, cells))
    return rows


def dkim_selectors(progress: Progress) -> dict[str, str]:
    """Domain → DKIM selector for the domains whose CIMcloud DKIM record is verified."""
    selectors = {}
    for entry in progress.domains:
        record = entry.results.get("dkim")
        if record is not None and record.state is CheckState.VERIFIED:
            selectors[entry.domain] = normalize(entry.dkim_name, "", entry.domain).selector or ""
    return selectors


def support_message(progress: Progress) -> str:
    """The note for CIMcloud support: DKIM activation for verified domains, and where everything stands."""
    selectors = dkim_selectors(progress)
    lines = [message_for_cimcloud(list(selectors), selectors)] if selectors else ["Hello CIMcloud Support,"]
    lines += ["", "Where our email DNS records stand (checked live with the Email Auth Wizard):"]
    names = [name for _, name in columns(progress)]
    for domain, cells in matrix(progress):
        states = ", ".join(f"{n} {STATE_WORDS[state]}" for n, (state, _) in zip(names, cells, strict=True))
        lines.append(f"- {domain}: {states}")
    return "\n".join(lines)


def report_html(progress: Progress, now: float | None = None) -> str:
    """A self-contained HTML report: the matrix, each result's summary, and the support message."""
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(now))
    head = "".join(f"<th>{escape(name)}</th>" for _, name in columns(progress))
    body = []
    for domain, cells in matrix(progress):
        tds = "".join(
            f'<td style="color:{STATE_COLOURS.get(state, "#57606a")}"><b>{STATE_WORDS[state]}</b>'
            f"<br/><small>{escape(summary)}</small></td>"
            for state, summary in cells
        )
        body.append(f"<tr><td><b>{escape(domain)}</b></td>{tds}</tr>")
    message = escape(support_message(progress))
    return (
        f"<html><head><meta charset='utf-8'><title>{escape(APP_NAME)} report</title></head><body>"
        f"<h1>Email authentication report</h1><p>{escape(APP_NAME)} {escape(__version__)}, {stamp}</p>"
        f"<table border='1' cellspacing='0' cellpadding='6'><tr><th>Domain</th>{head}</tr>{''.join(body)}</table>"
        f"<h2>Message for CIMcloud support</h2><pre>{message}</pre></body></html>"
    )
