"""One-time work of a run, done in a worker thread while the run's first questions are in flight.

Loading the Public Suffix List (DMARC's organizational domain: about 20 ms of CPU), the key parser
(cryptography, for DKIM: 20-40 ms) and the HTTPS stack (httpx2 and what its first connection imports: httpcore,
anyio, h11/h2, for the MTA-STS policy: 150-230 ms) happens once per process. Done on the event loop, each
blocked it just as the first answers came in, and every question that waited on those answers waited with it:
most of a one-domain check's time beyond its round trips.

Whoever checks domains in bulk starts the work (`start`); a check awaits `ready(...)` before it needs one piece.
`ready` returns at once when nothing was started (a page's single check, a test): the piece is then loaded in
line on first use, as before. A piece that fails to load here is loaded, and its error reported, in line.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import threading
from collections.abc import Callable

PSL = "psl"  # the Public Suffix List, parsed
KEYS = "keys"  # cryptography's key loading
HTTPS = "https"  # the HTTP client and what its first connection imports

_HTTPS_MODULES = (
    "wizard.lookup.https",
    "httpcore2",
    "httpcore2._backends.anyio",
    "anyio._backends._asyncio",
    "anyio.streams.tls",
    "h11",
)
_KEY_MODULES = (
    "cryptography.exceptions",
    "cryptography.hazmat.primitives.serialization",
    "cryptography.hazmat.primitives.asymmetric.rsa",
    "cryptography.hazmat.primitives.asymmetric.ed25519",
)


def _load_psl() -> None:
    from wizard.core.names import organizational_domain

    organizational_domain("example.com")  # parses the bundled list once per process


def _importer(modules: tuple[str, ...]) -> Callable[[], None]:
    def load() -> None:
        for module in modules:
            importlib.import_module(module)

    return load


_WORK: dict[str, Callable[[], None]] = {
    PSL: _load_psl,
    KEYS: _importer(_KEY_MODULES),
    HTTPS: _importer(_HTTPS_MODULES),
}
_started: dict[str, concurrent.futures.Future[None]] = {}
_lock = threading.Lock()


def start(*pieces: str) -> None:
    """Load the pieces not yet started, in this order, in one daemon thread (so a run that ends first never
    waits for it at exit). Each piece is loaded at most once per process."""
    todo = _claim(pieces)
    if todo:
        threading.Thread(target=_load, args=(todo,), name="wizard-prepare", daemon=True).start()


def load_here(*pieces: str) -> None:
    """Load the pieces not yet started, in this order, in the calling thread: for a caller with a background
    thread of its own that it joins (the wizard's warm-up). Checks awaiting `ready` wait for them meanwhile."""
    _load(_claim(pieces))


def _claim(pieces: tuple[str, ...]) -> list[str]:
    """The pieces nobody has started yet, now marked as started by the caller."""
    with _lock:
        todo = [piece for piece in dict.fromkeys(pieces) if piece not in _started]
        for piece in todo:
            _started[piece] = concurrent.futures.Future()
    return todo


def _load(pieces: list[str]) -> None:
    for piece in pieces:
        future = _started[piece]
        if not future.set_running_or_notify_cancel():
            continue
        try:
            _WORK[piece]()
        except BaseException as exc:  # reported where the piece is used, when it is loaded there again
            future.set_exception(exc)
        else:
            future.set_result(None)


async def ready(piece: str) -> None:
    """Wait until `piece` is loaded, when it is being loaded in the background; at once otherwise."""
    future = _started.get(piece)
    if future is None:
        return
    with contextlib.suppress(Exception):
        await asyncio.shield(asyncio.wrap_future(future))
