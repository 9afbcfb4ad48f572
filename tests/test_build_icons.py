"""The icon script (.ci/make_icons.py): the Windows .ico and macOS .icns made from resources/icons/app.svg."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def test_icons_are_made_from_the_svg_at_every_size(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "make_icons.py"), str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / "app.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
        ico.size = (16, 16)
        small = ico.convert("RGBA")
        assert small.size == (16, 16) and small.getpixel((8, 8))[3] == 255
    with Image.open(tmp_path / "app.icns") as icns:
        assert (512, 512, 2) in icns.info["sizes"]  # 1024 px: the Retina App Store size
        pixels = icns.convert("RGBA")  # the 1024 px entry: the drawing, not an empty canvas
        assert pixels.size == (1024, 1024)
        assert pixels.getpixel((512, 512))[3] == 255 and pixels.getpixel((0, 0))[3] == 0
