"""`check` names the DNS provider from the zone's NS names, against lab zones delegated to look-alike hosts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from wizard.checks.provider import detect_provider
from wizard.cli import main
from wizard.lookup.lookup import Lookup
from wizard.resources import load_providers

from .test_dns_check import lab_args

ZONES = {
    "gd-shop.test": ("GoDaddy", ["ns51.domaincontrol.com", "ns52.domaincontrol.com"]),
    "cf-shop.test": ("Cloudflare", ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]),
    "aws-shop.test": ("Amazon Route 53", ["ns-1234.awsdns-12.com", "ns-567.awsdns-12.com"]),
    "azure-shop.test": ("Azure DNS", ["ns1-05.azure-dns.com", "ns2-05.azure-dns.com"]),
    "gcloud-shop.test": ("Google Cloud DNS", ["ns-cloud-a1.googledomains.com", "ns-cloud-a2.googledomains.com"]),
    "sq-shop.test": ("Squarespace (formerly Google Domains)", ["dns1.p01.nsone.net", "dns2.p01.nsone.net"]),
    "nc-shop.test": ("Namecheap", ["dns1.registrar-servers.com", "dns2.registrar-servers.com"]),
    "netsol-shop.test": ("Network Solutions", ["ns13.worldnic.com", "ns14.worldnic.com"]),
    "ionos-shop.test": ("IONOS", ["ns1045.ui-dns.com", "ns1107.ui-dns.com"]),
    "wix-shop.test": ("Wix", ["ns2.wixdns.net", "ns3.wixdns.net"]),
    "hover-shop.test": ("Hover", ["ns1.hover.com", "ns2.hover.com"]),
    "do-shop.test": ("DigitalOcean", ["ns1.digitalocean.com", "ns2.digitalocean.com"]),
    "gandi-shop.test": ("Gandi", ["ns-1-a.gandi.net", "ns-22-b.gandi.net"]),
    "ovh-shop.test": ("OVHcloud", ["dns10.ovh.net", "ns10.ovh.net"]),
    "dnsimple-shop.test": ("DNSimple", ["ns1.dnsimple.com", "ns2.dnsimple.com"]),
    "hetzner-shop.test": ("Hetzner", ["hydrogen.ns.hetzner.com", "oxygen.ns.hetzner.com"]),
    "m365-shop.test": ("Microsoft 365-hosted DNS", ["ns1.bdm.microsoftonline.com", "ns2.bdm.microsoftonline.com"]),
}


@pytest.fixture
def lab_zone_dir() -> Path:
    return Path(__file__).parent / "provider_zones"


def test_each_provider_is_detected_from_the_live_ns_records(dns_lab) -> None:  # type: ignore[no-untyped-def]
    async def detect_all() -> dict[str, object]:
        lookup = Lookup(dns_lab.settings())
        matches = await asyncio.gather(*(detect_provider(lookup, d) for d in [*ZONES, "self-hosted.test"]))
        assert [m.zone for m in matches if m] == list(ZONES)  # each match names its own zone (the card says it)
        return {d: m.to_json() if m else None for d, m in zip([*ZONES, "self-hosted.test"], matches, strict=True)}

    found = asyncio.run(detect_all())
    assert {n for n, _ in ZONES.values()} == {p.name for p in load_providers().known}  # every provider has a zone
    assert found == {**{d: {"name": n, "ns": ns} for d, (n, ns) in ZONES.items()}, "self-hosted.test": None}


def test_check_json_and_text_name_the_provider(dns_lab, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["check", "gd-shop.test", "self-hosted.test", "www.gd-shop.test", "--json", *lab_args(dns_lab)])
    report = json.loads(capsys.readouterr().out)
    dns = {d["domain"]: d["checks"]["dns"] for d in report["domains"]}
    assert dns["gd-shop.test"]["provider"] == {"name": "GoDaddy", "ns": ZONES["gd-shop.test"][1]}
    assert dns["gd-shop.test"]["status"] == "pass", dns["gd-shop.test"]["findings"]
    # a name inside the zone (even one that does not exist) is served by the zone's provider
    assert dns["www.gd-shop.test"]["provider"] == dns["gd-shop.test"]["provider"]
    assert dns["self-hosted.test"]["provider"] is None
    assert code == 1
    main(["check", "gd-shop.test", "self-hosted.test", *lab_args(dns_lab)])
    text = capsys.readouterr().out
    assert "DNS provider: GoDaddy (name servers ns51.domaincontrol.com, ns52.domaincontrol.com)" in text
    assert "DNS provider: not recognised (self-hosted or unknown)" in text
