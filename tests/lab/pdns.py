"""A PowerDNS authoritative server (Debian's pdns-server, sqlite3 backend) on loopback, with its HTTP API.

It stands in for a hosted DNS provider: the lexicon path (dns-lexicon's ``powerdns`` provider) publishes
through the API, and the wizard reads and verifies over DNS. The server answers for its own zones with
AA whatever the RD bit, so a Lookup whose resolver *and* authoritative port are this server sees them
without the BIND lab. Started in the foreground (``--guardian=no --daemon=no``) and stopped by its PID.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .bind import _LIVE, LabError, LabStartError, free_port

SCHEMA = Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql")
ADDRESS = "127.0.0.1"


def pdns_binary() -> str:
    path = shutil.which("pdns_server") or (
        "/usr/sbin/pdns_server" if os.access("/usr/sbin/pdns_server", os.X_OK) else None
    )
    if path is None or not SCHEMA.is_file():
        raise LabError("the PowerDNS fixture needs apt-get install pdns-server pdns-backend-sqlite3")
    return path


class PowerDns:
    """One running pdns_server: DNS on 127.0.0.1:``port``, the API at ``api_url`` with ``api_key``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port((ADDRESS,))
        self.api_port = free_port((ADDRESS,), exclude=(self.port,))
        self.api_key = secrets.token_urlsafe(24)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://{ADDRESS}:{self.api_port}"

    @property
    def log_path(self) -> Path:
        return self.directory / "pdns.log"

    def start(self, timeout: float = 10.0) -> PowerDns:
        binary = pdns_binary()
        self.directory.mkdir(parents=True, exist_ok=True)
        database = self.directory / "pdns.sqlite3"
        with sqlite3.connect(database) as db:
            db.executescript(SCHEMA.read_text(encoding="utf-8"))
        (self.directory / "pdns.conf").write_text(
            "\n".join(
                [
                    "launch=gsqlite3",
                    f"gsqlite3-database={database}",
                    f"local-address={ADDRESS}:{self.port}",
                    "api=yes",
                    f"api-key={self.api_key}",
                    "webserver=yes",
                    f"webserver-address={ADDRESS}",
                    f"webserver-port={self.api_port}",
                    "webserver-allow-from=127.0.0.0/8",
                    f"socket-dir={self.directory}",
                    "guardian=no",
                    "daemon=no",
                    "disable-syslog=yes",
                    "security-poll-suffix=",
                    "loglevel=4",
                    "cache-ttl=0",
                    "query-cache-ttl=0",
                    "negquery-cache-ttl=0",
                    "zone-cache-refresh-interval=0",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [binary, f"--config-dir={self.directory}"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        _LIVE.add(self.process)  # killed at exit even when a test is interrupted before its teardown
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                self.api("GET", "/api/v1/servers/localhost")
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.05)
        self.stop()
        raise LabStartError(f"pdns_server did not start:\n{self.log_path.read_text(errors='replace')[-3000:]}")

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """One API call; the decoded JSON answer (None when empty)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.api_url + path, data=data, method=method,
            headers={"X-API-Key": self.api_key, "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=5) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def create_zone(self, zone: str, records: list[tuple[str, int, str, list[str]]]) -> None:
        """A native zone with ns1.<zone> (127.0.0.1) as its name server and the given (name, ttl, type,
        [content...]) RRsets; names are relative ("@" is the apex), contents in zone-file form."""
        origin = zone.rstrip(".") + "."

        def owner(name: str) -> str:
            return origin if name == "@" else f"{name}.{origin}"

        rrsets = [
            {"name": owner("ns1"), "type": "A", "ttl": 300, "records": [{"content": ADDRESS, "disabled": False}]},
            *(
                {"name": owner(n), "type": t, "ttl": ttl, "records": [{"content": c, "disabled": False} for c in cs]}
                for n, ttl, t, cs in records
            ),
        ]
        self.api(
            "POST", "/api/v1/servers/localhost/zones",
            {"name": origin, "kind": "Native", "nameservers": [owner("ns1")], "rrsets": rrsets},
        )  # fmt: skip

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            _LIVE.discard(self.process)
