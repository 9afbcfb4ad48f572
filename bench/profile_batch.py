"""`python -m bench.profile_batch`: where the CPU of a batch `check --jsonl` goes (issue 13, scenario B).

Starts the BIND lab with scenario B's zones behind the delay proxies, runs `check --domains-file F --jsonl` as a
subprocess under cProfile (or sampled by py-spy with --spy: `pip install py-spy` in the venv; it is no dependency),
and prints CPU per domain, queries per domain (counted at the proxies) and the profile grouped by where the time
was spent (dnspython, asyncio, the core's SPF parser, ...), in percent of the total. Arguments after `--` go to
check (`-- --workers 1`). `--instructions` counts instructions per domain under valgrind's callgrind instead
(valgrind is a Debian package, no dependency): a figure that does not move with the machine's load. Run from
the repository root as root (the lab binds 127.0.0.2).
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import resource
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import ClassVar

import dns.name
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


_BATCH_NAME = re.compile(r"(x\d+\.)?b\d{4}\.test")


class Logged(FirstQuery):
    """FirstQuery that also counts the questions by name (the batch domain's own name written as D) and type."""

    asked: ClassVar[Counter[tuple[bytes, int]]] = Counter()

    def __call__(self, wire: bytes) -> None:
        super().__call__(wire)
        Logged.asked[_question(wire)] += 1  # named and typed after the run: this runs on the proxies' thread


def _question(wire: bytes) -> tuple[bytes, int]:
    """A query's name (wire labels) and type, read without dnspython (the proxies' thread must stay cheap: its
    CPU is measured too); (b"", -1) for what is no plain query (a TCP length prefix, a malformed one)."""
    offset = 12
    try:
        while wire[offset]:
            offset += 1 + wire[offset]
        return wire[12:offset], int.from_bytes(wire[offset + 1 : offset + 3], "big")
    except IndexError:
        return b"", -1


def question_label(question: tuple[bytes, int]) -> str:
    """`D TXT`, `_dmarc.D TXT`, ... (the batch domain's own name written as D)."""
    labels, rdtype = question
    if rdtype < 0:
        return "(unparsed)"
    try:
        name = dns.name.from_wire(labels + b"\x00", 0)[0].to_text(omit_final_dot=True).lower()
    except Exception:
        return "(unparsed)"
    return f"{_BATCH_NAME.sub('D', name)} {dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))}"


TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float | None:
    """A process's own CPU seconds so far (user + system, its children not included), None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def children_of(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
    return kids


class ProcessCpu:
    """Samples the CPU of the check process and of its workers while a run lasts (Linux /proc): the last
    reading of each before it exits, so the parent's own CPU is told from its workers'."""

    def __init__(self, exclude: set[int]) -> None:
        self.exclude = exclude
        self.last: dict[int, float] = {}
        self.role: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ProcessCpu:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            for check in (k for k in children_of(os.getpid()) if k not in self.exclude):
                self._note(check, "check (parent)")
                for worker in children_of(check):
                    self._note(worker, "worker")

    def _note(self, pid: int, role: str) -> None:
        cpu = cpu_of(pid)
        if cpu is not None:
            self.last[pid] = cpu
            self.role.setdefault(pid, role)


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


def instructions(batch: int, rtt: float, extra: list[str]) -> None:
    """Instructions of `check --jsonl --workers 1` over a fifth of the batch and over all of it, under callgrind:
    their difference per domain is the CPU a domain costs in instructions, which (unlike CPU seconds on a busy
    or throttled machine) repeats to within 0.1 %; the rest is the fixed part (start-up, the vendors' zones).
    User-space work only: the kernel's side of each system call is not in it. About 1 minute per 100 domains."""
    small = max(1, batch // 5)
    bench.compile_program()  # a module compiled during the first run would count as that run's work
    with tempfile.TemporaryDirectory() as tmp:
        names = write_zones(Path(tmp) / "zones", batch)
        with Lab.start(Path(tmp) / "zones", Path(tmp) / "lab", timeout=300) as lab, delayed(lab, rtt) as net:
            counts = [_instructions(net, Path(tmp), names[:count], extra) for count in (small, batch)]
    per_domain = (counts[1] - counts[0]) / (batch - small)
    print(f"{batch} domains at {rtt * 1000:g} ms, one process: {per_domain / 1e6:.2f} M instructions per domain, "
          f"{(counts[0] - small * per_domain) / 1e6:.0f} M fixed ({small} domains: {counts[0] / 1e6:.0f} M, "
          f"{batch}: {counts[1] / 1e6:.0f} M)")  # fmt: skip


def _instructions(net: bench.Net, tmp: Path, names: list[str], extra: list[str]) -> int:
    listing = tmp / "instructions.txt"
    listing.write_text("\n".join(names) + "\n")
    command = ours(net, "--domains-file", str(listing), "--jsonl", "--workers", "1", "--timeout", "60", *extra)
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
    done = subprocess.run(command, cwd=bench.ROOT, capture_output=True, text=True, check=False, timeout=3600)
    sets = finding_sets("\n".join(line for line in done.stdout.splitlines() if _parses(line)))
    if sum(sets.values()) != len(names) or len(sets) != 1:
        raise SystemExit(f"the run under callgrind did not report every domain alike: {dict(sets)}")
    counted = re.search(r"Collected : (\d+)", done.stderr)
    if counted is None:
        raise SystemExit(f"no instruction count from callgrind: {done.stderr[-500:]}")
    return int(counted.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rtt-ms", type=float, default=20.0)
    parser.add_argument("--top", type=int, default=30, help="functions listed by self time")
    parser.add_argument("--no-profile", action="store_true", help="measure CPU and queries without cProfile")
    parser.add_argument("--spy", action="store_true", help="sample with py-spy instead of cProfile (less overhead)")
    parser.add_argument("--spy-rate", type=int, default=250, help="py-spy's samples per second")
    parser.add_argument("--keep", type=Path, help="where to keep the cProfile output")
    parser.add_argument(
        "--instructions", action="store_true",
        help="count instructions (valgrind's callgrind) instead: per domain and the fixed part, one process",
    )  # fmt: skip
    parser.add_argument("extra", nargs="*", help="more arguments for check (after --)")
    args = parser.parse_args()
    if args.instructions:
        instructions(args.batch, args.rtt_ms / 1000, args.extra)
        return
    bench.FirstQuery = Logged  # type: ignore[misc]
    with tempfile.TemporaryDirectory() as tmp:
        names = write_zones(Path(tmp) / "zones", args.batch)
        listing = Path(tmp) / "batch.txt"
        listing.write_text("\n".join(names) + "\n")
        profile = args.keep or Path(tmp) / "check.prof"
        lab_dir = Path(tmp) / "lab"
        with Lab.start(Path(tmp) / "zones", lab_dir, timeout=300) as lab, delayed(lab, args.rtt_ms / 1000) as net:
            named = {s.role: s.process.pid for s in (*lab.auth, lab.resolver) if s.process is not None}
            command = ours(net, "--domains-file", str(listing), "--jsonl", *args.extra)
            if args.spy:
                spy = Path(sys.executable).parent / "py-spy"
                rate = str(args.spy_rate)
                command = [str(spy), "record", "-r", rate, "-f", "raw", "-o", str(profile), "--", *command]
            elif not args.no_profile:
                # main(), not the entry point: that ends `check` with os._exit, before cProfile writes its file
                run_main = (
                    f"import cProfile, sys; from wizard.cli import main; cProfile.run('main()', {str(profile)!r})"
                )
                command[1:3] = ["-c", run_main]
            named_before = {role: cpu_of(pid) or 0.0 for role, pid in named.items()}
            own_before = resource.getrusage(resource.RUSAGE_SELF)
            with ProcessCpu(set(named.values())) as processes:
                run = timed(command, net)
            own_after = resource.getrusage(resource.RUSAGE_SELF)
            named_cpu = {role: (cpu_of(pid) or 0.0) - named_before[role] for role, pid in named.items()}
        sets = finding_sets("\n".join(line for line in run.stdout.splitlines() if _parses(line)))
        n = len(names)
        print(f"{n} domains at {args.rtt_ms:g} ms: {run.wall:.1f} s, {n / run.wall:.0f} domains/s, "
              f"{run.cpu / n * 1000:.2f} ms CPU/domain{'' if args.no_profile else ' (profiled)'}, "
              f"{run.max_rss_mib:.0f} MiB, {run.queries / n:.1f} queries/domain, exit {run.returncode}")  # fmt: skip
        print(f"finding sets: {dict(sets.most_common(3))}")
        proxy = own_after.ru_utime + own_after.ru_stime - own_before.ru_utime - own_before.ru_stime
        print("CPU seconds by process during the run (sampled from /proc every 20 ms):")
        workers = 0.0
        for pid, cpu in processes.last.items():
            print(f"  {cpu:6.2f} s  {processes.role[pid]} {pid}")
            workers += cpu if processes.role[pid] == "worker" else 0.0
        print(f"  {run.cpu:6.2f} s  check, all processes (wait4); workers {workers:.2f} s")
        print(f"  {proxy:6.2f} s  bench process (the delay proxies' threads; counting queries by name here)")
        for role, cpu in named_cpu.items():
            print(f"  {cpu:6.2f} s  BIND {role}")
        print("queries per domain by name and type (D: the domain):")
        by_label: Counter[str] = Counter()
        for question, count in Logged.asked.items():
            by_label[question_label(question)] += count
        for label, count in by_label.most_common(40):
            print(f"  {count / n:6.2f}  {label}")
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
