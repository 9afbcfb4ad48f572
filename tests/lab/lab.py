"""The DNS lab: two authoritative BIND servers, a caching resolver and a black hole, all on loopback.

Layout (P and R are free ports chosen per lab)::

    auth[0]    127.0.0.1:P   primary for the generated TLD zones (test., com. ...) and every zone of the
                             zone folder                                            (ns1.lab.test)
    auth[1]    127.0.0.2:P   the same zones, loaded independently (no transfer)     (ns2.lab.test)
    blackhole  127.0.0.3:P   accepts, never answers; the only NS of dead.test       (ns3.lab.test)
    resolver   127.0.0.1:R   recursive and caching; forwards each lab TLD to auth[0] only; serves its own
                             root zone, so any name in another TLD is NXDOMAIN at once and nothing leaves
                             the machine

Zones may have any name (``example.test``, ``mycimcloud.com``...): see :mod:`tests.lab.zones`.

The resolver's cache cannot be flushed (there is no control channel): a test that needs a fresh resolver
view uses a new lab. The resolver answers SERVFAIL at once (not after a timeout) for names under
dead.test, because auth[0] refers it to ns3 and a forwarding resolver does not follow referrals.
"""

from __future__ import annotations

import base64
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

from . import zones as lab_zones
from .bind import (
    LabStartError,
    NamedServer,
    PortInUseError,
    auth_config,
    ensure_loopback,
    free_port,
    named_binary,
    resolver_config,
)
from .blackhole import BlackHole

if TYPE_CHECKING:
    from wizard.lookup.settings import LookupSettings

AUTH_ADDRESSES = ("127.0.0.1", "127.0.0.2")
BLACKHOLE_ADDRESS = "127.0.0.3"
RESOLVER_ADDRESS = "127.0.0.1"
KEY_NAME = "lab-key"
#: A TSIG key the authoritative servers know but that may update no zone.
READONLY_KEY_NAME = "lab-readonly-key"
START_ATTEMPTS = 3
#: How much of each server's log a LabStartError quotes.
LOG_LINES = 25

#: (name, ttl, rdtype, rdata text) as given to :meth:`Lab.update`.
Record = tuple[str, int, str, str]
#: (name, rdtype) deletes the RRset ("ANY" deletes every RRset at the name); (name, rdtype, rdata) one record.
Deletion = tuple[str, str] | tuple[str, str, str]


class LabUpdateError(RuntimeError):
    """A dynamic update was refused (the rcode was not NOERROR)."""

    def __init__(self, zone: str, server: NamedServer, rcode: dns.rcode.Rcode) -> None:
        super().__init__(f"update of {zone} on {server.role} ({server.address}:{server.port}): {rcode.name}")
        self.rcode = rcode


class Lab:
    """A running lab. Start with :meth:`start`, stop with :meth:`stop` (or use it as a context manager).

    Attributes:
        port: P, the DNS port of both authoritative servers and of the black hole.
        resolver_port: R, the resolver's port (on 127.0.0.1).
        auth: the two authoritative servers (``.address``, ``.port``, ``.log_path``, ``.directory``).
        resolver: the caching resolver (same attributes).
        blackhole: (address, port) of the server that never answers (127.0.0.3, P).
        zones: the zone names loaded on both authoritative servers (absolute; the generated TLD zones first,
            ``test.`` leading).
        key_name, key_secret: the TSIG key (hmac-sha256) every zone accepts updates with.
        readonly_key_name, readonly_key_secret: a TSIG key (hmac-sha256) the servers know, allowed to update nothing.
    """

    def __init__(self, tmp: Path, port: int, resolver_port: int, blackhole: BlackHole) -> None:
        self.tmp = tmp
        self.port = port
        self.resolver_port = resolver_port
        self._blackhole = blackhole
        self.auth = [
            NamedServer(f"auth{i}", address, port, tmp / f"auth{i}") for i, address in enumerate(AUTH_ADDRESSES)
        ]
        self.resolver = NamedServer("resolver", RESOLVER_ADDRESS, resolver_port, tmp / "resolver", probe=".")
        self.zones: list[str] = []
        self.key_name = KEY_NAME
        self.key_secret = base64.b64encode(os.urandom(32)).decode()
        self.keyring = dns.tsigkeyring.from_text({KEY_NAME: self.key_secret})
        self.readonly_key_name = READONLY_KEY_NAME
        self.readonly_key_secret = base64.b64encode(os.urandom(32)).decode()
        self.startup_seconds = 0.0

    # ---- life cycle -------------------------------------------------------------------------------------

    @classmethod
    def start(cls, zone_dir: Path, tmp: Path, *, timeout: float = 5.0) -> Lab:
        """Start a lab serving every ``*.zone`` file of ``zone_dir`` (under any TLD), working in ``tmp``
        (created if needed).

        The three named processes start in parallel; each is polled (its log says the zones are loaded,
        then an SOA query answers) until ``timeout`` seconds. On failure every process is stopped and
        LabStartError carries each server's log. A port taken between choosing and binding is retried.
        """
        began = time.monotonic()
        built = lab_zones.build(zone_dir)  # zone folder errors before anything starts
        named_binary()
        ensure_loopback((*AUTH_ADDRESSES, BLACKHOLE_ADDRESS))
        tmp.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, START_ATTEMPTS + 1):
            port = free_port((*AUTH_ADDRESSES, BLACKHOLE_ADDRESS))
            resolver_port = free_port((RESOLVER_ADDRESS,), exclude=(port,))
            try:
                blackhole = BlackHole.bind(BLACKHOLE_ADDRESS, port)
            except OSError:
                continue
            lab = cls(tmp, port, resolver_port, blackhole)
            try:
                lab._launch(built, timeout)
            except PortInUseError:
                lab.stop()
                if attempt == START_ATTEMPTS:
                    raise
                continue
            except BaseException:
                lab.stop()
                raise
            lab.startup_seconds = time.monotonic() - began
            return lab
        raise LabStartError("no free ports for the lab")

    def _launch(self, built: Sequence[lab_zones.LabZone], timeout: float) -> None:
        self._blackhole.start()
        self.zones = [zone.name.to_text() for zone in built]
        files = {zone.file_name: zone.text for zone in built}
        zone_files = {zone.name.to_text(omit_final_dot=True): zone.file_name for zone in built}
        for server in self.auth:
            config = auth_config(
                server, zone_files, self.key_name, self.key_secret, {self.readonly_key_name: self.readonly_key_secret}
            )
            server.prepare(config, files)
        tlds = lab_zones.generated_tlds(built)
        self.resolver.prepare(
            resolver_config(
                self.resolver, (self.auth[0].address, self.port), [tld.to_text(omit_final_dot=True) for tld in tlds]
            ),
            {"root.zone": lab_zones.resolver_root_zone(tlds)},
        )
        servers = [*self.auth, self.resolver]
        for server in servers:
            server.launch()
        deadline = time.monotonic() + timeout
        pending = list(servers)
        try:
            while pending:
                pending = [server for server in pending if not server.poll_ready()]
                if pending and time.monotonic() > deadline:
                    raise LabStartError(f"not answering after {timeout:g} s")
                if pending:
                    time.sleep(0.005)
        except LabStartError as exc:
            for server in servers:
                server.stop()
            raise type(exc)(f"{exc}\n{self._logs(pending or servers)}") from None

    def _logs(self, servers: Iterable[NamedServer]) -> str:
        return "\n".join(
            f"---- {server.role} ({server.address}:{server.port}), last lines of {server.log_path} ----\n"
            f"{server.log_text(last=LOG_LINES)}"
            for server in servers
        )

    def stop(self) -> None:
        """Stop the named processes (SIGTERM by PID, all at once, then wait; SIGKILL after 5 s) and the black hole."""
        servers = [*self.auth, self.resolver]
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait()
        self._blackhole.stop()

    def __enter__(self) -> Lab:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- what tests use ---------------------------------------------------------------------------------

    @property
    def blackhole(self) -> tuple[str, int]:
        """(address, port) of the server that accepts UDP and TCP and never answers: (127.0.0.3, P)."""
        return self._blackhole.endpoint

    def settings(self, **overrides: Any) -> LookupSettings:
        """LookupSettings pointing at this lab: the resolver, port P for authoritative servers, short timeouts.

        Defaults: nameservers=((127.0.0.1, R),), dns_port=P, public_resolvers=False, timeout=3.0,
        query_timeout=0.5, retries=1, and public_resolver_addresses=(("Lab", 127.0.0.1, R),) so that a test
        switching public_resolvers on still stays inside the lab. Keyword arguments replace any of them.
        """
        from wizard.lookup.settings import LookupSettings

        values: dict[str, Any] = {
            "nameservers": ((RESOLVER_ADDRESS, self.resolver_port),),
            "dns_port": self.port,
            "public_resolvers": False,
            "public_resolver_addresses": (("Lab", RESOLVER_ADDRESS, self.resolver_port),),
            "timeout": 3.0,
            "query_timeout": 0.5,
            "retries": 1,
        }
        values.update(overrides)
        return LookupSettings(**values)

    def update(
        self,
        zone: str,
        *,
        add: Iterable[Record] = (),
        delete: Iterable[Deletion] = (),
        replace: Iterable[Record] = (),
        servers: Iterable[int] = (0, 1),
        timeout: float = 5.0,
    ) -> None:
        """Change records the way an admin does at a DNS provider: an RFC 2136 update, TSIG-signed, over TCP.

        One update message per server in ``servers`` (indexes into :attr:`auth`; ``servers=(0,)`` leaves
        auth[1] stale). Within the message, deletions come first, then replacements, then additions.

        - ``add``: (name, ttl, rdtype, rdata) records added to their RRsets.
        - ``delete``: (name, rdtype) removes the RRset, (name, "ANY") everything at the name,
          (name, rdtype, rdata) one record.
        - ``replace``: (name, ttl, rdtype, rdata) — every entry with the same name and type together becomes
          the new RRset.

        Names are relative to the zone ("@" is the apex) unless they end with a dot or already end with the
        zone's name. TXT/SPF rdata containing no double quote is taken as one string, as a provider's form
        would (``'"a" "b"'`` is one record of two strings). Raises LabUpdateError unless every server
        answers NOERROR.
        """
        origin = dns.name.from_text(zone)
        message = dns.update.UpdateMessage(
            origin, keyring=self.keyring, keyname=dns.name.from_text(self.key_name), keyalgorithm=dns.tsig.HMAC_SHA256
        )
        for entry in delete:
            owner = _owner(entry[0], origin)
            if entry[1].upper() == "ANY":
                message.delete(owner)
            elif len(entry) == 3:
                message.delete(owner, entry[1], _rdata_text(entry[1], entry[2]))
            else:
                message.delete(owner, entry[1])
        groups: dict[tuple[dns.name.Name, dns.rdatatype.RdataType], list[tuple[int, str]]] = defaultdict(list)
        for name, ttl, rdtype, text in replace:
            groups[_owner(name, origin), dns.rdatatype.RdataType.make(rdtype)].append((ttl, text))
        for (owner, group_type), entries in groups.items():
            message.replace(owner, entries[0][0], group_type, *(_rdata_text(group_type, text) for _, text in entries))
        for name, ttl, rdtype, text in add:
            message.add(_owner(name, origin), ttl, rdtype, _rdata_text(rdtype, text))
        for index in servers:
            server = self.auth[index]
            response = dns.query.tcp(message, server.address, port=server.port, timeout=timeout)
            if response.rcode() != dns.rcode.NOERROR:
                raise LabUpdateError(zone, server, response.rcode())

    def query(
        self,
        name: str,
        rdtype: str = "A",
        *,
        server: int | Literal["resolver"] = 0,
        tcp: bool = False,
        timeout: float = 2.0,
    ) -> dns.message.Message:
        """One query to auth[server] (RD off) or to the resolver (RD on); the response message."""
        target = self.resolver if server == "resolver" else self.auth[server]
        query = dns.message.make_query(name, rdtype)
        if target is not self.resolver:
            query.flags &= ~dns.flags.RD
        send = dns.query.tcp if tcp else dns.query.udp
        return send(query, target.address, port=target.port, timeout=timeout)


def _owner(name: str, origin: dns.name.Name) -> dns.name.Name:
    """A record name given relative to ``origin`` ("@" is the apex), absolute (trailing dot) or ending in it."""
    text = name.strip()
    if text in ("", "@"):
        return origin
    if not text.endswith("."):
        bare = origin.to_text(omit_final_dot=True).lower()
        if text.lower() == bare or text.lower().endswith("." + bare):
            text += "."
    owner = dns.name.from_text(text, origin=origin)
    if not owner.is_subdomain(origin):
        raise ValueError(f"{name!r} is not in zone {origin}")
    return owner


def _rdata_text(rdtype: str | dns.rdatatype.RdataType, text: str) -> str:
    if dns.rdatatype.RdataType.make(rdtype) in (dns.rdatatype.TXT, dns.rdatatype.SPF) and '"' not in text:
        return '"' + text.replace("\\", "\\\\") + '"'
    return text
