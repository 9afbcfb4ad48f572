"""`check --jsonl` over a long list on every core: the domains dealt to worker processes, their lines streamed.

A run is CPU-bound past a few hundred domains (one core parses every reply), so a long list is dealt round-robin
to worker processes. Each worker is this program itself (`check --jsonl --domains-file - --workers 1` with the
same options), its share of the domains on its standard input. The parent prints each worker's lines as they
come, one whole line at a time (lines never interleave), and counts them for the progress bar; nothing is kept,
so memory stays flat. Ctrl-C reaches only the parent (the workers run in their own process group); it asks
each worker to stop (SIGINT, as a terminal would), forwards the lines of the domains they finished, and exits
130. Each worker finds the vendor zones (mycimcloud.com, google.com, ...) once for itself, and pays its own
start-up: the CPU a run reports (wait4 of the parent) includes every worker's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MIN_DOMAINS_PER_WORKER = 100  # below this, a worker's start-up costs more than the core it adds
MAX_WORKERS = 8
_END = None  # what a worker's reader puts in the queue when the worker's output has ended


def auto_workers(domains: int) -> int:
    """How many workers a run of `domains` domains gets by default: one per core, each with enough domains."""
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS, domains // MIN_DOMAINS_PER_WORKER))


def can_shard(args: argparse.Namespace) -> bool:
    """Only --jsonl streams as it goes (--json and the text report are printed in the domains' order at the
    end), and --message/--reports may read standard input, which the workers' domains arrive on."""
    return bool(args.jsonl) and not args.message and not args.reports


def worker_argv(args: argparse.Namespace, concurrency: int) -> list[str]:
    """The `check` options of this run for one worker (values as --option=value: a value may start with '-')."""
    argv = ["check", "--jsonl", "--domains-file=-", "--workers=1", f"--concurrency={concurrency}"]
    argv += [f"--nameserver={_server(host, port)}" for host, port in args.nameserver]
    argv += [f"--doh={url}" for url in args.doh]
    argv += [f"--dns-port={args.dns_port}", f"--https-port={args.https_port}", f"--timeout={args.timeout!r}"]
    argv += ["--no-public-resolvers"] if args.no_public_resolvers else []
    argv += [f"--expect-include={args.expect_include}"]
    argv += [f"--dkim={selector}" for selector in args.dkim]
    argv += [f"--dkim-record={name}={content}" for name, content in args.dkim_record]
    return argv


def _server(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass
class Worker:
    """One worker process: its share of the domains written to its stdin, its lines read into the parent's queue,
    the end of its stderr kept for a worker that fails."""

    process: subprocess.Popen[str]
    errors: deque[str] = field(default_factory=lambda: deque(maxlen=20))

    @staticmethod
    def start(argv: Sequence[str], domains: Sequence[str], lines: queue.Queue[str | None]) -> Worker:
        command = [sys.executable, *argv] if getattr(sys, "frozen", False) else [sys.executable, "-m", "wizard", *argv]
        group: dict[str, object] = {"start_new_session": True}
        if sys.platform == "win32":
            group = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            encoding="utf-8", env={**os.environ, "PYTHONIOENCODING": "utf-8"}, **group,  # type: ignore[call-overload]
        )  # fmt: skip
        worker = Worker(process)
        _thread(worker._write, "\n".join(domains) + "\n")
        _thread(worker._read, lines)
        _thread(worker._read_errors)
        return worker

    def _write(self, text: str) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(text)
            stdin.close()
        except (BrokenPipeError, OSError):  # the worker stopped early (interrupted): its reader reports that
            pass

    def _read(self, lines: queue.Queue[str | None]) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            lines.put(line)
        lines.put(_END)

    def _read_errors(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.errors.append(line.rstrip("\n"))

    def interrupt(self) -> None:
        """Ask the worker to stop as Ctrl-C would: it prints the domains it finished and exits."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(OSError):  # gone meanwhile
            if sys.platform == "win32":  # a console process group gets Ctrl-Break, not SIGINT
                self.process.send_signal(signal.CTRL_BREAK_EVENT)
            else:
                self.process.send_signal(signal.SIGINT)


def _thread(target: Callable[..., None], *args: object) -> None:
    threading.Thread(target=target, args=args, daemon=True).start()


@dataclass
class Forwarder:
    """Takes the workers' lines from the queue and hands each to `take`, until every worker's output ended."""

    lines: queue.Queue[str | None]
    running: int
    take: Callable[[str], None]

    def run(self) -> None:
        while self.running:
            try:
                line = self.lines.get(timeout=0.2)  # a timeout keeps Ctrl-C prompt on every platform
            except queue.Empty:
                continue
            if line is _END:
                self.running -= 1
            else:
                self.take(line)


def run_workers(
    args: argparse.Namespace, domains: Sequence[str], count: int, take: Callable[[str], None]
) -> tuple[list[int], list[str], bool]:
    """Check the domains in `count` workers, each line handed to `take` as it comes.

    Returns the workers' exit statuses, the end of the stderr of those that failed (status not 0, 1 or 130, in a
    run that was not interrupted), and whether the run was interrupted.
    """
    lines: queue.Queue[str | None] = queue.Queue()
    argv = worker_argv(args, max(1, args.concurrency // count))
    workers = [Worker.start(argv, domains[i::count], lines) for i in range(count)]
    forwarder = Forwarder(lines, len(workers), take)
    interrupted = False
    try:
        forwarder.run()
    except (KeyboardInterrupt, BrokenPipeError):  # Ctrl-C, or the reader of our output went away (`take` says)
        interrupted = True
        for worker in workers:
            worker.interrupt()
        forwarder.run()  # the lines of the domains the workers finished
    codes = [worker.process.wait() for worker in workers]
    failures = [
        f"worker {i + 1} stopped with status {code}: " + " / ".join(worker.errors)
        for i, (worker, code) in enumerate(zip(workers, codes, strict=True))
        if code not in (0, 1, 130) and not interrupted  # stopped by us (on Windows Ctrl-Break ends a worker)
    ]
    return codes, failures, interrupted
