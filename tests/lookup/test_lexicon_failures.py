"""How a hosted provider's HTTP refusals read (PowerDNS cannot be made to rate-limit or expire a token)."""

from __future__ import annotations

import pytest

from wizard.lookup.lexicon import LexiconBackend, parse_credential
from wizard.lookup.publish import Failure


class _Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


class HTTPError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"{status} Client Error: token tok-secret-1 refused")
        self.response = _Response(status)


class ConnectionError(Exception):
    pass


@pytest.mark.parametrize(
    ("error", "failure", "words"),
    [
        (HTTPError(401), Failure.EXPIRED_TOKEN, "wrong, expired or revoked"),
        (HTTPError(403), Failure.NO_PERMISSION, "may not change this zone"),
        (HTTPError(429), Failure.RATE_LIMITED, "rate-limiting"),
        (HTTPError(404), Failure.ZONE_NOT_SERVED, "does not hold this zone"),
        (HTTPError(500), Failure.SERVER_FAILURE, "HTTP 500"),
        (ConnectionError("refused"), Failure.UNREACHABLE, "could not be reached"),
        (KeyError("tok-secret-1"), Failure.SERVER_FAILURE, "failed: KeyError"),
    ],
)
def test_refusals_are_plain_and_never_echo_the_provider_message(error: Exception, failure: Failure, words: str) -> None:
    backend = LexiconBackend("cloudflare", {"auth_token": "tok-secret-1"})
    result = backend._failure(error)
    assert result.failure is failure and words in str(result)
    assert "tok-secret-1" not in str(result) and "tok-secret-1" not in repr(backend)


def test_a_credential_is_a_token_or_option_lines() -> None:
    assert parse_credential("  abc123\n") == {"auth_token": "abc123"}
    assert parse_credential("auth_key=k1\nauth_secret=s=2\n") == {"auth_key": "k1", "auth_secret": "s=2"}
    assert parse_credential("token with = inside") == {"auth_token": "token with = inside"}
