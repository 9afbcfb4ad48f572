"""The `dns` check: the domain exists, its servers answer and agree, and the resolver is not serving old data."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from wizard.checks import CheckContext, Result, register
from wizard.core.answers import AuthoritativeView, NameViews
from wizard.core.dnsrules import dns_findings, serials_of

CHECK = "dns"


@dataclass(frozen=True)
class DnsResult(Result):
    """The domain's TXT answer in every view, and the SOA of each authoritative server (for serials)."""

    domain: str = ""
    views: NameViews | None = None
    soa: AuthoritativeView | None = None

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
    }


@register(CHECK, to_json=to_json)
async def check_dns(ctx: CheckContext) -> DnsResult:
    views, soa = await asyncio.gather(ctx.lookup.views(ctx.domain, "TXT"), ctx.lookup.authoritative(ctx.domain, "SOA"))
    return DnsResult(tuple(dns_findings(ctx.domain, views, soa)), ctx.domain, views, soa)
