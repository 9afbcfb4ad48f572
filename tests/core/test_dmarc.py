"""DMARC records: parsing and validation, policy discovery over in-memory answers, external report authorization,
and the composer with its CIMcloud DKIM guard."""

from __future__ import annotations

import asyncio

import idna
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wizard.core.dmarc.compose import DmarcChoice, compose_dmarc, jump_warning, published_choices, recommend_stage
from wizard.core.dmarc.discovery import discover_policy, organizational_domain, walk_names
from wizard.core.dmarc.record import Alignment, Policy, is_dmarc_record, parse_dmarc
from wizard.core.dmarc.reports import AuthStatus, check_authorizations
from wizard.core.dmarc.rollout import Stage, first_stage_with
from wizard.core.findings import Severity
from wizard.core.tags import ComposeError
from wizard.lookup.memory import MemorySource


def codes(record_text: str) -> list[str]:
    return [p.code for p in parse_dmarc(record_text).problems]


# ---------------------------------------------------------------- parser


def test_full_record_is_parsed_into_its_values() -> None:
    r = parse_dmarc(
        "v=DMARC1; p=quarantine; sp=reject; np=reject; adkim=s; aspf=r; t=y; psd=n; fo=1:d; "
        "rua=mailto:agg@example.com!10m, mailto:dmarc@vendor.net; ruf=mailto:forensic@example.com"
    )
    assert r.valid and r.problems == ()
    assert (r.policy, r.subdomain_policy, r.nonexistent_policy) == (Policy.QUARANTINE, Policy.REJECT, Policy.REJECT)
    assert (r.adkim, r.aspf, r.testing, r.psd, r.fo) == (Alignment.STRICT, Alignment.RELAXED, True, "n", ("1", "d"))
    assert [(u.address, u.domain, u.size_limit) for u in r.rua] == [
        ("agg@example.com", "example.com", 10 * 1024 * 1024),
        ("dmarc@vendor.net", "vendor.net", None),
    ]
    assert r.ruf[0].address == "forensic@example.com"


def test_minimal_record_needs_only_v_and_p() -> None:
    r = parse_dmarc("v=DMARC1;p=none")
    assert r.valid and r.policy is Policy.NONE and r.adkim is Alignment.RELAXED


def test_policy_keywords_are_case_insensitive_but_tag_names_are_not() -> None:
    assert parse_dmarc("v=DMARC1; p=Reject; sp=QUARANTINE").policy_for(subdomain=True) is Policy.QUARANTINE
    upper = parse_dmarc("v=DMARC1; P=reject")
    assert upper.policy is None and not upper.valid
    assert any("did you mean p=" in p.message for p in upper.problems)


@pytest.mark.parametrize("text", ["v=dmarc1; p=reject", "V=DMARC1; p=reject", " v=DMARC1; p=reject", "v=DMARC1p=none"])
def test_only_exactly_v_DMARC1_first_is_a_dmarc_record(text: str) -> None:
    assert not is_dmarc_record(text)
    record = parse_dmarc(text)
    assert not record.valid and any("exactly v=DMARC1" in p.message for p in record.problems)


def test_whitespace_around_the_equals_sign_is_allowed_by_the_abnf() -> None:
    assert is_dmarc_record("v = DMARC1 ; p=none") and is_dmarc_record("v=DMARC1")
    assert parse_dmarc("v = DMARC1 ; p=none").valid


def test_invalid_sp_with_a_usable_rua_makes_receivers_act_as_p_none() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com")
    assert record.policy_for(subdomain=False) is Policy.NONE
    assert record.policy_for(subdomain=True) is Policy.NONE
    fallback = [p for p in record.problems if p.code == "dmarc.policy-fallback"]
    assert fallback and "act as if the record said p=none" in fallback[0].message


def test_invalid_sp_without_rua_means_no_dmarc_at_all() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; sp=bogus")
    assert record.policy_for(subdomain=False) is None
    assert [p.severity for p in record.problems if p.code == "dmarc.policy-fallback"] == [Severity.ERROR]


def test_unknown_report_format_is_a_warning_receivers_ignore() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; rf=iodef")
    assert record.valid and record.policy is Policy.REJECT
    assert [(p.code, p.severity) for p in record.problems if p.code == "dmarc.rf-unknown"] == [
        ("dmarc.rf-unknown", Severity.WARNING)
    ]
    assert "dmarc.rf-unknown" not in codes("v=DMARC1; p=none; rf=AFRF")


@pytest.mark.parametrize("digit", ["²", "٣", "５", "߀", "𝟗"])
def test_numbers_in_other_scripts_are_syntax_errors_not_crashes(digit: str) -> None:
    for tag in ("pct", "ri"):
        record = parse_dmarc(f"v=DMARC1; p=none; {tag}={digit}")
        assert any(f"{tag}={digit} must be a whole number" in p.message for p in record.problems)
        assert record.pct is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("p=none; v=DMARC1", "must start with exactly v=DMARC1"),
        ("v=DMARC1; p=block", "p=block is not valid"),
        ("v=DMARC1; p=none; sp=maybe", "sp=maybe"),
        ("v=DMARC1; p=none; adkim=x", "adkim=x"),
        ("v=DMARC1; p=none; pct=150", "pct=150 must be a whole number"),
        ("v=DMARC1; p=none; fo=2", "fo=2"),
        ("v=DMARC1; p=none; rua=dmarc@example.com", "must start with mailto:"),
        ("v=DMARC1; p=none; rua=mailto:nobody", "not an email address"),
        ("v=DMARC1; p=none; rua=mailto:a@example.com!10x", "size limit"),
        ("v=DMARC1; p=none; rua=mailto:a@exa mple.com", "contains a space"),
        ("v=DMARC1; rua=mailto:a@example.com", "no p= tag"),
        ("v=DMARC1; p=none; garbage", "not a name=value pair"),
    ],
)
def test_bad_values_are_syntax_errors_that_say_what_is_wrong(text: str, fragment: str) -> None:
    r = parse_dmarc(text)
    assert not r.valid
    messages = [p.message for p in r.problems if p.code == "dmarc.syntax"]
    assert any(fragment in m for m in messages), messages


def test_retired_and_unknown_tags_are_reported_but_do_not_invalidate() -> None:
    r = parse_dmarc("v=DMARC1; p=none; pct=100; rf=afrf; ri=86400; colour=blue")
    assert r.valid
    assert sorted(codes(r.text)) == ["dmarc.retired-tag"] * 3 + ["dmarc.unknown-tag"]
    assert {p.severity for p in r.problems if p.code == "dmarc.retired-tag"} == {Severity.INFO}


def test_every_tag_repeated_reports_each_once_and_keeps_the_first_value() -> None:
    tags = "p=reject; sp=none; np=none; pct=10; t=n; rua=mailto:a@example.com; ruf=mailto:b@example.com; "
    tags += "adkim=s; aspf=s; fo=1; rf=afrf; ri=3600; psd=n"
    r = parse_dmarc(f"v=DMARC1; {tags}; {tags}; {tags}")
    repeated = [p.message for p in r.problems if "appears 3 times" in p.message]
    assert len(repeated) == 13
    assert r.policy is Policy.REJECT and r.pct == 10


def test_a_hundred_rua_addresses_are_all_parsed() -> None:
    rua = ",".join(f"mailto:r{i}@reports{i}.example.net" for i in range(100))
    r = parse_dmarc(f"v=DMARC1; p=none; rua={rua}")
    assert r.valid and len(r.rua) == 100


def test_non_ascii_is_an_error_naming_the_position() -> None:
    r = parse_dmarc("v=DMARC1; p=none; rua=mailto:dmarc@exämple.com")
    assert not r.valid
    assert any("position 38" in p.message for p in r.problems)


def test_replacement_character_from_undecodable_bytes_is_named() -> None:
    r = parse_dmarc("v=DMARC1; p=\ufffd")
    assert any("not UTF-8" in p.message for p in r.problems)


def test_is_dmarc_record_matches_what_receivers_select() -> None:
    assert is_dmarc_record("v=DMARC1; p=none")
    assert is_dmarc_record("v = DMARC1 ;p=none")
    assert is_dmarc_record("v=DMARC1")
    assert not is_dmarc_record("v=DMARC10; p=none")
    assert not is_dmarc_record("p=none; v=DMARC1")
    assert not is_dmarc_record("v=spf1 -all")


def test_invalid_p_with_rua_acts_as_none() -> None:
    r = parse_dmarc("v=DMARC1; p=bogus; rua=mailto:a@example.com")
    assert r.policy_for(subdomain=False) is Policy.NONE


@given(st.text(max_size=300))
def test_parser_never_raises(text: str) -> None:
    parse_dmarc(text)
    parse_dmarc("v=DMARC1; " + text)


# ---------------------------------------------------------------- discovery


def test_organizational_domain_uses_the_public_suffix_list() -> None:
    assert organizational_domain("sub.example.test") == "example.test"
    assert organizational_domain("example.test") == "example.test"
    assert organizational_domain("a.b.example.co.uk") == "example.co.uk"
    assert organizational_domain("co.uk") == "co.uk"


def test_organizational_domain_of_an_international_name_follows_the_lists_unicode_rules() -> None:
    suffix = idna.encode("個人.香港").decode()  # a two-label rule, published in Unicode only
    assert organizational_domain(f"mail.shop.{suffix}") == f"shop.{suffix}"
    assert organizational_domain(f"mail.{idna.encode('bücher').decode()}.de") == "xn--bcher-kva.de"


def test_walk_names_jump_to_seven_labels_for_long_names() -> None:
    assert walk_names("mail.sub.example.test") == ["mail.sub.example.test", "sub.example.test", "example.test", "test"]
    long = walk_names("a.b.c.d.e.f.g.h.example.com")
    assert long[0] == "a.b.c.d.e.f.g.h.example.com"
    assert long[1] == "d.e.f.g.h.example.com"  # 7 labels
    assert long[-1] == "com" and len(long) == 8


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_own_record_applies() -> None:
    src = MemorySource()
    src.add("_dmarc.example.test", "TXT", "v=DMARC1; p=reject")
    d = run(discover_policy(src, "example.test"))
    assert d.policy_domain == "example.test" and not d.inherited and d.policy is Policy.REJECT


def test_subdomain_inherits_the_organizational_record_with_sp() -> None:
    src = MemorySource()
    src.add("_dmarc.example.test", "TXT", "v=DMARC1; p=reject; sp=quarantine")
    d = run(discover_policy(src, "shop.sub.example.test"))
    assert d.inherited and d.policy_domain == "example.test" and d.org_domain == "example.test"
    assert d.policy is Policy.QUARANTINE


def test_tree_walk_finds_an_intermediate_record_that_rfc7489_would_miss() -> None:
    src = MemorySource()
    src.add("_dmarc.example.test", "TXT", "v=DMARC1; p=none")
    src.add("_dmarc.sub.example.test", "TXT", "v=DMARC1; p=reject")
    d = run(discover_policy(src, "shop.sub.example.test"))
    assert d.policy_domain == "sub.example.test" and d.policy is Policy.REJECT
    assert d.rfc7489_policy_domain == "example.test"


def test_non_dmarc_txt_at_dmarc_name_is_ignored_and_two_records_count_as_none() -> None:
    src = MemorySource()
    src.add("_dmarc.sub.example.test", "TXT", "google-site-verification=abc")
    src.add("_dmarc.example.test", "TXT", "v=DMARC1; p=none")
    src.add("_dmarc.example.test", "TXT", "v=DMARC1; p=reject")
    d = run(discover_policy(src, "sub.example.test"))
    assert d.record is None
    assert d.steps[0].others == ("google-site-verification=abc",)
    assert len(d.step("example.test").records) == 2  # type: ignore[union-attr]


def test_a_failed_lookup_before_the_record_is_reported() -> None:
    src = MemorySource()
    src.add_timeout("_dmarc.sub.example.test")
    src.add("_dmarc.example.test", "TXT", "v=DMARC1; p=none")
    d = run(discover_policy(src, "sub.example.test"))
    assert d.failure is not None and d.failure.domain == "sub.example.test"
    assert d.policy_domain == "example.test"


# ---------------------------------------------------------------- external destinations


def test_external_destinations_are_checked_and_internal_ones_are_not() -> None:
    src = MemorySource()
    src.add("example.test._report._dmarc.good.test", "TXT", "v=DMARC1")
    r = parse_dmarc(
        "v=DMARC1; p=none; rua=mailto:a@example.test,mailto:b@reports.example.test,"
        "mailto:c@good.test,mailto:d@missing.test"
    )
    auths = run(check_authorizations(src, "example.test", r.rua))
    assert [(a.destination, a.status) for a in auths] == [
        ("good.test", AuthStatus.AUTHORIZED),
        ("missing.test", AuthStatus.MISSING),
    ]
    assert auths[1].name == "example.test._report._dmarc.missing.test" and auths[1].record == "v=DMARC1;"
    assert len(src.queries) == 2


def test_a_hundred_destinations_cost_at_most_twenty_queries() -> None:
    src = MemorySource()
    r = parse_dmarc("v=DMARC1; p=none; rua=" + ",".join(f"mailto:r@d{i}.test" for i in range(100)))
    auths = run(check_authorizations(src, "example.test", r.rua))
    assert len(auths) == 100 and len(src.queries) == 20
    assert sum(a.status is AuthStatus.UNCHECKED for a in auths) == 80


# ---------------------------------------------------------------- composer


def test_composer_builds_the_record_and_its_zone_file_form() -> None:
    c = compose_dmarc(
        DmarcChoice(
            "Example.COM",
            policy=Policy.NONE,
            rua=("dmarc@example.com",),
            ruf=("mailto:forensic@example.com",),
            failure_options=("1",),
            adkim=Alignment.STRICT,
            subdomain_policy=Policy.REJECT,
            dkim_verified=True,
        )
    )
    assert c.name == "_dmarc.example.com"
    assert c.value == (
        "v=DMARC1; p=none; sp=reject; rua=mailto:dmarc@example.com; ruf=mailto:forensic@example.com; fo=1; adkim=s"
    )
    assert c.zone_file == f'"{c.value}"'
    assert parse_dmarc(c.value).valid
    assert c.authorizations == ()


def test_composer_without_verified_dkim_recommends_none_and_says_why() -> None:
    c = compose_dmarc(DmarcChoice("example.com", policy=Policy.REJECT, current=Stage(Policy.NONE), dkim_verified=False))
    assert c.recommended == Stage(Policy.NONE)
    assert "CIMcloud DKIM signing is not shown to be active for example.com" in c.guard
    assert "p=reject" in c.value  # the admin's own choice is still composed, with the warning beside it


def test_composer_with_verified_dkim_recommends_the_next_step_of_the_pct_ramp() -> None:
    c = compose_dmarc(DmarcChoice("example.com", current=Stage(Policy.NONE), dkim_verified=True))
    assert c.recommended == Stage(Policy.QUARANTINE, 25) and c.guard == ""
    ramp = Stage(Policy.QUARANTINE, 25)
    assert recommend_stage("example.com", ramp, True) == (Stage(Policy.QUARANTINE), "")
    assert recommend_stage("example.com", Stage(Policy.QUARANTINE, 50), True) == (Stage(Policy.QUARANTINE), "")
    assert recommend_stage("example.com", Stage(Policy.QUARANTINE), True) == (Stage(Policy.REJECT), "")
    assert recommend_stage("example.com", Stage(Policy.REJECT), True) == (Stage(Policy.REJECT), "")
    assert recommend_stage("example.com", None, True) == (Stage(Policy.NONE), "")


def test_composer_writes_pct_only_while_enforcing_on_part_of_the_mail() -> None:
    assert (
        compose_dmarc(DmarcChoice("example.com", Policy.QUARANTINE, pct=25)).value == "v=DMARC1; p=quarantine; pct=25"
    )
    assert compose_dmarc(DmarcChoice("example.com", Policy.QUARANTINE, pct=100)).value == "v=DMARC1; p=quarantine"
    assert compose_dmarc(DmarcChoice("example.com", Policy.NONE, pct=25)).value == "v=DMARC1; p=none"
    assert parse_dmarc(compose_dmarc(DmarcChoice("example.com", Policy.QUARANTINE, pct=25)).value).pct == 25
    with pytest.raises(ComposeError):
        compose_dmarc(DmarcChoice("example.com", Policy.QUARANTINE, pct=101))


def test_composer_lists_the_records_external_destinations_must_publish() -> None:
    c = compose_dmarc(DmarcChoice("example.com", rua=("a@example.com", "rua@vendor.net")))
    assert c.authorizations == (("example.com._report._dmarc.vendor.net", "v=DMARC1;"),)


@pytest.mark.parametrize(
    ("choice", "field"), [(DmarcChoice("not a domain"), "domain"), (DmarcChoice("example.com", rua=("nobody",)), "rua")]
)
def test_composer_refuses_unusable_input_naming_the_field(choice: DmarcChoice, field: str) -> None:
    with pytest.raises(ComposeError) as exc:
        compose_dmarc(choice)
    assert exc.value.field == field


def test_thousands_of_bad_tags_give_a_bounded_list_of_findings() -> None:
    r = parse_dmarc("v=DMARC1; p=none; " + "; ".join(f"x{i}=1" for i in range(10_000)))
    unknown = [p for p in r.problems if p.code == "dmarc.unknown-tag"]
    assert len(unknown) == 21
    assert unknown[-1].message == "... and 9980 more problems like these."


def test_jump_warning_only_when_a_stage_is_skipped() -> None:
    none, ramp, quarantine, reject = (
        Stage(Policy.NONE),
        Stage(Policy.QUARANTINE, 25),
        Stage(Policy.QUARANTINE),
        Stage(Policy.REJECT),
    )
    assert jump_warning(None, ramp) == ""
    assert jump_warning(none, ramp) == ""
    assert jump_warning(ramp, quarantine) == ""
    assert jump_warning(quarantine, reject) == ""
    assert jump_warning(reject, none) == ""  # stepping back is never a jump
    to_reject = jump_warning(none, reject)
    assert "p=reject straight after p=none skips a stage" in to_reject
    assert "The safer path: p=quarantine with pct=25, then p=quarantine first" in to_reject
    assert "skips a stage" in jump_warning(None, reject)
    assert "p=reject straight after p=quarantine with pct=25 skips a stage" in jump_warning(ramp, reject)
    assert "skips a stage" in jump_warning(Stage(Policy.QUARANTINE, 50), reject)
    assert "skips a stage" in jump_warning(none, quarantine)  # all of the mail at once, without the ramp


def test_a_policy_chosen_starts_where_the_staged_path_puts_it() -> None:
    none, ramp = Stage(Policy.NONE), Stage(Policy.QUARANTINE, 25)
    assert first_stage_with(none, Policy.QUARANTINE) == ramp
    assert first_stage_with(None, Policy.QUARANTINE) == ramp
    assert first_stage_with(Stage(Policy.QUARANTINE, 40), Policy.QUARANTINE) == Stage(Policy.QUARANTINE, 40)  # kept
    assert first_stage_with(ramp, Policy.REJECT) == Stage(Policy.REJECT)
    assert first_stage_with(Stage(Policy.REJECT), Policy.QUARANTINE) == Stage(Policy.QUARANTINE)  # back down: all


def test_published_choices_keep_the_report_addresses_without_mailto() -> None:
    choices = published_choices(parse_dmarc("v=DMARC1; p=quarantine; sp=none; rua=mailto:a@x.test,mailto:b@x.test"))
    assert choices.policy is Policy.QUARANTINE and choices.subdomain_policy is Policy.NONE
    assert choices.rua == ("a@x.test", "b@x.test")
