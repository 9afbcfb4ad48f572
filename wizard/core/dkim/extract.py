"""Every DKIM name/content pair in a whole pasted email or support-task reply, matched to its domain.

Names are found around each `_domainkey`, contents from each `v=DKIM1` (quoted strings, or a line and the
base64 lines that continue its key), and each content is paired with the name before it. A pair's domain
comes from its FQDN, from CIMcloud's mxtoolbox verification link for the selector, or from the nearest
mention of one of the admin's domains before it. Private keys in the text are reported, never returned.
Linear time: no pattern here can backtrack over a megabyte paste.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from wizard.core.dkim.key import decode_base64, der_length, parse_tags, private_key_finding, strip_fws
from wizard.core.dkim.paste import NormalizedDkim, clean_text, normalize
from wizard.core.dkim.record import DOMAINKEY
from wizard.core.findings import Finding
from wizard.core.names import MAX_NAME

MAX_CONTENT = 20_000  # characters of one content; an 8192-bit key record is under 1,500
MAX_LINES = 200
MAX_RECORDS = 500  # names or contents taken from one paste; a support reply has a handful

_DOMAINKEY = re.compile(re.escape(DOMAINKEY), re.IGNORECASE)
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_DOMAIN_AFTER = re.compile(r"[A-Za-z0-9.-]*")
_VERSION = re.compile(r"v\s{0,3}=\s{0,3}DKIM1", re.IGNORECASE)
_QUOTED = re.compile(r'[\s()]*"((?:[^"\\]|\\.){0,4096})"', re.DOTALL)
_LINK = re.compile(r"dkim(?:%3a|:)([A-Za-z0-9.-]{1,253})(?:%3a|:)([A-Za-z0-9._-]{1,253})", re.IGNORECASE)
_PRIVATE_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----.{0,20000}?-----END [A-Z0-9 ]{0,40}-----", re.DOTALL
)
_PRIVATE_START = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----")
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")
_BASE64_LINE = re.compile(r'["\s]*[A-Za-z0-9+/]+={0,2}["\s;]*\Z')
_TAG_LINE = re.compile(r'\s*"?\s*[a-z]\s*=')


@dataclass(frozen=True)
class ExtractedPair:
    """One record found in the text: as found, and normalized for its domain.

    domain is None when nothing in the text tied the record to a domain; known says whether the domain is one
    of those the admin gave.
    """

    domain: str | None
    name_text: str
    content_text: str
    normalized: NormalizedDkim
    known: bool


@dataclass(frozen=True)
class Extraction:
    """The DKIM records found in a pasted text, and the findings about what could not be used."""

    pairs: tuple[ExtractedPair, ...]
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class _Found:
    """One piece of a pasted text and where it is in the text."""

    start: int
    end: int
    text: str


def extract_pairs(text: str, domains: Sequence[str]) -> list[ExtractedPair]:
    """The DKIM records in a pasted block of text, each matched to one of `domains` where the text says which."""
    return list(extract(text, domains).pairs)


def extract(text: str, domains: Sequence[str]) -> Extraction:
    """extract_pairs, plus findings about the text itself (a private key in it)."""
    findings: list[Finding] = []
    if _PRIVATE_START.search(text):
        findings.append(private_key_finding())
        text = _drop_private_keys(text)
    cleaned, _, _ = clean_text(text)
    wanted = [d.rstrip(".").lower() for d in domains if d.strip()]
    names = _names(cleaned)
    contents = _contents(cleaned)
    links = _links(cleaned)
    mentions = _mentions(cleaned, wanted)
    pairs: dict[tuple[str | None, str | None, str], ExtractedPair] = {}
    for name, content in _pair(names, contents):
        position = name.start if name else content.start if content else 0
        domain = _domain_for(name, links, wanted, mentions, position)
        normalized = normalize(name.text if name else "", content.text if content else "", domain)
        if normalized.private_key and not any(f.code == "dkim.private-key" for f in findings):
            findings.append(private_key_finding())
        pair = ExtractedPair(
            domain, name.text if name else "", "" if normalized.private_key else (content.text if content else ""),
            normalized, domain in wanted,
        )  # fmt: skip
        pairs.setdefault((domain, normalized.selector, normalized.content), pair)
    return Extraction(tuple(pairs.values()), tuple(findings))


def _drop_private_keys(text: str) -> str:
    """The text with every private key block blanked out (an unterminated one up to the end of its paragraph)."""
    text = _PRIVATE_BLOCK.sub(" ", text)
    while (match := _PRIVATE_START.search(text)) is not None:
        end = _PARAGRAPH_END.search(text, match.end())
        text = text[: match.start()] + " " + (text[end.start() :] if end else "")
    return text


def _names(text: str) -> list[_Found]:
    found = []
    for seen, match in enumerate(_DOMAINKEY.finditer(text)):
        if seen >= 10 * MAX_RECORDS:
            break
        start = max(0, match.start() - MAX_NAME)
        for other in _NOT_NAME.finditer(text, start, match.start()):
            start = other.end()
        after = _DOMAIN_AFTER.match(text, match.end(), match.end() + MAX_NAME)
        end = after.end() if after else match.end()
        name = text[start:end].strip(".")
        if name.lower().startswith(DOMAINKEY) or not name:
            continue  # no selector before _domainkey
        found.append(_Found(start, end, name))
        if len(found) >= MAX_RECORDS:
            break
    return found


def _contents(text: str) -> list[_Found]:
    found: list[_Found] = []
    for match in _VERSION.finditer(text):
        if found and match.start() < found[-1].end:
            continue
        before = text[: match.start()].rstrip(" \t(")
        if before.endswith('"'):
            found.append(_quoted_span(text, len(before) - 1))
        else:
            found.append(_line_span(text, match.start()))
        if len(found) >= MAX_RECORDS:
            break
    return found


def _quoted_span(text: str, start: int) -> _Found:
    """From an opening quote: the quoted strings that follow each other (whitespace and parentheses between)."""
    end = start
    while end - start < MAX_CONTENT:
        match = _QUOTED.match(text, end)
        if match is None:
            break
        end = match.end()
    if end == start:  # never closed: take the line
        return _line_span(text, start)
    return _Found(start, end, text[start:end])


def _line_span(text: str, start: int) -> _Found:
    """From v=DKIM1 to the end of its line, plus the following lines while the key is visibly incomplete."""
    end = _line_end(text, start)
    for _ in range(MAX_LINES):
        if end >= len(text) or end - start > MAX_CONTENT:
            break
        following = _line_end(text, end + 1)
        line = text[end + 1 : following]
        if not _continues(text[start:end], line):
            break
        end = following
    return _Found(start, end, text[start:end])


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _continues(record: str, line: str) -> bool:
    """Whether the next line is more of this record: a tag after a record ending in ';', or more of the key."""
    key = parse_tags(record).get("p")
    if key is None:
        return record.rstrip().endswith(";") and _TAG_LINE.match(line) is not None
    return _BASE64_LINE.match(line) is not None and _key_incomplete(strip_fws(key.strip('"')))


def _key_incomplete(key: str) -> bool:
    if not key or len(key) % 4:
        return bool(key)
    raw, problem = decode_base64(key)
    if problem is not None or raw is None:
        return False
    declared = der_length(raw)
    return declared is not None and declared > len(raw)


def _links(text: str) -> dict[str, str]:
    """selector -> domain, from mxtoolbox verification links (`action=dkim%3a<domain>%3a<selector>`)."""
    return {m.group(2).lower(): m.group(1).lower().rstrip(".") for m in _LINK.finditer(text)}


def _pair(names: list[_Found], contents: list[_Found]) -> list[tuple[_Found | None, _Found | None]]:
    """Each content with the nearest name before it (not yet used), else the next unused name after it."""
    used: set[int] = set()
    pairs: list[tuple[_Found | None, _Found | None]] = []
    for content in contents:
        before = [i for i, n in enumerate(names) if n.start < content.start and i not in used]
        after = [i for i, n in enumerate(names) if n.start >= content.start and i not in used]
        index = before[-1] if before else (after[0] if after else None)
        if index is not None:
            used.add(index)
        pairs.append((names[index] if index is not None else None, content))
    for i, name in enumerate(names):
        if i not in used and not any(n is not None and n.text.lower() == name.text.lower() for n, _ in pairs):
            pairs.append((name, None))
    return pairs


def _domain_for(
    name: _Found | None, links: dict[str, str], wanted: list[str], mentions: list[tuple[int, str]], position: int
) -> str | None:
    if name is not None:
        selector, _, rest = name.text.lower().partition(f".{DOMAINKEY}")
        rest = rest.lstrip(".")
        if rest:
            half = rest[: len(rest) // 2]
            return half if rest == f"{half}.{half}" else rest
        if selector in links:
            return links[selector]
    index = bisect.bisect_left(mentions, (position, ""))
    if index > 0:
        return mentions[index - 1][1]
    return wanted[0] if len(wanted) == 1 else None


def _mentions(text: str, domains: list[str]) -> list[tuple[int, str]]:
    """(position, domain) of every mention of one of the domains as a whole name, sorted by position."""
    found = []
    for domain in domains:
        pattern = re.compile(r"(?<![A-Za-z0-9.-])" + re.escape(domain) + r"(?![A-Za-z0-9-])", re.IGNORECASE)
        found += [(m.start(), domain) for m in pattern.finditer(text)]
    return sorted(found)
