"""DMARC as a receiver judges the message (RFC 7489 section 3 and 6.6), and what the receiver itself said.

Pure: the signature checks, the SPF evaluation and the DMARC policy discovery come in already done.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wizard.core.dmarc.discovery import Discovery
from wizard.core.dmarc.record import Alignment, Policy
from wizard.core.findings import Finding, error, info, warning
from wizard.core.message.parse import ParsedMessage
from wizard.core.message.received import Connection, ReceiverView, receiver_view
from wizard.core.message.signatures import DkimVerdict, SignatureCheck
from wizard.core.names import organizational_domain
from wizard.core.proof import ActivationProof, ProofKind, ProofVerdict
from wizard.core.spf.evaluate import Evaluation, SpfResult


class DmarcResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NONE = "none"  # no DMARC record applies to the From domain


def aligned(identifier: str, from_domain: str, mode: Alignment) -> bool:
    """Identifier alignment (RFC 7489 3.1): the same name (strict), or the same organizational domain (relaxed)."""
    a, b = identifier.lower().rstrip("."), from_domain.lower().rstrip(".")
    if not a or not b:
        return False
    return a == b if mode is Alignment.STRICT else organizational_domain(a) == organizational_domain(b)


@dataclass(frozen=True)
class DkimCheck:
    """One signature's verdict and whether its d= aligns with the From domain under adkim=."""

    check: SignatureCheck
    aligned: bool

    @property
    def passed(self) -> bool:
        """Passed as far as could be checked (partial counts: the header signature matched the key)."""
        return self.check.verdict in (DkimVerdict.PASS, DkimVerdict.PARTIAL)


@dataclass(frozen=True)
class SpfCheck:
    """check_host() for the connecting IP and the envelope sender's domain, and alignment under aspf=."""

    connection: Connection
    domain: str
    evaluation: Evaluation
    aligned: bool


@dataclass(frozen=True)
class DmarcVerdict:
    """The DMARC result of one message, the policy that applies, and which identifiers aligned."""

    result: DmarcResult
    policy: Policy | None
    policy_domain: str | None
    aligned_by: tuple[str, ...]


@dataclass(frozen=True)
class MessageAnalysis:
    """Everything the wizard concluded from one message, for every presenter (CLI text and JSON, the page)."""

    from_domain: str
    complete: bool
    dkim: tuple[DkimCheck, ...]
    spf: SpfCheck | None
    dmarc: DmarcVerdict
    receiver: ReceiverView | None
    findings: tuple[Finding, ...]

    @property
    def cimcloud_signing(self) -> bool:
        """Proof of activation: a whole message whose CIMcloud-selector signature passes and aligns."""
        return self.complete and any(_cimcloud_pass(d, DkimVerdict.PASS) for d in self.dkim)

    @property
    def cimcloud_partial(self) -> bool:
        """Headers only, and the CIMcloud signature matched its key and aligns: likely, but not proven."""
        return not self.complete and any(_cimcloud_pass(d, DkimVerdict.PARTIAL) for d in self.dkim)


def _cimcloud_pass(d: DkimCheck, verdict: DkimVerdict) -> bool:
    return d.check.signature.cimcloud and d.aligned and d.check.verdict is verdict


def spf_domain(connection: Connection) -> str:
    """The domain SPF checks: the MAIL FROM's, or HELO's for a bounce (null sender), RFC 7208 2.4."""
    sender = connection.mail_from.strip().strip("<>")
    return sender.rpartition("@")[2].lower().rstrip(".") if "@" in sender else connection.helo.lower().rstrip(".")


def dkim_checks(from_domain: str, checks: list[SignatureCheck], discovery: Discovery) -> tuple[DkimCheck, ...]:
    mode = discovery.record.adkim if discovery.record is not None else Alignment.RELAXED
    return tuple(DkimCheck(c, aligned(c.signature.domain, from_domain, mode)) for c in checks)


def spf_check(from_domain: str, connection: Connection, evaluation: Evaluation, discovery: Discovery) -> SpfCheck:
    mode = discovery.record.aspf if discovery.record is not None else Alignment.RELAXED
    domain = spf_domain(connection)
    return SpfCheck(connection, domain, evaluation, aligned(domain, from_domain, mode))


def dmarc_verdict(dkim: tuple[DkimCheck, ...], spf: SpfCheck | None, discovery: Discovery) -> DmarcVerdict:
    """Pass when either identifier passes and aligns (RFC 7489 4.2); none without a record."""
    by = []
    if any(d.passed and d.aligned for d in dkim):
        by.append("dkim")
    if spf is not None and spf.aligned and spf.evaluation.result is SpfResult.PASS:
        by.append("spf")
    if discovery.record is None:
        return DmarcVerdict(DmarcResult.NONE, None, None, tuple(by))
    result = DmarcResult.PASS if by else DmarcResult.FAIL
    return DmarcVerdict(result, discovery.policy, discovery.policy_domain, tuple(by))


def analyse(
    message: ParsedMessage,
    checks: list[SignatureCheck],
    spf: tuple[Connection, Evaluation] | None,
    discovery: Discovery,
) -> MessageAnalysis:
    """Combine the pieces into the analysis, with its findings (the receiver's view read from the message)."""
    from_domain, complete, receiver = message.from_domain, message.complete, receiver_view(message)
    dkim = dkim_checks(from_domain, checks, discovery)
    spf_result = spf_check(from_domain, spf[0], spf[1], discovery) if spf is not None else None
    verdict = dmarc_verdict(dkim, spf_result, discovery)
    partial = MessageAnalysis(from_domain, complete, dkim, spf_result, verdict, receiver, ())
    findings = _dkim_findings(partial) + _spf_findings(partial) + _dmarc_findings(partial) + disagreements(partial)
    return MessageAnalysis(from_domain, complete, dkim, spf_result, verdict, receiver, tuple(findings))


def _dkim_findings(analysis: MessageAnalysis) -> list[Finding]:
    domain = analysis.from_domain
    if not analysis.dkim:
        return [
            error(
                "message.no-signature",
                f"The message has no DKIM-Signature: CIMcloud did not sign it, so DKIM signing is not active for "
                f"{domain} yet.",
                "Ask CIMcloud support to activate DKIM signing for this domain, then send another test message.",
            )
        ]
    findings = []
    for d in analysis.dkim:
        sig = d.check.signature
        if not d.passed:
            findings.append(
                warning(
                    "message.dkim-failed",
                    f"The signature d={sig.domain} s={sig.selector} gives {d.check.verdict}: {d.check.reason}.",
                )
            )
        elif not d.aligned:
            findings.append(
                warning(
                    "message.dkim-unaligned",
                    f"The signature d={sig.domain} passes but does not align with the From domain {domain}, so it "
                    "does not count for DMARC (the sending platform signed with its own domain).",
                    f"CIMcloud must sign with d={domain} using the key you published (selector cimcloud-…).",
                )
            )
        if sig.body_length is not None:
            findings.append(
                warning(
                    "message.dkim-length",
                    f"The signature d={sig.domain} covers only the first {sig.body_length} bytes of the body (l=): "
                    "anything appended after them is unsigned.",
                    "Ask the sender to sign the whole body (no l= tag).",
                )
            )
    return findings + _activation(analysis)


def _activation(analysis: MessageAnalysis) -> list[Finding]:
    domain = analysis.from_domain
    if analysis.cimcloud_signing:
        return [info("message.cimcloud-signing", f"CIMcloud's aligned DKIM signature passes: signing is active for "
                                                 f"{domain}.")]  # fmt: skip
    if analysis.cimcloud_partial:
        return [
            warning(
                "message.cimcloud-partial",
                f"CIMcloud's signature for {domain} matches the published key and aligns, but without the body this "
                "is partial, not proof of activation.",
                "Give the whole message (.eml) to prove it.",
            )
        ]
    return [
        error(
            "message.not-cimcloud",
            f"No passing, aligned signature with a CIMcloud selector (cimcloud-…) for {domain}: this message does "
            "not show CIMcloud signing for the domain.",
            "Send the test from the CIMcloud website itself; if it still fails, ask CIMcloud support to activate DKIM.",
        )
    ]


def _spf_findings(analysis: MessageAnalysis) -> list[Finding]:
    spf = analysis.spf
    if spf is None:
        return [
            warning(
                "message.no-connection",
                "The receiving server's headers (Received, Received-SPF, Authentication-Results) do not say which "
                "address delivered the message, so SPF was not checked.",
                "Give the message as it arrived in the mailbox, with all its headers.",
            )
        ]
    ip, result = spf.connection.ip, spf.evaluation.result
    if result is not SpfResult.PASS:
        return [
            warning(
                "message.spf-failed",
                f"SPF for {spf.domain or 'the envelope sender'} gives {result} for {ip}: {spf.evaluation.reason}.",
            )
        ]
    if not spf.aligned:
        return [
            info(
                "message.spf-unaligned",
                f"SPF passes for {spf.domain}, the envelope sender's domain, which does not align with "
                f"{analysis.from_domain}: only DKIM can make DMARC pass for this mail.",
            )
        ]
    return []


def _dmarc_findings(analysis: MessageAnalysis) -> list[Finding]:
    verdict = analysis.dmarc
    if verdict.result is DmarcResult.NONE:
        return [
            error(
                "message.no-dmarc",
                f"No DMARC record applies to {analysis.from_domain}, so receivers apply no DMARC policy to this mail.",
                f"Publish _dmarc.{analysis.from_domain} (start with p=none).",
            )
        ]
    if verdict.result is DmarcResult.FAIL:
        return [
            error(
                "message.dmarc-fail",
                f"DMARC fails: neither an aligned DKIM signature nor aligned SPF passes; under p={verdict.policy} "
                "receivers would "
                + ("reject this message." if verdict.policy is Policy.REJECT else "send it to spam."
                   if verdict.policy is Policy.QUARANTINE else "only report it."),
                "Keep p=none until CIMcloud's aligned DKIM signature passes.",
            )
        ]  # fmt: skip
    return []


def disagreements(analysis: MessageAnalysis) -> list[Finding]:
    """Where the receiver's Authentication-Results and ours differ, and the likely reason."""
    receiver = analysis.receiver
    if receiver is None:
        return []
    found = [f for d in analysis.dkim if (f := _dkim_disagreement(receiver, d)) is not None]
    spf_said = receiver.first("spf")
    if analysis.spf is not None and spf_said is not None and spf_said != analysis.spf.evaluation.result:
        found.append(
            _disagrees(
                f"The receiver said spf={spf_said}, this check gives {analysis.spf.evaluation.result}: the SPF "
                "record has changed since the message arrived, or the receiver saw another address (a forwarder)."
            )
        )
    dmarc_said = receiver.first("dmarc")
    ours = analysis.dmarc.result
    if dmarc_said is not None and ours is not DmarcResult.NONE and dmarc_said != ours:
        found.append(_disagrees(f"The receiver said dmarc={dmarc_said}, this check gives {ours}."))
    return found


def _dkim_disagreement(receiver: ReceiverView, d: DkimCheck) -> Finding | None:
    sig = d.check.signature
    said = [r for r in receiver.of("dkim") if _same_signer(r.get("header.d"), r.get("header.i"), sig.domain)]
    if not said:
        return None
    theirs, ours = said[0].result, d.check.verdict
    if theirs == "pass" and not d.passed:
        why = (
            "the body was changed after delivery (a forwarder or mailbox rule, or the copy was altered when saved)"
            if "body hash" in d.check.reason
            else f"the key at {sig.key_name} has changed or been removed since the message arrived"
        )
        return _disagrees(f"The receiver said dkim=pass for d={sig.domain}, this check gives {ours}: {why}.")
    if theirs in ("fail", "neutral", "permerror", "temperror") and d.passed:
        return _disagrees(
            f"The receiver said dkim={theirs} for d={sig.domain}, but the signature verifies now: the key was "
            "published or corrected after the message arrived, or the receiver's lookup failed."
        )
    return None


def _same_signer(header_d: str, header_i: str, domain: str) -> bool:
    signer = header_d or header_i.rpartition("@")[2]
    return signer.lower().rstrip(".") == domain


def _disagrees(message: str) -> Finding:
    return warning("message.receiver-disagrees", message, "Send a fresh test message and check it right away.")


def activation_proof(analysis: MessageAnalysis, when: float) -> ActivationProof:
    """What this message shows about activation, to keep in saved progress (never the message itself)."""
    if analysis.cimcloud_signing:
        verdict = ProofVerdict.PROVEN
    elif analysis.cimcloud_partial:
        verdict = ProofVerdict.PARTIAL
    else:
        verdict = ProofVerdict.NOT_PROVEN
    cim = [d.check.signature for d in analysis.dkim if d.check.signature.cimcloud]
    signed = f"signature d={cim[0].domain} s={cim[0].selector}" if cim else "no CIMcloud signature"
    scope = "whole message" if analysis.complete else "headers only"
    return ActivationProof(ProofKind.MESSAGE, analysis.from_domain, verdict, when,
                           f"{scope}: {signed}; DMARC {analysis.dmarc.result}")  # fmt: skip
