"""Bundled data files (resources/): found the same way from a source checkout and from a PyInstaller bundle."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wizard.core.provider import Providers
    from wizard.core.spf.services import SpfService

SERVICES_FILE = "spf_services.json"
PROVIDERS_FILE = "providers.json"


def resources_dir() -> Path:
    """resources/ beside the package (source checkout), inside it (installed), or in a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    here = Path(__file__).resolve().parent
    checkout = here.parent / "resources"
    return checkout if checkout.is_dir() else here / "_resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def load_json(name: str) -> Any:
    with resource_path(name).open(encoding="utf-8") as f:
        return json.load(f)


def load_services() -> list[SpfService]:
    """The sending-service presets bundled in resources/spf_services.json."""
    from wizard.core.spf.services import services_from_json

    return services_from_json(load_json(SERVICES_FILE))


def load_providers() -> Providers:
    """The DNS providers bundled in resources/providers.json (NS patterns, form conventions, help links)."""
    from wizard.core.provider import providers_from_json

    return providers_from_json(load_json(PROVIDERS_FILE))
