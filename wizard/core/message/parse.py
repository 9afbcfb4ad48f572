"""A message as the admin saved or pasted it: its header fields, its From domain, and whether the body is there.

Only the header block is parsed; the body stays bytes for the DKIM body hash, so a 25 MB attachment costs
one copy of the message, not a MIME tree. Line endings are made CRLF, as they were on the wire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import getaddresses

from wizard.core.findings import Finding, FindingError, error, info
from wizard.core.names import DomainError, normalize_domain

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a 25 MB attachment is ~34 MB in base64: room to spare
MAX_HEADER_BYTES = 1024 * 1024  # a header block larger than this is not mail a receiver delivered
MAX_HEADER_FIELDS = 2000

_FIELD = re.compile(rb"^([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_SEPARATOR = re.compile(rb"\r?\n\r?\n")
_FIX_PASTE = "Save the message as a file (.eml, 'Show original' / 'View source') and give the whole file."


class MessageError(FindingError):
    """The input is not a message the wizard can read; `finding` says why in plain words."""


@dataclass(frozen=True)
class ParsedMessage:
    """The message with CRLF line endings (what DKIM verifies), its unfolded header fields, top first.

    complete is False when only the headers were given: the body hash cannot be checked then.
    """

    raw: bytes
    headers: tuple[tuple[str, str], ...]
    from_domain: str
    complete: bool

    def values(self, name: str) -> list[str]:
        """Every value of one header field, topmost first (the receiving side's fields come first)."""
        wanted = name.lower()
        return [value for field, value in self.headers if field.lower() == wanted]

    @property
    def notes(self) -> list[Finding]:
        """What the admin should know about the input itself."""
        if self.complete:
            return []
        return [
            info(
                "message.headers-only",
                "Only the headers were given, so the body hash cannot be checked: the DKIM signature's key, "
                "alignment and the receiver's results are checked, and the result is partial, not proof.",
                _FIX_PASTE,
            )
        ]


def parse_message(data: bytes) -> ParsedMessage:
    """Parse a saved message, a pasted source, or just its headers. Raises MessageError for anything else."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageError(
            error(
                "message.too-large",
                f"The file is {len(data) // (1024 * 1024)} MB; a message larger than "
                f"{MAX_MESSAGE_BYTES // (1024 * 1024)} MB is not read.",
                "Send a website email without large attachments (a password reset) and give that one.",
            )
        )
    raw = _crlf(data.lstrip(b"\r\n\t "))
    if not raw.strip():
        raise _malformed("The message is empty.")
    head, body = _split(raw)
    headers = _header_fields(head)
    complete = bool(body.strip())
    return ParsedMessage(raw if complete else head + b"\r\n", headers, _from_domain(headers), complete)


def _crlf(data: bytes) -> bytes:
    """Bare LF line endings (a pasted or saved copy) turned back into CRLF, as the message was sent."""
    if b"\n" not in data or data.count(b"\r\n") == data.count(b"\n"):
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _split(raw: bytes) -> tuple[bytes, bytes]:
    """The header block (with its last CRLF) and the body; a text with no blank line is all header."""
    match = _SEPARATOR.search(raw, 0, MAX_HEADER_BYTES + 4)
    if match is None:
        if len(raw) > MAX_HEADER_BYTES:
            raise _malformed(f"No end of the header block was found in the first {MAX_HEADER_BYTES // 1024} KB.")
        return raw if raw.endswith(b"\r\n") else raw + b"\r\n", b""
    return raw[: match.start() + 2], raw[match.end() :]


def _header_fields(head: bytes) -> tuple[tuple[str, str], ...]:
    """The header fields, unfolded; an mbox 'From ' line is skipped, anything else that is not a field refused."""
    fields: list[tuple[str, list[bytes]]] = []
    for number, line in enumerate(head.split(b"\r\n")[:-1], start=1):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1].append(line)
        elif number == 1 and line.startswith(b"From "):
            continue
        elif match := _FIELD.match(line):
            fields.append((match.group(1).decode("ascii"), [line[match.end() :]]))
        else:
            raise _malformed(f"Line {number} of the headers is not a header field: {_show(line)!r}.")
        if len(fields) > MAX_HEADER_FIELDS:
            raise _malformed(f"The message has more than {MAX_HEADER_FIELDS} header fields.")
    if not fields:
        raise _malformed("The text has no header fields.")
    return tuple((name, _unfold(parts)) for name, parts in fields)


def _unfold(parts: list[bytes]) -> str:
    return " ".join(p.strip(b" \t").decode("utf-8", "replace") for p in parts).strip()


def _from_domain(headers: tuple[tuple[str, str], ...]) -> str:
    """The domain of the one From address (RFC 7489 6.6.1): DMARC judges that domain."""
    values = [value for name, value in headers if name.lower() == "from"]
    if len(values) != 1:
        what = "no From header" if not values else f"{len(values)} From headers"
        raise _no_from(f"The message has {what}; DMARC needs exactly one.")
    addresses = [address for _, address in getaddresses(values) if address]
    if len(addresses) != 1 or "@" not in addresses[0]:
        raise _no_from(f"The From header {values[0][:80]!r} does not hold exactly one email address.")
    try:
        return normalize_domain(addresses[0].rpartition("@")[2])
    except DomainError as exc:
        raise _no_from(f"The From address {addresses[0][:80]!r} has no usable domain: {exc.reason}.") from None


def _malformed(message: str) -> MessageError:
    return MessageError(error("message.malformed", f"This is not an email message: {message}", _FIX_PASTE))


def _no_from(message: str) -> MessageError:
    return MessageError(
        error("message.no-from", message, "Give a message sent by the CIMcloud website, as it arrived.")
    )


def _show(line: bytes) -> str:
    return line[:60].decode("utf-8", "replace")
