"""`check --jsonl` over a long list in worker processes: the same lines as one process gives, each domain once,
and Ctrl-C still prints the finished domains and exits 130."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from bench.__main__ import finding_sets
from tests.lab import Lab
from tests.test_cli import ROOT, check, finished, lab_args
from wizard.workers import auto_workers

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
    rest, errors = run.communicate(timeout=30)
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
