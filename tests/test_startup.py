"""Start-up: a run imports what it needs when it needs it. `--version` loads no DNS, HTTPS, crypto, public
suffix list or Qt; `check` sends its first query before any of the heavy optional modules is loaded, and a
domain that needs none of them never loads them. (Which modules, not how long: timings are the bench's.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.lab import Lab

ROOT = Path(__file__).resolve().parent.parent
# Each is tens of milliseconds or more to import; none is needed before a first DNS query.
HEAVY = ("httpx2", "httpcore2", "h2", "anyio", "cryptography", "publicsuffixlist", "PySide6", "qasync")
LIGHT_BUT_UNNEEDED = ("dns.name", "dns.rdatatype", "dns.rcode", "dns.flags", "dns.ipv6", "idna", "logging", "inspect")
DNSPYTHON_HEAVY = ("dns.message", "dns.query", "dns.asyncquery", "dns.resolver", "dns.asyncresolver", "dns.edns")


def loaded(tmp_path: Path, *args: str) -> dict[str, Any]:
    """The modules a fresh `email-auth-wizard ARGS` process had loaded at its first DNS query and at its end."""
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-m", "tests.startup_probe", str(out), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def heavy(modules: list[str] | None) -> set[str]:
    assert modules is not None, "the run sent no DNS query at all"
    return {m.split(".")[0] for m in modules} & set(HEAVY)


def lab_args(lab: Lab) -> list[str]:
    return [
        "--nameserver", f"127.0.0.1:{lab.resolver_port}", "--dns-port", str(lab.port), "--no-public-resolvers",
    ]  # fmt: skip


def test_version_loads_no_dns_https_crypto_psl_or_qt(tmp_path: Path) -> None:
    modules = loaded(tmp_path, "--version")
    assert modules["at_first_query"] is None
    assert heavy(modules["at_exit"]) == set()
    assert "dns" not in {m.split(".")[0] for m in modules["at_exit"]}
    # nor the checks (asyncio, the core's rules): the parser's defaults live outside them
    assert not {"asyncio", "wizard.checks", "wizard.report"} & set(modules["at_exit"])


@pytest.mark.lab
def test_check_sends_its_first_query_before_loading_any_heavy_module(dns_lab: Lab, tmp_path: Path) -> None:
    modules = loaded(tmp_path, "check", "sts-good.test", "dkim-good.test", "--dkim", "cimcloud-aaa", *lab_args(dns_lab))
    assert heavy(modules["at_first_query"]) == set()
    # nor the checks themselves: the first questions are out while they are imported (wizard.checks.run_domain)
    assert not {"wizard.checks.spf", "wizard.checks.dkim", "wizard.checks.mta_sts"} & set(modules["at_first_query"])
    # nor dnspython's message, query and resolver modules (a third of start-up): plain DNS is built and read by
    # wizard.lookup.wire, the system's resolvers read by wizard.lookup.system
    assert not set(DNSPYTHON_HEAVY) & set(modules["at_first_query"])
    # nor dnspython's names, types and rcodes (with idna), nor logging and inspect (stand-ins until used,
    # wizard.standins): a third of what was left before the first query
    assert not set(LIGHT_BUT_UNNEEDED) & set(modules["at_first_query"])
    # the same run needs some later (the DKIM key; h11 for the policy fetch), never httpx2's stack (only DoH uses
    # it) or Qt (the CLI)
    assert "cryptography" in heavy(modules["at_exit"]) and "h11" in {m.split(".")[0] for m in modules["at_exit"]}
    assert heavy(modules["at_exit"]).isdisjoint({"httpx2", "httpcore2", "anyio", "h2", "PySide6"})


@pytest.mark.lab
def test_check_without_a_dkim_selector_never_loads_crypto(dns_lab: Lab, tmp_path: Path) -> None:
    modules = loaded(tmp_path, "check", "example.test", *lab_args(dns_lab))
    # It has no DMARC record (the org domain's is asked: the suffix list); with no DKIM selector or record given
    # there is no key to read.
    assert heavy(modules["at_exit"]) <= {"publicsuffixlist"}


def verdicts(report: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(domain, check, [(finding code, severity)]) in the order `check --json` printed them."""
    found = []
    for domain in json.loads(report)["domains"]:
        for name, output in domain["checks"].items():
            for entry in output if isinstance(output, list) else [output]:
                found.append((domain["domain"], name, [(f["code"], f["severity"]) for f in entry["findings"]]))
    return found


@pytest.mark.lab
def test_a_fresh_process_gives_the_verdict_of_one_with_every_check_loaded(dns_lab: Lab) -> None:
    """A process's first domains start each check as its module loads (dmarc after dkim, whose result it awaits:
    results printed in the usual order): the same verdict as a process that had every check loaded first."""
    args = ["dmarc-good.test", "dkim-good.test", "sts-good.test", "--json", "--dkim", "cimcloud-aaa"]
    args += lab_args(dns_lab)
    preloaded = "import sys; from wizard.checks import all_checks; from wizard.cli import entry; all_checks(); entry()"
    fresh, warm = (
        subprocess.run(
            [sys.executable, *start, "check", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
        )
        for start in (["-m", "wizard"], ["-c", preloaded])
    )
    assert "Traceback" not in fresh.stderr + warm.stderr, fresh.stderr + warm.stderr
    assert verdicts(fresh.stdout) == verdicts(warm.stdout)
    first = {name: found for domain, name, found in verdicts(fresh.stdout) if domain == "dmarc-good.test"}
    assert list(first) == ["dns", "spf", "dmarc", "dkim", "mta_sts", "tls_rpt"]
    assert ("dmarc.enforced-without-dkim", "error") in first["dmarc"]  # no key at the selector: DKIM failed
