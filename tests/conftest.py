"""Test configuration: Qt runs offscreen (no display needed); the BIND lab fixtures come from tests.lab.plugin."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["tests.lab.plugin"]
