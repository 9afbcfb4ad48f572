"""checkdmarc against the lab, for `python -m bench`: `checkdmarc_lab.py RESOLVER_PORT DOMAIN`.

Runs in bench/.venv-checkdmarc (checkdmarc is never a dependency of the program). checkdmarc's CLI takes
resolver addresses without a port, and parts of it (DNSSEC) build their own `dns.resolver.Resolver()` from
the system's configuration, so every Resolver it makes is pointed at the lab's resolver (behind the bench's
delay proxy); TLS probes of MX hosts are skipped (the lab has no mail servers), as `--skip-tls` does.
"""

from __future__ import annotations

import json
import sys

import dns.nameserver
import dns.resolver


def main() -> None:
    port, domain = int(sys.argv[1]), sys.argv[2]
    lab = [dns.nameserver.Do53Nameserver("127.0.0.1", port)]
    original = dns.resolver.Resolver.__init__

    def lab_resolver(self: dns.resolver.Resolver, *args: object, **kwargs: object) -> None:
        original(self, configure=False)
        self.nameservers = list(lab)

    dns.resolver.Resolver.__init__ = lab_resolver  # type: ignore[method-assign,assignment]
    import checkdmarc  # type: ignore[import-not-found]  # in bench/.venv-checkdmarc only

    result = checkdmarc.check_domains([domain], nameservers=lab, skip_tls=True, timeout=2.0)
    print(json.dumps(result, default=str)[:200])


if __name__ == "__main__":
    main()
