"""Make the app's Windows .ico and macOS .icns from resources/icons/app.svg (build.spec runs this).

    python .ci/make_icons.py OUTPUT_FOLDER

Qt renders the SVG afresh at every size (so the small sizes are drawn for their size, not scaled down from a
big bitmap), and Pillow writes the multi-size containers: .ico with 16 to 256 px, .icns with 16 to 1024 px
(the @2x entries of macOS Retina screens included). Nothing is kept in the repository but the SVG.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "app.svg"
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render(svg: Path, sizes: tuple[int, ...]) -> dict[int, bytes]:
    """PNG bytes of `svg` drawn at each size (transparent background, antialiased)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {svg} is not an SVG Qt can draw")
    pngs = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        pngs[size] = bytes(data.data())
    del app
    return pngs


def write_container(pngs: dict[int, bytes], path: Path) -> None:
    """Save the PNGs as one .ico or .icns (by the suffix), the largest first as Pillow expects."""
    from PIL import Image

    images = [Image.open(io.BytesIO(pngs[size])) for size in sorted(pngs, reverse=True)]
    if path.suffix == ".ico":
        images[0].save(path, sizes=[(s, s) for s in sorted(pngs)], append_images=images[1:])
    else:
        images[0].save(path, append_images=images[1:])


def make_icons(folder: Path) -> tuple[Path, Path]:
    """Write app.ico and app.icns into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    pngs = render(SVG, tuple(sorted(set(ICO_SIZES) | set(ICNS_SIZES))))
    ico, icns = folder / "app.ico", folder / "app.icns"
    write_container({s: pngs[s] for s in ICO_SIZES}, ico)
    write_container({s: pngs[s] for s in ICNS_SIZES}, icns)
    return ico, icns


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for made in make_icons(Path(sys.argv[1])):
        print(made)
