"""An in-memory keyring backend for tests: what the OS keyring would hold, gone when the process ends.

Used in-process through ``keyring.set_keyring(MemoryKeyring())``, and by subprocesses through
``PYTHON_KEYRING_BACKEND=tests.memory_keyring.MemoryKeyring``. run_watched() runs such a subprocess and
records its command line as the process listing shows it.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import keyring.backend
import keyring.errors

ROOT = Path(__file__).resolve().parent.parent


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Secrets in a dict, keyed by (service, username)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@dataclass(frozen=True)
class Watched:
    """A finished process: its /proc/<pid>/cmdline as seen while it ran, its output and exit status."""

    cmdline: bytes
    out: bytes
    err: bytes
    returncode: int


def run_watched(argv: list[str], stdin: bytes, env: dict[str, str], *, wait: float = 0.3) -> Watched:
    """Run `argv` from the repository root, read its /proc/<pid>/cmdline while it waits for standard input
    (the secret), then feed `stdin` and collect its output."""
    process = subprocess.Popen(
        argv, cwd=ROOT, env={**os.environ, **env},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        time.sleep(wait)
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        out, err = process.communicate(stdin, timeout=60)
    finally:
        process.kill()
        process.wait()
    return Watched(cmdline, out, err, process.returncode)
