"""How many questions one domain's check asks, and how many of them wait for each other (bench scenario A's
realistic domain, checked in-process through a proxy that answers in waves: see lockstep_proxy.py)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.__main__ import REALISTIC, SELECTOR, write_zones
from tests.lab import Lab
from tests.lab.bind import free_port
from tests.lookup.lockstep_proxy import LockstepProxy
from wizard import checks
from wizard.checks import CheckOptions, first_questions, first_views, pieces_needed, prepare, run_domain
from wizard.lookup.lookup import Lookup

pytestmark = pytest.mark.lab

# The longest chains of questions that depend on each other for the realistic domain: the domain's NS (which
# finds its zone too), the name servers' addresses, then the authoritative servers; and the SPF tree: the domain's TXT,
# _spf.google.com, the _netblocks names it includes (or TXT, MX, the MX host's address for `mx`).
CRITICAL_PATH = 3


@pytest.fixture
def lab_zone_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "zones"
    write_zones(folder, 0)  # scenario A's zones, as the bench serves them
    return folder


@pytest.fixture
def waves(dns_lab: Lab) -> Iterator[tuple[LockstepProxy, Lookup]]:
    auth = free_port(("127.0.0.1", "127.0.0.2"), exclude=(dns_lab.port, dns_lab.resolver_port))
    resolver = free_port(("127.0.0.1",), exclude=(dns_lab.port, dns_lab.resolver_port, auth))
    routes = {
        ("127.0.0.1", auth): ("127.0.0.1", dns_lab.port),
        ("127.0.0.2", auth): ("127.0.0.2", dns_lab.port),
        ("127.0.0.1", resolver): ("127.0.0.1", dns_lab.resolver_port),
    }
    proxy = LockstepProxy(routes).start()
    closed = free_port(("127.0.0.1",), exclude=(dns_lab.port, dns_lab.resolver_port, auth, resolver))
    settings = dns_lab.settings(
        nameservers=(("127.0.0.1", resolver),), dns_port=auth, https_port=closed, timeout=30.0, query_timeout=10.0
    )
    try:
        yield proxy, Lookup(settings)
    finally:
        proxy.stop()


OPTIONS = CheckOptions(dkim_selectors=(SELECTOR,))


def _run(lookup: Lookup) -> None:
    _loaded(pieces_needed(OPTIONS))  # as `check` has them by then; a slow first import must not split a wave
    results = asyncio.run(run_domain(REALISTIC, lookup, OPTIONS))
    assert set(results) == {"dns", "spf", "dmarc", "dkim", "mta_sts", "tls_rpt"}


def _loaded(pieces: list[str]) -> None:
    async def wait() -> None:
        prepare.start(*pieces)
        for piece in pieces:
            await prepare.ready(piece)

    asyncio.run(wait())


def test_no_question_waits_longer_than_the_critical_path(waves: tuple[LockstepProxy, Lookup]) -> None:
    proxy, lookup = waves
    _run(lookup)
    report = "\n".join(f"{q.wave} {q.server} {q.name} {q.rdtype}" for q in proxy.questions)
    assert proxy.waves <= CRITICAL_PATH, report
    first = {(q.name, q.rdtype) for q in proxy.in_wave(0)}
    assert (REALISTIC, "NS") in first, "the zone and its name servers are asked at once"


def test_each_zone_cut_and_server_question_is_asked_once(waves: tuple[LockstepProxy, Lookup]) -> None:
    proxy, lookup = waves
    _run(lookup)
    asked = Counter((q.server, q.name, q.rdtype) for q in proxy.questions)
    resolver = {(name, rdtype): n for (server, name, rdtype), n in asked.items() if server == proxy_resolver(proxy)}
    assert [key for key in resolver if key[1] == "SOA"] == [], "the domain's NS finds every name's zone"
    assert [key for key in resolver if key[1] == "NS"] == [(REALISTIC, "NS")]
    assert resolver[REALISTIC, "NS"] == 1
    assert resolver["ns1.lab.test", "A"] == resolver["ns2.lab.test", "A"] == 1
    direct = {key: n for key, n in asked.items() if key[0] != proxy_resolver(proxy)}
    assert direct and set(direct.values()) == {1}, "each authoritative server gets each question once"


def proxy_resolver(proxy: LockstepProxy) -> str:
    """The label of the resolver's route (the one whose port differs from the authoritative servers')."""
    ports = Counter(port for _, port in proxy.routes)
    host, port = next((h, p) for h, p in proxy.routes if ports[p] == 1)
    return f"{host}:{port}"


def test_one_record_checked_alone_finds_its_servers_in_the_same_three_waves(
    waves: tuple[LockstepProxy, Lookup],
) -> None:
    proxy, lookup = waves  # as a wizard page verifies one record: no check of the domain ran before it
    views = asyncio.run(lookup.views(f"_dmarc.{REALISTIC}", "TXT"))
    assert views.authoritative.zone == REALISTIC
    assert [a.texts for a in views.authoritative.servers] == [[f"v=DMARC1; p=none; rua=mailto:dmarc@{REALISTIC}"]] * 2
    report = "\n".join(f"{q.wave} {q.server} {q.name} {q.rdtype}" for q in proxy.questions)
    assert proxy.waves <= CRITICAL_PATH, report
    assert {(q.name, q.rdtype) for q in proxy.in_wave(0)} >= {(f"_dmarc.{REALISTIC}", "SOA"), (REALISTIC, "NS")}


def test_the_questions_asked_before_the_checks_load_are_the_checks_own(waves: tuple[LockstepProxy, Lookup]) -> None:
    """run_domain sends first_questions() while the check modules are imported: each must be one the checks ask
    (else it is a query for nothing), asked once."""
    proxy, lookup = waves
    _run(lookup)
    resolver = Counter((q.name, q.rdtype) for q in proxy.questions if q.server == proxy_resolver(proxy))
    for question in first_questions(REALISTIC, OPTIONS):
        assert resolver[question] == 1, question


def test_a_dkim_selector_the_dkim_check_refuses_is_not_asked_first() -> None:
    """Only a selector the DKIM check itself asks about goes out with the first wave (else: a query for nothing)."""
    options = CheckOptions(dkim_selectors=("Good-1", "-bad", "bad-", "has space", "x" * 64))
    dkim = [name for name, _ in first_questions("example.test", options) if "._domainkey." in name]
    assert dkim == ["good-1._domainkey.example.test"]


def test_the_authoritative_questions_known_from_the_name_leave_before_the_checks_load(
    waves: tuple[LockstepProxy, Lookup], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process's first domain asks first_views' questions as soon as the zone's servers are known, however late
    the check modules come in (here: long after those servers' addresses were answered), and the checks then get
    those views: each question reaches each server once."""
    proxy, lookup = waves
    views = set(first_views(REALISTIC, OPTIONS))
    assert {(REALISTIC, "TXT"), (REALISTIC, "SOA"), (f"{SELECTOR}._domainkey.{REALISTIC}", "TXT")} <= views

    def direct() -> list[tuple[str, str, str]]:
        resolver = proxy_resolver(proxy)
        return [
            (q.server, q.name, q.rdtype)
            for q in proxy.questions
            if q.server != resolver and (q.name, q.rdtype) in views
        ]

    before_checks: list[tuple[str, str, str]] = []

    async def late(ctx: checks.CheckContext) -> None:
        # long after the name servers' addresses (the second wave, released a quiet period after it was asked)
        # were answered, and what follows from them was out
        await asyncio.sleep(6 * proxy.quiet)
        assert proxy.waves >= 2
        before_checks.extend(direct())
        for name in checks.all_checks():
            ctx.start(name)

    monkeypatch.setattr(checks, "_checks_imported", lambda: False)
    monkeypatch.setattr(checks, "_start_as_loaded", late)
    _run(lookup)
    assert sorted(before_checks) == sorted(direct()), "a check asked one of them again, or first"
    assert len(before_checks) == 2 * len(views), before_checks  # both servers, each question once
