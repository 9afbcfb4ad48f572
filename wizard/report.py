"""Printing check results: one human block per domain, or one JSON object (version 1)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence

from wizard.checks import CheckOutput, all_checks, output_json, output_status
from wizard.core.findings import CheckResult, Finding, Status

JSON_VERSION = 1
DomainResults = Sequence[tuple[str, dict[str, CheckOutput]]]

_MARK = {Status.PASS: "PASS", Status.WARN: "WARN", Status.FAIL: "FAIL"}


def to_json(results: DomainResults) -> str:
    return json.dumps(
        {
            "version": JSON_VERSION,
            "domains": [
                {"domain": domain, "checks": {name: output_json(out) for name, out in checks.items()}}
                for domain, checks in results
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


def any_failed(results: DomainResults) -> bool:
    return any(output_status(out) is Status.FAIL for _, checks in results for out in checks.values())


def _extra_lines(check: str) -> Callable[[CheckResult], list[str]] | None:
    """The module that registered the check may offer `human_lines(result)` for details worth printing
    (the SPF tree)."""
    fn = all_checks().get(check)
    module = sys.modules.get(fn.__module__) if fn is not None else None
    lines = getattr(module, "human_lines", None)
    return lines if callable(lines) else None


def _finding_lines(finding: Finding, indent: str) -> list[str]:
    lines = [f"{indent}{finding.severity.upper():<7} {finding.code}: {finding.message}"]
    if finding.fix:
        lines.append(f"{indent}        fix: {finding.fix}")
    return lines


def _result_lines(name: str, result: CheckResult, indent: str) -> list[str]:
    label = name
    selector = result.details.get("selector")
    if selector:
        label = f"{name} {selector}"
    lines = [f"{indent}{_MARK[result.status]:<5} {label}"]
    extra = _extra_lines(name)
    if extra is not None:
        lines += [f"{indent}      {line}" for line in extra(result)]
    for finding in result.findings:
        lines += _finding_lines(finding, indent + "      ")
    return lines


def to_text(results: DomainResults) -> str:
    blocks = []
    for domain, checks in results:
        lines = [domain]
        for name, output in checks.items():
            entries = output if isinstance(output, list) else [output]
            if not entries:
                lines.append(f"  {'-':<5} {name}: nothing to check (no selector given)")
            for result in entries:
                lines += _result_lines(name, result, "  ")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
