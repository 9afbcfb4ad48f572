"""One-time work of a run, done in a worker thread while the run's first questions are in flight.

Loading the Public Suffix List (DMARC's organizational domain: about 20 ms of CPU), the key parser
(cryptography, for DKIM: 20-40 ms) and the MTA-STS policy fetch (h11 and truststore: about 20 ms) happens once
per process. Done on the event loop, each blocked it just as the first answers came in, and every question
that waited on those answers waited with it: most of a one-domain check's time beyond its round trips.

Whoever checks domains in bulk plans the work (`Plan`): it starts a little after the run, once the first
questions are out, or as soon as a check needs a piece, whichever comes first. A check that has its answer and
needs a piece awaits `ready(...)` (or gets the answer through `after`). `ready` returns at once when nothing was
planned or started (a page's single check, a test): the piece is then loaded in line on first use. A piece that
fails to load here is loaded, and its error reported, in line.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import sys
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from wizard.lookup.threads import running_loop, start_paused

T = TypeVar("T")

PSL = "psl"  # the Public Suffix List, parsed
KEYS = "keys"  # cryptography's key loading
HTTPS = "https"  # the MTA-STS policy fetch (wizard.lookup.https)

_HTTPS_MODULES = ("wizard.lookup.https",)  # h11 and truststore, the policy fetch's
_KEY_MODULES = (
    "cryptography.exceptions",
    "cryptography.hazmat.primitives.serialization",
    "cryptography.hazmat.primitives.asymmetric.rsa",
    "cryptography.hazmat.primitives.asymmetric.ed25519",
)


def _load_psl() -> None:
    from wizard.core.names import load_suffix_list

    load_suffix_list()  # read once per process; each top-level domain's rules are parsed when first asked


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


# How soon a thread importing a check module hands the interpreter back to the event loop when answers came in:
# with Python's 5 ms, the second wave's questions left up to 10 ms apart in scenario A.
IMPORT_SWITCH_INTERVAL = 0.001


def module(name: str) -> str:
    """The piece that imports module `name` (the check modules, loaded this way by a process's first domains)."""
    piece = f"module:{name}"
    _WORK.setdefault(piece, partial(_import_yielding, name))
    return piece


def _import_yielding(name: str) -> None:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, IMPORT_SWITCH_INTERVAL))
    try:
        importlib.import_module(name)
    finally:
        sys.setswitchinterval(interval)


def loading(*pieces: str) -> bool:
    """Whether any of the pieces is started here and not loaded yet."""
    return any(piece in _started and not _started[piece].done() for piece in pieces)


_started: dict[str, concurrent.futures.Future[None]] = {}
_planned: Counter[str] = Counter()  # pieces a run now going on will need (how many runs plan each)
_lock = threading.Lock()


class Plan:
    """The pieces a bulk run will need, loaded in the background `after` seconds into it, or as soon as a check
    awaits one of them in `ready`, whichever comes first; `cancel` when the run ends. Started at once, the
    loading took the interpreter from the run's first questions (0.25 s later on a busy machine); waiting the
    whole delay, a check whose answer came in first loaded its piece on the event loop instead (scenario A:
    the HTTPS stack, 0.1 s, delayed every question of the second wave)."""

    def __init__(self, pieces: list[str], after: float) -> None:
        self.pieces = pieces
        self._timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(after, start, *pieces)
        _planned.update(pieces)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            _planned.subtract(self.pieces)


def start(*pieces: str) -> None:
    """Load the pieces not yet started, in this order, in one daemon thread (so a run that ends first never
    waits for it at exit). Each piece is loaded at most once per process. Garbage collection is paused while
    the thread runs, as for every worker thread (wizard.lookup.threads: a collection in this thread could free
    a Qt object off the GUI thread, and the wizard may check a domain before its pages, which import the check
    modules, are built)."""
    todo = _claim(pieces)
    if todo:
        start_paused(partial(_load, todo, running_loop()), "wizard-prepare")


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


# Event loop rounds the loading thread lets the loop run between two pieces (see _catch_up).
CATCH_UP_ROUNDS = 10
CATCH_UP_LIMIT = 0.05  # seconds it waits for them at most


def _catch_up(loop: asyncio.AbstractEventLoop | None) -> None:
    """Wait until the event loop has run CATCH_UP_ROUNDS rounds (at once when it is idle): the loop and this
    thread share one interpreter, so while both have work each gets half of it, and the answers that just came
    in (the next wave of questions) would wait for the imports."""
    if loop is None or not loop.is_running():
        return
    done = threading.Event()

    def round_(left: int) -> None:
        if left <= 0:
            done.set()
        else:
            loop.call_soon(round_, left - 1)

    try:
        loop.call_soon_threadsafe(round_, CATCH_UP_ROUNDS)
    except RuntimeError:  # closed meanwhile
        return
    done.wait(CATCH_UP_LIMIT)


def _load(pieces: list[str], loop: asyncio.AbstractEventLoop | None = None) -> None:
    for index, piece in enumerate(pieces):
        if index:
            _catch_up(loop)
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
    """Wait until `piece` is loaded, when it is being loaded in the background or a run plans it (its loading
    then starts now, that piece first); at once otherwise."""
    if piece not in _started and _planned[piece] > 0:
        start(piece, *(other for other, runs in _planned.items() if runs > 0))
    future = _started.get(piece)
    if future is None or future.done():  # asked for every DMARC answer of a batch: no future of its own then
        return
    with contextlib.suppress(Exception):
        await asyncio.shield(asyncio.wrap_future(future))


async def after(piece: str, answer: Awaitable[T]) -> T:
    """The answer once `piece` is ready too: the question leaves at once, and the code that reads the answer and
    needs the piece finds it loaded (off the event loop) instead of loading it on the loop."""
    result = await answer
    await ready(piece)
    return result
