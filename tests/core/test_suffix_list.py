"""The organizational domain from one top-level domain's rules is the one the whole Public Suffix List gives:
for names under every rule of the bundled list (wildcards, exceptions, international and private rules), for
names the list does not know, and for bare suffixes."""

from __future__ import annotations

import idna
import pytest
from publicsuffixlist import PSLFILE, PublicSuffixList

from wizard.core import names
from wizard.core.names import organizational_domain


def whole_list_answer(whole: PublicSuffixList, name: str) -> str:
    """organizational_domain as it was computed from the whole list (the reference)."""
    unicode = names.to_unicode(name)
    found = whole.privatesuffix(unicode)
    if not found:
        return name
    return ".".join(name.split(".")[-(found.count(".") + 1) :])


def rules() -> list[str]:
    with open(PSLFILE, encoding="utf-8") as file:
        words = (line.split(" ")[0].strip().lower() for line in file)
        return [w for w in words if w and not w.startswith("//")]


def ascii_name(unicode: str) -> str:
    return ".".join(idna.encode(label).decode() if not label.isascii() else label for label in unicode.split("."))


@pytest.fixture(scope="module")
def whole() -> PublicSuffixList:
    return PublicSuffixList(accept_encoded_idn=False)


def test_every_rule_of_the_list_gives_the_whole_lists_answer(whole: PublicSuffixList) -> None:
    listed = rules()
    assert len(listed) > 9000  # the bundled list, not an empty or partial one
    differ = []
    for rule in listed:
        suffix = rule.lstrip("!").removeprefix("*.")
        try:
            base = ascii_name(suffix)
        except idna.IDNAError:
            continue  # a rule the program's names (normalize_domain) could never reach
        for name in (base, f"shop.{base}", f"mail.shop.{base}"):
            if organizational_domain(name) != whole_list_answer(whole, name):
                differ.append(name)
    assert differ == []


@pytest.mark.parametrize(
    "name",
    ["realistic.test", "sub.example.test", "test", "a.b.c.example.invalid", "www.ck", "a.b.ck", "city.kawasaki.jp",
     "b.a.kawasaki.jp", "x.github.io", "github.io", "mail.shop.xn--fiqs8s", "example.com", "com"],
)  # fmt: skip
def test_names_the_list_does_not_name_or_names_specially(whole: PublicSuffixList, name: str) -> None:
    assert organizational_domain(name) == whole_list_answer(whole, name)


def test_a_name_under_an_unknown_tld_reads_no_rule() -> None:
    assert names._rules_for("test") == []
    assert "co.uk" in names._rules_for("uk")
