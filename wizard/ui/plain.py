"""Plain words for what the checks report in technical terms: no Qt here, and nothing is judged again.

The checks' own texts (for `check` and the JSON) stay as they are; the wizard shows these sentences instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from wizard.core.records import CheckState
from wizard.core.spf.tree import Authorization

GUIDE_DELAY = (
    "CIMcloud's guide: it can take up to 48 hours after adding or changing a record for it to work everywhere."
)


def waiting_text(state: CheckState, cache_minutes: int | None) -> str:
    """While a record is not seen everywhere yet: the guide's 48 hours and the wizard's own cache figure."""
    if state not in (CheckState.WAITING, CheckState.MISSING):
        return ""
    if not cache_minutes:
        return GUIDE_DELAY
    about = "about a minute" if cache_minutes <= 1 else f"about {cache_minutes} minutes"
    return f"{GUIDE_DELAY} Here, cached old answers expire in {about}."


def authorization_text(domain: str, auth: Authorization | None) -> str:
    """One plain sentence: may CIMcloud's servers send as the domain today, and why (not)."""
    if auth is None:
        return f"CIMcloud may not send as {domain} yet: {domain} has no usable SPF record today."
    if auth.authorized:
        return f"CIMcloud may send as {domain}: its SPF record lists CIMcloud's servers (include:{auth.expected})."
    if not auth.path:
        return (
            f"CIMcloud may not send as {domain} yet: its SPF record does not list CIMcloud's servers "
            f"(include:{auth.expected}), or lists them only after the part that ends the record (all)."
        )
    return (
        f"CIMcloud may not send as {domain} yet: its SPF record lists CIMcloud's servers, but a receiver "
        "checking one of them still does not get a pass."
    )


# "Do53:127.0.0.1@54267: REFUSED", as dnspython names a server and its error.
_SERVER_ERROR = re.compile(r"(?:Do53|DoT|DoH|DoQ):\S+?@\d+:\s*(\w+)")
_ERROR_WORDS = {
    "REFUSED": "your DNS resolver refused the question",
    "SERVFAIL": "your DNS resolver could not get an answer (server failure)",
    "NXDOMAIN": "the name does not exist",
}


def plain_detail(detail: str) -> str:
    """A lookup's detail without server addresses and DNS codes ("your DNS resolver refused the question"); a text
    naming no server error is returned as it is."""
    codes = _SERVER_ERROR.findall(detail)
    if not codes:
        return detail
    words = dict.fromkeys(_ERROR_WORDS.get(code.upper(), "your DNS resolver gave no usable answer") for code in codes)
    return "; ".join(words)


def not_the_record(
    name: str, others: tuple[str, ...], kind: str, prefix: str, article: str = "a", *, alias: str | None = None
) -> str:
    """What is published at a name instead of the record asked for, and why a receiver ignores it; with `alias`,
    the name is a CNAME and what is shown is what receivers find at its target."""
    if not others:
        return ""
    shown = "; ".join(f'"{excerpt(t)}"' for t in others)
    many = len(others) > 1
    has = f"TXT records, but they are not {kind}s" if many else f"a TXT record, but it is not {article} {kind}"
    ignored = "them" if many else "it"
    where = f"{name} is an alias (CNAME) of {alias}, which has" if alias else f"{name} has"
    return f"{where} {has}: {shown}. {article.capitalize()} {kind} starts with {prefix}, so receivers ignore {ignored}."


def card_title(record: str, today: str | None, value: str) -> str:
    """A domain has one record of each kind: with one published, the card changes it rather than adding a second
    (`record` names the kind, "DMARC"; `today` is the published record's text, None without one)."""
    if today == value:
        return f"{record} record, as published today: nothing to change"
    return f"Change your {record} record to this one" if today else f"{record} record to add"


def near_misses(texts: tuple[str, ...], word: str, is_record: Callable[[str], bool]) -> tuple[str, ...]:
    """The TXT values that look meant as the record (they mention `word`, "spf") but are not one receivers use."""
    return tuple(t for t in texts if word in t.lower() and not is_record(t))


def excerpt(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
