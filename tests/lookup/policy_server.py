"""A local HTTPS server for MTA-STS policy tests: canned replies, a stalling peer, and trustme certificates."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import http.server
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmax_age: 86400\r\n"

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def server_context(ca: trustme.CA, *hosts: str, **cert_options: datetime.datetime) -> ssl.SSLContext:
    """A server TLS context with a certificate from `ca` for `hosts` (not_before/not_after may be given)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hosts, **cert_options).configure_cert(context)
    return context


def expired_context(ca: trustme.CA, host: str) -> ssl.SSLContext:
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
    return server_context(ca, host, not_before=past - datetime.timedelta(days=60), not_after=past)


def response(status: str = "200 OK", body: bytes = POLICY, content_type: str = "text/plain", **extra: str) -> bytes:
    """An HTTP/1.1 response with Content-Length; extra headers as keyword arguments (location=...)."""
    headers = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    headers += [f"{k.replace('_', '-')}: {v}" for k, v in extra.items()]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


def replying(raw: bytes) -> Handler:
    """A handler that reads the request head, sends `raw` and hangs up."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(raw)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass  # the client hung up first, as it should for oversized bodies
        finally:
            writer.transport.abort()

    return handler


async def stalling(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A peer that accepts and then never says anything (with TLS: after the handshake; without: no handshake)."""
    try:
        await asyncio.sleep(3600)
    finally:
        writer.transport.abort()


@contextlib.asynccontextmanager
async def serving(handler: Handler, context: ssl.SSLContext | None) -> AsyncIterator[int]:
    """Serve `handler` on 127.0.0.1 (TLS with `context`, plain TCP without); yields the port."""
    tasks: set[asyncio.Task[None]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        with contextlib.suppress(asyncio.CancelledError):
            await handler(reader, writer)

    server = await asyncio.start_server(tracked, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        server.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1):
                await server.wait_closed()


def trust(ca: trustme.CA, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `ca` trusted the way the system store is found: SSL_CERT_FILE pointing at its certificate."""
    bundle = folder / "test-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


@contextlib.contextmanager
def serving_in_thread(body: bytes, context: ssl.SSLContext, port: int = 0) -> Iterator[int]:
    """Serve `body` as text/plain over HTTPS from a thread (for tests whose event loop is Qt's), on `port` (0: any
    free one); yields the port."""

    class Policy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    class Server(http.server.ThreadingHTTPServer):
        def get_request(self) -> tuple[socket.socket, Any]:
            # The TLS handshake happens in the request's thread, bounded: a client that gives up half-way (a
            # check cancelled mid-handshake) must not hold the accepting thread, or shutdown() waits forever.
            connection, address = self.socket.accept()
            connection.settimeout(1.0)
            return connection, address

    server = Server(("127.0.0.1", port), Policy)
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
