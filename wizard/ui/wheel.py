"""The mouse wheel belongs to the page: a combo box or spin box takes it only once the admin has given it the focus.

Without this, scrolling a long page with the pointer passing over "~all" switched it to "-all" and changed the
record. The wheel event goes to the scroll area around the widget instead, so the page keeps scrolling.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QWidget

GUARDED = (QComboBox, QAbstractSpinBox)


class WheelGuard(QObject):
    """An event filter: a wheel event over an unfocused combo or spin box scrolls the page around it."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return super().eventFilter(watched, event)
        assert isinstance(event, QWheelEvent)
        area = scroll_area_of(watched)
        if area is None:
            event.ignore()  # filtered but not accepted: Qt hands a real wheel event on to the parent
            return True
        # Qt does not pass a synthesized wheel event on to parents, so the scroll area is given its own copy.
        viewport = area.viewport()
        moved = QWheelEvent(
            QPointF(viewport.mapFromGlobal(event.globalPosition().toPoint())),
            event.globalPosition(),
            event.pixelDelta(),
            event.angleDelta(),
            event.buttons(),
            event.modifiers(),
            event.phase(),
            event.inverted(),
        )
        QApplication.sendEvent(viewport, moved)
        event.accept()
        return True


def scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scroll area holding `widget` (not a combo's own popup list)."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


def guard_wheel(root: QWidget, guard: WheelGuard) -> None:
    """Every combo and spin box under `root`: focus by click or Tab only (not by wheel), wheel only with focus."""
    for kind in GUARDED:
        for widget in root.findChildren(kind):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            widget.installEventFilter(guard)
