"""The architecture is a checked contract: the import-linter contracts in pyproject.toml, and Qt-free `check`.

The contracts (`lint-imports`, also run by tests/run-all.sh) cover the layers, Qt only under wizard.ui, the
core's ban on Qt, outer layers and I/O packages, and the UI's pure decision modules. import-linter can only
forbid an external package as a whole, so the one stdlib submodule the core may not use while it uses its
parent (urllib.request beside urllib.parse) is checked here.
"""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wizard"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
QT = ("PySide6", "shiboken6", "qasync")
#: Submodules the core may not import whose parent package it does import (so no contract can name them).
CORE_FORBIDDEN_SUBMODULES = ("urllib.request",)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["importlinter"]["contracts"])


def test_the_import_contracts_hold() -> None:
    run = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in run.stdout


def test_the_contracts_forbid_qt_and_outer_layers_to_each_inner_layer() -> None:
    forbidden = {
        str(source): set(contract["forbidden_modules"])
        for contract in contracts()
        if contract["type"] == "forbidden"
        for source in contract["source_modules"]
    }
    assert {"wizard.core", "wizard.lookup", "wizard.checks"} <= forbidden.keys()
    assert {*QT, "wizard.lookup", "wizard.checks", "wizard.ui", "socket", "ssl", "dns", "keyring"} <= forbidden[
        "wizard.core"
    ]
    assert {*QT, "wizard.checks", "wizard.ui", "wizard.cli"} <= forbidden["wizard.lookup"]
    assert {*QT, "wizard.ui", "wizard.cli"} <= forbidden["wizard.checks"]
    pure_ui = [source for source in forbidden if source.startswith("wizard.ui.")]
    assert pure_ui, "the UI's pure decision modules are named in one contract"
    assert all(set(QT) <= forbidden[source] for source in pure_ui)


def test_the_core_imports_no_url_opener() -> None:
    bad = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted((PACKAGE / "core").rglob("*.py"))
        for module in imported_modules(path)
        for banned in CORE_FORBIDDEN_SUBMODULES
        if module == banned or module.startswith(banned + ".")
    ]
    assert bad == []


def test_headless_check_command_does_not_load_qt() -> None:
    code = (
        "import sys; from wizard import cli, checks, report; checks.all_checks(); "
        "cli.build_parser().parse_args(['check', 'example.com']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
