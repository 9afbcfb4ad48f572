"""Issue 9's RFC defect classes through `check --json` against the BIND lab (zone tests/data/rfc-zones/rfc.test):
each case gives its finding, and no check crashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.lab.plugin import copy_zones
from wizard.cli import main

RFC_ZONES = Path(__file__).resolve().parent.parent / "data" / "rfc-zones"
NAMES = ("lower", "indent", "pct", "spbad", "rf", "inc", "redir", "voids", "hsha1", "others", "pkcs1", "upper")


@pytest.fixture
def lab_zone_dir(tmp_path: Path) -> Path:
    """rfc.test and CIMcloud's include (mycimcloud.com), nothing else: a small lab that starts quickly."""
    folder = tmp_path / "zones"
    copy_zones(folder, ["rfc.test"], RFC_ZONES)
    copy_zones(folder, ["mycimcloud.com"])
    return folder


@pytest.fixture
def report(dns_lab: Any, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    args = ["--nameserver", f"127.0.0.1:{dns_lab.resolver_port}", "--dns-port", str(dns_lab.port)]
    domains = [f"{name}.rfc.test" for name in NAMES]
    main(["check", *domains, "--json", "--dkim", "sel", "--no-public-resolvers", "--timeout", "3", *args])
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def findings(report: dict[str, Any], name: str, check: str) -> list[dict[str, str]]:
    entry = next(d for d in report["domains"] if d["domain"] == f"{name}.rfc.test")
    result = entry["checks"][check]
    results = result if isinstance(result, list) else [result]
    return [f for r in results for f in r["findings"]]


def codes(report: dict[str, Any], name: str, check: str) -> set[tuple[str, str]]:
    return {(f["code"], f["severity"]) for f in findings(report, name, check)}


def message(report: dict[str, Any], name: str, check: str, code: str) -> dict[str, str]:
    return next(f for f in findings(report, name, check) if f["code"] == code)


def test_every_rfc_case_gives_its_finding_and_nothing_crashes(report: dict[str, Any]) -> None:
    every = [f["code"] for d in report["domains"] for c in d["checks"] for f in findings(report, d["domain"][:-9], c)]
    assert "check.crashed" not in every

    # DMARC (RFC 7489 6.4, 6.6.3): wrong-case or indented v= is no record; pct=² no crash; sp= fallback; rf=
    for name in ("lower", "indent"):
        assert ("dmarc.syntax", "error") in codes(report, name, "dmarc")
        assert "receivers ignore" in message(report, name, "dmarc", "dmarc.syntax")["message"]
    assert any("pct=² must be a whole number" in f["message"] for f in findings(report, "pct", "dmarc"))
    assert ("dmarc.policy-fallback", "warning") in codes(report, "spbad", "dmarc")
    spbad = next(d for d in report["domains"] if d["domain"] == "spbad.rfc.test")["checks"]["dmarc"]
    assert spbad["policy"] == "none"
    assert ("dmarc.rf-unknown", "warning") in codes(report, "rf", "dmarc")
    assert ("dmarc.syntax", "error") not in codes(report, "rf", "dmarc")

    # SPF: +all through an include, ip6:::/0 through redirect=, voids for IPv4 clients before CIMcloud's include
    assert "include:open.rfc.test > +all" in message(report, "inc", "spf", "spf.all-pass")["message"]
    redirect = message(report, "redir", "spf", "spf.all-pass")["message"]
    assert "redirect=wide.rfc.test > ip6:::/0" in redirect and "IPv6" in redirect
    blocked = message(report, "voids", "spf", "spf.not-authorized")
    assert "void lookup 3" in blocked["message"] and not blocked["fix"].startswith("Add include:")
    assert "IPv4" in message(report, "voids", "spf", "spf.void-lookups")["message"]

    # DKIM (RFC 6376 6.1.2, 3.6.2.2; OpenDKIM and PKCS#1)
    assert ("dkim.hash-excluded", "error") in codes(report, "hsha1", "dkim")
    assert ("dkim.other-records", "error") in codes(report, "others", "dkim")
    pkcs1 = message(report, "pkcs1", "dkim", "dkim.pkcs1-key")
    assert pkcs1["severity"] == "error" and "p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" in pkcs1["fix"]

    # MTA-STS / TLS-RPT versions are case-sensitive: senders see no record
    upper = next(d for d in report["domains"] if d["domain"] == "upper.rfc.test")["checks"]
    assert upper["mta_sts"]["status"] != "pass" and upper["tls_rpt"]["status"] != "pass"
