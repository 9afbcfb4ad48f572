"""Tag-list records (`name=value; ...`) and report addresses, shared by DMARC, TLS-RPT and MTA-STS.

Also the composers' common error type. No I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from wizard.core.findings import Finding, Severity, error, warning
from wizard.core.names import DomainError, normalize_domain

_SIZE = re.compile(r"([0-9]{1,15})([kmgt]?)\Z", re.IGNORECASE)  # [0-9], not \d: \d matches every script's digits
ASCII_DIGITS = frozenset("0123456789")
MAX_NUMBER_DIGITS = 20
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")  # RFC 3986 3.1
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")


def ascii_number(text: str, limit: int) -> int | None:
    """The whole number `text` spells in ASCII digits, or None when it is not one or exceeds `limit`.

    Every record grammar here (DMARC, DKIM, MTA-STS, TLS-RPT) allows only DIGIT = %x30-39, whereas str.isdigit()
    and int() also accept other scripts' digits ('²', '٣'): int('²') raises, and int('٣') would read a number a
    receiver never would."""
    if not text or len(text) > MAX_NUMBER_DIGITS or not ASCII_DIGITS.issuperset(text):
        return None
    number = int(text)
    return number if number <= limit else None


FWS = " \t\r\n"  # the whitespace RFC 6376 3.2 allows around names and values (DMARC 6.3 takes that syntax)


@dataclass(frozen=True)
class Tag:
    """One `name=value` pair of a tag-list record; name as written (tag names are case-sensitive: RFC 6376 3.2,
    which DMARC 6.3 adopts; RFC 8460 and 8461 write theirs as case-sensitive %s strings), value without the
    surrounding FWS, start = offset in the text."""

    name: str
    value: str
    start: int = 0


def tag_specs(text: str) -> Iterator[tuple[int, str]]:
    """Each ';'-separated tag-spec of a tag-list with its offset in the text, empty ones included."""
    offset = 0
    for part in text.split(";"):
        yield offset, part
        offset += len(part) + 1


def read_spec(part: str, start: int = 0) -> Tag | None:
    """One tag-spec as a Tag, or None when it is not `name=value` (no '=' or no name)."""
    name, eq, value = part.partition("=")
    name = name.strip(FWS)
    if not eq or not name:
        return None
    return Tag(name, value.strip(FWS), start + len(part) - len(part.lstrip(FWS)))


def split_tag_list(text: str) -> tuple[list[Tag], list[str]]:
    """Split `a=b; c=d` into tags, and say which parts are not `name=value` (empty parts are skipped).

    The one tag-list splitter: DMARC, TLS-RPT, the MTA-STS record and DKIM keys (dkim.key.parse_tags) use it."""
    tags: list[Tag] = []
    bad: list[str] = []
    for start, part in tag_specs(text):
        if not part.strip(FWS):
            continue
        tag = read_spec(part, start)
        if tag is None:
            bad.append(part.strip(FWS))
        else:
            tags.append(tag)
    return tags, bad


def read_tag_list(text: str, what: str, code: str) -> tuple[list[Tag], list[Finding]]:
    """Split a tag-list record, with `code` errors for non-ASCII text and parts that are not name=value."""
    problems: list[Finding] = []
    bad_chars = non_ascii_problem(text, what, code)
    if bad_chars:
        problems.append(bad_chars)
    tags, junk = split_tag_list(text)
    fix = "Separate name=value pairs with ';'."
    problems += [error(code, f"{part[:60]!r} is not a name=value pair.", fix) for part in junk]
    return tags, problems


def no_errors(problems: Iterable[Finding]) -> bool:
    """True when none of the problems is an error (the record is used as written)."""
    return not any(p.severity is Severity.ERROR for p in problems)


def non_ascii_problem(text: str, what: str, code: str) -> Finding | None:
    """An error naming the first character outside printable ASCII (or a line break), if there is one."""
    for i, ch in enumerate(text):
        if not (" " <= ch <= "~" or ch == "\t"):
            shown = "a byte that is not UTF-8" if ch == "\ufffd" else repr(ch)
            return error(
                code,
                f"The {what} contains {shown} at position {i + 1}; only plain ASCII text is allowed.",
                "Retype the record by hand instead of pasting it from a word processor or chat.",
            )
    return None


def cap_repeats(problems: list[Finding], limit: int = 20) -> list[Finding]:
    """Errors first; at most `limit` findings of one code, the rest summed up in one more (a junk record
    with thousands of bad tags must not bury the report)."""
    kept: list[Finding] = []
    dropped: Counter[Finding] = Counter()
    seen: Counter[str] = Counter()
    for problem in sorted(problems, key=lambda f: list(Severity).index(f.severity)):
        seen[problem.code] += 1
        if seen[problem.code] <= limit:
            kept.append(problem)
        elif seen[problem.code] == limit + 1:
            dropped[problem] = 1
    for first in dropped:
        more = seen[first.code] - limit
        kept.append(Finding(first.code, first.severity, f"... and {more} more problems like these.", first.fix))
    return kept


# ---------------------------------------------------------------------------------------------- report URIs


@dataclass(frozen=True)
class ReportUri:
    """One reporting address: `mailto:dmarc@example.com!10m` gives address, domain and a 10 MiB size limit."""

    uri: str
    scheme: str
    address: str
    domain: str
    size_limit: int | None = None


def parse_uri_list(
    value: str,
    tag: str,
    code: str,
    schemes: Sequence[str] = ("mailto",),
    allow_size: bool = True,
    *,
    foreign: str = "",
) -> tuple[list[ReportUri], list[Finding]]:
    """Parse a comma-separated list of report URIs; each bad one gives a `code` error naming it.

    With `foreign` (a finding code), a well-formed URI of another scheme is a warning under that code, not an
    error, and is left out: the record stays valid (RFC 7489 6.2 allows any URI; receivers need only mailto:).
    """
    uris: list[ReportUri] = []
    problems: list[Finding] = []
    for raw in value.split(","):
        item = raw.strip()
        scheme = item.partition(":")[0]
        if foreign and ":" in item and _SCHEME.match(scheme) and scheme.lower() not in schemes:
            shown = item if len(item) <= 80 else item[:77] + "..."
            problems.append(
                warning(
                    foreign,
                    f"{tag}= lists {shown!r}: receivers are required to send reports only to "
                    f"{' or '.join(s + ':' for s in schemes)} addresses, so most will not use it.",
                    "Use mailto:name@example.com (or your DMARC report service's mailto: address).",
                )
            )
            continue
        try:
            uris.append(_parse_uri(item, schemes, allow_size))
        except ValueError as exc:
            shown = item if len(item) <= 80 else item[:77] + "..."
            problems.append(
                error(code, f"{tag}= has an unusable address {shown!r}: {exc}.", "Use mailto:name@example.com.")
            )
    return uris, problems


def _parse_uri(item: str, schemes: Sequence[str], allow_size: bool) -> ReportUri:
    if not item:
        raise ValueError("the entry is empty (a stray comma?)")
    scheme, colon, rest = item.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in schemes:
        raise ValueError(f"it must start with {' or '.join(s + ':' for s in schemes)}")
    size: int | None = None
    if allow_size and "!" in rest:
        rest, _, size_text = rest.rpartition("!")
        match = _SIZE.match(size_text)
        if not match:
            raise ValueError(f"the size limit {size_text!r} is not a number with an optional k, m, g or t")
        size = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if scheme == "https":
        host = rest.removeprefix("//").split("/", 1)[0].split(":", 1)[0]
        return ReportUri(item, scheme, rest, _domain_of(host), size)
    address = rest.split("?", 1)[0]
    local, at, host = address.rpartition("@")
    if not at or not local:
        raise ValueError("it is not an email address (name@domain)")
    if not _LOCAL_PART.match(local):
        raise ValueError(f"the part before @ ({local!r}) has characters that are not allowed")
    return ReportUri(item, scheme, address, _domain_of(host), size)


def _domain_of(host: str) -> str:
    try:
        return normalize_domain(host)
    except DomainError as exc:
        raise ValueError(exc.reason) from None


class ComposeError(ValueError):
    """An input the composer cannot use; `field` names the input, `reason` says why."""

    def __init__(self, field_name: str, text: str, reason: str) -> None:
        self.field = field_name
        self.text = text
        self.reason = reason
        super().__init__(f"{field_name}: {text!r}: {reason}")


def report_uri(
    field_name: str, address: str, schemes: Sequence[str] = ("mailto",), allow_size: bool = True
) -> ReportUri:
    """One destination typed by the admin (a bare address becomes mailto:); ComposeError if unusable."""
    text = address.strip()
    if not text.lower().startswith(tuple(s + ":" for s in schemes)):
        text = "mailto:" + text
    uris, problems = parse_uri_list(text, field_name, "dmarc.syntax", schemes, allow_size)
    if problems or len(uris) != 1:
        reason = problems[0].message if problems else "give one address per entry"
        raise ComposeError(field_name, address, reason)
    return uris[0]
