"""Outlook .msg files: the transport headers Outlook kept (PR_TRANSPORT_MESSAGE_HEADERS).

A .msg never holds the body as it was signed (Outlook stores its own copy of the text and attachments), so
only the headers can be checked from it: the result is partial, as for pasted headers.
"""

from __future__ import annotations

import io

import olefile

from wizard.core.findings import error
from wizard.core.message.parse import MAX_MESSAGE_BYTES, MessageError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER_STREAMS = (("__substg1.0_007D001F", "utf-16-le"), ("__substg1.0_007D001E", "latin-1"))


def is_outlook_msg(data: bytes) -> bool:
    return data.startswith(OLE_MAGIC)


def transport_headers(data: bytes) -> bytes:
    """The message headers stored in an Outlook .msg file; MessageError when there are none or it is damaged."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise _unreadable("it is larger than the wizard reads")
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            for stream, encoding in _HEADER_STREAMS:
                if ole.exists(stream):
                    raw: bytes = ole.openstream(stream).read(MAX_MESSAGE_BYTES)
                    return raw.decode(encoding, "replace").rstrip("\x00").encode("utf-8")
    except (OSError, ValueError, IndexError, KeyError, TypeError) as exc:  # olefile's errors on damaged files
        raise _unreadable(f"it is damaged ({exc})") from None
    raise _unreadable("it has no internet headers (a draft, or a message Outlook created itself)")


def _unreadable(why: str) -> MessageError:
    return MessageError(
        error(
            "message.malformed",
            f"The Outlook .msg file cannot be used: {why}.",
            "In Outlook, open the message, choose File > Properties, copy the Internet headers and paste them; "
            "or save the message from webmail as .eml.",
        )
    )
