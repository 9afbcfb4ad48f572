"""Saved progress: the wizard's state (domains, choices, pasted values, last results) kept between runs.

One JSON file in the user data folder, with a schema version, written atomically (temp file + os.replace).
A corrupt file or one written by a newer version is moved aside under a timestamped name and reported,
never silently lost or overwritten. Nothing secret is written: private keys pasted by mistake are dropped.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

import platformdirs

from wizard import APP_ID, ORGANIZATION
from wizard.core.proof import ActivationProof, proof_from_json
from wizard.core.records import CheckState

SCHEMA_VERSION = 2  # 2: DomainProgress.proofs (files of version 1 load with no proof)
_T = TypeVar("_T")
FILE_NAME = "progress.json"

# A PEM private key (any kind), or a TSIG/BIND key statement's secret: never written to disk.
_SECRET = re.compile(r"PRIVATE\s+KEY|\bsecret\s+\"|\bsecret\s*[:=]", re.IGNORECASE)


@dataclass
class CheckRecord:
    """One live check's outcome, and what was checked (so the summary can check the same record again)."""

    state: CheckState
    summary: str = ""
    checked_at: float = 0.0
    name: str = ""  # the DNS name asked ("" in files from before targets were kept)
    kind: str = ""  # how the expected record is recognised: "spf", "dkim", "dmarc", "mta_sts", "tls_rpt"
    expected: str = ""  # the record the admin was told to add


@dataclass
class DomainProgress:
    """Everything the admin chose or pasted for one From-address domain."""

    domain: str
    spf_services: list[str] = field(default_factory=list)  # preset ids ticked (CIMcloud is always on)
    spf_custom: str = ""  # extra SPF terms typed by the admin
    spf_all: str = "~all"
    dkim_name: str = ""
    dkim_content: str = ""
    dmarc_policy: str = "none"
    dmarc_rua: str = ""
    dmarc_options: dict[str, str] = field(default_factory=dict)  # advanced tags (sp, adkim, aspf, fo, ruf...)
    mta_sts_mode: str = "testing"
    mta_sts_mx: str = ""  # MX patterns, one per line
    mta_sts_id: str = ""  # the policy id published in _mta-sts, kept so the record does not change on every visit
    tls_rpt_rua: str = ""
    results: dict[str, CheckRecord] = field(default_factory=dict)  # "spf", "dkim", "dmarc", "mta_sts", "tls_rpt"
    # Evidence that CIMcloud activated DKIM signing: the latest of each kind (verdict and when, never the message).
    proofs: list[ActivationProof] = field(default_factory=list)

    def add_proof(self, proof: ActivationProof) -> None:
        """Keep `proof` in place of an earlier one of the same kind, except that evidence which proves nothing
        (a forwarded copy, headers only) does not undo earlier proof of the same kind."""
        earlier = [p for p in self.proofs if p.kind is proof.kind]
        if earlier and earlier[0].opens_enforcement and not proof.opens_enforcement:
            return
        self.proofs = [p for p in self.proofs if p.kind is not proof.kind] + [proof]


@dataclass
class Preferences:
    """Lab settings an admin may need when their network blocks direct DNS; empty means the system's."""

    nameservers: list[str] = field(default_factory=list)  # "HOST" or "HOST:PORT"
    doh: list[str] = field(default_factory=list)  # DNS-over-HTTPS resolver URLs, used instead of nameservers
    dns_port: int = 53
    public_resolvers: bool = True


@dataclass
class Progress:
    """What the wizard saves between sessions: each domain's steps, the page, the choices made, the window."""

    domains: list[DomainProgress] = field(default_factory=list)
    page: int = 0  # the page the admin was on
    mta_sts: bool = False  # whether the optional MTA-STS / TLS-RPT step was chosen
    preferences: Preferences = field(default_factory=Preferences)
    geometry: str = ""  # the window geometry (base64 of QWidget.saveGeometry)
    saved_at: float = 0.0

    def domain(self, name: str) -> DomainProgress:
        """The progress of one domain, created on first use."""
        for entry in self.domains:
            if entry.domain == name:
                return entry
        entry = DomainProgress(name)
        self.domains.append(entry)
        return entry

    def set_domains(self, names: list[str]) -> None:
        """Keep the given domains, in that order, with whatever progress they already had."""
        known = {d.domain: d for d in self.domains}
        self.domains = [known.get(name) or DomainProgress(name) for name in names]

    @property
    def has_work(self) -> bool:
        return bool(self.domains)


class StoreError(Exception):
    """The saved file could not be used; `moved_to` says where it was kept aside."""

    def __init__(self, message: str, moved_to: Path | None) -> None:
        super().__init__(message)
        self.moved_to = moved_to


@dataclass
class LoadResult:
    """The saved progress as loaded, or a fresh one with the reason the saved file could not be used."""

    progress: Progress
    problem: str = ""  # a message for the admin when the saved file could not be used
    moved_to: Path | None = None


def data_dir() -> Path:
    """The user data folder, where progress and publish undo files live."""
    return Path(platformdirs.user_data_dir(APP_ID, ORGANIZATION))


def default_path() -> Path:
    return data_dir() / FILE_NAME


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file atomically (temp file, fsync, os.replace): a reader sees the old file or the new one,
    never half of either. Created readable by the user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Store:
    """Loads and saves Progress at one path (the user data folder by default)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    def load(self) -> LoadResult:
        """The saved progress, or fresh progress plus a message when the file was unusable."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return LoadResult(Progress())
        except OSError as exc:
            return LoadResult(Progress(), f"Saved progress could not be read ({exc.strerror}); starting afresh.")
        try:
            return LoadResult(parse(raw))
        except _NewerVersion as exc:
            moved = self._move_aside(f"v{exc.version}")
            return LoadResult(
                Progress(),
                f"Saved progress was written by a newer version of {APP_ID} (format {exc.version}); "
                f"it was kept unchanged at {moved} and this version starts afresh.",
                moved,
            )
        except (ValueError, TypeError, KeyError) as exc:
            moved = self._move_aside("corrupt")
            return LoadResult(
                Progress(),
                f"Saved progress could not be read ({exc}); the file was kept at {moved} and the wizard starts afresh.",
                moved,
            )

    def save(self, progress: Progress) -> None:
        """Write progress atomically: a reader sees the old file or the new one, never half of either."""
        progress.saved_at = time.time()
        data = json.dumps(dump(progress), indent=2, ensure_ascii=False).encode("utf-8")
        write_atomic(self.path, data)

    def _move_aside(self, reason: str) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.stem}.{reason}-{stamp}{self.path.suffix}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.stem}.{reason}-{stamp}-{n}{self.path.suffix}")
        os.replace(self.path, target)
        return target


class _NewerVersion(Exception):
    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


def is_secret(text: str) -> bool:
    """Whether a pasted text holds something that must never be written to disk (a private key, a TSIG secret)."""
    return bool(_SECRET.search(text))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return "" if is_secret(value) else value
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def dump(progress: Progress) -> dict[str, Any]:
    """The JSON form of progress, with any secret pasted by mistake removed."""
    data = _scrub(asdict(progress))
    assert isinstance(data, dict)
    return {"version": SCHEMA_VERSION, **data}


def parse(raw: bytes) -> Progress:
    """Progress from the JSON file; ValueError/TypeError/KeyError when it is not ours, _NewerVersion when newer."""
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("the file does not hold an object")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError("the file has no format version")
    if version > SCHEMA_VERSION:
        raise _NewerVersion(version)
    prefs = _build(Preferences, data.get("preferences") or {})
    domains = [_domain(d) for d in _typed(data.get("domains", []), list)]
    progress = _build(Progress, {**data, "domains": domains, "preferences": prefs})
    _scrub_in_place(progress)
    return progress


def _domain(data: Any) -> DomainProgress:
    data = _typed(data, dict)
    results = {
        str(k): _build(CheckRecord, {**_typed(v, dict), "state": CheckState(_typed(v, dict)["state"])})
        for k, v in _typed(data.get("results", {}), dict).items()
    }
    return _build(DomainProgress, {**data, "results": results, "proofs": _proofs(data.get("proofs", []))})


def _proofs(data: Any) -> list[ActivationProof]:
    """The saved proofs; one that cannot be read is dropped (the admin can give the evidence again)."""
    proofs = []
    for entry in _typed(data, list):
        try:
            proofs.append(proof_from_json(entry))
        except (ValueError, TypeError, KeyError):
            continue
    return proofs


def _build(cls: type[_T], data: Any) -> _T:
    """An instance of a dataclass from a dict, each known field type-checked; unknown keys are ignored."""
    data = _typed(data, dict)
    template = cls(**_REQUIRED.get(cls, {}))
    assert is_dataclass(template)
    kwargs = {}
    for f in fields(template):
        if f.name not in data:
            continue
        value, expected = data[f.name], type(getattr(template, f.name))
        if type(value) is not expected and not (expected is float and type(value) is int):
            raise TypeError(f"{f.name!r} is a {type(value).__name__}, not a {expected.__name__}")
        _check_items(f.name, value)
        kwargs[f.name] = value
    return cls(**kwargs)


def _check_items(name: str, value: Any) -> None:
    """Lists and dicts of plain values hold only strings (lists of domains are already built)."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for item in items:
        if not isinstance(item, str | DomainProgress | CheckRecord | ActivationProof):
            raise TypeError(f"{name!r} holds a {type(item).__name__}")


# Placeholder values for the fields that have no default.
_REQUIRED: dict[type, dict[str, Any]] = {DomainProgress: {"domain": ""}, CheckRecord: {"state": CheckState.PROBLEM}}


def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, found {type(value).__name__}")
    return value


def _scrub_in_place(progress: Progress) -> None:
    for d in progress.domains:
        if is_secret(d.dkim_content):
            d.dkim_content = ""
