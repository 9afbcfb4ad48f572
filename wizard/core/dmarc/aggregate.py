"""DMARC aggregate reports (RFC 7489 appendix C, DMARCbis) as receivers send them: .xml, .xml.gz, .zip.

Reports come from strangers, so every file is read with bounds: compressed input, decompressed size and zip
members are capped (decompression stops at the bound, whatever the archive claims), and the XML is parsed
with defusedxml, which refuses entity declarations (billion laughs) and external references.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from ipaddress import ip_address
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from wizard.core.findings import Finding, FindingError, error, warning

MAX_FILE_BYTES = 20 * 1024 * 1024  # a compressed report file
MAX_XML_BYTES = 32 * 1024 * 1024  # one decompressed report (the largest real ones are a few MB)
MAX_ZIP_MEMBERS = 20
MAX_RECORDS = 100_000
_CHUNK = 64 * 1024


class ReportError(FindingError):
    """A file that is not a usable report; `finding` says why."""


@dataclass(frozen=True)
class AuthResult:
    """One raw authentication result in a record's auth_results (the receiver's own check, before alignment)."""

    method: str  # "dkim" or "spf"
    domain: str
    result: str
    selector: str = ""


@dataclass(frozen=True)
class ReportRow:
    """One <record>: a source IP, how many messages, what the receiver did, and the DMARC evaluation."""

    source_ip: str
    count: int
    disposition: str
    dkim: str  # policy_evaluated: "pass" means aligned DKIM passed
    spf: str  # policy_evaluated: "pass" means aligned SPF passed
    header_from: str
    auth: tuple[AuthResult, ...] = ()

    @property
    def dmarc_pass(self) -> bool:
        return self.dkim == "pass" or self.spf == "pass"


@dataclass(frozen=True)
class AggregateReport:
    """One report: who sent it, the period it covers, the policy the receiver saw, and its rows."""

    source: str  # the file (and member) it came from
    org_name: str
    report_id: str
    begin: int
    end: int
    domain: str
    policy: str
    pct: int | None
    rows: tuple[ReportRow, ...]


def read_report_file(name: str, data: bytes) -> list[AggregateReport]:
    """The reports in one file (a zip can hold several). Raises ReportError for a file that is refused."""
    if len(data) > MAX_FILE_BYTES:
        raise _refused(name, f"it is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if data.startswith(b"PK\x03\x04"):
        return [parse_report(f"{name}:{member}", xml) for member, xml in _zip_members(name, data)]
    if data.startswith(b"\x1f\x8b"):
        return [parse_report(name, _gunzip(name, data))]
    return [parse_report(name, data)]


def _gunzip(name: str, data: bytes) -> bytes:
    """Decompress a gzip file, stopping at MAX_XML_BYTES (nothing is inflated past the bound)."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, MAX_XML_BYTES + 1)
    except zlib.error as exc:
        raise _refused(name, f"it is not a valid gzip file ({exc})") from None
    if len(out) > MAX_XML_BYTES or inflater.unconsumed_tail:
        raise _too_large(name)
    if not inflater.eof:
        raise _refused(name, "it is not a valid gzip file (it ends before the compressed data does)")
    return out


def _zip_members(name: str, data: bytes) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refused(name, f"it is not a valid zip file ({exc})") from None
    if not members:
        raise _refused(name, "the zip file is empty")
    if len(members) > MAX_ZIP_MEMBERS:
        raise _refused(name, f"the zip file holds {len(members)} files; reports come one or a few per file")
    return [(m.filename, _read_member(name, archive, m)) for m in members]


def _read_member(name: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """One member, read in chunks up to the bound: the sizes in the zip's directory are not trusted."""
    chunks, total = [], 0
    try:
        with archive.open(member) as stream:
            while (chunk := stream.read(_CHUNK)) and total <= MAX_XML_BYTES:
                total += len(chunk)
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError, zlib.error) as exc:
        raise _refused(f"{name}:{member.filename}", f"it cannot be decompressed ({exc})") from None
    if total > MAX_XML_BYTES:
        raise _too_large(f"{name}:{member.filename}")
    return b"".join(chunks)


def parse_report(source: str, xml: bytes) -> AggregateReport:
    """Parse one report's XML (namespaced DMARCbis reports too). Raises ReportError."""
    try:
        root = defusedxml.ElementTree.fromstring(xml, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden:
        raise _refused(source, "it declares XML entities (an entity-expansion bomb or an external entity)") from None
    except (defusedxml.ExternalReferenceForbidden, defusedxml.DTDForbidden):
        raise _refused(source, "it refers to an external document") from None
    except (ParseError, ValueError) as exc:
        raise _refused(source, f"it is not well-formed XML ({exc})") from None
    if _local(root.tag) != "feedback":
        raise _refused(source, f"its root element is <{_local(root.tag)}>, not a DMARC report's <feedback>")
    return _report(source, root)


def _report(source: str, root: Element) -> AggregateReport:
    meta, policy = _child(root, "report_metadata"), _child(root, "policy_published")
    dates = _child(meta, "date_range") if meta is not None else None
    domain = _text(policy, "domain").lower().rstrip(".")
    if not domain:
        raise _refused(source, "it names no domain in <policy_published>")
    records = [e for e in root if _local(e.tag) == "record"]
    if len(records) > MAX_RECORDS:
        raise _refused(source, f"it has more than {MAX_RECORDS} records")
    pct = _text(policy, "pct")
    return AggregateReport(
        source=source,
        org_name=_text(meta, "org_name"),
        report_id=_text(meta, "report_id"),
        begin=_int(_text(dates, "begin")),
        end=_int(_text(dates, "end")),
        domain=domain,
        policy=_text(policy, "p").lower() or "none",
        pct=int(pct) if pct.isdigit() else None,
        rows=tuple(row for r in records if (row := _row(r)) is not None),
    )


def _row(record: Element) -> ReportRow | None:
    row, ids, auth = _child(record, "row"), _child(record, "identifiers"), _child(record, "auth_results")
    evaluated = _child(row, "policy_evaluated") if row is not None else None
    ip = _text(row, "source_ip")
    try:
        ip = str(ip_address(ip))
    except ValueError:
        return None  # a row without a usable address says nothing about a sender
    results = []
    for entry in auth if auth is not None else ():
        method = _local(entry.tag)
        if method in ("dkim", "spf"):
            results.append(
                AuthResult(method, _text(entry, "domain").lower(), _text(entry, "result").lower(),
                           _text(entry, "selector").lower())
            )  # fmt: skip
    return ReportRow(
        source_ip=ip,
        count=max(0, _int(_text(row, "count"))),
        disposition=_text(evaluated, "disposition").lower() or "none",
        dkim=_text(evaluated, "dkim").lower(),
        spf=_text(evaluated, "spf").lower(),
        header_from=_text(ids, "header_from").lower(),
        auth=tuple(results),
    )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child(parent: Element | None, name: str) -> Element | None:
    if parent is None:
        return None
    return next((e for e in parent if _local(e.tag) == name), None)


def _text(parent: Element | None, name: str) -> str:
    found = _child(parent, name)
    return (found.text or "").strip() if found is not None else ""


def _int(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 19 else 0


def _refused(source: str, why: str) -> ReportError:
    return ReportError(
        error("dmarc.report-refused", f"{source} was not read as a DMARC report: {why}.",
              "Give the report files as the receivers sent them (.xml, .xml.gz or .zip).")
    )  # fmt: skip


def _too_large(source: str) -> ReportError:
    return ReportError(
        error(
            "dmarc.report-too-large",
            f"{source} decompresses to more than {MAX_XML_BYTES // (1024 * 1024)} MB; reading stopped there "
            "(a real report is far smaller: this may be a zip bomb).",
            "Give only the report files the receivers sent.",
        )
    )


def other_domain(report: AggregateReport, domain: str) -> Finding:
    return warning(
        "dmarc.report-other-domain",
        f"{report.source} is a report for {report.domain}, not {domain}; it was left out.",
        "Check one domain's reports at a time (--domain picks which).",
    )
