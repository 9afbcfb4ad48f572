"""TXT record values: joining the strings of one record and splitting a value into strings."""

from __future__ import annotations

MAX_STRING = 255


def join_strings(strings: tuple[bytes, ...] | list[bytes]) -> str:
    """One TXT record's character-strings concatenated without separator (RFC 7208 3.3, RFC 6376 3.6.2.2).

    Bytes that are not UTF-8 are kept visible as U+FFFD so rules can report them.
    """
    return b"".join(strings).decode("utf-8", errors="replace")


def split_value(value: str, limit: int = MAX_STRING) -> list[str]:
    """Split a value into pieces of at most `limit` octets (UTF-8), never inside a character."""
    data = value.encode("utf-8")
    pieces: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and end > start and (data[end] & 0xC0) == 0x80:
            end -= 1
        pieces.append(data[start:end].decode("utf-8"))
        start = end
    return pieces or [""]


def quote(piece: str) -> str:
    """A zone-file character-string: quoted, with backslash and quote escaped."""
    return '"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"'


def zone_file_value(value: str) -> str:
    """The value as zone-file quoted strings, each of at most 255 octets: `"v=spf1 ..." "...rest"`."""
    return " ".join(quote(p) for p in split_value(value))
