"""What an HTTPS fetch gave (the MTA-STS policy file): typed outcomes as plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FetchOutcome(StrEnum):
    OK = "ok"  # 200 with a body within the limit
    DNS_FAILED = "dns-failed"  # the host has no address (or the lookup failed)
    CONNECT_FAILED = "connect-failed"  # refused, unreachable, or no connection within the limit
    TLS_FAILED = "tls-failed"  # the handshake failed or did not finish in time
    CERT_INVALID = "certificate-invalid"  # expired, wrong host name, untrusted issuer...
    TIMEOUT = "timeout"  # the server stopped answering after the handshake
    REDIRECT = "redirect"  # a 3xx: MTA-STS forbids following it
    HTTP_ERROR = "http-error"  # any other status than 200
    TOO_LARGE = "too-large"
    BAD_RESPONSE = "bad-response"  # not an HTTP response we can read, or a body cut short


@dataclass(frozen=True)
class FetchResult:
    """What fetching one URL gave: the outcome, and what was received before it was decided."""

    url: str
    outcome: FetchOutcome
    detail: str = ""
    address: str = ""
    status: int | None = None
    content_type: str = ""
    location: str = ""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome is FetchOutcome.OK
