"""The build workflow (.github/workflows/build.yml) cannot run here: it parses, and it builds and runs what
build.spec and the package define."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

import wizard

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "build.yml"


def workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps() -> list[dict[str, Any]]:
    return list(workflow()["jobs"]["bundle"]["steps"])


def runs() -> str:
    return "\n".join(str(step.get("run", "")) for step in steps())


def test_builds_on_windows_and_macos() -> None:
    job = workflow()["jobs"]["bundle"]
    assert {entry["os"] for entry in job["strategy"]["matrix"]["include"]} == {"windows-latest", "macos-latest"}
    assert job["runs-on"] == "${{ matrix.os }}"


def test_builds_the_same_spec_with_the_build_extra() -> None:
    assert re.search(r"^pyinstaller .*\bbuild\.spec$", runs(), re.MULTILINE)
    assert (ROOT / "build.spec").is_file()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert 'pip install ".[build]"' in runs() and any(r.startswith("pyinstaller") for r in extras["build"])


def test_smoke_tests_run_the_entry_points_the_spec_builds() -> None:
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    assert 'name=f"{wizard.APP_ID}-cli"' in spec and "name=wizard.APP_ID" in spec and 'name=f"{NAME}.app"' in spec
    cli = {entry["os"]: entry["cli"] for entry in workflow()["jobs"]["bundle"]["strategy"]["matrix"]["include"]}
    assert cli["windows-latest"] == f"dist/{wizard.APP_ID}/{wizard.APP_ID}-cli.exe"
    assert cli["macos-latest"] == f"dist/{wizard.APP_NAME}.app/Contents/MacOS/{wizard.APP_ID}"
    assert '"${{ matrix.cli }}" check --help' in runs()
    assert 'python .ci/smoke_dns.py "${{ matrix.cli }}"' in runs() and (ROOT / ".ci" / "smoke_dns.py").is_file()
    gui = {entry["os"]: entry["gui"] for entry in workflow()["jobs"]["bundle"]["strategy"]["matrix"]["include"]}
    assert gui["windows-latest"] == f"dist/{wizard.APP_ID}/{wizard.APP_ID}.exe"
    assert gui["macos-latest"] == cli["macos-latest"]
    assert 'python .ci/smoke_gui.py "${{ matrix.gui }}"' in runs() and (ROOT / ".ci" / "smoke_gui.py").is_file()


def test_uploads_the_bundles() -> None:
    uploads = [step for step in steps() if str(step.get("uses", "")).startswith("actions/upload-artifact@")]
    assert len(uploads) == 1 and uploads[0]["with"]["path"] == "${{ matrix.onedir }}"
