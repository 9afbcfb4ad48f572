"""The command line: `email-auth-wizard` opens the wizard; `email-auth-wizard check ...` runs headless.

The headless path imports no Qt, so it starts fast and runs where there is no display.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import AsyncGenerator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from wizard import APP_ID, DEFAULT_CONCURRENCY, __version__
from wizard.core.names import DomainError, normalize_domain
from wizard.core.spf import CIMCLOUD_INCLUDE

# Only what building the parser needs is imported here (`--version` and `--help` stop there); each command
# imports what it runs, when it runs (see tests/test_startup.py).
if TYPE_CHECKING:
    import asyncio

    from tqdm import tqdm

    from wizard.checks import CheckOptions, DomainResults
    from wizard.core.proof import ActivationProof
    from wizard.lookup.lookup import Lookup
    from wizard.lookup.settings import LookupSettings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_OUTPUT_CLOSED = 141  # what a shell reports for a program that SIGPIPE ended (`yes | head`)
MAX_CONCURRENCY = 1000
LINES_EVERY = 0.05  # seconds: how often a worker (--worker-output) passes its finished domains' lines on


class UsageError(Exception):
    """Bad invocation or input: printed as one line on stderr, exit status 2."""


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, as wide as the terminal, measured without shutil: argparse imports it (and with
    it bz2, lzma and zlib, 3 ms) to size every parser it builds, on every start, whether help is shown or not."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        super().__init__(prog, indent_increment, max_help_position, _terminal_columns() - 2 if width is None else width)


def _terminal_columns() -> int:
    """COLUMNS, or the terminal's width, or 80: what shutil.get_terminal_size gives argparse."""
    with contextlib.suppress(KeyError, ValueError):
        return int(os.environ["COLUMNS"])
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 80
    except (AttributeError, ValueError, OSError):
        return 80


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _server(text: str) -> tuple[str, int]:
    from wizard.lookup.settings import parse_server

    try:
        return parse_server(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _doh(text: str) -> str:
    from wizard.lookup.settings import parse_doh_url

    try:
        return parse_doh_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    from wizard.lookup.settings import parse_port

    try:
        return parse_port(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds between 0 and 600")
    return value


def _concurrency(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of domains from 1 to {MAX_CONCURRENCY}")
    return int(text)


def _workers(text: str) -> int:
    from wizard.workers import MAX_WORKERS

    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes from 0 (automatic) to {MAX_WORKERS}")
    return int(text)


def _dkim_record(text: str) -> tuple[str, str]:
    name, sep, content = text.partition("=")
    if not sep or not name.strip() or not content.strip():
        raise argparse.ArgumentTypeError(f"{text[:60]!r} is not NAME=CONTENT")
    return name.strip(), content


def _add_lab_options(parser: argparse.ArgumentParser) -> None:
    lab = parser.add_argument_group("DNS servers (for networks that block direct DNS, and for test labs)")
    lab.add_argument(
        "--nameserver", action="append", type=_server, default=[], metavar="HOST[:PORT]",
        help="resolver to use instead of the system's (repeatable)",
    )  # fmt: skip
    lab.add_argument(
        "--doh", action="append", type=_doh, default=[], metavar="URL",
        help="DNS-over-HTTPS resolver to use instead (repeatable; honours HTTPS_PROXY)",
    )  # fmt: skip
    lab.add_argument("--dns-port", type=_port, default=53, metavar="N", help="port of every authoritative server")
    lab.add_argument(
        "--no-public-resolvers", action="store_true", help="do not ask Google, Cloudflare and Quad9 (propagation)"
    )
    lab.add_argument("--https-port", type=_port, default=443, metavar="N", help="port for MTA-STS policy fetches")


def build_parser(*, only_check: bool = False) -> argparse.ArgumentParser:
    """The program's arguments. only_check: the `check` command's alone, for a command line that starts with it
    (the other commands' parsers, and the modules that make them, cost a run 16 M instructions of start-up)."""
    parser = _Parser(prog=APP_ID, description="Set up and verify the DNS records that let CIMcloud send your email.")
    parser.add_argument("--version", action="version", version=f"{APP_ID} {__version__}")
    _add_lab_options(parser)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = sub.add_parser("check", help="check domains without the window", description="Check domains headless.")
    check.add_argument("domains", nargs="*", metavar="DOMAIN")
    check.add_argument(
        "--domains-file", metavar="FILE",
        help="read more domains from FILE, one per line ('#' starts a comment; '-' reads standard input)",
    )  # fmt: skip
    output = check.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument(
        "--jsonl", action="store_true", help="print one JSON object per line for each domain, as each one finishes"
    )
    check.add_argument(
        "--concurrency", type=_concurrency, default=DEFAULT_CONCURRENCY, metavar="N",
        help=f"check at most N domains at the same time (default {DEFAULT_CONCURRENCY})",
    )  # fmt: skip
    check.add_argument(
        "--workers", type=_workers, default=0, metavar="N",
        help="with --jsonl, check the list in N processes (default 0: one per core, for 100 domains per core or more)",
    )  # fmt: skip
    # a worker's output goes to its parent, which prints it: passed on every LINES_EVERY seconds (workers.py)
    check.add_argument("--worker-output", action="store_true", help=argparse.SUPPRESS)
    _add_lab_options(check)
    check.add_argument(
        "--timeout", type=_seconds, default=10.0, metavar="SECONDS", help="deadline for each lookup (default 10)"
    )
    check.add_argument(
        "--expect-include", default=CIMCLOUD_INCLUDE, metavar="NAME",
        help=f"the SPF include that must be authorized (default {CIMCLOUD_INCLUDE})",
    )  # fmt: skip
    check.add_argument("--dkim", action="append", default=[], metavar="SELECTOR", help="DKIM selector to check")
    check.add_argument(
        "--dkim-record", action="append", type=_dkim_record, default=[], metavar="NAME=CONTENT",
        help="DKIM record CIMcloud sent you, compared with what is published (repeatable)",
    )  # fmt: skip
    check.add_argument("--message", metavar="FILE", help="a message from the CIMcloud website: proves DKIM signing")
    check.add_argument(
        "--reports", nargs="+", default=[], metavar="FILE", help="DMARC aggregate reports: prove DKIM signing"
    )
    if only_check:
        return parser
    _add_proof_commands(sub)
    from wizard.commands import publish, secret

    secret.add_parser(sub, _Parser)
    publish.add_parser(sub, _Parser, _add_lab_options)
    return parser


def _add_proof_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    """`message` and `reports`: the evidence that CIMcloud's DKIM signing is active (wizard.commands)."""
    message = sub.add_parser("message", help="check a message from the CIMcloud website (.eml, .msg, headers)")
    message.add_argument("file", metavar="FILE|-", help="the saved message ('-' reads standard input)")
    reports = sub.add_parser("reports", help="summarise DMARC aggregate reports (.xml, .xml.gz, .zip)")
    reports.add_argument("files", nargs="+", metavar="FILE")
    reports.add_argument("--domain", help="the domain whose reports to summarise (default: the reports' own)")
    for parser in (message, reports):
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        _add_lab_options(parser)
        parser.add_argument(
            "--timeout", type=_seconds, default=10.0, metavar="SECONDS", help="deadline for each lookup (default 10)"
        )


def run_proof_command(args: argparse.Namespace) -> int:
    if args.command == "message":
        from wizard.commands import message

        return message.run(args.file, settings_from(args), as_json=args.json)
    from wizard.commands import reports

    domain = None
    if args.domain:
        try:
            domain = normalize_domain(args.domain)
        except DomainError as exc:
            raise UsageError(f"--domain: {exc}") from None
    return reports.run(args.files, settings_from(args), domain=domain, as_json=args.json)


def settings_from(args: argparse.Namespace) -> LookupSettings:
    from wizard.lookup.settings import LookupSettings

    timeout = getattr(args, "timeout", 10.0)
    return LookupSettings(
        nameservers=tuple(args.nameserver),
        doh=tuple(dict.fromkeys(args.doh)),
        dns_port=args.dns_port,
        public_resolvers=not args.no_public_resolvers,
        timeout=timeout,
        query_timeout=min(2.0, timeout / 3),
        https_port=args.https_port,
    )


def _read_domains_file(name: str) -> list[str]:
    """Domains listed one per line (an MSP's list); blank lines and '#' comments are skipped."""
    try:
        if name == "-":
            text = sys.stdin.read()
        else:
            with open(name, encoding="utf-8-sig") as f:
                text = f.read(10_000_000)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the domains file {name!r}: {exc}") from None
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def _domains(texts: Sequence[str]) -> list[str]:
    if not texts:
        raise UsageError("no domain given: name at least one, or use --domains-file")
    domains: dict[str, None] = {}  # in the order given, each once (a dict: ten thousand stay quick)
    for text in texts:
        try:
            domains[normalize_domain(text, allow_email=True)] = None
        except DomainError as exc:
            raise UsageError(str(exc)) from None
    return list(domains)


def run_check(args: argparse.Namespace) -> int:
    from wizard.checks import CheckOptions

    listed = _read_domains_file(args.domains_file) if args.domains_file else []
    domains = _domains([*args.domains, *listed])
    try:
        expect_include = normalize_domain(args.expect_include)
    except DomainError as exc:
        raise UsageError(f"--expect-include: {exc}") from None
    options = CheckOptions(
        expect_include=expect_include,
        dkim_selectors=tuple(dict.fromkeys(s.strip() for s in args.dkim if s.strip())),
        dkim_records=tuple(args.dkim_record),
    )
    printer = _Printer(args, len(domains))
    count = _workers_for(args, len(domains))
    if count > 1:  # this process passes the workers' lines on (and loads what they run when it forks them)
        return _run_in_workers(args, options, domains, count, printer)
    import asyncio

    from wizard.checks import stream_domains
    from wizard.lookup.lookup import Lookup

    lookup = Lookup(settings_from(args))
    if args.message or args.reports:
        from dataclasses import replace

        options = replace(options, proofs=tuple(_proofs(args, lookup)))
    stream = stream_domains(domains, lookup, options, concurrency=args.concurrency)
    try:
        asyncio.run(printer.consume(stream))
    except KeyboardInterrupt:
        printer.interrupted = True
    except BrokenPipeError:  # the reader went away (`check ... | head`): the domains still running were stopped
        pass
    return printer.finish()


CHECK_GC_THRESHOLDS = (20_000, 20, 20)
"""The garbage collector's thresholds for `check` (Python's default: 700, 10, 10). A check allocates and frees
objects at a high rate, nearly all freed by their reference counts, while the domains in flight keep thousands of
futures, coroutine frames and answers alive: at 700 allocations per young collection, the collector walked those
again and again: 8 % of a batch run's instructions (0.7 M per domain, callgrind), and 50 collections while the
program's modules load. At 20,000 (and the older generations every 20 of the one below: 10 measured 0.1 M per
domain more) that is all but gone; cyclic garbage is still found within 20,000 allocations, so memory stays flat
(bench B's 10,000-domain stream)."""


def set_up_check_process() -> None:
    """What a process that runs `check` does first, before main() imports anything else: fewer garbage
    collections, the stand-ins, asyncio without its TLS. (tests.startup_probe calls it as entry() does.)"""
    _collect_less()
    _stand_ins_for_check()
    _import_asyncio_without_tls()


def _import_asyncio_without_tls() -> None:
    """Import asyncio as on a Python built without ssl: its own TLS support (loop.start_tls, create_connection's
    ssl=) is off. A check never uses it: the MTA-STS policy fetch speaks TLS with the ssl module itself (h11 over
    a socket, in a thread) and DNS over HTTPS with anyio's TLS streams (httpcore2), each importing ssl where it
    is needed. asyncio imported ssl, and with it OpenSSL, for every run: 25 M of the 357 M instructions before
    the first query (callgrind). tests/test_cli_tls.py runs both of the check's TLS uses in such a process."""
    if "asyncio" in sys.modules or "ssl" in sys.modules:
        return
    sys.modules["ssl"] = None  # type: ignore[assignment]  # (`import ssl` raises ImportError while it is None)
    try:
        import asyncio  # noqa: F401  (imported now, without ssl)
    finally:
        del sys.modules["ssl"]


def _stand_ins_for_check() -> None:
    """logging and inspect, imported by asyncio, concurrent.futures and dataclasses, are stand-ins in a check
    process until first used (wizard.standins): 34 M of the 277 M instructions before the first query. A check
    logs nothing unless something goes wrong (asyncio's own reports), and inspects nothing."""
    from wizard.standins import stand_in, stand_in_for_logging

    stand_in_for_logging()
    stand_in("inspect")


def _collect_less() -> None:
    import gc

    gc.set_threshold(*CHECK_GC_THRESHOLDS)


def _workers_for(args: argparse.Namespace, domains: int) -> int:
    """How many worker processes check the list: 1 (this process) unless --jsonl can be dealt out."""
    if args.workers == 1 or not args.jsonl:  # only --jsonl is ever dealt out (workers.can_shard): not loaded then
        return 1
    from wizard.workers import auto_workers, can_shard

    return (args.workers or auto_workers(domains)) if can_shard(args) else 1


def _load_for_workers(options: CheckOptions) -> None:
    """What each forked worker would load on its own: the lookup layer, every check, the pieces a batch loads
    ahead (the suffix list; the key parser when a DKIM selector or record is given). Objects made until now are
    left out of later collections (gc.freeze), so the workers' collections do not touch, and copy, the pages
    they share with this process."""
    import gc

    import wizard.lookup.lookup  # noqa: F401  (loaded for the workers)
    from wizard.checks import all_checks, pieces_needed, prepare

    all_checks()
    prepare.load_here(*pieces_needed(options, batch=True))
    gc.freeze()


def _run_in_workers(
    args: argparse.Namespace, options: CheckOptions, domains: list[str], count: int, printer: _Printer
) -> int:
    """--jsonl over the list dealt to `count` worker processes (wizard.workers), each line printed as it comes."""
    from wizard.workers import forks, run_workers

    run = None
    if forks():  # the workers are forked from here, with what they run already loaded
        _load_for_workers(options)
        run = main
    codes, failures, interrupted = run_workers(args, domains, count, printer.take_line, run)
    printer.interrupted = interrupted
    printer.failed = printer.failed or EXIT_FAILED in codes
    for failure in failures:
        print(f"{APP_ID}: {failure}", file=sys.stderr)
    status = printer.finish()
    if failures and not interrupted:
        return EXIT_USAGE if EXIT_USAGE in codes else EXIT_FAILED
    return status


class _Printer:
    """Takes each domain's results as it finishes: a JSON line at once (--jsonl), or kept for the report printed
    at the end in the domains' order; a progress bar on stderr when it is a terminal."""

    def __init__(self, args: argparse.Namespace, total: int) -> None:
        self.jsonl: bool = args.jsonl
        self.json: bool = args.json
        self.total = total
        self.kept: list[tuple[int, str, DomainResults]] = []
        self.count = 0
        self.failed = False
        self.interrupted = False
        self.closed = False  # the reader of standard output went away
        self.bar = _progress_bar(total)
        # a worker's lines reach its parent together, at most `batched` seconds after the first of them
        self.batched: float = LINES_EVERY if getattr(args, "worker_output", False) else 0.0
        self._flush_timer: asyncio.TimerHandle | None = None
        self.broke_in_flush = False
        self._pending = bytearray()  # encoded, not yet written (see _drain)
        self._fd: int | None = None
        self._direct: bool | None = None  # whether output goes through _drain (decided at the first write)

    async def consume(self, stream: AsyncGenerator[tuple[int, str, DomainResults]]) -> None:
        async with contextlib.aclosing(stream):
            async for index, domain, results in stream:
                self.take(index, domain, results)

    def take(self, index: int, domain: str, results: DomainResults) -> None:
        from wizard.report import any_failed, to_json_line

        self.count += 1
        self.failed = self.failed or any_failed([(domain, results)])
        if self.jsonl:
            self._write(to_json_line(domain, results) + "\n")
        else:
            self.kept.append((index, domain, results))
        if self.bar is not None:
            self.bar.update(1)

    def _write(self, text: str) -> None:
        """Write it out now (a worker's lines: `batched` seconds after the first, with the lines finished
        meanwhile). Once the reader has gone (`check ... | head`), BrokenPipeError goes up the first time (it ends
        the run, as Ctrl-C does) and nothing more is written: standard output then leads nowhere, so no later
        flush, ours or the interpreter's, fails again."""
        if self.broke_in_flush:  # (a flush on the timer found the reader gone: this line ends the run)
            self.broke_in_flush = False
            raise BrokenPipeError("the reader of standard output went away")
        if self.closed:
            return
        if not self._writes_directly():  # a terminal, or an output with no descriptor (a test's capture)
            try:
                sys.stdout.write(text)
                sys.stdout.flush()
            except BrokenPipeError:
                self._output_closed()
                raise
            return
        self._pending += text.encode(sys.stdout.encoding or "utf-8", sys.stdout.errors or "strict")
        if not self._flush_later():
            self._drain()

    def _writes_directly(self) -> bool:
        if self._direct is None:
            try:
                sys.stdout.flush()
                self._fd = sys.stdout.fileno()
                self._direct = not os.isatty(self._fd)
            except (AttributeError, OSError, ValueError):  # (io.UnsupportedOperation is both)
                self._direct = False
        return self._direct

    def _drain(self) -> None:
        """Write what is pending with os.write, resumed after each partial write. Not through sys.stdout: when a
        signal (Ctrl-C) interrupts a write of Python's buffered writer that waits for the reader (a full pipe),
        the writer loses part of its buffer, even when the signal's handler returns (CPython 3.11, measured:
        900 bytes), which cut a line in two."""
        if self._fd is None:
            return
        try:
            while self._pending:
                written = os.write(self._fd, self._pending)
                del self._pending[:written]
        except BrokenPipeError:
            self._pending.clear()
            self._output_closed()
            raise

    def _flush_later(self) -> bool:
        """In a worker, while the run's event loop runs: write `batched` seconds from the first line not yet
        written, so the lines finished meanwhile reach the parent in one write (each line woke the parent:
        0.17 ms of its CPU per line). False when the write is now (not a worker; finish(), after the loop)."""
        if not self.batched:
            return False
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if self._flush_timer is None:
            self._flush_timer = loop.call_later(self.batched, self._flush)
        return True

    def _flush(self) -> None:
        self._flush_timer = None
        if self.closed:
            return
        try:
            self._drain()
        except BrokenPipeError:
            self.broke_in_flush = True

    def _output_closed(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    def take_line(self, line: str) -> None:
        """One domain's JSON line as a worker printed it."""
        self.count += 1
        self._write(line if line.endswith("\n") else line + "\n")
        if self.bar is not None:
            self.bar.update(1)

    def finish(self) -> int:
        """Print what was kept (the finished domains, when interrupted); the exit status."""
        from wizard.report import to_json, to_text

        if self.bar is not None:
            self.bar.close()
        results = [(domain, checks) for _, domain, checks in sorted(self.kept, key=lambda k: k[0])]
        with contextlib.suppress(BrokenPipeError):
            self._drain()  # (a worker's last lines)
            if self.json:
                self._write(to_json(results) + "\n")
            elif not self.jsonl and results:
                self._write(to_text(results))
        if self.closed:
            return EXIT_OUTPUT_CLOSED
        if self.interrupted:
            print(f"{APP_ID}: interrupted: {self.count} of {self.total} domains checked", file=sys.stderr)
            return EXIT_INTERRUPTED
        return EXIT_FAILED if self.failed else EXIT_OK


def _progress_bar(total: int) -> tqdm[NoReturn] | None:
    """A progress bar on stderr, only when it is a terminal (never mixed into output that a program reads).

    tqdm: small, no dependencies of its own, imported only here, so a run without a terminal never loads it.
    """
    if total < 2 or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="domain", file=sys.stderr, leave=False, dynamic_ncols=True)


def _proofs(args: argparse.Namespace, lookup: Lookup) -> list[ActivationProof]:
    """The activation proofs in the files given with --message and --reports (bad input: exit status 2)."""
    import asyncio

    from wizard.checks.proofs import gather_proofs
    from wizard.commands import InputError, read_input
    from wizard.core.dmarc.aggregate import MAX_FILE_BYTES
    from wizard.core.findings import FindingError
    from wizard.core.message.parse import MAX_MESSAGE_BYTES
    from wizard.resources import load_services

    try:
        message = read_input(args.message, MAX_MESSAGE_BYTES) if args.message else None
        reports = [(name, read_input(name, MAX_FILE_BYTES)) for name in args.reports]
        return asyncio.run(gather_proofs(lookup, load_services(), message=message, reports=reports))
    except InputError as exc:
        raise UsageError(str(exc)) from None
    except FindingError as exc:
        raise UsageError(f"--message: {exc.finding.message}") from None


def entry() -> NoReturn:
    """The program's entry point (`email-auth-wizard`, `python -m wizard`, the bundle): main(), then exit.

    After `check` has written and flushed its output, the process ends without the interpreter's teardown,
    which spends about 0.1 s freeing every loaded module's objects one by one for nothing. Every other
    command (the wizard's Qt teardown, keyring backends) exits the ordinary way.
    """
    if sys.argv[1:2] == ["check"]:  # (here, not in run_check: main() also runs inside other programs, the tests)
        set_up_check_process()
    status = main()
    if sys.argv[1:2] != ["check"]:
        sys.exit(status)
    with contextlib.suppress(OSError, ValueError):  # a closed or broken pipe: nothing more can be written
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(only_check=argv[:1] == ["check"]).parse_args(argv)
        if args.command == "check":
            return run_check(args)
        if args.command in ("message", "reports"):
            return run_proof_command(args)
        if args.command in ("secret", "publish"):
            from wizard.commands import publish, secret

            return {"secret": secret.run, "publish": publish.run}[args.command](args)
    except UsageError as exc:
        print(f"{APP_ID}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    from wizard.ui.app import run_gui

    return run_gui(settings_from(args), [sys.argv[0], *argv])
