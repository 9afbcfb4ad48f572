"""`check` as a script runs it: --jsonl streams one parsable object per domain, --concurrency is checked, and
Ctrl-C prints the domains already finished and exits 130."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from tests.lab import Lab

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parent.parent


def lab_args(lab: Lab) -> list[str]:
    return [
        "--nameserver", f"127.0.0.1:{lab.resolver_port}", "--dns-port", str(lab.port), "--no-public-resolvers",
    ]  # fmt: skip


def check(*args: str) -> list[str]:
    return [sys.executable, "-m", "wizard", "check", *args]


def finished(command: list[str]) -> subprocess.CompletedProcess[str]:
    """The command run to its end (its exit status is what the test looks at)."""
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_jsonl_prints_one_object_per_domain_line_by_line(dns_lab: Lab) -> None:
    domains = ["example.test", "nospf.test", "dmarc-good.test", "no-such-domain.test"]
    done = finished(check(*domains, "--jsonl", *lab_args(dns_lab)))
    lines = done.stdout.splitlines()
    objects = [json.loads(line) for line in lines]
    assert sorted(o["domain"] for o in objects) == sorted(domains)
    assert all(o["version"] == 1 and "dns" in o["checks"] for o in objects)
    assert done.returncode == 1, "some of these domains fail"
    assert done.stderr == "", "no progress bar when stderr is not a terminal"


@pytest.mark.parametrize("bad", ["0", "-3", "many", "100000"])
def test_concurrency_must_be_a_sensible_number(bad: str) -> None:
    done = finished(check("example.test", "--concurrency", bad))
    assert done.returncode == 2
    assert "--concurrency" in done.stderr and "Traceback" not in done.stderr


def test_json_and_jsonl_together_is_a_usage_error() -> None:
    done = finished(check("example.test", "--json", "--jsonl"))
    assert done.returncode == 2 and "not allowed with" in done.stderr


MANY = 5000


def start_many(lab: Lab, tmp_path: Path, *output: str) -> subprocess.Popen[str]:
    """`check` started over MANY names, five at a time: a run long enough to interrupt."""
    listing = tmp_path / "domains.txt"
    listing.write_text("\n".join(f"n{i}.example.test" for i in range(MANY)) + "\n")
    command = check("--domains-file", str(listing), *output, "--concurrency", "5", *lab_args(lab))
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


@pytest.mark.timeout(120)
def rest_of(run: subprocess.Popen[str]) -> tuple[str, str]:
    """What a run still prints, and its errors, read to the end through its own pipes (not communicate(): a
    readline before may have read more lines into its buffer than it returned, which communicate() skips)."""
    assert run.stdout is not None and run.stderr is not None
    out, errors = run.stdout.read(), run.stderr.read()
    run.wait(timeout=30)
    return out, errors


def test_ctrl_c_prints_the_finished_domains_and_exits_130(dns_lab: Lab, tmp_path: Path) -> None:
    run = start_many(dns_lab, tmp_path, "--jsonl")
    assert run.stdout is not None
    first = [run.stdout.readline() for _ in range(3)]  # the run is under way: some domains are finished
    run.send_signal(signal.SIGINT)
    rest, errors = rest_of(run)
    lines = [*first, *rest.splitlines()]
    objects = [json.loads(line) for line in lines]
    assert run.returncode == 130
    assert 3 <= len(objects) < MANY
    assert len({o["domain"] for o in objects}) == len(objects)
    assert "interrupted" in errors and "Traceback" not in errors


@pytest.mark.timeout(120)
def test_ctrl_c_with_json_prints_one_object_of_the_finished_domains(dns_lab: Lab, tmp_path: Path) -> None:
    run = start_many(dns_lab, tmp_path, "--json")
    time.sleep(4)
    run.send_signal(signal.SIGINT)
    out, errors = run.communicate(timeout=30)
    assert run.returncode == 130
    document = json.loads(out)
    assert len(document["domains"]) < MANY
    assert all(d["checks"] for d in document["domains"])
    assert "interrupted" in errors and "Traceback" not in errors


@pytest.mark.timeout(120)
def test_ctrl_c_prints_the_finished_domains_as_text(dns_lab: Lab, tmp_path: Path) -> None:
    run = start_many(dns_lab, tmp_path)
    time.sleep(4)
    run.send_signal(signal.SIGINT)
    out, errors = run.communicate(timeout=30)
    assert run.returncode == 130
    headers = [line for line in out.splitlines() if line.endswith(".example.test") and not line.startswith(" ")]
    assert 0 < len(headers) < MANY, out[-500:]
    assert f"interrupted: {len(headers)} of {MANY} domains checked" in errors


def test_progress_bar_goes_to_a_terminal_stderr_never_into_the_json(dns_lab: Lab) -> None:
    try:
        main, terminal = pty.openpty()
    except OSError as exc:  # a chroot without /dev/pts mounted has no terminals to give
        pytest.skip(f"no pseudo-terminal on this machine: {exc}")
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal has a size
    shown: list[bytes] = []

    def read() -> None:
        with contextlib.suppress(OSError):  # EIO once the terminal's last writer has gone
            while chunk := os.read(main, 65536):
                shown.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        done = subprocess.run(
            check("example.test", "nospf.test", "--json", *lab_args(dns_lab)),
            check=False, stdout=subprocess.PIPE, stderr=terminal, text=True, timeout=60, cwd=ROOT,
        )  # fmt: skip
    finally:
        os.close(terminal)
        reader.join(10)
        os.close(main)
    assert [d["domain"] for d in json.loads(done.stdout)["domains"]] == ["example.test", "nospf.test"]
    assert b"/2" in b"".join(shown) and b"domain" in b"".join(shown), shown


def test_start_up_imports_no_key_parser_suffix_list_or_qt() -> None:
    """What `check` loads before its first query: the checks, the lookup layer; not cryptography (loaded with
    the first DKIM key), nor the public suffix list (the first organizational domain), nor Qt."""
    probe = (
        "import sys, wizard.cli, wizard.lookup.lookup, wizard.report; from wizard.checks import all_checks; "
        "all_checks(); print(sorted({m.split('.')[0] for m in sys.modules} & {'cryptography', 'publicsuffixlist', "
        "'PySide6', 'tqdm'}))"
    )
    done = finished([sys.executable, "-c", probe])
    assert done.stdout.strip() == "[]", done.stderr
