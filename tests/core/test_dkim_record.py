"""The record to add, the verification link and the note to CIMcloud; and extracting records from a whole email."""

from __future__ import annotations

import base64

import pytest

from tests.core.test_dkim import data_key, private_key_der, rsa_public_b64
from wizard.core.dkim.extract import extract, extract_pairs
from wizard.core.dkim.record import message_for_cimcloud, record_to_add, verification_link

KEY = data_key("rsa2048-a")
OTHER = data_key("rsa2048-b")
RECORD = f"v=DKIM1; k=rsa; p={KEY}"


def test_record_to_add_has_both_host_forms_and_255_octet_strings() -> None:
    content = f"v=DKIM1; p={rsa_public_b64(4096)}"
    record = record_to_add("Example.com.", "cimcloud-abc", content)
    assert record.relative_name == "cimcloud-abc._domainkey"
    assert record.fqdn == "cimcloud-abc._domainkey.example.com"
    assert len(record.strings) == 3
    assert all(len(s.encode()) <= 255 for s in record.strings)
    assert "".join(record.strings) == content
    assert record.zone_file_line.startswith('cimcloud-abc._domainkey.example.com. IN TXT "v=DKIM1; p=')
    assert any("cimcloud-abc._domainkey.example.com.example.com" in w for w in record.warnings)


def test_short_record_is_one_string() -> None:
    assert record_to_add("example.com", "s", "v=DKIM1; p=").strings == ("v=DKIM1; p=",)


def test_verification_link_is_the_mxtoolbox_dkim_lookup() -> None:
    assert verification_link("Example.com", "cimcloud-a94f") == (
        "https://mxtoolbox.com/SuperTool.aspx?action=dkim%3aexample.com%3acimcloud-a94f&run=toolpage"
    )


def test_message_for_cimcloud_names_the_verified_domains() -> None:
    text = message_for_cimcloud(["example.com", "Example.org.", "example.com"], {"example.com": "cimcloud-a"})
    assert "cimcloud-a._domainkey.example.com" in text
    assert "- example.org" in text
    assert [line for line in text.splitlines() if line.startswith("- ")] == [
        "- example.com: cimcloud-a._domainkey.example.com",
        "- example.org",
    ]
    assert "activate DKIM" in text
    assert message_for_cimcloud([]) == ""


def wrapped(key: str, width: int = 76) -> str:
    return "\n".join(key[i : i + width] for i in range(0, len(key), width))


EMAIL = f"""Hello,

We have provisioned DKIM for your domains. Please add the records below.

Domain: example.com
DNS Record Type: TXT
DNS Record Name: cimcloud-aaa._domainkey
DNS Record Content: v=DKIM1; k=rsa; p={KEY}
Verification Link: https://mxtoolbox.com/SuperTool.aspx?action=dkim%3aexample.com%3acimcloud-aaa&run=toolpage

Domain: example.org
DNS Record Type: TXT
DNS Record Name: cimcloud-bbb._domainkey
DNS Record Content: v=DKIM1; k=rsa; p={wrapped(OTHER)}
Verification Link: https://mxtoolbox.com/SuperTool.aspx?action=dkim%3aexample.org%3acimcloud-bbb&run=toolpage

Thanks
CIMcloud Support
"""


def test_extract_pairs_from_a_support_reply() -> None:
    pairs = extract_pairs(EMAIL, ["example.com", "example.org"])
    found = {(p.domain, p.normalized.selector, p.normalized.content) for p in pairs}
    assert found == {
        ("example.com", "cimcloud-aaa", RECORD),
        ("example.org", "cimcloud-bbb", f"v=DKIM1; k=rsa; p={OTHER}"),
    }
    assert all(p.known for p in pairs)


def test_extract_uses_verification_links_when_the_text_mentions_no_domain() -> None:
    text = (
        f"Name: cimcloud-bbb._domainkey\nContent: v=DKIM1; p={OTHER}\n"
        f"Name: cimcloud-aaa._domainkey\nContent: v=DKIM1; p={KEY}\n\n"
        "https://mxtoolbox.com/SuperTool.aspx?action=dkim%3aexample.com%3acimcloud-aaa&run=toolpage\n"
        "https://mxtoolbox.com/SuperTool.aspx?action=dkim%3aexample.org%3acimcloud-bbb&run=toolpage\n"
    )
    pairs = {p.normalized.selector: p.domain for p in extract_pairs(text, ["example.com", "example.org"])}
    assert pairs == {"cimcloud-aaa": "example.com", "cimcloud-bbb": "example.org"}


def test_extract_zone_file_lines_and_fqdns() -> None:
    text = (
        f'cimcloud-aaa._domainkey.example.com. 3600 IN TXT ( "v=DKIM1; k=rsa; "\n "p={KEY[:200]}"\n "{KEY[200:]}" )\n'
        f'cimcloud-ccc._domainkey.shop.example.net. IN TXT "v=DKIM1; p={OTHER}"\n'
    )
    pairs = extract_pairs(text, ["example.com"])
    assert [(p.domain, p.known, p.normalized.content) for p in pairs] == [
        ("example.com", True, RECORD),
        ("shop.example.net", False, f"v=DKIM1; p={OTHER}"),
    ]


def test_a_wrapped_key_stops_where_the_key_ends() -> None:
    text = f"cimcloud-aaa._domainkey\nv=DKIM1; k=rsa; p={wrapped(KEY, 60)}\nThanks\nAbc\n"
    (pair,) = extract_pairs(text, ["example.com"])
    assert pair.normalized.content == RECORD


def test_private_key_in_the_pasted_email_is_reported_and_not_returned() -> None:
    encoded = base64.b64encode(private_key_der()).decode()
    pem = "-----BEGIN PRIVATE KEY-----\n" + wrapped(encoded, 64) + "\n-----END PRIVATE KEY-----"
    result = extract(EMAIL + "\n" + pem + "\nand in p=: cimcloud-ddd._domainkey v=DKIM1; p=" + encoded, ["example.com"])
    assert "dkim.private-key" in [f.code for f in result.findings]
    assert encoded[10:50] not in repr(result)
    assert len(result.pairs) == 3


@pytest.mark.timeout(30)
@pytest.mark.parametrize("junk", ["v=DKIM1 ", "_domainkey.", "a.", '"', "p=AAAA\n", "\x00\xff"])
def test_megabyte_pastes_of_repeated_fragments_finish(junk: str) -> None:
    extract((junk * (1_000_000 // len(junk))), ["example.com", "example.org"])
