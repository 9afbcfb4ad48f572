"""A `check` process imports asyncio without its TLS support (wizard.cli._import_asyncio_without_tls): the
check's own TLS still works there. DNS over HTTPS (anyio's TLS streams) and the MTA-STS policy fetch (the ssl
module in a thread) both succeed in a real `email-auth-wizard check` process, started as a user starts it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import trustme

from tests.lab import Lab
from tests.lookup.doh_server import doh_resolver
from tests.lookup.policy_server import server_context, serving_in_thread

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "sts-good.test"
POLICY = (
    b"version: STSv1\r\nmode: enforce\r\nmx: mx1.sts-good.test\r\nmx: *.backup.sts-good.test\r\nmax_age: 604800\r\n"
)

pytestmark = pytest.mark.lab


def test_doh_and_the_policy_fetch_work_in_a_check_process(dns_lab: Lab, trusted: trustme.CA, tmp_path: Path) -> None:
    context = server_context(trusted, f"mta-sts.{DOMAIN}")
    with doh_resolver(dns_lab, trusted, tmp_path / "doh") as url, serving_in_thread(POLICY, context) as https_port:
        done = subprocess.run(
            [sys.executable, "-m", "wizard", "check", DOMAIN, "--json", "--doh", url, "--dns-port", str(dns_lab.port),
             "--https-port", str(https_port), "--no-public-resolvers", "--timeout", "5"],
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    checks = json.loads(done.stdout)["domains"][0]["checks"]
    assert checks["dns"]["resolver"]["server"] == f"DoH resolver {url}"
    assert checks["tls_rpt"]["status"] == "pass", checks["tls_rpt"]["findings"]  # its record came over DoH
    assert checks["mta_sts"]["status"] == "pass", checks["mta_sts"]["findings"]
    assert checks["mta_sts"]["fetch"]["status"] == 200  # the policy came over HTTPS
    assert checks["mta_sts"]["mx_patterns"] == ["mx1.sts-good.test", "*.backup.sts-good.test"]
