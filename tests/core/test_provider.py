"""Provider detection from NS names, and records rendered the way each provider's form wants them."""

from __future__ import annotations

import pytest

from wizard.core.provider import LongValues, Quotes, detect, form_record, pick_ttl, providers_from_json
from wizard.resources import load_json, load_providers

PROVIDERS = load_providers()
LONG_DKIM = "v=DKIM1; k=rsa; p=" + "A" * 380


def provider(provider_id: str):  # type: ignore[no-untyped-def]
    found = PROVIDERS.by_id(provider_id)
    assert found is not None
    return found


ISSUE_PROVIDERS = [
    "Cloudflare", "GoDaddy", "Amazon Route 53", "Azure DNS", "Google Cloud DNS",
    "Squarespace (formerly Google Domains)", "Namecheap", "Network Solutions", "IONOS", "Wix", "Hover",
    "DigitalOcean", "Gandi", "OVHcloud", "DNSimple", "Hetzner", "Microsoft 365-hosted DNS",
]  # fmt: skip


def test_every_provider_the_issue_lists_is_in_the_data_file_with_a_help_link() -> None:
    assert [p.name for p in PROVIDERS.known] == ISSUE_PROVIDERS
    assert all(p.help_url.startswith("https://") and p.ns_patterns for p in PROVIDERS.known)
    assert PROVIDERS.other.ns_patterns == ()


@pytest.mark.parametrize(
    ("ns", "expected"),
    [
        (["ns51.domaincontrol.com.", "NS52.DOMAINCONTROL.COM"], "GoDaddy"),
        (["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"], "Cloudflare"),
        (["ns-1234.awsdns-12.com", "ns-567.awsdns-03.net", "ns-1.awsdns-1.co.uk"], "Amazon Route 53"),
        (["ns1-05.azure-dns.com", "ns2-05.azure-dns.net", "ns4-05.azure-dns.info"], "Azure DNS"),
        (["ns-cloud-a1.googledomains.com", "ns-cloud-a2.googledomains.com"], "Google Cloud DNS"),
        (["dns1.p01.nsone.net", "dns2.p01.nsone.net"], "Squarespace (formerly Google Domains)"),
        (["dns1.registrar-servers.com", "dns2.registrar-servers.com"], "Namecheap"),
        (["ns13.worldnic.com", "ns14.worldnic.com"], "Network Solutions"),
        (["ns1045.ui-dns.com", "ns1107.ui-dns.de"], "IONOS"),
        (["ns2.wixdns.net", "ns3.wixdns.net"], "Wix"),
        (["ns1.hover.com", "ns2.hover.com"], "Hover"),
        (["ns1.digitalocean.com", "ns2.digitalocean.com"], "DigitalOcean"),
        (["ns-1-a.gandi.net", "ns-22-b.gandi.net"], "Gandi"),
        (["dns10.ovh.net", "ns10.ovh.net"], "OVHcloud"),
        (["ns1.dnsimple.com", "ns2.dnsimple-edge.net"], "DNSimple"),
        (["hydrogen.ns.hetzner.com", "helium.ns.hetzner.de"], "Hetzner"),
        (["ns1.bdm.microsoftonline.com", "ns2.bdm.microsoftonline.com"], "Microsoft 365-hosted DNS"),
    ],
)  # fmt: skip
def test_provider_is_recognised_from_its_ns_names(ns: list[str], expected: str) -> None:
    match = detect(PROVIDERS, "acme.com.", ns)
    assert match is not None
    assert match.provider.name == expected
    assert match.to_json() == {"name": expected, "ns": sorted(h.rstrip(".").lower() for h in ns)}
    assert match.ns[0] in match.reason


@pytest.mark.parametrize(
    "ns",
    [
        ["ns1.acme.com", "ns2.acme.com"],
        ["evil-domaincontrol.com"],  # a look-alike is not GoDaddy
        ["ns51.domaincontrol.com.attacker.example"],
        [],
    ],
)
def test_self_hosted_or_look_alike_names_are_unknown(ns: list[str]) -> None:
    assert detect(PROVIDERS, "acme.com", ns) is None


def test_a_zone_moving_between_providers_is_assumed_at_the_majority() -> None:
    ns = ["ns51.domaincontrol.com", "ns52.domaincontrol.com", "ada.ns.cloudflare.com"]
    match = detect(PROVIDERS, "acme.com", ns)
    assert match is not None and match.provider.name == "GoDaddy"


def test_godaddy_form_gets_a_relative_name_so_the_zone_is_not_doubled() -> None:
    record = form_record(provider("godaddy"), "cimcloud-abc._domainkey.acme.com", "acme.com", "v=DKIM1; p=abc")
    assert record.name == "cimcloud-abc._domainkey"
    assert record.value == "v=DKIM1; p=abc"
    assert any("cimcloud-abc._domainkey.acme.com.acme.com" in note for note in record.notes)
    assert any("without quotes" in note for note in record.notes)


def test_apex_name_field_follows_the_provider() -> None:
    assert form_record(provider("cloudflare"), "acme.com", "acme.com", "v=spf1 -all").name == "@"
    assert form_record(provider("route53"), "acme.com.", "acme.com", "v=spf1 -all").name == ""
    assert form_record(PROVIDERS.other, "acme.com", "acme.com", "v=spf1 -all").name == "acme.com"


def test_name_in_a_parent_zone_is_relative_to_that_zone() -> None:
    record = form_record(provider("godaddy"), "_dmarc.shop.acme.com", "acme.com", "v=DMARC1; p=none")
    assert record.name == "_dmarc.shop"


def test_route53_wants_quotes_and_long_values_as_several_strings_joining_back_exactly() -> None:
    short = form_record(provider("route53"), "acme.com", "acme.com", "v=spf1 -all")
    assert short.value == '"v=spf1 -all"'
    long = form_record(provider("route53"), "s._domainkey.acme.com", "acme.com", LONG_DKIM)
    strings = [s.strip('"') for s in long.value.split('" "')]
    assert len(strings) == 2 and all(len(s) <= 255 for s in strings)
    assert "".join(strings) == LONG_DKIM
    assert any("several quoted strings" in note for note in long.notes)


def test_providers_that_split_themselves_get_the_long_value_whole() -> None:
    record = form_record(provider("cloudflare"), "s._domainkey.acme.com", "acme.com", LONG_DKIM)
    assert record.values == (LONG_DKIM,)
    assert provider("cloudflare").long_values is LongValues.SPLIT_AUTOMATICALLY
    assert any("splits it" in note for note in record.notes)
    godaddy = form_record(provider("godaddy"), "s._domainkey.acme.com", "acme.com", LONG_DKIM)
    assert godaddy.values == (LONG_DKIM,) and any("one field" in note for note in godaddy.notes)


def test_ttl_is_one_the_form_offers() -> None:
    godaddy = provider("godaddy")
    assert pick_ttl(godaddy, 3600) == 3600
    assert pick_ttl(godaddy, 300) == 600
    assert form_record(godaddy, "acme.com", "acme.com", "v=spf1 -all").ttl_label == "1 hour"
    assert pick_ttl(provider("route53"), 300) == 300
    assert provider("route53").quotes is Quotes.REQUIRED


def test_a_damaged_data_file_is_a_clear_error() -> None:
    data = load_json("providers.json")
    data["providers"][0]["quotes"] = "sometimes"
    with pytest.raises(ValueError, match="cloudflare"):
        providers_from_json(data)
    with pytest.raises(ValueError, match="providers"):
        providers_from_json({"nothing": 1})
