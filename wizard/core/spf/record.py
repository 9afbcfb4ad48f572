"""SPF records (RFC 7208): terms, qualifiers and modifiers parsed with positions; rendering as TXT strings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

from wizard.core.answers import TxtRecord
from wizard.core.spf.macro import MacroError, MacroString, parse_macro_string
from wizard.core.tags import ascii_number
from wizard.core.txt import split_value, zone_file_value

VERSION = "v=spf1"
MAX_RECORD_OCTETS = 450  # RFC 7208 3.4: keep the reply within 512 octets
PARSE_MEMORY = 4096  # distinct record texts whose parse is kept (the vendor includes of a batch, and more)
RECORDS_MEMORY = 4096  # distinct sets of TXT records whose SPF records are kept


class SpfSyntaxError(ValueError):
    """A record breaks the SPF grammar; names the term, where it is, and why."""

    def __init__(self, reason: str, term: str = "", start: int = 0) -> None:
        self.reason = reason
        self.term = term
        self.start = start
        self.end = start + len(term)
        super().__init__(f'"{term}": {reason}' if term else reason)


class Qualifier(StrEnum):
    PASS = "+"
    FAIL = "-"
    SOFTFAIL = "~"
    NEUTRAL = "?"


class Kind(StrEnum):
    ALL = "all"
    INCLUDE = "include"
    A = "a"
    MX = "mx"
    PTR = "ptr"
    IP4 = "ip4"
    IP6 = "ip6"
    EXISTS = "exists"


# Mechanisms and modifiers that cost one DNS lookup each (RFC 7208 4.6.4).
DNS_KINDS = frozenset({Kind.INCLUDE, Kind.A, Kind.MX, Kind.PTR, Kind.EXISTS})


@dataclass(frozen=True)
class Mechanism:
    """One mechanism; equality ignores how it was written (case, explicit '+', position)."""

    kind: Kind
    qualifier: Qualifier = Qualifier.PASS
    domain: str | None = None  # the domain-spec as written, macros unexpanded
    ip: IPv4Address | IPv6Address | None = None
    cidr4: int | None = None
    cidr6: int | None = None
    text: str = field(default="", compare=False)
    start: int = field(default=0, compare=False)

    @property
    def queries_dns(self) -> bool:
        return self.kind in DNS_KINDS

    @cached_property
    def network(self) -> IPv4Network | IPv6Network | None:
        """The ip4/ip6 range (host bits cleared), or None for other mechanisms (worked out once per term: a
        vendor's record is parsed once and evaluated for every domain that includes it)."""
        if self.ip is None:
            return None
        length = self.cidr4 if isinstance(self.ip, IPv4Address) else self.cidr6
        return ip_network(f"{self.ip}/{length if length is not None else self.ip.max_prefixlen}", strict=False)

    @cached_property
    def bits(self) -> tuple[int, int, int] | None:
        """The ip4/ip6 range as (IP version, host bits, network number >> host bits): an address `ip` of that
        version is in the range when int(ip) >> host bits equals the last (check_host() compares without
        building an address object per test)."""
        network = self.network
        if network is None:
            return None
        host_bits = network.max_prefixlen - network.prefixlen
        return network.version, host_bits, int(network.network_address) >> host_bits

    def render(self) -> str:
        qualifier = "" if self.qualifier is Qualifier.PASS else str(self.qualifier)
        text = qualifier + str(self.kind)
        if self.ip is not None:
            text += f":{self.ip}"
        elif self.domain is not None:
            text += f":{self.domain}"
        if self.cidr4 is not None:
            text += f"/{self.cidr4}"
        if self.cidr6 is not None:
            text += f"/{self.cidr6}" if self.kind is Kind.IP6 else f"//{self.cidr6}"
        return text


@dataclass(frozen=True)
class Modifier:
    """A name=value term: redirect, exp, or an unknown modifier (kept, RFC 7208 6)."""

    name: str  # lower case
    value: str
    text: str = field(default="", compare=False)
    start: int = field(default=0, compare=False)

    @property
    def queries_dns(self) -> bool:
        return self.name == "redirect"

    def render(self) -> str:
        return f"{self.name}={self.value}"


Term = Mechanism | Modifier


@dataclass(frozen=True)
class SpfRecord:
    """A parsed record: its terms in order."""

    terms: tuple[Term, ...] = ()

    # Worked out once per record (cached_property): a vendor's record is parsed once per run and evaluated
    # for every address of every domain that includes it.
    @cached_property
    def mechanisms(self) -> tuple[Mechanism, ...]:
        return tuple(t for t in self.terms if isinstance(t, Mechanism))

    def modifier(self, name: str) -> Modifier | None:
        return next((t for t in self.terms if isinstance(t, Modifier) and t.name == name), None)

    @cached_property
    def redirect(self) -> Modifier | None:
        return self.modifier("redirect")

    @cached_property
    def exp(self) -> Modifier | None:
        return self.modifier("exp")

    @cached_property
    def all(self) -> Mechanism | None:
        """The first `all` mechanism: the one that ends evaluation."""
        return next((m for m in self.mechanisms if m.kind is Kind.ALL), None)

    @cached_property
    def samples(self) -> tuple[tuple[IPv4Address | IPv6Address, str], ...]:
        """One address from each ip4/ip6 range (the first host of the range), with its text: worked out once
        per record (the authorization tests the expected include's for every domain of a batch)."""
        samples: list[tuple[IPv4Address | IPv6Address, str]] = []
        for mechanism in self.mechanisms:
            network = mechanism.network
            if network is not None:
                first = network.network_address + (1 if network.num_addresses > 2 else 0)
                samples.append((first, str(first)))
        return tuple(samples)

    @cached_property
    def broad_mechanisms(self) -> tuple[int, ...]:
        """Where the mechanisms are that can match every client of an IP family: all, include (when its own
        record does), ip4/ip6 with prefix length 0, a or mx with a CIDR length 0 (the rules' search for a
        policy that passes everyone looks at these alone)."""
        return tuple(i for i, m in enumerate(self.mechanisms) if _broad(m))

    @cached_property
    def in_evaluation_order(self) -> tuple[Term, ...]:
        """Mechanisms in order, then redirect (used only after every mechanism), then the other modifiers."""
        redirect = [t for t in self.terms if isinstance(t, Modifier) and t.name == "redirect"]
        others = [t for t in self.terms if isinstance(t, Modifier) and t.name != "redirect"]
        return (*self.mechanisms, *redirect, *others)

    def render(self) -> str:
        return " ".join([VERSION, *(t.render() for t in self.terms)])


def _broad(mechanism: Mechanism) -> bool:
    if mechanism.kind in (Kind.ALL, Kind.INCLUDE):
        return True
    if mechanism.network is not None:
        return mechanism.network.prefixlen == 0
    return mechanism.kind in (Kind.A, Kind.MX) and 0 in (mechanism.cidr4, mechanism.cidr6)


def is_spf(text: str) -> bool:
    """True when a TXT value is an SPF version 1 record: "v=spf1" (any case) then a space or the end (4.5)."""
    return text[:6].lower() == VERSION and (len(text) == 6 or text[6] == " ")


is_spf_record = is_spf  # the recogniser under the name every protocol's module uses (is_<kind>_record)


def select_records(texts: list[str]) -> list[str]:
    """The SPF records among a name's TXT values; other TXT records are none of our business."""
    return [t for t in texts if is_spf(t)]


@lru_cache(maxsize=RECORDS_MEMORY)
def spf_records(txt: tuple[TxtRecord, ...]) -> tuple[str, ...]:
    """The SPF records among a name's TXT records (kept per set of records: the tree and every evaluation
    of a run read the same ones, and every domain of a batch that includes the same vendor)."""
    return tuple(select_records([record.text for record in txt]))


def parse(text: str) -> SpfRecord:
    """Parse a whole record; raises SpfSyntaxError for the first problem (RFC 7208: any error is permerror)."""
    record, errors = _parse_lenient(text)
    if errors:
        first = errors[0]
        raise SpfSyntaxError(first.reason, first.term, first.start)  # a new one: the kept parse stays clean
    return record


def parse_lenient(text: str) -> tuple[SpfRecord, list[SpfSyntaxError]]:
    """Parse what can be parsed: the valid terms, and one error per bad term (for the UI and the composer).

    The parse of a text is remembered (it is pure and the record immutable), so the includes every domain of
    a batch names (_spf.google.com, _spf.mycimcloud.com, ...) are parsed once. The errors are new each time:
    a caller may raise one, and a raised exception carries its traceback.
    """
    record, errors = _parse_lenient(text)
    return record, [SpfSyntaxError(e.reason, e.term, e.start) for e in errors]


@lru_cache(maxsize=PARSE_MEMORY)
def _parse_lenient(text: str) -> tuple[SpfRecord, tuple[SpfSyntaxError, ...]]:
    if not is_spf(text):
        first = text.split(" ", 1)[0]
        return SpfRecord(), (SpfSyntaxError("an SPF record must start with v=spf1 followed by a space", first, 0),)
    terms: list[Term] = []
    errors: list[SpfSyntaxError] = []
    for term_text, start in split_terms(text):
        try:
            term = parse_term(term_text, start)
        except SpfSyntaxError as exc:
            errors.append(exc)
            continue
        duplicate = isinstance(term, Modifier) and term.name in ("redirect", "exp") and _has_modifier(terms, term.name)
        if duplicate:
            errors.append(SpfSyntaxError(f"{term_text.split('=')[0]}= may appear only once", term_text, start))
            continue
        terms.append(term)
    return SpfRecord(tuple(terms)), tuple(errors)


def _has_modifier(terms: list[Term], name: str) -> bool:
    return any(isinstance(t, Modifier) and t.name == name for t in terms)


def split_terms(text: str) -> list[tuple[str, int]]:
    """The terms after the version, each with its offset in the record; terms are separated by spaces only."""
    return [(m.group(), m.start()) for m in re.finditer(r"[^ ]+", text) if m.start() >= len(VERSION)]


_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9\-_.]*)=(.*)", re.DOTALL)
_MECHANISM = re.compile(r"([+\-~?]?)([A-Za-z0-9]*)(.*)", re.DOTALL)
# [0-9], never \d (which matches every script's digits): RFC 7208's ip4-cidr-length and qnum are ASCII DIGIT
_CIDR_SUFFIX = re.compile(r"(?:/([0-9]+))?(?://([0-9]+))?\Z")
_IP4 = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})")
_TOPLABEL = re.compile(r"(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9])")


def parse_term(text: str, start: int = 0) -> Term:
    """Parse one term (a mechanism or a modifier)."""
    bad = next((c for c in text if not 0x21 <= ord(c) <= 0x7E), None)
    if bad is not None:
        raise SpfSyntaxError(f"contains the character U+{ord(bad):04X}; SPF allows only visible ASCII", text, start)
    modifier = _MODIFIER.fullmatch(text)
    if modifier is not None:
        return _parse_modifier(modifier.group(1).lower(), modifier.group(2), text, start)
    match = _MECHANISM.fullmatch(text)
    assert match is not None  # the pattern accepts any string
    qualifier, name, rest = match.groups()
    try:
        kind = Kind(name.lower())
    except ValueError:
        raise SpfSyntaxError(_unknown_mechanism_reason(name), text, start) from None
    if rest and rest[0] not in ":/":
        raise SpfSyntaxError(f"unexpected {rest[0]!r} after {kind}", text, start)
    parsed = _PARSERS[kind](rest, text, start)
    return Mechanism(kind, Qualifier(qualifier or "+"), *parsed, text=text, start=start)


def _unknown_mechanism_reason(name: str) -> str:
    if name.lower() in ("redirect", "exp"):
        return f"{name.lower()} is a modifier: write {name.lower()}=domain"
    if not name:
        return "not a mechanism or modifier"
    return f"unknown mechanism {name!r} (known: {', '.join(k.value for k in Kind)})"


def _parse_modifier(name: str, value: str, text: str, start: int) -> Modifier:
    if name in ("redirect", "exp"):
        _check_domain_spec(value, text, start, f"{name}=")
    else:
        try:
            parse_macro_string(value)
        except MacroError as exc:
            raise SpfSyntaxError(exc.reason, text, start) from None
    return Modifier(name, value, text, start)


MechanismArgs = tuple[str | None, IPv4Address | IPv6Address | None, int | None, int | None]


def _parse_all(rest: str, text: str, start: int) -> MechanismArgs:
    if rest:
        raise SpfSyntaxError("all takes no domain or CIDR length", text, start)
    return None, None, None, None


def _parse_domain_only(rest: str, text: str, start: int) -> MechanismArgs:
    """include and exists: ":" domain-spec, required, no CIDR length."""
    kind = text.lstrip("+-~?").split(":")[0].lower()
    if not rest.startswith(":"):
        raise SpfSyntaxError(f"{kind} needs a domain: {kind}:example.com", text, start)
    domain = rest[1:]
    _check_domain_spec(domain, text, start, f"{kind}:")
    return domain, None, None, None


def _parse_ptr(rest: str, text: str, start: int) -> MechanismArgs:
    if rest.startswith("/"):
        raise SpfSyntaxError("ptr takes no CIDR length", text, start)
    if not rest:
        return None, None, None, None
    _check_domain_spec(rest[1:], text, start, "ptr:")
    return rest[1:], None, None, None


def _parse_a_mx(rest: str, text: str, start: int) -> MechanismArgs:
    """a and mx: optional ":" domain-spec, then an optional dual CIDR length (/24, //64, /24//64)."""
    body = rest[1:] if rest.startswith(":") else rest
    suffix = _CIDR_SUFFIX.search(body)
    assert suffix is not None  # the pattern matches the empty string at the end
    domain = body[: suffix.start()]
    if not rest.startswith(":") and domain:
        raise SpfSyntaxError("a CIDR length looks like /24 or //64", text, start)
    cidr4 = _cidr(suffix.group(1), 32, text, start)
    cidr6 = _cidr(suffix.group(2), 128, text, start)
    if rest.startswith(":"):
        _check_domain_spec(domain, text, start, text.lstrip("+-~?").split(":")[0].lower() + ":")
        return domain, None, cidr4, cidr6
    return None, None, cidr4, cidr6


def _parse_ip4(rest: str, text: str, start: int) -> MechanismArgs:
    address, _, length = rest[1:].partition("/")
    match = _IP4.fullmatch(address)
    if not rest.startswith(":") or match is None or any(not _is_qnum(q) for q in match.groups()):
        raise SpfSyntaxError("ip4 needs a full IPv4 address, e.g. ip4:192.0.2.1 or ip4:192.0.2.0/24", text, start)
    cidr = _cidr(length, 32, text, start) if "/" in rest else None
    return None, IPv4Address(address), cidr, None


def _parse_ip6(rest: str, text: str, start: int) -> MechanismArgs:
    address, slash, length = rest[1:].rpartition("/") if "/" in rest else (rest[1:], "", "")
    try:
        if not rest.startswith(":") or "%" in address:
            raise ValueError
        ip = IPv6Address(address)
    except ValueError:
        raise SpfSyntaxError("ip6 needs an IPv6 address, e.g. ip6:2001:db8::/32", text, start) from None
    cidr = _cidr(length, 128, text, start) if slash else None
    return None, ip, None, cidr


def _is_qnum(text: str) -> bool:
    return int(text) <= 255 and (text == "0" or not text.startswith("0"))


def _cidr(digits: str | None, limit: int, text: str, start: int) -> int | None:
    if digits is None:
        return None
    number = ascii_number(digits, limit)
    if number is None or (len(digits) > 1 and digits.startswith("0")):
        raise SpfSyntaxError(f"CIDR length must be a number from 0 to {limit} without leading zeros", text, start)
    return number


def _check_domain_spec(domain: str, text: str, start: int, prefix: str) -> MacroString:
    """A domain-spec is a macro-string that ends in a macro or in "." toplabel (an optional final dot)."""
    if not domain:
        raise SpfSyntaxError(f"{prefix} needs a domain after it", text, start)
    try:
        parsed = parse_macro_string(domain)
    except MacroError as exc:
        raise SpfSyntaxError(exc.reason, text, start) from None
    if parsed.ends_with_macro:
        return parsed
    suffix = parsed.literal_suffix.removesuffix(".")
    _, dot, toplabel = suffix.rpartition(".")
    if not dot or not _TOPLABEL.fullmatch(toplabel):
        raise SpfSyntaxError(f"{domain!r} is not a domain name (it must end in a name like .com)", text, start)
    return parsed


_PARSERS = {
    Kind.ALL: _parse_all,
    Kind.INCLUDE: _parse_domain_only,
    Kind.EXISTS: _parse_domain_only,
    Kind.A: _parse_a_mx,
    Kind.MX: _parse_a_mx,
    Kind.PTR: _parse_ptr,
    Kind.IP4: _parse_ip4,
    Kind.IP6: _parse_ip6,
}


@dataclass(frozen=True)
class TxtRendering:
    """A record as an admin enters it: one value for web forms, quoted 255-octet strings for zone files."""

    value: str
    strings: tuple[str, ...]
    zone_file: str


def render_txt(value: str) -> TxtRendering:
    return TxtRendering(value, tuple(split_value(value)), zone_file_value(value))
