"""Benchmark: `check` over many domains against BIND behind a latency proxy.

Measures wall time for 1, 10 and 50 domains with every DNS round trip costing about RTT (a UDP/TCP delay
proxy sits in front of the resolver and both authoritative servers), and the peak memory of the process.
Domains are checked concurrently, so 50 domains should cost a small multiple of one domain, not 50×.

Run from the repository root: `python -m bench.bench_check [--rtt-ms 50]` (needs bind9, root for the
lab's loopback addresses). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

from bench.delay_proxy import DelayProxy
from tests.lab import Lab
from tests.lab.bind import free_port
from tests.lab.plugin import copy_zones
from wizard.checks import CheckOptions, run_domains
from wizard.lookup.lookup import Lookup

ZONE = """@ IN TXT "v=spf1 include:_spf.google.com include:_spf.mycimcloud.com ~all"
@ IN MX 10 mx.{name}.
mx IN A 192.0.2.25
_dmarc IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@{name}"
"""


VENDOR_ZONES = ("mycimcloud.com", "google.com")  # the lab's stand-ins, so every include resolves as it would


def write_zones(folder: Path, count: int) -> list[str]:
    copy_zones(folder, VENDOR_ZONES)
    names = [f"d{i:03d}.test" for i in range(count)]
    for name in names:
        (folder / f"{name}.zone").write_text(ZONE.format(name=name))
    return names


def run_once(lookup: Lookup, domains: list[str]) -> float:
    start = time.perf_counter()
    asyncio.run(run_domains(domains, lookup, CheckOptions()))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt-ms", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    delay = args.rtt_ms / 2000
    with tempfile.TemporaryDirectory() as tmp:
        zones = Path(tmp) / "zones"
        zones.mkdir()
        domains = write_zones(zones, 50)
        with Lab.start(zones, Path(tmp) / "lab") as lab:
            proxy_port = free_port(("127.0.0.1", "127.0.0.2"), exclude=(lab.port, lab.resolver_port))
            resolver_proxy = free_port(("127.0.0.1",), exclude=(lab.port, lab.resolver_port, proxy_port))
            proxies = [
                DelayProxy(("127.0.0.1", proxy_port), ("127.0.0.1", lab.port), delay).start(),
                DelayProxy(("127.0.0.2", proxy_port), ("127.0.0.2", lab.port), delay).start(),
                DelayProxy(("127.0.0.1", resolver_proxy), ("127.0.0.1", lab.resolver_port), delay).start(),
            ]
            try:
                settings = lab.settings(
                    nameservers=(("127.0.0.1", resolver_proxy),), dns_port=proxy_port, timeout=10.0,
                    query_timeout=2.0,
                )  # fmt: skip
                lookup = Lookup(settings)
                rows = []
                for count in (1, 10, 50):
                    times = [run_once(lookup, domains[:count]) for _ in range(args.repeat)]
                    rows.append((count, min(times), sorted(times)[len(times) // 2]))
            finally:
                for proxy in proxies:
                    proxy.stop()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RTT {args.rtt_ms:g} ms per DNS round trip; every check; best and median of {args.repeat}\n")
    print("| domains | best (s) | median (s) | per domain (s) |")
    print("| ---: | ---: | ---: | ---: |")
    for count, best, median in rows:
        print(f"| {count} | {best:.2f} | {median:.2f} | {median / count:.3f} |")
    print(f"\npeak memory (max RSS of the process): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
