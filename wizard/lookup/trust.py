"""Which certificates HTTPS trusts: the operating system's store, plus the bundle SSL_CERT_FILE names.

truststore validates against Windows' and macOS' own certificate stores and the Linux system store, so a
PyInstaller bundle (which ships no CA file) still verifies policy hosts and DoH servers. SSL_CERT_FILE adds a
bundle on top: a test lab's CA, or the CA of a company proxy that inspects TLS.
"""

from __future__ import annotations

import contextlib
import os
import ssl

import truststore

EXTRA_BUNDLE_VARIABLE = "SSL_CERT_FILE"


def trust_context() -> ssl.SSLContext:
    """A client TLS context (certificate and host name checked) trusting the OS store and SSL_CERT_FILE."""
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    extra = os.environ.get(EXTRA_BUNDLE_VARIABLE, "")
    if extra and os.path.isfile(extra):
        # an unreadable bundle adds nothing; the OS store still applies
        with contextlib.suppress(ssl.SSLError, OSError, ValueError):
            context.load_verify_locations(cafile=extra)
    return context
