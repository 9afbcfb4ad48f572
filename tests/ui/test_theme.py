"""Native look: the platform's style and palette are left alone; our dark palette only where there is none."""

from __future__ import annotations

import pytest

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from wizard.ui.app import _application
from wizard.ui.theme import apply_scheme, dark_palette, is_dark


@pytest.fixture
def restore_palette(qapp: QApplication) -> object:
    before = qapp.palette()
    yield None
    qapp.setPalette(before)


def test_light_scheme_keeps_the_platform_palette_so_it_follows_the_os(
    qapp: QApplication, restore_palette: object
) -> None:
    qapp.setPalette(dark_palette())
    apply_scheme(qapp, Qt.ColorScheme.Light)
    assert qapp.palette().resolveMask() == 0  # nothing of ours: the platform's palette, live
    assert not is_dark(qapp.palette())


def test_dark_scheme_without_a_platform_dark_palette_gets_ours(qapp: QApplication, restore_palette: object) -> None:
    apply_scheme(qapp, Qt.ColorScheme.Dark)  # offscreen: Fusion, no platform theme
    assert is_dark(qapp.palette())
    assert qapp.palette().color(QPalette.ColorRole.Window) == dark_palette().color(QPalette.ColorRole.Window)
    apply_scheme(qapp, Qt.ColorScheme.Light)
    assert qapp.palette().resolveMask() == 0


def test_the_application_keeps_the_style_qt_chose_for_the_platform(qapp: QApplication) -> None:
    style = qapp.style().name()
    _application(["test"])
    assert qapp.style().name() == style
    assert QApplication.style().name() == style
