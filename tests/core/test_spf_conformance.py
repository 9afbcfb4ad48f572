"""The RFC 7208 conformance suite (openspf.org, 16 scenarios, 203 tests) against check_host().

Each scenario's zone data is served by SuiteZone, a small Source: SPF-type data also stands as TXT unless
the name has TXT data of its own (or "TXT: NONE"), and TIMEOUT makes a name time out for every type it
has no records of, as the suite's header and its reference driver describe.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from wizard.core.answers import Answer, Outcome, TxtRecord
from wizard.core.spf.evaluate import DEFAULT_EXPLANATION, check_host

# Vendored with its licence (tests/data/rfc7208/rfc7208-tests.LICENSE), so a bare clone runs it.
SUITE = Path(__file__).resolve().parents[1] / "data" / "rfc7208" / "rfc7208-tests.yml"
MAX_CNAME_HOPS = 8


def _octets(text: str) -> bytes:
    """YAML "\\xEF" escapes are code points; the suite means the octets."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _txt(value: Any) -> TxtRecord:
    strings = value if isinstance(value, list) else [value]
    return TxtRecord(tuple(_octets(str(s)) for s in strings))


class SuiteZone:
    """One scenario's zonedata behind the Source protocol."""

    def __init__(self, zonedata: dict[str, list[Any]]) -> None:
        self.names: dict[str, list[Any]] = {k.lower().rstrip("."): v for k, v in zonedata.items()}

    async def resolve(self, name: str, rdtype: str) -> Answer:
        current = name.lower().rstrip(".")
        for _ in range(MAX_CNAME_HOPS):
            entries = self.names.get(current)
            if entries is None:
                return Answer(name, rdtype, Outcome.NXDOMAIN, canonical=current)
            txt = self._records(entries, rdtype)
            if txt:
                return self._answer(name, rdtype, current, txt)
            cname = [e["CNAME"] for e in entries if isinstance(e, dict) and "CNAME" in e]
            if cname:
                current = str(cname[0]).lower().rstrip(".")
                continue
            outcome = Outcome.TIMEOUT if "TIMEOUT" in entries else Outcome.NODATA
            return Answer(name, rdtype, outcome, canonical=current)
        return Answer(name, rdtype, Outcome.ERROR, detail="CNAME loop")

    @staticmethod
    def _records(entries: list[Any], rdtype: str) -> list[Any]:
        typed = [e for e in entries if isinstance(e, dict)]
        if rdtype == "TXT":
            explicit = [e["TXT"] for e in typed if "TXT" in e]
            if not explicit:
                return [e["SPF"] for e in typed if "SPF" in e]
            return [v for v in explicit if v != "NONE"]
        return [e[rdtype] for e in typed if rdtype in e]

    @staticmethod
    def _answer(name: str, rdtype: str, canonical: str, records: list[Any]) -> Answer:
        if rdtype == "TXT":
            txt = tuple(_txt(r) for r in records)
            return Answer(name, rdtype, Outcome.OK, values=tuple(t.text for t in txt), txt=txt, canonical=canonical)
        if rdtype == "MX":
            values = tuple(f"{pref} {target or '.'}" for pref, target in records)
        else:
            values = tuple(str(r) for r in records)
        return Answer(name, rdtype, Outcome.OK, values=values, canonical=canonical)


@functools.cache
def _load() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(SUITE.read_text(encoding="utf-8")) if doc]


def _cases() -> list[Any]:
    if not SUITE.is_file():
        return [pytest.param(None, None, None, id="suite-missing")]
    cases = []
    for number, scenario in enumerate(_load(), start=1):
        for name, test in scenario["tests"].items():
            cases.append(pytest.param(number, name, test, id=f"{number}-{name}"))
    return cases


def _require_suite() -> None:
    if not SUITE.is_file():
        pytest.fail(f"The RFC 7208 conformance suite is missing: expected it at {SUITE.resolve()}")


def test_suite_is_complete() -> None:
    _require_suite()
    assert SUITE.with_suffix(".LICENSE").is_file(), "the suite's licence must stay beside it"
    scenarios = _load()
    assert len(scenarios) == 16
    assert sum(len(s["tests"]) for s in scenarios) == 203


@pytest.mark.parametrize(("scenario", "name", "test"), _cases())
def test_conformance(scenario: int | None, name: str | None, test: dict[str, Any] | None) -> None:
    _require_suite()
    assert scenario is not None and test is not None
    zone = SuiteZone(_load()[scenario - 1]["zonedata"])
    mailfrom = str(test["mailfrom"])
    domain = mailfrom.rpartition("@")[2] if mailfrom else str(test["helo"])
    evaluation = asyncio.run(check_host(zone, str(test["host"]), domain, mailfrom, str(test["helo"])))
    allowed = test["result"] if isinstance(test["result"], list) else [test["result"]]
    assert evaluation.result in allowed, f"{name}: {evaluation.result} ({evaluation.reason}); expected {allowed}"
    if "explanation" in test:
        expected = DEFAULT_EXPLANATION if test["explanation"] == "DEFAULT" else test["explanation"]
        assert evaluation.explanation == expected
