"""Differential tests: the core against reference implementations (pyspf, dkimpy, checkdmarc), served by the lab.

Each module serves its own zones from one lab for the whole module (:func:`module_lab`), so hundreds of
cases cost one start-up; every name a case asks about is its own, so the resolver's cache never mixes
cases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import dns.resolver
import pytest

from tests.lab import Lab

#: Zone name -> zone file text (the lab adds the standard header).
Zones = Mapping[str, str]


@pytest.fixture(scope="module")
def module_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Zones], Lab]]:
    """Starts one lab serving the given zones, once per module; stopped when the module is done."""
    started: list[Lab] = []

    def start(zones: Zones) -> Lab:
        folder = tmp_path_factory.mktemp("diff-zones")
        for name, text in zones.items():
            (folder / f"{name}.zone").write_text(text, encoding="utf-8")
        lab = Lab.start(folder, tmp_path_factory.mktemp("diff-lab"))
        started.append(lab)
        return lab

    yield start
    for lab in started:
        lab.stop()


def lab_resolver(lab: Lab, timeout: float = 3.0) -> dns.resolver.Resolver:
    """A dnspython resolver that asks only the lab's resolver (for the reference implementations)."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [lab.resolver.address]
    resolver.port = lab.resolver_port
    resolver.lifetime = timeout
    resolver.timeout = timeout
    return resolver
