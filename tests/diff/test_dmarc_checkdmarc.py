"""DMARC records read by our parser (wizard.core.dmarc.record) and by checkdmarc, against what RFC 7489 says.

Each corpus entry gives the record and what RFC 7489 says a receiver makes of it: whether the record is
considered at all (6.6.3: it must start with exactly ``v=DMARC1``), whether it has an error a checker must
report, and the policy a receiver applies to the domain (p) and its subdomains (sp), None when it applies no
DMARC processing. Our reading must match the RFC everywhere. checkdmarc's must match it too, except for the
cases in :data:`KNOWN_DISAGREEMENTS`, where the table holds what checkdmarc says and the RFC section that
says it is wrong (checkdmarc 6 follows RFC 9989, DMARCbis, where that differs from RFC 7489); the test
asserts checkdmarc still says exactly that, so a change on either side shows.

checkdmarc checks report addresses with DNS (MX of the rua= domain): it asks the lab, where
``diff-dmarc.test`` has an MX, so nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dns.resolver
import pytest
from checkdmarc.dmarc import DMARCError, DMARCSyntaxError, parse_dmarc_record

from tests.diff.conftest import Zones, lab_resolver
from tests.lab import Lab
from wizard.core.dmarc.record import is_dmarc_record, parse_dmarc

pytestmark = pytest.mark.lab

DOMAIN = "diff-dmarc.test"
RUA = f"mailto:dmarc@{DOMAIN}"
ZONES = {DOMAIN: "@ IN MX 10 mail\nmail IN A 192.0.2.25\n"}


@dataclass(frozen=True)
class Reading:
    """What a reader makes of one record.

    considered: the record is a DMARC record at all; error: a checker reports an error; p, sp: the policy a
    receiver applies to the domain and to its subdomains (None: no DMARC processing).
    """

    considered: bool
    error: bool
    p: str | None
    sp: str | None


IGNORED = Reading(considered=False, error=True, p=None, sp=None)


def clean(p: str, sp: str | None = None) -> Reading:
    return Reading(True, False, p, sp or p)


def flawed(p: str | None, sp: str | None = None) -> Reading:
    return Reading(True, True, p, sp or p)


#: (record, what RFC 7489 says, the section that says it). Left out because the RFC is not clear: the case of
#: tag names (V=DMARC1, P=reject). 6.3 takes DKIM's tag-value syntax, whose tag names are case-sensitive
#: (RFC 6376 3.2), while 6.4's ABNF quotes them as case-insensitive literals; checkdmarc (RFC 9989) accepts them.
CORPUS: list[tuple[str, Reading, str]] = [
    ("v=DMARC1; p=reject", clean("reject"), "6.3"),
    ("v=DMARC1;p=quarantine;sp=none", clean("quarantine", "none"), "6.3 sp="),
    ("v=DMARC1 ; p = reject ;", clean("reject"), "6.4: WSP around = and ;, a final ; allowed"),
    ("v = DMARC1; p=reject", clean("reject"), "6.4: dmarc-version allows WSP around ="),
    ("v=DMARC1;p=reject", clean("reject"), "6.4: WSP around ; is optional"),
    ("v=DMARC1; p=REJECT", clean("reject"), "6.4: keyword values are ABNF literals, case-insensitive"),
    ("v=dmarc1; p=reject", IGNORED, "6.4 (%x44 %x4d ... : DMARC1 is case-sensitive) and 6.6.3"),
    ("V=dmarc1; p=reject", IGNORED, "6.4 (DMARC1 is case-sensitive) and 6.6.3"),
    (" v=DMARC1; p=reject", IGNORED, "6.6.3: records that do not start with v= are discarded"),
    ("p=reject; v=DMARC1", IGNORED, "6.3/6.6.3: v= comes first"),
    ("v=DMARC2; p=reject", IGNORED, "6.6.3: v= must name the current version"),
    ("", IGNORED, "6.6.3"),
    ("v=DMARC1; p=reject; foo=bar", clean("reject"), "6.3: unknown tags are ignored"),
    ("v=DMARC1; p=reject; pct=50", clean("reject"), "6.3 pct="),
    ("v=DMARC1; p=reject; pct=0", clean("reject"), "6.3 pct= is 0 to 100"),
    ("v=DMARC1; p=reject; pct=101", flawed("reject"), "6.3 pct= is 0 to 100; the bad tag is discarded"),
    ("v=DMARC1; p=reject; pct=abc", flawed("reject"), "6.4 pct = 1*3DIGIT; 6.3: the bad tag is discarded"),
    ("v=DMARC1; p=reject; pct=²", flawed("reject"), "6.4: DIGIT is ASCII 0-9 (RFC 5234 B.1)"),
    ("v=DMARC1; p=reject; pct=١٠", flawed("reject"), "6.4: DIGIT is ASCII 0-9 (RFC 5234 B.1)"),
    ("v=DMARC1; p=reject; ri=86400", clean("reject"), "6.3 ri="),
    ("v=DMARC1; p=reject; ri=abc", flawed("reject"), "6.4 ri = 1*DIGIT"),
    ("v=DMARC1; p=reject; adkim=x", flawed("reject"), "6.4 adkim = r/s; 6.3: discarded for the default"),
    ("v=DMARC1; p=reject; aspf=s; adkim=S", clean("reject"), "6.3 adkim=, aspf="),
    ("v=DMARC1; p=reject; fo=1:d", clean("reject"), "6.3 fo="),
    ("v=DMARC1; p=reject; fo=2", flawed("reject"), "6.4 fo= values 0, 1, d, s"),
    ("v=DMARC1; p=reject; rf=afrf", clean("reject"), "6.3 rf="),
    ("v=DMARC1; p=reject; rf=xml", clean("reject"), "6.3 rf=: receivers ignore formats outside the registry"),
    ("v=DMARC1; p=reject; rua=notauri", flawed("reject"), "6.4 rua = a URI list"),
    ("v=DMARC1; p=reject; ruf=notauri", flawed("reject"), "6.4 ruf = a URI list"),
    (f"v=DMARC1; p=none; rua={RUA},notauri", flawed("none"), "6.4 rua = a URI list; 6.6.3: one valid URI is enough"),
    (f"v=DMARC1; p=reject; rua={RUA}!10m", clean("reject"), "6.4 dmarc-uri: a size limit after !"),
    (f"v=DMARC1; p=reject; rua=https://{DOMAIN}/reports", clean("reject"), "6.2: any URI scheme; mailto: MUST"),
    ("v=DMARC1; p=reject; fo=0:1", clean("reject"), "6.3 fo= is a colon-separated list of 0, 1, d, s"),
    ("v=DMARC1; p=reject; sp=REJECT", clean("reject"), "6.4: keyword values are case-insensitive"),
    (f"v=DMARC1; p=none; rua={RUA},mailto:other@{DOMAIN}", clean("none"), "6.3 rua= is a list"),
    (f"v=DMARC1; p=none; sp=quarantine; rua={RUA}; ruf={RUA}; fo=1", clean("none", "quarantine"), "6.3"),
    ("v=DMARC1; p=bogus", flawed(None), "6.6.3: no valid p= and no rua=: no DMARC processing"),
    (f"v=DMARC1; p=bogus; rua={RUA}", flawed("none"), "6.6.3: no valid p= but a valid rua=: act as p=none"),
    ("v=DMARC1; p=reject; sp=bogus", flawed(None), "6.6.3: an invalid sp= and no rua=: no DMARC processing"),
    (f"v=DMARC1; p=reject; sp=bogus; rua={RUA}", flawed("none"), "6.6.3: an invalid sp= with rua=: as p=none"),
    ("v=DMARC1", flawed(None), "6.3: p= is required; 6.6.3: without it and rua=, no DMARC processing"),
    (f"v=DMARC1; rua={RUA}", flawed("none"), "6.6.3: no p= but a valid rua=: act as p=none"),
]

#: record -> (what checkdmarc says, why RFC 7489 says otherwise).
KNOWN_DISAGREEMENTS: dict[str, tuple[Reading, str]] = {
    " v=DMARC1; p=reject": (
        clean("reject"),
        "RFC 7489 6.6.3: a record that does not start with v= is discarded; checkdmarc accepts leading space.",
    ),
    "v=DMARC1; p=reject; pct=abc": (
        clean("reject"),
        "RFC 7489 6.4: pct= is 1*3DIGIT; checkdmarc skips pct= entirely (RFC 9989 removed it).",
    ),
    "v=DMARC1; p=reject; pct=101": (
        clean("reject"),
        "RFC 7489 6.3: pct= is 0 to 100; checkdmarc skips pct= entirely (RFC 9989 removed it).",
    ),
    "v=DMARC1; p=reject; ri=abc": (
        clean("reject"),
        "RFC 7489 6.4: ri= is 1*DIGIT; checkdmarc skips ri= entirely (RFC 9989 removed it).",
    ),
    "v=DMARC1; p=reject; adkim=x": (
        clean("reject"),
        "RFC 7489 6.4: adkim= is r or s, a syntax error to report; checkdmarc only warns (RFC 9989 4.8).",
    ),
    "v=DMARC1": (
        clean("none"),
        "RFC 7489 6.3 requires p=, and 6.6.3 applies no DMARC processing without p= or rua=; checkdmarc "
        "reads a missing p= as none (RFC 9989).",
    ),
    f"v=DMARC1; rua={RUA}": (
        clean("none"),
        "RFC 7489 6.3 requires p=: an error to report, though 6.6.3 then acts as p=none; checkdmarc only warns.",
    ),
}


def ours(text: str) -> Reading | str:
    """Our reading (a string when the parser raised: a crash is a finding the user never sees)."""
    if not is_dmarc_record(text):
        return IGNORED
    try:
        record = parse_dmarc(text)
    except Exception as exc:
        return f"parse_dmarc crashed: {exc!r}"
    p, sp = record.policy_for(subdomain=False), record.policy_for(subdomain=True)
    return Reading(True, not record.valid, p and str(p), sp and str(sp))


def theirs(text: str, resolver: dns.resolver.Resolver) -> Reading:
    """checkdmarc's reading: it raises on every error and gives no policy then."""
    try:
        parsed = parse_dmarc_record(text, DOMAIN, resolver=resolver, timeout=3.0, retries=0)
    except DMARCSyntaxError as exc:
        if "version_tag at position 0" in str(exc):
            return IGNORED
        return flawed(None)
    except DMARCError:
        return flawed(None)
    tags = parsed["tags"]
    return Reading(True, False, str(tags["p"]["value"]), str(tags["sp"]["value"]))


def agrees(reading: Reading, rfc: Reading) -> bool:
    """checkdmarc gives no policy for a record with an error, so only considered/error are compared then."""
    if reading.error and rfc.error:
        return reading.considered == rfc.considered
    return reading == rfc


@pytest.fixture(scope="module")
def resolver(module_lab: Callable[[Zones], Lab]) -> dns.resolver.Resolver:
    return lab_resolver(module_lab(ZONES))


def _ids() -> list[str]:
    return [record or "(empty)" for record, _, _ in CORPUS]


@pytest.mark.parametrize(("record", "rfc", "section"), CORPUS, ids=_ids())
def test_our_parser_reads_each_record_as_rfc_7489_says(record: str, rfc: Reading, section: str) -> None:
    assert ours(record) == rfc, f"RFC 7489 {section}"


@pytest.mark.parametrize(("record", "rfc", "section"), CORPUS, ids=_ids())
def test_checkdmarc_agrees_with_the_rfc_except_where_listed(
    record: str, rfc: Reading, section: str, resolver: dns.resolver.Resolver
) -> None:
    reading = theirs(record, resolver)
    if record in KNOWN_DISAGREEMENTS:
        expected, why = KNOWN_DISAGREEMENTS[record]
        assert reading == expected, f"checkdmarc changed its reading; was listed because: {why}"
        assert not agrees(reading, rfc), "no longer a disagreement: remove it from KNOWN_DISAGREEMENTS"
    else:
        assert agrees(reading, rfc), f"checkdmarc {reading} against RFC 7489 {section} {rfc}"


def test_every_listed_disagreement_is_in_the_corpus() -> None:
    assert set(KNOWN_DISAGREEMENTS) <= {record for record, _, _ in CORPUS}
