"""pytest fixtures of the DNS lab; enabled by ``pytest_plugins = ["tests.lab.plugin"]`` in tests/conftest.py.

- ``lab_zone_dir``: the zone folder (tests/zones). Override it in a test module or conftest to serve other zones::

      @pytest.fixture
      def lab_zone_dir() -> Path:
          return Path(__file__).parent / "my_zones"

- ``dns_lab``: a fresh :class:`tests.lab.Lab` per test (its own ports, processes, zone copies and cache),
  stopped after the test. Tests using it get the ``lab`` marker, so ``-m "not lab"`` leaves them out.
- ``powerdns``: a PowerDNS server with its HTTP API (:mod:`tests.lab.pdns`), a stand-in for a hosted provider;
  also marked ``lab``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from .lab import Lab
from .pdns import PowerDns

ZONES = Path(__file__).resolve().parent.parent / "zones"


def copy_zones(folder: Path, names: Iterable[str], source: Path = ZONES) -> None:
    """Put the zones `names` (``<name>.zone`` in `source`, tests/zones by default: the vendors' SPF stand-ins
    and the shared test zones) into the zone folder `folder`, made if it is missing."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(source / f"{name}.zone", folder)


@pytest.fixture
def lab_zone_dir() -> Path:
    """The folder whose ``<zone>.zone`` files the lab serves (tests/zones)."""
    return ZONES


@pytest.fixture
def dns_lab(lab_zone_dir: Path, tmp_path: Path) -> Iterator[Lab]:
    """A running lab for one test, serving ``lab_zone_dir``; its files are under ``tmp_path/"lab"``."""
    lab = Lab.start(lab_zone_dir, tmp_path / "lab")
    try:
        yield lab
    finally:
        lab.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses ``dns_lab`` or ``powerdns`` with ``lab`` (before ``-m`` deselects)."""
    for item in items:
        if {"dns_lab", "powerdns"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.lab)


@pytest.fixture
def powerdns(tmp_path: Path) -> Iterator[PowerDns]:
    """A running PowerDNS server with its HTTP API (see :mod:`tests.lab.pdns`), stopped after the test."""
    server = PowerDns(tmp_path / "pdns").start()
    try:
        yield server
    finally:
        server.stop()
