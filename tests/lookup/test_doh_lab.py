"""DNS over HTTPS against BIND 9.18's own DoH listener, and a network that blocks direct DNS.

The DoH resolver's certificate comes from a trustme CA, trusted through SSL_CERT_FILE (the extra bundle).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.lab.bind import free_port
from tests.lab.blackhole import BlackHole
from tests.lab.lab import AUTH_ADDRESSES, Lab
from tests.lookup.connect_proxy import proxying
from tests.lookup.doh_server import doh_resolver
from wizard.checks import CheckOptions, run_domains
from wizard.checks.dnscheck import DnsResult
from wizard.cli import main
from wizard.core.answers import Answer, Outcome
from wizard.core.findings import Finding
from wizard.lookup.lookup import Lookup

DOMAIN = "example.test"


@pytest.fixture
def doh_url(dns_lab: Lab, trusted: trustme.CA, tmp_path: Path) -> Iterator[str]:
    with doh_resolver(dns_lab, trusted, tmp_path / "doh") as url:
        yield url


@pytest.fixture
def blocked_port(dns_lab: Lab) -> Iterator[int]:
    """A port on both authoritative addresses where nothing ever answers: direct DNS is black-holed."""
    port = free_port(AUTH_ADDRESSES, exclude=(dns_lab.port, dns_lab.resolver_port))
    holes = [BlackHole.bind(address, port).start() for address in AUTH_ADDRESSES]
    try:
        yield port
    finally:
        for hole in holes:
            hole.stop()


def test_doh_resolver_is_the_resolver_view(dns_lab: Lab, doh_url: str) -> None:
    lookup = Lookup(dns_lab.settings(nameservers=(), doh=(doh_url,)))
    answer = asyncio.run(lookup.resolve(DOMAIN, "TXT"))
    direct = dns_lab.query(DOMAIN, "TXT")
    assert answer.outcome is Outcome.OK, answer.detail
    assert set(answer.values) == {b"".join(rd.strings).decode() for rrset in direct.answer for rd in rrset}
    assert answer.server == f"DoH resolver {doh_url}"


def test_doh_resolver_says_nxdomain_for_a_name_that_does_not_exist(dns_lab: Lab, doh_url: str) -> None:
    lookup = Lookup(dns_lab.settings(nameservers=(), doh=(doh_url,)))
    assert asyncio.run(lookup.resolve("no-such-name.example.test", "TXT")).outcome is Outcome.NXDOMAIN


def test_public_view_over_doh(dns_lab: Lab, doh_url: str) -> None:
    settings = dns_lab.settings(public_resolvers=True, public_resolver_addresses=(), public_doh=(("Lab", doh_url),))
    answers = asyncio.run(Lookup(settings).public(DOMAIN, "TXT"))
    assert [(a.server, a.outcome) for a in answers] == [("Lab (DoH)", Outcome.OK)], answers


def test_untrusted_doh_certificate_is_an_error_not_an_answer(
    dns_lab: Lab, doh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    settings = dns_lab.settings(public_resolvers=True, public_resolver_addresses=(), public_doh=(("Lab", doh_url),))
    (answer,) = asyncio.run(Lookup(settings).public(DOMAIN, "TXT"))
    assert answer.outcome is Outcome.UNREACHABLE and "certificate" in answer.detail.lower(), answer


def test_network_that_blocks_direct_dns_is_one_info_finding_and_no_timeout(
    dns_lab: Lab, doh_url: str, blocked_port: int
) -> None:
    settings = dns_lab.settings(
        nameservers=(), doh=(doh_url,), dns_port=blocked_port, public_resolvers=True,
        public_resolver_addresses=(), public_doh=(("Lab", doh_url),),
    )  # fmt: skip
    lookup = Lookup(settings)
    views = asyncio.run(lookup.views(DOMAIN, "TXT"))
    assert views.direct_blocked
    assert [a.outcome for a in views.authoritative.servers] == [Outcome.TIMEOUT, Outcome.TIMEOUT]
    assert [f.code for f in dns_findings(lookup, DOMAIN)] == ["dns.direct-blocked"]
    (finding,) = dns_findings(lookup, DOMAIN)
    assert finding.severity == "info" and "blocks direct DNS" in finding.message and "cached" in finding.message


def test_a_dead_server_on_an_open_network_is_still_a_timeout(dns_lab: Lab) -> None:
    """Only one of the servers is silent: the network is not blocking DNS, that server is down."""
    lookup = Lookup(dns_lab.settings())
    assert not asyncio.run(lookup.views("halfdead.test", "TXT")).direct_blocked
    assert [f.code for f in dns_findings(lookup, "halfdead.test")] == ["dns.timeout"]


def dns_findings(lookup: Lookup, domain: str) -> list[Finding]:
    """The dns check's findings for one domain."""
    ((_, checks),) = asyncio.run(run_domains([domain], lookup, CheckOptions()))
    result = checks["dns"]
    assert isinstance(result, DnsResult)
    return list(result.findings)


def test_check_command_with_doh_on_a_blocked_network(
    dns_lab: Lab, doh_url: str, blocked_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--doh", doh_url, "--dns-port", str(blocked_port), "--no-public-resolvers", "--timeout", "3"]
    main(["check", DOMAIN, "--json", *args])
    dns = json.loads(capsys.readouterr().out)["domains"][0]["checks"]["dns"]
    assert [f["code"] for f in dns["findings"]] == ["dns.direct-blocked"]
    assert dns["resolver"]["server"] == f"DoH resolver {doh_url}"


@pytest.mark.parametrize("url", ["http://dns.example/dns-query", "dns.example", "https://user:pw@dns.example/"])
def test_check_command_refuses_a_doh_address_that_is_not_an_https_url(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", DOMAIN, "--doh", url]) == 2
    assert "DoH" in capsys.readouterr().err


def test_doh_goes_through_the_https_proxy(dns_lab: Lab, doh_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> tuple[Answer, list[str]]:
        async with proxying(monkeypatch) as proxy:
            lookup = Lookup(dns_lab.settings(nameservers=(), doh=(doh_url,)))
            return await lookup.resolve(DOMAIN, "TXT"), proxy.targets

    answer, targets = asyncio.run(main())
    assert answer.outcome is Outcome.OK, answer.detail
    assert targets and set(targets) == {doh_url.split("/")[2]}
