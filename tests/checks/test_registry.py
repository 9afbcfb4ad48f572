"""The check runner: checks run concurrently, one may await another, and a crash stays a finding."""

import asyncio

import pytest

from wizard import checks
from wizard.checks import CheckContext, CheckOptions, run_domain
from wizard.core.findings import CheckResult, Status, warning


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, checks.CheckFn]:
    fake: dict[str, checks.CheckFn] = {}
    monkeypatch.setattr(checks, "_REGISTRY", fake)
    monkeypatch.setattr(checks, "CHECK_MODULES", ())
    return fake


def test_a_crashing_check_becomes_a_finding_and_others_still_report(registry: dict[str, checks.CheckFn]) -> None:
    async def boom(ctx: CheckContext) -> CheckResult:
        raise ZeroDivisionError("division by zero")

    async def fine(ctx: CheckContext) -> CheckResult:
        return CheckResult("fine", [warning("fine.note", "noted")])

    registry.update(boom=boom, fine=fine)
    results = asyncio.run(run_domain("example.test", None, CheckOptions()))  # type: ignore[arg-type]
    assert isinstance(results["boom"], CheckResult)
    assert results["boom"].findings[0].code == "check.crashed"
    assert "ZeroDivisionError" in results["boom"].findings[0].message
    assert isinstance(results["fine"], CheckResult) and results["fine"].status is Status.WARN


def test_a_check_awaits_another_which_runs_once(registry: dict[str, checks.CheckFn]) -> None:
    calls: list[str] = []

    async def first(ctx: CheckContext) -> CheckResult:
        calls.append("first")
        await asyncio.sleep(0.01)
        return CheckResult("first")

    async def second(ctx: CheckContext) -> CheckResult:
        other = await ctx.result("first")
        assert isinstance(other, CheckResult)
        return CheckResult("second", details={"saw": str(other.status)})

    registry.update(first=first, second=second)
    only_second = asyncio.run(run_domain("example.test", None, CheckOptions(only=("second",))))  # type: ignore[arg-type]
    assert list(only_second) == ["second"]
    assert only_second["second"].to_json()["saw"] == "pass"  # type: ignore[union-attr]
    assert calls == ["first"]
