"""The lab does what it promises, checked with raw dnspython queries."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from tests.lab import STANDARD_HEADER, Lab, LabStartError, LabUpdateError, NamedServer, ZoneFolderError
from tests.lab.bind import free_port
from tests.lab.plugin import ZONES
from tests.lab.zones import build, generated_tlds, has_soa, render, resolver_root_zone
from wizard.cli import main
from wizard.lookup.settings import LookupSettings

SPF = "v=spf1 include:_spf.google.com ~all"
VERIFICATION = "google-site-verification=abc"
CIMCLOUD_SPF = "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:c1::/48 ~all"


def ask(
    address: str, port: int, name: str, rdtype: str, *, rd: bool = False, tcp: bool = False, timeout: float = 2.0
) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    if not rd:
        query.flags &= ~dns.flags.RD
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, address, port=port, timeout=timeout)


def resolve(lab: Lab, name: str, rdtype: str) -> dns.message.Message:
    return ask("127.0.0.1", lab.resolver_port, name, rdtype, rd=True)


def texts(rrset: dns.rrset.RRset) -> set[tuple[bytes, ...]]:
    return {tuple(rdata.strings) for rdata in rrset}


def answer(response: dns.message.Message, name: str, rdtype: str) -> dns.rrset.RRset:
    return response.find_rrset(
        response.answer, dns.name.from_text(name), dns.rdataclass.IN, dns.rdatatype.from_text(rdtype)
    )


# ---- zone files, without BIND --------------------------------------------------------------------------------


def test_soa_detection_ignores_quotes_and_comments() -> None:
    assert has_soa("@ IN SOA a. b. 1 2 3 4 5\n")
    assert has_soa("@ soa a. b. ( 1 2 3 4 5 )\n")
    assert not has_soa('@ IN TXT "no SOA here" ; nor SOA here\n')
    assert render("@ IN A 192.0.2.1").startswith(STANDARD_HEADER)
    own = "@ IN SOA a. b. 1 2 3 4 5\n@ IN NS a.\n"
    assert render(own) == own


def test_delegations_follow_each_zone_apex_ns(tmp_path: Path) -> None:
    (tmp_path / "a.test.zone").write_text("@ IN A 192.0.2.1\n")
    (tmp_path / "sub.a.test.zone").write_text("@ IN NS ns3.lab.test.\nwww IN A 192.0.2.2\n")
    (tmp_path / "own.test.zone").write_text(
        "$TTL 60\n@ IN SOA ns.own.test. h.own.test. 7 1 1 1 1\n@ IN NS ns.own.test.\nns IN A 127.0.0.1\n"
    )
    zones = {zone.name.to_text(): zone for zone in build(tmp_path)}
    assert next(iter(zones)) == "test."
    top = zones["test."].text
    assert "a.test. 300 IN NS ns1.lab.test." in top
    assert "own.test. 300 IN NS ns.own.test." in top
    assert "ns.own.test. 60 IN A 127.0.0.1" in top  # glue
    assert "sub.a.test." not in top  # delegated from a.test, its closest enclosing zone
    assert "sub.a.test. 300 IN NS ns3.lab.test." in zones["a.test."].text
    assert "sub.a.test. 300 IN NS ns1.lab.test." in zones["a.test."].text


def test_zones_under_any_tld_get_a_generated_parent_and_a_root_delegation(tmp_path: Path) -> None:
    (tmp_path / "a.test.zone").write_text("@ IN A 192.0.2.1\n")
    (tmp_path / "mycimcloud.com.zone").write_text('_spf IN TXT "v=spf1 -all"\n')
    (tmp_path / "sub.example.net.zone").write_text("@ IN NS ns3.lab.test.\n@ IN NS ns1.lab.test.\n")
    built = build(tmp_path)
    zones = {zone.name.to_text(): zone for zone in built}
    assert [name.to_text() for name in generated_tlds(built)] == ["test.", "com.", "net."]
    assert list(zones)[:3] == ["test.", "com.", "net."]
    assert "mycimcloud.com. 300 IN NS ns1.lab.test." in zones["com."].text
    assert "sub.example.net. 300 IN NS ns3.lab.test." in zones["net."].text
    assert "ns1.lab.test. IN A 127.0.0.1" in zones["test."].text
    assert "dead.test." in zones["test."].text
    assert " A " not in zones["com."].text and "dead.test" not in zones["com."].text  # those live in test. only
    root = resolver_root_zone(generated_tlds(built))
    for tld in ("test.", "com.", "net."):
        assert f"{tld} IN NS ns1.lab.test." in root
    assert "org." not in root


@pytest.mark.parametrize(
    "name",
    [
        "test.zone",
        "com.zone",
        "lab.test.zone",
        "dead.test.zone",
        "x.dead.test.zone",
        "a b.test.zone",
        "dot..test.zone",
    ],
)
def test_unusable_zone_names_are_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("@ IN A 192.0.2.1\n")
    with pytest.raises(ZoneFolderError):
        Lab.start(tmp_path, tmp_path / "lab")


# ---- the running lab (tests using dns_lab get the `lab` marker from the plugin; the others here explicitly) ----


def test_both_auth_servers_answer_the_apex_txt_authoritatively_on_one_port(dns_lab: Lab) -> None:
    assert [server.address for server in dns_lab.auth] == ["127.0.0.1", "127.0.0.2"]
    assert {server.port for server in dns_lab.auth} == {dns_lab.port}
    assert dns_lab.resolver_port != dns_lab.port
    for server in dns_lab.auth:
        response = ask(server.address, dns_lab.port, "example.test", "TXT")
        assert response.rcode() == dns.rcode.NOERROR
        assert response.flags & dns.flags.AA, server.role
        assert texts(answer(response, "example.test.", "TXT")) == {(SPF.encode(),), (VERIFICATION.encode(),)}
        assert server.log_path.is_file()


def test_nxdomain_comes_from_the_test_zone(dns_lab: Lab) -> None:
    direct = ask("127.0.0.1", dns_lab.port, "no-such-domain.test", "A")
    assert direct.rcode() == dns.rcode.NXDOMAIN
    assert direct.flags & dns.flags.AA
    assert [rrset.name.to_text() for rrset in direct.authority] == ["test."]
    via_resolver = resolve(dns_lab, "no-such-domain.test", "TXT")
    assert via_resolver.rcode() == dns.rcode.NXDOMAIN
    assert via_resolver.authority[0].rdtype == dns.rdatatype.SOA


def test_missing_soa_gets_the_standard_header(dns_lab: Lab) -> None:
    response = ask("127.0.0.2", dns_lab.port, "nospf.test", "SOA")
    soa = answer(response, "nospf.test.", "SOA")[0]
    assert (soa.mname.to_text(), soa.rname.to_text(), soa.refresh, soa.retry, soa.expire, soa.minimum) == (
        "ns1.lab.test.",
        "hostmaster.lab.test.",
        3600,
        600,
        86400,
        300,
    )
    ns = answer(ask("127.0.0.1", dns_lab.port, "nospf.test", "NS"), "nospf.test.", "NS")
    assert {rdata.target.to_text() for rdata in ns} == {"ns1.lab.test.", "ns2.lab.test."}
    assert not ask("127.0.0.1", dns_lab.port, "nospf.test", "TXT").answer


def test_the_resolver_finds_zone_cuts_and_name_server_addresses(dns_lab: Lab) -> None:
    negative = resolve(dns_lab, "nothing-here.example.test", "SOA")
    assert negative.rcode() == dns.rcode.NXDOMAIN
    assert negative.authority[0].name.to_text() == "example.test."
    ns = answer(resolve(dns_lab, "example.test", "NS"), "example.test.", "NS")
    assert {rdata.target.to_text() for rdata in ns} == {"ns1.lab.test.", "ns2.lab.test."}
    for host, address in (("ns1.lab.test", "127.0.0.1"), ("ns2.lab.test", "127.0.0.2"), ("ns3.lab.test", "127.0.0.3")):
        assert [rdata.address for rdata in answer(resolve(dns_lab, host, "A"), host + ".", "A")] == [address]
    mx = answer(resolve(dns_lab, "example.test", "MX"), "example.test.", "MX")
    assert [rdata.exchange.to_text() for rdata in mx] == ["mx1.example.test."]


def test_the_resolver_never_leaves_the_machine(dns_lab: Lab) -> None:
    began = time.monotonic()
    response = resolve(dns_lab, "example.org", "TXT")  # no lab zone under org.: the private root says NXDOMAIN
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert time.monotonic() - began < 0.5
    assert "localroot." in response.authority[0].to_text()
    gmail = resolve(dns_lab, "gmail.com", "MX")  # com. is the lab's: its generated zone says NXDOMAIN
    assert gmail.rcode() == dns.rcode.NXDOMAIN
    assert [rrset.name.to_text() for rrset in gmail.authority] == ["com."]


def test_a_vendor_spf_include_outside_test_answers_everywhere(dns_lab: Lab) -> None:
    for server in dns_lab.auth:
        direct = ask(server.address, dns_lab.port, "_spf.mycimcloud.com", "TXT")
        assert direct.flags & dns.flags.AA, server.role
        assert texts(answer(direct, "_spf.mycimcloud.com.", "TXT")) == {(CIMCLOUD_SPF.encode(),)}
    via_resolver = resolve(dns_lab, "_spf.mycimcloud.com", "TXT")
    assert texts(answer(via_resolver, "_spf.mycimcloud.com.", "TXT")) == {(CIMCLOUD_SPF.encode(),)}
    google = answer(resolve(dns_lab, "_spf.google.com", "TXT"), "_spf.google.com.", "TXT")
    assert b"include:_netblocks2.google.com" in next(iter(texts(google)))[0]
    outlook = answer(resolve(dns_lab, "spf.protection.outlook.com", "TXT"), "spf.protection.outlook.com.", "TXT")
    assert texts(outlook) == {(b"v=spf1 ip4:203.0.113.0/24 ip6:2001:db8:365::/48 -all",)}


def test_a_missing_name_in_a_vendor_zone_is_nxdomain_from_that_zone(dns_lab: Lab) -> None:
    for server in dns_lab.auth:
        direct = ask(server.address, dns_lab.port, "nosuch.mycimcloud.com", "TXT")
        assert direct.rcode() == dns.rcode.NXDOMAIN
        assert [rrset.name.to_text() for rrset in direct.authority] == ["mycimcloud.com."]
    via_resolver = resolve(dns_lab, "nosuch.mycimcloud.com", "TXT")
    assert via_resolver.rcode() == dns.rcode.NXDOMAIN
    assert [rrset.name.to_text() for rrset in via_resolver.authority] == ["mycimcloud.com."]


def test_vendor_zones_have_lab_name_servers_and_cuts(dns_lab: Lab) -> None:
    for zone in ("com", "mycimcloud.com", "net"):
        ns = answer(resolve(dns_lab, zone, "NS"), zone + ".", "NS")
        assert {rdata.target.to_text() for rdata in ns} == {"ns1.lab.test.", "ns2.lab.test."}, zone
    cut = resolve(dns_lab, "_spf.mycimcloud.com", "SOA")  # NODATA: the SOA of the zone that holds the name
    assert (cut.rcode(), cut.answer, cut.authority[0].name.to_text()) == (dns.rcode.NOERROR, [], "mycimcloud.com.")


def test_the_recommended_spf_record_checks_out_end_to_end(dns_lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    lab_args = ["--nameserver", f"127.0.0.1:{dns_lab.resolver_port}", "--dns-port", str(dns_lab.port)]
    main(["check", "spf-cimcloud-ok.test", *lab_args, "--no-public-resolvers", "--timeout", "2", "--json"])
    spf = json.loads(capsys.readouterr().out)["domains"][0]["checks"]["spf"]
    assert spf["record"] == "v=spf1 include:_spf.mycimcloud.com include:_spf.google.com ~all"
    assert spf["authorized"] is True, spf.get("authorization")
    # include:_spf.mycimcloud.com 1 (its record has only ip4/ip6/all) + include:_spf.google.com 1 + the three
    # include:_netblocks*.google.com in Google's record 3 (theirs have only ip4/ip6/all) = 5; none is void.
    assert (spf["lookups"], spf["void_lookups"]) == (5, 0)
    assert [f["code"] for f in spf["findings"] if f["severity"] == "error"] == []
    assert spf["status"] == "pass", spf["findings"]


def test_an_update_on_server_0_only_makes_the_servers_disagree(dns_lab: Lab) -> None:
    new_spf = "v=spf1 include:_spf.google.com include:spf.cimcloud.com ~all"
    dns_lab.update(
        "example.test",
        delete=[("@", "TXT", f'"{SPF}"')],
        add=[("@", 300, "TXT", new_spf), ("_dmarc.example.test", 300, "TXT", "v=DMARC1; p=none")],
        servers=(0,),
    )
    updated = ask("127.0.0.1", dns_lab.port, "example.test", "TXT", tcp=True)
    stale = ask("127.0.0.2", dns_lab.port, "example.test", "TXT")
    assert texts(answer(updated, "example.test.", "TXT")) == {(new_spf.encode(),), (VERIFICATION.encode(),)}
    assert texts(answer(stale, "example.test.", "TXT")) == {(SPF.encode(),), (VERIFICATION.encode(),)}
    assert ask("127.0.0.1", dns_lab.port, "_dmarc.example.test", "TXT").rcode() == dns.rcode.NOERROR
    assert ask("127.0.0.2", dns_lab.port, "_dmarc.example.test", "TXT").rcode() == dns.rcode.NXDOMAIN
    soa0 = answer(ask("127.0.0.1", dns_lab.port, "example.test", "SOA"), "example.test.", "SOA")[0]
    soa1 = answer(ask("127.0.0.2", dns_lab.port, "example.test", "SOA"), "example.test.", "SOA")[0]
    assert soa0.serial > soa1.serial


def test_replace_and_delete_on_both_servers(dns_lab: Lab) -> None:
    dns_lab.update("example.test", replace=[("@", 120, "TXT", "v=spf1 -all"), ("www", 60, "A", "192.0.2.99")])
    dns_lab.update("example.test.", delete=[("mx1.example.test.", "ANY"), ("@", "MX")])
    for server in dns_lab.auth:
        txt = answer(ask(server.address, dns_lab.port, "example.test", "TXT"), "example.test.", "TXT")
        assert (texts(txt), txt.ttl) == ({(b"v=spf1 -all",)}, 120)
        www = answer(ask(server.address, dns_lab.port, "www.example.test", "A"), "www.example.test.", "A")
        assert [rdata.address for rdata in www] == ["192.0.2.99"]
        assert not ask(server.address, dns_lab.port, "example.test", "MX").answer
        assert ask(server.address, dns_lab.port, "mx1.example.test", "A").rcode() == dns.rcode.NXDOMAIN


def test_the_resolver_keeps_serving_the_old_answer_with_a_decrementing_ttl(dns_lab: Lab) -> None:
    first = answer(resolve(dns_lab, "example.test", "TXT"), "example.test.", "TXT")
    assert first.ttl == 300
    dns_lab.update("example.test", replace=[("@", 300, "TXT", "v=spf1 -all")])
    assert texts(answer(ask("127.0.0.1", dns_lab.port, "example.test", "TXT"), "example.test.", "TXT")) == {
        (b"v=spf1 -all",)
    }
    cached = answer(resolve(dns_lab, "example.test", "TXT"), "example.test.", "TXT")
    assert texts(cached) == texts(first)
    time.sleep(1.1)
    later = answer(resolve(dns_lab, "example.test", "TXT"), "example.test.", "TXT")
    assert texts(later) == texts(first)
    assert later.ttl < cached.ttl <= first.ttl


def test_a_txt_record_of_two_strings(dns_lab: Lab) -> None:
    dns_lab.update("example.test", add=[("long", 300, "TXT", '"a" "b"'), ("plain", 300, "TXT", "one string")])
    long = answer(ask("127.0.0.2", dns_lab.port, "long.example.test", "TXT"), "long.example.test.", "TXT")
    assert len(long) == 1
    assert texts(long) == {(b"a", b"b")}
    plain = answer(ask("127.0.0.1", dns_lab.port, "plain.example.test", "TXT"), "plain.example.test.", "TXT")
    assert texts(plain) == {(b"one string",)}


def test_a_refused_update_raises(dns_lab: Lab) -> None:
    with pytest.raises(LabUpdateError, match="NOTAUTH") as raised:
        dns_lab.update("not-served.test", add=[("@", 300, "TXT", "x")], servers=(1,))
    assert raised.value.rcode == dns.rcode.NOTAUTH
    with pytest.raises(ValueError, match="not in zone"):
        dns_lab.update("example.test", add=[("nospf.test.", 300, "TXT", "x")])


def test_the_black_hole_never_answers(dns_lab: Lab) -> None:
    address, port = dns_lab.blackhole
    assert (address, port) == ("127.0.0.3", dns_lab.port)
    referral = ask("127.0.0.1", dns_lab.port, "www.dead.test", "A")
    assert referral.rcode() == dns.rcode.NOERROR
    assert not referral.answer
    assert [rdata.target.to_text() for rdata in referral.authority[0]] == ["ns3.lab.test."]
    with pytest.raises(dns.exception.Timeout):
        ask(address, port, "www.dead.test", "A", timeout=0.3)
    with pytest.raises(dns.exception.Timeout):
        ask(address, port, "www.dead.test", "A", tcp=True, timeout=0.3)
    assert resolve(dns_lab, "www.dead.test", "A").rcode() == dns.rcode.SERVFAIL


def test_settings_point_at_the_lab(dns_lab: Lab) -> None:
    settings = dns_lab.settings(retries=3)
    assert isinstance(settings, LookupSettings)
    assert settings.nameservers == (("127.0.0.1", dns_lab.resolver_port),)
    assert (settings.dns_port, settings.public_resolvers, settings.timeout, settings.query_timeout) == (
        dns_lab.port,
        False,
        3.0,
        0.5,
    )
    assert settings.retries == 3
    assert settings.public_resolver_addresses == (("Lab", "127.0.0.1", dns_lab.resolver_port),)


@pytest.mark.lab
def test_a_broken_zone_answers_servfail_while_the_others_load(tmp_path: Path) -> None:
    zones = tmp_path / "zones"
    zones.mkdir()
    for source in ZONES.glob("*.zone"):
        (zones / source.name).write_text(source.read_text())
    (zones / "broken.test.zone").write_text('@ IN TXT "unterminated\nwww IN A 192.0.2.1\n')
    (zones / "sub.example.test.zone").write_text("www IN A 192.0.2.77\n")
    with Lab.start(zones, tmp_path / "lab") as lab:
        for server in lab.auth:
            assert ask(server.address, lab.port, "broken.test", "TXT").rcode() == dns.rcode.SERVFAIL
            assert ask(server.address, lab.port, "example.test", "TXT").rcode() == dns.rcode.NOERROR
            assert "broken.test" in server.log_path.read_text()
        assert resolve(lab, "broken.test", "TXT").rcode() == dns.rcode.SERVFAIL
        assert resolve(lab, "www.nospf.test", "CNAME").rcode() == dns.rcode.NOERROR
        sub = answer(resolve(lab, "www.sub.example.test", "A"), "www.sub.example.test.", "A")
        assert [rdata.address for rdata in sub] == ["192.0.2.77"]


def _named_pids_under(directory: Path) -> list[int]:
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "named" in text and str(directory) in text:
            pids.append(int(cmdline.parent.name))
    return pids


@pytest.mark.lab
def test_a_lab_that_does_not_answer_in_time_reports_the_bind_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(NamedServer, "poll_ready", lambda self: False)
    with pytest.raises(LabStartError, match=r"(?s)not answering after 0\.5 s.*auth0.*named\.log.* running\n") as raised:
        Lab.start(ZONES, tmp_path / "lab", timeout=0.5)
    assert "resolver" in str(raised.value)
    assert not _named_pids_under(tmp_path / "lab")


@pytest.mark.lab
def test_a_named_that_exits_reports_the_bind_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.lab.lab.auth_config", lambda *args: "options { no-such-option yes; };\n")
    with pytest.raises(LabStartError, match=r"(?s)auth\d: named exited with status 1.*no-such-option"):
        Lab.start(ZONES, tmp_path / "lab")
    assert not _named_pids_under(tmp_path / "lab")


@pytest.mark.lab
def test_a_port_taken_after_it_was_chosen_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    busy = free_port(["127.0.0.1", "127.0.0.2", "127.0.0.3"])
    chosen: list[int] = []

    def choose(addresses: list[str], exclude: tuple[int, ...] = ()) -> int:
        port = busy if not chosen else free_port(addresses, exclude=(busy, *exclude))
        chosen.append(port)
        return port

    monkeypatch.setattr("tests.lab.lab.free_port", choose)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.2", busy))
        with Lab.start(ZONES, tmp_path / "lab") as lab:
            assert lab.port != busy
            assert chosen[0] == busy
            assert ask("127.0.0.2", lab.port, "example.test", "SOA").rcode() == dns.rcode.NOERROR


@pytest.mark.lab
def test_stop_ends_every_process_and_frees_the_ports(tmp_path: Path) -> None:
    began = time.monotonic()
    lab = Lab.start(ZONES, tmp_path / "lab")
    lab.stop()
    elapsed = time.monotonic() - began
    assert elapsed < 2.0, f"start+stop took {elapsed:.3f} s"
    assert all(server.process is not None and server.process.poll() is not None for server in [*lab.auth, lab.resolver])
    with pytest.raises(dns.exception.Timeout):
        ask("127.0.0.1", lab.port, "example.test", "SOA", timeout=0.2)
    lab.stop()  # twice is fine
