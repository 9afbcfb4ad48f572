"""`python -m bench`: scenario A (one realistic domain), B (a batch) and C (the GUI), side by side with checkdmarc.

Every figure comes from real runs of `email-auth-wizard check` (a subprocess, as a user runs it) against the
BIND lab, with bench/delay_proxy.py in front of the resolver and both authoritative servers so that each DNS
round trip costs --rtt-ms. checkdmarc runs on the same zones in the same run, from its own virtual
environment (bench/.venv-checkdmarc, made on first use: it is never a dependency of the program).

Writes bench/results/latest.json and prints the Markdown table the README quotes, with the machine the
figures came from. Run from the repository root as root (the lab binds 127.0.0.2 and 127.0.0.3).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.delay_proxy import DelayProxy
from tests.lab import Lab
from tests.lab.bind import free_port
from tests.lab.plugin import copy_zones

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
CHECKDMARC_VENV = Path(__file__).resolve().parent / ".venv-checkdmarc"
PROGRAM_VENV = Path(__file__).resolve().parent / ".venv-program"
# How a measured run starts the program: the copy `pip install .` made in PROGRAM_VENV (install_program), or,
# until then (bench.profile_batch, a failed install), this checkout's sources through the development venv.
PROGRAM = [sys.executable, "-m", "wizard"]
VENDORS = ("mycimcloud.com", "google.com", "outlook.com", "sendgrid.net")
KEY = (ROOT / "tests" / "data" / "dkim" / "rsa2048-a.b64").read_text().strip()
REALISTIC = "realistic.test"
SELECTOR = "cimcloud"

# Scenario A's longest chain of questions that wait for each other's answers, 3 deep (tests/lookup/
# test_query_count.py measures it): the domain's NS names (their question needs no answer before it: the
# domain's SOA, asked at the same time, only confirms that the domain is the zone's apex), their addresses,
# then the question to each authoritative server; the SPF tree is as deep (domain TXT, _spf.google.com,
# _netblocks*.google.com), and so is TXT -> MX -> the address of `mx`.
CRITICAL_PATH_QUERIES = 3


def realistic_zone() -> str:
    """SPF with CIMcloud, Google (nested includes), Microsoft 365 and SendGrid plus mx and a; a 2048-bit DKIM
    key; DMARC; MTA-STS and TLS-RPT."""
    key = [KEY[i : i + 200] for i in range(0, len(KEY), 200)]
    strings = " ".join(f'"{part}"' for part in ["v=DKIM1; k=rsa; p=" + key[0], *key[1:]])
    return (
        '@ IN TXT "v=spf1 mx a include:_spf.mycimcloud.com include:_spf.google.com '
        'include:spf.protection.outlook.com include:sendgrid.net ~all"\n'
        "@ IN A 192.0.2.10\n"
        f"@ IN MX 10 mx.{REALISTIC}.\n"
        "mx IN A 192.0.2.25\n"
        f"{SELECTOR}._domainkey IN TXT {strings}\n"
        f'_dmarc IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@{REALISTIC}"\n'
        '_mta-sts IN TXT "v=STSv1; id=20260101"\n'
        f'_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tls@{REALISTIC}"\n'
        "mta-sts IN A 127.0.0.1\n"
    )


BATCH_ZONE = """@ IN TXT "v=spf1 mx include:_spf.google.com include:_spf.mycimcloud.com ~all"
@ IN MX 10 mx.{name}.
mx IN A 192.0.2.25
_dmarc IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@{name}"
"""


def write_zones(folder: Path, batch: int) -> list[str]:
    copy_zones(folder, VENDORS)
    (folder / f"{REALISTIC}.zone").write_text(realistic_zone())
    names = [f"b{i:04d}.test" for i in range(batch)]
    for name in names:
        (folder / f"{name}.zone").write_text(BATCH_ZONE.format(name=name))
    return names


@dataclass
class FirstQuery:
    """When the first and the last query of a run reached a proxy, and how many did (reset before each run)."""

    at: float | None = None
    last: float | None = None
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, _wire: bytes) -> None:
        now = time.perf_counter()
        with self.lock:
            self.count += 1
            self.last = now
            if self.at is None:
                self.at = now

    def reset(self) -> None:
        with self.lock:
            self.at = self.last = None
            self.count = 0


@dataclass
class Net:
    """Where a run asks: the resolver and the authoritative port, behind proxies of `delay` or none."""

    resolver: int
    auth_port: int
    first: FirstQuery
    rtt: float


@contextmanager
def delayed(lab: Lab, rtt: float) -> Iterator[Net]:
    """Proxies adding rtt per round trip in front of the resolver and both authoritative servers."""
    first = FirstQuery()
    auth_port = free_port(("127.0.0.1", "127.0.0.2"), exclude=(lab.port, lab.resolver_port))
    resolver = free_port(("127.0.0.1",), exclude=(lab.port, lab.resolver_port, auth_port))
    proxies = [
        DelayProxy(("127.0.0.1", auth_port), ("127.0.0.1", lab.port), rtt / 2, seen=first).start(),
        DelayProxy(("127.0.0.2", auth_port), ("127.0.0.2", lab.port), rtt / 2, seen=first).start(),
        DelayProxy(("127.0.0.1", resolver), ("127.0.0.1", lab.resolver_port), rtt / 2, seen=first).start(),
    ]
    try:
        yield Net(resolver, auth_port, first, rtt)
    finally:
        for proxy in proxies:
            proxy.stop()


@dataclass
class Run:
    wall: float
    first_query: float | None
    network: float | None  # from the first query sent to the answer of the last one (last + one round trip)
    queries: int
    cpu: float
    max_rss_mib: float
    stdout: str
    returncode: int


def child_env() -> dict[str, str]:
    """The environment of a measured program: this one's, but with compiled bytecode written and used.

    An installed program runs from its .pyc files (pip compiles them at install, the bundle ships them); under
    PYTHONDONTWRITEBYTECODE=1 (set on this machine) every run compiled each of the program's modules from
    source again, about 0.2 s of CPU that no user ever pays.
    """
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], net: Net) -> Run:
    """Run a command to its end: wall time, time to its first query, and its own CPU and peak RSS (wait4)."""
    net.first.reset()
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=ROOT, env=child_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    stdout = proc.stdout
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(stdout.read()))
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    stdout.close()
    first = None if net.first.at is None else net.first.at - start
    span = None if net.first.at is None or net.first.last is None else net.first.last - net.first.at + net.rtt
    return Run(
        wall,
        first,
        span,
        net.first.count,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        "".join(out),
        proc.returncode,
    )


def ours(net: Net, *args: str) -> list[str]:
    return [
        *PROGRAM, "check", *args, "--nameserver", f"127.0.0.1:{net.resolver}",
        "--dns-port", str(net.auth_port), "--no-public-resolvers",
    ]  # fmt: skip


def install_program() -> list[str] | None:
    """This checkout installed as a user installs it (`pip install .`, compiled bytecode, no editable-install
    import hook: that hook, which the development venv loads at every start, alone costs 15-20 ms), in
    bench/.venv-program; its dependencies come from the development venv (a .pth line naming its
    site-packages), so nothing is downloaded. Reinstalled on every run: it measures the code as it is now.
    Returns the command that starts it, or None (the sources are measured then, and the JSON says so)."""
    python = PROGRAM_VENV / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(PROGRAM_VENV)], check=True)
        site = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        Path(site, "bench-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
             "--target", site, "--upgrade", str(ROOT)],
            check=True, timeout=300, env=child_env(),
        )  # fmt: skip
        compileall.compile_dir(Path(site) / "wizard", quiet=1)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"the program could not be installed for the bench ({exc}); measuring the sources", file=sys.stderr)
        return None
    return [str(python), "-I", "-m", "wizard"]  # -I: this checkout (the working directory) is not on sys.path


def checkdmarc_command(net: Net, domain: str) -> list[str] | None:
    python = CHECKDMARC_VENV / "bin" / "python"
    if not python.exists():
        return None
    return [str(python), str(Path(__file__).resolve().parent / "checkdmarc_lab.py"), str(net.resolver), domain]


def median(values: list[float]) -> float:
    return statistics.median(values)


def scenario_a(lab: Lab, rtt: float, repeat: int) -> dict[str, Any]:
    closed = free_port(("127.0.0.1",), exclude=(lab.port, lab.resolver_port))
    args = [REALISTIC, "--json", "--dkim", SELECTOR, "--https-port", str(closed)]
    with delayed(lab, 0.0) as fast:
        timed(ours(fast, *args), fast)  # not measured: writes the bytecode (child_env) and warms the disk cache
        version = [timed([*PROGRAM, "--version"], fast).wall for _ in range(repeat)]
        command = checkdmarc_command(fast, REALISTIC)
        if command:
            timed(command, fast)
    with delayed(lab, rtt) as slow:
        runs = [timed(ours(slow, *args), slow) for _ in range(repeat)]
        command = checkdmarc_command(slow, REALISTIC)
        theirs = [timed(command, slow).wall for _ in range(repeat)] if command else []
    wall = median([r.wall for r in runs])
    first = median([r.first_query or 0.0 for r in runs])
    network = median([r.network or 0.0 for r in runs])
    result: dict[str, Any] = {
        "rtt_ms": rtt * 1000,
        "ours_s": wall,
        "startup_to_first_query_s": first,
        "version_s": median(version),
        "network_s": network,
        "round_trips": network / rtt if rtt else None,
        "queries": median([float(r.queries) for r in runs]),
        "critical_path_queries": CRITICAL_PATH_QUERIES,
        "critical_path_s": CRITICAL_PATH_QUERIES * rtt,
        "network_over_critical_path": network / (CRITICAL_PATH_QUERIES * rtt) if rtt else None,
        "exit_status": runs[0].returncode,
    }
    if theirs:
        result["checkdmarc_s"] = median(theirs)
        result["ratio"] = median(theirs) / wall
    return result


def finding_sets(jsonl: str) -> Counter[tuple[str, ...]]:
    """How many domains got each set of finding codes (identical zones should all get the same one)."""
    sets: Counter[tuple[str, ...]] = Counter()
    for line in jsonl.splitlines():
        domain = json.loads(line)
        codes = []
        for output in domain["checks"].values():
            for entry in output if isinstance(output, list) else [output]:
                codes += [f["code"] for f in entry["findings"]]
        sets[tuple(sorted(codes))] += 1
    return sets


def scenario_b(lab: Lab, names: list[str], rtt: float, stream: int, tmp: Path) -> dict[str, Any]:
    listing = tmp / "batch.txt"
    listing.write_text("\n".join(names) + "\n")
    with delayed(lab, rtt) as net:
        run = timed(ours(net, "--domains-file", str(listing), "--jsonl"), net)
        sets = finding_sets(run.stdout)
        expected = sets.most_common(1)[0][0] if sets else ()
        result: dict[str, Any] = {
            "domains": len(names),
            "rtt_ms": rtt * 1000,
            "wall_s": run.wall,
            "domains_per_s": len(names) / run.wall,
            "cpu_ms_per_domain": run.cpu / len(names) * 1000,
            "peak_rss_mib": run.max_rss_mib,
            "domains_reported": sum(sets.values()),
            "findings_per_domain": list(expected),
            "domains_with_other_findings": sum(n for codes, n in sets.items() if codes != expected),
            "timeouts": sum(n for codes, n in sets.items() if any(c.endswith(".timeout") for c in codes)),
        }
        if stream:
            for count in (stream // 10, stream):
                listing.write_text("\n".join(f"x{i}.{names[i % len(names)]}" for i in range(count)) + "\n")
                streamed = timed(ours(net, "--domains-file", str(listing), "--jsonl"), net)
                result[f"stream_{count}_peak_rss_mib"] = streamed.max_rss_mib
                result[f"stream_{count}_lines"] = len(streamed.stdout.splitlines())
    return result


def scenario_c(lab: Lab, rtt: float) -> dict[str, Any]:
    """The GUI (offscreen), by bench/gui_probe.py in a fresh process: cold start to the first painted page, then
    the longest GUI-thread stall while scenario A's records are verified at rtt per query."""
    env = {**child_env(), "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    with delayed(lab, rtt) as net:
        probe_args = [str(net.resolver), str(net.auth_port), REALISTIC, SELECTOR]
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve().parent / "gui_probe.py"), *probe_args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    total = time.perf_counter() - start
    try:
        probe: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": (done.stderr or done.stdout)[-500:], "process_s": total}
    return {**probe, "process_s": total}


def ensure_checkdmarc() -> bool:
    """Make bench/.venv-checkdmarc with checkdmarc in it (only the bench uses it); False if that fails."""
    python = CHECKDMARC_VENV / "bin" / "python"
    if python.exists():
        return True
    try:
        subprocess.run([sys.executable, "-m", "venv", str(CHECKDMARC_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "checkdmarc"], check=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"checkdmarc could not be installed ({exc}); its column stays empty", file=sys.stderr)
        return False
    return True


def compile_program() -> None:
    """Write the program's bytecode first, as `pip install` does: the runs then measure an installed copy's
    start-up, not Python compiling every module from source each time (what PYTHONDONTWRITEBYTECODE, set on
    some machines, makes a source checkout do; on this one it was most of the GUI's 1.5 s cold start)."""
    compileall.compile_dir(ROOT / "wizard", quiet=1)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def table(results: dict[str, Any]) -> str:
    a, b, c, m = results["A"], results["B"], results["C"], results["machine"]
    theirs = f"{a['checkdmarc_s']:.2f} s" if "checkdmarc_s" in a else "n/a"
    ratio = f"{a['ratio']:.1f}×" if "ratio" in a else "n/a"
    lines = [
        f"Machine: {m['processor']}, {m['cpus']} CPUs, {m['platform']}, Python {m['python']}, "
        f"load average {m['load_average'][0]:.1f} ({m['when']})",
        "",
        "| scenario | ours | checkdmarc | ratio | critical-path bound |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| A: one domain, {a['rtt_ms']:g} ms per query | {a['ours_s']:.2f} s | {theirs} | {ratio} | "
        f"{a['critical_path_s']:.2f} s ({a['critical_path_queries']} queries) |",
        f"| A: network part | {a['network_s']:.2f} s ({a['round_trips']:.1f} round trips) | | | "
        f"{a['network_over_critical_path']:.2f}× the bound |",
        f"| A: start-up to first query | {a['startup_to_first_query_s']:.2f} s (`--version` {a['version_s']:.2f} s) "
        "| | | |",
        f"| B: {b['domains']} domains, {b['rtt_ms']:g} ms per query | {b['wall_s']:.1f} s, "
        f"{b['domains_per_s']:.0f} domains/s, {b['cpu_ms_per_domain']:.1f} ms CPU/domain, "
        f"{b['peak_rss_mib']:.0f} MiB | | | |",
        f"| B: unwarranted findings | {b['domains_with_other_findings']} domains differ, "
        f"{b['timeouts']} timeouts | | | |",
    ]
    streams = sorted(k for k in b if k.startswith("stream_") and k.endswith("_peak_rss_mib"))
    if streams:
        rss = ", ".join(f"{k.split('_')[1]} domains {b[k]:.0f} MiB" for k in streams)
        lines.append(f"| B: --jsonl peak RSS | {rss} | | | |")
    if "first_paint_s" in c:
        lines.append(f"| C: GUI cold start to first painted page | {c['first_paint_s']:.2f} s | | | |")
    if "stall_ms" in c:
        lines.append(f"| C: longest GUI-thread stall during an A verification | {c['stall_ms']:.0f} ms | | | |")
    else:
        lines.append(f"| C: GUI | not measured: {c.get('error', '')[:80]} | | | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt-ms", type=float, default=50.0, help="round trip of one query in scenario A")
    parser.add_argument("--batch", type=int, default=1000, help="domains in scenario B")
    parser.add_argument("--batch-rtt-ms", type=float, default=20.0)
    parser.add_argument("--stream", type=int, default=10000, help="domains streamed through --jsonl (0: skip)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-checkdmarc", action="store_true")
    parser.add_argument("--only", default="ABC", help="which scenarios to run, e.g. A or BC (default ABC)")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json", help="where the JSON goes")
    args = parser.parse_args()
    only = set(args.only.upper())
    if not args.no_checkdmarc and "A" in only:
        ensure_checkdmarc()
    compile_program()
    installed = install_program() if only & set("AB") else None
    PROGRAM[:] = installed or PROGRAM
    results: dict[str, Any] = {"machine": machine(), "program": "pip install ." if installed else "sources"}
    with tempfile.TemporaryDirectory() as tmp:
        names = write_zones(Path(tmp) / "zones", args.batch if "B" in only else 1)
        with Lab.start(Path(tmp) / "zones", Path(tmp) / "lab", timeout=300) as lab:
            if "A" in only:
                results["A"] = scenario_a(lab, args.rtt_ms / 1000, args.repeat)
            if "B" in only:
                results["B"] = scenario_b(lab, names, args.batch_rtt_ms / 1000, args.stream, Path(tmp))
            if "C" in only:
                results["C"] = scenario_c(lab, args.rtt_ms / 1000)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results) if only == set("ABC") else json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
