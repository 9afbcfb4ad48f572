"""The command line: `email-auth-wizard` opens the wizard; `email-auth-wizard check ...` runs headless.

The headless path imports no Qt, so it starts fast and runs where there is no display.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import NoReturn

from wizard import APP_ID, __version__
from wizard.checks import DEFAULT_SPF_INCLUDE, CheckOptions
from wizard.core.names import DomainError, normalize_domain
from wizard.lookup.settings import LookupSettings, parse_doh_url, parse_port, parse_server

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad invocation or input: printed as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _server(text: str) -> tuple[str, int]:
    try:
        return parse_server(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _doh(text: str) -> str:
    try:
        return parse_doh_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
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


def build_parser() -> argparse.ArgumentParser:
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
    check.add_argument("--json", action="store_true", help="print one JSON object")
    _add_lab_options(check)
    check.add_argument(
        "--timeout", type=_seconds, default=10.0, metavar="SECONDS", help="deadline for each lookup (default 10)"
    )
    check.add_argument(
        "--expect-include", default=DEFAULT_SPF_INCLUDE, metavar="NAME",
        help=f"the SPF include that must be authorized (default {DEFAULT_SPF_INCLUDE})",
    )  # fmt: skip
    check.add_argument("--dkim", action="append", default=[], metavar="SELECTOR", help="DKIM selector to check")
    check.add_argument(
        "--dkim-record", action="append", type=_dkim_record, default=[], metavar="NAME=CONTENT",
        help="DKIM record CIMcloud sent you, compared with what is published (repeatable)",
    )  # fmt: skip
    return parser


def settings_from(args: argparse.Namespace) -> LookupSettings:
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
    domains: list[str] = []
    for text in texts:
        try:
            domain = normalize_domain(text, allow_email=True)
        except DomainError as exc:
            raise UsageError(str(exc)) from None
        if domain not in domains:
            domains.append(domain)
    return domains


def run_check(args: argparse.Namespace) -> int:
    from wizard.checks import run_domains
    from wizard.lookup.lookup import Lookup
    from wizard.report import any_failed, to_json, to_text

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
    lookup = Lookup(settings_from(args))
    results = asyncio.run(run_domains(domains, lookup, options))
    sys.stdout.write(to_json(results) + "\n" if args.json else to_text(results))
    return EXIT_FAILED if any_failed(results) else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        if args.command == "check":
            return run_check(args)
    except UsageError as exc:
        print(f"{APP_ID}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    from wizard.ui.app import run_gui

    return run_gui(settings_from(args), [sys.argv[0], *argv])
