"""Each DKIM-Signature of a message verified with dkimpy, against keys the caller looked up beforehand.

dkimpy does the cryptography and canonicalisation; its own DNS is never used: the keys come in as Answers
(the lookup layer's authoritative view, so a key published a minute ago counts). Headers only: the header
signature is still verified against the key, but the body hash cannot be, and the result says `partial`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import dkim

from wizard.core.answers import Answer, Outcome
from wizard.core.dkim.key import parse_tags
from wizard.core.message.parse import ParsedMessage

CIMCLOUD_SELECTOR_PREFIX = "cimcloud-"
MAX_SIGNATURES = 10  # more than this is not a message a receiver would spend time on
_LOG = logging.getLogger(__name__)


class DkimVerdict(StrEnum):
    PASS = "pass"
    PARTIAL = "partial"  # headers only: the signature matches the key, the body was not there to hash
    FAIL = "fail"
    TEMPERROR = "temperror"
    PERMERROR = "permerror"


@dataclass(frozen=True)
class Signature:
    """What one DKIM-Signature claims: the signing domain, the selector, and the key name they give."""

    index: int
    domain: str
    selector: str
    body_length: int | None
    algorithm: str = "rsa-sha256"

    @property
    def key_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def cimcloud(self) -> bool:
        """Made with a CIMcloud selector (`cimcloud-…`), the key the admin published for CIMcloud."""
        return self.selector.startswith(CIMCLOUD_SELECTOR_PREFIX)


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on one signature, with the reason in plain words when it did not pass."""

    signature: Signature
    verdict: DkimVerdict
    reason: str = ""


def signatures(message: ParsedMessage) -> list[Signature]:
    """The DKIM-Signature fields of the message, topmost first (at most MAX_SIGNATURES)."""
    found = []
    for index, value in enumerate(message.values("DKIM-Signature")[:MAX_SIGNATURES]):
        tags = parse_tags(value)
        length = (tags.get("l") or "").strip()
        found.append(
            Signature(
                index,
                (tags.get("d") or "").strip().lower().rstrip("."),
                (tags.get("s") or "").strip().lower(),
                int(length) if length.isdigit() and len(length) < 19 else None,
                (tags.get("a") or "").strip().lower(),
            )
        )
    return found


def verify_signatures(message: ParsedMessage, keys: Mapping[str, Answer]) -> list[SignatureCheck]:
    """Verify every signature; `keys` maps each signature's key name to the TXT answer found for it."""
    found = signatures(message)
    if not found:
        return []
    try:
        verifier = dkim.DKIM(message.raw, logger=_LOG, minkey=1024)  # parsed once for every signature
    except (dkim.DKIMException, ValueError) as exc:
        return [SignatureCheck(sig, DkimVerdict.PERMERROR, f"the message cannot be verified: {exc}") for sig in found]
    return [verify_one(message, verifier, sig, keys.get(sig.key_name)) for sig in found]


def verify_one(message: ParsedMessage, verifier: dkim.DKIM, sig: Signature, key: Answer | None) -> SignatureCheck:
    """One signature: its tags, the key, then dkimpy's body hash and header signature checks."""
    if not sig.domain or not sig.selector:
        return SignatureCheck(sig, DkimVerdict.PERMERROR, "the signature has no d= or no s= tag")
    if sig.algorithm == "rsa-sha1":
        return SignatureCheck(sig, DkimVerdict.PERMERROR, "a=rsa-sha1 is no longer accepted (RFC 8301)")
    problem = _key_problem(sig, key)
    if problem is not None:
        return problem
    assert key is not None
    record = _dkim_record(key)
    try:
        prep = verifier.verify_headerprep(sig.index)
        if not prep:
            return SignatureCheck(sig, DkimVerdict.PERMERROR, "the signature could not be read")
        fields, include_headers, headers = prep
        verifier.pk, verifier.keysize, verifier.ktag, verifier.seqtlsrpt = dkim.evaluate_pk(
            sig.key_name.encode(), record
        )
    except dkim.KeyFormatError as exc:
        return SignatureCheck(sig, DkimVerdict.PERMERROR, f"the key at {sig.key_name} cannot be used: {exc}")
    except (dkim.DKIMException, ValueError, TypeError, KeyError, IndexError) as exc:
        return SignatureCheck(sig, DkimVerdict.PERMERROR, f"the signature is malformed: {_why(exc)}")
    if not message.complete:
        fields = {k: v for k, v in fields.items() if k != b"bh"}  # no body to hash: check the header part only
    return _crypto(verifier, sig, fields, include_headers, headers[sig.index], complete=message.complete)


def _crypto(
    verifier: dkim.DKIM,
    sig: Signature,
    fields: dict[bytes, bytes],
    include_headers: list[bytes],
    header: tuple[bytes, bytes],
    *,
    complete: bool,
) -> SignatureCheck:
    try:
        valid = verifier.verify_sig_process(fields, include_headers, header, None)
    except dkim.ValidationError as exc:
        if "body hash" in str(exc):
            return SignatureCheck(
                sig,
                DkimVerdict.FAIL,
                "body hash mismatch: the body was changed after signing (a forwarder, a mailing list, a footer "
                "added, or the copy was altered when saved)",
            )
        return SignatureCheck(sig, DkimVerdict.FAIL, str(exc))
    except dkim.KeyFormatError as exc:
        return SignatureCheck(sig, DkimVerdict.PERMERROR, f"the key at {sig.key_name} cannot be used: {exc}")
    except (dkim.DKIMException, ValueError, TypeError, KeyError, IndexError) as exc:
        return SignatureCheck(sig, DkimVerdict.PERMERROR, f"the signature is malformed: {_why(exc)}")
    if not valid:
        return SignatureCheck(
            sig,
            DkimVerdict.FAIL,
            f"the signature does not match the key published at {sig.key_name}: the key has changed since the "
            "message was signed (rotated), or a signed header was changed",
        )
    if not complete:
        return SignatureCheck(sig, DkimVerdict.PARTIAL, "headers only: the key matches, the body hash was not checked")
    return SignatureCheck(sig, DkimVerdict.PASS)


def _why(exc: Exception) -> str:
    """dkimpy's reason in words; a missing tag comes out of it as a bare KeyError."""
    if isinstance(exc, KeyError) and exc.args:
        tag = exc.args[0]
        return f"it has no {tag.decode('ascii', 'replace') if isinstance(tag, bytes) else tag}= tag"
    return str(exc) or type(exc).__name__


def _key_problem(sig: Signature, key: Answer | None) -> SignatureCheck | None:
    if key is None or key.outcome.is_failure:
        detail = f" ({key.outcome}{': ' + key.detail if key.detail else ''})" if key is not None else ""
        return SignatureCheck(sig, DkimVerdict.TEMPERROR, f"looking up the key {sig.key_name} failed{detail}")
    if key.outcome in (Outcome.NXDOMAIN, Outcome.NODATA) or not _dkim_record(key):
        return SignatureCheck(
            sig, DkimVerdict.PERMERROR, f"no DKIM key is published at {sig.key_name} (deleted, or never published)"
        )
    return None


def _dkim_record(key: Answer) -> bytes:
    """The TXT record that holds the key (one with p=), as dkimpy reads it."""
    for text in key.texts:
        if "p=" in text.replace(" ", ""):
            return text.encode("utf-8", "replace")
    return b""
