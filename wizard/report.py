"""Printing check results: one human block per domain, or one JSON object (version 1).

Both are presenters over the checks' typed results, through the presenters each check registered; nothing here
judges a record again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from wizard.checks import Check, CheckOutput, Result, all_checks, entries, output_status
from wizard.core.findings import Status, finding_lines

JSON_VERSION = 1
DomainResults = Sequence[tuple[str, dict[str, CheckOutput]]]

_MARK = {Status.PASS: "PASS", Status.WARN: "WARN", Status.FAIL: "FAIL"}


def output_json(check: Check, output: CheckOutput) -> object:
    if isinstance(output, list):
        return [check.fields(r) for r in output]
    return check.fields(output)


def domain_json(domain: str, checks: dict[str, CheckOutput]) -> dict[str, object]:
    registered = all_checks()
    return {"domain": domain, "checks": {name: output_json(registered[name], out) for name, out in checks.items()}}


def to_json(results: DomainResults) -> str:
    return json.dumps(
        {"version": JSON_VERSION, "domains": [domain_json(domain, checks) for domain, checks in results]},
        indent=2,
        ensure_ascii=False,
    )


def to_json_line(domain: str, checks: dict[str, CheckOutput]) -> str:
    """One domain as one line of JSON (`check --jsonl`): the object `to_json` lists, with the version."""
    return json.dumps({"version": JSON_VERSION, **domain_json(domain, checks)}, ensure_ascii=False)


def any_failed(results: DomainResults) -> bool:
    return any(output_status(out) is Status.FAIL for _, checks in results for out in checks.values())


def _result_lines(check: Check, result: Result, indent: str) -> list[str]:
    lines = [f"{indent}{_MARK[result.status]:<5} {check.title(result)}"]
    lines += [f"{indent}      {line}" for line in check.lines(result)]
    lines += finding_lines(result.findings, indent + "      ")
    return lines


def domain_text(domain: str, checks: dict[str, CheckOutput]) -> str:
    registered = all_checks()
    lines = [domain]
    for name, output in checks.items():
        results = entries(output)
        if not results:
            lines.append(f"  {'-':<5} {name}: nothing to check (no selector given)")
        for result in results:
            lines += _result_lines(registered[name], result, "  ")
    return "\n".join(lines)


def to_text(results: DomainResults) -> str:
    return "\n\n".join(domain_text(domain, checks) for domain, checks in results) + "\n"
