"""The dmarc check's rules: which record applies, whether it is sound, and whether enforcing it is safe for
CIMcloud's website email (enforcement needs CIMcloud DKIM first). Pure: it reads a Discovery."""

from __future__ import annotations

from enum import StrEnum

from wizard.core.dmarc.discovery import Discovery, WalkStep
from wizard.core.dmarc.record import Policy
from wizard.core.dmarc.reports import AuthStatus, ReportAuthorization
from wizard.core.findings import Finding, Severity, error, info, warning


class DkimState(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not run"


def dmarc_findings(
    discovery: Discovery, auths: list[ReportAuthorization], dkim: DkimState, *, proven: bool = False
) -> list[Finding]:
    """The rules of the dmarc check over the discovery, the report authorizations, the DKIM outcome and whether
    CIMcloud's signing is proven (a message or reports, given with --message / --reports)."""
    findings = _multiple(discovery) + _near_miss(discovery)
    failed = _lookup_failed(discovery, discovery.failure) if discovery.failure is not None else None
    if discovery.record is None:
        if not findings and (failed is None or failed.severity is not Severity.ERROR):
            findings.append(_missing(discovery))  # a public suffix's failed lookup does not hide a missing record
        return findings + ([failed] if failed else [])
    findings += [failed] if failed else []
    findings += list(discovery.record.problems)
    findings += _inheritance(discovery)
    findings += _policy(discovery, dkim, proven)
    findings += _reports(discovery, auths)
    return findings


def _multiple(discovery: Discovery) -> list[Finding]:
    findings = []
    for step in discovery.steps:
        if len(step.records) > 1:
            findings.append(
                error(
                    "dmarc.multiple",
                    f"_dmarc.{step.domain} has {len(step.records)} DMARC records; receivers ignore them all.",
                    "Merge them into one record and delete the others.",
                )
            )
        if step.domain == discovery.policy_domain:
            break
    return findings


def _lookup_failed(discovery: Discovery, step: WalkStep) -> Finding:
    answer = step.answer
    message = (
        f"Looking up _dmarc.{step.domain} failed ({answer.outcome}{': ' + answer.detail if answer.detail else ''})"
    )
    fix = "Check that the domain's DNS servers answer, then check again."
    if discovery.org_domain.endswith("." + step.domain):  # a public suffix's record: rarely published
        return warning("dmarc.lookup-failed", message + ", above your organizational domain.", fix)
    return error("dmarc.lookup-failed", message + "; receivers would treat DMARC as a temporary error.", fix)


def _near_miss(discovery: Discovery) -> list[Finding]:
    """A TXT record at the domain's own _dmarc name that looks like DMARC but is not one to receivers."""
    near = [t for t in discovery.steps[0].others if "dmarc" in t.lower() or t.lower().startswith("v")]
    if not near:
        return []
    return [
        error(
            "dmarc.syntax",
            f"_dmarc.{discovery.domain} has {near[0][:80]!r}, which receivers ignore: it does not start with v=DMARC1.",
            "Make the record start with exactly v=DMARC1; followed by the other tags.",
        )
    ]


def _missing(discovery: Discovery) -> Finding:
    return error(
        "dmarc.missing",
        f"No DMARC record applies to {discovery.domain} (none at _dmarc.{discovery.domain} or above it).",
        f"Publish TXT _dmarc.{discovery.domain} = v=DMARC1; p=none; rua=mailto:dmarc-reports@{discovery.domain}",
    )


def _inheritance(discovery: Discovery) -> list[Finding]:
    findings = []
    if discovery.inherited:
        findings.append(
            info(
                "dmarc.inherited",
                f"{discovery.domain} has no DMARC record of its own; the record of {discovery.policy_domain} "
                f"applies, with policy {discovery.policy}.",
                f"Publish _dmarc.{discovery.domain} if this domain needs a different policy.",
            )
        )
    rfc7489 = discovery.rfc7489_policy_domain
    if rfc7489 is not None and rfc7489 != discovery.policy_domain:
        findings.append(
            info(
                "dmarc.discovery-differs",
                f"Receivers using the DMARCbis tree walk apply the record of {discovery.policy_domain}; older "
                f"receivers (RFC 7489) apply that of {rfc7489}.",
                "Publish a record at the domain itself so that every receiver applies the same policy.",
            )
        )
    return findings


def _policy(discovery: Discovery, dkim: DkimState, proven: bool) -> list[Finding]:
    policy = discovery.policy
    if policy is Policy.NONE:
        if dkim is DkimState.PASSED:
            return [
                warning(
                    "dmarc.policy-none",
                    "The policy is p=none: receivers only report, and nothing stops mail forged as your domain.",
                    "When the reports show every sender passing, move to p=quarantine, later p=reject.",
                )
            ]
        return [
            info(
                "dmarc.policy-none",
                "The policy is p=none (monitoring), the right stage while CIMcloud DKIM is not verified.",
                "Keep p=none until CIMcloud DKIM is verified (check with --dkim SELECTOR), then move on.",
            )
        ]
    if policy is not None and policy.enforced and not proven:
        return [_enforced_without_dkim(discovery.domain, policy, dkim)]
    return []


def _enforced_without_dkim(domain: str, policy: Policy, dkim: DkimState) -> Finding:
    fix = "Set p=none until CIMcloud's DKIM record is published and verified, or fix DKIM first."
    prove = "Prove that CIMcloud signs with --message FILE (a message from the website) or --reports FILE..."
    if dkim is DkimState.PASSED:
        return warning(
            "dmarc.enforced-without-dkim",
            f"The policy is p={policy} and CIMcloud's DKIM record verifies for {domain}, but nothing shows that "
            "CIMcloud signs with it yet (CIMcloud activates signing after the record is published): until it "
            "does, website email from CIMcloud will be sent to spam or rejected.",
            prove + "; or set p=none until CIMcloud confirms activation.",
        )
    if dkim is DkimState.FAILED:
        return error(
            "dmarc.enforced-without-dkim",
            f"The policy is p={policy} but CIMcloud DKIM does not pass for {domain}: website email from "
            "CIMcloud will be sent to spam or rejected.",
            fix,
        )
    return warning(
        "dmarc.enforced-without-dkim",
        f"The policy is p={policy} and CIMcloud DKIM was not checked for {domain}: unless CIMcloud DKIM is "
        "set up and verified, website email from CIMcloud will be sent to spam or rejected.",
        "Run the check with --dkim SELECTOR (the selector CIMcloud gave you) to verify DKIM. " + fix,
    )


def _reports(discovery: Discovery, auths: list[ReportAuthorization]) -> list[Finding]:
    record = discovery.record
    assert record is not None
    findings = []
    if not record.rua:
        findings.append(
            warning(
                "dmarc.no-rua",
                "The record has no rua= address, so nobody receives the aggregate reports.",
                f"Add rua=mailto:dmarc-reports@{discovery.policy_domain} (or your DMARC report service's address).",
            )
        )
    for auth in auths:
        findings += _authorization(discovery, auth)
    unchecked = [a for a in auths if a.status is AuthStatus.UNCHECKED]
    if unchecked:
        findings.append(
            info(
                "dmarc.rua-unchecked",
                f"{len(unchecked)} more external report destinations were not checked.",
                "Receivers only have to send to the first two addresses; list fewer.",
            )
        )
    return findings


def _authorization(discovery: Discovery, auth: ReportAuthorization) -> list[Finding]:
    if auth.status is AuthStatus.MISSING:
        return [
            warning(
                "dmarc.rua-unauthorized",
                f"{auth.destination} has not agreed to receive DMARC reports for {discovery.policy_domain}, "
                "so receivers will not send them there.",
                f'The owner of {auth.destination} must publish TXT {auth.name}. = "{auth.record}"',
            )
        ]
    if auth.status is AuthStatus.FAILED:
        return [
            warning(
                "dmarc.lookup-failed",
                f"Could not check whether {auth.destination} accepts reports ({auth.name}: {auth.detail}).",
                "Check again later.",
            )
        ]
    return []
