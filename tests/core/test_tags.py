"""The one tag-list splitter and the ASCII number reader every record parser shares."""

from __future__ import annotations

import pytest

from wizard.core.dkim.key import parse_tags
from wizard.core.tags import ascii_number, split_tag_list


def test_names_keep_their_case_and_only_fws_is_stripped() -> None:
    tags, bad = split_tag_list("v=DMARC1;\r\n P = reject ;\u00a0sp=none; junk")
    assert [(t.name, t.value) for t in tags] == [("v", "DMARC1"), ("P", "reject"), ("\u00a0sp", "none")]
    assert bad == ["junk"]
    assert tags[1].start == 12


def test_dkim_uses_the_same_splitter() -> None:
    text = "v=DKIM1;\r\n P = x ;\u00a0s=email"
    assert [(t.name, t.value) for t in parse_tags(text).tags] == [("v", "DKIM1"), ("P", "x")]
    assert any("not a valid tag name" in p.message for p in parse_tags(text).problems)


@pytest.mark.parametrize(
    ("text", "limit", "number"),
    [("0", 100, 0), ("100", 100, 100), ("101", 100, None), ("", 100, None), ("1 ", 100, None), ("+1", 100, None),
     ("-1", 100, None), ("²", 100, None), ("٣", 100, None), ("1_0", 100, None), ("9" * 21, 10**30, None)],
)  # fmt: skip
def test_ascii_number(text: str, limit: int, number: int | None) -> None:
    assert ascii_number(text, limit) == number
