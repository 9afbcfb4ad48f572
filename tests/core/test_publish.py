"""The publish plan: only the records this tool owns change; everything else is kept byte for byte."""

from __future__ import annotations

import json

import pytest

from wizard.core.publish import PlanError, Wanted, make_plan, plan_from_json, render, to_strings
from wizard.core.records import Kind

VERIFY = (b"google-site-verification=abc",)
SPLIT = (b"part one ", b"part two")
SPF = (b"v=spf1 include:_spf.google.com ~all",)


def plan(current: dict, *wanted: Wanted, domain: str = "acme.com"):  # type: ignore[no-untyped-def,type-arg]
    zones = {w.name: domain for w in wanted}
    return make_plan(domain, wanted, zones, current)


def test_spf_is_edited_in_place_and_other_apex_txt_is_untouched() -> None:
    p = plan({"acme.com": ((VERIFY, SPF, SPLIT), 600)}, Wanted(Kind.SPF, "acme.com", "sendgrid.net"))
    (change,) = p.changes
    assert change.remove == (SPF,)
    assert change.add == ((b"v=spf1 include:_spf.google.com include:_spf.mycimcloud.com include:sendgrid.net ~all",),)
    assert change.ttl == 600  # the RRset keeps its TTL
    assert change.after[:2] == (VERIFY, SPLIT)
    assert any("mycimcloud" in r for r in change.reasons)


def test_two_spf_records_become_one() -> None:
    second = (b"v=spf1 include:sendgrid.net -all",)
    (change,) = plan({"acme.com": ((SPF, second, VERIFY), 300)}, Wanted(Kind.SPF, "acme.com", "")).changes
    assert set(change.remove) == {SPF, second}
    assert len(change.add) == 1 and VERIFY in change.after


def test_nothing_to_do_when_already_published() -> None:
    spf = (b"v=spf1 include:_spf.mycimcloud.com ~all",)
    dmarc = (b"v=DMARC1; p=none",)
    p = plan(
        {"acme.com": ((spf, VERIFY), 300), "_dmarc.acme.com": ((dmarc,), 300)},
        Wanted(Kind.SPF, "acme.com", ""),
        Wanted(Kind.DMARC, "_dmarc.acme.com", "v=DMARC1; p=none"),
    )
    assert p.empty


def test_a_new_name_gets_the_default_ttl_and_an_absent_prerequisite() -> None:
    value = "v=DKIM1; k=rsa; p=" + "A" * 400
    (change,) = plan({}, Wanted(Kind.DKIM, "s._domainkey.acme.com", value)).changes
    assert change.before == () and change.ttl == 3600
    (record,) = change.add
    assert len(record) == 2 and b"".join(record) == value.encode() and all(len(s) <= 255 for s in record)
    assert render(record).count('"') == 4


def test_dmarc_replaces_only_the_dmarc_record_at_its_name() -> None:
    other = (b"some-other=1",)
    (change,) = plan(
        {"_dmarc.acme.com": (((b"v=DMARC1; p=none",), other), 300)},
        Wanted(Kind.DMARC, "_dmarc.acme.com", "v=DMARC1; p=reject"),
    ).changes
    assert change.remove == ((b"v=DMARC1; p=none",),) and other in change.after


def test_a_record_meant_as_dmarc_but_discarded_by_receivers_is_replaced_not_left_beside_the_new_one() -> None:
    typed = (b" v=dmarc1; p=none",)  # lower case and a leading space: receivers ignore it
    other = (b"some-other=1",)
    (change,) = plan(
        {"_dmarc.acme.com": ((typed, other), 300)}, Wanted(Kind.DMARC, "_dmarc.acme.com", "v=DMARC1; p=none")
    ).changes
    assert change.remove == (typed,) and change.after == (other, (b"v=DMARC1; p=none",))


def test_sender_id_at_the_apex_is_not_taken_for_spf() -> None:
    sender_id = (b"spf2.0/pra include:_spf.google.com ~all",)
    (change,) = plan({"acme.com": ((sender_id, SPF), 300)}, Wanted(Kind.SPF, "acme.com", "")).changes
    assert change.remove == (SPF,) and sender_id in change.after


def test_undo_is_the_inverse_and_survives_the_undo_file() -> None:
    p = plan({"acme.com": ((VERIFY, SPF), 600)}, Wanted(Kind.SPF, "acme.com", ""))
    saved = plan_from_json(json.loads(json.dumps(p.to_json())))
    undo = saved.inverse()
    (change,) = undo.changes
    assert change.before == p.changes[0].after
    assert set(change.after) == {VERIFY, SPF}
    with pytest.raises(ValueError, match="not a saved publish plan"):
        plan_from_json({"version": 1, "domain": "x", "changes": [{"name": "x"}]})


def test_a_zone_above_the_domain_is_never_updated() -> None:
    with pytest.raises(PlanError, match="no zone of its own"):
        make_plan("acme.com", [Wanted(Kind.SPF, "acme.com", "")], {"acme.com": "com"}, {})
    with pytest.raises(PlanError, match="not in zone"):
        make_plan("acme.com", [Wanted(Kind.SPF, "acme.com", "")], {"acme.com": "other.com"}, {})


def test_values_split_at_255_octets() -> None:
    assert to_strings("x" * 300) == (b"x" * 255, b"x" * 45)


def test_a_whole_spf_record_replaces_the_published_one_as_composed() -> None:
    (change,) = plan({"acme.com": ((SPF, VERIFY), 300)}, Wanted(Kind.SPF, "acme.com", "v=spf1 a -all")).changes
    assert change.remove == (SPF,) and change.add == ((b"v=spf1 a -all",),)


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("acme.com", "v=spf1 -all", Kind.SPF),
        ("s1._domainkey.acme.com", "v=DKIM1; p=abc", Kind.DKIM),
        ("_dmarc.acme.com", "v=DMARC1; p=none", Kind.DMARC),
        ("acme.com._report._dmarc.reports.example", "v=DMARC1", Kind.REPORT_AUTH),
        ("_mta-sts.acme.com", "v=STSv1; id=1", Kind.MTA_STS),
        ("_smtp._tls.acme.com", "v=TLSRPTv1; rua=mailto:x@acme.com", Kind.TLS_RPT),
        ("acme.com", "google-site-verification=x", None),
    ],
)
def test_the_kind_of_a_record_card(name: str, value: str, kind: Kind | None) -> None:
    from wizard.core.publish import kind_of

    assert kind_of(name, value) is kind


def test_a_record_the_checks_would_fail_is_never_planned() -> None:
    from pathlib import Path

    from wizard.core.publish import record_problem

    key = (Path(__file__).parent.parent / "data" / "dkim" / "rsa2048-a.b64").read_text().strip()
    assert record_problem(Wanted(Kind.DKIM, "s._domainkey.acme.com", f"v=DKIM1; k=rsa; p={key}")) is None
    problem = record_problem(Wanted(Kind.DKIM, "s._domainkey.acme.com", "v=DKIM1; k=rsa; p=junkjunk"))
    assert problem is not None and "RSA public key" in problem
    assert record_problem(Wanted(Kind.DMARC, "_dmarc.acme.com", "v=DMARC1; p=sometimes")) is not None
    assert record_problem(Wanted(Kind.DMARC, "_dmarc.acme.com", "v=DMARC1; p=none")) is None
