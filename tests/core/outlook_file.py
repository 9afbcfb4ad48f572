"""A minimal Outlook .msg (a Compound File, MS-CFB version 3) holding only the transport-headers stream, built
here so the tests need no Outlook: one FAT sector, one directory sector, the stream in regular sectors."""

from __future__ import annotations

import struct

SECTOR = 512
END, FREE, FAT_SECT, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
HEADERS_STREAM = "__substg1.0_007D001F"  # PR_TRANSPORT_MESSAGE_HEADERS, UTF-16LE


def _entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
    encoded = name.encode("utf-16-le") + b"\0\0" if name else b""
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1 if name else 0)
        + struct.pack("<III", NO_STREAM, NO_STREAM, child)
        + b"\0" * 16  # CLSID
        + struct.pack("<I", 0)  # state bits
        + b"\0" * 16  # creation and modification times
        + struct.pack("<IQ", start, size)
    )


def outlook_msg(headers: str) -> bytes:
    """A .msg whose transport headers are `headers` (padded past the 4096-byte mini-stream cutoff)."""
    data = headers.encode("utf-16-le")
    if len(data) < 4096:
        data = data.ljust(4096, b"\0")  # Outlook's string streams may end in NULs; the reader strips them
    sectors = -(-len(data) // SECTOR)
    fat = [FAT_SECT, END] + [3 + i if i < sectors - 1 else END for i in range(sectors)]
    fat += [FREE] * (SECTOR // 4 - len(fat))
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<I", 0) + struct.pack("<I", FREE) * 108
    )  # fmt: skip
    directory = (
        _entry("Root Entry", 5, 1, END, 0) + _entry(HEADERS_STREAM, 2, NO_STREAM, 2, len(data))
        + _entry("", 0, NO_STREAM, 0, 0) * 2
    )  # fmt: skip
    body = struct.pack(f"<{len(fat)}I", *fat) + directory + data.ljust(sectors * SECTOR, b"\0")
    return header + body
