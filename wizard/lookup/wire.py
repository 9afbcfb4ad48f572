"""DNS messages on the wire for the per-query hot path: a query built directly, a reply read into the few fields
the lookup layer uses (RFC 1035 4.1).

Why not dnspython for every message: reading one small reply with `dns.message.from_wire` costs 0.2-0.5 ms of CPU
here (every name, rdata and rdataset is a full object, each rdata hashed through its wire form), about 40 % of a
batch run. This reader takes what `_interpret` needs: the header, the question, and the answer and authority
records of the types the checks ask for (A, AAAA, TXT, MX, NS, CNAME, DNAME, PTR, SOA), as dnspython would render
them. Anything else (another record type, TSIG, a malformed or unusual message) is not guessed at: `read` returns
None and the caller parses the message with dnspython, which stays the judge of what is valid
(tests/lookup/test_wire.py checks that both readings agree).
"""

from __future__ import annotations

import re
import socket
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (dnspython is imported where a name, record or message needs it: a plain run needs none)
    import dns.message
    import dns.name
    import dns.rrset

A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, DNAME, OPT = 1, 2, 5, 6, 12, 15, 16, 28, 39, 41
_TYPE_NUMBERS = {"A": A, "NS": NS, "CNAME": CNAME, "SOA": SOA, "PTR": PTR, "MX": MX, "TXT": TXT, "AAAA": AAAA}
NOERROR, SERVFAIL, NXDOMAIN, REFUSED, YXDOMAIN = 0, 2, 3, 5, 6  # rcodes (RFC 1035 4.1.1, RFC 6672 2.2)
_NAME_TYPES = frozenset({NS, CNAME, PTR, DNAME})
_READ_TYPES = frozenset({A, AAAA, TXT, MX, SOA, *_NAME_TYPES})
# Label bytes dnspython writes as they are; any other byte is escaped (\DDD or \c), so such a name is rendered
# by dnspython itself.
_PLAIN = bytes(c for c in range(0x21, 0x7F) if c not in b'"().;\\@$')
_HEADER = struct.Struct("!HHHHHH")
_FIXED = struct.Struct("!HHIH")
_QR, _OPCODE, _TC, _AA = 0x8000, 0x7800, 0x0200, 0x0400
RD = 0x0100  # the header's recursion-desired flag (lookup.py clears it for a TCP query to a server)


class Unusual(Exception):
    """The reply holds something this reader leaves to dnspython."""


@dataclass(slots=True)
class RRset:
    """The records of one name, class and type in one section, as dnspython groups them (read-only by use: not
    a frozen dataclass, which costs six times as much to make, and one is made for every rrset of every reply).

    name: lower case, no final dot (as `_text` renders a name); ttl: the smallest of the records' TTLs;
    values: each record as dnspython's `to_text()` (TXT: empty, see strings); strings: each TXT record's
    character-strings; target: a CNAME's or DNAME's first target (lower case, no final dot); minimum: an SOA's
    MINIMUM field.
    """

    name: str
    rdclass: int
    rdtype: int
    ttl: int
    values: tuple[str, ...] = ()
    strings: tuple[tuple[bytes, ...], ...] = ()
    target: str = ""
    minimum: int = 0

    def __len__(self) -> int:
        return len(self.strings) if self.rdtype == TXT else len(self.values)


@dataclass(slots=True)
class Reply:
    """What the lookup layer reads from a reply: rcode (with the EDNS extension), the AA bit, two sections
    (read-only by use, as RRset)."""

    rcode: int
    authoritative: bool
    answer: tuple[RRset, ...]
    authority: tuple[RRset, ...]
    wire: bytes = b""
    parsed: dns.message.Message | None = field(default=None, compare=False, repr=False)

    def get(self, section: tuple[RRset, ...], name: str, rdtype: int) -> RRset | None:
        """The IN rrset of `name` (lower case, no final dot) and type in a section, or None. (A loop, not a
        generator: asked twice or more per reply, mostly of a section of one rrset or none.)"""
        for rrset in section:
            if rrset.name == name and rrset.rdtype == rdtype and rrset.rdclass == 1:
                return rrset
        return None

    def message(self) -> dns.message.Message:
        """The whole reply as dnspython reads it (for the callers that want every section)."""
        import dns.message

        return self.parsed if self.parsed is not None else dns.message.from_wire(self.wire)

    @staticmethod
    def from_message(message: dns.message.Message, wire: bytes = b"") -> Reply:
        """The same fields from a message dnspython parsed (DNS over HTTPS, TCP, the unusual replies)."""
        return Reply(
            message.rcode(),
            bool(message.flags & _AA),
            tuple(_rrset_of(r) for r in message.answer),
            tuple(_rrset_of(r) for r in message.authority),
            wire,
            message,
        )


def name_key(name: dns.name.Name) -> str:
    """A name as the lookup layer compares names: lower case text without the final dot."""
    return name.to_text(omit_final_dot=True).lower()


def _rrset_of(rrset: dns.rrset.RRset) -> RRset:
    rdtype = int(rrset.rdtype)
    first = rrset[0] if len(rrset) else None
    return RRset(
        name_key(rrset.name),
        int(rrset.rdclass),
        rdtype,
        int(rrset.ttl),
        () if rdtype == TXT else tuple(rd.to_text() for rd in rrset),
        tuple(tuple(rd.strings) for rd in rrset) if rdtype == TXT else (),
        name_key(first.target) if first is not None and rdtype in (CNAME, DNAME) else "",
        int(first.minimum) if first is not None and rdtype == SOA else 0,
    )


# --- queries ---------------------------------------------------------------------------------------------------

# A host or service name: labels of 1-63 letters, digits, '-' and '_'. Such a name is written to the wire as it
# is; any other name (escapes, IDNA, '*', an empty label) is dnspython's to judge. (One regular expression: the
# character table and the label checks it replaces cost 5 us per name.)
_PLAIN_NAME = re.compile(r"(?:[A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}")


@dataclass(frozen=True, slots=True)
class QName:
    """A name asked about: its wire form, its key (lower case, no final dot, as `name_key`) and its absolute text.

    Built without dnspython for plain host names: `dns.name.from_text` cost 50 us per name, 4 % of a batch run.
    """

    wire: bytes
    key: str
    text: str
    parsed: dns.name.Name | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> dns.name.Name:
        """dnspython's Name (for the queries dnspython sends: TCP, DNS over HTTPS, its resolver)."""
        import dns.name

        return self.parsed if self.parsed is not None else dns.name.from_text(self.text)


def query_name(name: str) -> QName:
    """The name (absolute, final dot or not) to ask about; dnspython's error for a name that is not valid."""
    text = name.rstrip(".")
    if len(text) <= 253 and _PLAIN_NAME.fullmatch(text):
        labels = text.encode("ascii").split(b".")
        wire = b"".join([bytes((len(label),)) + label for label in labels]) + b"\x00"
        return QName(wire, text.lower(), text + ".")
    import dns.name

    parsed = dns.name.from_text(text + ".")
    written = parsed.to_wire()
    assert written is not None  # to_wire without a file returns the bytes
    return QName(written, name_key(parsed), parsed.to_text(), parsed)


def make_query(qid: int, qname: QName | dns.name.Name, rdtype: str, *, recursive: bool, payload: int) -> bytes:
    """A query for `qname` IN `rdtype` with EDNS0 (no DO bit) and RD set or not: what `dns.message.make_query`
    with `use_edns=0` builds, without building the objects."""
    return qid.to_bytes(2, "big") + unnumbered_query(qname, rdtype, recursive=recursive, payload=payload)


def unnumbered_query(qname: QName | dns.name.Name, rdtype: str, *, recursive: bool, payload: int) -> bytes:
    """`make_query` without its first two bytes, the ID: the transport numbers the query on the socket it goes
    out on (the ID is unique among the queries waiting there)."""
    name = qname.wire if isinstance(qname, QName) else qname.to_wire()
    assert name is not None  # to_wire without a file returns the bytes
    header, rest = _around_name(rdtype, recursive, payload)
    return header + name + rest


@lru_cache(maxsize=64)
def _around_name(rdtype: str, recursive: bool, payload: int) -> tuple[bytes, bytes]:
    """What a query holds before its name (after the ID: flags and counts) and after it (type, class, OPT):
    the same for every query of one type (kept: two packs and a type lookup per query otherwise)."""
    header = struct.pack("!HHHHH", RD if recursive else 0, 1, 0, 0, 1)  # one question, one OPT
    return header, struct.pack("!HH", rdtype_number(rdtype), 1) + b"\x00" + struct.pack("!HHIH", OPT, payload, 0, 0)


@lru_cache(maxsize=64)
def rdtype_number(rdtype: str) -> int:
    """A record type's number ("TXT": 16), as dnspython reads its name (asked for every query and reply: kept;
    the types the checks ask for without dnspython)."""
    number = _TYPE_NUMBERS.get(rdtype)
    if number is not None:
        return number
    import dns.rdatatype

    return int(dns.rdatatype.from_text(rdtype))


def answers(query: bytes, reply: bytes) -> bool:
    """Whether `reply` is a response to `query`: same ID, QR set, opcode QUERY, one question, the same question
    (names compared without case)."""
    if len(reply) < len(query) - 11 or reply[:2] != query[:2] or not reply[2] & 0x80 or reply[2] & 0x78:
        return False
    end = query.index(b"\x00", 12) + 5  # the question of a query this module built: an uncompressed name
    return reply[4:6] == b"\x00\x01" and reply[12:end].lower() == query[12:end].lower()


# --- replies ---------------------------------------------------------------------------------------------------


def read(wire: bytes) -> Reply | None:
    """The reply's fields, or None when dnspython should read it (an unusual or malformed message)."""
    try:
        return _read(wire)
    except (Unusual, IndexError, struct.error, UnicodeDecodeError, ValueError):
        return None


def truncated(wire: bytes) -> bool:
    return len(wire) >= 4 and bool(wire[2] << 8 & _TC)


def _read(wire: bytes) -> Reply:
    _qid, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(wire)
    if not flags & _QR or flags & _TC or flags & _OPCODE or qdcount != 1:
        raise Unusual  # not a reply, truncated, another opcode (dnspython reads an UPDATE's sections its own way)
    offset = _skip_name(wire, 12) + 4  # (the question: the caller took the reply as the answer to its query)
    answer, offset = _section(wire, offset, ancount)
    authority, offset = _section(wire, offset, nscount)
    rcode = flags & 0xF
    seen_opt = False
    for _ in range(arcount):
        start = offset
        offset = offset + 1 if wire[offset] == 0 else _labels(wire, offset)[1]  # OPT's owner is the root
        rdtype, rdclass, ttl, rdlength = _FIXED.unpack_from(wire, offset)
        offset += 10
        end = offset + rdlength
        if end > len(wire):
            raise Unusual
        if rdtype == OPT:
            if seen_opt or wire[start] != 0 or rdlength:  # EDNS options (a cookie, an error): left to dnspython
                raise Unusual
            seen_opt = True
            rcode |= (ttl >> 24) << 4
        elif rdtype in _READ_TYPES and rdclass == 1:
            _rdata(wire, offset, end, rdtype)  # glue: dnspython reads it too, and refuses a malformed one
        else:
            raise Unusual  # TSIG, another type or class: dnspython reads (and checks) what it is
        offset = end
    if offset != len(wire):
        raise Unusual  # trailing junk, or a record running past the end
    return Reply(rcode, bool(flags & _AA), answer, authority, wire)


def _section(wire: bytes, offset: int, count: int) -> tuple[tuple[RRset, ...], int]:
    """The rrsets of one section (records grouped by name, class and type, in order of first appearance)."""
    if not count:
        return (), offset
    groups: dict[tuple[str, int], tuple[list[int], list[object], set[object]]] = {}
    for _ in range(count):
        labels, offset = _labels(wire, offset)
        rdtype, rdclass, ttl, rdlength = _FIXED.unpack_from(wire, offset)
        offset += 10
        end = offset + rdlength
        if rdtype not in _READ_TYPES or rdclass != 1 or end > len(wire) or ttl > 0x7FFFFFFF:
            raise Unusual
        rdata, identity = _rdata(wire, offset, end, rdtype)
        key = (_key(labels), rdtype)  # (the class is IN: any other is left to dnspython)
        group = groups.get(key)
        if group is None:
            groups[key] = ([ttl], [rdata], {identity})
        else:
            smallest, items, seen = group
            if identity not in seen:
                seen.add(identity)
                items.append(rdata)
            smallest[0] = min(smallest[0], ttl)
        offset = end
    return tuple(_grouped(name, rdtype, ttl[0], items) for (name, rdtype), (ttl, items, _) in groups.items()), offset


def _grouped(name: str, rdtype: int, ttl: int, items: list[object]) -> RRset:
    if rdtype == TXT:
        return RRset(name, 1, rdtype, ttl, strings=tuple(items))  # type: ignore[arg-type]
    values = tuple(str(v[0]) if isinstance(v, tuple) else str(v) for v in items)
    first = items[0]
    target = first[1] if rdtype in (CNAME, DNAME) and isinstance(first, tuple) else ""
    minimum = first[1] if rdtype == SOA and isinstance(first, tuple) else 0
    return RRset(name, 1, rdtype, ttl, values, target=str(target), minimum=int(minimum))


def _rdata(wire: bytes, offset: int, end: int, rdtype: int) -> tuple[object, object]:
    """One record's data as (what the rrset keeps, what makes two records the same one)."""
    if rdtype == A:
        if end - offset != 4:
            raise Unusual
        text = socket.inet_ntoa(wire[offset:end])
        return text, text
    if rdtype == AAAA:
        if end - offset != 16:
            raise Unusual
        import dns.ipv6  # (dnspython's rendering, which is not the system's inet_ntop everywhere)

        text = dns.ipv6.inet_ntoa(wire[offset:end])
        return text, text
    if rdtype == TXT:
        strings = _strings(wire, offset, end)
        return strings, strings
    if rdtype == MX:
        (preference,) = struct.unpack_from("!H", wire, offset)
        labels, after = _labels(wire, offset + 2)
        _exactly(after, end)
        text = f"{preference} {_value(labels)}"
        return text, text.lower()
    if rdtype == SOA:
        mname, after = _labels(wire, offset)
        rname, after = _labels(wire, after)
        numbers = struct.unpack_from("!IIIII", wire, after)
        _exactly(after + 20, end)
        text = " ".join([_value(mname), _value(rname), *map(str, numbers)])
        return (text, numbers[4]), text.lower()
    labels, after = _labels(wire, offset)  # NS, CNAME, PTR, DNAME
    _exactly(after, end)
    text = _value(labels)
    return (text, _key(labels)), text.lower()


def _exactly(offset: int, end: int) -> None:
    if offset != end:
        raise Unusual


def _strings(wire: bytes, offset: int, end: int) -> tuple[bytes, ...]:
    strings = []
    while offset < end:
        length = wire[offset]
        strings.append(wire[offset + 1 : offset + 1 + length])
        offset += 1 + length
    if offset != end or not strings:
        raise Unusual
    return tuple(strings)


MAX_POINTERS = 16  # compression pointers one name may follow (dnspython's MAX_COMPRESSION_POINTER_CHAIN)


def _labels(wire: bytes, offset: int) -> tuple[tuple[bytes, ...], int]:
    """A name's labels (compression followed) and the offset after it in place, by dnspython's rules for a
    compressed name: each pointer points below the one before it (the first below the name's start), at most
    MAX_POINTERS of them, and what a pointer leads to ends before the part of the name that pointed there (so no
    part of a name overlaps another). A name that breaks one, or runs past the end, is Unusual."""
    labels: list[bytes] = []
    after = -1
    size = 1
    start = lowest = offset
    limit = len(wire)
    hops = 0
    while True:
        if offset >= limit:
            raise Unusual
        length = wire[offset]
        if length == 0:
            return tuple(labels), (offset + 1 if after < 0 else after)
        if length >= 0xC0:
            if offset + 2 > limit:
                raise Unusual
            pointer = (length & 0x3F) << 8 | wire[offset + 1]
            hops += 1
            if pointer >= lowest or hops > MAX_POINTERS:
                raise Unusual
            if after < 0:
                after = offset + 2
            limit, lowest = start, pointer
            offset = start = pointer
            continue
        if length > 63:
            raise Unusual
        size += length + 1
        if size > 255 or offset + 1 + length > limit:
            raise Unusual
        offset += 1
        labels.append(wire[offset : offset + length])
        offset += length


def _skip_name(wire: bytes, offset: int) -> int:
    """The offset after a name of plain labels (a compressed one is read whole, so its pointer is checked)."""
    start = offset
    while length := wire[offset]:
        if length > 63 or offset - start > 254:
            return _labels(wire, start)[1]
        offset += 1 + length
    if offset - start > 254:
        raise Unusual
    return offset + 1


@lru_cache(maxsize=4096)
def _key(labels: tuple[bytes, ...]) -> str:
    """As `name_key` renders the name: lower case, no final dot (dnspython for names with escaped bytes). Kept
    for the names read again: a domain's own name and its name servers' are in most of its replies."""
    if labels and not b"".join(labels).translate(None, _PLAIN):
        return b".".join(labels).decode("ascii").lower()
    import dns.name

    return name_key(dns.name.Name((*labels, b"")))


@lru_cache(maxsize=4096)
def _value(labels: tuple[bytes, ...]) -> str:
    """A name inside a record, as dnspython's `to_text()` writes it: absolute, case kept."""
    if labels and not b"".join(labels).translate(None, _PLAIN):
        return b".".join(labels).decode("ascii") + "."
    import dns.name

    return dns.name.Name((*labels, b"")).to_text()
