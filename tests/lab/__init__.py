"""A real DNS test lab: BIND 9 on loopback (two authoritative servers, a caching resolver, a black hole).

It serves every ``<zone>.zone`` file of a folder, under any top-level domain: the customer scenarios
(``example.test``) and stand-ins for the vendors' SPF zones (``mycimcloud.com``, ``google.com``...), so an
``include:_spf.mycimcloud.com`` resolves as on the internet while no query leaves the machine. The lab
generates each TLD zone in use (``test.``, ``com.``...); names in any other TLD are NXDOMAIN at once.

    from tests.lab import Lab

    with Lab.start(Path("tests/zones"), tmp_path) as lab:
        lab.update("example.test", replace=[("@", 300, "TXT", "v=spf1 -all")], servers=(0,))
        settings = lab.settings()

In tests, use the ``dns_lab`` fixture of :mod:`tests.lab.plugin` instead. See :mod:`tests.lab.lab`.
"""

from __future__ import annotations

from .bind import LabError, LabStartError, NamedServer
from .blackhole import BlackHole
from .lab import Deletion, Lab, LabUpdateError, Record
from .zones import STANDARD_HEADER, ZoneFolderError

__all__ = [
    "STANDARD_HEADER",
    "BlackHole",
    "Deletion",
    "Lab",
    "LabError",
    "LabStartError",
    "LabUpdateError",
    "NamedServer",
    "Record",
    "ZoneFolderError",
]
