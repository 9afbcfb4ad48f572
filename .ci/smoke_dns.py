"""Smoke-test a built bundle offline: serve one small zone on loopback and run the built `check` against it.

    python .ci/smoke_dns.py PATH/TO/BUILT/EXECUTABLE

For CI runners without BIND (build.yml on Windows and macOS): a tiny DNS server (dnspython, UDP and TCP on
127.0.0.1) answers for smoke.test both as the resolver and as its only authoritative server. The run passes
when the built program exits 0 or 1 (a check may fail: smoke.test does not authorize CIMcloud) with JSON in
which the dns check passed and the SPF record was found.
"""

from __future__ import annotations

import json
import socket
import socketserver
import subprocess
import sys
import threading
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone

ORIGIN = "smoke.test."
ZONE = """
$TTL 300
@   IN SOA ns.smoke.test. hostmaster.smoke.test. 1 3600 600 86400 300
@   IN NS  ns.smoke.test.
ns  IN A   127.0.0.1
@   IN TXT "v=spf1 include:_spf.example.net ~all"
@   IN MX  10 mx.smoke.test.
mx  IN A   192.0.2.25
_dmarc IN TXT "v=DMARC1; p=none"
"""


def answer(wire: bytes, zone: dns.zone.Zone) -> bytes:
    """The reply to one query, from `zone` only (REFUSED outside it)."""
    query = dns.message.from_wire(wire)
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA | dns.flags.RA
    question = query.question[0]
    soa = zone.find_rrset(zone.origin, dns.rdatatype.SOA)
    if not question.name.is_subdomain(zone.origin):
        response.set_rcode(dns.rcode.REFUSED)
        return response.to_wire()
    node = zone.get_node(question.name)
    if node is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
        response.authority.append(soa)
        return response.to_wire()
    rdataset = node.get_rdataset(dns.rdataclass.IN, question.rdtype)
    if rdataset is None:
        response.authority.append(soa)
    else:
        rrset = response.find_rrset(response.answer, question.name, dns.rdataclass.IN, question.rdtype, create=True)
        rrset.update(rdataset)
    return response.to_wire()


def serve(zone: dns.zone.Zone) -> int:
    """Start UDP and TCP servers on one free loopback port (daemon threads); return the port."""

    class Udp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            sock.sendto(answer(data, zone), self.client_address)

    class Tcp(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            size = int.from_bytes(self.rfile.read(2), "big")
            reply = answer(self.rfile.read(size), zone)
            self.wfile.write(len(reply).to_bytes(2, "big") + reply)

    for _ in range(20):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        try:
            servers = [socketserver.ThreadingUDPServer(("127.0.0.1", port), Udp),
                       socketserver.ThreadingTCPServer(("127.0.0.1", port), Tcp)]  # fmt: skip
        except OSError:
            continue
        for server in servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return port
    raise SystemExit("smoke_dns: no free port")


def main(executable: str) -> int:
    port = serve(dns.zone.from_text(ZONE, origin=ORIGIN, relativize=False))
    server = ["--nameserver", f"127.0.0.1:{port}", "--dns-port", str(port), "--no-public-resolvers"]
    command = [str(Path(executable).resolve()), "check", ORIGIN.rstrip("."), "--json", *server, "--timeout", "5"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode not in (0, 1):
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n")
        print(f"smoke_dns: the built check exited with {done.returncode}")
        return 1
    checks = json.loads(done.stdout)["domains"][0]["checks"]
    print(json.dumps({name: checks[name]["status"] for name in ("dns", "spf", "dmarc")}))
    if checks["dns"]["status"] != "pass" or "spf1" not in json.dumps(checks["spf"]):
        print(json.dumps(checks["dns"], indent=1)[-4000:])
        print("smoke_dns: the built check did not see the zone")
        return 1
    print("smoke_dns: the built check answered from the local zone")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.exit(main(sys.argv[1]))
