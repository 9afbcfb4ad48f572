"""Lookup settings: configured once, carried by the one Lookup object."""

from __future__ import annotations

from dataclasses import dataclass, field

PUBLIC_RESOLVERS: tuple[tuple[str, str, int], ...] = (
    ("Google", "8.8.8.8", 53),
    ("Cloudflare", "1.1.1.1", 53),
    ("Quad9", "9.9.9.9", 53),
)


@dataclass(frozen=True)
class LookupSettings:
    """Where to ask and how long to wait.

    nameservers: resolver addresses (host, port); empty means the system's configuration.
    dns_port: the port used for every authoritative server contacted (a lab runs them on a high port).
    public_resolvers: whether to ask the public resolvers for the propagation view.
    public_resolver_addresses: (label, host, port) of those resolvers; a lab may point them elsewhere.
    timeout: the overall deadline, in seconds, for one view of one name.
    query_timeout: how long one query to one server may take before it is retried.
    retries: how many more times a timed-out query is sent.
    https_port: the port MTA-STS policies are fetched from (443; a lab may change it).
    public_grace: how long public resolvers may take after the resolver and authoritative views are in.
    """

    nameservers: tuple[tuple[str, int], ...] = ()
    dns_port: int = 53
    public_resolvers: bool = True
    public_resolver_addresses: tuple[tuple[str, str, int], ...] = field(default=PUBLIC_RESOLVERS)
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
