"""`email-auth-wizard secret set KEY` / `secret delete KEY`: credentials into and out of the OS keyring.

The secret is read from standard input or asked for without echo, never taken from the command line
(where the process listing would show it).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any, TextIO

from wizard import APP_ID

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """The `secret` subcommand and its `set`/`delete` actions."""
    secret = sub.add_parser(
        "secret", help="store or remove a TSIG key or provider token in the OS keyring",
        description="Store or remove a credential in the OS keyring (service email-auth-wizard).",
    )  # fmt: skip
    actions = secret.add_subparsers(dest="secret_action", parser_class=parser_class, required=True)
    store = actions.add_parser(
        "set", help="store a secret, read from standard input or asked for without echo",
        description="KEY is tsig:<keyname> (value <algorithm>:<base64 secret>, or a BIND key statement) "
        "or <provider>:<zone> (an API token).",
    )  # fmt: skip
    store.add_argument("key", metavar="KEY")
    remove = actions.add_parser("delete", help="remove a secret")
    remove.add_argument("key", metavar="KEY")


def read_secret(key: str, stdin: TextIO, prompt: Callable[[str], str] = getpass.getpass) -> str:
    """The secret typed without echo when standard input is a terminal, else all of standard input."""
    if stdin.isatty():
        return prompt(f"Secret for {key} (not shown): ")
    return stdin.read(1_000_000)


def run(args: argparse.Namespace) -> int:
    from wizard.secrets import InvalidSecret, SecretsError, check_key, delete_secret, set_secret

    try:
        key = check_key(args.key)
        if args.secret_action == "set":
            set_secret(key, read_secret(key, sys.stdin))
            print(f"Stored {key} in the keyring.")
            return EXIT_OK
        if delete_secret(key):
            print(f"Removed {key} from the keyring.")
            return EXIT_OK
        print(f"{APP_ID}: error: there is no {key} in the keyring", file=sys.stderr)
        return EXIT_FAILED
    except SecretsError as exc:
        print(f"{APP_ID}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, InvalidSecret) else EXIT_FAILED
