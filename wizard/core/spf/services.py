"""Sending services that publish an SPF include (the presets of the SPF page), read from their JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SpfService:
    """A sending service preset: its SPF include (None when it differs per account) and its vendor docs."""

    id: str
    name: str
    include: str | None
    docs: str
    fixed: bool = False
    note: str = ""
    include_hint: str = ""


def services_from_json(data: Any) -> list[SpfService]:
    """The service presets from the parsed JSON of spf_services.json (the file is read outside the core)."""
    return [
        SpfService(
            s["id"],
            s["name"],
            s.get("include"),
            s["docs"],
            bool(s.get("fixed", False)),
            s.get("note", ""),
            s.get("include_hint", ""),
        )
        for s in data["services"]
    ]
