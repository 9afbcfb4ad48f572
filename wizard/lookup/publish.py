"""Publishing: read the RRsets a plan touches, apply it as one RFC 2136 update per zone, verify, undo.

The update is TSIG-signed (dnspython) and carries the RRsets read as prerequisites, so the server applies
all of it or none: a zone changed since it was read is refused whole. Verification asks every authoritative
server directly (Lookup.authoritative). Before applying, the plan is saved atomically in the user data
folder; its inverse restores the records read. Failures come back as PublishError with a Failure kind and
a plain message; no secret is ever part of one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.tsig
import dns.update

from wizard.core.answers import Outcome
from wizard.core.publish import Change, Plan, PlanError, Strings, Wanted, make_plan, plan_from_json
from wizard.store import data_dir, write_atomic

if TYPE_CHECKING:
    from wizard.lookup.lookup import Lookup
    from wizard.secrets import TsigKey

UNDO_DIR = "undo"


class Failure(StrEnum):
    """Why publishing did not happen; nothing was applied in any of these cases."""

    BAD_KEY = "bad-key"  # the server does not know the key, or the secret is wrong
    NO_PERMISSION = "no-permission"  # the key is valid but may not update this zone
    ZONE_NOT_SERVED = "zone-not-served"  # the server is not a primary for the zone
    UNREACHABLE = "unreachable"  # no answer, connection refused
    CHANGED = "changed"  # the records changed since they were read: the prerequisites failed
    SERVER_FAILURE = "server-failure"
    RATE_LIMITED = "rate-limited"  # a hosted provider throttles the token
    EXPIRED_TOKEN = "expired-token"  # a hosted provider's token is expired or revoked
    BAD_PLAN = "bad-plan"  # the names cannot be published (no zone of its own, an alias...)


class PublishError(Exception):
    """Publishing failed; `failure` says why, the message says it to the admin."""

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure


class Backend(Protocol):
    """Where records are read and changed: a name server taking RFC 2136 updates, or a hosted provider's API."""

    label: str

    async def read(self, name: str, zone: str) -> tuple[tuple[Strings, ...], int | None]:
        """The TXT records at `name` as the primary holds them, and their TTL (None when there are none)."""
        ...

    async def apply(self, zone: str, changes: Sequence[Change]) -> None:
        """Apply the changes to one zone, all or nothing; PublishError otherwise."""
        ...


@dataclass
class Rfc2136:
    """A primary name server taking TSIG-signed dynamic updates (BIND, Knot, PowerDNS, Windows DNS)."""

    host: str
    port: int
    key: TsigKey
    timeout: float = 5.0

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}"

    async def read(self, name: str, zone: str) -> tuple[tuple[Strings, ...], int | None]:
        query = dns.message.make_query(name.rstrip(".") + ".", "TXT")
        query.flags &= ~dns.flags.RD
        response = await self._send(query)
        rcode = response.rcode()
        if rcode == dns.rcode.REFUSED or (
            rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) and not response.flags & dns.flags.AA
        ):
            raise PublishError(Failure.ZONE_NOT_SERVED, f"{self.label} does not serve the zone {zone}.")
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise PublishError(Failure.SERVER_FAILURE, f"{self.label} answered {dns.rcode.to_text(rcode)} for {name}.")
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.CNAME:
                raise PublishError(
                    Failure.BAD_PLAN, f"{name} is an alias (CNAME): its records are published where it points."
                )
            if rrset.rdtype == dns.rdatatype.TXT:
                return tuple(tuple(rd.strings) for rd in rrset), int(rrset.ttl)
        return (), None

    async def apply(self, zone: str, changes: Sequence[Change]) -> None:
        response = await self._send(self._message(zone, changes))
        rcode = response.rcode()
        if rcode == dns.rcode.NOERROR:
            return
        raise _refusal(rcode, zone, self.label, self.key.name)

    def _message(self, zone: str, changes: Sequence[Change]) -> dns.update.UpdateMessage:
        key = dns.tsig.Key(self.key.name, self.key.secret, self.key.algorithm)
        message = dns.update.UpdateMessage(zone.rstrip(".") + ".", keyring=key)
        for change in changes:
            owner = dns.name.from_text(change.name.rstrip(".") + ".")
            if change.before:
                message.present(owner, *(_txt(r) for r in change.before))
            else:
                message.absent(owner, dns.rdatatype.TXT)
            for record in change.remove:
                message.delete(owner, _txt(record))
            for record in change.add:
                message.add(owner, change.ttl, _txt(record))
        return message

    async def _send(self, message: dns.message.Message) -> dns.message.Message:
        try:
            return await dns.asyncquery.tcp(message, self.host, port=self.port, timeout=self.timeout)
        except dns.tsig.PeerBadKey:
            raise PublishError(Failure.BAD_KEY, f"{self.label} does not know the TSIG key {self.key.name}.") from None
        except (dns.tsig.PeerBadSignature, dns.tsig.BadSignature, dns.tsig.PeerBadTruncation):
            raise PublishError(
                Failure.BAD_KEY, f"{self.label} rejected the signature of key {self.key.name}: the secret is wrong."
            ) from None
        except dns.tsig.PeerBadTime:
            raise PublishError(
                Failure.BAD_KEY, f"{self.label} rejected the signature's time: check this computer's clock."
            ) from None
        except (dns.exception.Timeout, TimeoutError):
            raise PublishError(Failure.UNREACHABLE, f"{self.label} did not answer within {self.timeout:g} s.") from None
        except (OSError, EOFError) as exc:
            raise PublishError(Failure.UNREACHABLE, f"{self.label} could not be reached: {_os_reason(exc)}.") from None
        except dns.exception.DNSException as exc:
            raise PublishError(
                Failure.SERVER_FAILURE, f"{self.label} sent a reply that makes no sense: {exc}"
            ) from None


def _txt(record: Strings) -> dns.rdtypes.ANY.TXT.TXT:
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, record)


def _os_reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__


def _refusal(rcode: dns.rcode.Rcode, zone: str, server: str, keyname: str) -> PublishError:
    if rcode == dns.rcode.REFUSED:
        return PublishError(
            Failure.NO_PERMISSION,
            f"{server} refused the update: key {keyname} may not change zone {zone}. Ask the server's "
            "administrator to allow it (BIND: allow-update or update-policy).",
        )
    if rcode == dns.rcode.NOTAUTH:
        return PublishError(
            Failure.ZONE_NOT_SERVED,
            f"{server} is not the primary server of zone {zone} (it answered NOTAUTH): send the update to the primary.",
        )
    if rcode in (dns.rcode.NXRRSET, dns.rcode.YXRRSET, dns.rcode.NXDOMAIN, dns.rcode.YXDOMAIN):
        return PublishError(
            Failure.CHANGED,
            f"The records of {zone} changed since they were read ({dns.rcode.to_text(rcode)}); nothing was applied. "
            "Run the publish again to plan from what is there now.",
        )
    return PublishError(
        Failure.SERVER_FAILURE, f"{server} could not apply the update to {zone}: {dns.rcode.to_text(rcode)}."
    )


# --- plan, apply, verify ---------------------------------------------------------------------------------


async def server_address(lookup: Lookup, text: str) -> tuple[str, int]:
    """HOST[:PORT] as (address, port): an IP address as given, a host name through the resolver.

    ValueError (with a reason) for text that is neither; PublishError when the name has no address.
    """
    from wizard.lookup.settings import parse_server

    try:
        return parse_server(text)
    except ValueError:
        host, _, port_text = text.strip().rpartition(":") if text.count(":") == 1 else (text.strip(), "", "")
        if not port_text.isascii() or not (port_text.isdigit() or port_text == ""):
            raise ValueError(f"{text!r} is not HOST or HOST:PORT") from None
        port = int(port_text) if port_text else 53
        if not host or not 0 < port < 65536:
            raise ValueError(f"{text!r} is not HOST or HOST:PORT") from None
    answer = await lookup.resolve(host, "A")
    if not answer.ok or not answer.values:
        raise PublishError(
            Failure.UNREACHABLE, f"The server name {host} has no address ({answer.detail or answer.outcome})."
        )
    return answer.values[0], port


async def zone_of(lookup: Lookup, name: str) -> str:
    """The zone holding `name`, found through the resolver; PublishError when none is."""
    zone, _, outcome, detail = await lookup.name_servers(name)
    if zone is None:
        failure = Failure.UNREACHABLE if outcome in (Outcome.TIMEOUT, Outcome.ERROR) else Failure.BAD_PLAN
        raise PublishError(failure, f"No zone found for {name}: {detail}")
    return zone


async def make(lookup: Lookup, backend: Backend, domain: str, wanted: Sequence[Wanted]) -> Plan:
    """Read what the primary holds at every wanted name and compute the plan."""
    zones = dict(
        zip([w.name for w in wanted], await asyncio.gather(*(zone_of(lookup, w.name) for w in wanted)), strict=True)
    )
    try:
        current = {w.name: await backend.read(w.name, zones[w.name]) for w in wanted}
        return make_plan(domain, wanted, zones, current)
    except PlanError as exc:
        raise PublishError(Failure.BAD_PLAN, str(exc)) from None


async def apply(backend: Backend, plan: Plan) -> None:
    """One update per zone. A later zone's refusal leaves an earlier zone applied: the undo file covers it."""
    for zone, changes in plan.zones().items():
        await backend.apply(zone, changes)


async def verify(lookup: Lookup, plan: Plan) -> list[str]:
    """What is not yet as planned on the authoritative servers, one sentence each (empty: verified)."""
    views = await asyncio.gather(*(lookup.authoritative(c.name, "TXT") for c in plan.changes))
    problems: list[str] = []
    for change, view in zip(plan.changes, views, strict=True):
        if view.outcome is not Outcome.OK:
            problems.append(f"{change.name}: the authoritative servers could not be asked ({view.detail}).")
            continue
        expected = frozenset(change.after)
        for answer in view.servers:
            got = frozenset(t.strings for t in answer.txt) if answer.ok else frozenset()
            if answer.outcome.is_failure:
                problems.append(f"{change.name}: {answer.server} did not answer ({answer.detail or answer.outcome}).")
            elif got != expected:
                problems.append(f"{change.name}: {answer.server} does not serve the planned records yet.")
    return problems


# --- the undo file ---------------------------------------------------------------------------------------


def undo_path(domain: str, folder: Path | None = None) -> Path:
    return (folder or data_dir() / UNDO_DIR) / f"{domain.rstrip('.').lower()}.json"


def save_undo(plan: Plan, folder: Path | None = None) -> Path:
    """Save the plan (records read and records written) before applying it; its inverse is the undo."""
    path = undo_path(plan.domain, folder)
    write_atomic(path, json.dumps(plan.to_json(), indent=2).encode("utf-8"))
    return path


def load_undo(domain: str, folder: Path | None = None) -> Plan:
    """The undo of the last plan applied for `domain`; PublishError when there is none or it is unreadable."""
    path = undo_path(domain, folder)
    try:
        return plan_from_json(json.loads(path.read_bytes())).inverse()
    except FileNotFoundError:
        raise PublishError(Failure.BAD_PLAN, f"Nothing to undo for {domain}: no saved records at {path}.") from None
    except (OSError, ValueError) as exc:
        raise PublishError(Failure.BAD_PLAN, f"The saved records at {path} cannot be used: {exc}") from None
