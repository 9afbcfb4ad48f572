"""The dmarc check against the BIND lab: discovery, inheritance, report authorization, and the DKIM guard."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from tests.lab import Lab
from wizard.checks import Check, CheckContext, CheckOptions, CheckOutput, get_check
from wizard.checks.dkim import DkimResult
from wizard.checks.dmarc import check_dmarc, dkim_state, human_lines
from wizard.core.dmarc.discovery import discover_policy
from wizard.core.dmarc.rules import DkimState, dmarc_findings
from wizard.core.findings import error, info, warning
from wizard.core.proof import ActivationProof, ProofKind, ProofVerdict
from wizard.lookup.lookup import Lookup
from wizard.lookup.memory import MemorySource


def dkim_check(output: CheckOutput | None) -> Check:
    async def fake(ctx: CheckContext) -> CheckOutput:
        assert output is not None
        return output

    return Check("dkim", fake)


@dataclass(frozen=True)
class Dkim(DkimResult):
    """A dkim check entry whose verdict the test sets (instead of verifying a key)."""

    ok: bool = True

    @property
    def verified(self) -> bool:
        return self.ok


PASSED: list[DkimResult] = [
    Dkim((info("dkim.testing", "t=y"),), "cimcloud"),
    Dkim((warning("dkim.weak-key", "1024 bits"),), "old"),
]
FAILED: list[DkimResult] = [PASSED[0], Dkim((error("dkim.missing", "not there"),), "other", ok=False)]


def proven(domain: str) -> tuple[ActivationProof, ...]:
    return (ActivationProof(ProofKind.MESSAGE, domain, ProofVerdict.PROVEN, 1.0, "a message"),)


def run_check(
    lab: Lab, domain: str, dkim: CheckOutput | None = None, proofs: tuple[ActivationProof, ...] = ()
) -> dict[str, Any]:
    checks = {} if dkim is None else {"dkim": dkim_check(dkim)}
    ctx = CheckContext(domain, Lookup(lab.settings()), CheckOptions(proofs=proofs), _checks=checks)
    result = asyncio.run(check_dmarc(ctx))
    return get_check("dmarc").fields(result)


def codes(result: dict[str, Any]) -> list[str]:
    return [f["code"] for f in result["findings"]]


def finding(result: dict[str, Any], code: str) -> dict[str, str]:
    return next(f for f in result["findings"] if f["code"] == code)


def test_dkim_state_follows_the_dkim_check_output() -> None:
    assert dkim_state(None) is DkimState.NOT_RUN
    assert dkim_state([]) is DkimState.NOT_RUN
    assert dkim_state(list(PASSED)) is DkimState.PASSED
    assert dkim_state(PASSED[0]) is DkimState.PASSED
    assert dkim_state(list(FAILED)) is DkimState.FAILED


def test_enforced_policy_with_dkim_passing_and_activation_proven_is_clean(dns_lab: Lab) -> None:
    result = run_check(dns_lab, "dmarc-good.test", PASSED, proven("dmarc-good.test"))
    assert result["status"] == "pass", result["findings"]
    assert result["activation"]["kind"] == "message"
    assert result["record"].startswith("v=DMARC1; p=reject")
    assert (result["policy_domain"], result["policy"], result["inherited"]) == ("dmarc-good.test", "reject", False)


@pytest.mark.parametrize(("dkim", "severity"), [(None, "warning"), ([], "warning"), (FAILED, "error")])
def test_enforced_policy_without_verified_dkim_is_flagged(dns_lab: Lab, dkim: Any, severity: str) -> None:
    result = run_check(dns_lab, "dmarc-good.test", dkim)
    guard = finding(result, "dmarc.enforced-without-dkim")
    assert guard["severity"] == severity
    assert "website email from CIMcloud" in guard["message"]


def test_a_verified_dkim_record_alone_does_not_clear_enforcement(dns_lab: Lab) -> None:
    result = run_check(dns_lab, "dmarc-good.test", PASSED, proven("other.test"))
    guard = finding(result, "dmarc.enforced-without-dkim")
    assert guard["severity"] == "warning"
    assert "nothing shows that CIMcloud signs with it yet" in guard["message"]
    assert "--message FILE" in guard["fix"]
    assert result["activation"] is None


def test_subdomain_inherits_the_parent_policy_with_sp(dns_lab: Lab) -> None:
    result = run_check(dns_lab, "shop.dmarc-good.test", PASSED, proven("shop.dmarc-good.test"))
    assert result["inherited"] is True
    assert (result["policy_domain"], result["org_domain"], result["policy"]) == (
        "dmarc-good.test",
        "dmarc-good.test",
        "quarantine",
    )
    assert codes(result) == ["dmarc.inherited"]


def test_monitoring_without_reports(dns_lab: Lab) -> None:
    result = run_check(dns_lab, "dmarc-none.test")
    assert sorted(codes(result)) == ["dmarc.no-rua", "dmarc.policy-none"]
    assert finding(result, "dmarc.policy-none")["severity"] == "info"  # the right stage while DKIM is unverified
    with_dkim = run_check(dns_lab, "dmarc-none.test", PASSED)
    assert finding(with_dkim, "dmarc.policy-none")["severity"] == "warning"


def test_missing_record(dns_lab: Lab) -> None:
    result = run_check(dns_lab, "dmarc-missing.test")
    assert codes(result) == ["dmarc.missing"] and result["status"] == "fail"
    assert "_dmarc.dmarc-missing.test" in finding(result, "dmarc.missing")["fix"]
    assert [w["outcome"] for w in result["walk"]] == ["nxdomain", "nxdomain"]


def test_two_records_are_reported_as_multiple(dns_lab: Lab) -> None:
    result = run_check(dns_lab, "dmarc-multi.test")
    assert codes(result) == ["dmarc.multiple"] and result["record"] is None


def test_syntax_errors_are_reported_with_the_bad_value(dns_lab: Lab) -> None:
    result = run_check(dns_lab, "dmarc-syntax.test")
    assert "dmarc.syntax" in codes(result) and "dmarc.retired-tag" in codes(result)
    assert "p=block" in finding(result, "dmarc.syntax")["message"]


def test_record_not_starting_with_v_dmarc1_is_a_syntax_error_not_missing(dns_lab: Lab) -> None:
    result = run_check(dns_lab, "near.dmarc-syntax.test")
    assert codes(result)[0] == "dmarc.syntax"
    assert "does not start with v=DMARC1" in result["findings"][0]["message"]


def test_external_destination_without_authorization_gets_the_exact_record(dns_lab: Lab) -> None:
    result = run_check(dns_lab, "dmarc-ext.test")
    assert [(a["destination"], a["status"]) for a in result["report_authorizations"]] == [
        ("dmarc-reports.test", "authorized"),
        ("dmarc-good.test", "missing"),
    ]
    unauthorized = [f for f in result["findings"] if f["code"] == "dmarc.rua-unauthorized"]
    assert len(unauthorized) == 1
    assert unauthorized[0]["fix"] == (
        'The owner of dmarc-good.test must publish TXT dmarc-ext.test._report._dmarc.dmarc-good.test. = "v=DMARC1;"'
    )


def test_authorization_published_later_is_seen_on_recheck(dns_lab: Lab) -> None:
    dns_lab.update("dmarc-good.test", add=[("dmarc-ext.test._report._dmarc", 300, "TXT", '"v=DMARC1"')])
    result = run_check(dns_lab, "dmarc-ext.test")
    assert "dmarc.rua-unauthorized" not in codes(result)


def test_unanswered_lookup_is_a_lookup_failure_within_the_deadline(dns_lab: Lab) -> None:
    result = run_check(dns_lab, "dead.test")
    assert "dmarc.lookup-failed" in codes(result) and "dmarc.missing" not in codes(result)
    assert result["status"] == "fail"


def test_human_output_names_the_record_that_applies(dns_lab: Lab) -> None:
    ctx = CheckContext("shop.dmarc-good.test", Lookup(dns_lab.settings()), CheckOptions())
    result = asyncio.run(check_dmarc(ctx))
    assert human_lines(result) == [
        "record at _dmarc.dmarc-good.test (inherited): "
        "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@dmarc-good.test"
    ]


def test_failed_public_suffix_lookup_does_not_hide_a_missing_record() -> None:
    source = MemorySource()
    source.add_timeout("_dmarc.test")
    discovery = asyncio.run(discover_policy(source, "example.test"))
    found = [(f.code, str(f.severity)) for f in dmarc_findings(discovery, [], DkimState.NOT_RUN)]
    assert found == [("dmarc.missing", "error"), ("dmarc.lookup-failed", "warning")]
    source.add_timeout("_dmarc.example.test")
    discovery = asyncio.run(discover_policy(source, "example.test"))
    found = [(f.code, str(f.severity)) for f in dmarc_findings(discovery, [], DkimState.NOT_RUN)]
    assert found == [("dmarc.lookup-failed", "error")]
