"""One verdict: the record pages show exactly what `check` finds for the same domain (the BIND lab, pytest-qt).

A record that every server serves is not "Verified" while its check has an error finding: two SPF records
(`spf.multiple`), an MTA-STS policy that cannot be fetched (`mta-sts.policy-unreachable`, see test_flow_lab).
"""

from __future__ import annotations

import json
import subprocess
import sys

from pytestqt.qtbot import QtBot

from tests.lab.lab import Lab
from wizard.core.records import CheckState

from wizard.ui.pages.spf import SpfPage

from .helpers import CHECK_TIMEOUT_MS, MakeWizard, check_now, enter_domains


def check_json(lab: Lab, domain: str) -> dict[str, object]:
    """`email-auth-wizard check DOMAIN --json` against the lab, as a script would run it."""
    args = ["--nameserver", f"127.0.0.1:{lab.resolver_port}", "--dns-port", str(lab.port), "--no-public-resolvers"]
    run = subprocess.run(
        [sys.executable, "-m", "wizard", "check", domain, "--json", *args], check=False, capture_output=True
    )
    report = json.loads(run.stdout)
    checks = report["domains"][0]["checks"]
    assert isinstance(checks, dict)
    return checks


def test_two_spf_records_are_a_problem_on_the_page_and_in_check(
    qtbot: QtBot, dns_lab: Lab, make_wizard: MakeWizard
) -> None:
    spf_check = check_json(dns_lab, "wiz-two.test")["spf"]
    assert isinstance(spf_check, dict) and spf_check["status"] == "fail"
    assert "spf.multiple" in [f["code"] for f in spf_check["findings"]]

    wizard = make_wizard(dns_lab.settings())
    enter_domains(wizard, "wiz-two.test")
    wizard.next()
    page = wizard.currentPage()
    assert isinstance(page, SpfPage)
    qtbot.waitUntil(lambda: page.live is not None, timeout=CHECK_TIMEOUT_MS)
    qtbot.waitUntil(lambda: page.panel.verdict is not None, timeout=CHECK_TIMEOUT_MS)  # the page's first check
    # The admin publishes the composed record beside the two old ones, as many do: every server serves it.
    line = page.card.zone_text.toPlainText()
    name, _, rdata = line.partition(" IN TXT ")
    dns_lab.update("wiz-two.test", add=[(name, 1, "TXT", rdata)])
    qtbot.wait(1100)
    assert check_now(qtbot, page) is CheckState.PROBLEM
    verdict = page.panel.verdict
    assert verdict is not None and verdict.problem is not None and verdict.problem.code == "spf.multiple"
    assert set(page.panel.row_states().values()) == {"found"}  # served everywhere, and still not verified
    shown = page.panel.badge.text_label.text()
    assert "SPF records" in shown and "Verified" not in shown

    # Replacing the old records with the one composed record makes it verified, as `check` then says too.
    dns_lab.update("wiz-two.test", replace=[(name, 1, "TXT", rdata)])
    qtbot.wait(1100)
    assert check_now(qtbot, page) is CheckState.VERIFIED
    assert check_json(dns_lab, "wiz-two.test")["spf"]["status"] == "pass"  # type: ignore[index]
