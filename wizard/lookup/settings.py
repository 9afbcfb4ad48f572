"""Lookup settings: configured once, carried by the one Lookup object."""

from __future__ import annotations

from dataclasses import dataclass, field

# The public view goes through DNS over HTTPS (RFC 8484): it reaches these where a network blocks port 53.
PUBLIC_DOH: tuple[tuple[str, str], ...] = (
    ("Google", "https://dns.google/dns-query"),
    ("Cloudflare", "https://cloudflare-dns.com/dns-query"),
    ("Quad9", "https://dns.quad9.net/dns-query"),
)


@dataclass(frozen=True)
class LookupSettings:
    """Where to ask and how long to wait.

    nameservers: resolver addresses (host, port); empty means the system's configuration.
    doh: DNS-over-HTTPS resolver URLs (a company's own, say); when given, the resolver view asks them instead.
    dns_port: the port used for every authoritative server contacted (a lab runs them on a high port).
    public_resolvers: whether to ask the public resolvers for the propagation view.
    public_doh: (label, URL) of the public DoH resolvers asked for the propagation view.
    public_resolver_addresses: (label, host, port) of public resolvers asked over plain DNS instead of
        public_doh, when any are given (a lab does).
    timeout: the overall deadline, in seconds, for one view of one name.
    query_timeout: how long one query to one server may take before it is retried.
    retries: how many more times a timed-out query is sent.
    https_port: the port MTA-STS policies are fetched from (443; a lab may change it).
    public_grace: how long public resolvers may take after the resolver and authoritative views are in.
    """

    nameservers: tuple[tuple[str, int], ...] = ()
    doh: tuple[str, ...] = ()
    dns_port: int = 53
    public_resolvers: bool = True
    public_doh: tuple[tuple[str, str], ...] = field(default=PUBLIC_DOH)
    public_resolver_addresses: tuple[tuple[str, str, int], ...] = ()
    timeout: float = 10.0
    query_timeout: float = 2.0
    retries: int = 2
    edns_payload: int = 1232
    https_port: int = 443
    public_grace: float = 1.5


def parse_server(text: str, default_port: int = 53) -> tuple[str, int]:
    """'127.0.0.1', '127.0.0.1:5353', '[::1]:53' or '::1' as (host, port); ValueError with a reason."""
    text = text.strip()
    if not text:
        raise ValueError("an empty nameserver address")
    host, port = text, default_port
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"{text!r}: missing ']'")
        host = text[1:end]
        rest = text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{text!r}: expected ':PORT' after ']'")
            port = _port(text, rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _port(text, port_text)
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{text!r}: a nameserver must be an IP address") from None
    return host, port


def parse_port(text: str) -> int:
    """A port number from 1 to 65535 (ASCII digits only); ValueError saying so otherwise."""
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise ValueError("the port must be a number from 1 to 65535")
    return int(text)


def _port(text: str, port_text: str) -> int:
    try:
        return parse_port(port_text)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None


def parse_doh_url(text: str) -> str:
    """A DNS-over-HTTPS URL: https://HOST[:PORT]/PATH (the path defaults to /dns-query); ValueError otherwise."""
    from urllib.parse import urlsplit

    text = text.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{text!r}: not a URL ({exc})") from None
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"{text!r}: a DoH resolver is an https:// URL, such as https://dns.example.com/dns-query")
    if parts.username or parts.password or parts.fragment:
        raise ValueError(f"{text!r}: a DoH URL has no user name, password or #fragment")
    netloc = parts.netloc if port is None or port != 443 else parts.netloc.rsplit(":", 1)[0]
    path = parts.path or "/dns-query"
    return f"https://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")
