"""DKIM key records (RFC 6376 3.6.1): tag parsing and validation of the public key."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wizard.core.findings import Finding, error, info, warning
from wizard.core.tags import FWS, Tag, read_spec, tag_specs

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

KNOWN_TAGS = ("v", "g", "h", "k", "n", "p", "s", "t")
KEY_TYPES = ("rsa", "ed25519")
HASHES = ("sha1", "sha256")
MIN_RSA_BITS = 1024  # RFC 8301 3.2: verifiers must not accept smaller keys
GOOD_RSA_BITS = 2048
MAX_VERIFIED_RSA_BITS = 4096  # RFC 8301 3.2: verifiers must handle 1024 to 4096 bits
MAX_KEY_BYTES = 16384  # far above an 8192-bit key (about 1 KB); larger is not a key and is not parsed
ED25519_BYTES = 32

_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z")
_WSP = re.compile(r"[ \t\r\n]+")


@dataclass(frozen=True)
class TagList:
    """A parsed tag-list: the tags in order, and what was wrong with its syntax."""

    tags: tuple[Tag, ...]
    problems: tuple[Finding, ...] = ()

    def get(self, name: str) -> str | None:
        for tag in self.tags:
            if tag.name == name:
                return tag.value
        return None

    def names(self) -> list[str]:
        return [t.name for t in self.tags]


@dataclass(frozen=True)
class KeyInfo:
    """What p= holds: the key type as found in the data and its size in bits (None when unreadable)."""

    key_type: str | None = None
    bits: int | None = None
    encoding: str = ""  # "spki", "pkcs1" or "raw" (ed25519)


@dataclass(frozen=True)
class DkimValidation:
    """The result of validating one DKIM record: findings, the tags and the key."""

    findings: tuple[Finding, ...]
    tags: TagList
    key: KeyInfo = field(default_factory=KeyInfo)

    @property
    def key_type(self) -> str | None:
        return self.key.key_type

    @property
    def key_bits(self) -> int | None:
        return self.key.bits

    @property
    def revoked(self) -> bool:
        return self.tags.get("p") == ""

    @property
    def testing(self) -> bool:
        return "y" in flags(self.tags.get("t") or "")


# RFC 6376 3.6.1: key-v-tag = %x76 [FWS] "=" [FWS] %x44.4B.49.4D.31 ("v" and "DKIM1" case-sensitive); v= is
# optional, but when present it comes first, and a record whose v= is anything else MUST be discarded.
_DKIM_VERSION = re.compile(r"[ \t\r\n]*v[ \t\r\n]*=[ \t\r\n]*DKIM1[ \t\r\n]*(;|\Z)")


def is_dkim_record(text: str) -> bool:
    """True for a TXT value a verifier takes as a DKIM key record: it starts with exactly v=DKIM1, or it has no
    v= first and holds a p= tag (RFC 6376 3.6.1: v= is optional). `v=dkim1; p=...` is discarded."""
    if _DKIM_VERSION.match(text):
        return True
    tags = parse_tags(text)
    return bool(tags.tags) and tags.tags[0].name != "v" and tags.get("p") is not None


def strip_fws(value: str) -> str:
    """The value without folding whitespace (RFC 6376 FWS), as base64 and colon lists are read."""
    return _WSP.sub("", value)


def flags(value: str) -> list[str]:
    """A colon-separated list (h=, s=, t=) as its items, whitespace removed."""
    return [item for item in strip_fws(value).split(":") if item]


def parse_tags(text: str) -> TagList:
    """Parse an RFC 6376 3.2 tag-list. Never raises: problems are reported as dkim.syntax findings."""
    tags: list[Tag] = []
    problems: list[Finding] = []
    specs = list(tag_specs(text))
    for index, (start, spec) in enumerate(specs):
        if not spec.strip(FWS):
            if index < len(specs) - 1 and index > 0:
                problems.append(warning("dkim.syntax", "The record has an empty entry (two ';' in a row).", _FIX))
            elif index == 0 and len(specs) > 1:
                problems.append(error("dkim.syntax", "The record starts with ';'.", _FIX))
            continue
        tag = read_spec(spec, start)
        if tag is None and "=" not in spec:
            problems.append(error("dkim.syntax", f"{_excerpt(spec.strip(FWS))!r} is not tag=value.", _FIX))
        elif tag is None or not _TAG_NAME.match(tag.name):
            name = spec.partition("=")[0].strip(FWS)
            problems.append(error("dkim.syntax", f"{_excerpt(name)!r} is not a valid tag name.", _FIX))
        else:
            tags.append(tag)
    problems += _duplicates(tags)
    return TagList(tuple(tags), tuple(problems))


def canonical(tags: TagList) -> str:
    """The record as "a=b; c=d" with the whitespace RFC 6376 ignores removed (all of it, except in n=)."""
    parts = []
    for tag in tags.tags:
        value = tag.value if tag.name == "n" else strip_fws(tag.value)
        parts.append(f"{tag.name}={value}")
    return "; ".join(parts)


def canonical_content(text: str) -> str:
    """`canonical(parse_tags(text))`: the form two records are compared in."""
    return canonical(parse_tags(text))


def validate(content: str) -> DkimValidation:
    """Validate a DKIM key record's content per RFC 6376 3.6.1 and RFC 8463; read the key with cryptography."""
    if not content.strip():
        return DkimValidation((error("dkim.syntax", "The record is empty.", _FIX),), TagList(()))
    findings: list[Finding] = []
    if not content.isascii():
        findings.append(_non_ascii(content))
    tags = parse_tags(content)
    findings += tags.problems
    findings += _version(tags)
    findings += _unknown_tags(tags)
    findings += _hashes(tags)
    findings += _services(tags)
    key_type, type_findings = _key_type(tags)
    findings += type_findings
    key, key_findings = _key(tags, key_type)
    findings += key_findings
    if any(f.code == "dkim.private-key" for f in key_findings):
        tags = TagList(tuple(t for t in tags.tags if t.name != "p"), tags.problems)  # never keep a private key
    findings += _testing(tags)
    return DkimValidation(tuple(findings), tags, key)


_FIX = "Copy the record content exactly as CIMcloud sent it (starting with v=DKIM1;)."


def _excerpt(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _non_ascii(content: str) -> Finding:
    bad = next(c for c in content if not c.isascii())
    hint = " (the value was shortened with an ellipsis, as in an example)" if bad == "…" else ""
    return error(
        "dkim.syntax",
        f"The record contains the character {bad!r} (U+{ord(bad):04X}); DKIM records are plain ASCII{hint}.",
        "Copy the full record content again from CIMcloud's message, not from an example or a formatted document.",
    )


def _duplicates(tags: list[Tag]) -> list[Finding]:
    seen: set[str] = set()
    findings = []
    for tag in tags:
        if tag.name in seen:
            findings.append(
                error(
                    "dkim.syntax",
                    f"The tag {tag.name}= appears more than once; receivers then ignore the whole record.",
                    "Keep one of each tag: copy the record exactly as CIMcloud sent it.",
                )
            )
        seen.add(tag.name)
    return findings


def _version(tags: TagList) -> list[Finding]:
    version = tags.get("v")
    if version is None:
        return []
    findings = []
    if version != "DKIM1":
        findings.append(
            error("dkim.syntax", f"v={_excerpt(version)} must be v=DKIM1; receivers discard this record.", _FIX)
        )
    if tags.names()[0] != "v":
        findings.append(error("dkim.syntax", "v=DKIM1 must be the first tag of the record.", _FIX))
    return findings


def _unknown_tags(tags: TagList) -> list[Finding]:
    findings = []
    for tag in tags.tags:
        if tag.name in KNOWN_TAGS:
            continue
        hint = (
            f" (tag names are case-sensitive: did you mean {tag.name.lower()}=?)"
            if tag.name.lower() in KNOWN_TAGS
            else ""
        )
        findings.append(
            info("dkim.unknown-tag", f"The tag {_excerpt(tag.name)}= is not a DKIM key tag; receivers ignore it{hint}.")
        )
    return findings


def _hashes(tags: TagList) -> list[Finding]:
    """h= restricts the hashes a key may be used with (RFC 6376 3.6.1); a verifier fails every signature whose
    hash it does not list (6.1.2), and CIMcloud signs rsa-sha256 (ed25519-sha256 also hashes with sha256)."""
    value = tags.get("h")
    if value is None or "sha256" in flags(value):
        return []
    known = [h for h in flags(value) if h in HASHES]
    why = "lists only sha1, which RFC 8301 forbids for signing" if known else "names no hash receivers know"
    return [
        error(
            "dkim.hash-excluded",
            f"h={_excerpt(value)} {why}: receivers fail every rsa-sha256 and ed25519-sha256 signature made with "
            "this key (RFC 6376 6.1.2), so CIMcloud's mail fails DKIM.",
            "Use h=sha256 or leave h= out.",
        )
    ]


def _services(tags: TagList) -> list[Finding]:
    value = tags.get("s")
    if value is None or {"*", "email"} & set(flags(value)):
        return []
    return [error("dkim.syntax", f"s={_excerpt(value)} says the key is not for email.", "Use s=email or leave s= out.")]


def _key_type(tags: TagList) -> tuple[str | None, list[Finding]]:
    value = tags.get("k")
    if value is None:
        return "rsa", []
    key_type = strip_fws(value)
    if key_type in KEY_TYPES:
        return key_type, []
    return None, [
        error(
            "dkim.syntax",
            f"k={_excerpt(key_type)} is not a key type receivers know (rsa, ed25519); they ignore this key.",
            _FIX,
        )
    ]


def _testing(tags: TagList) -> list[Finding]:
    if "y" not in flags(tags.get("t") or ""):
        return []
    return [
        info(
            "dkim.testing",
            "t=y: the domain is testing DKIM; receivers must treat signed and unsigned mail alike.",
            "Remove t=y when testing is done, if CIMcloud's record did not include it.",
        )
    ]


def _key(tags: TagList, key_type: str | None) -> tuple[KeyInfo, list[Finding]]:
    value = tags.get("p")
    if value is None:
        return KeyInfo(), [error("dkim.syntax", "The record has no p= (the public key).", _FIX)]
    data = strip_fws(value)
    if not data:
        return KeyInfo(), [
            error(
                "dkim.revoked",
                "p= is empty: this key is revoked, so mail signed with it fails DKIM.",
                "Publish the record with the key CIMcloud sent (p= followed by the key).",
            )
        ]
    raw, problem = decode_base64(data)
    if problem is not None:
        return KeyInfo(), [problem]
    assert raw is not None
    if len(raw) > MAX_KEY_BYTES:
        return KeyInfo(), [error("dkim.bad-key", f"p= holds {len(raw)} bytes: far too long for a public key.", _FIX)]
    if is_private_key(raw):
        return KeyInfo(), [private_key_finding()]
    if key_type == "ed25519":
        return _ed25519(raw)
    if key_type == "rsa":
        return _rsa(raw)
    return KeyInfo(), []


def decode_base64(data: str) -> tuple[bytes | None, Finding | None]:
    """Decode p= (whitespace already removed), with a finding that says what is wrong when it is not base64."""
    if not _BASE64.match(data):
        bad = next((c for c in data.rstrip("=") if not (c.isascii() and (c.isalnum() or c in "+/"))), "=")
        return None, error(
            "dkim.bad-key",
            f"p= is not base64: it contains {bad!r}.",
            "Copy the key again; only letters, digits, '+', '/' and '=' at the end belong in it.",
        )
    if len(data) % 4:
        return None, error(
            "dkim.bad-key",
            f"p= is not valid base64: its length ({len(data)} characters) is not a multiple of 4, so characters are "
            "missing (most often the end was cut off) or the '=' padding is wrong.",
            "Copy the whole key again, to its last character.",
        )
    try:
        return base64.b64decode(data, validate=True), None
    except (binascii.Error, ValueError) as exc:
        return None, error("dkim.bad-key", f"p= is not valid base64 ({exc}).", _FIX)


def is_private_key(raw: bytes) -> bool:
    """True when the bytes are a private key (PKCS#8 or PKCS#1), pasted by mistake instead of the public key."""
    if not raw.startswith(b"\x30"):
        return False
    return _load("load_der_private_key", raw, password=None) is not None


def _load(loader: str, data: bytes, **options: object) -> object | None:
    """cryptography's `serialization.<loader>(data)`, or None when it cannot read the key.

    cryptography is imported here, on the first key read, not at start-up: a run pays for it only once it has
    a key to read (after its first DNS answers).
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    try:
        key: object = getattr(serialization, loader)(data, **options)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return key


def private_key_finding() -> Finding:
    """The one message for a private key in a DKIM record; it never contains the key."""
    return error(
        "dkim.private-key",
        "This is a PRIVATE key, not the public key a DKIM record holds. It was not stored or shown.",
        "Do not publish it or send it anywhere. Use the record content CIMcloud sent (v=DKIM1; p=MIIB...). If this "
        "private key was shared by mistake, ask whoever owns it to replace it.",
    )


def _rsa(raw: bytes) -> tuple[KeyInfo, list[Finding]]:
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    key, encoding = _load_rsa(raw)
    if key is None:
        return KeyInfo(), [_unreadable("an RSA public key", raw)]
    if not isinstance(key, rsa.RSAPublicKey):
        kind = "an Ed25519" if isinstance(key, ed25519.Ed25519PublicKey) else "a non-RSA"
        return KeyInfo(), [
            error("dkim.bad-key", f"p= holds {kind} key, but the record says k=rsa (or has no k=).", _FIX)
        ]
    bits = key.key_size
    findings = _rsa_size(bits)
    if encoding == "pkcs1":
        findings.append(
            error(
                "dkim.pkcs1-key",
                "p= is a bare PKCS#1 RSAPublicKey, not the SubjectPublicKeyInfo RFC 6376 3.6.1 asks for; "
                "OpenSSL-based verifiers such as OpenDKIM reject it, so signatures fail there.",
                f"Publish the same key as SubjectPublicKeyInfo: p={spki_base64(key)}",
            )
        )
    return KeyInfo("rsa", bits, encoding), findings


def _load_rsa(raw: bytes) -> tuple[object | None, str]:
    """The key and its encoding as the DER says ("spki" or "pkcs1"): cryptography's loaders accept both, so the
    form is read from the structure, not from which loader succeeded."""
    encoding = der_form(raw)
    key = _load("load_der_public_key", raw)
    if key is not None:
        return key, encoding
    pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(raw) + b"-----END RSA PUBLIC KEY-----\n"
    key = _load("load_pem_public_key", pem)
    return (key, encoding) if key is not None else (None, "")


def der_form(raw: bytes) -> str:
    """ "spki" when the DER is a SubjectPublicKeyInfo (SEQUENCE { SEQUENCE { algorithm }, BIT STRING }), "pkcs1"
    when it is an RSAPublicKey (SEQUENCE { INTEGER n, INTEGER e }, RFC 8017 A.1.1), else ""."""
    header = _der_header(raw)
    if header is None:
        return ""
    first = raw[header] if header < len(raw) else None
    return {0x30: "spki", 0x02: "pkcs1"}.get(first, "") if first is not None else ""


def _der_header(raw: bytes) -> int | None:
    """The length of the outer SEQUENCE's tag and length octets, or None when raw is not a SEQUENCE."""
    if len(raw) < 2 or raw[0] != 0x30:
        return None
    first = raw[1]
    return 2 if first < 0x80 else 2 + (first & 0x7F)


def spki_base64(key: rsa.RSAPublicKey) -> str:
    """The key as SubjectPublicKeyInfo DER in base64: the p= value every DKIM verifier reads."""
    from cryptography.hazmat.primitives import serialization

    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def _rsa_size(bits: int) -> list[Finding]:
    if bits < MIN_RSA_BITS:
        return [
            error(
                "dkim.weak-key",
                f"The RSA key has {bits} bits; receivers reject keys under {MIN_RSA_BITS} bits (RFC 8301).",
                "Ask CIMcloud for a new key of 2048 bits.",
            )
        ]
    if bits < GOOD_RSA_BITS:
        return [
            warning(
                "dkim.weak-key",
                f"The RSA key has {bits} bits; {GOOD_RSA_BITS} bits is the current recommendation.",
                "Ask CIMcloud for a 2048-bit key when convenient.",
            )
        ]
    if bits > MAX_VERIFIED_RSA_BITS:
        return [
            warning(
                "dkim.large-key",
                f"The RSA key has {bits} bits; receivers only have to support up to {MAX_VERIFIED_RSA_BITS} "
                "(RFC 8301), so some may not verify it.",
                "A 2048-bit key is the common choice.",
            )
        ]
    return []


def _ed25519(raw: bytes) -> tuple[KeyInfo, list[Finding]]:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    if len(raw) == ED25519_BYTES:
        ed25519.Ed25519PublicKey.from_public_bytes(raw)
        return KeyInfo("ed25519", 256, "raw"), []
    key = _load("load_der_public_key", raw)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return KeyInfo("ed25519", 256, "spki"), [
            error(
                "dkim.bad-key",
                "p= is an Ed25519 key wrapped in SubjectPublicKeyInfo; RFC 8463 wants the bare 32-byte key.",
                "Publish p= with the last 32 bytes of the key in base64 (44 characters ending in '=').",
            )
        ]
    return KeyInfo(), [
        error("dkim.bad-key", f"p= holds {len(raw)} bytes; an Ed25519 key (k=ed25519) is exactly 32 bytes.", _FIX)
    ]


def _unreadable(what: str, raw: bytes) -> Finding:
    declared = der_length(raw)
    if declared is not None and declared > len(raw):
        return error(
            "dkim.bad-key",
            f"p= is cut short: the key says it is {declared} bytes long, but only {len(raw)} are there.",
            "Copy the whole key again, to its last character.",
        )
    return error("dkim.bad-key", f"p= does not decode to {what}.", _FIX)


def der_length(raw: bytes) -> int | None:
    """The total length a DER SEQUENCE header declares (header included), or None when it is not one."""
    if len(raw) < 2 or raw[0] != 0x30:
        return None
    first = raw[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(raw) < 2 + count:
        return None
    return 2 + count + int.from_bytes(raw[2 : 2 + count], "big")
