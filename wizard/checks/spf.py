"""The `spf` check: the domain's SPF record, its include tree with lookup counts, and whether the expected
include (CIMcloud's by default) is authorized."""

from __future__ import annotations

from typing import Any

from wizard.checks import DEFAULT_SPF_INCLUDE, CheckContext, register
from wizard.core.answers import Source, shared
from wizard.core.findings import CheckResult
from wizard.core.spf.evaluate import MAX_LOOKUPS, MAX_VOID_LOOKUPS
from wizard.core.spf.rules import spf_findings
from wizard.core.spf.tree import FOLLOWED, analyze, authorization


@register("spf")
async def check_spf(ctx: CheckContext) -> CheckResult:
    return await spf_result(ctx.lookup, ctx.domain, ctx.options.expect_include)


async def spf_result(source: Source, domain: str, expected: str = DEFAULT_SPF_INCLUDE) -> CheckResult:
    """Analyse the domain's SPF tree through `source` (the resolver view) and report it; the tree and the
    check_host() evaluations after it share one answer per question."""
    source = shared(source)
    analysis = await analyze(source, domain)
    root = analysis.root
    auth = await authorization(source, analysis, expected) if root.status in FOLLOWED else None
    details: dict[str, Any] = {
        "record": root.record,
        "lookups": analysis.lookups,
        "void_lookups": analysis.void_lookups,
        "tree": root.to_json(),
        "authorized": auth is not None and auth.authorized,
        "expected_include": expected,
    }
    if len(root.records) > 1:
        details["records"] = list(root.records)
    if auth is not None:
        details["authorization"] = auth.to_json()
    return CheckResult("spf", spf_findings(analysis, auth), details)


def human_lines(result: CheckResult) -> list[str]:
    """The SPF tree, indented, with each DNS-querying term's cost and the running total."""
    details = result.details
    tree = details.get("tree")
    if not isinstance(tree, dict):
        return []
    lines = _node_lines(tree, "")
    lines.append(
        f"DNS lookups (worst case): {details.get('lookups', 0)} of {MAX_LOOKUPS}; "
        f"void lookups: {details.get('void_lookups', 0)} of {MAX_VOID_LOOKUPS}"
    )
    expected = details.get("expected_include", DEFAULT_SPF_INCLUDE)
    lines.append(f"{expected} authorized: {'yes' if details.get('authorized') else 'no'}")
    return lines


def _node_lines(node: dict[str, Any], indent: str) -> list[str]:
    record = node.get("record")
    head = f"{indent}{node['domain']}: {record}" if record else f"{indent}{node['domain']}: ({node['status']})"
    lines = [head]
    if node.get("detail") and node["status"] != "ok":
        lines.append(f"{indent}  ! {node['detail']}")
    for term in node.get("terms", []):
        lines.append(indent + "  " + _term_text(term))
        child = term.get("node")
        if isinstance(child, dict):
            lines += _node_lines(child, indent + "    ")
    return lines


def _term_text(term: dict[str, Any]) -> str:
    text = str(term["term"])
    if term.get("cost"):
        text += f"  [+{term['cost']} = {term['total']}]"
    if term.get("void"):
        text += "  (void: finds nothing)"
    if term.get("failed"):
        text += f"  (failed: {term['failed']})"
    if term.get("note"):
        text += f"  ({term['note']})"
    return text
