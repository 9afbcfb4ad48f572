"""Credentials for publishing (TSIG keys, provider API tokens), kept only in the OS keyring.

Windows Credential Locker, macOS Keychain or the Secret Service, through the `keyring` package, under the
service name `email-auth-wizard`. With no usable keyring (a headless Linux box) every call raises
NoKeyringError saying how to fix it: there is never a plaintext fallback, so keyring's fail and null
backends and keyrings.alt's file backends are refused. No message built here contains a secret.

Keys: `tsig:<keyname>` holds `<algorithm>:<base64 secret>`; `<provider>:<zone>` holds a provider's token.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

import keyring
import keyring.errors

from wizard import APP_ID

SERVICE = APP_ID
TSIG_PREFIX = "tsig:"
TSIG_ALGORITHMS = ("hmac-sha256", "hmac-sha512", "hmac-sha384", "hmac-sha224", "hmac-sha1", "hmac-md5")

NO_KEYRING_FIX = (
    "No usable keyring was found, and secrets are never written to a plain file. On Linux, install and unlock "
    "a Secret Service keyring (GNOME Keyring or KeePassXC: `sudo apt-get install gnome-keyring`, then log in "
    "to a desktop session, or start it with `gnome-keyring-daemon --unlock` inside `dbus-run-session`); on "
    "Windows and macOS the system keyring is used."
)
# A BIND key statement as pasted from a key file: key "name" { algorithm hmac-sha256; secret "...."; };
_KEY_STATEMENT = re.compile(
    r'algorithm\s+"?(?P<algorithm>[a-z0-9.-]+)"?\s*;.*?secret\s+"(?P<secret>[^"]+)"', re.IGNORECASE | re.DOTALL
)
_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]*:[a-z0-9_.-]+", re.IGNORECASE)


class SecretsError(Exception):
    """A secret could not be stored, found or used; the message is safe to show (it never holds the secret)."""


class InvalidSecret(SecretsError):
    """A secret name or value of the wrong form (bad input, not a keyring failure)."""


class NoKeyringError(SecretsError):
    """There is no usable OS keyring on this computer."""

    def __init__(self, backend: str) -> None:
        super().__init__(f"{NO_KEYRING_FIX} (keyring backend found: {backend})")


@dataclass(frozen=True)
class TsigKey:
    """A TSIG key read from the keyring; its secret is left out of repr() so that it never reaches a log."""

    name: str
    algorithm: str
    secret: str = field(repr=False)


def check_key(key: str) -> str:
    """`key` when it has the form `tsig:<keyname>` or `<provider>:<zone>`; SecretsError otherwise."""
    key = key.strip()
    if not _KEY.fullmatch(key):
        raise InvalidSecret(
            f"{key[:80]!r} is not a secret name: use tsig:<keyname> for a TSIG key, or <provider>:<zone> "
            "(such as cloudflare:example.com) for a provider's API token"
        )
    return key


def tsig_entry(keyname: str) -> str:
    """The keyring entry of a TSIG key."""
    return TSIG_PREFIX + keyname.strip().rstrip(".").lower()


def token_entry(provider: str, zone: str) -> str:
    """The keyring entry of a provider's API token for one zone."""
    return f"{provider.strip().lower()}:{zone.strip().rstrip('.').lower()}"


def _backend_is_usable(backend: Any) -> bool:
    """A backend that really stores secrets somewhere protected: not keyring's fail/null backends, not an empty
    chainer, not keyrings.alt's plaintext or weakly encrypted files."""
    import keyring.backends.chainer
    import keyring.backends.fail
    import keyring.backends.null

    if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
        return False
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        return any(_backend_is_usable(b) for b in backend.backends)
    return not type(backend).__module__.startswith("keyrings.alt")


def _backend() -> Any:
    backend = keyring.get_keyring()
    if not _backend_is_usable(backend):
        raise NoKeyringError(f"{type(backend).__module__}.{type(backend).__name__}")
    return backend


def _call(action: str, key: str, fn: Any, *args: str) -> Any:
    try:
        return fn(SERVICE, key, *args)
    except keyring.errors.NoKeyringError as exc:
        raise NoKeyringError(type(exc).__name__) from None
    except keyring.errors.KeyringLocked:
        raise SecretsError(f"The keyring is locked: unlock it and {action} {key} again.") from None
    except keyring.errors.KeyringError as exc:
        raise SecretsError(f"The keyring could not {action} {key}: {type(exc).__name__}") from None


def normalize_secret(key: str, value: str) -> str:
    """The value to store: a TSIG key as `<algorithm>:<base64>` (also accepted as a BIND key statement), a
    token stripped of surrounding blanks. SecretsError when it is empty or not a usable TSIG key."""
    value = value.strip()
    if not value:
        raise InvalidSecret(f"No secret was given for {key}.")
    if not key.lower().startswith(TSIG_PREFIX):
        return value
    statement = _KEY_STATEMENT.search(value)
    algorithm, _, secret = (statement["algorithm"], ":", statement["secret"]) if statement else value.partition(":")
    return f"{_tsig_algorithm(key, algorithm)}:{_tsig_secret(key, secret)}"


def _tsig_algorithm(key: str, algorithm: str) -> str:
    algorithm = algorithm.strip().lower().rstrip(".")
    if algorithm not in TSIG_ALGORITHMS:
        raise InvalidSecret(
            f"The value of {key} must be <algorithm>:<base64 secret> with an algorithm among "
            f"{', '.join(TSIG_ALGORITHMS)} (or a BIND key statement)."
        )
    return algorithm


def _tsig_secret(key: str, secret: str) -> str:
    secret = "".join(secret.split())
    try:
        if not base64.b64decode(secret, validate=True):
            raise ValueError
    except (binascii.Error, ValueError):
        raise InvalidSecret(f"The secret of {key} is not base64, as TSIG secrets are.") from None
    return secret


def set_secret(key: str, value: str) -> None:
    """Store a secret in the OS keyring (replacing any earlier one)."""
    key = check_key(key)
    stored = normalize_secret(key, value)
    _call("store", key, _backend().set_password, stored)


def get_secret(key: str) -> str | None:
    """The secret stored under `key`, or None when there is none."""
    key = check_key(key)
    value = _call("read", key, _backend().get_password)
    return value if isinstance(value, str) else None


def delete_secret(key: str) -> bool:
    """Remove a secret; False when there was none."""
    key = check_key(key)
    backend = _backend()

    def delete(service: str, entry: str) -> bool:
        try:
            backend.delete_password(service, entry)
        except keyring.errors.PasswordDeleteError:
            return False
        return True

    return bool(_call("delete", key, delete))


def tsig_key(keyname: str) -> TsigKey:
    """The TSIG key `keyname` from the keyring; SecretsError saying how to store it when it is missing."""
    entry = tsig_entry(keyname)
    value = get_secret(entry)
    if value is None:
        raise SecretsError(
            f"No TSIG key {keyname} in the keyring: store it with `{APP_ID} secret set {entry}` "
            "(it reads <algorithm>:<base64 secret> from standard input, or asks for it without echo)."
        )
    algorithm, _, secret = normalize_secret(entry, value).partition(":")
    return TsigKey(keyname.strip().rstrip("."), algorithm, secret)


def token(provider: str, zone: str) -> str:
    """A provider's API token for `zone` from the keyring; SecretsError saying how to store it when missing."""
    entry = token_entry(provider, zone)
    value = get_secret(entry)
    if value is None:
        raise SecretsError(
            f"No {provider} token for {zone} in the keyring: store it with `{APP_ID} secret set {entry}`."
        )
    return value
