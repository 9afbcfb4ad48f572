"""The summary's pure parts: the domain × check matrix, the HTML report and the message for CIMcloud support.

No Qt here; the Summary page renders the HTML to PDF with Qt's own QTextDocument and QPdfWriter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from html import escape

from wizard import APP_NAME, __version__
from wizard.core.dkim.paste import normalize
from wizard.core.dkim.record import record_name
from wizard.core.proof import activation_proven, proof_text
from wizard.core.records import CheckState
from wizard.store import DomainProgress, Progress

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


WAITING_FOR_CIMCLOUD = "waiting for CIMcloud"
WAITING_FOR_CIMCLOUD_TIP = (
    "CIMcloud has not sent this domain's DKIM record yet: send them the DKIM provisioning request (on the DKIM "
    "step, or the message below)."
)


class DkimStep(StrEnum):
    """What a domain's DKIM needs next from CIMcloud's side, as their guide orders the steps."""

    PROVISIONING = "provisioning"  # no values from CIMcloud yet: ask them to provision DKIM
    PUBLISHING = "publishing"  # values pasted, the record is not verified yet: the admin's turn
    ACTIVATION = "activation"  # the record is verified: ask CIMcloud to switch signing on


def dkim_step(entry: DomainProgress) -> DkimStep:
    """Verified: activation; nothing from CIMcloud pasted (neither name nor content): provisioning."""
    record = entry.results.get("dkim")
    if record is not None and record.state is CheckState.VERIFIED:
        return DkimStep.ACTIVATION
    if not entry.dkim_name.strip() and not entry.dkim_content.strip():
        return DkimStep.PROVISIONING
    return DkimStep.PUBLISHING


def provisioning_request(domains: list[str]) -> str:
    """The support-task request CIMcloud's guide asks for first: provision DKIM for the website, every From-address
    domain listed."""
    if not domains:
        return ""
    listed = "\n".join(f"- {d}" for d in domains)
    return (
        "Hello CIMcloud Support,\n\n"
        "Please provision DKIM for our website's email and send us the DKIM record (name and content) to add for "
        f"each of the domains our website sends email from:\n\n{listed}\n\n"
        "We will publish the records, verify them and let you know, so you can activate DKIM signing.\n\nThank you."
    )


@dataclass(frozen=True)
class Cell:
    """One domain × check cell: the last state, its one-line summary, and the words shown for it."""

    state: CheckState | None
    summary: str
    words: str


def columns(progress: Progress) -> list[tuple[str, str]]:
    """The checks shown: MTA-STS and TLS-RPT only when the admin chose that step."""
    return [c for c in CHECKS if c[0] not in OPTIONAL or progress.mta_sts]


def cell(entry: DomainProgress, key: str) -> Cell:
    """A check's cell; DKIM without CIMcloud's values is waiting for CIMcloud, not a problem of the admin's."""
    if key == "dkim" and dkim_step(entry) is DkimStep.PROVISIONING:
        return Cell(None, WAITING_FOR_CIMCLOUD_TIP, WAITING_FOR_CIMCLOUD)
    record = entry.results.get(key)
    if record is None:
        return Cell(None, "", STATE_WORDS[None])
    return Cell(record.state, record.summary, STATE_WORDS[record.state])


def matrix(progress: Progress) -> list[tuple[str, list[Cell]]]:
    """Per domain, per shown check: the last state, its one-line summary and its words."""
    return [(entry.domain, [cell(entry, key) for key, _ in columns(progress)]) for entry in progress.domains]


def signing_lines(progress: Progress, *, proven_only: bool = False) -> list[str]:
    """Per domain, what shows that CIMcloud signs its mail (the proof kept in progress: its verdict and when);
    with proven_only, only the domains that have such a proof."""
    lines = []
    for entry in progress.domains:
        proof = activation_proven(entry.proofs, entry.domain)
        if proof is None and proven_only:
            continue
        day = time.strftime("%Y-%m-%d", time.localtime(proof.when)) if proof is not None else ""
        lines.append(f"{entry.domain}: {proof_text(proof, day)}")
    return lines


def dkim_selectors(progress: Progress) -> dict[str, str]:
    """Domain → DKIM selector for the domains whose CIMcloud DKIM record is verified."""
    selectors = {}
    for entry in progress.domains:
        record = entry.results.get("dkim")
        if record is not None and record.state is CheckState.VERIFIED:
            selectors[entry.domain] = normalize(entry.dkim_name, "", entry.domain).selector or ""
    return selectors


def support_message(progress: Progress) -> str:
    """The note for CIMcloud support: what each domain needs next from them (DKIM provisioning, or activation
    after verification), then where everything stands."""
    steps = {entry.domain: dkim_step(entry) for entry in progress.domains}
    selectors = dkim_selectors(progress)
    lines = ["Hello CIMcloud Support,"]
    provision = [d for d, step in steps.items() if step is DkimStep.PROVISIONING]
    if provision:
        lines += ["", "Please provision DKIM for our website's email and send us the DKIM record to add for:"]
        lines += [f"- {d}" for d in provision]
    publishing = [d for d, step in steps.items() if step is DkimStep.PUBLISHING]
    if publishing:
        lines += [
            "",
            "We have the DKIM records you sent for these domains and are publishing them now. We will ask you to "
            "activate DKIM signing once each is verified in DNS; nothing to do for them yet:",
        ]
        lines += [f"- {d}" for d in publishing]
    activate = [d for d, step in steps.items() if step is DkimStep.ACTIVATION]
    if activate:
        lines += ["", "The DKIM records you provided are published and verified. Please activate DKIM signing for:"]
        lines += [f"- {d}: {record_name(d, selectors[d])}" if selectors.get(d) else f"- {d}" for d in activate]
    lines += ["", "Where our email DNS records stand (checked live with the Email Auth Wizard):"]
    names = [name for _, name in columns(progress)]
    for domain, cells in matrix(progress):
        states = ", ".join(f"{n} {c.words}" for n, c in zip(names, cells, strict=True))
        lines.append(f"- {domain}: {states}")
    signing = signing_lines(progress, proven_only=True)
    if signing:
        lines += ["", "What shows that you sign our website's email with DKIM:"]
        lines += [f"- {line}" for line in signing]
    lines += ["", "Thank you."]
    return "\n".join(lines)


def admin_next_steps(progress: Progress) -> list[str]:
    """What the admin must do before CIMcloud can act, per domain whose DKIM values are pasted but not verified:
    publish and verify the record, and only then ask for activation."""
    return [
        f"{entry.domain}: publish the DKIM record CIMcloud sent at your DNS provider and verify it on the DKIM step "
        "(Check DNS now). Once it is verified, this message asks CIMcloud to activate signing for it; do not ask "
        "before, or signing starts with no key in DNS and your website's email fails DKIM."
        for entry in progress.domains
        if dkim_step(entry) is DkimStep.PUBLISHING
    ]


def report_html(progress: Progress, now: float | None = None) -> str:
    """A self-contained HTML report: the matrix, each result's summary, and the support message."""
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(now))
    head = "".join(f"<th>{escape(name)}</th>" for _, name in columns(progress))
    body = []
    for domain, cells in matrix(progress):
        tds = "".join(
            f'<td style="color:{STATE_COLOURS.get(c.state, "#57606a")}"><b>{escape(c.words)}</b>'
            f"<br/><small>{escape(c.summary)}</small></td>"
            for c in cells
        )
        body.append(f"<tr><td><b>{escape(domain)}</b></td>{tds}</tr>")
    message = escape(support_message(progress))
    signing = "".join(f"<li>{escape(line)}</li>" for line in signing_lines(progress))
    return (
        f"<html><head><meta charset='utf-8'><title>{escape(APP_NAME)} report</title></head><body>"
        f"<h1>Email authentication report</h1><p>{escape(APP_NAME)} {escape(__version__)}, {stamp}</p>"
        f"<table border='1' cellspacing='0' cellpadding='6'><tr><th>Domain</th>{head}</tr>{''.join(body)}</table>"
        f"<h2>CIMcloud DKIM signing</h2><ul>{signing}</ul>"
        f"<h2>Message for CIMcloud support</h2><pre>{message}</pre></body></html>"
    )
