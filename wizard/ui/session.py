"""The wizard's shared state: the progress model, the lookup object built from the settings, and saving.

Pages read and change `progress` (a plain dataclass from wizard.store) and call `changed()`; saving is
debounced so typing does not write the file on every key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from wizard.checks import CheckOptions
from wizard.lookup.lookup import Lookup
from wizard.lookup.settings import LookupSettings, parse_doh_url, parse_server
from wizard.store import DomainProgress, LoadResult, Preferences, Progress, Store

from wizard.ui.verdict import options_of

SAVE_DELAY_MS = 400
_T = TypeVar("_T")


def has_lab_options(settings: LookupSettings) -> bool:
    """Whether the command line chose DNS servers; those then win over the saved preferences for this run."""
    return bool(settings.nameservers or settings.doh) or settings.dns_port != 53 or not settings.public_resolvers


def apply_preferences(base: LookupSettings, prefs: Preferences) -> LookupSettings:
    """The base settings with the admin's saved resolver, port and public-resolver choice (bad entries skipped)."""
    return dataclasses.replace(
        base,
        nameservers=_valid(prefs.nameservers, parse_server),
        doh=_valid(prefs.doh, parse_doh_url),
        dns_port=prefs.dns_port,
        public_resolvers=prefs.public_resolvers,
    )


def _valid(texts: list[str], parse: Callable[[str], _T]) -> tuple[_T, ...]:
    """What `parse` makes of each entry, leaving out those it refuses (a hand-edited or older file)."""
    values = []
    for text in texts:
        try:
            values.append(parse(text))
        except ValueError:
            continue
    return tuple(values)


def preferences_of(settings: LookupSettings) -> Preferences:
    return Preferences(
        nameservers=[f"{host}:{port}" for host, port in settings.nameservers],
        doh=list(settings.doh),
        dns_port=settings.dns_port,
        public_resolvers=settings.public_resolvers,
    )


def save_failure_text(path: Path, exc: OSError) -> str:
    """What the admin reads when progress cannot be written: where, why, that nothing is lost, what to do."""
    return (
        f"Your progress could not be saved to {path}: {exc.strerror or exc}.\n\n"
        "Nothing is lost while the wizard stays open: it keeps your work and tries to save again with your next "
        "change and when you close it. If this keeps happening, check that you may write to that folder and "
        "that the disk is not full."
    )


class Session(QObject):
    """Progress, settings and the one Lookup, owned by the wizard and shared with its pages."""

    settings_changed = Signal()
    save_failed = Signal(str)
    progress_changed = Signal()

    def __init__(self, settings: LookupSettings, store: Store | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        loaded = store.load() if store is not None else LoadResult(Progress())
        self.progress = loaded.progress
        self.load_problem = loaded.problem
        if has_lab_options(settings):
            self.settings = settings
        else:
            self.settings = apply_preferences(settings, self.progress.preferences)
        self.lookup = Lookup(self.settings)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save)

    def set_settings(self, settings: LookupSettings) -> None:
        """Use new lab settings from now on, and keep them with the progress."""
        self.settings = settings
        self.lookup = Lookup(settings)
        self.progress.preferences = preferences_of(settings)
        self.changed()
        self.settings_changed.emit()

    def entry(self, domain: str) -> DomainProgress | None:
        return next((d for d in self.progress.domains if d.domain == domain), None)

    def check_options(self, domain: str) -> CheckOptions:
        """The options every check of this domain runs with (the record pages, the scan and the Summary alike)."""
        return options_of(self.entry(domain))

    def changed(self) -> None:
        """Something in progress changed: save soon."""
        self._save_timer.start()
        self.progress_changed.emit()

    def save(self) -> None:
        """Write progress now. A failure is reported (save_failed) and the progress stays in memory, so the next
        change or closing the window tries again; nothing the admin did is dropped."""
        self._save_timer.stop()
        if self.store is None:
            return
        try:
            self.store.save(self.progress)
        except OSError as exc:
            self.save_failed.emit(save_failure_text(self.store.path, exc))
