"""Rules about the network the checks run from (not about the domain): what a locked-down network means."""

from __future__ import annotations

from wizard.core.findings import Finding, info

DIRECT_BLOCKED = "dns.direct-blocked"


def direct_blocked(resolver: str) -> Finding:
    """The finding when every direct query to outside DNS servers timed out while `resolver` answered.

    Many company networks allow DNS only to their own resolvers; the domain's servers are not to blame, and
    the checks can show only what that resolver (and DNS over HTTPS) says, which may come from its cache.
    """
    return info(
        DIRECT_BLOCKED,
        "This network blocks direct DNS: every question sent straight to the domain's own name servers (and to "
        f"public resolvers over port 53) went unanswered, while the {resolver} answered. What is shown comes from "
        "that resolver and from DNS over HTTPS. Their answers may be cached: a change you just saved can take "
        "until the old record's TTL runs out to appear here, so 'not live yet' does not mean the change failed.",
        "Nothing is wrong with the domain. To see changes live, run the check from a network that allows DNS "
        "(UDP and TCP port 53) to outside servers, or ask your IT team to allow it for this computer.",
    )
