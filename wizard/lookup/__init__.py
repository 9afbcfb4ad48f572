"""The lookup layer: every DNS and HTTPS request the program makes goes through here.

Two things happen before any other dnspython module is imported (this package's __init__ runs first):

- dnspython's DoH support, when httpx2 is installed, makes `import dns.query` (which every DNS module here
  imports) load the whole HTTPS stack, about 0.2 s of start-up for every run. wizard.lookup.doh sends DoH
  through its own client and needs none of it, so it stays off; so does DoQ (never used here).
- dnspython decides its optional features by asking importlib.metadata for package versions, and imports
  importlib.metadata (15-30 ms: email, zipfile, csv...) whether or not a question is asked. A stand-in takes
  its place until first used, and the one feature every run asks about (idna, by dns.name) is answered from
  idna's own version string; with anything unexpected, dnspython asks importlib.metadata as it always does.
"""

import importlib
import sys
import types
from typing import Any


def _load_metadata() -> types.ModuleType:
    """Replace the stand-in below by the real importlib.metadata, imported now, and return it."""
    del sys.modules["importlib.metadata"]
    real = importlib.import_module("importlib.metadata")
    importlib.metadata = real
    return real


def _stand_in_for_metadata() -> None:
    """Put a stand-in for importlib.metadata in place, whose first attribute use imports the real module
    (importlib.util.LazyLoader cannot serve: Python 3.11's import statement reads the module's __spec__, which
    loads it). Whoever holds the stand-in keeps working: each of its attributes comes from the real module."""
    if "importlib.metadata" in sys.modules:
        return
    stand_in = types.ModuleType("importlib.metadata", "Imported on first use (wizard.lookup).")

    def attribute(name: str) -> Any:
        real = sys.modules.get("importlib.metadata")
        return getattr(real if real is not None and real is not stand_in else _load_metadata(), name)

    stand_in.__getattr__ = attribute  # type: ignore[method-assign]
    sys.modules["importlib.metadata"] = stand_in
    importlib.metadata = stand_in


_stand_in_for_metadata()

import dns._features  # noqa: E402 -- after the stand-in above


def _decide_idna() -> None:
    """Tell dnspython whether idna is recent enough for it, from idna's version (dnspython's own rule)."""
    try:
        import idna.package_data

        (requirement,) = dns._features._requirements["idna"]
        package, minimum = requirement.split(">=")
        if package != "idna":
            return
        version = dns._features._tuple_from_text(idna.package_data.__version__)
        dns._features.force("idna", version >= dns._features._tuple_from_text(minimum))
    except (ImportError, AttributeError, KeyError, ValueError):
        return  # dnspython finds out itself


dns._features.force("doh", False)
dns._features.force("doq", False)  # DNS over QUIC: never used here (dns.asyncquery imports dns.quic, which asks)
_decide_idna()

from wizard.core.answers import Answer, Outcome, Source, TxtRecord  # noqa: E402
from wizard.lookup.settings import LookupSettings  # noqa: E402

__all__ = ["Answer", "LookupSettings", "Outcome", "Source", "TxtRecord"]
