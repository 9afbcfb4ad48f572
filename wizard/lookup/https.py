"""The HTTPS GET for MTA-STS policies (RFC 8461 3.3), on httpx2: strict, bounded, and never raising.

The host is resolved through the lookup layer (so a lab's or company's resolver applies) and that address is
connected to, with SNI and certificate checks for the policy host; the certificate is validated against the
OS trust store plus SSL_CERT_FILE (wizard.lookup.trust); HTTPS_PROXY is honoured; redirects are not followed;
the connection, the TLS handshake, the whole exchange and the body size are all limited. A body whose end
cannot be told from a cut connection (neither Content-Length nor chunked) is refused: a policy truncated by
a dropped TLS connection would otherwise lose its mx: lines and still parse.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2

from wizard.core.answers import Source
from wizard.core.fetched import FetchOutcome, FetchResult
from wizard.lookup.trust import trust_context, trust_context_in_thread

__all__ = ["FetchLimits", "FetchOutcome", "FetchResult", "fetch_https"]
MAX_BODY = 64 * 1024  # RFC 8461 policies are a few hundred bytes; 64 KiB is generous
USER_AGENT = "email-auth-wizard (MTA-STS check)"
_E = TypeVar("_E", bound=BaseException)


@dataclass(frozen=True)
class FetchLimits:
    """Seconds allowed for each stage, and for everything together; body size in bytes."""

    connect: float = 5.0
    handshake: float = 5.0
    total: float = 10.0
    max_body: int = MAX_BODY


class _Failure(Exception):
    """Ends a fetch early with an outcome (internal: fetch_https turns it into a FetchResult)."""

    def __init__(self, outcome: FetchOutcome, detail: str, response: httpx2.Response | None = None) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail
        self.response = response


def _result(
    url: str, outcome: FetchOutcome, detail: str, address: str, response: httpx2.Response | None, *, body: bytes = b""
) -> FetchResult:
    if response is None:
        return FetchResult(url, outcome, detail, address, body=body)
    headers = {name.lower(): value for name, value in reversed(list(response.headers.multi_items()))}  # first wins
    return FetchResult(
        url,
        outcome,
        detail,
        address,
        response.status_code,
        headers.get("content-type", ""),
        headers.get("location", ""),
        body,
        headers,
    )


class _Stages:
    """The connect and handshake deadlines, kept by following httpcore's trace of the connection's stages.

    One asyncio.timeout is moved as the stages begin: `connect` seconds for TCP, `handshake` for TLS, and
    then only the total deadline. `stage` tells what was going on when something failed.
    """

    def __init__(self, limits: FetchLimits) -> None:
        self.limits = limits
        self.timer: asyncio.Timeout | None = None
        self.stage = "connect"

    def _reschedule(self, seconds: float | None) -> None:
        if self.timer is not None:
            when = None if seconds is None else asyncio.get_running_loop().time() + seconds
            self.timer.reschedule(when)

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace callback: `event` is e.g. "connection.start_tls.started"."""
        if event.endswith("connect_tcp.started"):
            self.stage = "connect"
            self._reschedule(self.limits.connect)
        elif event.endswith("start_tls.started"):
            self.stage = "tls"
            self._reschedule(self.limits.handshake)
        elif event.endswith("start_tls.complete"):
            self.stage = "exchange"
            self._reschedule(None)


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
            response, body = await _get(host, address, port, path, limits)
    except _Failure as failure:
        return _result(url, failure.outcome, failure.detail, address, failure.response)
    except TimeoutError:
        return FetchResult(url, FetchOutcome.TIMEOUT, f"no complete answer within {limits.total:g} s", address)
    return _result(url, FetchOutcome.OK, "", address, response, body=body)


async def _address(source: Source, host: str) -> str:
    for rdtype in ("A", "AAAA"):
        answer = await source.resolve(host, rdtype)
        if answer.ok and answer.values:
            return answer.values[0]
        if answer.outcome.is_failure:
            raise _Failure(FetchOutcome.DNS_FAILED, f"looking up {host} failed ({answer.outcome})")
    raise _Failure(FetchOutcome.DNS_FAILED, f"{host} has no address in DNS")


def http_client(*, verify: ssl.SSLContext | None = None, **options: Any) -> httpx2.AsyncClient:
    """An httpx2 client that trusts the OS store (+ SSL_CERT_FILE) and goes through HTTPS_PROXY when it is set
    (`verify`: that trust, already built)."""
    context = verify if verify is not None else trust_context(http2=bool(options.get("http2")))
    return httpx2.AsyncClient(verify=context, trust_env=True, follow_redirects=False, **options)


async def _get(host: str, address: str, port: int, path: str, limits: FetchLimits) -> tuple[httpx2.Response, bytes]:
    """Connect to `address` (TLS for `host`), send the GET and read the body within the limits."""
    target = f"[{address}]" if ":" in address else address
    headers = {"Host": host if port == 443 else f"{host}:{port}", "User-Agent": USER_AGENT}
    headers |= {"Accept": "text/plain", "Accept-Encoding": "identity"}
    stages = _Stages(limits)
    context = await trust_context_in_thread()
    try:
        async with asyncio.timeout(None) as timer:
            stages.timer = timer
            async with http_client(verify=context, timeout=limits.total) as client:
                request = client.build_request(
                    "GET",
                    f"https://{target}:{port}{path}",
                    headers=headers,
                    extensions={"sni_hostname": host, "trace": stages.trace},
                )
                return await _send(client, request, limits.max_body)
    except TimeoutError:  # the stage's deadline (the total one is raised by the caller's asyncio.timeout)
        if stages.stage == "connect":
            raise _Failure(
                FetchOutcome.CONNECT_FAILED, f"cannot connect to {address}:{port}: no connection within the limit"
            ) from None
        raise _Failure(FetchOutcome.TLS_FAILED, "the TLS handshake did not finish in time") from None
    except httpx2.HTTPError as exc:
        raise _classify(exc, stages.stage, host, address, port) from None


async def _send(client: httpx2.AsyncClient, request: httpx2.Request, max_body: int) -> tuple[httpx2.Response, bytes]:
    response = await client.send(request, stream=True)
    try:
        framed = _check_head(response, max_body)
        body = await _read_body(response, max_body, framed=framed)
    finally:
        await response.aclose()
    return response, body


def _check_head(response: httpx2.Response, max_body: int) -> bool:
    """Refuse redirects, other statuses and a declared length over the limit; True when the body is framed."""
    status = response.status_code
    if 300 <= status < 400:
        location = response.headers.get("location", "?")
        raise _Failure(FetchOutcome.REDIRECT, f"HTTP {status} redirect to {location}", response)
    if status != 200:
        raise _Failure(FetchOutcome.HTTP_ERROR, f"HTTP {status}", response)
    length = response.headers.get("content-length")
    if length is not None and length.isascii() and length.isdigit():
        digits = length.lstrip("0") or "0"
        if len(digits) > len(str(max_body)) or int(digits) > max_body:
            detail = f"the body is {digits[:30]} bytes; the limit is {max_body}"
            raise _Failure(FetchOutcome.TOO_LARGE, detail, response)
    # HTTP/2 frames every body; HTTP/1 read-until-close does not: a TLS connection cut short (no close_notify)
    # would look like the end of the body.
    chunked = "chunked" in response.headers.get("transfer-encoding", "").lower()
    return length is not None or chunked or not response.http_version.startswith("HTTP/1")


async def _read_body(response: httpx2.Response, max_body: int, *, framed: bool) -> bytes:
    """Read at most max_body bytes; more is TOO_LARGE, and an unframed body is refused once read (see above)."""
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += chunk
        if len(body) > max_body:
            raise _Failure(FetchOutcome.TOO_LARGE, f"the body is larger than {max_body} bytes", response)
    if not framed:
        raise _Failure(
            FetchOutcome.BAD_RESPONSE,
            "the server sent neither Content-Length nor chunked encoding, so a body cut short cannot be told "
            "from a complete one",
            response,
        )
    return bytes(body)


def _classify(exc: httpx2.HTTPError, stage: str, host: str, address: str, port: int) -> _Failure:
    """The outcome of an httpx2 error, by the stage it happened in."""
    verify = _cause(exc, ssl.SSLCertVerificationError)
    if verify is not None:
        return _Failure(FetchOutcome.CERT_INVALID, f"the certificate is not valid for {host}: {verify.verify_message}")
    if isinstance(exc, httpx2.ProxyError):
        return _Failure(FetchOutcome.CONNECT_FAILED, f"the HTTPS proxy refused the connection: {exc}")
    if isinstance(exc, httpx2.TimeoutException):
        return _Failure(FetchOutcome.TIMEOUT, f"the server stopped answering ({type(exc).__name__})")
    if stage == "connect":
        reason = _cause(exc, OSError)
        detail = (reason.strerror if reason is not None else None) or str(exc) or type(exc).__name__
        return _Failure(FetchOutcome.CONNECT_FAILED, f"cannot connect to {address}:{port}: {detail}")
    if stage == "tls":
        return _Failure(FetchOutcome.TLS_FAILED, str(exc) or "the TLS handshake failed")
    return _Failure(FetchOutcome.BAD_RESPONSE, f"not a complete HTTP response: {exc or type(exc).__name__}")


def _cause(exc: BaseException, kind: type[_E]) -> _E | None:
    """The first exception of `kind` in exc's chain of causes."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
