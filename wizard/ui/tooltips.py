"""Tooltips that wrap at a readable width: Qt shows a plain-text tooltip on one line however long it is, and wraps
rich text at about 80 characters, so every plain tooltip is handed to Qt as rich text (its words unchanged).

The wizard wraps its widgets' tooltips once, when it is built (`wrap_tooltips`); tooltips set later (on items, or
from a check's findings) are set through `wrapped()`. No event filter: nothing is added to every event's path."""

from __future__ import annotations

from html import escape

from PySide6.QtGui import Qt
from PySide6.QtWidgets import QWidget


def wrapped(text: str) -> str:
    """The same words as rich text, so the tooltip wraps; line breaks kept, nothing read as markup."""
    if not text or Qt.mightBeRichText(text):
        return text
    return "<p style='white-space:pre-wrap'>" + escape(text, quote=False) + "</p>"


def wrap_tooltips(root: QWidget) -> None:
    """Every plain tooltip under `root` (and its own), re-set as rich text so it wraps."""
    for widget in [root, *root.findChildren(QWidget)]:
        text = widget.toolTip()
        if text and not Qt.mightBeRichText(text):
            widget.setToolTip(wrapped(text))
