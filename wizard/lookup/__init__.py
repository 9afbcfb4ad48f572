"""The lookup layer: every DNS and HTTPS request the program makes goes through here.

Two things happen before any other dnspython module is imported (this package's __init__ runs first):

- dnspython's DoH support, when httpx2 is installed, makes `import dns.query` (which every DNS module here
  imports) load the whole HTTPS stack, about 0.2 s of start-up for every run. wizard.lookup.doh sends DoH
  through its own client and needs none of it, so it stays off; so does DoQ (never used here).
- dnspython decides its optional features by asking importlib.metadata for package versions, and imports
  importlib.metadata (15-30 ms: email, zipfile, csv...) whether or not a question is asked. A stand-in takes
  its place until first used, and the one feature every use of dnspython asks about (idna, when dns.name is
  imported) is answered from idna's own version string, when it is asked: a run over plain DNS may never
  import dns.name or idna (wizard.lookup.wire). With anything unexpected, dnspython asks importlib.metadata as
  it always does.
"""

from wizard.standins import stand_in

stand_in("importlib.metadata")

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


class _IdnaDecidedWhenAsked(dict[str, bool]):
    """dnspython's cache of decided features (`dns._features._cache`, read by `have` with `.get`), which decides
    idna the first time dnspython asks: importing idna now would cost 9 M instructions of start-up for a run
    that may never need it, and dns.name, the module that asks, imports idna right after."""

    def get(self, feature: str, default: bool | None = None) -> bool | None:  # type: ignore[override]
        if feature == "idna" and feature not in self:
            _decide_idna()  # (when it cannot, "idna" stays unset: dnspython then asks importlib.metadata)
        return super().get(feature, default)


dns._features._cache = _IdnaDecidedWhenAsked(dns._features._cache)
dns._features.force("doh", False)
dns._features.force("doq", False)  # DNS over QUIC: never used here (dns.asyncquery imports dns.quic, which asks)

from wizard.core.answers import Answer, Outcome, Source, TxtRecord  # noqa: E402
from wizard.lookup.settings import LookupSettings  # noqa: E402

__all__ = ["Answer", "LookupSettings", "Outcome", "Source", "TxtRecord"]
