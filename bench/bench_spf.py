"""Benchmark: SPF tree analysis fetches sibling includes concurrently.

With every answer delayed by R seconds (MemorySource(delay=R)), a tree of depth D with W sibling includes
per level costs about (D + 1) x R (one round trip per level, the root's TXT included), not
(number of lookups) x R. Run: python bench/bench_spf.py
"""

from __future__ import annotations

import asyncio
import time

from wizard.core.spf.tree import analyze
from wizard.lookup.memory import MemorySource


def build_tree(depth: int, width: int, delay: float) -> MemorySource:
    """example.com includes `width` names; each of those includes `width` more, `depth` levels down."""
    zone = MemorySource(delay=delay)
    level = ["example.com"]
    for d in range(1, depth + 1):
        children: list[str] = []
        for parent in level:
            names = [f"n{d}-{i}.{parent}" for i in range(width)]
            zone.add(parent, "TXT", "v=spf1 " + " ".join(f"include:{n}" for n in names) + " -all")
            children += names
        level = children
    for leaf in level:
        zone.add(leaf, "TXT", "v=spf1 ip4:192.0.2.0/24 -all")
    return zone


async def measure(depth: int, width: int, delay: float) -> tuple[float, int, int]:
    zone = build_tree(depth, width, delay)
    start = time.perf_counter()
    analysis = await analyze(zone, "example.com")
    return time.perf_counter() - start, analysis.lookups, len(zone.queries)


def main() -> None:
    delay = 0.05
    print(f"R = {delay * 1000:.0f} ms per answer")
    print(f"{'depth':>5} {'width':>5} {'lookups':>8} {'queries':>8} {'elapsed':>9} {'(D+1)xR':>9} {'queries x R':>12}")
    for depth, width in ((1, 3), (2, 3), (3, 2), (4, 2), (5, 1), (10, 1)):
        elapsed, lookups, queries = asyncio.run(measure(depth, width, delay))
        print(
            f"{depth:>5} {width:>5} {lookups:>8} {queries:>8} {elapsed:>8.3f}s "
            f"{(depth + 1) * delay:>8.3f}s {queries * delay:>11.3f}s"
        )


if __name__ == "__main__":
    main()
