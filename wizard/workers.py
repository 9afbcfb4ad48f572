"""`check --jsonl` over a long list on every core: the domains dealt to worker processes, their lines streamed.

A run is CPU-bound past a few hundred domains (one core parses every reply), so a long list is dealt round-robin
to worker processes. Each worker runs this program's `check --jsonl --domains-file - --workers 1` with the same
options, its share of the domains on its standard input: forked from the parent once that has loaded what a
worker runs (Linux), or the program started again (Windows, macOS). A worker passes its lines on every 50 ms
(check's --worker-output: one wake-up of the parent for the lines finished meanwhile, not one per line); the
parent prints them as they come, one whole line at a time (lines never interleave), and counts them for the
progress bar; nothing is kept, so memory stays flat. Ctrl-C reaches only the parent (the workers run in their own
process group); it asks each worker to stop (SIGINT, as a terminal would), forwards the lines of the domains they
finished, and exits 130. Each worker finds the vendor zones (mycimcloud.com, google.com, ...) once for itself; a
started one also pays its own start-up. The CPU a run reports (wait4 of the parent) includes every worker's.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import queue
import signal
import subprocess
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, NoReturn, Protocol

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
    argv = ["check", "--jsonl", "--domains-file=-", "--workers=1", f"--concurrency={concurrency}", "--worker-output"]
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


class Process(Protocol):
    """What the parent uses of a worker process: a started one (subprocess.Popen) or a forked one (Forked)."""

    stdout: IO[str] | None
    stderr: IO[str] | None

    def poll(self) -> int | None: ...
    def wait(self) -> int: ...
    def send_signal(self, sig: int) -> None: ...


def forks() -> bool:
    """Whether workers are forked from this process once it has loaded what they run (Linux), so none pays the
    start-up (about 0.35 s of CPU each: the interpreter, the lookup layer, the checks, the suffix list). Elsewhere
    each is this program started again: Windows has no fork, and on macOS a fork without exec is unsafe once
    the system's frameworks are loaded (Python's multiprocessing does not fork there either)."""
    return sys.platform.startswith("linux")


@dataclass
class Forked:
    """A worker forked from this process, with the parts of subprocess.Popen the parent uses."""

    pid: int
    stdout: IO[str] | None
    stderr: IO[str] | None
    returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        os.kill(self.pid, sig)


def fork(argv: Sequence[str], domains: Sequence[str], run: Callable[[list[str]], int]) -> Forked:
    """A child of this process that runs `run(argv)` (the CLI's main) over `domains` as its standard input, its
    output and errors on pipes to the parent; it starts a session of its own, as a started worker does, so a
    terminal's Ctrl-C reaches only the parent."""
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered here is written twice (by the child too)
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    pid = os.fork()
    if pid == 0:
        os.close(out_read)
        os.close(err_read)
        _run_child(list(argv), domains, out_write, err_write, run)
    os.close(out_write)
    os.close(err_write)
    return Forked(pid, open(out_read, encoding="utf-8"), open(err_read, encoding="utf-8", errors="replace"))


def _run_child(
    argv: list[str], domains: Sequence[str], out: int, err: int, run: Callable[[list[str]], int]
) -> NoReturn:
    """The forked worker: never returns into the parent's code, and runs none of its exit handlers."""
    status = 70  # EX_SOFTWARE: it failed before run() gave a status
    try:
        os.setsid()
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.close(out)
        os.close(err)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        sys.stdin = io.StringIO("\n".join(domains) + "\n")
        # UTF-8, as the parent reads them (a started worker gets PYTHONIOENCODING=utf-8)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115  (flushed at os._exit below)
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)  # noqa: SIM115
        status = run(argv)
    except KeyboardInterrupt:
        status = 130
    except BaseException:  # reported on its stderr, which the parent shows for a failed worker
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(status)


@dataclass
class Worker:
    """One worker process: its share of the domains written to its stdin, its lines read into the parent's queue,
    the end of its stderr kept for a worker that fails."""

    process: Process
    errors: deque[str] = field(default_factory=lambda: deque(maxlen=20))

    @staticmethod
    def start(argv: Sequence[str], domains: Sequence[str]) -> Worker:
        command = [sys.executable, *argv] if getattr(sys, "frozen", False) else [sys.executable, "-m", "wizard", *argv]
        group: dict[str, object] = {"start_new_session": True}
        if sys.platform == "win32":
            group = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            encoding="utf-8", env={**os.environ, "PYTHONIOENCODING": "utf-8"}, **group,  # type: ignore[call-overload]
        )  # fmt: skip
        assert process.stdin is not None
        _thread(_feed, process.stdin, "\n".join(domains) + "\n")
        return Worker(process)

    def listen(self, lines: queue.Queue[str | None]) -> None:
        """Read the worker's lines into `lines` (and keep the end of its errors), each in a thread of its own."""
        _thread(self._read, lines)
        _thread(self._read_errors)

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


def _feed(stdin: IO[str], text: str) -> None:
    """A started worker's share of the domains, on its standard input."""
    try:
        stdin.write(text)
        stdin.close()
    except (BrokenPipeError, OSError):  # the worker stopped early (interrupted): its reader reports that
        pass


def _thread(target: Callable[..., None], *args: object) -> None:
    threading.Thread(target=target, args=args, daemon=True).start()


@dataclass
class Forwarder:
    """Takes the workers' lines from the queue and hands each to `take`, until every worker's output ended."""

    lines: queue.Queue[str | None]
    running: int
    take: Callable[[str], None]

    def run(self, stop: Callable[[], bool] = lambda: False) -> bool:
        """Until every worker's output ended (False), or `stop` says so (True: Ctrl-C was pressed)."""
        while self.running:
            if stop():
                return True
            try:
                line = self.lines.get(timeout=0.2)  # a timeout keeps Ctrl-C prompt on every platform
            except queue.Empty:
                continue
            if line is _END:
                self.running -= 1
            else:
                self.take(line)
        return False


class _CtrlC:
    """While the workers' lines are passed on, Ctrl-C (SIGINT) is noted, not raised: a KeyboardInterrupt raised
    inside a write that waits for the reader (a pipe that is full) loses what that write held, and cuts a line.
    The forwarder stops at the next line instead. (Only in the main thread, where Python runs signal handlers.)"""

    def __init__(self) -> None:
        self.pressed = False
        self.previous: Any = None

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._note)
        return self

    def _note(self, _signum: int, _frame: object) -> None:
        self.pressed = True

    def __exit__(self, *_exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None

    def seen(self) -> bool:
        return self.pressed


def run_workers(
    args: argparse.Namespace,
    domains: Sequence[str],
    count: int,
    take: Callable[[str], None],
    run: Callable[[list[str]], int] | None = None,
) -> tuple[list[int], list[str], bool]:
    """Check the domains in `count` workers, each line handed to `take` as it comes. With `run` (the CLI's main,
    when forks() and the caller has loaded what a worker runs), the workers are forked and run it; otherwise each
    is the program started again.

    Returns the workers' exit statuses, the end of the stderr of those that failed (status not 0, 1 or 130, in a
    run that was not interrupted), and whether the run was interrupted.
    """
    lines: queue.Queue[str | None] = queue.Queue()
    argv = worker_argv(args, max(1, args.concurrency // count))
    shares = [domains[i::count] for i in range(count)]
    if run is not None:  # every child forked before any thread of the parent's starts
        workers = [Worker(fork(argv, share, run)) for share in shares]
    else:
        workers = [Worker.start(argv, share) for share in shares]
    for worker in workers:
        worker.listen(lines)
    forwarder = Forwarder(lines, len(workers), take)
    interrupted = False
    try:
        with _CtrlC() as ctrl_c:
            if forwarder.run(ctrl_c.seen):
                raise KeyboardInterrupt
    except (KeyboardInterrupt, BrokenPipeError):  # Ctrl-C, or the reader of our output went away (`take` says)
        interrupted = True
        for worker in workers:
            worker.interrupt()
        forwarder.run()  # the lines of the domains the workers finished (a second Ctrl-C ends that at once)
    codes = [worker.process.wait() for worker in workers]
    failures = [
        f"worker {i + 1} stopped with status {code}: " + " / ".join(worker.errors)
        for i, (worker, code) in enumerate(zip(workers, codes, strict=True))
        if code not in (0, 1, 130) and not interrupted  # stopped by us (on Windows Ctrl-Break ends a worker)
    ]
    return codes, failures, interrupted
