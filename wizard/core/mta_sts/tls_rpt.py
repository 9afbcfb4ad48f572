"""SMTP TLS reporting (RFC 8460): parse and validate the `_smtp._tls` TXT record, and compose one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from wizard.core.findings import Finding, error
from wizard.core.tags import (
    ComposeError,
    ReportUri,
    cap_repeats,
    no_errors,
    parse_uri_list,
    read_tag_list,
    report_uri,
)

# RFC 8460 3: tlsrpt-version = %s"v=TLSRPTv1" (case-sensitive), tlsrpt-sep = *WSP %x3B *WSP
TLSRPT_PREFIX = re.compile(r"v=TLSRPTv1[ \t]*(;|\Z)")
_EXTENSION_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}\Z", re.IGNORECASE)
_URI_SCHEMES = ("mailto", "https")


@dataclass(frozen=True)
class TlsRptRecord:
    """A parsed TLS-RPT record: where reports go, and every problem found (tls-rpt.syntax findings)."""

    text: str
    rua: tuple[ReportUri, ...] = ()
    problems: tuple[Finding, ...] = ()

    @property
    def valid(self) -> bool:
        return no_errors(self.problems)


def is_tlsrpt_record(text: str) -> bool:
    """True for text starting with `v=TLSRPTv1` (case-sensitive, as RFC 8460 writes it); senders discard others."""
    return TLSRPT_PREFIX.match(text) is not None


def parse_tlsrpt(text: str) -> TlsRptRecord:
    """Parse one `_smtp._tls` record; never raises."""
    tags, problems = read_tag_list(text, "TLS-RPT record", "tls-rpt.syntax")
    if not is_tlsrpt_record(text):
        problems.append(_syntax("The record must start with exactly v=TLSRPTv1;"))
    rua: list[ReportUri] = []
    seen: set[str] = set()
    for tag in tags[1:] if tags and tags[0].name == "v" else tags:
        if tag.name in seen:
            problems.append(_syntax(f"{tag.name}= appears more than once."))
            continue
        seen.add(tag.name)
        if tag.name == "rua":
            uris, uri_problems = parse_uri_list(tag.value, "rua", "tls-rpt.syntax", _URI_SCHEMES, allow_size=False)
            rua = uris
            problems += uri_problems
        elif not _EXTENSION_NAME.match(tag.name):
            problems.append(_syntax(f"{tag.name[:40]!r} is not a valid field name."))
    if "rua" not in seen:
        problems.append(_syntax("The record has no rua= (where reports are sent)."))
    return TlsRptRecord(text, tuple(rua), tuple(cap_repeats(problems)))


def _syntax(message: str) -> Finding:
    return error("tls-rpt.syntax", message, "Publish v=TLSRPTv1; rua=mailto:tls-reports@yourdomain")


def compose_tlsrpt(destinations: Sequence[str]) -> str:
    """The `_smtp._tls` TXT value for report destinations (email addresses, mailto: or https: URIs).

    Raises ComposeError naming a destination that is not usable, or the missing destination.
    """
    uris = [report_uri("rua", d, _URI_SCHEMES, allow_size=False).uri for d in destinations]
    if not uris:
        raise ComposeError("rua", "", "give at least one address for TLS reports")
    return "v=TLSRPTv1; rua=" + ",".join(uris)
