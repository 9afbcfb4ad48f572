"""DNS over HTTPS (RFC 8484) with dnspython, sent through our HTTP client: the OS trust store and HTTPS_PROXY.

dnspython's own DoH transport resolves the server's name itself and ignores proxies; a locked-down network
often allows web traffic only through its proxy, so every DoH query goes through wizard.lookup.https's client.
"""

from __future__ import annotations

import dns._asyncbackend
import dns.asyncquery
import dns.message
import dns.nameserver

from wizard.lookup.https import http_client


async def doh_query(query: dns.message.Message, url: str, seconds: float) -> dns.message.Message:
    """Send one query to the DoH server at `url` (POST, HTTP/2 or HTTP/1.1) and return its reply.

    Raises what dnspython and httpx2 raise (dns.exception.Timeout, httpx2.HTTPError, ValueError for a status
    other than 2xx, dns.exception.DNSException for a malformed reply): the lookup layer turns them into Answers.
    """
    async with http_client(http2=True, timeout=seconds) as client:
        return await dns.asyncquery.https(query, url, timeout=seconds, client=client)


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
