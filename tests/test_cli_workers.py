"""`check --jsonl` over a long list in worker processes: the same lines as one process gives, each domain once,
and Ctrl-C still prints the finished domains and exits 130."""

from __future__ import annotations

import json
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.__main__ import finding_sets
from tests.lab import Lab
from tests.test_cli import ROOT, check, finished, lab_args, rest_of
from wizard.cli import build_parser
from wizard.workers import auto_workers, fork, forks, run_workers

pytestmark = pytest.mark.lab

LAB_DOMAINS = ["example.test", "nospf.test", "dmarc-good.test", "spf-lab.test", "no-such-domain.test"]


def domains_of(jsonl: str) -> list[str]:
    return [json.loads(line)["domain"] for line in jsonl.splitlines()]


@pytest.mark.timeout(120)
def test_workers_print_every_domain_once_with_the_findings_one_process_gives(dns_lab: Lab, tmp_path: Path) -> None:
    names = [f"x{i}.{LAB_DOMAINS[i % len(LAB_DOMAINS)]}" for i in range(40)] + LAB_DOMAINS
    listing = tmp_path / "domains.txt"
    listing.write_text("\n".join(names) + "\n")
    one = finished(check("--domains-file", str(listing), "--jsonl", "--workers", "1", *lab_args(dns_lab)))
    three = finished(check("--domains-file", str(listing), "--jsonl", "--workers", "3", *lab_args(dns_lab)))
    assert finding_sets(three.stdout) == finding_sets(one.stdout)
    assert sorted(domains_of(three.stdout)) == sorted(names), "every domain once"
    assert three.returncode == one.returncode == 1, "some of these domains fail"
    assert three.stderr == ""


@pytest.mark.timeout(120)
def test_workers_started_as_new_processes_print_what_forked_ones_do(dns_lab: Lab, tmp_path: Path) -> None:
    """Windows and macOS start each worker as the program again (Linux forks them, as `check` above did): the
    same lines, each domain once."""
    names = [f"s{i}.{LAB_DOMAINS[i % len(LAB_DOMAINS)]}" for i in range(20)]
    listing = tmp_path / "domains.txt"
    listing.write_text("\n".join(names) + "\n")
    forked = finished(check("--domains-file", str(listing), "--jsonl", "--workers", "2", *lab_args(dns_lab)))
    args = build_parser().parse_args(["check", "--jsonl", "--domains-file", str(listing), *lab_args(dns_lab)])
    lines: list[str] = []
    codes, failures, interrupted = run_workers(args, names, 2, lines.append, run=None)
    assert (codes, failures, interrupted) == ([1, 1], [], False)  # some of these domains fail
    assert finding_sets("".join(lines)) == finding_sets(forked.stdout)
    assert sorted(domains_of("".join(lines))) == sorted(names)


def _echo_then_status_3(argv: list[str]) -> int:
    print(f"{argv[0]}:", " ".join(sys.stdin.read().split()))
    return 3


def _broken(argv: list[str]) -> int:
    raise RuntimeError("a bug in the worker")


@pytest.mark.skipif(not forks(), reason="workers are forked only on Linux")
def test_a_forked_worker_reads_its_share_as_stdin_and_its_status_and_errors_reach_the_parent() -> None:
    echo = fork(["check"], ["a.test", "b.test"], _echo_then_status_3)
    assert echo.stdout is not None and echo.stdout.read() == "check: a.test b.test\n"
    assert echo.wait() == 3
    broken = fork(["check"], ["a.test"], _broken)
    assert broken.stderr is not None and "RuntimeError: a bug in the worker" in broken.stderr.read()
    assert broken.wait() == 70


def test_a_short_list_stays_in_one_process() -> None:
    assert auto_workers(50) == 1


@pytest.mark.parametrize("bad", ["-1", "9", "two"])
def test_workers_must_be_a_sensible_number(bad: str) -> None:
    done = finished(check("example.test", "--workers", bad))
    assert done.returncode == 2 and "--workers" in done.stderr and "Traceback" not in done.stderr


MANY = 3000


@pytest.mark.timeout(120)
def test_ctrl_c_stops_every_worker_and_prints_what_they_finished(dns_lab: Lab, tmp_path: Path) -> None:
    listing = tmp_path / "domains.txt"
    listing.write_text("\n".join(f"n{i}.example.test" for i in range(MANY)) + "\n")
    options = ["--jsonl", "--workers", "2", "--concurrency", "4", *lab_args(dns_lab)]
    command = check("--domains-file", str(listing), *options)
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert run.stdout is not None
    first = [run.stdout.readline() for _ in range(6)]  # under way in both workers
    run.send_signal(signal.SIGINT)
    rest, errors = rest_of(run)
    objects = [json.loads(line) for line in [*first, *rest.splitlines()]]
    assert run.returncode == 130
    assert 6 <= len(objects) < MANY
    assert len({o["domain"] for o in objects}) == len(objects)
    assert f"interrupted: {len(objects)} of {MANY} domains checked" in errors
    assert "Traceback" not in errors


@pytest.mark.timeout(120)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_reader_that_stops_early_ends_the_run_quietly(dns_lab: Lab, tmp_path: Path, workers: str) -> None:
    """`check --jsonl ... | head -1`: once the reader has gone the run stops (the workers too) and exits with
    the status a shell gives a program that SIGPIPE ended, with no traceback."""
    listing = tmp_path / "domains.txt"
    listing.write_text("\n".join(f"x{i}.{LAB_DOMAINS[i % len(LAB_DOMAINS)]}" for i in range(400)) + "\n")
    command = check("--domains-file", str(listing), "--jsonl", "--workers", workers, *lab_args(dns_lab))
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does
    errors = proc.stderr.read()
    assert proc.wait(timeout=60) == 141, errors
    assert json.loads(first)["domain"] and "Traceback" not in errors, errors


def _unread(fd: int) -> int:
    """The bytes waiting in a pipe (Linux's FIONREAD)."""
    import fcntl
    import termios

    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


@pytest.mark.skipif(sys.platform != "linux", reason="FIONREAD on a pipe")
@pytest.mark.timeout(120)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_while_the_reader_is_not_reading_cuts_no_line(dns_lab: Lab, tmp_path: Path, workers: str) -> None:
    """Ctrl-C while the program waits to write (its reader reads nothing for a while, and the pipe is full): every
    line it printed is whole. (Python's buffered writer lost part of a write that Ctrl-C interrupted.)"""
    listing = tmp_path / "domains.txt"
    listing.write_text("\n".join(f"n{i}.example.test" for i in range(MANY)) + "\n")
    # (a selector makes each line longer than a pipe's page, 4 KiB: only such a write can be cut)
    options = ["--jsonl", "--workers", workers, *(f"--dkim=cimcloud-{s}" for s in "abc"), *lab_args(dns_lab)]
    command = check("--domains-file", str(listing), *options)
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert run.stdout is not None
    before, waited = -1, 0.0
    while waited < 60:  # until the pipe is full (nothing more comes for a second) and the program waits in a write
        time.sleep(1.0)
        waited += 1.0
        unread = _unread(run.stdout.fileno())
        if unread == before and unread > 0:
            break
        before = unread
    run.send_signal(signal.SIGINT)
    out, errors = rest_of(run)
    lines = out.splitlines()
    assert len(lines) > 4, "the pipe was not full"
    assert min(len(line) for line in lines) > 4096
    assert [json.loads(line)["domain"] for line in lines]  # every line whole (json.loads raises on a cut one)
    assert out.endswith("\n")
    assert run.returncode == 130
    assert f"interrupted: {len(lines)} of {MANY} domains checked" in errors


PRINTER = """
import signal, sys
from wizard.cli import _Printer, build_parser

signal.signal(signal.SIGINT, lambda *_: None)  # noted and returned from, as asyncio's and the parent's handlers do
printer = _Printer(build_parser().parse_args(["check", "x.test", "--jsonl"]), 200)
for n in range(200):
    printer._write(f"{n:06d} " + "x" * 5000 + "\\n")
"""


@pytest.mark.timeout(60)
def test_a_signal_during_a_write_that_waits_for_the_reader_loses_nothing() -> None:
    """The printer's writes, interrupted by Ctrl-C while the pipe is full (Python's buffered writer lost about
    900 bytes of such a write, even with a handler that returns)."""
    run = subprocess.Popen([sys.executable, "-c", PRINTER], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert run.stdout is not None and run.stderr is not None
    time.sleep(1.0)  # the pipe is full
    run.send_signal(signal.SIGINT)
    time.sleep(0.1)
    out, errors = run.stdout.read(), run.stderr.read()
    assert run.wait(timeout=30) == 0, errors
    assert out == b"".join(f"{n:06d} ".encode() + b"x" * 5000 + b"\n" for n in range(200))
