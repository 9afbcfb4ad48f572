"""`python -m bench.profile_batch`: where the CPU of a batch `check --jsonl` goes (issue 13, scenario B).

Starts the BIND lab with scenario B's zones behind the delay proxies, runs `check --domains-file F --jsonl` as a
subprocess under cProfile (or sampled by py-spy with --spy: `pip install py-spy` in the venv; it is no dependency),
and prints CPU per domain, queries per domain (counted at the proxies) and the profile grouped by where the time
was spent (dnspython, asyncio, the core's SPF parser, ...), in percent of the total. Arguments after `--` go to
check (`-- --workers 1`). Run from the repository root as root (the lab binds 127.0.0.2).
"""

from __future__ import annotations

import argparse
import json
import pstats
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import ClassVar

import dns.message
import dns.rdatatype

import bench.__main__ as bench
from bench.__main__ import FirstQuery, delayed, finding_sets, ours, timed, write_zones
from tests.lab import Lab

# (label, a piece of the file path): the first that matches names a function's group.
GROUPS = (
    ("dnspython", "dns/"),
    ("asyncio", "asyncio/"),
    ("selectors/socket", "selectors.py"),
    ("json", "json/"),
    ("ipaddress", "ipaddress.py"),
    ("core.spf", "wizard/core/spf/"),
    ("core.dmarc", "wizard/core/dmarc/"),
    ("core (other)", "wizard/core/"),
    ("lookup", "wizard/lookup/"),
    ("checks", "wizard/checks/"),
    ("report/cli", "wizard/"),
    ("enum", "enum.py"),
    ("dataclasses", "dataclasses.py"),
    ("re", "re/"),
)


class Logged(FirstQuery):
    """FirstQuery that also counts the questions by name (the batch domain's own name written as D) and type."""

    asked: ClassVar[Counter[str]] = Counter()

    def __call__(self, wire: bytes) -> None:
        super().__call__(wire)
        try:
            question = dns.message.from_wire(wire).question[0]
        except Exception:  # a TCP length prefix or a malformed query: counted as such
            Logged.asked["(unparsed)"] += 1
            return
        name = re.sub(r"(x\d+\.)?b\d{4}\.test", "D", question.name.to_text(omit_final_dot=True).lower())
        Logged.asked[f"{name} {dns.rdatatype.to_text(question.rdtype)}"] += 1


def _parses(line: str) -> bool:
    """A JSON line (py-spy's own messages share the stdout pipe and may cut into a line: those are skipped)."""
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def group_of(filename: str) -> str:
    for label, part in GROUPS:
        if filename.startswith(part) or "/" + part in filename:
            return label
    if filename.startswith("~") or filename == "<built-in>":
        return "builtins"
    return "other"


def breakdown(profile: Path) -> tuple[float, Counter[str]]:
    """Total self time and self time per group (cProfile's tottime: each second counted once)."""
    stats = pstats.Stats(str(profile))
    groups: Counter[str] = Counter()
    total = 0.0
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        groups[group_of(filename)] += tottime
        total += tottime
    return total, groups


def spy_breakdown(collapsed: Path) -> tuple[int, Counter[str], Counter[str]]:
    """py-spy's collapsed stacks (CPU samples only, idle excluded): samples per group of the innermost frame,
    and per function of the innermost wizard frame (which of our code the time was spent under)."""
    groups: Counter[str] = Counter()
    ours_under: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack.split(";")
        total += count
        leaf = frames[-1]
        groups[group_of(leaf[leaf.rfind("(") + 1 :])] += count
        mine = [f for f in frames if "wizard/" in f]
        ours_under[mine[-1].rpartition(":")[0] + ")" if mine else "(outside wizard)"] += count
    return total, groups, ours_under


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rtt-ms", type=float, default=20.0)
    parser.add_argument("--top", type=int, default=30, help="functions listed by self time")
    parser.add_argument("--no-profile", action="store_true", help="measure CPU and queries without cProfile")
    parser.add_argument("--spy", action="store_true", help="sample with py-spy instead of cProfile (less overhead)")
    parser.add_argument("--keep", type=Path, help="where to keep the cProfile output")
    parser.add_argument("extra", nargs="*", help="more arguments for check (after --)")
    args = parser.parse_args()
    bench.FirstQuery = Logged  # type: ignore[misc]
    with tempfile.TemporaryDirectory() as tmp:
        names = write_zones(Path(tmp) / "zones", args.batch)
        listing = Path(tmp) / "batch.txt"
        listing.write_text("\n".join(names) + "\n")
        profile = args.keep or Path(tmp) / "check.prof"
        lab_dir = Path(tmp) / "lab"
        with Lab.start(Path(tmp) / "zones", lab_dir, timeout=300) as lab, delayed(lab, args.rtt_ms / 1000) as net:
            command = ours(net, "--domains-file", str(listing), "--jsonl", *args.extra)
            if args.spy:
                spy = Path(sys.executable).parent / "py-spy"
                command = [str(spy), "record", "-r", "250", "-f", "raw", "-o", str(profile), "--", *command]
            elif not args.no_profile:
                command[1:3] = ["-m", "cProfile", "-o", str(profile), "-m", "wizard"]
            run = timed(command, net)
        sets = finding_sets("\n".join(line for line in run.stdout.splitlines() if _parses(line)))
        n = len(names)
        print(f"{n} domains at {args.rtt_ms:g} ms: {run.wall:.1f} s, {n / run.wall:.0f} domains/s, "
              f"{run.cpu / n * 1000:.2f} ms CPU/domain{'' if args.no_profile else ' (profiled)'}, "
              f"{run.max_rss_mib:.0f} MiB, {run.queries / n:.1f} queries/domain, exit {run.returncode}")  # fmt: skip
        print(f"finding sets: {dict(sets.most_common(3))}")
        print("queries per domain by name and type (D: the domain):")
        for question, count in Logged.asked.most_common(40):
            print(f"  {count / n:6.2f}  {question}")
        if args.no_profile:
            return
        if args.spy:
            samples, groups, under = spy_breakdown(profile)
            print(f"py-spy: {samples} CPU samples; by the innermost frame:")
            for label, count in groups.most_common():
                print(f"  {count / samples * 100:5.1f} %  {label}")
            print("by the innermost wizard function on the stack:")
            for label, count in under.most_common(args.top):
                print(f"  {count / samples * 100:5.1f} %  {label}")
            return
        total, groups = breakdown(profile)
        print(f"self time under cProfile: {total:.2f} s")
        for label, seconds in groups.most_common():
            print(f"  {seconds / total * 100:5.1f} %  {label}")
        pstats.Stats(str(profile), stream=sys.stdout).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
