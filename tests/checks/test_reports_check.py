"""The reports check and command against the BIND lab: each source named by check_host() against the known
services' includes, the summary, the JSON of `email-auth-wizard reports`, and hostile files refused."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.checks.mail import DOMAIN, SELECTOR, delivered, message, publish_key, sign
from tests.checks.test_dns_check import lab_args
from tests.core.test_aggregate import GOOGLE_ZIP, MICROSOFT_GZ, REPORTS
from tests.lab import Lab
from wizard.checks.proofs import gather_proofs
from wizard.checks.reports import check_reports, identify
from wizard.cli import main
from wizard.core.proof import ProofKind, ProofVerdict, activation_proven
from wizard.lookup.lookup import Lookup
from wizard.resources import load_services

ALL = [GOOGLE_ZIP, MICROSOFT_GZ, REPORTS / "yahoo.xml"]


def test_sources_are_named_by_the_include_that_authorizes_them(dns_lab: Lab) -> None:
    ips = ["198.51.100.7", "192.0.2.10", "203.0.113.20", "192.0.2.200", "2001:db8:c1::25"]
    named = asyncio.run(identify(Lookup(dns_lab.settings()), ips, load_services()))
    assert named == {
        "198.51.100.7": "CIMcloud",
        "192.0.2.10": "Google Workspace",
        "203.0.113.20": "Microsoft 365",
        "192.0.2.200": None,
        "2001:db8:c1::25": "CIMcloud",
    }


def test_reports_from_three_receivers_recommend_the_next_stage(dns_lab: Lab) -> None:
    files = [(p.name, p.read_bytes()) for p in [*ALL, REPORTS / "other-domain.xml"]]
    outcome = asyncio.run(check_reports(files, Lookup(dns_lab.settings()), load_services()))
    summary = outcome.summary
    assert summary is not None
    assert (summary.domain, summary.reports) == ("shop-proof.test", 3)
    assert summary.cimcloud_signing
    assert {s.ip: s.service for s in summary.sources}["192.0.2.200"] is None
    assert (summary.recommendation.policy, summary.recommendation.pct) == ("quarantine", 25)
    assert [f.code for f in outcome.file_findings] == ["dmarc.report-other-domain"]


def run_cli(capsys: pytest.CaptureFixture[str], dns_lab: Lab, *args: str) -> tuple[int, dict[str, object], str]:
    code = main(["reports", *args, "--json", *lab_args(dns_lab)])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_the_reports_command_prints_version_1_json(dns_lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run_cli(capsys, dns_lab, *map(str, ALL))
    assert code == 0
    assert list(out) == ["version", "domain", "reports", "messages", "period", "sources", "recommendation", "findings"]
    assert (out["version"], out["domain"], out["reports"], out["messages"]) == (1, "shop-proof.test", 3, 1631)
    assert out["period"] == {"begin": "2025-11-19T00:00:00Z", "end": "2025-12-02T23:59:59Z"}
    sources = out["sources"]
    assert isinstance(sources, list)
    assert sources[0] == {"ip": "198.51.100.7", "count": 1254, "service": "CIMcloud", "spf_aligned": 1254,
                          "dkim_aligned": 1254, "dmarc_pass": 1254}  # fmt: skip
    rec = out["recommendation"]
    assert isinstance(rec, dict)
    assert (rec["policy"], rec["pct"]) == ("quarantine", 25)


def test_hostile_files_are_refused_and_the_rest_still_read(dns_lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = [REPORTS / n for n in ("billion-laughs.xml", "external-entity.xml", "zip-bomb.zip")]
    code, out, _err = run_cli(capsys, dns_lab, str(REPORTS / "yahoo.xml"), *map(str, hostile))
    assert code == 1
    findings = out["findings"]
    assert isinstance(findings, list)
    codes = [f["code"] for f in findings]
    assert codes[:3] == ["dmarc.report-refused", "dmarc.report-refused", "dmarc.report-too-large"]
    assert out["reports"] == 1


def test_only_hostile_files_is_bad_input(dns_lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, dns_lab, str(REPORTS / "billion-laughs.xml"))
    assert code == 2
    assert out["domain"] is None
    assert "no report could be used" in err and "entities" in err


def test_a_report_for_another_domain_only(dns_lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run_cli(capsys, dns_lab, str(REPORTS / "other-domain.xml"), "--domain", "shop-proof.test")
    assert code == 2
    findings = out["findings"]
    assert isinstance(findings, list)
    assert [f["code"] for f in findings] == ["dmarc.report-other-domain"]


def test_a_missing_file_is_bad_input(dns_lab: Lab, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["reports", str(tmp_path / "nope.xml"), *lab_args(dns_lab)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_proofs_from_a_message_and_reports_for_check(dns_lab: Lab) -> None:
    publish_key(dns_lab, DOMAIN, SELECTOR, "cimcloud")
    files = [(p.name, p.read_bytes()) for p in [*ALL, REPORTS / "other-domain.xml"]]
    proofs = asyncio.run(
        gather_proofs(Lookup(dns_lab.settings()), load_services(), message=delivered(sign(message())), reports=files)
    )
    assert [(p.kind, p.domain, p.verdict) for p in proofs] == [
        (ProofKind.MESSAGE, DOMAIN, ProofVerdict.PROVEN),
        (ProofKind.REPORTS, DOMAIN, ProofVerdict.PROVEN),
        (ProofKind.REPORTS, "example.test", ProofVerdict.PROVEN),  # its own report, its own proof
    ]
    assert activation_proven(proofs, DOMAIN) == proofs[0]  # the newest evidence: the message (same time: first)
    assert activation_proven(proofs, "other.test") is None
