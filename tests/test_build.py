"""The PyInstaller bundle: build.spec builds the Linux onedir, and the built program runs.

Slow (about a minute to build): `-m "not slow"` leaves it out. The built `check` runs against the BIND lab,
and the built wizard is opened offscreen; the bundle's size and contents are checked too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import wizard
from tests.lab.lab import Lab

ROOT = Path(__file__).resolve().parent.parent
# The same budget as the Windows and macOS bundles in .github/workflows/build.yml.
BUDGET_MIB = 120
WIZARD_RUNS_FOR = 6.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux bundle; CI builds the others"),
]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build the onedir once for this module; yields its folder (dist/email-auth-wizard)."""
    if shutil.which("pyinstaller", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("pyinstaller is missing: install the build extra (pip install -e '.[test,build]')")
    out = tmp_path_factory.mktemp("build")
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", str(out / "dist"), "--workpath", str(out / "work"), str(ROOT / "build.spec"),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=out, capture_output=True, text=True, timeout=540, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    yield out / "dist" / wizard.APP_ID


def size_mib(folder: Path) -> float:
    """What `du` says: the files' sizes, symlinks not followed, in MiB."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20


def test_bundle_is_within_its_size_budget(bundle: Path) -> None:
    assert size_mib(bundle) < BUDGET_MIB, f"{size_mib(bundle):.0f} MiB"


def test_every_library_of_the_bundle_resolves_on_this_system(bundle: Path) -> None:
    """What the bundle leaves to the system (X11/xcb, GL, GLib, D-Bus...) is what the README's set-up installs."""
    internal = bundle / "_internal"
    env = os.environ | {"LD_LIBRARY_PATH": f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}"}
    missing = set()
    for library in internal.rglob("*.so*"):
        if library.is_file() and not library.is_symlink():
            done = subprocess.run(["ldd", str(library)], capture_output=True, text=True, env=env, check=False)
            missing |= {f"{library.name}: {line.strip()}" for line in done.stdout.splitlines() if "not found" in line}
    assert sorted(missing) == []


def test_bundle_leaves_out_unused_qt_and_test_tools(bundle: Path) -> None:
    internal = bundle / "_internal"
    dangling = [str(p.relative_to(internal)) for p in internal.rglob("*") if p.is_symlink() and not p.exists()]
    assert dangling == []
    names = {p.name for p in internal.rglob("*")}
    assert "libQt6Gui.so.6" in names and "libqoffscreen.so" in names and "libqxcb.so" in names
    unwanted = {"libQt6Quick.so.6", "libQt6Qml.so.6", "libQt6Pdf.so.6", "libQt6Network.so.6", "libqvnc.so"}
    assert not unwanted & names
    assert not (internal / "PySide6" / "Qt" / "translations").exists()
    assert not {"pytest", "hypothesis", "PIL"} & {p.name for p in internal.iterdir()}


def test_built_check_runs_against_the_lab(bundle: Path, dns_lab: Lab) -> None:
    exe = bundle / wizard.APP_ID
    args = [
        "check", "example.test", "--json", "--nameserver", f"127.0.0.1:{dns_lab.resolver_port}",
        "--dns-port", str(dns_lab.port), "--no-public-resolvers", "--timeout", "3",
    ]  # fmt: skip
    done = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    checks = report["domains"][0]["checks"]
    assert set(checks) >= {"dns", "spf", "dmarc", "mta_sts", "tls_rpt"}
    assert checks["dns"]["status"] == "pass", checks["dns"]
    assert "Traceback" not in done.stderr


def test_built_wizard_opens_offscreen(bundle: Path, tmp_path: Path) -> None:
    env = os.environ | {"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    process = subprocess.Popen(
        [str(bundle / wizard.APP_ID)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _, err = process.communicate(timeout=WIZARD_RUNS_FOR)
        pytest.fail(f"the wizard exited with {process.returncode} instead of staying open:\n{err[-3000:]}")
    except subprocess.TimeoutExpired:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "Traceback" not in err and "could not load the Qt platform plugin" not in err.lower(), err[-3000:]
