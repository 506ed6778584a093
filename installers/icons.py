"""The app icon files (.png, .ico, .icns), rendered at build time from `resources/icons/app.svg`.

The SVG is the one source of the desktop's icons (it uses `currentColor`); here its glyph is drawn
in white on a rounded square of the light theme's accent colour, at every size the two containers
want, with QSvgRenderer into QImages. The containers are written by hand (both are small formats,
and no image library is needed for them):

- `.ico` (Windows): an ICONDIR header, one 16-byte ICONDIRENTRY per image, then the images as PNG
  streams (allowed since Windows Vista; a size of 256 is written as 0 in the entry).
- `.icns` (macOS): the `icns` magic and total length, then one (type, length, PNG) element per size:
  `icp4` 16, `icp5` 32, `ic07` 128, `ic08` 256, `ic09` 512, `ic10` 1024 (512@2x).

    python -m installers.icons OUT_DIR      # writes liaison.png, liaison.ico, liaison.icns
"""

import struct
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
SOURCE: Final = ROOT / "resources" / "icons" / "app.svg"
#: the light theme's accent and on-accent colours (desktop/views/theme.py)
BACKGROUND: Final = "#1f6feb"
FOREGROUND: Final = "#ffffff"
ICO_SIZES: Final = (16, 24, 32, 48, 64, 128, 256)
ICNS_TYPES: Final = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
)
PNG_SIZE: Final = 512
PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"


def render_png(size: int, svg: str | None = None) -> bytes:
    """The app icon at `size` by `size` pixels as PNG bytes (needs a QGuiApplication; see `main`)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    source = (svg if svg is not None else SOURCE.read_text(encoding="utf-8")).replace(
        "currentColor", FOREGROUND
    )
    renderer = QSvgRenderer(QByteArray(source.encode()))
    if not renderer.isValid():
        raise ValueError(f"{SOURCE} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(BACKGROUND))
        painter.drawRoundedRect(QRectF(0, 0, size, size), size * 0.22, size * 0.22)
        margin = size * 0.16
        renderer.render(painter, QRectF(margin, margin, size - 2 * margin, size - 2 * margin))
    finally:
        painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6 6.11's stubs type the format as bytes, but only a str is accepted at run time
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise RuntimeError("Qt could not encode a PNG (is the image plugin set complete?)")
    buffer.close()
    return bytes(data.data())


def ico_bytes(images: Iterable[tuple[int, bytes]]) -> bytes:
    """An .ico container of (size, PNG bytes) square images."""
    entries = sorted(images)
    header = struct.pack("<HHH", 0, 1, len(entries))
    offset = len(header) + 16 * len(entries)
    directory, blobs = b"", b""
    for size, png in entries:
        if not 1 <= size <= 256:
            raise ValueError(f"an .ico image is 1 to 256 pixels wide, not {size}")
        side = 0 if size == 256 else size
        # width, height, colours (0: no palette), reserved, planes, bits per pixel, length, offset
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(blobs))
        blobs += png
    return header + directory + blobs


def icns_bytes(elements: Iterable[tuple[bytes, bytes]]) -> bytes:
    """An .icns container of (four-byte type, PNG bytes) elements."""
    body = b""
    for kind, png in elements:
        if len(kind) != 4:
            raise ValueError(f"an icns element type has four bytes, not {kind!r}")
        body += kind + struct.pack(">I", 8 + len(png)) + png
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_icons(out_dir: Path) -> dict[str, Path]:
    """Render the icon and write liaison.png, liaison.ico and liaison.icns into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = sorted({*ICO_SIZES, *(size for _kind, size in ICNS_TYPES), PNG_SIZE})
    pngs = {size: render_png(size) for size in sizes}
    written = {
        "png": out_dir / "liaison.png",
        "ico": out_dir / "liaison.ico",
        "icns": out_dir / "liaison.icns",
    }
    written["png"].write_bytes(pngs[PNG_SIZE])
    written["ico"].write_bytes(ico_bytes((size, pngs[size]) for size in ICO_SIZES))
    written["icns"].write_bytes(icns_bytes((kind, pngs[size]) for kind, size in ICNS_TYPES))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Write the icons into the directory named on the command line (Qt offscreen, no display)."""
    import os

    arguments = list(sys.argv[1:] if argv is None else argv)
    if len(arguments) != 1:
        sys.stderr.write("usage: python -m installers.icons OUT_DIR\n")
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    written = write_icons(Path(arguments[0]))
    del app
    for path in written.values():
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
