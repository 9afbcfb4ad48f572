"""The `check` command's dns check, run as an admin or a script would, against the BIND lab."""

from __future__ import annotations

import json
import time

import pytest

from wizard.cli import main


def lab_args(dns_lab, *extra: str, timeout: str = "2") -> list[str]:  # type: ignore[no-untyped-def]
    return [
        "--nameserver", f"127.0.0.1:{dns_lab.resolver_port}", "--dns-port", str(dns_lab.port),
        "--no-public-resolvers", "--timeout", timeout, *extra,
    ]  # fmt: skip


def check_json(dns_lab, capsys, *domains: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    code = main(["check", *domains, "--json", *lab_args(dns_lab)])
    return code, json.loads(capsys.readouterr().out)


def dns_of(report: dict, domain: str) -> dict:  # type: ignore[type-arg]
    entry = next(d for d in report["domains"] if d["domain"] == domain)
    return entry["checks"]["dns"]  # type: ignore[no-any-return]


def codes(check: dict) -> list[str]:  # type: ignore[type-arg]
    return [f["code"] for f in check["findings"]]


def test_healthy_domain_passes_with_every_server_listed(dns_lab, capsys) -> None:  # type: ignore[no-untyped-def]
    _, report = check_json(dns_lab, capsys, "example.test")
    assert report["version"] == 1
    dns = dns_of(report, "example.test")
    assert dns["status"] == "pass", dns["findings"]
    assert dns["zone"] == "example.test"
    assert [s["server"] for s in dns["authoritative"]] == ["ns1.lab.test (127.0.0.1)", "ns2.lab.test (127.0.0.2)"]
    assert "v=spf1 include:_spf.google.com ~all" in dns["resolver"]["records"]


def test_missing_domain_is_reported_and_fails(dns_lab, capsys) -> None:  # type: ignore[no-untyped-def]
    code, report = check_json(dns_lab, capsys, "no-such-domain.test")
    assert code == 1
    dns = dns_of(report, "no-such-domain.test")
    assert dns["status"] == "fail"
    assert codes(dns) == ["dns.no-such-domain"]
    assert all(f["fix"] for f in dns["findings"])


def test_dead_name_server_gives_a_timeout_within_the_deadline(dns_lab, capsys) -> None:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    code, report = check_json(dns_lab, capsys, "halfdead.test")
    elapsed = time.monotonic() - start
    dns = dns_of(report, "halfdead.test")
    assert code == 1
    assert codes(dns) == ["dns.timeout"]
    assert "ns3.lab.test (127.0.0.3)" in dns["findings"][0]["message"]
    assert elapsed < 2 * 2 + 1  # dns plus the checks that depend on it, each within the 2 s deadline


def test_unanswering_resolver_gives_a_timeout_not_a_hang(dns_lab, capsys) -> None:  # type: ignore[no-untyped-def]
    host, port = dns_lab.blackhole
    start = time.monotonic()
    code = main(["check", "example.test", "--json", "--nameserver", f"{host}:{port}", "--dns-port",
                 str(dns_lab.port), "--no-public-resolvers", "--timeout", "1.5"])  # fmt: skip
    elapsed = time.monotonic() - start
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert "dns.timeout" in codes(dns_of(report, "example.test"))
    assert elapsed < 10


def test_servers_that_disagree_are_named_with_their_serials(dns_lab, capsys) -> None:  # type: ignore[no-untyped-def]
    dns_lab.update("example.test", add=[("@", 300, "TXT", '"v=spf1 include:_spf.mycimcloud.com ~all"')], servers=(0,))
    _, report = check_json(dns_lab, capsys, "example.test")
    dns = dns_of(report, "example.test")
    assert dns["status"] == "warn"
    finding = next(f for f in dns["findings"] if f["code"] == "dns.servers-disagree")
    assert "ns1.lab.test (127.0.0.1) (serial 2)" in finding["message"]
    assert "ns2.lab.test (127.0.0.2) (serial 1)" in finding["message"]
    assert "_spf.mycimcloud.com" in finding["message"]


def test_stale_resolver_says_when_its_cached_answer_expires(dns_lab, capsys) -> None:  # type: ignore[no-untyped-def]
    check_json(dns_lab, capsys, "example.test")  # the resolver now caches the apex TXT set
    dns_lab.update("example.test", add=[("@", 300, "TXT", '"added-later"')])
    _, report = check_json(dns_lab, capsys, "example.test")
    dns = dns_of(report, "example.test")
    finding = next(f for f in dns["findings"] if f["code"] == "dns.resolver-stale")
    assert finding["severity"] == "warning"
    assert "expires in about" in finding["message"]
    assert "added-later" in finding["message"]


def test_human_output_has_a_block_per_domain_with_fixes(dns_lab, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["check", "example.test", "no-such-domain.test", *lab_args(dns_lab)])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("example.test\n")
    assert "\n\nno-such-domain.test\n" in out
    assert "FAIL  dns" in out and "dns.no-such-domain" in out and "fix: " in out
    assert "DNS lookups (worst case):" in out, "a check module's own lines (the SPF tree) are printed"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "exa mple.com"], "contains a space"),
        (["check", "https://example.com"], "web address"),
        (["check"], "no domain given"),
        (["check", "--domains-file", "/nonexistent/list.txt"], "cannot read the domains file"),
        (["check", "example.com", "--timeout", "soon"], "number of seconds"),
        (["check", "example.com", "--nameserver", "dns.google"], "IP address"),
        (["check", "example.com", "--dkim-record", "no-equals-sign"], "NAME=CONTENT"),
        (["check", "example.com", "--expect-include", "spf include"], "--expect-include"),
    ],
)
def test_bad_invocation_exits_2_with_one_line(argv: list[str], message: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err
    assert "Traceback" not in captured.err


def test_zone_that_failed_to_load_is_a_server_failure(dns_lab, capsys) -> None:  # type: ignore[no-untyped-def]
    code, report = check_json(dns_lab, capsys, "broken.test")
    dns = dns_of(report, "broken.test")
    assert code == 1
    assert dns["status"] == "fail"
    assert set(codes(dns)) == {"dns.server-failure"}
    assert any("SERVFAIL" in f["message"] for f in dns["findings"])


def test_domains_file_lists_many_domains_for_scripts(dns_lab, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    listing = tmp_path / "domains.txt"
    listing.write_text("# customers\nexample.test\n\n  nospf.test   # no SPF yet\nexample.test\n", encoding="utf-8")
    code = main(["check", "--domains-file", str(listing), "--json", *lab_args(dns_lab)])
    report = json.loads(capsys.readouterr().out)
    assert [d["domain"] for d in report["domains"]] == ["example.test", "nospf.test"]
    assert code == 1  # nospf.test has no SPF record


def test_a_bad_line_in_the_domains_file_is_named(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    listing = tmp_path / "domains.txt"
    listing.write_text("example.test\nhttps://shop.example.test/\n", encoding="utf-8")
    assert main(["check", "--domains-file", str(listing)]) == 2
    assert "web address" in capsys.readouterr().err
