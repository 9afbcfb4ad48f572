"""Command-line subcommands beyond `check` (`message`, `reports`, `publish`, `secret`): each reads its input, runs and
prints one result, as text or as one JSON object. Exit status: 0 pass, 1 fail, 2 bad input."""

from __future__ import annotations

import sys

from wizard import APP_ID
from wizard.core.findings import finding_lines

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "JSON_VERSION",
    "InputError",
    "fail_input",
    "finding_lines",
    "read_input",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
JSON_VERSION = 1


class InputError(Exception):
    """A file that cannot be read at all: one line on stderr, exit status 2."""


def read_input(name: str, limit: int) -> bytes:
    """The bytes of a file ('-' is standard input), at most `limit` + 1 of them (so "too large" can be told)."""
    try:
        if name == "-":
            return sys.stdin.buffer.read(limit + 1)
        with open(name, "rb") as f:
            return f.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {name!r}: {exc.strerror or exc}") from None


def fail_input(message: str) -> int:
    print(f"{APP_ID}: error: {message}", file=sys.stderr)
    return EXIT_USAGE
