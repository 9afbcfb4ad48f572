"""The check runner: checks run concurrently, one may await another, and a crash stays a finding."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from wizard import checks
from wizard.checks import Check, CheckContext, CheckOptions, Crashed, Result, run_domain
from wizard.core.findings import Status, warning
from wizard.lookup.lookup import Lookup
from wizard.lookup.settings import LookupSettings
from wizard.report import to_json, to_text

Registry = Callable[..., None]


def _offline() -> Lookup:
    """A lookup these fake checks never ask (a configured resolver nobody listens on)."""
    return Lookup(LookupSettings(nameservers=(("127.0.0.1", 9),), public_resolvers=False))


@pytest.fixture
def register(monkeypatch: pytest.MonkeyPatch) -> Registry:
    fake: dict[str, Check] = {}
    monkeypatch.setattr(checks, "_REGISTRY", fake)
    monkeypatch.setattr(checks, "CHECK_MODULES", ())

    def add(**fns: Callable[[CheckContext], Awaitable[Any]]) -> None:
        for name, fn in fns.items():
            fake[name] = Check(name, fn, to_json=lambda r: {"saw": getattr(r, "saw", "")})

    return add


@dataclass(frozen=True)
class Saw(Result):
    saw: str = ""


def test_a_crashing_check_becomes_a_finding_and_others_still_report(register: Registry) -> None:
    async def boom(ctx: CheckContext) -> Result:
        raise ZeroDivisionError("division by zero")

    async def fine(ctx: CheckContext) -> Result:
        return Result((warning("fine.note", "noted"),))

    register(boom=boom, fine=fine)
    results = asyncio.run(run_domain("example.test", _offline(), CheckOptions()))
    assert isinstance(results["boom"], Crashed)
    assert results["boom"].findings[0].code == "check.crashed"
    assert "ZeroDivisionError" in results["boom"].findings[0].message
    assert isinstance(results["fine"], Result) and results["fine"].status is Status.WARN
    printed = to_json([("example.test", results)])
    assert '"check.crashed"' in printed and '"saw"' in printed  # the crash prints without the check's own fields
    assert "FAIL  boom" in to_text([("example.test", results)])


def test_a_check_awaits_another_which_runs_once(register: Registry) -> None:
    calls: list[str] = []

    async def first(ctx: CheckContext) -> Result:
        calls.append("first")
        await asyncio.sleep(0.01)
        return Result()

    async def second(ctx: CheckContext) -> Result:
        other = await ctx.result("first")
        assert isinstance(other, Result)
        return Saw(saw=str(other.status))

    register(first=first, second=second)
    only_second = asyncio.run(run_domain("example.test", _offline(), CheckOptions(only=("second",))))
    assert list(only_second) == ["second"]
    assert isinstance(only_second["second"], Saw) and only_second["second"].saw == "pass"
    assert calls == ["first"]
