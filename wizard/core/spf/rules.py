"""The spf check's rules: what the tree analysis and the authorization mean, as findings."""

from __future__ import annotations

from dataclasses import dataclass

from wizard.core.findings import Finding, error, info, warning
from wizard.core.spf import CIMCLOUD_INCLUDE
from wizard.core.spf.evaluate import MAX_LOOKUPS, MAX_VOID_LOOKUPS
from wizard.core.spf.record import MAX_RECORD_OCTETS, Kind, Mechanism, Qualifier, SpfRecord
from wizard.core.spf.tree import Authorization, NodeStatus, SpfNode, TermCost, TreeAnalysis

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
    findings += all_pass_findings(analysis)
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
        findings.append(_void_lookups(analysis))
    about_nodes: list[Finding] = []  # after those about terms
    for node in analysis.nodes():
        for term in node.terms:
            if term.failed:
                findings.append(_lookup_failed(term.failed))
            if term.kind is Kind.PTR and term.reached:
                findings.append(_ptr(node.domain, term.term))
        if node.status is not NodeStatus.OK:  # (a node that is OK has nothing to say of itself)
            about_nodes += _node_findings(node, node is analysis.root)
    findings += about_nodes
    if not analysis.complete:
        findings.append(
            info(
                "spf.tree-truncated",
                "The tree is too deep or too large to follow completely; the totals shown are lower bounds.",
            )
        )
    return findings


def _void_lookups(analysis: TreeAnalysis) -> Finding:
    """Too many void lookups, for the worse client family (a: asks A for IPv4 clients, AAAA for IPv6 ones)."""
    family = analysis.void_family
    who = f" for mail from {family} addresses" if family else ""
    void = list(dict.fromkeys(t.term for _, t in analysis.terms() if t.void))
    shown = ", ".join(void[:10]) + (f" and {len(void) - 10} more" if len(void) > 10 else "")
    return error(
        "spf.void-lookups",
        f"{analysis.void_lookups} lookups in the tree find nothing{who} (IPv4: {analysis.void_lookups_ipv4}, IPv6: "
        f"{analysis.void_lookups_ipv6}); over {MAX_VOID_LOOKUPS} receivers return permerror.",
        f"Remove the terms that point at names without records, or give those names the missing records: {shown}",
    )


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
    """Why the expected include is not authorized: not reached, or reached but evaluation errs before it."""
    if authorization.authorized:
        return []
    if authorization.temperror:
        return [_lookup_failed(authorization.reason)]
    if authorization.path:
        return [_blocked(authorization)]
    return [
        error(
            "spf.not-authorized",
            f"include:{authorization.expected} is not authorized: {authorization.reason}.",
            f"Add include:{authorization.expected} before the all mechanism, without a -, ~ or ? in front.",
        )
    ]


_BLOCKED_FIX = {
    "void-lookups": "Remove the terms that point at names without records (marked void in the tree), so "
    "evaluation reaches include:{expected}.",
    "too-many-lookups": "Bring the record within 10 DNS lookups (remove services that no longer send mail, replace "
    "a:/mx: terms with ip4:/ip6: ranges), so evaluation reaches include:{expected}.",
    "permerror": "Correct the error named above (receivers stop at it), so evaluation reaches include:{expected}.",
    "other": "Remove the earlier term that matches CIMcloud's servers with -, ~ or ?, or move include:{expected} "
    "before it.",
}


def _blocked(authorization: Authorization) -> Finding:
    """The include is in the record where it should be, but check_host() for CIMcloud's own addresses ends before
    it: an RFC 7208 4.6.4 limit, another permerror, or an earlier term that matches with another qualifier. Saying
    "add the include" would be wrong; the fix removes what stops evaluation."""
    key = authorization.limit or ("permerror" if authorization.result == "permerror" else "other")
    return error(
        "spf.not-authorized",
        f"include:{authorization.expected} is in the record, but receivers do not reach it for CIMcloud's servers: "
        f"{authorization.reason}.",
        _BLOCKED_FIX[key].format(expected=authorization.expected),
    )


# ---------------------------------------------------------------------------------- policies that pass all


@dataclass(frozen=True)
class Universal:
    """A term that gives every client of one IP family the same result; path = the terms leading to it."""

    qualifier: Qualifier
    path: tuple[str, ...]


def universal(node: SpfNode, family: int) -> Universal | None:
    """The first reached term that matches every client of IP version `family` in this node's record: all,
    ip4:0.0.0.0/0 / ip6:::/0, an include whose own record passes everyone, or redirect= to such a record.

    An include matches when its record passes (RFC 7208 5.2), so an include that passes everyone applies its own
    qualifier to everyone: +include:x gives pass to all, ~include:x softfail to all."""
    if node.parsed is None or node.status is not NodeStatus.OK:
        return None  # a record with errors gives permerror, not a result for everyone
    mechanisms = node.parsed.mechanisms
    terms = node.terms
    for index in node.parsed.broad_mechanisms:  # the others never match everyone
        term = terms[index]
        if not term.reached:
            return None
        found = _universal_term(mechanisms[index], term, family)
        if found is not None:
            return found
    redirect = next((t for t in node.terms[len(mechanisms) :] if t.term.lower().startswith("redirect=")), None)
    if redirect is not None and redirect.reached and redirect.node is not None:
        below = universal(redirect.node, family)
        if below is not None:
            return Universal(below.qualifier, (redirect.term, *below.path))
    return None


def _universal_term(mechanism: Mechanism, term: TermCost, family: int) -> Universal | None:
    if mechanism.kind is Kind.ALL:
        return Universal(mechanism.qualifier, (term.term,))
    network = mechanism.network
    if network is not None and network.prefixlen == 0 and network.version == family:
        return Universal(mechanism.qualifier, (term.term,))
    if _zero_length_match(mechanism, term, family):
        return Universal(mechanism.qualifier, (term.term,))
    if mechanism.kind is Kind.INCLUDE and term.node is not None:
        below = universal(term.node, family)
        if below is not None and below.qualifier is Qualifier.PASS:
            return Universal(mechanism.qualifier, (term.term, *below.path))
    return None


def _zero_length_match(mechanism: Mechanism, term: TermCost, family: int) -> bool:
    """a/0 (or a//0 for IPv6) matches every client as soon as the name has one address of the family (RFC 7208
    5.6: the client is compared with a /0 network); the same for mx/0 once the name has MX hosts."""
    length = mechanism.cidr4 if family == 4 else mechanism.cidr6
    if length != 0 or term.void is None:
        return False
    if mechanism.kind is Kind.A:
        return not term.voids_for(family)
    return mechanism.kind is Kind.MX and not term.void


def all_pass_findings(analysis: TreeAnalysis) -> list[Finding]:
    """spf.all-pass wherever a pass for every address comes from, except the root's own +all (reported with the
    record): +all reached through include: or redirect=, or ip4:0.0.0.0/0 / ip6:::/0."""
    found: dict[tuple[str, ...], list[str]] = {}
    for family in (4, 6):
        result = universal(analysis.root, family)
        if result is None or result.qualifier is not Qualifier.PASS:
            continue
        if len(result.path) == 1 and result.path[0].lstrip("+").lower() == "all":
            continue  # the record's own +all: _all_findings reports it
        found.setdefault(result.path, []).append(f"IPv{family}")
    return [
        error(
            "spf.all-pass",
            f"The SPF policy of {analysis.root.domain} passes every {' and '.join(families)} address on the "
            f"internet, through {' > '.join(path)}: any server can send as this domain.",
            f'Remove "{path[0]}", or ask whoever publishes it to end their record with ~all or -all.'
            if len(path) > 1
            else f'Replace "{path[0]}" with the ranges the domain really sends from.',
        )
        for path, families in found.items()
    ]
