"""Domain-name input: what an admin types or pastes, turned into one ASCII DNS name or a clear refusal."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList


class DomainError(ValueError):
    """The text is not a usable domain name; the message says why, in plain words."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"{text!r} is not a domain name: {reason}")


_LDH = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
MAX_NAME = 253
MAX_LABEL = 63


def is_label(text: str) -> bool:
    """One host-name label, lower case: letters, digits, '_' and inner '-', at most MAX_LABEL characters."""
    return len(text) <= MAX_LABEL and _LDH.fullmatch(text) is not None


NAME_MEMORY = 4096  # names whose organizational domain is kept


def normalize_domain(text: str, *, allow_email: bool = False) -> str:
    """Return the lower-case ASCII (A-label) form of a domain name, without the trailing dot.

    Unicode names are converted with IDNA 2008 (UTS #46 mapping, so "Bücher.DE" works).
    With allow_email, "someone@example.com" gives "example.com"; without it, it is refused.
    Raises DomainError naming the problem.
    """
    raw = text
    name = text.strip()
    if not name:
        raise DomainError(raw, "it is empty")
    if _URL.match(name) or "/" in name:
        raise DomainError(raw, "it looks like a web address; enter only the domain, e.g. example.com")
    if "@" in name:
        local, _, host = name.rpartition("@")
        if not allow_email or not local or not host:
            raise DomainError(raw, "it looks like an email address; enter only the part after @")
        name = host.strip()
    if any(c.isspace() for c in name):
        raise DomainError(raw, "it contains a space")
    if name.endswith("."):
        name = name[:-1]
    if not name:
        raise DomainError(raw, "it is only a dot")
    labels = name.split(".")
    if any(label == "" for label in labels):
        raise DomainError(raw, "it has an empty label (two dots in a row, or a leading dot)")
    ascii_labels = []
    for label in labels:
        ascii_labels.append(_to_ascii_label(raw, label))
    result = ".".join(ascii_labels)
    if len(result) > MAX_NAME:
        raise DomainError(raw, f"it is {len(result)} characters long; a domain name has at most {MAX_NAME}")
    if len(ascii_labels) < 2:
        raise DomainError(raw, "it has only one label; a mail domain looks like example.com")
    if ascii_labels[-1].isdigit():
        raise DomainError(raw, "it looks like an IP address, not a domain name")
    return result


def _to_ascii_label(raw: str, label: str) -> str:
    if label.isascii():
        ascii_label = label.lower()
    else:
        import idna  # its tables load for the first international name, not for every start-up

        try:
            ascii_label = idna.encode(label, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise DomainError(raw, f"the label {label!r} is not a valid international name ({exc})") from None
    if len(ascii_label) > MAX_LABEL:
        raise DomainError(
            raw, f"the label {label[:20]!r}... is {len(ascii_label)} characters; a label has at most {MAX_LABEL}"
        )
    if not _LDH.match(ascii_label):
        bad = sorted({c for c in ascii_label if not (c.isalnum() or c in "-_")})
        if bad:
            raise DomainError(raw, f"the label {label!r} contains {''.join(bad)!r}; use letters, digits and hyphens")
        raise DomainError(raw, f"the label {label!r} starts or ends with a hyphen")
    return ascii_label


def to_unicode(name: str) -> str:
    """The display form of an ASCII name (xn-- labels decoded), for showing to people."""
    import idna

    try:
        return ".".join(idna.decode(label) if label.startswith("xn--") else label for label in name.split("."))
    except idna.IDNAError:
        return name


def load_suffix_list() -> None:
    """Read the Public Suffix List bundled with publicsuffixlist (once per process: no download)."""
    _suffix_list()


@lru_cache(maxsize=1)
def _suffix_list() -> bytes:
    """The list's text, UTF-8, ASCII letters lowered (bytes, searched whole: a loop over its 16,000 lines cost
    more than parsing the rules found)."""
    from publicsuffixlist import PSLFILE

    with open(PSLFILE, "rb") as file:
        return file.read().lower()


@cache
def _psl(tld: str) -> PublicSuffixList:
    """The Public Suffix List's rules for one top-level domain (Unicode), parsed by publicsuffixlist.

    Only a rule whose last label is the name's own can match it (PSL algorithm, steps 1-3; a name no rule
    matches falls to the implicit `*`), so a name's answer from its TLD's rules is the whole list's
    (tests/core/test_suffix_list.py compares both over the list). Parsing the whole list cost 110 M instructions,
    about 40 ms, every run that reads a DMARC record; one TLD's rules cost one search of the lines. The rules
    stay in Unicode, not also IDNA-encoded (encoding them was 80 % of parsing the whole list): names are
    matched in Unicode."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(_rules_for(tld), accept_encoded_idn=False)


def _rules_for(tld: str) -> list[str]:
    """The rules (each line's first word, as publicsuffixlist reads it) whose last label is `tld`."""
    if not tld:
        return []
    text = _suffix_list()
    label = tld.encode()
    dotted = b"." + label
    rules = []
    found = text.find(label)
    while found >= 0:  # each line that holds the label
        start = text.rfind(b"\n", 0, found) + 1
        end = text.find(b"\n", found)
        end = len(text) if end < 0 else end
        rule = text[start:end].split(b" ")[0].rstrip()
        if rule == label or (rule.endswith(dotted) and not rule.startswith(b"//")):
            rules.append(rule.decode())
        found = text.find(label, end)
    return rules


@lru_cache(maxsize=NAME_MEMORY)
def organizational_domain(domain: str) -> str:
    """The registrable domain per the Public Suffix List (`sub.example.test` → `example.test`).

    A name the list does not know ends in an implicit one-label suffix (`test`), as the list's `*` rule says;
    a name that is itself a public suffix is its own organizational domain. An A-label name is matched in its
    Unicode form and answered in its own (A-label) labels. Kept per name (the list does not change while the
    program runs; the DMARC walk and its report addresses ask for the same names several times per domain).
    """
    name = domain.rstrip(".").lower()
    unicode = to_unicode(name)
    found = _psl(unicode.rpartition(".")[2]).privatesuffix(unicode)
    if not found:
        return name
    return ".".join(name.split(".")[-(found.count(".") + 1) :])


MAX_WALK_LABELS = 7  # DMARCbis: a name of 8 or more labels jumps straight to its 7-label ancestor


def walk_names(domain: str) -> list[str]:
    """The domains whose `_dmarc` record DMARCbis's tree walk asks for, nearest first. (Here, not in
    core.dmarc.discovery: the checks send these questions before the DMARC modules are loaded.)"""
    labels = domain.rstrip(".").lower().split(".")
    names = [".".join(labels)]
    for count in range(min(len(labels) - 1, MAX_WALK_LABELS), 0, -1):
        names.append(".".join(labels[-count:]))
    return names
