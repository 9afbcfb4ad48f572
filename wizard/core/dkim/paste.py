"""What admins paste as a DKIM record name and content, turned into the canonical name and content.

Accepts the name alone or as an FQDN (with or without the trailing dot, even with the zone doubled), and the
content bare, quoted, split into several quoted strings, wrapped over lines, with stray whitespace inside p=,
or as a whole zone-file line. Every clean-up is reported as a note. A private key pasted by mistake is
reported and dropped: it is never returned, stored or quoted. Pure, no I/O; linear time on any input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wizard.core.dkim.key import (
    canonical,
    decode_base64,
    is_private_key,
    parse_tags,
    private_key_finding,
    strip_fws,
)
from wizard.core.dkim.record import DOMAINKEY
from wizard.core.findings import Finding, Severity, error, warning
from wizard.core.names import MAX_NAME, is_label

MIN_BARE_KEY = 40  # shorter base64 alone is not taken for a key

_PRIVATE_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_VERSION = re.compile(r"v\s*=\s*DKIM1", re.IGNORECASE)
_FIRST_TAG = re.compile(r"(?<![A-Za-z0-9_+/])[kp]\s*=")
_UNESCAPED_QUOTE = re.compile(r'(?<!\\)"')
_ESCAPE = re.compile(r"\\([0-9]{3}|.)", re.DOTALL)  # \DDD: ASCII digits only (RFC 1035 5.1)
_BARE_BASE64 = re.compile(r"[A-Za-z0-9+/\s]+={0,2}\Z")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_LOOKALIKES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00a0": " ", "\u2007": " ", "\u202f": " "})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_JUNK_SHARE = 0.1


@dataclass(frozen=True)
class NameResult:
    """The selector read from a pasted record name, with what was cleaned up and what is wrong."""

    selector: str | None
    notes: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    domain: str | None = None  # the domain an FQDN named, when it named one


@dataclass(frozen=True)
class ContentResult:
    """The canonical content read from a paste ("" when nothing usable), and the name a zone-file line gave."""

    content: str
    notes: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    name_text: str | None = None
    private_key: bool = False


@dataclass(frozen=True)
class NormalizedDkim:
    """A pasted name and content for one domain, normalized.

    name is relative (`sel._domainkey`), fqdn absolute without the final dot; content is canonical ("" when the
    paste held no usable record, or held a private key, which is never kept).
    """

    domain: str | None
    selector: str | None
    content: str
    notes: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    private_key: bool = False

    @property
    def name(self) -> str | None:
        return f"{self.selector}.{DOMAINKEY}" if self.selector else None

    @property
    def fqdn(self) -> str | None:
        if not self.selector or not self.domain:
            return None
        return f"{self.selector}.{DOMAINKEY}.{self.domain}"

    @property
    def ok(self) -> bool:
        return bool(self.selector and self.content) and not any(f.severity is Severity.ERROR for f in self.findings)


def normalize(name_text: str, content_text: str, domain: str | None) -> NormalizedDkim:
    """Normalize a pasted record name and content for `domain` (None: the name is taken as it is)."""
    domain = domain.rstrip(".").lower() if domain else None
    content = normalize_content(content_text)
    notes = list(content.notes)
    findings = list(content.findings)
    raw_name = name_text
    if not name_text.strip() and content.name_text:
        raw_name = content.name_text
        notes.append("took the record name from the zone-file line")
    name = normalize_name(raw_name, domain) if raw_name.strip() else NameResult(None)
    if name.findings and any(f.code == "dkim.private-key" for f in name.findings):
        return NormalizedDkim(domain, None, "", (), name.findings, private_key=True)
    notes += name.notes
    findings += name.findings
    return NormalizedDkim(
        domain or name.domain,
        name.selector,
        content.content,
        tuple(notes),
        tuple(findings),
        private_key=content.private_key,
    )


# --- text clean-up -----------------------------------------------------------------------------------------


def clean_text(text: str) -> tuple[str, list[str], list[Finding]]:
    """Remove invisible characters and control bytes, straighten typographic quotes and spaces."""
    notes: list[str] = []
    findings: list[Finding] = []
    cleaned = text.translate(_INVISIBLE)
    if len(cleaned) != len(text):
        notes.append("removed invisible characters (zero-width spaces, soft hyphens)")
    straight = cleaned.translate(_LOOKALIKES)
    if straight != cleaned:
        notes.append("replaced typographic quotes and non-breaking spaces")
    controls = len(_CONTROL.findall(straight))
    if controls:
        straight = _CONTROL.sub("", straight)
        if controls > _JUNK_SHARE * max(1, len(text)):
            findings.append(
                error(
                    "dkim.syntax",
                    "The pasted text is mostly not text (binary data or a wrong encoding).",
                    "Copy the record again from CIMcloud's message as plain text.",
                )
            )
        else:
            notes.append(f"removed {controls} control character{'s' if controls > 1 else ''}")
    return straight.replace("\r\n", "\n").replace("\r", "\n"), notes, findings


def has_private_key(text: str) -> bool:
    """A PEM private key block anywhere in the text."""
    return _PRIVATE_PEM.search(text) is not None


def excerpt(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the record name --------------------------------------------------------------------------------------


def normalize_name(text: str, domain: str | None) -> NameResult:
    """The selector from `sel._domainkey`, `sel._domainkey.example.com.`, the doubled form, or a bare selector."""
    if has_private_key(text):
        return NameResult(None, findings=(private_key_finding(),))
    cleaned, notes, findings = clean_text(text)
    name = _name_token(cleaned)
    if name != cleaned.strip():
        notes.append("kept only the record name from the pasted text")
    if name.endswith("."):
        name = name.rstrip(".")
        notes.append("removed the trailing dot")
    if name != name.lower():
        name = name.lower()
    selector, named_domain, name_notes, name_findings = _split_name(name, domain)
    notes += name_notes
    findings += name_findings
    if selector is not None or name:
        problem = _selector_problem(selector or "", domain or named_domain)
        if problem:
            findings.append(error("dkim.bad-name", problem, "Copy the record name exactly as CIMcloud sent it."))
            selector = None
    return NameResult(selector, tuple(notes), tuple(findings), named_domain)


def _name_token(text: str) -> str:
    """The token that is the name: the one containing _domainkey, else the last token (after `Name:` labels)."""
    tokens = [t.strip("\"'<>`,;()") for t in text.split()]
    tokens = [t for t in tokens if t]
    for token in tokens:
        if DOMAINKEY in token.lower():
            return token
    return tokens[-1] if tokens else ""


def _split_name(name: str, domain: str | None) -> tuple[str | None, str | None, list[str], list[Finding]]:
    """(selector, domain named by an FQDN, notes, findings) for a name already lower-cased, without final dot."""
    notes: list[str] = []
    findings: list[Finding] = []
    marker = f".{DOMAINKEY}"
    if marker not in name and ".domainkey" in name:
        name = name.replace(".domainkey", marker, 1)
        notes.append("wrote 'domainkey' as '_domainkey' (with the underscore)")
    if marker not in name:
        if domain and name.endswith("." + domain):
            name = name[: -len(domain) - 1]
            notes.append(f"removed .{domain} from the name")
        notes.append(f"added .{DOMAINKEY} after the selector")
        return (name or None), None, notes, findings
    selector, _, rest = name.partition(marker)
    if not rest:
        return (selector or None), None, notes, findings
    rest = rest.lstrip(".")
    if domain and rest == f"{domain}.{domain}":
        notes.append(f"the name had {domain} twice; removed the second one")
        return selector, domain, notes, findings
    if domain and rest != domain:
        findings.append(
            warning(
                "dkim.other-domain",
                f"The name {excerpt(name, 80)} belongs to {rest}, not to {domain}.",
                f"Use the record CIMcloud sent for {domain}, or check {rest} instead.",
            )
        )
        return selector, rest, notes, findings
    notes.append(f"removed .{rest} from the name (most DNS providers add the domain themselves)")
    return selector, rest, notes, findings


def _selector_problem(selector: str, domain: str | None) -> str | None:
    if not selector:
        return "The record name has no selector before ._domainkey."
    labels = selector.split(".")
    for label in labels:
        if not is_label(label):
            return f"{excerpt(selector)!r} is not a DKIM selector (letters, digits and hyphens, dot-separated)."
    total = len(selector) + len(DOMAINKEY) + 1 + (len(domain) + 1 if domain else 0)
    if total > MAX_NAME:
        return f"The record name would be {total} characters long; DNS names have at most {MAX_NAME}."
    return None


# --- the record content -----------------------------------------------------------------------------------


def normalize_content(text: str) -> ContentResult:
    """The canonical record content from a pasted value in any of the usual forms."""
    if has_private_key(text):
        return ContentResult("", findings=(private_key_finding(),), private_key=True)
    cleaned, notes, findings = clean_text(text)
    start, prefix = _record_start(cleaned)
    name_text = _zone_line_name(prefix)
    if prefix.strip():
        what = "the zone-file name, TTL, class and type" if name_text else f"{excerpt(prefix)!r}"
        notes.append(f"removed {what} before the record")
    joined, join_notes = _join_strings(cleaned[start:])
    notes += join_notes
    unescaped = _unescape(joined)
    if unescaped != joined:
        notes.append('removed zone-file escapes (\\; and \\")')
    record = unescaped.strip()
    record, bare_notes = _bare_key(record)
    notes += bare_notes
    if _holds_private_key(record):
        return ContentResult("", findings=(private_key_finding(),), private_key=True)
    content, canon_notes = _canonical_form(record)
    notes += canon_notes
    return ContentResult(content, tuple(notes), tuple(findings), name_text)


def _record_start(text: str) -> tuple[int, str]:
    """Where the record begins (at its opening quote when it is quoted) and the text before it."""
    match = _VERSION.search(text) or _FIRST_TAG.search(text)
    first_quote = text.find('"')
    if first_quote >= 0 and (match is None or first_quote < match.start()) and "=" not in text[:first_quote]:
        return first_quote, text[:first_quote]  # a quoted record, perhaps split inside v=DKIM1
    if match is None:
        return 0, ""
    start = match.start()
    before = text[:start].rstrip(" \t\n(")
    if before.endswith('"'):
        start = len(before) - 1
    return start, text[:start]


def _zone_line_name(prefix: str) -> str | None:
    for token in prefix.split():
        if DOMAINKEY in token.lower():
            return token
    return None


def _join_strings(text: str) -> tuple[str, list[str]]:
    """Join the quoted strings of a record (RFC 6376 3.6.2.2: no separator); drop what follows them."""
    if '"' not in text:
        return text, []
    parts = _UNESCAPED_QUOTE.split(text)
    if not parts[0].strip():
        parts = parts[1:]  # the text opened with a quote
    elif len(parts) == 2:
        return parts[0] + parts[1], ["removed a stray quote"]
    strings = [parts[0]]
    index = 1
    while index + 1 < len(parts):
        between, following = parts[index], parts[index + 1]
        if between.strip(" \t\n()"):
            break
        strings.append(following)
        index += 2
    notes = []
    if len(strings) > 1:
        notes.append(f"joined {len(strings)} quoted strings into one value")
    else:
        notes.append("removed the surrounding quotes")
    return "".join(strings), notes


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if len(code) == 3:
            value = int(code)
            return chr(value) if value < 256 else match.group(0)
        return code

    return _ESCAPE.sub(replace, text)


def _bare_key(record: str) -> tuple[str, list[str]]:
    """Only the key was pasted (no tags): the record is `v=DKIM1; p=<key>`."""
    if "=" in record.rstrip("=") or len(record) < MIN_BARE_KEY or not _BARE_BASE64.match(record):
        return record, []
    return f"v=DKIM1; p={strip_fws(record)}", ["only the key was pasted; wrote it as v=DKIM1; p=<key>"]


def _holds_private_key(record: str) -> bool:
    value = parse_tags(record).get("p")
    if not value:
        return False
    raw, problem = decode_base64(strip_fws(value))
    return problem is None and raw is not None and is_private_key(raw)


def _canonical_form(record: str) -> tuple[str, list[str]]:
    """The canonical "a=b; c=d" form when the tag-list parses cleanly; otherwise the text as it is."""
    tags = parse_tags(record)
    if not tags.tags or any(f.severity is Severity.ERROR for f in tags.problems):
        return record, []
    notes = []
    key = tags.get("p")
    if key is not None and strip_fws(key) != key:
        notes.append("removed spaces and line breaks inside the key (p=)")
    return canonical(tags), notes
