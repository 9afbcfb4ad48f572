"""The `dns` check: the domain exists, its servers answer and agree, and the resolver is not serving old data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.checks import CheckContext, Result, register
from wizard.checks.provider import detect_provider, provider_line
from wizard.core.answers import AuthoritativeView, NameViews
from wizard.core.dnsrules import dns_findings, serials_of
from wizard.core.provider import ProviderMatch
from wizard.core.together import both

CHECK = "dns"


@dataclass(frozen=True)
class DnsResult(Result):
    """The domain's TXT answer in every view, and the SOA of each authoritative server (for serials)."""

    domain: str = ""
    views: NameViews | None = None
    soa: AuthoritativeView | None = None
    provider: ProviderMatch | None = None  # the DNS provider the zone's NS names point to, when known

    @property
    def no_such_domain(self) -> bool:
        return any(f.code == "dns.no-such-domain" for f in self.findings)

    @property
    def serials(self) -> dict[str, int]:
        return serials_of(self.soa) if self.soa is not None else {}


def to_json(result: DnsResult) -> dict[str, Any]:
    assert result.views is not None
    serials = result.serials
    servers = []
    for answer in result.views.authoritative.servers:
        entry = answer.to_json()
        if answer.server in serials:
            entry["serial"] = serials[answer.server]
        servers.append(entry)
    return {
        "zone": result.views.authoritative.zone,
        "authoritative": servers,
        "resolver": result.views.resolver.to_json(),
        "public": [a.to_json() for a in result.views.public],
        "provider": result.provider.to_json() if result.provider is not None else None,
    }


def human_lines(result: DnsResult) -> list[str]:
    """The DNS provider the zone's NS names point to, for the human output."""
    return [provider_line(result.provider)]


async def check_dns(ctx: CheckContext) -> DnsResult:
    (views, soa), provider = await both(
        both(ctx.lookup.views(ctx.domain, "TXT"), ctx.lookup.authoritative(ctx.domain, "SOA")),
        detect_provider(ctx.lookup, ctx.domain),
    )
    return DnsResult(tuple(dns_findings(ctx.domain, views, soa)), ctx.domain, views, soa, provider)


register(CHECK, to_json=to_json, human=human_lines)(check_dns)
