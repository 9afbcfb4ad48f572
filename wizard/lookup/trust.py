"""Which certificates HTTPS trusts: the operating system's store, plus the bundle SSL_CERT_FILE names.

truststore validates against Windows' and macOS' own certificate stores and the Linux system store, so a
PyInstaller bundle (which ships no CA file) still verifies policy hosts and DoH servers. SSL_CERT_FILE adds a
bundle on top: a test lab's CA, or the CA of a company proxy that inspects TLS.

Reading a bundle parses every certificate in it (about 0.1 s for a system bundle of 150), so the context is
made once per process and shared by every connection (an SSLContext is made to be shared); a different
SSL_CERT_FILE, or the file changed on disk, makes a new one. httpcore sets the ALPN protocols on the context
for each connection it opens, so clients that may speak HTTP/2 and clients that speak only HTTP/1.1 each get
their own (a shared one could offer h2 to a client that must not use it).
"""

from __future__ import annotations

import contextlib
import functools
import os
import ssl

import truststore

EXTRA_BUNDLE_VARIABLE = "SSL_CERT_FILE"


def trust_context(*, http2: bool = False) -> ssl.SSLContext:
    """A client TLS context (certificate and host name checked) trusting the OS store and SSL_CERT_FILE, for
    clients with HTTP/2 on or off."""
    extra = os.environ.get(EXTRA_BUNDLE_VARIABLE, "")
    changed = 0
    if extra:
        with contextlib.suppress(OSError):
            changed = os.stat(extra).st_mtime_ns
    return _context(extra, changed, http2=http2)


@functools.lru_cache(maxsize=4)
def _context(extra: str, changed: int, *, http2: bool) -> ssl.SSLContext:
    """The context for the extra bundle `extra` as it was at mtime `changed` (`changed` and `http2` are only
    the cache's key)."""
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if extra and os.path.isfile(extra):
        # an unreadable bundle adds nothing; the OS store still applies
        with contextlib.suppress(ssl.SSLError, OSError, ValueError):
            context.load_verify_locations(cafile=extra)
    return context
