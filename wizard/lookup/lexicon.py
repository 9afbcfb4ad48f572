"""Publishing through a hosted provider's API with dns-lexicon (the optional extra: `pip install .[publish]`).

Lexicon offers no all-or-nothing update, so apply() first checks that every RRset is still as it was read
(else nothing is touched), then removes and adds records one by one; when the provider refuses one
midway, what was already changed is put back before the error is reported. The token comes from the
keyring: either the token itself (lexicon's `auth_token`) or `option=value` lines for providers that
take several (GoDaddy's `auth_key`/`auth_secret`, Route 53's `auth_access_key`/`auth_access_secret`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import dns.exception
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from wizard.core.publish import Change, Strings, to_strings
from wizard.core.txt import join_strings
from wizard.lookup.publish import Failure, PublishError
from wizard.lookup.threads import in_thread

# Providers whose TXT content is zone-file text: several quoted strings are kept as several strings.
ZONE_TEXT_CONTENT = frozenset({"powerdns"})
# The option --server sets, per provider.
SERVER_OPTION = {"powerdns": "pdns_server"}


def lexicon_available() -> bool:
    try:
        import lexicon.client  # noqa: F401
    except ImportError:
        return False
    return True


def provider_names() -> list[str]:
    """The providers lexicon offers here (empty when the extra is not installed)."""
    try:
        from lexicon._private.discovery import find_providers
    except ImportError:
        return []
    return sorted(name for name, available in find_providers().items() if available)


def parse_credential(secret: str) -> dict[str, str]:
    """The provider options a keyring entry holds: `option=value` lines, or one bare token (auth_token)."""
    lines = [line.strip() for line in secret.strip().splitlines() if line.strip()]
    if lines and all("=" in line and " " not in line.partition("=")[0] for line in lines):
        return {k.strip(): v.strip() for k, _, v in (line.partition("=") for line in lines)}
    return {"auth_token": secret.strip()}


@dataclass
class LexiconBackend:
    """A hosted DNS provider reached through dns-lexicon."""

    provider: str
    options: Mapping[str, str] = field(repr=False)  # holds the token: never printed
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or f"{self.provider} (dns-lexicon)"

    async def read(self, name: str, zone: str) -> tuple[tuple[Strings, ...], int | None]:
        contents, ttl = await _in_thread(self._guarded, self._read, name, zone)
        return tuple(contents), ttl

    async def apply(self, zone: str, changes: Sequence[Change]) -> None:
        await _in_thread(self._guarded, self._apply, zone, changes)

    # --- what runs in the worker thread -----------------------------------------------------------------

    def _guarded(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except PublishError:
            raise
        except Exception as exc:  # lexicon and its providers raise requests' and their own errors
            raise self._failure(exc) from None

    @contextlib.contextmanager
    def _operations(self, zone: str, ttl: int | None = None) -> Iterator[Any]:
        from lexicon.client import Client
        from lexicon.config import ConfigResolver, DictConfigSource

        zone = zone.rstrip(".").lower()
        values: dict[str, Any] = {"provider_name": self.provider, "domain": zone, self.provider: dict(self.options)}
        if ttl is not None:
            values["ttl"] = ttl
        config = ConfigResolver().with_dict(values)  # type: ignore[no-untyped-call]
        client = Client(config)
        # Lexicon guesses the zone from the public suffix list; the zone found in DNS is the one to use.
        client.config.add_config_source(DictConfigSource({"domain": zone}), 0)
        with client as operations:
            yield operations

    def _records(self, operations: Any, name: str) -> list[Mapping[str, Any]]:
        return [r for r in operations.list_records("TXT", name) if _same_name(r, name)]

    def _listed(self, operations: Any, name: str) -> dict[Strings, str]:
        """The TXT records at `name`, each with the content string lexicon uses to delete it."""
        return {self._strings(str(r["content"])): str(r["content"]) for r in self._records(operations, name)}

    def _read(self, name: str, zone: str) -> tuple[list[Strings], int | None]:
        with self._operations(zone) as operations:
            records = self._records(operations, name)
        ttl = int(records[0]["ttl"]) if records and records[0].get("ttl") else None
        return [self._strings(str(r["content"])) for r in records], ttl

    def _apply(self, zone: str, changes: Sequence[Change]) -> None:
        with self._operations(zone) as operations:
            listed = {c.name: self._listed(operations, c.name) for c in changes}
        for change in changes:
            if set(listed[change.name]) != set(change.before):
                raise PublishError(
                    Failure.CHANGED,
                    f"The records at {change.name} changed since they were read; nothing was applied. "
                    "Run the publish again to plan from what is there now.",
                )
        done: list[tuple[str, str, str, int]] = []  # ("delete"/"create", name, content, ttl) for the rollback
        try:
            for change in changes:
                with self._operations(zone, change.ttl) as operations:
                    for record in change.remove:
                        operations.delete_record(None, "TXT", change.name, listed[change.name][record])
                        done.append(("delete", change.name, listed[change.name][record], change.ttl))
                    for record in change.add:
                        operations.create_record("TXT", change.name, self._content(record))
                        done.append(("create", change.name, self._content(record), change.ttl))
        except Exception:
            self._roll_back(zone, done)
            raise

    def _roll_back(self, zone: str, done: list[tuple[str, str, str, int]]) -> None:
        for action, name, content, ttl in reversed(done):
            with contextlib.suppress(Exception), self._operations(zone, ttl) as operations:
                if action == "delete":
                    operations.create_record("TXT", name, content)
                else:
                    operations.delete_record(None, "TXT", name, content)

    # --- content <-> strings ---------------------------------------------------------------------------

    def _strings(self, content: str) -> Strings:
        """A record's strings from lexicon's content (zone-file text for some providers, the value for others)."""
        if self.provider in ZONE_TEXT_CONTENT:
            try:
                rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, f'"{content}"')
                return tuple(rdata.strings)  # type: ignore[attr-defined]
            except dns.exception.DNSException:
                pass
        return to_strings(content)

    def _content(self, record: Strings) -> str:
        """The content lexicon sends for a record: its strings as zone-file text (without the outer quotes)
        where the provider takes that, else the value joined."""
        if self.provider in ZONE_TEXT_CONTENT:
            return '" "'.join(_escape(s) for s in record)
        return join_strings(record)

    def _failure(self, exc: Exception) -> PublishError:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        name = type(exc).__name__
        if status in (401,):
            return PublishError(
                Failure.EXPIRED_TOKEN,
                f"{self.provider} rejected the token (HTTP 401): it is wrong, expired or revoked. Store a new one "
                "with `secret set`.",
            )
        if status == 403:
            return PublishError(
                Failure.NO_PERMISSION, f"{self.provider}: the token may not change this zone (HTTP 403)."
            )
        if status == 429:
            return PublishError(
                Failure.RATE_LIMITED, f"{self.provider} is rate-limiting the token (HTTP 429): wait a minute and retry."
            )
        if status in (404, 422):
            return PublishError(Failure.ZONE_NOT_SERVED, f"{self.provider} does not hold this zone (HTTP {status}).")
        if status is not None:
            return PublishError(Failure.SERVER_FAILURE, f"{self.provider} answered HTTP {status}.")
        if name in ("ConnectionError", "ConnectTimeout", "ReadTimeout", "Timeout", "SSLError"):
            return PublishError(Failure.UNREACHABLE, f"{self.provider} could not be reached ({name}).")
        return PublishError(Failure.SERVER_FAILURE, f"{self.provider} failed: {name}.")


async def _in_thread(fn: Any, *args: Any) -> Any:
    """Run lexicon's blocking HTTP calls in a worker thread, with the garbage collector paused meanwhile
    (wizard.lookup.threads: a collection in the worker could free a Qt object off the GUI thread)."""
    return await in_thread(partial(fn, *args), "wizard-lexicon")


def _same_name(record: Mapping[str, Any], name: str) -> bool:
    return str(record.get("name", "")).rstrip(".").lower() == name.rstrip(".").lower()


def _escape(piece: bytes) -> str:
    out = []
    for byte in piece:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return "".join(out)


def lexicon_backend(provider: str, credential: str, server: str | None = None) -> LexiconBackend:
    """The backend for a lexicon provider, given the keyring entry's value (see parse_credential)."""
    options = parse_credential(credential)
    if server and provider in SERVER_OPTION:
        options[SERVER_OPTION[provider]] = server
    return LexiconBackend(provider, options, f"{provider} {server}" if server else "")
