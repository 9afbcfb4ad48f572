"""wizard.lookup keeps importlib.metadata (email, zipfile, csv: 15-30 ms) and idna out of start-up, and nothing
that uses them later notices: importlib.metadata loads on first use, and dnspython decides its idna feature, when
dns.name asks, as it would have."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import wizard.lookup.lookup  # all of dnspython the lookup layer imports up front
before = sorted(m for m in ("email.message", "zipfile", "csv") if m in sys.modules)
idna_before = sorted(m for m in ("idna", "dns.name") if m in sys.modules)
import dns.name  # asks dnspython's features whether idna is there, and imports idna if so
import dns._features
decided = dns._features.have("idna")
import importlib.metadata
from importlib.metadata import entry_points, version
dns._features._cache = {}  # a plain cache again, empty: dnspython asks importlib.metadata itself
print(json.dumps({
    "before": before,
    "idna_before": idna_before,
    "version": version("dnspython"),
    "entry_points": callable(entry_points),
    "decided": decided,
    "dns_name_idna_2008": dns.name.have_idna_2008,
    "dnspython_says": dns._features.have("idna"),
    "real_now": "email.message" in sys.modules or "zipfile" in sys.modules,
}))
"""


def test_importlib_metadata_loads_on_first_use_and_idna_is_decided_as_dnspython_would() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True)
    seen = json.loads(done.stdout)
    assert seen["before"] == [], "importlib.metadata's imports were loaded by the lookup layer"
    assert seen["version"] and seen["entry_points"], "the real module answers once used"
    assert seen["idna_before"] == [], "the lookup layer imported dns.name or idna before either was needed"
    assert seen["decided"] == seen["dnspython_says"] == seen["dns_name_idna_2008"]
    assert seen["real_now"]
