"""DMARC aggregate reports: the shapes Google, Microsoft and Yahoo send, hostile files refused within bounds,
and the summary by source with the next stage recommended."""

from __future__ import annotations

import gzip
import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from wizard.core.dmarc import aggregate
from wizard.core.dmarc.aggregate import ReportError, parse_report, read_report_file
from wizard.core.dmarc.rollout import CIMCLOUD, activation_proof, recommend, summarise
from wizard.core.proof import ProofKind, ProofVerdict

REPORTS = Path(__file__).resolve().parent.parent / "data" / "dmarc-reports"
GOOGLE_ZIP = REPORTS / "google.com!shop-proof.test!1763510400!1764719999.zip"
MICROSOFT_GZ = REPORTS / "enterprise.protection.outlook.com!shop-proof.test!1764115200!1764201600.xml.gz"
SERVICES = {
    "198.51.100.7": CIMCLOUD,
    "198.51.100.8": CIMCLOUD,
    "192.0.2.10": "Google Workspace",
    "203.0.113.20": "Microsoft 365",
}


def read(path: Path) -> list[aggregate.AggregateReport]:
    return read_report_file(path.name, path.read_bytes())


def refused(path_or_name: Path | str, data: bytes | None = None) -> str:
    name = path_or_name.name if isinstance(path_or_name, Path) else path_or_name
    with pytest.raises(ReportError) as caught:
        read_report_file(name, data if data is not None else Path(path_or_name).read_bytes())
    return caught.value.finding.code + ": " + caught.value.finding.message


def test_google_zip_is_read() -> None:
    (report,) = read(GOOGLE_ZIP)
    assert (report.org_name, report.domain, report.policy, report.pct) == ("google.com", "shop-proof.test", "none", 100)
    assert (report.end - report.begin) // 86400 == 13
    cim = report.rows[0]
    assert (cim.source_ip, cim.count, cim.dkim, cim.spf, cim.dmarc_pass) == ("198.51.100.7", 1204, "pass", "pass", True)
    assert cim.auth[0].selector == "cimcloud-a94fdfc80c2c46c7"
    assert not report.rows[2].dmarc_pass


def test_microsoft_gzip_is_read() -> None:
    (report,) = read(MICROSOFT_GZ)
    assert report.org_name == "Enterprise Outlook"
    assert [(r.source_ip, r.count) for r in report.rows] == [("198.51.100.8", 300), ("203.0.113.20", 25)]


def test_yahoo_xml_is_read() -> None:
    (report,) = read(REPORTS / "yahoo.xml")
    assert (report.org_name, report.rows[0].count) == ("Yahoo", 50)


def test_a_dmarcbis_namespaced_report_is_read() -> None:
    xml = (
        (REPORTS / "yahoo.xml")
        .read_bytes()
        .replace(b"<feedback>", b'<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0">')
    )
    assert parse_report("bis.xml", xml).rows[0].count == 50


def test_billion_laughs_is_refused_before_any_expansion() -> None:
    started = time.monotonic()
    message = refused(REPORTS / "billion-laughs.xml")
    assert message.startswith("dmarc.report-refused") and "entities" in message
    assert time.monotonic() - started < 1


def test_external_entity_is_refused() -> None:
    message = refused(REPORTS / "external-entity.xml")
    assert message.startswith("dmarc.report-refused") and "entit" in message
    assert "root:" not in message


def test_zip_bomb_is_refused_at_the_bound() -> None:
    tracemalloc.start()
    try:
        message = refused(REPORTS / "zip-bomb.zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message.startswith("dmarc.report-too-large")
    assert peak < 1.5 * aggregate.MAX_XML_BYTES  # reading stopped at the bound, never the 64 MB the member holds


def test_gzip_bomb_is_refused_at_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aggregate, "MAX_XML_BYTES", 1024 * 1024)
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    assert refused("bomb.xml.gz", bomb).startswith("dmarc.report-too-large")


def test_a_zip_member_past_the_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aggregate, "MAX_XML_BYTES", 1024 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("r.xml", b"<feedback>" + b" " * (4 * 1024 * 1024) + b"</feedback>")
    assert refused("liar.zip", buffer.getvalue()).startswith("dmarc.report-too-large")


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("junk.xml", b"\x00\x01 not xml", "well-formed"),
        ("html.xml", b"<html><body>hi</body></html>", "<html>"),
        ("broken.xml.gz", b"\x1f\x8b\x08\x00garbage", "gzip"),
        ("broken.zip", b"PK\x03\x04garbage", "zip"),
        ("nodomain.xml", b"<feedback><policy_published/></feedback>", "no domain"),
    ],
)
def test_junk_is_refused_with_a_reason(name: str, data: bytes, why: str) -> None:
    message = refused(name, data)
    assert message.startswith("dmarc.report-refused") and why in message


def test_summary_by_source_and_the_next_stage() -> None:
    reports = read(GOOGLE_ZIP) + read(MICROSOFT_GZ) + read(REPORTS / "yahoo.xml")
    summary = summarise(reports, "shop-proof.test", SERVICES)
    assert (summary.reports, summary.messages) == (3, 1204 + 40 + 12 + 300 + 25 + 50)
    by_ip = {s.ip: s for s in summary.sources}
    assert (by_ip["198.51.100.7"].count, by_ip["198.51.100.7"].service) == (1254, CIMCLOUD)
    unknown = by_ip["192.0.2.200"]
    assert (unknown.service, unknown.count, unknown.dmarc_pass) == (None, 12, 0)
    assert summary.cimcloud_signing
    rec = summary.recommendation
    assert (rec.policy, rec.pct) == ("quarantine", 25)
    assert "CIMcloud: 1,554 messages, 100% DKIM-aligned over 14 days" in rec.reason
    assert "unknown 192.0.2.200: 12 failing" in rec.reason
    codes = [f.code for f in summary.findings]
    assert "dmarc.report-unknown-source" in codes and "dmarc.report-cimcloud-signing" in codes
    assert "dmarc.report-short-period" not in codes  # 19 Nov 00:00 to 2 Dec 23:59:59 is 14 days
    unknown_finding = next(f for f in summary.findings if f.code == "dmarc.report-unknown-source")
    assert unknown_finding.message.startswith("1 source no known service authorizes: 192.0.2.200 (12, 0 passing).")
    proof = activation_proof(summary, 1.0)
    assert (proof.kind, proof.verdict) == (ProofKind.REPORTS, ProofVerdict.PROVEN)
    assert proof.evidence == "3 reports over 14 days: CIMcloud 1,554 messages, 1,554 DKIM-aligned"


def test_cimcloud_not_signing_keeps_p_none() -> None:
    (report,) = read(REPORTS / "yahoo.xml")
    unsigned = parse_report(
        "y.xml", (REPORTS / "yahoo.xml").read_bytes().replace(b"<dkim>pass</dkim>", b"<dkim>fail</dkim>")
    )
    summary = summarise([unsigned], "shop-proof.test", SERVICES)
    assert not summary.cimcloud_signing
    assert summary.recommendation.policy == "none"
    assert "dmarc.report-cimcloud-unsigned" in [f.code for f in summary.findings]
    assert report.rows[0].dkim == "pass"
    assert activation_proof(summary, 1.0).verdict is ProofVerdict.NOT_PROVEN


def test_no_cimcloud_mail_keeps_p_none() -> None:
    summary = summarise(read(GOOGLE_ZIP), "shop-proof.test", {})
    assert summary.recommendation.policy == "none"
    assert "dmarc.report-no-cimcloud" in [f.code for f in summary.findings]


def test_a_failing_known_service_holds_enforcement_back() -> None:
    sources = summarise(read(MICROSOFT_GZ), "shop-proof.test", SERVICES).sources
    failing = [s if s.service != "Microsoft 365" else type(s)(s.ip, s.count, s.service, 0, 0, 0, ()) for s in sources]
    rec, findings = recommend("shop-proof.test", failing, "none", 100, 14)
    assert rec.policy == "none" and "Microsoft 365 still failing" in rec.reason
    assert "dmarc.report-service-failing" in [f.code for f in findings]


@pytest.mark.parametrize(
    ("policy", "pct", "want"), [("none", 100, ("quarantine", 25)), ("quarantine", 25, ("quarantine", 100)),
                                ("quarantine", 100, ("reject", 100))]
)  # fmt: skip
def test_the_stages_step_up_one_at_a_time(policy: str, pct: int, want: tuple[str, int]) -> None:
    sources = summarise(read(REPORTS / "yahoo.xml"), "shop-proof.test", SERVICES).sources
    rec, _ = recommend("shop-proof.test", sources, policy, pct, 30)
    assert (rec.policy, rec.pct) == want


def test_one_day_of_reports_is_called_thin_evidence() -> None:
    summary = summarise(read(MICROSOFT_GZ), "shop-proof.test", SERVICES)
    short = next(f for f in summary.findings if f.code == "dmarc.report-short-period")
    assert short.message.startswith("The reports cover 1 day;")
