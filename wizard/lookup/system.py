"""The system's resolvers from /etc/resolv.conf, read without dnspython's resolver module (Linux, macOS, BSD).

A run asks its first question right after start-up, and dnspython's resolver module (with its message and query
modules and the rest they import) was a third of the instructions spent before it: 130 M of 460 M, about 50 ms.
A lookup over plain DNS needs nothing of it but the resolvers' addresses, so they are read here the way dnspython
reads them (`BaseResolver.read_resolv_conf`: each `nameserver` line's address, in order, port 53). Whatever this
reader is not sure of (no file, no nameserver, an address that is not one, Windows' registry) it leaves to
dnspython, which stays the judge (tests/lookup/test_system_resolvers.py compares both readings).
"""

from __future__ import annotations

import socket
import sys

RESOLV_CONF = "/etc/resolv.conf"  # (a str: pathlib is not otherwise imported before the first question)
DNS_PORT = 53


def system_resolvers(path: str | None = None) -> tuple[tuple[str, int], ...]:
    """The (address, port) of each `nameserver` in the file (RESOLV_CONF), or () for dnspython's resolver to
    decide."""
    if sys.platform == "win32":
        return ()
    try:
        with open(path or RESOLV_CONF, encoding="utf-8") as file:
            lines = file.readlines()
    except (OSError, UnicodeDecodeError):
        return ()
    addresses = []
    for line in lines:
        tokens = line.split()
        if len(tokens) >= 2 and tokens[0] == "nameserver":  # (a comment line starts with # or ;)
            addresses.append(tokens[1])
    if not addresses or not all(_is_address(address) for address in addresses):
        return ()
    return tuple((address, DNS_PORT) for address in addresses)


def _is_address(text: str) -> bool:
    """An IPv4 or IPv6 address (IPv6 with a zone, `fe80::1%en0`, as dnspython allows)."""
    for family, address in ((socket.AF_INET, text), (socket.AF_INET6, text.partition("%")[0])):
        try:
            socket.inet_pton(family, address)
        except (OSError, ValueError):
            continue
        return True
    return False
