"""Stand-ins for modules that cost start-up and are seldom used: the real module is imported on first use.

A stand-in is a module object put in `sys.modules` under the real module's name before anything imports it.
Whoever imports the name meanwhile gets the stand-in; the first attribute it lacks imports the real module,
which then takes its place in `sys.modules` (and on its parent package), and the stand-in takes the real one's
attributes, so a module holding the stand-in keeps working at the cost of one lookup. (importlib.util's
LazyLoader cannot serve: Python 3.11's import statement reads a loaded module's `__spec__`, which loads it;
a stand-in's `__spec__` is None.)

Each is a measured cost of `check`'s start-up (callgrind, instructions before the first DNS query):
importlib.metadata 15-30 ms (email, zipfile, csv; dnspython imports it to ask package versions); logging and
inspect together 34 M of 277 M (asyncio, concurrent.futures and dataclasses import them; a check that logs
nothing and inspects nothing never loads them).
"""

from __future__ import annotations

import _thread
import importlib
import sys
import types
from functools import partial
from typing import Any

_LOCK = _thread.RLock()


def stand_in(name: str) -> types.ModuleType | None:
    """Put a stand-in for module `name` in place, unless the module is imported already. Returns the stand-in
    (an attribute set on it is answered without loading the real module), or None."""
    if name in sys.modules:
        return None
    module = types.ModuleType(name, f"A stand-in for {name}, imported on first use (wizard.standins).")
    module.__stand_in__ = True  # type: ignore[attr-defined]  # (see is_stand_in)

    def attribute(attr: str) -> Any:
        if attr != "__path__" and attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)  # (what pickling and the like probe: asked of the stand-in, not the module)
        return getattr(load(name, module), attr)  # (__path__: a submodule is being imported)

    module.__getattr__ = attribute  # type: ignore[method-assign]
    sys.modules[name] = module
    _set_on_parent(name, module)
    return module


def is_stand_in(module: object) -> bool:
    """Whether `module` (a value of sys.modules) is a stand-in (asked of its own attributes only: a real
    module's __getattr__ is never called)."""
    return isinstance(module, types.ModuleType) and module.__dict__.get("__stand_in__") is True


def load(name: str, module: types.ModuleType) -> types.ModuleType:
    """The real module `name` (imported now if `module`, its stand-in, is still in its place)."""
    with _LOCK:
        if sys.modules.get(name) is module:
            del sys.modules[name]
            try:
                real = importlib.import_module(name)
            except BaseException:
                sys.modules.setdefault(name, module)
                raise
            module.__dict__.update({k: v for k, v in vars(real).items() if not k.startswith("__")})
            module.__stand_in__ = False  # type: ignore[attr-defined]  # (it answers for the real one now)
            _set_on_parent(name, real)
        return sys.modules[name]


def _set_on_parent(name: str, module: types.ModuleType) -> None:
    parent, _, child = name.rpartition(".")
    if parent and parent in sys.modules:
        setattr(sys.modules[parent], child, module)


class LazyLogger:
    """What the logging stand-in's getLogger returns: the real logger of that name, looked up when first used
    (asyncio and concurrent.futures each get theirs when they are imported).

    While logging is not loaded, nothing can have configured it, so the levels are its defaults (WARNING and
    above): a debug or info message is dropped then, as the real logger would drop it, without loading logging
    (every new event loop logs "Using selector" at debug level)."""

    def __init__(self, logging: types.ModuleType, name: str | None = None) -> None:
        self._logging = logging
        self._name = name
        self._logger: Any = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return getattr(self._real(), attr)

    def _real(self) -> Any:
        if self._logger is None:
            self._logger = load("logging", self._logging).getLogger(self._name)
        return self._logger

    def _unconfigured(self) -> bool:
        return sys.modules.get("logging") is self._logging

    def isEnabledFor(self, level: int) -> bool:  # (logging's name)
        return level >= LOG_LEVELS["WARNING"] if self._unconfigured() else bool(self._real().isEnabledFor(level))

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        if not self._unconfigured():
            self._real().debug(msg, *args, **_one_frame_up(kwargs))

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        if not self._unconfigured():
            self._real().info(msg, *args, **_one_frame_up(kwargs))


def _one_frame_up(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The caller's keyword arguments for a logging call made one frame further down (the record names the
    caller's file and line, not this module's)."""
    return {**kwargs, "stacklevel": kwargs.get("stacklevel", 1) + 1}


def stand_in_for_logging() -> None:
    """A stand-in for logging whose getLogger (a LazyLogger) and level numbers answer without it (asyncio.futures
    reads logging.DEBUG when it is imported)."""
    module = stand_in("logging")
    if module is not None:
        module.__dict__.update(LOG_LEVELS, getLogger=partial(LazyLogger, module))


LOG_LEVELS = {"CRITICAL": 50, "FATAL": 50, "ERROR": 40, "WARNING": 30, "WARN": 30, "INFO": 20, "DEBUG": 10, "NOTSET": 0}
"""logging's level numbers (its documented values)."""
