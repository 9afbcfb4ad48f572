"""The DKIM key record validator: RFC 6376 3.6.1 tags, RFC 8463 ed25519, key sizes read with cryptography."""

from __future__ import annotations

import base64
import functools
import os
import random
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import given
from hypothesis import strategies as st

from wizard.core.dkim.key import canonical_content, der_length, is_dkim_record, parse_tags, validate
from wizard.core.findings import Severity

DATA = Path(__file__).resolve().parent.parent / "data" / "dkim"


def data_key(name: str) -> str:
    """A stored public key (base64 SubjectPublicKeyInfo, or raw ed25519) from tests/data/dkim."""
    return (DATA / f"{name}.b64").read_text().strip()


@functools.cache
def rsa_public_b64(bits: int) -> str:
    """An RSA public key of exactly `bits` bits (a random odd modulus: validation never needs the primes)."""
    rng = random.Random(bits)
    modulus = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
    key = rsa.RSAPublicNumbers(65537, modulus).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


@functools.cache
def private_key_der() -> bytes:
    key = rsa.generate_private_key(65537, 1024)
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def codes(content: str) -> list[str]:
    return [f.code for f in validate(content).findings]


def only(content: str, code: str) -> tuple[Severity, str]:
    found = [f for f in validate(content).findings if f.code == code]
    assert len(found) == 1, validate(content).findings
    return found[0].severity, found[0].message


KEY = data_key("rsa2048-a")


def test_a_cimcloud_style_record_is_clean_and_its_key_is_read() -> None:
    result = validate(f"v=DKIM1; k=rsa; p={KEY}")
    assert result.findings == ()
    assert (result.key_type, result.key_bits) == ("rsa", 2048)


@pytest.mark.parametrize(
    ("bits", "severity"),
    [(512, Severity.ERROR), (768, Severity.ERROR), (1024, Severity.WARNING), (1536, Severity.WARNING),
     (2048, None), (3072, None), (4096, None), (8192, Severity.WARNING)],
)  # fmt: skip
def test_rsa_key_sizes_from_512_to_8192_bits(bits: int, severity: Severity | None) -> None:
    result = validate(f"v=DKIM1; p={rsa_public_b64(bits)}")
    assert result.key_bits == bits
    if severity is None:
        assert result.findings == ()
        return
    (finding,) = result.findings
    assert finding.code == ("dkim.large-key" if bits > 4096 else "dkim.weak-key")
    assert finding.severity is severity
    assert str(bits) in finding.message


def test_ed25519_raw_key_per_rfc_8463() -> None:
    result = validate(f"v=DKIM1; k=ed25519; p={data_key('ed25519')}")
    assert result.findings == ()
    assert (result.key_type, result.key_bits) == ("ed25519", 256)


def test_ed25519_key_wrapped_in_spki_is_explained() -> None:
    key = ed25519.Ed25519PublicKey.from_public_bytes(base64.b64decode(data_key("ed25519")))
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    severity, message = only(f"v=DKIM1; k=ed25519; p={base64.b64encode(der).decode()}", "dkim.bad-key")
    assert severity is Severity.ERROR
    assert "32-byte" in message


def test_key_type_that_does_not_match_the_key() -> None:
    assert codes(f"v=DKIM1; k=ed25519; p={KEY}") == ["dkim.bad-key"]
    _, message = only(f"v=DKIM1; p={data_key('ed25519')}", "dkim.bad-key")
    assert "RSA" in message or "rsa" in message


def test_broken_base64_padding_says_characters_are_missing() -> None:
    _, message = only(f"v=DKIM1; p={KEY[:-1]}", "dkim.bad-key")
    assert "multiple of 4" in message
    assert codes(f"v=DKIM1; p={KEY.rstrip('=')}x") == ["dkim.bad-key"]


def test_truncated_key_says_how_much_is_missing() -> None:
    _, message = only(f"v=DKIM1; p={KEY[:200]}", "dkim.bad-key")
    assert "cut short" in message
    assert "294 bytes" in message


def test_junk_in_the_key() -> None:
    _, message = only("v=DKIM1; p=MIIB!IjAN", "dkim.bad-key")
    assert "'!'" in message


def test_empty_p_is_a_revoked_key() -> None:
    result = validate("v=DKIM1; p=")
    assert codes("v=DKIM1; p=") == ["dkim.revoked"]
    assert result.revoked


def test_testing_flag() -> None:
    severity, _ = only(f"v=DKIM1; t=y; p={KEY}", "dkim.testing")
    assert severity is Severity.INFO
    assert validate(f"v=DKIM1; t=y:s; p={KEY}").testing
    assert codes(f"v=DKIM1; t=s; p={KEY}") == []


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (f"v=DKIM1; p={KEY}; p={KEY}", "more than once"),
        (f"k=rsa; v=DKIM1; p={KEY}", "first tag"),
        (f"v=DKIM2; p={KEY}", "v=DKIM1"),
        (f"v=DKIM1; k=dsa; p={KEY}", "k=dsa"),
        ("v=DKIM1; k=rsa", "no p="),
        (f"v=DKIM1; s=web; p={KEY}", "not for email"),
        (f"v=DKIM1; junk; p={KEY}", "not tag=value"),
        (f"v=DKIM1; 1x=2; p={KEY}", "not a valid tag name"),
        ("v=DKIM1; p=76E629F05F709EF…", "ellipsis"),
    ],
)
def test_syntax_problems_name_the_problem(content: str, words: str) -> None:
    result = validate(content)
    messages = [f.message for f in result.findings if f.code == "dkim.syntax"]
    assert any(words in m for m in messages), result.findings


@pytest.mark.parametrize("hashes", ["sha1", "md5", "SHA256", "sha512", "sha1:md5"])
def test_h_without_sha256_fails_every_signature_and_is_an_error(hashes: str) -> None:
    severity, message = only(f"v=DKIM1; h={hashes}; p={KEY}", "dkim.hash-excluded")
    assert severity is Severity.ERROR
    assert "rsa-sha256 and ed25519-sha256" in message and "6.1.2" in message


def test_h_listing_sha256_is_fine() -> None:
    assert codes(f"v=DKIM1; h=sha1:sha256; p={KEY}") == []
    assert codes(f"v=DKIM1; h = sha256 ; p={KEY}") == []


def test_pkcs1_rsa_key_is_detected_from_the_der_and_the_fix_gives_its_spki_form() -> None:
    spki_der = base64.b64decode(KEY)
    key = serialization.load_der_public_key(spki_der)
    assert isinstance(key, rsa.RSAPublicKey)
    pkcs1 = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    result = validate(f"v=DKIM1; p={base64.b64encode(pkcs1).decode()}")
    found = [f for f in result.findings if f.code == "dkim.pkcs1-key"]
    assert [f.severity for f in found] == [Severity.ERROR]
    assert found[0].fix.endswith(f"p={KEY}")
    assert result.key.encoding == "pkcs1" and result.key_bits == 2048
    assert validate(f"v=DKIM1; p={KEY}").key.encoding == "spki"


@pytest.mark.parametrize(
    ("text", "is_record"),
    [
        (f"v=DKIM1; p={KEY}", True),
        (f"v = DKIM1 ; p={KEY}", True),
        (f"k=rsa; p={KEY}", True),  # v= is optional
        (f"v=dkim1; p={KEY}", False),  # RFC 6376 3.6.1: %x44.4B.49.4D.31, case-sensitive
        (f"V=DKIM1; p={KEY}", True),  # V= is an unknown tag (ignored), v= is optional: still a key record
        (f"v=DKIM2; p={KEY}", False),
        ("v=spf1 -all", False),
        ("google-site-verification=abc", False),
    ],
)
def test_dkim_recogniser_follows_rfc_6376_case_rules(text: str, is_record: bool) -> None:
    assert is_dkim_record(text) is is_record


def test_upper_case_tag_is_not_the_tag() -> None:
    result = validate(f"v=DKIM1; P={KEY}")
    assert {"dkim.unknown-tag", "dkim.syntax"} <= {f.code for f in result.findings}
    assert any("case-sensitive" in f.message for f in result.findings)


def test_private_key_in_p_is_reported_without_echoing_it() -> None:
    encoded = base64.b64encode(private_key_der()).decode()
    result = validate(f"v=DKIM1; p={encoded}")
    assert [f.code for f in result.findings] == ["dkim.private-key"]
    text = repr(result)
    assert encoded[:40] not in text
    assert encoded[-40:] not in text


def test_whitespace_inside_p_is_allowed_and_canonical_form_removes_it() -> None:
    spaced = f"v=DKIM1 ;  k = rsa;\n p={KEY[:100]} \n\t{KEY[100:]} ;"
    assert validate(spaced).findings == ()
    assert canonical_content(spaced) == f"v=DKIM1; k=rsa; p={KEY}"


def test_binary_junk_and_a_megabyte_paste_give_findings_not_crashes() -> None:
    junk = os.urandom(4096).decode("latin-1")
    assert validate(junk).findings
    huge = validate("v=DKIM1; p=" + "A" * 1_000_000)
    assert [f.code for f in huge.findings] == ["dkim.bad-key"]


def test_der_length_reads_the_sequence_header() -> None:
    raw = base64.b64decode(KEY)
    assert der_length(raw) == len(raw)
    assert der_length(b"\x04\x00") is None


def test_empty_record() -> None:
    assert codes("  ") == ["dkim.syntax"]
    assert parse_tags("").tags == ()


@given(st.text(max_size=300))
def test_validate_never_raises(text: str) -> None:
    result = validate(text)
    assert all(f.code.startswith("dkim.") for f in result.findings)
