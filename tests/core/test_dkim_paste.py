"""The DKIM paste normalizer: every form admins paste gives the same canonical name and content, with notes."""

from __future__ import annotations

import base64
import itertools
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from tests.core.test_dkim import data_key, private_key_der
from wizard.core.dkim.paste import normalize, normalize_content, normalize_name
from wizard.core.txt import zone_file_value

KEY = data_key("rsa2048-a")
RECORD = f"v=DKIM1; k=rsa; p={KEY}"
SELECTOR = "cimcloud-a94fdfc80c2c46c782969bfb0fc4084e"
DOMAIN = "example.com"


def quoted_strings(value: str, size: int) -> str:
    return " ".join(f'"{value[i : i + size]}"' for i in range(0, len(value), size))


@pytest.mark.parametrize(
    ("pasted", "note"),
    [
        (RECORD, None),
        (f'"{RECORD}"', "removed the surrounding quotes"),
        (quoted_strings(RECORD, 255), "joined 2 quoted strings"),
        (f'( "v=DKIM1; k=rsa; "\n  "p={KEY[:150]}"\n  "{KEY[150:]}" )', "joined 3 quoted strings"),
        (f"v=DKIM1; k=rsa;\np={KEY[:64]}\n{KEY[64:128]}\n{KEY[128:]}", "line breaks inside the key"),
        (f"v=DKIM1; k=rsa; p={KEY[:100]} {KEY[100:]}", "spaces and line breaks"),
        (f'{SELECTOR}._domainkey.example.com. 3600 IN TXT "v=DKIM1; k=rsa; " "p={KEY}" ; CIMcloud', "zone-file"),
        (f"v=DKIM1\\; k=rsa\\; p={KEY}", "zone-file escapes"),
        (f"\u201c{RECORD}\u201d", "typographic quotes"),
        (f"v=DKIM1; k=rsa;\u200b p={KEY}", "invisible characters"),
        (f'v=DKIM1; k=rsa; p={KEY[:100]}" "{KEY[100:]}"', "joined 2 quoted strings"),
        (f"DNS Record Content: {RECORD}", "before the record"),
        (f"  {RECORD};  \n", None),
    ],
)
def test_pasted_forms_normalize_to_the_record(pasted: str, note: str | None) -> None:
    result = normalize_content(pasted)
    assert result.content == RECORD
    assert result.findings == ()
    if note is not None:
        assert any(note in n for n in result.notes), result.notes


def test_only_the_key_becomes_a_record() -> None:
    result = normalize_content(KEY)
    assert result.content == f"v=DKIM1; p={KEY}"
    assert any("only the key" in n for n in result.notes)


def test_zone_file_line_gives_the_name_when_the_name_field_is_empty() -> None:
    line = f'{SELECTOR}._domainkey IN TXT "{RECORD}"'
    result = normalize("", line, DOMAIN)
    assert (result.selector, result.content) == (SELECTOR, RECORD)
    assert result.fqdn == f"{SELECTOR}._domainkey.example.com"


@pytest.mark.parametrize(
    ("name", "note"),
    [
        (f"{SELECTOR}._domainkey", None),
        (f"{SELECTOR}._domainkey.example.com", "removed .example.com"),
        (f"{SELECTOR}._domainkey.example.com.", "trailing dot"),
        (f"{SELECTOR}._domainkey.example.com.example.com", "twice"),
        (f"{SELECTOR.upper()}._DOMAINKEY", None),
        (f"DNS Record Name: {SELECTOR}._domainkey", "kept only the record name"),
        (SELECTOR, "added ._domainkey"),
        (f"{SELECTOR}.domainkey", "underscore"),
        (f'"{SELECTOR}._domainkey"', None),
    ],
)
def test_name_forms_give_the_selector(name: str, note: str | None) -> None:
    result = normalize_name(name, DOMAIN)
    assert result.selector == SELECTOR
    assert result.findings == ()
    if note is not None:
        assert any(note in n for n in result.notes), result.notes


def test_a_name_for_another_domain_is_flagged() -> None:
    result = normalize_name(f"{SELECTOR}._domainkey.example.org", DOMAIN)
    assert [f.code for f in result.findings] == ["dkim.other-domain"]
    assert result.domain == "example.org"


@pytest.mark.parametrize("name", ["bad selector!._domainkey", "-x._domainkey", "a" * 64 + "._domainkey", "._domainkey"])
def test_bad_names_are_refused(name: str) -> None:
    result = normalize_name(name, DOMAIN)
    assert result.selector is None
    assert [f.code for f in result.findings] == ["dkim.bad-name"]


def test_normalized_record_has_relative_name_and_fqdn() -> None:
    result = normalize(f"{SELECTOR}._domainkey.example.com.", f'"{RECORD}"', DOMAIN)
    assert result.ok
    assert result.name == f"{SELECTOR}._domainkey"
    assert result.fqdn == f"{SELECTOR}._domainkey.example.com"


def pem_private_key() -> str:
    key = serialization.load_der_private_key(private_key_der(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


@pytest.mark.parametrize("form", ["pem", "p=", "bare"])
def test_a_private_key_is_reported_and_never_kept_or_echoed(form: str) -> None:
    encoded = base64.b64encode(private_key_der()).decode()
    pasted = {"pem": pem_private_key(), "p=": f"v=DKIM1; p={encoded}", "bare": encoded}[form]
    result = normalize(f"{SELECTOR}._domainkey", pasted, DOMAIN)
    assert result.private_key
    assert result.content == ""
    assert [f.code for f in result.findings] == ["dkim.private-key"]
    text = repr(result)
    for line in pasted.splitlines()[1:-1] or [pasted]:
        assert line[8:40] not in text
    assert encoded[10:50] not in text


def test_binary_junk_is_a_finding() -> None:
    result = normalize(os.urandom(200).decode("latin-1"), os.urandom(5000).decode("latin-1"), DOMAIN)
    assert any(f.code == "dkim.syntax" for f in result.findings)
    assert not result.ok


@pytest.mark.timeout(20)
def test_megabyte_pastes_finish() -> None:
    megabyte = "A " * 500_000
    for content in (megabyte, '"' + megabyte, "v=DKIM1; p=" + "A\n" * 500_000, '"x" ' * 250_000):
        normalize("s._domainkey" * 1000, content, DOMAIN)


# --- property-based: any way of splitting or wrapping a valid record normalizes back to it ----------------

KEYS = [data_key("rsa2048-a"), data_key("rsa2048-b")]


@st.composite
def split_points(draw: st.DrawFn, length: int) -> list[int]:
    points = draw(st.lists(st.integers(min_value=1, max_value=length - 1), max_size=8, unique=True))
    return sorted(points)


def pieces(text: str, points: list[int]) -> list[str]:
    bounds = [0, *points, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


@given(st.sampled_from(KEYS), st.data())
def test_any_split_into_quoted_strings_normalizes_back(key: str, data: st.DataObject) -> None:
    record = f"v=DKIM1; k=rsa; p={key}"
    parts = pieces(record, data.draw(split_points(len(record))))
    separator = data.draw(st.sampled_from([" ", "\n", "\n\t", "  ", " (\n ", "\r\n "]))
    pasted = separator.join(zone_file_value(p) if len(p.encode()) <= 255 else f'"{p}"' for p in parts)
    assert normalize_content(pasted).content == record


@given(st.sampled_from(KEYS), st.data())
def test_any_whitespace_inside_the_key_normalizes_back(key: str, data: st.DataObject) -> None:
    points = data.draw(split_points(len(key)))
    spaces = st.text(alphabet=" \t\n\r", min_size=1, max_size=3)
    wrapped = "".join(part + data.draw(spaces) for part in pieces(key, points)).rstrip()
    lead = data.draw(st.sampled_from(["", "  ", "\n", '"']))
    pasted = f"{lead}v=DKIM1;{data.draw(spaces)}k=rsa;{data.draw(spaces)}p={wrapped}"
    assert normalize_content(pasted).content == f"v=DKIM1; k=rsa; p={key}"


@given(st.text(max_size=400), st.text(max_size=80))
def test_normalize_never_raises(content: str, name: str) -> None:
    result = normalize(name, content, DOMAIN)
    assert all(f.code.startswith("dkim.") for f in result.findings)


def test_zone_file_escapes_take_ascii_digits_only() -> None:
    assert normalize_content('"v=DKIM1;\\032k=rsa; p=' + KEY + '"').content == f"v=DKIM1; k=rsa; p={KEY}"
    odd = normalize_content('"v=DKIM1; p=' + KEY + '\\٠٣٢"').content
    assert odd.endswith(KEY + "٠٣٢")  # '\٠٣٢' (Arabic-Indic digits) is not \032, the escape for a space
