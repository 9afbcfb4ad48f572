"""The `dkim` check: for each selector (--dkim) and each record CIMcloud sent (--dkim-record), is the key published
at `<selector>._domainkey.<domain>`, usable, and the one CIMcloud sent? One result per selector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.checks import CheckContext, CheckOptions, Result, prepare, register
from wizard.core.dkim.key import validate
from wizard.core.dkim.paste import excerpt, normalize, normalize_name
from wizard.core.dkim.record import verification_link
from wizard.core.dkim.verify import DkimVerification, Views, ViewSource, verify
from wizard.core.findings import Finding
from wizard.core.together import together

CHECK = "dkim"


@dataclass
class Target:
    """One selector to check on the domain, with the record it should hold (when one was given)."""

    selector: str
    expected: str | None = None
    given_as: str = ""  # the NAME of --dkim-record, for messages
    findings: tuple[Finding, ...] = ()  # problems with what was given (a private key, a bad name)


@dataclass(frozen=True)
class DkimResult(Result):
    """One selector: the live verification of its key (None when the selector is not a DNS name)."""

    selector: str = ""
    verification: DkimVerification | None = None

    @property
    def name(self) -> str | None:
        return self.verification.name if self.verification is not None else None

    @property
    def verified(self) -> bool:
        """Published and matching what was given (a warning such as a 1024-bit key may come with it)."""
        return self.verification is not None and self.verification.verified


async def check_dkim(ctx: CheckContext) -> list[DkimResult]:
    targets = targets_for(ctx.domain, ctx.options)
    return await together([_check_one(ctx, target) for target in targets])


def targets_for(domain: str, options: CheckOptions) -> list[Target]:
    """The selectors that apply to this domain: every --dkim, and every --dkim-record whose name is relative or
    belongs to this domain (a record for another domain is left to that domain)."""
    targets: dict[str, Target] = {}
    for text in options.dkim_selectors:
        name = normalize_name(text, domain)
        if _other_domain(name.findings) or not (name.selector or name.findings):
            continue
        target = targets.setdefault(name.selector or excerpt(text), Target(name.selector or excerpt(text)))
        if name.selector is None:
            target.findings = name.findings  # a selector that is not a DNS name: say so, do not drop it
    for name_text, content in options.dkim_records:
        given = normalize(name_text, content, domain)
        if _other_domain(given.findings):
            continue
        selector = given.selector or excerpt(name_text)
        target = targets.setdefault(selector, Target(selector))
        if target.expected is None and not target.findings:
            target.expected = given.content or None
            target.given_as = name_text.strip()
            target.findings = given.findings
    return list(targets.values())


def _other_domain(findings: tuple[Finding, ...]) -> bool:
    return any(f.code == "dkim.other-domain" for f in findings)


async def _check_one(ctx: CheckContext, target: Target) -> DkimResult:
    if any(f.code == "dkim.bad-name" for f in target.findings):
        return DkimResult(target.findings, target.selector)
    result = await verify(_Keyed(ctx.lookup), ctx.domain, target.selector, target.expected)
    findings = list(target.findings) + _given_findings(target, result) + list(result.findings)
    return DkimResult(tuple(findings), target.selector, result)


@dataclass(frozen=True)
class _Keyed:
    """A view source whose views are handed over once the key parser is loaded (wizard.checks.prepare, off the
    event loop): verification reads the key as soon as the views are in."""

    source: ViewSource

    async def views(self, name: str, rdtype: str) -> Views:
        return await prepare.after(prepare.KEYS, self.source.views(name, rdtype))


def _given_findings(target: Target, result: DkimVerification) -> list[Finding]:
    """Problems of the record that was given, when it is not what is published (else the published one says it)."""
    if target.expected is None or (result.record is not None and result.difference is None):
        return []
    label = f"The record given for {target.given_as}" if target.given_as else "The record given"
    return [
        Finding(f.code, f.severity, f"{label}: {f.message[:1].lower()}{f.message[1:]}", f.fix)
        for f in validate(target.expected).findings
    ]


def to_json(entry: DkimResult) -> dict[str, Any]:
    """The JSON fields of one selector's entry (status and findings are added around them)."""
    result = entry.verification
    if result is None:
        return {"selector": entry.selector, "name": None}
    return {
        "selector": result.selector,
        "name": result.name,
        "key_type": result.key_type,
        "key_bits": result.key_bits,
        "verified": result.verified,
        "state": str(result.status),
        "record": result.record,
        "records": list(result.records),
        "expected": result.expected,
        "alias": result.alias,
        "difference": result.difference.message if result.difference else None,
        "misplaced": [
            {"name": m.name, "kind": m.kind, "record": m.record, "matches": m.matches} for m in result.misplaced
        ],
        "authoritative": [a.to_json() for a in result.servers],
        "resolver": result.resolver.to_json() if result.resolver else None,
        "verification_link": verification_link(result.domain, result.selector),
    }


def human_lines(entry: DkimResult) -> list[str]:
    """The name checked, the key found and the verification link, above the findings."""
    result = entry.verification
    if result is None:
        return []
    lines = [f"name: {result.name}"]
    if result.alias:
        lines.append(f"alias of: {result.alias}")
    if result.key_type:
        lines.append(f"key: {result.key_type} {result.key_bits} bits")
    lines.append(f"verify: {verification_link(result.domain, result.selector)}")
    return lines


def title(entry: DkimResult) -> str:
    return f"{CHECK} {entry.selector}" if entry.selector else CHECK


register(CHECK, to_json=to_json, human=human_lines, label=title)(check_dkim)
