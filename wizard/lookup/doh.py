"""DNS over HTTPS (RFC 8484): dnspython builds and reads the DNS messages, our HTTP client carries them.

dnspython's own DoH transport resolves the server's name itself and ignores proxies; a locked-down network
often allows web traffic only through its proxy, so every DoH query goes through httpx2 here (the OS trust
store and HTTPS_PROXY). What is left of RFC 8484 is one POST of the query's wire form and the
reply's status check, done here, so that dnspython's DoH support can stay off (see wizard.lookup) and the
HTTPS stack is imported on the first DoH query rather than by every run at start-up.
"""

from __future__ import annotations

import asyncio

import dns._asyncbackend
import dns.message
import dns.nameserver
import dns.query

DNS_MESSAGE = "application/dns-message"


async def doh_query(query: dns.message.Message, url: str, seconds: float) -> dns.message.Message:
    """Send one query to the DoH server at `url` (POST, HTTP/2 or HTTP/1.1) and return its reply.

    Raises TimeoutError after `seconds`, what httpx2 raises (httpx2.HTTPError), ValueError for a status other
    than 2xx, and dns.exception.DNSException for a malformed or unrelated reply: the lookup layer turns them
    into Answers.
    """
    import httpx2  # the HTTPS stack: only a run that uses DoH loads it

    from wizard.lookup.trust import trust_context

    wire = query.to_wire()
    headers = {"accept": DNS_MESSAGE, "content-type": DNS_MESSAGE}
    # trust_env: HTTPS_PROXY (and Windows'/macOS' proxy settings) apply, as for the policy fetch
    client = httpx2.AsyncClient(verify=trust_context(http2=True), http2=True, trust_env=True, timeout=seconds)
    async with asyncio.timeout(seconds), client:
        response = await client.post(url, content=wire, headers=headers)
    if not 200 <= response.status_code <= 299:  # RFC 8484 4.2.1: any 2xx carries a DNS reply
        raise ValueError(f"{url} responded with HTTP status {response.status_code}")
    reply = dns.message.from_wire(response.content)
    if not query.is_response(reply):
        raise dns.query.BadResponse
    return reply


class ProxiedDoHNameserver(dns.nameserver.DoHNameserver):
    """A DoH resolver for dnspython's Resolver whose queries go through doh_query."""

    async def async_query(  # noqa: PLR0917 -- dnspython's signature
        self,
        request: dns.message.QueryMessage,
        timeout: float,  # noqa: ASYNC109 -- dnspython's signature
        source: str | None,
        source_port: int,
        max_size: bool,
        backend: dns._asyncbackend.Backend,
        one_rr_per_rrset: bool = False,
        ignore_trailing: bool = False,
    ) -> dns.message.Message:
        return await doh_query(request, self.url, timeout)
