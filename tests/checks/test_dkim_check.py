"""The dkim check: which selectors apply to a domain, and live verification against the BIND lab."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.core.test_dkim import data_key
from tests.lab import Lab
from wizard.checks import CheckContext, CheckOptions, all_checks, get_check
from wizard.checks.dkim import check_dkim, human_lines, targets_for
from wizard.core.dkim.record import verification_link
from wizard.core.dkim.verify import verify
from wizard.lookup.lookup import Lookup
from wizard.lookup.memory import MemorySource

KEY = data_key("rsa2048-a")
RECORD = f"v=DKIM1; k=rsa; p={KEY}"
SEL = "cimcloud-aaa"


def test_the_check_is_registered() -> None:
    assert "dkim" in all_checks()


def test_no_selector_means_nothing_to_check() -> None:
    assert targets_for("example.com", CheckOptions()) == []


def test_selectors_and_records_apply_to_their_domains() -> None:
    options = CheckOptions(
        dkim_selectors=("sel1", "Sel1._domainkey"),
        dkim_records=(
            (f"{SEL}._domainkey", f'"{RECORD}"'),
            ("fqdn._domainkey.example.org.", RECORD),
            ("only._domainkey.example.com", RECORD),
        ),
    )
    com = {t.selector: t.expected for t in targets_for("example.com", options)}
    org = {t.selector: t.expected for t in targets_for("example.org", options)}
    assert com == {"sel1": None, SEL: RECORD, "only": RECORD}
    assert org == {"sel1": None, SEL: RECORD, "fqdn": RECORD}


def test_a_selector_that_is_not_a_dns_name_is_reported_not_dropped() -> None:
    (target,) = targets_for("example.com", CheckOptions(dkim_selectors=("bad selector!",)))
    assert [f.code for f in target.findings] == ["dkim.bad-name"]


def test_a_private_key_given_as_content_is_reported_and_not_kept() -> None:
    options = CheckOptions(dkim_records=((f"{SEL}._domainkey", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n"),))
    (target,) = targets_for("example.com", options)
    assert target.expected is None
    assert [f.code for f in target.findings] == ["dkim.private-key"]


def run_check(lab: Lab, domain: str, selectors: tuple[str, ...] = (), records: Any = ()) -> list[dict[str, Any]]:
    options = CheckOptions(dkim_selectors=selectors, dkim_records=tuple(records))
    ctx = CheckContext(domain, Lookup(lab.settings()), options)
    output = asyncio.run(check_dkim(ctx))
    return [get_check("dkim").fields(r) for r in output]


def codes(entry: dict[str, Any]) -> list[str]:
    return [f["code"] for f in entry["findings"]]


def test_correct_key_in_two_strings_passes(dns_lab: Lab) -> None:
    (entry,) = run_check(dns_lab, "dkim-good.test", records=[(f"{SEL}._domainkey", RECORD)])
    assert list(entry)[:5] == ["status", "selector", "name", "key_type", "key_bits"]
    assert entry["status"] == "pass", entry["findings"]
    assert (entry["selector"], entry["name"]) == (SEL, f"{SEL}._domainkey.dkim-good.test")
    assert (entry["key_type"], entry["key_bits"], entry["verified"]) == ("rsa", 2048, True)
    assert len(entry["authoritative"]) == 2
    assert entry["verification_link"].endswith("dkim%3adkim-good.test%3acimcloud-aaa&run=toolpage")


def test_truncated_key_is_a_mismatch_saying_the_end_is_missing(dns_lab: Lab) -> None:
    (entry,) = run_check(dns_lab, "dkim-truncated.test", records=[(f"{SEL}._domainkey.dkim-truncated.test.", RECORD)])
    assert entry["status"] == "fail"
    assert "dkim.mismatch" in codes(entry)
    mismatch = next(f for f in entry["findings"] if f["code"] == "dkim.mismatch")
    assert "the last 24" in mismatch["message"]
    assert KEY[-10:] in mismatch["message"]


def test_missing_with_the_doubled_name_present(dns_lab: Lab) -> None:
    (entry,) = run_check(dns_lab, "dkim-doubled.test", selectors=(SEL,))
    assert codes(entry) == ["dkim.doubled-name"]
    assert "cimcloud-aaa._domainkey.dkim-doubled.test.dkim-doubled.test" in entry["findings"][0]["message"]
    assert entry["misplaced"][0]["kind"] == "doubled-name"


def test_cname_to_a_provider_name(dns_lab: Lab) -> None:
    (entry,) = run_check(dns_lab, "dkim-good.test", records=[("alias._domainkey", RECORD)])
    assert entry["status"] == "pass", entry["findings"]
    assert entry["alias"] == "key.dkim-provider.test"
    assert codes(entry) == ["dkim.cname"]


def test_revoked_testing_and_multiple(dns_lab: Lab) -> None:
    entries = run_check(dns_lab, "dkim-good.test", selectors=("revoked", "testing", "twice"))
    by_selector = {e["selector"]: e for e in entries}
    assert codes(by_selector["revoked"]) == ["dkim.revoked"]
    assert codes(by_selector["testing"]) == ["dkim.testing"]
    assert by_selector["testing"]["status"] == "pass"
    assert "dkim.multiple" in codes(by_selector["twice"])


def test_human_lines_show_the_name_key_and_link() -> None:
    zone = MemorySource()
    zone.add(f"{SEL}._domainkey.x.test", "TXT", RECORD)
    (result,) = asyncio.run(check_dkim(CheckContext("x.test", zone, CheckOptions(dkim_selectors=(SEL,)))))  # type: ignore[arg-type]
    link = verification_link("x.test", SEL)
    assert human_lines(result) == [f"name: {SEL}._domainkey.x.test", "key: rsa 2048 bits", f"verify: {link}"]


def test_an_update_is_seen_on_the_authoritative_servers_at_once(dns_lab: Lab) -> None:
    lookup = Lookup(dns_lab.settings())
    before = asyncio.run(verify(lookup, "dkim-doubled.test", SEL, RECORD))
    assert not before.verified
    strings = " ".join(f'"{RECORD[i : i + 255]}"' for i in range(0, len(RECORD), 255))
    dns_lab.update(
        "dkim-doubled.test",
        add=[(f"{SEL}._domainkey", 300, "TXT", strings)],
        delete=[(f"{SEL}._domainkey.dkim-doubled.test.dkim-doubled.test.", "TXT")],
    )
    after = asyncio.run(verify(lookup, "dkim-doubled.test", SEL, RECORD))
    assert after.verified, after.findings
    assert all(a.texts == [RECORD] for a in after.servers)
