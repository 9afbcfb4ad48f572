"""The lookup layer against real BIND servers: the three views, change visibility, failures within deadlines."""

from __future__ import annotations

import asyncio
import time

import pytest

from wizard.core.answers import Outcome
from wizard.lookup.lookup import Lookup

pytestmark = pytest.mark.lab

SPF = "v=spf1 include:_spf.google.com ~all"
NEW_SPF = "v=spf1 include:_spf.mycimcloud.com include:_spf.google.com ~all"


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def spf_texts(texts: list[str]) -> list[str]:
    return [t for t in texts if t.startswith("v=spf1")]


def test_resolver_view_returns_joined_txt_with_ttl(dns_lab) -> None:  # type: ignore[no-untyped-def]
    answer = run(Lookup(dns_lab.settings()).resolve("example.test", "TXT"))
    assert answer.outcome is Outcome.OK
    assert spf_texts(answer.texts) == [SPF]
    assert answer.ttl is not None and 0 < answer.ttl <= 300


def test_authoritative_view_asks_each_server_directly(dns_lab) -> None:  # type: ignore[no-untyped-def]
    view = run(Lookup(dns_lab.settings()).authoritative("example.test", "TXT"))
    assert view.outcome is Outcome.OK
    assert view.zone == "example.test"
    assert sorted(a.server for a in view.servers) == [
        "ns1.lab.test (127.0.0.1)",
        "ns2.lab.test (127.0.0.2)",
    ]
    assert all(a.authoritative and spf_texts(a.texts) == [SPF] for a in view.servers)
    assert view.agree and view.consensus is not None


def test_change_is_seen_on_authoritative_servers_while_resolver_serves_cached_answer(dns_lab) -> None:  # type: ignore[no-untyped-def]
    lookup = Lookup(dns_lab.settings())
    before = run(lookup.resolve("example.test", "TXT"))
    assert spf_texts(before.texts) == [SPF]

    dns_lab.update("example.test", delete=[("@", "TXT")], add=[("@", 300, "TXT", f'"{NEW_SPF}"')])
    time.sleep(1.1)
    views = run(lookup.views("example.test", "TXT"))

    assert [spf_texts(a.texts) for a in views.authoritative.servers] == [[NEW_SPF], [NEW_SPF]]
    assert spf_texts(views.resolver.texts) == [SPF], "the caching resolver still has the old answer"
    assert views.resolver.ttl is not None and views.resolver.ttl < before.ttl  # type: ignore[operator]
    remaining = views.resolver.expires_in()
    assert remaining is not None and 0 < remaining < 300


def test_one_updated_server_and_one_stale_disagree(dns_lab) -> None:  # type: ignore[no-untyped-def]
    dns_lab.update("example.test", add=[("@", 300, "TXT", '"fresh"')], servers=(0,))
    view = run(Lookup(dns_lab.settings()).authoritative("example.test", "TXT"))
    assert not view.agree and view.consensus is None
    by_server = {a.server: a.texts for a in view.servers}
    assert "fresh" in by_server["ns1.lab.test (127.0.0.1)"]
    assert "fresh" not in by_server["ns2.lab.test (127.0.0.2)"]


def test_missing_name_is_nxdomain_with_negative_ttl_everywhere(dns_lab) -> None:  # type: ignore[no-untyped-def]
    views = run(Lookup(dns_lab.settings()).views("nothing-here.example.test", "TXT"))
    assert views.resolver.outcome is Outcome.NXDOMAIN
    assert views.resolver.ttl is not None and 0 < views.resolver.ttl <= 300
    assert {a.outcome for a in views.authoritative.servers} == {Outcome.NXDOMAIN}
    assert all(a.ttl == 300 for a in views.authoritative.servers)


def test_existing_name_without_txt_is_nodata(dns_lab) -> None:  # type: ignore[no-untyped-def]
    views = run(Lookup(dns_lab.settings()).views("nospf.test", "TXT"))
    assert views.resolver.outcome is Outcome.NODATA
    assert {a.outcome for a in views.authoritative.servers} == {Outcome.NODATA}


def test_large_txt_record_needs_tcp_and_arrives_whole(dns_lab) -> None:  # type: ignore[no-untyped-def]
    key = "v=DKIM1; k=rsa; p=" + "A" * 1400
    strings = " ".join(f'"{key[i : i + 255]}"' for i in range(0, len(key), 255))
    for n in range(3):
        dns_lab.update("example.test", add=[(f"big{n}._domainkey", 300, "TXT", strings)])
    lookup = Lookup(dns_lab.settings(edns_payload=512))
    views = run(lookup.views("big0._domainkey.example.test", "TXT"))
    assert views.resolver.texts == [key]
    assert [a.texts for a in views.authoritative.servers] == [[key], [key]]


def test_unanswering_resolver_times_out_within_the_deadline(dns_lab) -> None:  # type: ignore[no-untyped-def]
    host, port = dns_lab.blackhole
    lookup = Lookup(dns_lab.settings(nameservers=((host, port),), timeout=1.5, query_timeout=0.3))
    start = time.monotonic()
    views = run(lookup.views("example.test", "TXT"))
    elapsed = time.monotonic() - start
    assert views.resolver.outcome is Outcome.TIMEOUT
    assert views.authoritative.outcome is Outcome.TIMEOUT
    assert elapsed < 1.5 + 1.0


def test_public_view_can_be_pointed_at_lab_resolvers(dns_lab) -> None:  # type: ignore[no-untyped-def]
    settings = dns_lab.settings(
        public_resolvers=True,
        public_resolver_addresses=(("Lab", "127.0.0.1", dns_lab.resolver_port), ("Hole", *dns_lab.blackhole)),
        timeout=1.5,
        query_timeout=0.3,
    )
    answers = run(Lookup(settings).public("example.test", "TXT"))
    assert [a.outcome for a in answers] == [Outcome.OK, Outcome.TIMEOUT]
    assert spf_texts(answers[0].texts) == [SPF]


def test_public_resolvers_off_asks_none(dns_lab) -> None:  # type: ignore[no-untyped-def]
    assert run(Lookup(dns_lab.settings(public_resolvers=False)).public("example.test", "TXT")) == ()


def test_alias_to_another_zone_is_followed_to_that_zones_servers(dns_lab) -> None:  # type: ignore[no-untyped-def]
    views = run(Lookup(dns_lab.settings()).views("sel._domainkey.lookup-alias.test", "TXT"))
    assert views.resolver.texts == ["v=DKIM1; k=rsa; p=MIGfMA0"]
    assert views.resolver.canonical == "sel.keys.lookup-target.test"
    auth = views.authoritative
    assert auth.zone == "lookup-alias.test"
    assert all(a.canonical == "sel.keys.lookup-target.test" and not a.values for a in auth.servers)
    assert auth.final.zone == "lookup-target.test"
    consensus = auth.consensus
    assert consensus is not None and consensus.texts == ["v=DKIM1; k=rsa; p=MIGfMA0"]


def test_one_dead_name_server_times_out_and_the_other_still_answers(dns_lab) -> None:  # type: ignore[no-untyped-def]
    lookup = Lookup(dns_lab.settings(timeout=2.0, query_timeout=0.3, retries=1))
    start = time.monotonic()
    view = run(lookup.authoritative("halfdead.test", "TXT"))
    elapsed = time.monotonic() - start
    outcomes = {a.server: a.outcome for a in view.servers}
    assert outcomes == {"ns1.lab.test (127.0.0.1)": Outcome.OK, "ns3.lab.test (127.0.0.3)": Outcome.TIMEOUT}
    assert elapsed < 2.0 + 0.5


def test_silent_public_resolvers_do_not_hold_up_the_other_views(dns_lab) -> None:  # type: ignore[no-untyped-def]
    settings = dns_lab.settings(
        public_resolvers=True,
        public_resolver_addresses=(("Lab", "127.0.0.1", dns_lab.resolver_port), ("Hole", *dns_lab.blackhole)),
        timeout=5.0,
        query_timeout=1.0,
        public_grace=0.3,
    )
    start = time.monotonic()
    views = run(Lookup(settings).views("example.test", "TXT"))
    elapsed = time.monotonic() - start
    assert views.resolver.ok and views.authoritative.agree
    lab, hole = views.public
    assert lab.outcome is Outcome.OK and spf_texts(lab.texts) == [SPF]
    assert hole.outcome is Outcome.TIMEOUT
    assert hole.detail == "no answer by the time the other servers had answered"
    assert elapsed < 2.0, "a silent public resolver must not cost the whole 5 s deadline"


@pytest.mark.parametrize(
    "name",
    [
        "lookup-alias.test",  # the apex: its NS answer names it
        "host.lookup-alias.test",  # a name in the zone: NODATA for NS, with the zone's SOA in the authority section
        "nothing.lookup-alias.test",  # NXDOMAIN, with the same SOA
        "mail.lookup-alias.test",  # an alias of another zone's apex: that zone's NS answer is not this name's
    ],
)
def test_the_zone_of_a_name_is_the_one_that_holds_it(dns_lab, name: str) -> None:  # type: ignore[no-untyped-def]
    zone, servers, outcome, _ = run(Lookup(dns_lab.settings()).find_servers(name))
    assert (zone, outcome) == ("lookup-alias.test", Outcome.OK)
    assert sorted(host for host, _ in servers) == ["ns1.lab.test", "ns2.lab.test"]


def test_a_negative_ns_answer_kept_without_its_reply_still_finds_the_zone(dns_lab) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> tuple[Outcome, str | None]:
        lookup = Lookup(dns_lab.settings()).for_run().for_domain()
        asked = await lookup.resolve("host.lookup-alias.test", "NS")  # kept for the domain's checks, reply gone
        zone, _, _, _ = await lookup.find_servers("host.lookup-alias.test")
        return asked.outcome, zone

    assert run(scenario()) == (Outcome.NODATA, "lookup-alias.test")
