"""The `spf` check: the domain's SPF record, its include tree with lookup counts, and whether the expected
include (CIMcloud's by default) is authorized."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.checks import DEFAULT_SPF_INCLUDE, CheckContext, Result, register
from wizard.core.answers import Source, shared
from wizard.core.spf.evaluate import MAX_LOOKUPS, MAX_VOID_LOOKUPS
from wizard.core.spf.record import Kind
from wizard.core.spf.rules import spf_findings
from wizard.core.spf.tree import FOLLOWED, Authorization, IncludeMemo, TreeAnalysis, analyze, authorization

CHECK = "spf"


@dataclass(frozen=True)
class SpfResult(Result):
    """The include tree of the domain's SPF record and whether `expected` is authorized by it."""

    domain: str = ""
    expected: str = DEFAULT_SPF_INCLUDE
    analysis: TreeAnalysis | None = None
    authorization: Authorization | None = None

    @property
    def record(self) -> str | None:
        return self.analysis.root.record if self.analysis is not None else None

    @property
    def records(self) -> tuple[str, ...]:
        """Every SPF record published at the domain (more than one is an error)."""
        return self.analysis.root.records if self.analysis is not None else ()

    @property
    def authorized(self) -> bool:
        return self.authorization is not None and self.authorization.authorized

    @property
    def listed(self) -> bool:
        """Whether an include of `expected` appears anywhere in the tree, whatever its qualifier or position."""
        if self.analysis is None:
            return False
        wanted = self.expected.rstrip(".").lower()
        return any(
            term.kind is Kind.INCLUDE and term.node is not None and term.node.domain.rstrip(".").lower() == wanted
            for _, term in self.analysis.terms()
        )


async def spf_result(
    source: Source, domain: str, expected: str = DEFAULT_SPF_INCLUDE, memo: IncludeMemo | None = None
) -> SpfResult:
    """Analyse the domain's SPF tree through `source` (the resolver view) and report it; the tree and the
    check_host() evaluations after it share one answer per question, and with `memo` (the run's) the include
    subtrees the run's earlier domains reached."""
    source = shared(source)
    analysis = await analyze(source, domain, evaluations_follow=True, memo=memo)
    auth = await authorization(source, analysis, expected) if analysis.root.status in FOLLOWED else None
    return SpfResult(tuple(spf_findings(analysis, auth)), domain, expected, analysis, auth)


def to_json(result: SpfResult) -> dict[str, Any]:
    assert result.analysis is not None
    analysis = result.analysis
    data: dict[str, Any] = {
        "record": result.record,
        "lookups": analysis.lookups,
        "void_lookups": analysis.void_lookups,
        "void_lookups_by_family": {"ipv4": analysis.void_lookups_ipv4, "ipv6": analysis.void_lookups_ipv6},
        "void_family": analysis.void_family or None,
        "tree": analysis.root.to_json(),
        "authorized": result.authorized,
        "expected_include": result.expected,
    }
    if len(result.records) > 1:
        data["records"] = list(result.records)
    if result.authorization is not None:
        data["authorization"] = result.authorization.to_json()
    return data


def human_lines(result: SpfResult) -> list[str]:
    """The SPF tree, indented, with each DNS-querying term's cost and the running total."""
    if result.analysis is None:
        return []
    lines = _node_lines(result.analysis.root.to_json(), "")
    family = result.analysis.void_family
    lines.append(
        f"DNS lookups (worst case): {result.analysis.lookups} of {MAX_LOOKUPS}; "
        f"void lookups: {result.analysis.void_lookups} of {MAX_VOID_LOOKUPS}"
        + (f" (worst case: {family} clients)" if family else "")
    )
    lines.append(f"{result.expected} authorized: {'yes' if result.authorized else 'no'}")
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


@register(CHECK, to_json=to_json, human=human_lines)
async def check_spf(ctx: CheckContext) -> SpfResult:
    return await spf_result(ctx.lookup, ctx.domain, ctx.options.expect_include, ctx.lookup.run_memo(IncludeMemo))
