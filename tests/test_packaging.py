"""What `pip install .` ships: every package of the source tree, and the resources folder inside it."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_for_installation() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "wizard").rglob("__init__.py")}
    assert set(config["packages"]) == on_disk | {"wizard._resources"}
    assert config["package-dir"] == {"wizard._resources": "resources"}


def test_every_resource_file_matches_a_package_data_pattern() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = config["package-data"]["wizard._resources"]
    files = [p.relative_to(ROOT / "resources") for p in (ROOT / "resources").rglob("*") if p.is_file()]
    assert files
    unmatched = [str(f) for f in files if not any(f.match(pattern) for pattern in patterns)]
    assert unmatched == []
