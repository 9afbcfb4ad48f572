"""The mta_sts and tls_rpt checks end to end: DNS from the BIND lab, the policy from a local HTTPS server
whose certificate comes from a trustme CA trusted through SSL_CERT_FILE."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest
import trustme

from tests.lab import Lab
from tests.lookup.policy_server import (
    Handler,
    expired_context,
    replying,
    response,
    server_context,
    serving,
    stalling,
)
from wizard.checks import CheckContext, CheckOptions, get_check
from wizard.checks.mta_sts import check_mta_sts
from wizard.checks.tls_rpt import check_tls_rpt
from wizard.lookup.lookup import Lookup

DOMAIN = "sts-good.test"
HOST = f"mta-sts.{DOMAIN}"
GOOD = b"version: STSv1\r\nmode: enforce\r\nmx: mx1.sts-good.test\r\nmx: *.backup.sts-good.test\r\nmax_age: 604800\r\n"


def run(lab: Lab, handler: Handler, context: ssl.SSLContext | None, domain: str = DOMAIN) -> dict[str, Any]:
    """Serve the policy with `handler`, then run the mta_sts check for `domain` against the lab."""

    async def main() -> dict[str, Any]:
        async with serving(handler, context) as port:
            lookup = Lookup(lab.settings(https_port=port))
            ctx = CheckContext(domain, lookup, CheckOptions())
            return get_check("mta_sts").fields(await check_mta_sts(ctx))

    return asyncio.run(main())


def codes(result: dict[str, Any]) -> list[str]:
    return [f["code"] for f in result["findings"]]


def only(result: dict[str, Any], code: str) -> dict[str, str]:
    assert codes(result) == [code], result["findings"]
    return result["findings"][0]


def test_good_policy_covering_every_mx_passes(dns_lab: Lab, trusted: trustme.CA) -> None:
    result = run(dns_lab, replying(response(body=GOOD)), server_context(trusted, HOST))
    assert result["status"] == "pass", result["findings"]
    assert result["record"] == "v=STSv1; id=20240601T000000;"
    assert (result["mode"], result["max_age"]) == ("enforce", 604800)
    assert result["mx_hosts"] == ["mx1.sts-good.test", "mx2.backup.sts-good.test"] and result["uncovered_mx"] == []


def test_mx_not_covered_is_a_mismatch(dns_lab: Lab, trusted: trustme.CA) -> None:
    policy = GOOD.replace(b"mx: *.backup.sts-good.test\r\n", b"")
    result = run(dns_lab, replying(response(body=policy)), server_context(trusted, HOST))
    finding = only(result, "mta-sts.mx-mismatch")
    assert finding["severity"] == "error" and "mx2.backup.sts-good.test" in finding["message"]


def test_testing_mode_is_reported(dns_lab: Lab, trusted: trustme.CA) -> None:
    result = run(dns_lab, replying(response(body=GOOD.replace(b"enforce", b"testing"))), server_context(trusted, HOST))
    assert only(result, "mta-sts.testing")["severity"] == "info"


@pytest.mark.parametrize(
    ("make_context", "fragment"),
    [
        (lambda ca: server_context(ca, "www.sts-good.test"), "not valid for mta-sts.sts-good.test"),
        (lambda ca: expired_context(ca, HOST), "expired"),
    ],
)
def test_invalid_certificate_is_unreachable(
    dns_lab: Lab, trusted: trustme.CA, make_context: Any, fragment: str
) -> None:
    result = run(dns_lab, replying(response(body=GOOD)), make_context(trusted))
    finding = only(result, "mta-sts.policy-unreachable")
    assert fragment in finding["message"] and "certificate" in finding["fix"]
    assert result["fetch"]["outcome"] == "certificate-invalid"


def test_redirect_is_not_followed(dns_lab: Lab, trusted: trustme.CA) -> None:
    raw = response("302 Found", b"", location=f"https://www.{DOMAIN}/mta-sts.txt")
    result = run(dns_lab, replying(raw), server_context(trusted, HOST))
    finding = only(result, "mta-sts.policy-unreachable")
    assert "redirect" in finding["message"] and "never follow redirects" in finding["fix"]


def test_not_found(dns_lab: Lab, trusted: trustme.CA) -> None:
    result = run(dns_lab, replying(response("404 Not Found", b"no", "text/html")), server_context(trusted, HOST))
    assert "HTTP 404" in only(result, "mta-sts.policy-unreachable")["message"]
    assert result["fetch"]["status"] == 404


def test_oversized_policy(dns_lab: Lab, trusted: trustme.CA) -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + GOOD * 200_000  # over 10 MB, no length
    result = run(dns_lab, replying(raw), server_context(trusted, HOST))
    assert result["fetch"]["outcome"] == "too-large"
    assert codes(result) == ["mta-sts.policy-unreachable"]


def test_binary_policy_with_wrong_media_type(dns_lab: Lab, trusted: trustme.CA) -> None:
    raw = response(body=b"\x89PNG\r\n\x1a\n\x00\x00" * 100, content_type="image/png")
    result = run(dns_lab, replying(raw), server_context(trusted, HOST))
    assert codes(result) == ["mta-sts.policy-syntax", "mta-sts.policy-syntax"]
    messages = " ".join(f["message"] for f in result["findings"])
    assert "image/png" in messages and "binary" in messages


@pytest.mark.parametrize("tls", [True, False], ids=["after-handshake", "handshake-never-finishes"])
def test_stalling_server_is_a_finding_not_a_hang(dns_lab: Lab, trusted: trustme.CA, tls: bool) -> None:
    result = run(dns_lab, stalling, server_context(trusted, HOST) if tls else None)
    assert codes(result) == ["mta-sts.policy-unreachable"]
    assert result["fetch"]["outcome"] == ("timeout" if tls else "tls-failed")


def test_policy_host_missing_from_dns(dns_lab: Lab, trusted: trustme.CA) -> None:
    result = run(dns_lab, replying(response(body=GOOD)), server_context(trusted, HOST), "sts-nohost.test")
    finding = only(result, "mta-sts.policy-unreachable")
    assert "mta-sts.sts-nohost.test" in finding["message"] and result["fetch"]["outcome"] == "dns-failed"


def test_bad_record_and_multiple_records(dns_lab: Lab, trusted: trustme.CA) -> None:
    bad = run(dns_lab, replying(response(body=GOOD)), server_context(trusted, "mta-sts.sts-bad.test"), "sts-bad.test")
    assert "mta-sts.syntax" in codes(bad)
    multi = run(dns_lab, replying(response(body=GOOD)), None, "sts-multi.test")
    assert codes(multi) == ["mta-sts.multiple"] and multi["record"] is None


def test_no_record_is_only_information(dns_lab: Lab) -> None:
    result = run(dns_lab, replying(b""), None, "dmarc-missing.test")
    assert only(result, "mta-sts.missing")["severity"] == "info" and result["status"] == "pass"


def tls_rpt(lab: Lab, domain: str) -> dict[str, Any]:
    ctx = CheckContext(domain, Lookup(lab.settings()), CheckOptions())
    return get_check("tls_rpt").fields(asyncio.run(check_tls_rpt(ctx)))


def test_tls_rpt_check_against_the_lab(dns_lab: Lab) -> None:
    good = tls_rpt(dns_lab, DOMAIN)
    assert good["status"] == "pass" and good["rua"] == ["mailto:tls-reports@sts-good.test"]
    assert codes(tls_rpt(dns_lab, "sts-multi.test")) == ["tls-rpt.syntax"]
    assert codes(tls_rpt(dns_lab, "sts-nohost.test")) == ["tls-rpt.missing"]
