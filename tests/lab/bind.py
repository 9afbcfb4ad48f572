"""One BIND 9 ``named`` process of the lab: configuration, start, readiness, stop.

Each server runs in the foreground (``named -g``) in its own directory, logging to ``named.log`` there,
without a control channel (``controls { };``). It is stopped by its PID: SIGTERM, a wait, SIGKILL if needed.
"""

from __future__ import annotations

import atexit
import os
import random
import re
import shutil
import socket
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode

#: Ports are drawn from here: below Linux's ephemeral range, where named's and dnspython's source ports live.
PORT_RANGE = (20000, 32000)

_LIVE: set[subprocess.Popen[bytes]] = set()


class LabError(RuntimeError):
    """The lab could not do what was asked."""


class LabStartError(LabError):
    """A server did not come up; the message carries BIND's log."""


class PortInUseError(LabStartError):
    """named could not bind its port (another process took it after the lab chose it); the lab retries."""


def named_binary() -> str:
    """The path of ``named``; LabError when BIND 9 is not installed."""
    path = shutil.which("named") or next(
        (p for p in ("/usr/sbin/named", "/usr/local/sbin/named") if os.access(p, os.X_OK)), None
    )
    if path is None:
        raise LabError("the DNS lab needs BIND 9's named: apt-get install bind9 bind9-utils")
    return path


def loopback_addresses() -> set[str]:
    """The IPv4 addresses ``lo`` holds."""
    out = subprocess.run(
        ["ip", "-o", "-4", "addr", "show", "dev", "lo"], capture_output=True, text=True, check=False
    ).stdout
    return set(re.findall(r"\binet (\d+\.\d+\.\d+\.\d+)/", out))


def ensure_loopback(addresses: Iterable[str]) -> None:
    """Add each address to ``lo`` (``ip addr add A/8 dev lo``) unless it is already there.

    BIND listens only on addresses an interface holds. Needs root (or CAP_NET_ADMIN); LabError otherwise.
    """
    missing = [a for a in addresses if a not in loopback_addresses()]
    for address in missing:
        result = subprocess.run(
            ["ip", "addr", "add", f"{address}/8", "dev", "lo"], capture_output=True, text=True, check=False
        )
        if result.returncode != 0 and address not in loopback_addresses():  # another lab may have raced us
            raise LabError(
                f"the DNS lab needs {address} on the loopback interface and could not add it "
                f"(`ip addr add {address}/8 dev lo`: {result.stderr.strip() or result.returncode}); "
                f"run that command as root, or run the tests as root"
            )


def _bind_probe(address: str, port: int) -> list[socket.socket]:
    """UDP and TCP sockets bound on address:port (OSError if either is taken)."""
    sockets: list[socket.socket] = []
    try:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            sock = socket.socket(socket.AF_INET, kind)
            sockets.append(sock)
            sock.bind((address, port))
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def free_port(addresses: Iterable[str], *, exclude: Iterable[int] = ()) -> int:
    """A port free for UDP and TCP on every one of ``addresses`` right now (a race remains: see PortInUseError)."""
    excluded = set(exclude)
    addresses = list(addresses)
    for _ in range(200):
        port = random.randrange(*PORT_RANGE)
        if port in excluded:
            continue
        held: list[socket.socket] = []
        try:
            for address in addresses:
                held += _bind_probe(address, port)
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
        return port
    raise LabError(f"no free port found for {addresses} in {PORT_RANGE}")


def _stop_all_at_exit() -> None:
    for process in list(_LIVE):
        if process.poll() is None:
            process.kill()
            process.wait()


atexit.register(_stop_all_at_exit)


@dataclass
class NamedServer:
    """One ``named`` listening on ``address``:``port`` (UDP and TCP), run from ``directory``.

    ``probe`` is the zone whose SOA proves the server is answering (``test.`` for the authoritative
    servers, ``.`` for the resolver, which serves its own root zone).
    """

    role: str
    address: str
    port: int
    directory: Path
    probe: str = "test."
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        """The ``named.conf`` this server was started with."""
        return self.directory / "named.conf"

    @property
    def log_path(self) -> Path:
        """Everything named wrote (``-g`` sends all logging to stderr, which goes here)."""
        return self.directory / "named.log"

    def log_text(self, last: int | None = None) -> str:
        """The log so far ('' before named wrote anything); only its ``last`` lines if given."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return text if last is None else "".join(text.splitlines(keepends=True)[-last:])

    def prepare(self, config: str, files: Mapping[str, str]) -> None:
        """A fresh directory holding ``named.conf`` and ``files`` (zone copies; no journal survives)."""
        if self.directory.exists():
            shutil.rmtree(self.directory)
        self.directory.mkdir(parents=True)
        self.config_path.write_text(config, encoding="utf-8")
        for name, text in files.items():
            (self.directory / name).write_text(text, encoding="utf-8")

    def launch(self) -> None:
        """Start named in the background (returns at once; see :meth:`poll_ready`)."""
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [named_binary(), "-g", "-4", "-n", "1", "-c", str(self.config_path)],
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _LIVE.add(self.process)

    def poll_ready(self) -> bool:
        """True once named has loaded its zones and answers the probe SOA; raises if it died or lost its port."""
        if self.process is None:
            raise LabStartError(f"{self.role}: not launched")
        exited = self.process.poll() is not None
        log = self.log_text()
        if "address in use" in log or "unable to listen on any configured interfaces" in log:
            raise PortInUseError(f"{self.role}: port {self.port} on {self.address} is taken")
        if exited:
            raise LabStartError(f"{self.role}: named exited with status {self.process.returncode}")
        if not re.search(r" (all zones loaded|running)$", log, re.MULTILINE):
            return False
        query = dns.message.make_query(self.probe, "SOA")
        query.flags &= ~dns.flags.RD
        try:
            response = dns.query.udp(query, self.address, port=self.port, timeout=0.2)
        except (dns.exception.Timeout, OSError):
            return False
        return response.rcode() == dns.rcode.NOERROR and bool(response.answer)

    def terminate(self) -> None:
        """Send SIGTERM (by PID) without waiting."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait(self, timeout: float = 5.0) -> None:
        """Wait for the process to end, SIGKILL after ``timeout`` seconds."""
        process = self.process
        if process is None:
            return
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        _LIVE.discard(process)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, wait, SIGKILL if needed. Safe to call twice."""
        self.terminate()
        self.wait(timeout)

    @property
    def running(self) -> bool:
        """Whether the named process is alive."""
        return self.process is not None and self.process.poll() is None


def _common_options(directory: Path, address: str, port: int) -> str:
    return (
        f'    directory "{directory}";\n'
        "    pid-file none;\n"
        "    session-keyfile none;\n"
        f"    listen-on port {port} {{ {address}; }};\n"
        "    listen-on-v6 { none; };\n"
        "    automatic-interface-scan no;\n"
        "    dnssec-validation no;\n"
        "    notify no;\n"
    )


def auth_config(
    server: NamedServer,
    zone_files: Mapping[str, str],
    key_name: str,
    secret: str,
    other_keys: Mapping[str, str] | None = None,
) -> str:
    """named.conf of an authoritative primary: ``recursion no``, every zone updatable with the TSIG key.

    ``other_keys`` (name → secret, hmac-sha256) are known to the server but may update nothing.
    """
    known = {key_name: secret, **(other_keys or {})}
    zones = "".join(
        f'zone "{zone}" {{\n    type primary;\n    file "{file}";\n    allow-update {{ key "{key_name}"; }};\n}};\n'
        for zone, file in zone_files.items()
    )
    return (
        "options {\n" + _common_options(server.directory, server.address, server.port) + "    recursion no;\n"
        "    allow-query { any; };\n"
        "    check-names primary warn;\n"
        "};\n"
        "controls { };\n"
        + "".join(
            f'key "{name}" {{\n    algorithm hmac-sha256;\n    secret "{value}";\n}};\n'
            for name, value in known.items()
        )
        + zones
    )


def resolver_config(server: NamedServer, forward_to: tuple[str, int], tlds: Iterable[str]) -> str:
    """named.conf of the caching resolver: its own root zone, each of the lab's ``tlds`` forwarded (only) to
    one auth server."""
    address, port = forward_to
    forwards = "".join(
        f'zone "{tld}" {{\n    type forward;\n    forward only;\n    forwarders {{ {address} port {port}; }};\n}};\n'
        for tld in tlds
    )
    return (
        "options {\n" + _common_options(server.directory, server.address, server.port) + "    recursion yes;\n"
        "    allow-query { any; };\n"
        "    allow-recursion { any; };\n"
        "    allow-query-cache { any; };\n"
        "    qname-minimization disabled;\n"
        "    prefetch 0;\n"
        "};\n"
        "controls { };\n"
        'zone "." {\n    type primary;\n    file "root.zone";\n};\n' + forwards
    )
