"""The spf check's rules: what the tree analysis and the authorization mean, as findings."""

from __future__ import annotations

from wizard.core.findings import Finding, error, info, warning
from wizard.core.spf.compose import CIMCLOUD_INCLUDE
from wizard.core.spf.evaluate import MAX_LOOKUPS, MAX_VOID_LOOKUPS
from wizard.core.spf.record import MAX_RECORD_OCTETS, Kind, Qualifier, SpfRecord
from wizard.core.spf.tree import Authorization, NodeStatus, SpfNode, TreeAnalysis

CIMCLOUD_GUIDE = f"include:{CIMCLOUD_INCLUDE}"


def spf_findings(analysis: TreeAnalysis, authorization: Authorization | None) -> list[Finding]:
    """Every finding for a domain's SPF: the record itself, the tree below it, and the expected include."""
    root = analysis.root
    if root.status is NodeStatus.FAILED:
        return [_lookup_failed(root.detail)]
    if root.status is NodeStatus.MISSING:
        return [_missing(root.domain)]
    findings: list[Finding] = []
    if root.status is NodeStatus.MULTIPLE:
        findings.append(_multiple(root))
    if root.record is not None:
        findings += record_findings(root.record, root.parsed or SpfRecord(), root)
    findings += tree_findings(analysis)
    if authorization is not None:
        findings += authorization_findings(authorization)
    return _unique(findings)


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def _lookup_failed(detail: str) -> Finding:
    return error(
        "spf.lookup-failed",
        f"A DNS lookup failed, so receivers get temperror (and may defer or bounce mail): {detail}",
        "Make sure every name server of the domains involved answers; try again if it was a passing outage.",
    )


def _missing(domain: str) -> Finding:
    return error(
        "spf.missing",
        f"{domain} has no SPF record (no TXT record starting with v=spf1).",
        f'Publish a TXT record at {domain}: "v=spf1 {CIMCLOUD_GUIDE} ~all", adding every other service that sends '
        "as this domain.",
    )


def _multiple(root: SpfNode) -> Finding:
    listed = "; ".join(f'"{r}"' for r in root.records)
    return error(
        "spf.multiple",
        f"{root.domain} has {len(root.records)} SPF records; receivers treat that as permerror: {listed}",
        "Merge them into one record (the wizard's SPF step does this) and delete the others.",
    )


def record_findings(text: str, record: SpfRecord, root: SpfNode) -> list[Finding]:
    """Findings about the domain's own record."""
    findings = [
        error("spf.syntax", f"The SPF record has a syntax error: {e}", "Correct or remove the quoted term.")
        for e in root.errors
    ]
    octets = len(text.encode("utf-8"))
    if octets > MAX_RECORD_OCTETS:
        findings.append(
            warning(
                "spf.record-too-long",
                f"The SPF record is {octets} octets; over {MAX_RECORD_OCTETS} the DNS reply may not fit in one UDP "
                "packet and some receivers fail to fetch it.",
                "Remove unused services or replace long lists of ip4:/ip6: ranges with a vendor include.",
            )
        )
    findings += _all_findings(record)
    return findings


def _all_findings(record: SpfRecord) -> list[Finding]:
    found: list[Finding] = []
    all_ = record.all
    if all_ is not None and all_.qualifier is Qualifier.PASS:
        found.append(
            error(
                "spf.all-pass",
                f'"{all_.text or all_.render()}" lets every server on the internet send as this domain.',
                "End the record with ~all (or -all).",
            )
        )
    elif all_ is not None and all_.qualifier is Qualifier.NEUTRAL:
        found.append(
            warning(
                "spf.all-pass",
                f'"{all_.text}" says nothing about servers not listed, so forged mail is not flagged.',
                "End the record with ~all (or -all).",
            )
        )
    if all_ is None and record.redirect is None:
        found.append(
            warning(
                "spf.no-all",
                "The record has neither an all mechanism nor redirect=, so unlisted senders get neutral.",
                "End the record with ~all.",
            )
        )
    if all_ is not None and record.redirect is not None:
        found.append(
            warning(
                "spf.redirect-ignored",
                f'"{record.redirect.text}" is ignored because the record has "{all_.text}".',
                "Replace redirect= with an include: of the same domain before all, or drop all.",
            )
        )
    return found


def tree_findings(analysis: TreeAnalysis) -> list[Finding]:
    """Findings about the whole include/redirect tree: limits, loops, missing or broken targets, ptr."""
    findings: list[Finding] = []
    if analysis.lookups > MAX_LOOKUPS:
        bound = "at least " if not analysis.complete else ""
        findings.append(
            error(
                "spf.too-many-lookups",
                f"Evaluating the record can take {bound}{analysis.lookups} DNS lookups; SPF allows {MAX_LOOKUPS}, so "
                "receivers may return permerror.",
                "Remove services that no longer send mail, or replace a:/mx: terms with ip4:/ip6: ranges.",
            )
        )
    if analysis.void_lookups > MAX_VOID_LOOKUPS:
        findings.append(
            error(
                "spf.void-lookups",
                f"{analysis.void_lookups} lookups in the tree find nothing; over {MAX_VOID_LOOKUPS} receivers return "
                "permerror.",
                "Remove the terms that point at names without records (marked void in the tree).",
            )
        )
    for node, term in analysis.terms():
        if term.failed:
            findings.append(_lookup_failed(term.failed))
        if term.kind is Kind.PTR and term.reached:
            findings.append(_ptr(node.domain, term.term))
    for node in analysis.nodes():
        findings += _node_findings(node, node is analysis.root)
    if not analysis.complete:
        findings.append(
            info(
                "spf.tree-truncated",
                "The tree is too deep or too large to follow completely; the totals shown are lower bounds.",
            )
        )
    return findings


def _ptr(domain: str, term: str) -> Finding:
    return warning(
        "spf.ptr",
        f'"{term}" in the record of {domain} uses the ptr mechanism, which RFC 7208 deprecates: it is slow, '
        "unreliable and some receivers ignore it.",
        "Replace it with ip4:/ip6: ranges or an include: from the sending service.",
    )


def _node_findings(node: SpfNode, is_root: bool) -> list[Finding]:
    if node.status is NodeStatus.LOOP:
        return [
            error(
                "spf.include-loop",
                f'"{node.via}" leads back to {node.domain}, which is already being evaluated: receivers return '
                "permerror.",
                f"Remove {node.via} from the record that has it.",
            )
        ]
    if node.status is NodeStatus.MISSING and not is_root:
        return [
            error(
                "spf.include-missing",
                f'"{node.via}": {node.detail}, so receivers return permerror.',
                f"Remove {node.via}, or check the spelling against the vendor's documentation.",
            )
        ]
    if is_root:
        return []
    if node.status is NodeStatus.SYNTAX:
        return [error("spf.syntax", f"The record of {node.domain} (via {node.via}) has an error: {node.detail}")]
    if node.status is NodeStatus.MULTIPLE:
        return [error("spf.multiple", f"{node.detail} (reached via {node.via}): receivers return permerror.")]
    if node.status is NodeStatus.FAILED:
        return [_lookup_failed(node.detail)]
    return []


def authorization_findings(authorization: Authorization) -> list[Finding]:
    if authorization.authorized:
        return []
    if authorization.temperror:
        return [_lookup_failed(authorization.reason)]
    return [
        error(
            "spf.not-authorized",
            f"include:{authorization.expected} is not authorized: {authorization.reason}.",
            f"Add include:{authorization.expected} before the all mechanism, without a -, ~ or ? in front.",
        )
    ]
