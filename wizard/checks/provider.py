"""Which DNS provider hosts a domain's zone: its NS names, matched against resources/providers.json."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from wizard.core.answers import Outcome
from wizard.core.provider import ProviderMatch, Providers, detect

if TYPE_CHECKING:
    from wizard.lookup.lookup import Lookup


async def detect_provider(lookup: Lookup, domain: str, providers: Providers | None = None) -> ProviderMatch | None:
    """The provider of the zone holding `domain`, or None when its NS names follow no known pattern (or the
    zone's name servers cannot be listed: the dns check reports that itself)."""
    providers = providers or _bundled()
    zone, hosts, outcome, _ = await lookup.name_servers(domain)
    if zone is None or outcome is not Outcome.OK:
        return None
    return detect(providers, zone, hosts)


@cache
def _bundled() -> Providers:
    """resources/providers.json, read once per process (it does not change while the program runs)."""
    from wizard.resources import load_providers

    return load_providers()


def provider_line(provider: ProviderMatch | None) -> str:
    """The human output's line naming the provider the zone's NS names point to."""
    if provider is None:
        return "DNS provider: not recognised (self-hosted or unknown)"
    data = provider.to_json()
    return f"DNS provider: {data['name']} (name servers {', '.join(data['ns'])})"
