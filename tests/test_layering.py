"""The architecture is a checked contract: Qt only in wizard/ui, no I/O in wizard/core."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "wizard"
QT = ("PySide6", "shiboken6", "qasync")
# What each layer may not import (prefix match on the dotted module name).
FORBIDDEN = {
    "core": (*QT, "wizard.lookup", "wizard.checks", "wizard.ui", "wizard.cli", "socket", "ssl", "urllib.request",
             "http.client", "dns.resolver", "dns.asyncresolver", "dns.query", "dns.asyncquery", "keyring"),
    "lookup": (*QT, "wizard.checks", "wizard.ui", "wizard.cli"),
    "checks": (*QT, "wizard.ui", "wizard.cli"),
}  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def layer_files() -> list[tuple[str, Path]]:
    return [(layer, p) for layer in FORBIDDEN for p in sorted((PACKAGE / layer).rglob("*.py"))]


@pytest.mark.parametrize(("layer", "path"), layer_files(), ids=str)
def test_layer_imports_stay_in_bounds(layer: str, path: Path) -> None:
    bad = sorted(m for m in imported_modules(path) for f in FORBIDDEN[layer] if m == f or m.startswith(f + "."))
    assert not bad, f"{path.relative_to(PACKAGE.parent)} ({layer}) imports {bad}"


def test_qt_is_imported_only_under_ui() -> None:
    offenders = [
        str(p.relative_to(PACKAGE.parent))
        for p in PACKAGE.rglob("*.py")
        if "ui" not in p.relative_to(PACKAGE).parts[:1] and any(m.split(".")[0] in QT for m in imported_modules(p))
    ]
    assert offenders == []


def test_headless_check_command_does_not_load_qt() -> None:
    code = (
        "import sys; from wizard import cli, checks, report; checks.all_checks(); "
        "cli.build_parser().parse_args(['check', 'example.com']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
