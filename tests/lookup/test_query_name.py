"""A name asked about is written to the wire as dnspython writes it (and refused where dnspython refuses it),
though plain host names are built without dnspython."""

from __future__ import annotations

import dns.exception
import dns.name
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.lookup import wire

LABEL = st.text(alphabet="abcXYZ019-_*\\.@ü ", min_size=0, max_size=70)


def dnspython(name: str) -> tuple[bytes, str] | None:
    try:
        parsed = dns.name.from_text(name.rstrip(".") + ".")
    except dns.exception.DNSException:
        return None
    written = parsed.to_wire()
    assert written is not None
    return written, wire.name_key(parsed)


def ours(name: str) -> tuple[bytes, str] | None:
    try:
        qname = wire.query_name(name)
    except dns.exception.DNSException:
        return None
    assert qname.name.to_wire() == qname.wire, "the Name for dnspython's queries is the same name"
    return qname.wire, qname.key


@pytest.mark.parametrize(
    "name",
    ["Example.TEST.", "_dmarc.b0001.test", "sel._domainkey.x.test", "a" * 63 + ".test", "a" * 64 + ".test",
     "a..b", "", ".", "bücher.example", "*.x.test", "a\\.b.test", ".".join(["a"] * 127), ".".join(["a"] * 128)],
)  # fmt: skip
def test_a_name_is_written_as_dnspython_writes_it(name: str) -> None:
    assert ours(name) == dnspython(name)


@settings(max_examples=500, deadline=None)
@given(st.lists(LABEL, min_size=1, max_size=6).map(".".join))
def test_any_name_is_written_as_dnspython_writes_it_or_refused_as_it_refuses_it(name: str) -> None:
    assert ours(name) == dnspython(name)
