"""The MTA-STS policy fetcher against local HTTPS servers whose certificates come from a trustme test CA.

The CA is trusted only through SSL_CERT_FILE, the extra bundle added to the OS trust store.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time

import pytest
import trustme

from tests.lookup.connect_proxy import proxying
from tests.lookup.policy_server import (
    POLICY,
    Handler,
    expired_context,
    replying,
    response,
    server_context,
    serving,
    stalling,
)
from wizard.lookup.https import FetchLimits, FetchOutcome, FetchResult, fetch_https
from wizard.lookup.memory import MemorySource

HOST = "mta-sts.example.test"
PATH = "/.well-known/mta-sts.txt"
LIMITS = FetchLimits(connect=1.0, handshake=1.0, total=2.0)


def fetch(handler: Handler, context: ssl.SSLContext | None, address: str = "127.0.0.1") -> FetchResult:
    """Serve `handler` on a free port (TLS with `context`, plain TCP without) and fetch the policy from it."""

    async def main() -> FetchResult:
        async with serving(handler, context) as port:
            source = MemorySource()
            source.add(HOST, "A", address)
            return await fetch_https(source, HOST, PATH, port, LIMITS)

    return asyncio.run(main())


def test_good_policy_is_fetched(trusted: trustme.CA) -> None:
    result = fetch(replying(response()), server_context(trusted, HOST))
    assert result.outcome is FetchOutcome.OK, result.detail
    assert (result.status, result.content_type, result.body) == (200, "text/plain", POLICY)
    assert result.url == f"https://{HOST}:{result.url.split(':')[2].split('/')[0]}{PATH}"
    assert result.address == "127.0.0.1"


def test_lf_only_headers_are_accepted(trusted: trustme.CA) -> None:
    raw = b"HTTP/1.0 200 OK\nContent-Type: text/plain; charset=utf-8\nContent-Length: %d\n\n" % len(POLICY) + POLICY
    result = fetch(replying(raw), server_context(trusted, HOST))
    assert result.ok and result.body == POLICY and result.content_type == "text/plain; charset=utf-8"


# The handler hangs up with transport.abort(): TLS closed without close_notify, as a cut connection looks.
CUT = POLICY[: POLICY.index(b"mx:")]  # what is left of a policy that lost its mx: lines


def test_body_shorter_than_its_content_length_is_a_failure(trusted: trustme.CA) -> None:
    raw = response(body=POLICY)[: -len(POLICY) + len(CUT)]
    result = fetch(replying(raw), server_context(trusted, HOST))
    assert result.outcome is FetchOutcome.BAD_RESPONSE and result.body == b"", result


def test_truncated_body_without_length_is_a_failure_not_a_policy_without_mx(trusted: trustme.CA) -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" + CUT
    result = fetch(replying(raw), server_context(trusted, HOST))
    assert result.outcome is FetchOutcome.BAD_RESPONSE and result.body == b"", result
    assert "cut short" in result.detail


def test_chunked_body_cut_before_its_last_chunk_is_a_failure(trusted: trustme.CA) -> None:
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n" % (len(CUT), CUT)
    result = fetch(replying(raw), server_context(trusted, HOST))
    assert result.outcome is FetchOutcome.BAD_RESPONSE, result


def test_chunked_body_is_decoded(trusted: trustme.CA) -> None:
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(POLICY[i : i + 20]), POLICY[i : i + 20]) for i in range(0, len(POLICY), 20)
    )
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    result = fetch(replying(raw), server_context(trusted, HOST))
    assert result.ok and result.body == POLICY


def test_untrusted_issuer_is_a_certificate_failure(ca: trustme.CA) -> None:
    result = fetch(replying(response()), server_context(ca, HOST))  # SSL_CERT_FILE not pointing at the test CA
    assert result.outcome is FetchOutcome.CERT_INVALID
    assert "certificate" in result.detail


def test_certificate_for_another_host_is_rejected(trusted: trustme.CA) -> None:
    result = fetch(replying(response()), server_context(trusted, "www.example.test"))
    assert result.outcome is FetchOutcome.CERT_INVALID
    assert "mismatch" in result.detail.lower() or "match" in result.detail.lower()


def test_expired_certificate_is_rejected(trusted: trustme.CA) -> None:
    result = fetch(replying(response()), expired_context(trusted, HOST))
    assert result.outcome is FetchOutcome.CERT_INVALID
    assert "expired" in result.detail


def test_redirect_is_not_followed(trusted: trustme.CA) -> None:
    raw = response("301 Moved Permanently", b"", location="https://elsewhere.example/")
    result = fetch(replying(raw), server_context(trusted, HOST))
    assert result.outcome is FetchOutcome.REDIRECT and result.status == 301
    assert result.location == "https://elsewhere.example/"


def test_not_found_is_an_http_error(trusted: trustme.CA) -> None:
    result = fetch(replying(response("404 Not Found", b"nope", "text/html")), server_context(trusted, HOST))
    assert result.outcome is FetchOutcome.HTTP_ERROR and result.status == 404 and result.body == b""


def test_ten_megabyte_body_with_length_is_refused_without_reading_it(trusted: trustme.CA) -> None:
    result = fetch(replying(response(body=b"x" * 10_000_000)), server_context(trusted, HOST))
    assert result.outcome is FetchOutcome.TOO_LARGE and "10000000" in result.detail


def test_content_length_of_five_thousand_digits_is_refused(trusted: trustme.CA) -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\nhi"
    result = fetch(replying(raw), server_context(trusted, HOST))
    assert result.outcome is FetchOutcome.BAD_RESPONSE and "Content-Length" in result.detail, result


def test_ten_megabyte_chunked_body_stops_at_the_limit(trusted: trustme.CA) -> None:
    chunk = b"x" * 100_000
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"%x\r\n%s\r\n" % (len(chunk), chunk) * 100
    result = fetch(replying(raw), server_context(trusted, HOST))
    assert result.outcome is FetchOutcome.TOO_LARGE


def test_binary_body_is_returned_for_the_caller_to_judge(trusted: trustme.CA) -> None:
    junk = bytes(range(256)) * 4
    result = fetch(
        replying(response(body=junk, content_type="application/octet-stream")), server_context(trusted, HOST)
    )
    assert result.ok and result.body == junk and result.content_type == "application/octet-stream"


def test_not_http_is_a_bad_response(trusted: trustme.CA) -> None:
    result = fetch(replying(b"SSH-2.0-OpenSSH\r\n"), server_context(trusted, HOST))
    assert result.outcome is FetchOutcome.BAD_RESPONSE


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\nhi",  # a superscript two: isdigit(), not a number
        b"HTTP/1.1 2\xb200 OK\r\nContent-Length: 2\r\n\r\nhi",
        b"HTTP/1.1 " + b"2" * 5000 + b" OK\r\nContent-Length: 2\r\n\r\nhi",  # a status code is three digits
    ],
    ids=["negative-chunk-size", "0x-chunk-size", "superscript-length", "superscript-status", "long-status"],
)
def test_numbers_that_are_not_plain_digits_are_a_bad_response(trusted: trustme.CA, raw: bytes) -> None:
    result = fetch(replying(raw), server_context(trusted, HOST))
    assert result.outcome is FetchOutcome.BAD_RESPONSE, result


def test_handshake_that_never_finishes_is_a_tls_failure(trusted: trustme.CA) -> None:
    result = fetch(stalling, None)  # plain TCP server that never speaks TLS
    assert result.outcome is FetchOutcome.TLS_FAILED, result


def test_server_that_stalls_after_the_handshake_times_out(trusted: trustme.CA) -> None:
    result = fetch(stalling, server_context(trusted, HOST))
    assert result.outcome is FetchOutcome.TIMEOUT


def test_closed_port_is_a_connection_failure(trusted: trustme.CA) -> None:
    async def main() -> FetchResult:
        source = MemorySource()
        source.add(HOST, "A", "127.0.0.1")
        return await fetch_https(source, HOST, PATH, 1, LIMITS)

    assert asyncio.run(main()).outcome is FetchOutcome.CONNECT_FAILED


def test_host_without_address_is_a_dns_failure() -> None:
    async def main() -> FetchResult:
        return await fetch_https(MemorySource(), HOST, PATH, 443, LIMITS)

    result = asyncio.run(main())
    assert result.outcome is FetchOutcome.DNS_FAILED and HOST in result.detail


def test_policy_is_fetched_through_the_https_proxy(trusted: trustme.CA, monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> tuple[FetchResult, list[str]]:
        async with proxying(monkeypatch) as proxy, serving(replying(response()), server_context(trusted, HOST)) as port:
            source = MemorySource()
            source.add(HOST, "A", "127.0.0.1")
            return await fetch_https(source, HOST, PATH, port, LIMITS), proxy.targets

    result, targets = asyncio.run(main())
    assert result.ok and result.body == POLICY, result
    assert targets == [f"127.0.0.1:{result.url.split(':')[2].split('/')[0]}"]


def test_a_refusing_proxy_is_a_connection_failure_that_says_so(
    trusted: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> FetchResult:
        async with (
            proxying(monkeypatch, refuse=True),
            serving(replying(response()), server_context(trusted, HOST)) as port,
        ):
            source = MemorySource()
            source.add(HOST, "A", "127.0.0.1")
            return await fetch_https(source, HOST, PATH, port, LIMITS)

    result = asyncio.run(main())
    assert result.outcome is FetchOutcome.CONNECT_FAILED
    assert "proxy refused" in result.detail and "403" in result.detail, result.detail


def test_no_proxy_for_the_policy_host_goes_direct(trusted: trustme.CA, monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> tuple[FetchResult, list[str]]:
        async with proxying(monkeypatch) as proxy, serving(replying(response()), server_context(trusted, HOST)) as port:
            monkeypatch.setenv("NO_PROXY", "example.test")
            source = MemorySource()
            source.add(HOST, "A", "127.0.0.1")
            return await fetch_https(source, HOST, PATH, port, LIMITS), proxy.targets

    result, targets = asyncio.run(main())
    assert result.ok and targets == []


def test_a_cancelled_fetch_ends_at_once_and_leaves_no_thread(trusted: trustme.CA) -> None:
    """Leaving the page while a server stalls: the fetch (a worker thread) is cut short, not left to run out
    its 10 s, and no thread of it is left behind."""

    async def main() -> float:
        async with serving(stalling, server_context(trusted, HOST)) as port:
            source = MemorySource()
            source.add(HOST, "A", "127.0.0.1")
            task = asyncio.ensure_future(fetch_https(source, HOST, PATH, port, FetchLimits(total=10.0)))
            await asyncio.sleep(0.5)  # connected, handshake done, waiting for the response
            started = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return time.monotonic() - started

    assert asyncio.run(main()) < 5.0
    assert not [t for t in threading.enumerate() if t.name == "wizard-https"]
