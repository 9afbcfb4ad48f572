"""A minimal HTTPS GET for MTA-STS policies (RFC 8461 3.3): strict, bounded, and never raising.

The host is resolved through the lookup layer (so a lab's resolver applies), the certificate is validated
against the system trust store (`ssl.create_default_context()`, which honours SSL_CERT_FILE), redirects are
not followed, and the connection, the TLS handshake, the whole exchange and the body size are all limited.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from dataclasses import dataclass

from wizard.core.answers import Source
from wizard.core.fetched import FetchOutcome, FetchResult

MAX_BODY = 64 * 1024  # RFC 8461 policies are a few hundred bytes; 64 KiB is generous
MAX_HEADER_LINE = 8 * 1024
MAX_HEADERS = 100
__all__ = ["FetchLimits", "FetchOutcome", "FetchResult", "fetch_https"]
USER_AGENT = "email-auth-wizard (MTA-STS check)"
# HTTP numbers are plain ASCII digits (RFC 9112): int() alone takes "-5", "0x5" and "1_0", and raises on "²"
# or on more than 4,300 digits.
_STATUS = re.compile(r"[0-9]{3}")
_DECIMAL = re.compile(r"[0-9]+")
_HEX = re.compile(r"[0-9A-Fa-f]+")


@dataclass(frozen=True)
class FetchLimits:
    """Seconds allowed for each stage, and for everything together; body size in bytes."""

    connect: float = 5.0
    handshake: float = 5.0
    total: float = 10.0
    max_body: int = MAX_BODY


@dataclass(frozen=True)
class _Head:
    status: int
    headers: dict[str, str]


class _Failure(Exception):
    """Ends a fetch early with an outcome (internal: fetch_https turns it into a FetchResult)."""

    def __init__(self, outcome: FetchOutcome, detail: str, head: _Head | None = None) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail
        self.head = head


def _result(
    url: str, outcome: FetchOutcome, detail: str, address: str, *, head: _Head | None, body: bytes = b""
) -> FetchResult:
    if head is None:
        return FetchResult(url, outcome, detail, address, body=body)
    return FetchResult(
        url,
        outcome,
        detail,
        address,
        head.status,
        head.headers.get("content-type", ""),
        head.headers.get("location", ""),
        body,
        head.headers,
    )


async def fetch_https(
    source: Source, host: str, path: str, port: int = 443, limits: FetchLimits | None = None
) -> FetchResult:
    """GET https://host:port/path with the address from `source`; every problem is a FetchResult outcome."""
    limits = limits or FetchLimits()
    url = f"https://{host}{'' if port == 443 else f':{port}'}{path}"
    address = ""
    try:
        async with asyncio.timeout(limits.total):
            address = await _address(source, host)
            reader, writer = await _connect(host, address, port, limits)
            try:
                head, body = await _exchange(reader, writer, host, path, limits.max_body)
            finally:
                await _close(writer)
    except _Failure as failure:
        return _result(url, failure.outcome, failure.detail, address, head=failure.head)
    except TimeoutError:
        return FetchResult(url, FetchOutcome.TIMEOUT, f"no complete answer within {limits.total:g} s", address)
    return _result(url, FetchOutcome.OK, "", address, head=head, body=body)


async def _address(source: Source, host: str) -> str:
    for rdtype in ("A", "AAAA"):
        answer = await source.resolve(host, rdtype)
        if answer.ok and answer.values:
            return answer.values[0]
        if answer.outcome.is_failure:
            raise _Failure(FetchOutcome.DNS_FAILED, f"looking up {host} failed ({answer.outcome})")
    raise _Failure(FetchOutcome.DNS_FAILED, f"{host} has no address in DNS")


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str, max_body: int
) -> tuple[_Head, bytes]:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
        "Accept: text/plain\r\nConnection: close\r\n\r\n"
    )
    writer.write(request.encode("ascii"))
    try:
        await writer.drain()
    except (ssl.SSLError, OSError) as exc:
        raise _Failure(FetchOutcome.BAD_RESPONSE, f"the connection broke: {exc}") from None
    head = await _read_head(reader)
    if 300 <= head.status < 400:
        location = head.headers.get("location", "?")
        raise _Failure(FetchOutcome.REDIRECT, f"HTTP {head.status} redirect to {location}", head)
    if head.status != 200:
        raise _Failure(FetchOutcome.HTTP_ERROR, f"HTTP {head.status}", head)
    return head, await _read_body(reader, head, max_body)


async def _close(writer: asyncio.StreamWriter) -> None:
    """Drop the connection at once: everything needed was read, and a stalled peer must not delay us."""
    writer.transport.abort()
    with contextlib.suppress(Exception):
        async with asyncio.timeout(1.0):
            await writer.wait_closed()


async def _connect(
    host: str, address: str, port: int, limits: FetchLimits
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        async with asyncio.timeout(limits.connect):
            reader, writer = await asyncio.open_connection(address, port, limit=MAX_HEADER_LINE)
    except (OSError, TimeoutError) as exc:
        detail = "no connection within the limit" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        raise _Failure(FetchOutcome.CONNECT_FAILED, f"cannot connect to {address}:{port}: {detail}") from None
    context = ssl.create_default_context()  # the system trust store; honours SSL_CERT_FILE
    try:
        async with asyncio.timeout(limits.handshake):
            await writer.start_tls(context, server_hostname=host, ssl_handshake_timeout=limits.handshake)
    except ssl.SSLCertVerificationError as exc:
        writer.transport.abort()
        raise _Failure(
            FetchOutcome.CERT_INVALID, f"the certificate is not valid for {host}: {exc.verify_message}"
        ) from None
    except (ssl.SSLError, OSError, TimeoutError) as exc:
        writer.transport.abort()
        reason = "the TLS handshake did not finish in time" if isinstance(exc, TimeoutError) else str(exc)
        raise _Failure(FetchOutcome.TLS_FAILED, reason) from None
    return reader, writer


async def _read_line(reader: asyncio.StreamReader) -> str:
    try:
        line = await reader.readline()
    except (ValueError, asyncio.LimitOverrunError):
        raise _Failure(FetchOutcome.BAD_RESPONSE, "a header line is too long") from None
    except (ssl.SSLError, OSError) as exc:
        raise _Failure(FetchOutcome.BAD_RESPONSE, f"the connection broke: {exc}") from None
    return line.decode("latin-1").rstrip("\r\n")


async def _read_head(reader: asyncio.StreamReader) -> _Head:
    """The status code and the headers (lower-case names; the first of a repeated header wins)."""
    status_line = await _read_line(reader)
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not _STATUS.fullmatch(parts[1]):
        raise _Failure(FetchOutcome.BAD_RESPONSE, f"not an HTTP response: {status_line[:60]!r}")
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS):
        line = await _read_line(reader)
        if not line:
            return _Head(int(parts[1]), headers)
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    raise _Failure(FetchOutcome.BAD_RESPONSE, f"more than {MAX_HEADERS} header lines")


async def _read_body(reader: asyncio.StreamReader, head: _Head, max_body: int) -> bytes:
    if "chunked" in head.headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader, max_body, head)
    length = head.headers.get("content-length")
    if length is not None:
        if not _DECIMAL.fullmatch(length):
            raise _Failure(FetchOutcome.BAD_RESPONSE, f"Content-Length {length[:30]!r} is not a number", head)
        digits = length.lstrip("0") or "0"
        if len(digits) > len(str(max_body)) or int(digits) > max_body:
            raise _Failure(FetchOutcome.TOO_LARGE, f"the body is {digits[:30]} bytes; the limit is {max_body}", head)
        return await _read_exactly(reader, int(digits), head)
    body = await _read_upto(reader, max_body + 1)
    if len(body) > max_body:
        raise _Failure(FetchOutcome.TOO_LARGE, f"the body is larger than {max_body} bytes", head)
    return body


async def _read_exactly(reader: asyncio.StreamReader, size: int, head: _Head) -> bytes:
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as exc:
        raise _Failure(
            FetchOutcome.BAD_RESPONSE, f"the body ended after {len(exc.partial)} of {size} bytes", head
        ) from None
    except (ssl.SSLError, OSError) as exc:
        raise _Failure(FetchOutcome.BAD_RESPONSE, f"the connection broke: {exc}", head) from None


async def _read_upto(reader: asyncio.StreamReader, size: int) -> bytes:
    """Read until the server closes or `size` bytes have arrived."""
    data = bytearray()
    try:
        while len(data) < size:
            chunk = await reader.read(size - len(data))
            if not chunk:
                break
            data += chunk
    except (ssl.SSLError, OSError):
        pass  # servers often close TLS without close_notify; what arrived is the body
    return bytes(data)


async def _read_chunked(reader: asyncio.StreamReader, max_body: int, head: _Head) -> bytes:
    body = bytearray()
    while True:
        size_text = (await _read_line(reader)).split(";", 1)[0].strip()
        if not _HEX.fullmatch(size_text):
            raise _Failure(FetchOutcome.BAD_RESPONSE, f"bad chunk size {size_text[:20]!r}", head)
        size = int(size_text, 16)
        if size == 0:
            return bytes(body)
        if len(body) + size > max_body:
            raise _Failure(FetchOutcome.TOO_LARGE, f"the body is larger than {max_body} bytes", head)
        body += await _read_exactly(reader, size, head)
        await _read_line(reader)
