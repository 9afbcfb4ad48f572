"""What the receiving side wrote into the message: who connected (Received:, Received-SPF:), the envelope
sender, and its own authentication results (Authentication-Results:, RFC 8601)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from wizard.core.message.parse import ParsedMessage

_INTERNAL = tuple(
    ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
                            "100.64.0.0/10", "::1/128", "fc00::/7", "fe80::/10")
)  # fmt: skip
_BRACKET_IP = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")
_KEY_VALUE = re.compile(r"([A-Za-z][A-Za-z0-9._-]*)\s*=\s*(\"[^\"]*\"|[^\s;]+)")
_RESULT = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=\s*([A-Za-z]+)(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Connection:
    """The SMTP client the receiver saw, the envelope sender (MAIL FROM) and HELO, and which header said so."""

    ip: IPv4Address | IPv6Address | None
    mail_from: str
    helo: str
    source: str


@dataclass(frozen=True)
class MethodResult:
    """One method's result in Authentication-Results (`dkim=pass header.d=example.com`)."""

    method: str
    result: str
    properties: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str:
        return next((v for k, v in self.properties if k == name), "")


@dataclass(frozen=True)
class ReceiverView:
    """The topmost Authentication-Results: what the receiving server concluded when the message arrived."""

    authserv_id: str
    results: tuple[MethodResult, ...]

    def of(self, method: str) -> list[MethodResult]:
        return [r for r in self.results if r.method == method]

    def first(self, method: str) -> str | None:
        found = self.of(method)
        return found[0].result if found else None


def strip_comments(text: str) -> str:
    """Remove RFC 5322 comments (nested parentheses), which carry prose, not results."""
    out, depth, escaped = [], 0, False
    for char in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def parse_authentication_results(value: str) -> ReceiverView:
    """One Authentication-Results value: the authserv-id and each `method=result property=value` part."""
    parts = strip_comments(value).split(";")
    authserv_id = ""
    if _RESULT.match(parts[0]) is None:  # Microsoft 365 leaves the authserv-id out and starts with a result
        authserv_id = parts[0].split()[0] if parts[0].split() else ""
        parts = parts[1:]
    results = []
    for part in parts:
        match = _RESULT.match(part)
        if match is None:
            continue
        method, result, rest = match.group(1).lower(), match.group(2).lower(), match.group(3)
        props = tuple((k.lower(), v.strip('"')) for k, v in _KEY_VALUE.findall(rest))
        results.append(MethodResult(method, result, props))
    return ReceiverView(authserv_id, tuple(results))


def receiver_view(message: ParsedMessage) -> ReceiverView | None:
    """The receiving server's own results: the topmost Authentication-Results with any result in it."""
    for value in message.values("Authentication-Results"):
        view = parse_authentication_results(value)
        if view.results:
            return view
    return None


def connection(message: ParsedMessage) -> Connection | None:
    """The connecting IP and envelope sender, from Received-SPF, then Authentication-Results, then Received."""
    for value in message.values("Received-SPF"):
        pairs = {k.lower(): v.strip('"<>') for k, v in _KEY_VALUE.findall(strip_comments(value))}
        ip = _ip(pairs.get("client-ip", ""))
        if ip is not None:
            return Connection(ip, pairs.get("envelope-from", ""), pairs.get("helo", ""), "Received-SPF")
    view = receiver_view(message)
    mail_from = _mail_from(message, view)
    if view is not None:
        for spf in view.of("spf"):
            ip = _ip(spf.get("smtp.remote-ip") or spf.get("smtp.client-ip"))
            if ip is not None:
                return Connection(ip, mail_from, spf.get("smtp.helo"), "Authentication-Results")
    for value in message.values("Received"):
        ip = _received_ip(value)
        if ip is not None:
            return Connection(ip, mail_from, _received_helo(value), "Received")
    return None


def _mail_from(message: ParsedMessage, view: ReceiverView | None) -> str:
    if view is not None:
        for spf in view.of("spf"):
            if spf.get("smtp.mailfrom"):
                return spf.get("smtp.mailfrom")
    paths = message.values("Return-Path")
    return paths[0].strip().strip("<>").strip() if paths else ""


def _received_ip(value: str) -> IPv4Address | IPv6Address | None:
    """The address in the from-clause of one Received field, unless it is a private or loopback hop."""
    from_clause = re.split(r"\bby\b", value, maxsplit=1)[0]
    if not from_clause.lstrip().lower().startswith("from"):
        return None
    for text in _BRACKET_IP.findall(from_clause):
        ip = _ip(text)
        if ip is not None and not any(ip in net for net in _INTERNAL if net.version == ip.version):
            return ip
    return None


def _received_helo(value: str) -> str:
    words = value.split()
    return words[1] if len(words) > 1 and words[0].lower() == "from" else ""


def _ip(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None
