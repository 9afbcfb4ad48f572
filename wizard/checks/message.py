"""The message check: a saved message (or its headers) verified against what DNS publishes now.

DKIM keys come from the authoritative view (a key published a minute ago counts), SPF is our check_host()
for the connecting IP, and the DMARC policy is found as a receiver finds it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from wizard.core.answers import Answer, Outcome, shared
from wizard.core.dmarc.discovery import discover_policy
from wizard.core.message.outlook import is_outlook_msg, transport_headers
from wizard.core.message.parse import ParsedMessage, parse_message
from wizard.core.message.received import Connection, connection
from wizard.core.message.signatures import signatures, verify_signatures
from wizard.core.message.verdict import MessageAnalysis, analyse, spf_domain
from wizard.core.spf.evaluate import Evaluation, check_host

if TYPE_CHECKING:
    from wizard.lookup.lookup import Lookup


def read_message(data: bytes) -> ParsedMessage:
    """A message from a file's bytes: an Outlook .msg gives its headers, anything else is parsed as RFC 5322.
    Raises MessageError."""
    return parse_message(transport_headers(data) if is_outlook_msg(data) else data)


async def check_message(message: ParsedMessage, lookup: Lookup) -> MessageAnalysis:
    """Verify the message's signatures, SPF and DMARC against live DNS."""
    names = sorted({s.key_name for s in signatures(message)})
    keys, discovery, spf = await asyncio.gather(
        asyncio.gather(*(key_answer(lookup, name) for name in names)),
        discover_policy(lookup, message.from_domain),
        _spf(message, lookup),
    )
    checks = await asyncio.to_thread(verify_signatures, message, dict(zip(names, keys, strict=True)))
    return analyse(message, checks, spf, discovery)


async def key_answer(lookup: Lookup, name: str) -> Answer:
    """The DKIM key record as the domain's own servers publish it now; the resolver when they cannot be asked."""
    view = (await lookup.authoritative(name, "TXT")).final
    if view.outcome is Outcome.OK and view.servers:
        found = [a for a in view.servers if a.ok]
        if found:
            return found[0]  # a key on any authoritative server is published (the others may still be updating)
        answered = [a for a in view.servers if not a.outcome.is_failure]
        return answered[0] if answered else view.servers[0]
    return await lookup.resolve(name, "TXT")


async def _spf(message: ParsedMessage, lookup: Lookup) -> tuple[Connection, Evaluation] | None:
    found = connection(message)
    if found is None or found.ip is None:
        return None
    domain = spf_domain(found)
    evaluation = await check_host(shared(lookup), found.ip, domain, found.mail_from, found.helo)
    return found, evaluation
