"""What a domain's aggregate reports say, by source, and the DMARC stage they support next.

Sources are named by the caller (check_host() against each known service's include, done outside the core);
an IP no service authorizes is listed apart: spoofing, or a sender someone forgot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wizard.core.dmarc.aggregate import AggregateReport, ReportRow
from wizard.core.dmarc.record import Policy
from wizard.core.findings import Finding, error, info, warning
from wizard.core.proof import ActivationProof, ProofKind, ProofVerdict

CIMCLOUD = "CIMcloud"
RAMP_PCT = 25  # the first quarantine step: a quarter of the failing mail goes to spam
READY_SHARE = 0.98  # share of a service's messages that must pass aligned before enforcing
MIN_DAYS = 14  # reports over a shorter period are thin evidence


@dataclass(frozen=True)
class SourceSummary:
    """One sending IP over every report: messages, how many passed aligned SPF / DKIM / DMARC."""

    ip: str
    count: int
    service: str | None
    spf_aligned: int
    dkim_aligned: int
    dmarc_pass: int
    dispositions: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Stage:
    """One step of the staged roll-out: the policy and the share of failing mail it applies to (the pct= tag)."""

    policy: Policy
    pct: int = 100

    @property
    def ramping(self) -> bool:
        """Enforcing on part of the failing mail only (pct= under 100): the rest is treated one policy lower."""
        return self.policy.enforced and self.pct < 100

    def __str__(self) -> str:
        return f"p={self.policy} with pct={self.pct}" if self.ramping else f"p={self.policy}"


# none → quarantine 25% → quarantine 100% → reject: each step after the reports show the one before is clean.
STAGES = (Stage(Policy.NONE), Stage(Policy.QUARANTINE, RAMP_PCT), Stage(Policy.QUARANTINE), Stage(Policy.REJECT))


def stage_of(policy: str | None, pct: int | None) -> Stage:
    """The stage a record (or a report's policy_published) is at; an unknown or missing policy counts as none."""
    known = policy is not None and policy in set(Policy)
    return Stage(Policy(policy) if policy is not None and known else Policy.NONE, 100 if pct is None else pct)


def step_of(stage: Stage) -> int:
    """Where a stage is on the ladder (0 to 3): quarantine on part of the mail is the ramp, at any pct under 100."""
    if stage.policy is Policy.NONE:
        return 0
    if stage.policy is Policy.QUARANTINE:
        return 1 if stage.ramping else 2
    return 3


def next_stage(stage: Stage) -> Stage:
    """The step after `stage` (reject at 100% stays where it is; reject at part of the mail goes to all of it)."""
    return STAGES[min(step_of(stage) + 1, len(STAGES) - 1)]


def first_stage_with(start: Stage | None, policy: Policy) -> Stage:
    """The stage a policy chosen from `start` begins at: the first one of the ladder above `start` with that policy
    (quarantine after monitoring starts at pct=25), `start` itself for its own policy, 100% going back down."""
    start = start or STAGES[0]
    if policy is start.policy:
        return start
    return next((s for s in STAGES[step_of(start) + 1 :] if s.policy is policy), Stage(policy))


def path_to(start: Stage, chosen: Stage) -> tuple[Stage, ...]:
    """The stages the roll-out passes through between `start` and `chosen`, `chosen` excluded."""
    return STAGES[step_of(start) + 1 : step_of(chosen)]


@dataclass(frozen=True)
class Recommendation:
    """The DMARC policy and pct= to publish next, and why."""

    policy: str
    pct: int
    reason: str


@dataclass(frozen=True)
class ReportsSummary:
    """What a set of DMARC aggregate reports says about one domain: its senders and the next step."""

    domain: str
    reports: int
    begin: int
    end: int
    current_policy: str
    current_pct: int
    sources: tuple[SourceSummary, ...]
    recommendation: Recommendation
    findings: tuple[Finding, ...]

    @property
    def messages(self) -> int:
        return sum(s.count for s in self.sources)

    @property
    def days(self) -> float:
        return max(0, self.end - self.begin) / 86400

    def of_service(self, name: str) -> list[SourceSummary]:
        return [s for s in self.sources if s.service == name]

    @property
    def cimcloud_signing(self) -> bool:
        """CIMcloud's mail passes aligned DKIM in the reports (READY_SHARE of it or more): activation shown."""
        cim = self.of_service(CIMCLOUD)
        count = sum(s.count for s in cim)
        return count > 0 and sum(s.dkim_aligned for s in cim) / count >= READY_SHARE


def report_domain(reports: Sequence[AggregateReport]) -> str:
    """The domain most of the reports are about (when the caller did not say)."""
    return Counter(r.domain for r in reports).most_common(1)[0][0]


def summarise(reports: Sequence[AggregateReport], domain: str, services: Mapping[str, str | None]) -> ReportsSummary:
    """Roll the reports of one domain up by source IP; `services` names each IP's sending service (or None)."""
    rows = [row for r in reports for row in r.rows]
    sources = tuple(
        sorted((_source(ip, group, services.get(ip)) for ip, group in _by_ip(rows).items()), key=lambda s: -s.count)
    )
    latest = max(reports, key=lambda r: r.end)
    begin = min(r.begin for r in reports)
    end = max(r.end for r in reports)
    pct = latest.pct if latest.pct is not None else 100
    recommendation, findings = recommend(domain, sources, latest.policy, pct, (end - begin) / 86400)
    return ReportsSummary(domain, len(reports), begin, end, latest.policy, pct, sources, recommendation,
                          tuple(findings))  # fmt: skip


def _by_ip(rows: list[ReportRow]) -> dict[str, list[ReportRow]]:
    groups: dict[str, list[ReportRow]] = {}
    for row in rows:
        groups.setdefault(row.source_ip, []).append(row)
    return groups


def _source(ip: str, rows: list[ReportRow], service: str | None) -> SourceSummary:
    dispositions: Counter[str] = Counter()
    for row in rows:
        dispositions[row.disposition] += row.count
    return SourceSummary(
        ip=ip,
        count=sum(r.count for r in rows),
        service=service,
        spf_aligned=sum(r.count for r in rows if r.spf == "pass"),
        dkim_aligned=sum(r.count for r in rows if r.dkim == "pass"),
        dmarc_pass=sum(r.count for r in rows if r.dmarc_pass),
        dispositions=tuple(sorted(dispositions.items())),
    )


def recommend(
    domain: str, sources: Sequence[SourceSummary], policy: str, pct: int, days: float
) -> tuple[Recommendation, list[Finding]]:
    """The next stage and its evidence: CIMcloud's aligned DKIM first, then every known sender, then a step up."""
    cim = [s for s in sources if s.service == CIMCLOUD]
    cim_count, cim_dkim = sum(s.count for s in cim), sum(s.dkim_aligned for s in cim)
    findings = _unknown_findings(sources) + _failing_services(sources)
    period = f"over {days:.0f} days"
    if not cim_count:
        reason = f"No message from CIMcloud in these reports {period}: keep p=none until its signed mail shows up."
        return Recommendation("none", 100, reason), [*findings, _no_cimcloud(domain)]
    share = cim_dkim / cim_count
    cim_text = f"CIMcloud: {cim_count:,} messages, {share:.0%} DKIM-aligned {period}"
    if share < READY_SHARE:
        findings.append(
            error(
                "dmarc.report-cimcloud-unsigned",
                f"{cim_text}: CIMcloud's mail does not pass aligned DKIM yet, so enforcing would send it to spam.",
                "Ask CIMcloud support to activate DKIM signing for the domain, and keep p=none.",
            )
        )
        return Recommendation("none", 100, f"{cim_text} → keep p=none"), findings
    findings.append(info("dmarc.report-cimcloud-signing", f"{cim_text}: CIMcloud signing is active."))
    failing = [s for s in sources if s.service not in (None, CIMCLOUD) and s.dmarc_pass / max(1, s.count) < READY_SHARE]
    if failing:
        names = ", ".join(sorted({s.service or "" for s in failing}))
        return Recommendation(policy, pct, f"{cim_text}; {names} still failing DMARC → fix them before enforcing"), (
            findings
        )
    unknown = [s for s in sources if s.service is None and s.dmarc_pass < s.count]
    evidence = cim_text + "".join(f"; unknown {s.ip}: {s.count - s.dmarc_pass:,} failing" for s in unknown[:3])
    if round(days) < MIN_DAYS:  # date ranges end at 23:59:59: 14 days are 13.99
        findings.append(
            info("dmarc.report-short-period", f"The reports cover {_count(round(days), 'day')}; {MIN_DAYS} or "
                 "more make a safer basis for the next step.")
        )  # fmt: skip
    step = next_stage(stage_of(policy, pct))
    return Recommendation(str(step.policy), step.pct, f"{evidence} → {step.policy} with pct={step.pct}"), findings


def _unknown_findings(sources: Sequence[SourceSummary]) -> list[Finding]:
    unknown = [s for s in sources if s.service is None]
    if not unknown:
        return []
    listed = ", ".join(f"{s.ip} ({s.count:,}, {s.dmarc_pass:,} passing)" for s in unknown[:5])
    more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
    return [
        warning(
            "dmarc.report-unknown-source",
            f"{_count(len(unknown), 'source')} no known service authorizes: {listed}{more}. Spoofing, or a "
            "sender someone forgot.",
            "If one of them is yours, add its SPF include and DKIM key; otherwise enforcement will stop it.",
        )
    ]


def _failing_services(sources: Sequence[SourceSummary]) -> list[Finding]:
    found = []
    totals: dict[str, list[int]] = {}
    for s in sources:
        if s.service not in (None, CIMCLOUD):
            entry = totals.setdefault(s.service or "", [0, 0])
            entry[0] += s.count
            entry[1] += s.dmarc_pass
    for name, (count, passed) in sorted(totals.items()):
        if passed / max(1, count) < READY_SHARE:
            found.append(
                warning(
                    "dmarc.report-service-failing",
                    f"{name}: {count - passed:,} of {count:,} messages fail DMARC (neither aligned SPF nor DKIM).",
                    f"Set up DKIM for {name} with your domain, or a custom return-path, before enforcing.",
                )
            )
    return found


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _no_cimcloud(domain: str) -> Finding:
    return warning(
        "dmarc.report-no-cimcloud",
        f"No message from CIMcloud's servers appears in these reports for {domain}, so they cannot show activation.",
        "Wait for reports covering days when the website sent email, or prove activation with a test message.",
    )


def activation_proof(summary: ReportsSummary, when: float) -> ActivationProof:
    """What the reports show about activation, to keep in saved progress (counts and period, not the files)."""
    cim = summary.of_service(CIMCLOUD)
    count, dkim = sum(s.count for s in cim), sum(s.dkim_aligned for s in cim)
    verdict = ProofVerdict.PROVEN if summary.cimcloud_signing else ProofVerdict.NOT_PROVEN
    evidence = (
        f"{summary.reports} reports over {summary.days:.0f} days: CIMcloud {count:,} messages, {dkim:,} DKIM-aligned"
    )
    return ActivationProof(ProofKind.REPORTS, summary.domain, verdict, when, evidence)
