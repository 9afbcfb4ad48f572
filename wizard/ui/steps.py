"""The step list beside the pages: where the admin is, and each step's state for the domain being worked on.

Installers and Microsoft 365's domain set-up show the same: the steps in order, the current one marked, a tick
for the ones done. The states come from the results kept in progress (the same cells the Summary shows).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from wizard.core.records import CheckState
from wizard.store import DomainProgress

from wizard.ui.report import cell
from wizard.ui.widgets import state_icon

STEP_WIDTH = 170


@dataclass(frozen=True)
class Step:
    """One line of the list: the page, its short name, and the result key it shows ("" for none)."""

    page: int
    name: str
    key: str = ""


@dataclass(frozen=True)
class StepState:
    """A step's state for one domain, and the words that say it."""

    state: CheckState | None
    words: str  # "verified", "waiting for CIMcloud"... ("" for steps without a record)


def step_state(entry: DomainProgress | None, key: str) -> StepState:
    if entry is None or not key:
        return StepState(None, "")
    shown = cell(entry, key)
    return StepState(shown.state, shown.words)


class StepList(QListWidget):
    """A read-only list of the steps; it never takes the focus, so Tab and the wizard's keys are unchanged."""

    def __init__(self, steps: list[Step], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps = steps
        self.setAccessibleName("Steps")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFrameShape(QListWidget.Shape.NoFrame)
        self.setFixedWidth(STEP_WIDTH)
        self.setIconSize(QSize(16, 16))
        self.setStyleSheet("QListWidget { background: transparent; }")
        for step in steps:
            self.addItem(QListWidgetItem(step.name))

    def show_steps(self, current: int, entry: DomainProgress | None, shown: set[int]) -> None:
        """Mark the current page and give each step its state for `entry`; steps not taken this time are dimmed."""
        for row, step in enumerate(self.steps):
            item = self.item(row)
            state = step_state(entry, step.key)
            item.setHidden(step.page not in shown)
            # A step without a record of its own (Welcome, Domains) is done once the admin has gone past it.
            done = CheckState.VERIFIED if step.page < current else None
            item.setIcon(state_icon(state.state if step.key else done))
            font = QFont(self.font())
            font.setBold(step.page == current)
            item.setFont(font)
            where = " (you are here)" if step.page == current else ""
            what = f": {state.words}" if state.words else ""
            item.setToolTip(f"{step.name}{what}" if entry is None else f"{step.name} for {entry.domain}{what}")
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{step.name}{where}{what}")

    def texts(self) -> list[str]:
        """The shown steps as a screen reader says them ("SPF (you are here): verified")."""
        return [
            str(item.data(Qt.ItemDataRole.AccessibleTextRole))
            for row in range(self.count())
            if (item := self.item(row)) is not None and not item.isHidden()
        ]
