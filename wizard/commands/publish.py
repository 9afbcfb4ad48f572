"""`email-auth-wizard publish DOMAIN ...`: plan, apply and verify the records this tool owns, or undo them.

    publish DOMAIN --provider rfc2136 --server HOST[:PORT] --tsig-key NAME [--spf-include NAME]...
            [--dkim-record NAME=CONTENT]... [--dmarc RECORD] (--dry-run | --yes)
    publish DOMAIN --undo --provider rfc2136 --server HOST[:PORT] --tsig-key NAME (--dry-run | --yes)

The TSIG key (or a provider's token) comes from the OS keyring, never from the command line. Exit 0 on
success, 1 when the server refused or verification failed, 2 for bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wizard import APP_ID
from wizard.core.names import DomainError, normalize_domain

# add_parser runs for every command line (the `check` and `--version` ones too): what publishing needs is
# imported by the functions that publish.
if TYPE_CHECKING:
    from wizard.core.publish import Plan, Wanted

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
RFC2136 = "rfc2136"
VERIFY_TRIES = 5


class PublishUsageError(Exception):
    """Bad input for publish: one line on stderr, exit status 2."""


def add_parser(
    sub: Any, parser_class: type[argparse.ArgumentParser], add_lab_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    """The `publish` subcommand, with the lab options of `check` for reading and verifying."""
    from wizard.cli import _dkim_record

    publish = sub.add_parser(
        "publish", help="publish the records for a domain where a TSIG key or API token allows",
        description="Plan the records this tool owns (SPF, DKIM, DMARC), then apply and verify them, or undo "
        "the last publish. Credentials come from the OS keyring (see `secret set`).",
    )  # fmt: skip
    publish.add_argument("domain", metavar="DOMAIN")
    publish.add_argument(
        "--provider", required=True, metavar="NAME",
        help="rfc2136 (a name server taking TSIG-signed updates), or a dns-lexicon provider name",
    )  # fmt: skip
    publish.add_argument("--server", metavar="HOST[:PORT]", help="the primary name server (rfc2136)")
    publish.add_argument("--tsig-key", metavar="NAME", help="the TSIG key's name; its secret is read from the keyring")
    publish.add_argument(
        "--spf-include", action="append", default=[], metavar="NAME",
        help="another sender to authorize in SPF besides CIMcloud (repeatable)",
    )  # fmt: skip
    publish.add_argument(
        "--dkim-record", action="append", type=_dkim_record, default=[], metavar="NAME=CONTENT",
        help="the DKIM record CIMcloud sent you (repeatable)",
    )  # fmt: skip
    publish.add_argument("--dmarc", metavar="RECORD", help="the DMARC record to publish at _dmarc")
    publish.add_argument("--undo", action="store_true", help="restore the records saved before the last publish")
    mode = publish.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    mode.add_argument("--yes", action="store_true", help="apply the plan and verify it")
    add_lab_options(publish)


def wanted_records(args: argparse.Namespace, domain: str) -> list[Wanted]:
    """The records asked for: SPF always (CIMcloud's include plus --spf-include), DKIM and DMARC when given."""
    from wizard.core.dkim.paste import normalize
    from wizard.core.dmarc.record import is_dmarc_record
    from wizard.core.publish import Wanted, record_problem
    from wizard.core.records import Kind

    includes = []
    for text in args.spf_include:
        try:
            includes.append(normalize_domain(text.removeprefix("include:")))
        except DomainError as exc:
            raise PublishUsageError(f"--spf-include: {exc}") from None
    wanted = [Wanted(Kind.SPF, domain, " ".join(includes))]
    for name, content in args.dkim_record:
        dkim = normalize(name, content, domain)
        unusable = next((f.message for f in dkim.findings), "it holds no usable DKIM record")
        if dkim.ok and dkim.fqdn is not None:
            wanted.append(Wanted(Kind.DKIM, dkim.fqdn, dkim.content))
            unusable = record_problem(wanted[-1]) or ""
        if unusable:
            raise PublishUsageError(f"--dkim-record {name[:60]}: {unusable}")
    if args.dmarc is not None:
        record = " ".join(args.dmarc.split())
        if not is_dmarc_record(record):
            raise PublishUsageError(f"--dmarc: {record[:60]!r} is not a DMARC record (it starts with v=DMARC1)")
        wanted.append(Wanted(Kind.DMARC, f"_dmarc.{domain}", record))
        if (dmarc_problem := record_problem(wanted[-1])) is not None:
            raise PublishUsageError(f"--dmarc: {dmarc_problem}")
    return wanted


def run(args: argparse.Namespace) -> int:
    import asyncio

    from wizard.lookup.publish import PublishError

    try:
        domain = normalize_domain(args.domain, allow_email=True)
        wanted = [] if args.undo else wanted_records(args, domain)
        return asyncio.run(_run(args, domain, wanted))
    except PublishUsageError as exc:
        print(f"{APP_ID}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DomainError as exc:
        print(f"{APP_ID}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PublishError as exc:
        print(f"{APP_ID}: error: {exc}", file=sys.stderr)
        return EXIT_FAILED


async def _backend(args: argparse.Namespace, lookup: Any, domain: str) -> Any:
    """The backend for --provider, with its credential from the keyring; PublishUsageError when unusable."""
    from wizard.lookup.publish import Rfc2136, server_address
    from wizard.secrets import SecretsError, token, tsig_key

    provider = args.provider.lower()
    try:
        if provider != RFC2136:
            return await _lexicon_backend(args, lookup, domain, provider, token)
        if not args.server or not args.tsig_key:
            raise PublishUsageError("--provider rfc2136 needs --server HOST[:PORT] and --tsig-key NAME")
        host, port = await server_address(lookup, args.server)
        key = tsig_key(args.tsig_key)
    except SecretsError as exc:
        raise PublishUsageError(str(exc)) from None
    except ValueError as exc:
        raise PublishUsageError(f"--server: {exc}") from None
    return Rfc2136(host, port, key, timeout=5.0)


async def _lexicon_backend(args: argparse.Namespace, lookup: Any, domain: str, provider: str, token: Any) -> Any:
    from wizard.lookup.lexicon import lexicon_available, lexicon_backend, provider_names
    from wizard.lookup.publish import zone_of

    if not lexicon_available():
        raise PublishUsageError(
            f"--provider {provider} needs dns-lexicon, the optional extra: pip install 'email-auth-wizard[publish]'"
        )
    if provider not in provider_names():
        raise PublishUsageError(f"--provider {provider}: not rfc2136 nor a provider dns-lexicon offers")
    zone = await zone_of(lookup, domain)
    return lexicon_backend(provider, token(provider, zone), args.server)


async def _run(args: argparse.Namespace, domain: str, wanted: list[Wanted]) -> int:
    from wizard.cli import settings_from
    from wizard.core.publish import diff_lines
    from wizard.lookup import publish
    from wizard.lookup.lookup import Lookup

    lookup = Lookup(settings_from(args))
    backend = await _backend(args, lookup, domain)
    plan = publish.load_undo(domain) if args.undo else await publish.make(lookup, backend, domain, wanted)
    print("\n".join(diff_lines(plan, backend.label)))
    if args.dry_run or plan.empty:
        return EXIT_OK
    if not args.undo:
        saved = publish.save_undo(plan)
        print(f"Saved the records as they were to {saved} (undo: publish {domain} --undo ... --yes).")
    await publish.apply(backend, plan)
    print("Applied: the server accepted the whole update.")
    problems = await _verify(lookup, plan)
    if problems:
        print("Not verified yet:\n" + "\n".join(f"  {p}" for p in problems))
        return EXIT_FAILED
    if args.undo:
        publish.undo_path(domain).unlink(missing_ok=True)
    print("Verified: every authoritative server serves the planned records.")
    return EXIT_OK


async def _verify(lookup: Any, plan: Plan) -> list[str]:
    """Verification, asked again a few times: a provider's secondaries may take a moment to copy the change."""
    import asyncio

    from wizard.lookup import publish

    problems: list[str] = []
    for attempt in range(VERIFY_TRIES):
        problems = await publish.verify(lookup, plan)
        if not problems:
            break
        if attempt < VERIFY_TRIES - 1:
            await asyncio.sleep(1.0)
    return problems
