"""SPF macro strings (RFC 7208 section 7): parsing and expansion."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from urllib.parse import quote

DOMAIN_LETTERS = frozenset("slodipvh")
# c, r and t are only allowed in the explanation text an exp= TXT record holds (7.1/8).
EXPLANATION_LETTERS = DOMAIN_LETTERS | frozenset("crt")
DELIMITERS = ".-+,/_="
ESCAPES = {"%": "%", "_": " ", "-": "%20"}
MAX_NAME = 253
MAX_PARTS = 128

_EXPAND = re.compile(r"%\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}")  # ASCII digits only (RFC 7208 7.1)


class MacroError(ValueError):
    """A macro-string breaks the grammar of RFC 7208 7.1; `position` is the offset of the bad '%'."""

    def __init__(self, text: str, position: int, reason: str) -> None:
        self.text = text
        self.position = position
        self.reason = reason
        super().__init__(f"{reason} (at character {position + 1} of {text!r})")


@dataclass(frozen=True)
class Macro:
    """One %{...} expansion: the letter (lower case), and how its value is transformed."""

    letter: str
    url_escape: bool = False
    digits: int | None = None
    reverse: bool = False
    delimiters: str = ""


Token = str | Macro


@dataclass(frozen=True)
class MacroString:
    """A parsed macro-string: literal text and macros in order.

    ends_with_macro tells the domain-spec rule apart: a domain-spec must end in a macro or in "." toplabel.
    """

    tokens: tuple[Token, ...]
    ends_with_macro: bool = False

    @property
    def letters(self) -> frozenset[str]:
        return frozenset(t.letter for t in self.tokens if isinstance(t, Macro))

    @property
    def literal_suffix(self) -> str:
        """The literal text after the last macro (or escape)."""
        if self.ends_with_macro or not self.tokens or not isinstance(self.tokens[-1], str):
            return ""
        return self.tokens[-1]


def parse_macro_string(text: str, *, explanation: bool = False) -> MacroString:
    """Parse a macro-string; with explanation=True also allow spaces and the c, r, t letters.

    Raises MacroError for a '%' not followed by '{', '%', '_' or '-', an unknown letter or a zero digit count.
    """
    allowed = EXPLANATION_LETTERS if explanation else DOMAIN_LETTERS
    tokens: list[Token] = []
    literal: list[str] = []
    ends_with_macro = False
    i = 0
    while i < len(text):
        char = text[i]
        if char != "%":
            _check_literal(text, i, explanation)
            literal.append(char)
            ends_with_macro = False
            i += 1
            continue
        token, i = _parse_percent(text, i, allowed)
        ends_with_macro = True
        if isinstance(token, str):
            literal.append(token)
            continue
        if literal:
            tokens.append("".join(literal))
            literal = []
        tokens.append(token)
    if literal:
        tokens.append("".join(literal))
    return MacroString(tuple(tokens), ends_with_macro)


def _check_literal(text: str, i: int, explanation: bool) -> None:
    code = ord(text[i])
    if 0x21 <= code <= 0x7E or (explanation and code == 0x20):
        return
    raise MacroError(text, i, f"character U+{code:04X} is not allowed here (only visible ASCII)")


def _parse_percent(text: str, i: int, allowed: frozenset[str]) -> tuple[Token, int]:
    """Parse the macro or escape starting at text[i] == '%'; return it and the index after it."""
    following = text[i + 1 : i + 2]
    if following in ESCAPES:
        return ESCAPES[following], i + 2
    if following != "{":
        raise MacroError(text, i, "a '%' must be followed by '{', '%', '_' or '-' (write %% for a percent sign)")
    match = _EXPAND.match(text, i)
    if match is None:
        raise MacroError(text, i, "a macro must look like %{d} or %{ir.}: a letter, digits, 'r', delimiters")
    letter, digits, reverse, delimiters = match.groups()
    if letter.lower() not in allowed:
        raise MacroError(text, i, f"%{{{letter}}} is not a macro letter allowed here ({''.join(sorted(allowed))})")
    count = int(digits) if digits else None
    if count == 0:
        raise MacroError(text, i, "the number of parts in a macro must not be zero")
    macro = Macro(letter.lower(), letter.isupper(), count, bool(reverse), delimiters)
    return macro, match.end()


@dataclass(frozen=True)
class MacroContext:
    """The values one check_host() call substitutes: sender, current domain, client IP, HELO, and more."""

    sender: str
    domain: str
    ip: IPv4Address | IPv6Address
    helo: str
    validated_name: str = "unknown"
    receiver: str = "unknown"
    timestamp: int = field(default_factory=lambda: int(time.time()))

    @property
    def local_part(self) -> str:
        return self.sender.rpartition("@")[0] or "postmaster"

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]


def ip_nibbles(ip: IPv4Address | IPv6Address) -> str:
    """%{i}: dotted quad for IPv4; 32 dot-separated hex nibbles for IPv6.

    Upper-case nibbles, as the reference implementation and the RFC 7208 test suite expect;
    DNS names compare case-insensitively so queries are unaffected.
    """
    if isinstance(ip, IPv4Address):
        return str(ip)
    return ".".join(f"{int(ip):032X}")


def macro_value(letter: str, ctx: MacroContext) -> str:
    """The raw value of one macro letter, before transformers."""
    values = {
        "s": ctx.sender,
        "l": ctx.local_part,
        "o": ctx.sender_domain,
        "d": ctx.domain,
        "i": ip_nibbles(ctx.ip),
        "p": ctx.validated_name,
        "v": "in-addr" if isinstance(ctx.ip, IPv4Address) else "ip6",
        "h": ctx.helo,
        "c": str(ctx.ip),
        "r": ctx.receiver,
        "t": str(ctx.timestamp),
    }
    return values[letter]


def transform(value: str, macro: Macro) -> str:
    """Split on the delimiters, reverse if asked, keep the rightmost N parts, join with dots, URL-escape."""
    delimiters = macro.delimiters or "."
    parts = re.split("[" + re.escape(delimiters) + "]", value)
    if macro.reverse:
        parts.reverse()
    if macro.digits is not None:
        parts = parts[-min(macro.digits, MAX_PARTS) :]
    result = ".".join(parts)
    if macro.url_escape:
        result = quote(result, safe="-._~")
    return result


def expand(macro_string: MacroString, ctx: MacroContext) -> str:
    """Expand a parsed macro-string for one context."""
    return "".join(t if isinstance(t, str) else transform(macro_value(t.letter, ctx), t) for t in macro_string.tokens)


def truncate_name(name: str) -> str:
    """Drop leading labels until a name from macro expansion fits in 253 characters (7.3)."""
    while len(name) > MAX_NAME and "." in name:
        name = name.split(".", 1)[1]
    return name
