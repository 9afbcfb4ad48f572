"""A DNS-over-HTTPS resolver for the lab: BIND 9.18's own DoH listener (`tls` and `http` statements).

It is configured like the lab's caching resolver (its own root zone, the lab's TLDs forwarded to auth[0]) and
also listens for DoH (HTTP/2, as BIND serves it) on 127.0.0.1 with a certificate from a trustme CA.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import trustme

from tests.lab.bind import NamedServer, free_port, resolver_config
from tests.lab.lab import Lab

DOH_ADDRESS = "127.0.0.1"
DOH_PATH = "/dns-query"


def doh_config(base: str, folder: Path, doh_port: int) -> str:
    """`base` (a resolver's named.conf) plus a DoH listener on doh_port with folder's key.pem and cert.pem."""
    tls = f'tls lab-tls {{\n    key-file "{folder / "key.pem"}";\n    cert-file "{folder / "cert.pem"}";\n}};\n'
    http = f'http lab-http {{\n    endpoints {{ "{DOH_PATH}"; }};\n}};\n'
    listen = f"    listen-on port {doh_port} tls lab-tls http lab-http {{ {DOH_ADDRESS}; }};\n"
    return tls + http + base.replace("options {\n", "options {\n" + listen, 1)


@contextmanager
def doh_resolver(lab: Lab, ca: trustme.CA, folder: Path, timeout: float = 5.0) -> Iterator[str]:
    """Run a DoH resolver for `lab` while in the block; yields its URL (https://127.0.0.1:PORT/dns-query)."""
    dns_port = free_port((DOH_ADDRESS,), exclude=(lab.port, lab.resolver_port))
    doh_port = free_port((DOH_ADDRESS,), exclude=(lab.port, lab.resolver_port, dns_port))
    server = NamedServer("doh", DOH_ADDRESS, dns_port, folder, probe=".")
    tlds = [zone.rstrip(".") for zone in lab.zones if zone.count(".") == 1]  # the generated TLD zones
    base = resolver_config(server, (lab.auth[0].address, lab.port), tlds)
    server.prepare(doh_config(base, folder, doh_port), {"root.zone": _root_zone(lab)})
    cert = ca.issue_cert(DOH_ADDRESS)
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    server.launch()
    try:
        deadline = time.monotonic() + timeout
        while not server.poll_ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the DoH resolver did not start:\n{server.log_text(last=25)}")
            time.sleep(0.01)
        yield f"https://{DOH_ADDRESS}:{doh_port}{DOH_PATH}"
    finally:
        server.stop()


def _root_zone(lab: Lab) -> str:
    """The lab resolver's own root zone (copied: it lists the lab's TLDs)."""
    return (lab.resolver.directory / "root.zone").read_text(encoding="utf-8")
