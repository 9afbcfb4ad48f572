"""The HTTPS GET for MTA-STS policies (RFC 8461 3.3): strict, bounded, and never raising.

The host is resolved through the lookup layer (so a lab's or company's resolver applies) and that address is
connected to, with SNI and certificate checks for the policy host; the certificate is validated against the
OS trust store plus SSL_CERT_FILE (wizard.lookup.trust); the system's HTTPS proxy (HTTPS_PROXY, or Windows'
and macOS' settings) is honoured; redirects are not followed; the connection, the TLS handshake, the whole
exchange and the body size are all limited. A body whose end cannot be told from a cut connection (neither
Content-Length nor chunked) is refused: a policy truncated by a dropped TLS connection would otherwise lose
its mx: lines and still parse.

HTTP/1.1 is spoken by h11 (python-hyper's sans-I/O protocol library, the one httpcore is built on) over a
blocking TLS socket in a worker thread (wizard.lookup.threads). One GET of a small text file needs nothing of
HTTP/2, redirects, cookies or content decoding, and importing httpx2 and its transport stack (httpcore2, anyio,
h2) cost about 0.2 s of CPU per process, more than the rest of a one-domain check. In the thread, the
handshake and truststore's certificate check (the OS's own APIs on Windows and macOS, the CA bundle OpenSSL
reads on Linux) never hold up the event loop, the wizard's GUI thread included.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import ssl
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import h11

from wizard.core.answers import Source
from wizard.core.fetched import FetchOutcome, FetchResult
from wizard.lookup.threads import in_thread
from wizard.lookup.trust import trust_context

__all__ = ["FetchLimits", "FetchOutcome", "FetchResult", "fetch_https"]
MAX_BODY = 64 * 1024  # RFC 8461 policies are a few hundred bytes; 64 KiB is generous
MAX_HEAD = 16 * 1024  # the status line and headers
USER_AGENT = "email-auth-wizard (MTA-STS check)"
_PROXY_VARIABLES = ("https_proxy", "all_proxy")  # as urllib reads them, in either case


@dataclass(frozen=True)
class FetchLimits:
    """Seconds allowed for each stage, and for everything together; body size in bytes."""

    connect: float = 5.0
    handshake: float = 5.0
    total: float = 10.0
    max_body: int = MAX_BODY


@dataclass(frozen=True)
class _Head:
    """A response's status and headers (names in lower case; of a repeated header, the first)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)


class _Failure(Exception):
    """Ends a fetch early with an outcome (internal: fetch_https turns it into a FetchResult)."""

    def __init__(self, outcome: FetchOutcome, detail: str, head: _Head | None = None) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail
        self.head = head


def _result(
    url: str, outcome: FetchOutcome, detail: str, address: str, head: _Head | None, *, body: bytes = b""
) -> FetchResult:
    if head is None:
        return FetchResult(url, outcome, detail, address, body=body)
    headers = head.headers
    content_type, location = headers.get("content-type", ""), headers.get("location", "")
    return FetchResult(url, outcome, detail, address, head.status, content_type, location, body, headers)


async def fetch_https(
    source: Source, host: str, path: str, port: int = 443, limits: FetchLimits | None = None
) -> FetchResult:
    """GET https://host:port/path with the address from `source`; every problem is a FetchResult outcome."""
    limits = limits or FetchLimits()
    url = f"https://{host}{'' if port == 443 else f':{port}'}{path}"
    deadline = time.monotonic() + limits.total
    address = ""
    try:
        async with asyncio.timeout(limits.total):
            address = await _address(source, host)
        exchange = _Exchange(host, address, port, path, limits=limits, deadline=deadline)
        head, body = await in_thread(exchange.run, "wizard-https", on_cancel=exchange.abort)
    except _Failure as failure:
        return _result(url, failure.outcome, failure.detail, address, failure.head)
    except TimeoutError:
        return FetchResult(url, FetchOutcome.TIMEOUT, _no_answer(limits), address)
    return _result(url, FetchOutcome.OK, "", address, head, body=body)


def _no_answer(limits: FetchLimits) -> str:
    return f"no complete answer within {limits.total:g} s"


async def _address(source: Source, host: str) -> str:
    for rdtype in ("A", "AAAA"):
        answer = await source.resolve(host, rdtype)
        if answer.ok and answer.values:
            return answer.values[0]
        if answer.outcome.is_failure:
            raise _Failure(FetchOutcome.DNS_FAILED, f"looking up {host} failed ({answer.outcome})")
    raise _Failure(FetchOutcome.DNS_FAILED, f"{host} has no address in DNS")


@dataclass(frozen=True)
class _Proxy:
    """The HTTPS proxy to tunnel a connection through (CONNECT)."""

    host: str
    port: int
    authorization: str | None  # a Proxy-Authorization value, from user:password in the proxy's URL
    url: str  # for messages, without the password


def proxy_for(host: str, address: str) -> _Proxy | None:
    """The HTTPS proxy the system sets for this host, or None (no proxy, or NO_PROXY / the bypass list names
    the host or its address). On Linux only the environment can set one, so urllib (30 ms to import) is read
    only when one of its variables is set; Windows' and macOS' settings are read by urllib itself."""
    if sys.platform not in ("win32", "darwin") and not any(name.lower() in _PROXY_VARIABLES for name in os.environ):
        return None
    import urllib.request

    proxies = urllib.request.getproxies()
    url = proxies.get("https") or proxies.get("all")
    if not url or urllib.request.proxy_bypass(host) or urllib.request.proxy_bypass(address):
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    shown = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
    if parts.scheme != "http" or not parts.hostname:
        raise _Failure(
            FetchOutcome.CONNECT_FAILED,
            f"the HTTPS proxy {shown} is not an http:// proxy address, the only kind this check can use",
        )
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
    return _Proxy(parts.hostname, parts.port or 80, authorization, shown)


class _Exchange:
    """One fetch on a blocking socket, run in a worker thread: connect (through the proxy's tunnel when there
    is one), TLS, then the GET through h11. Each stage's socket timeout is its own limit or what is left of the
    total, whichever is less; `abort` (from the event loop's thread) shuts the socket to end it early."""

    def __init__(self, host: str, address: str, port: int, path: str, *, limits: FetchLimits, deadline: float) -> None:
        self.host, self.address, self.port, self.path = host, address, port, path
        self.limits, self.deadline = limits, deadline
        self.sock: socket.socket | None = None
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def run(self) -> tuple[_Head, bytes]:
        try:
            plain = self._connect()
            tls = self._handshake(plain)
            return self._get(tls)
        finally:
            if self.sock is not None:
                with contextlib.suppress(OSError):
                    self.sock.close()

    def _within(self, limit: float | None) -> tuple[float, bool]:
        """The timeout for a stage of `limit` seconds (None: no limit of its own), and whether the stage's limit
        (not the total) is what it ends on."""
        left = self.deadline - time.monotonic()
        if self.aborted or left <= 0:
            raise TimeoutError
        if limit is not None and limit < left:
            return limit, True
        return left, False

    def _connect(self) -> socket.socket:
        proxy = proxy_for(self.host, self.address)
        target = (proxy.host, proxy.port) if proxy else (self.address, self.port)
        where = f"the HTTPS proxy {proxy.url}" if proxy else f"{self.address}:{self.port}"
        seconds, staged = self._within(self.limits.connect)
        try:
            self.sock = socket.create_connection(target, timeout=seconds)
            if proxy is not None:
                self._tunnel(self.sock, proxy)
        except TimeoutError:
            if not staged:
                raise
            raise _Failure(
                FetchOutcome.CONNECT_FAILED, f"cannot connect to {where}: no connection within the limit"
            ) from None
        except OSError as exc:
            detail = exc.strerror or str(exc) or type(exc).__name__
            raise _Failure(FetchOutcome.CONNECT_FAILED, f"cannot connect to {where}: {detail}") from None
        return self.sock

    def _tunnel(self, sock: socket.socket, proxy: _Proxy) -> None:
        """CONNECT to the policy host's address through the proxy (the stage's timeout is already set)."""
        target = f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"
        headers = [("Host", target), *([("Proxy-Authorization", proxy.authorization)] if proxy.authorization else [])]
        conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
        sock.sendall(conn.send(h11.Request(method="CONNECT", target=target, headers=headers)) or b"")
        sock.sendall(conn.send(h11.EndOfMessage()) or b"")
        try:
            event = _response_head(conn, sock)
        except h11.RemoteProtocolError as exc:
            raise _Failure(
                FetchOutcome.CONNECT_FAILED, f"the HTTPS proxy {proxy.url} did not answer in HTTP: {exc}"
            ) from None
        if not 200 <= event.status_code < 300:
            reason = event.reason.decode("latin-1", "replace")
            detail = f"the HTTPS proxy refused the connection: HTTP {event.status_code} {reason}".rstrip()
            raise _Failure(FetchOutcome.CONNECT_FAILED, detail)

    def _handshake(self, plain: socket.socket) -> ssl.SSLSocket:
        seconds, staged = self._within(self.limits.handshake)
        plain.settimeout(seconds)
        try:
            tls = trust_context().wrap_socket(plain, server_hostname=self.host)
        except ssl.SSLCertVerificationError as exc:
            message = exc.verify_message or str(exc)
            raise _Failure(
                FetchOutcome.CERT_INVALID, f"the certificate is not valid for {self.host}: {message}"
            ) from None
        except TimeoutError:
            if not staged:
                raise
            raise _Failure(FetchOutcome.TLS_FAILED, "the TLS handshake did not finish in time") from None
        except OSError as exc:  # ssl.SSLError included
            raise _Failure(FetchOutcome.TLS_FAILED, str(exc) or "the TLS handshake failed") from None
        self.sock = tls
        return tls

    def _get(self, tls: ssl.SSLSocket) -> tuple[_Head, bytes]:
        """Send the GET and read the response within the total limit and the body limit."""
        host_header = self.host if self.port == 443 else f"{self.host}:{self.port}"
        headers = [("Host", host_header), ("User-Agent", USER_AGENT), ("Accept", "text/plain")]
        headers += [("Accept-Encoding", "identity"), ("Connection", "close")]
        conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
        try:
            tls.settimeout(self._within(None)[0])
            tls.sendall(
                (conn.send(h11.Request(method="GET", target=self.path, headers=headers)) or b"")
                + (conn.send(h11.EndOfMessage()) or b"")
            )
            event = _response_head(conn, tls, self._within)
            head = _Head(event.status_code, _headers(event.headers))
            framed = _check_head(head, self.limits.max_body)
            body = _read_body(conn, tls, head, self.limits.max_body, self._within)
        except h11.RemoteProtocolError as exc:
            raise _Failure(FetchOutcome.BAD_RESPONSE, f"not a complete HTTP response: {exc}") from None
        except TimeoutError:
            raise
        except OSError as exc:
            detail = exc.strerror or str(exc) or type(exc).__name__
            raise _Failure(FetchOutcome.BAD_RESPONSE, f"the connection failed during the exchange: {detail}") from None
        if not framed:
            raise _Failure(
                FetchOutcome.BAD_RESPONSE,
                "the server sent neither Content-Length nor chunked encoding, so a body cut short cannot be told "
                "from a complete one",
                head,
            )
        return head, body


def _check_head(head: _Head, max_body: int) -> bool:
    """Refuse redirects, other statuses and a declared length over the limit; True when the body is framed."""
    status = head.status
    if 300 <= status < 400:
        location = head.headers.get("location", "?")
        raise _Failure(FetchOutcome.REDIRECT, f"HTTP {status} redirect to {location}", head)
    if status != 200:
        raise _Failure(FetchOutcome.HTTP_ERROR, f"HTTP {status}", head)
    length = head.headers.get("content-length")
    if length is not None:  # h11 has checked that it is all ASCII digits
        digits = length.lstrip("0") or "0"
        if len(digits) > len(str(max_body)) or int(digits) > max_body:
            detail = f"the body is {digits[:30]} bytes; the limit is {max_body}"
            raise _Failure(FetchOutcome.TOO_LARGE, detail, head)
    # A read-until-close body is not framed: a TLS connection cut short (no close_notify) looks like its end.
    return length is not None or "chunked" in head.headers.get("transfer-encoding", "").lower()


Within = Callable[[float | None], tuple[float, bool]]


def _next_event(conn: h11.Connection, sock: socket.socket, within: Within | None = None) -> object:
    """h11's next event, reading from the socket as it needs (each read within what is left of the total)."""
    while (event := conn.next_event()) is h11.NEED_DATA:
        if within is not None:
            sock.settimeout(within(None)[0])
        conn.receive_data(sock.recv(65536))
    return event


def _response_head(conn: h11.Connection, sock: socket.socket, within: Within | None = None) -> h11.Response:
    """The final response's head (1xx responses skipped); a connection closed before it is a protocol error."""
    while True:
        event = _next_event(conn, sock, within)
        if isinstance(event, h11.Response):
            return event
        if not isinstance(event, h11.InformationalResponse):
            raise h11.RemoteProtocolError("the connection closed before a response")


def _read_body(conn: h11.Connection, sock: socket.socket, head: _Head, max_body: int, within: Within) -> bytes:
    """Read the body to its end; more than max_body bytes is TOO_LARGE (nothing more is read)."""
    body = bytearray()
    while True:
        event = _next_event(conn, sock, within)
        if isinstance(event, h11.Data):
            body += event.data
            if len(body) > max_body:
                raise _Failure(FetchOutcome.TOO_LARGE, f"the body is larger than {max_body} bytes", head)
        elif isinstance(event, h11.EndOfMessage):
            return bytes(body)
        else:
            raise h11.RemoteProtocolError("the connection closed before the end of the body")


def _headers(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """The response's headers by lower-case name (h11 gives them so); of a repeated one, the first."""
    named: dict[str, str] = {}
    for name, value in headers:
        named.setdefault(name.decode("ascii"), value.decode("latin-1"))
    return named
