"""The DKIM record to add at a DNS provider, the verification link CIMcloud's guide uses, and the note to CIMcloud.

Pure, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from wizard.core.txt import split_value, zone_file_value

DOMAINKEY = "_domainkey"
MXTOOLBOX = "https://mxtoolbox.com/SuperTool.aspx?action=dkim%3a{domain}%3a{selector}&run=toolpage"


@dataclass(frozen=True)
class RecordToAdd:
    """One TXT record as the admin enters it, in each form DNS providers ask for.

    relative_name: the host for providers that add the domain themselves (most web forms);
    fqdn: the full name (providers that want it, zone files with a final dot);
    strings: the value cut into character-strings of at most 255 octets (providers that need them split);
    zone_file_line: the whole record as a zone-file line.
    """

    domain: str
    selector: str
    relative_name: str
    fqdn: str
    value: str
    strings: tuple[str, ...]
    zone_file_line: str
    warnings: tuple[str, ...]


def record_name(domain: str, selector: str) -> str:
    """`<selector>._domainkey.<domain>`, lower-case, without the final dot."""
    return f"{selector}.{DOMAINKEY}.{domain}".rstrip(".").lower()


def record_to_add(domain: str, selector: str, content: str) -> RecordToAdd:
    """The TXT record for `domain`, with warnings about the mistakes its forms invite."""
    domain = domain.rstrip(".").lower()
    relative = f"{selector}.{DOMAINKEY}"
    fqdn = record_name(domain, selector)
    strings = tuple(split_value(content))
    warnings = [
        f"Enter the host as {relative} where your DNS provider adds {domain} by itself (most web forms do): "
        f"entering {fqdn} there creates {fqdn}.{domain}, which nobody looks up.",
        f"Where the provider wants the full name, enter {fqdn}. (with the final dot in a zone file).",
    ]
    if len(strings) > 1:
        warnings.append(
            f"The value is longer than 255 characters: paste it whole where the form accepts it (the provider "
            f"splits it), or as the {len(strings)} quoted strings shown where it wants them split. Do not add "
            "spaces or line breaks inside the key."
        )
    return RecordToAdd(
        domain=domain,
        selector=selector,
        relative_name=relative,
        fqdn=fqdn,
        value=content,
        strings=strings,
        zone_file_line=f"{fqdn}. IN TXT {zone_file_value(content)}",
        warnings=tuple(warnings),
    )


def verification_link(domain: str, selector: str) -> str:
    """The mxtoolbox DKIM lookup for this selector and domain, as CIMcloud's verification links are."""
    return MXTOOLBOX.format(domain=quote(domain.rstrip(".").lower(), safe=""), selector=quote(selector, safe=""))


def message_for_cimcloud(verified_domains: Sequence[str], selectors: Mapping[str, str] | None = None) -> str:
    """The short note the admin sends CIMcloud so they activate DKIM signing for the verified domains."""
    domains = list(dict.fromkeys(d.rstrip(".").lower() for d in verified_domains if d.strip()))
    if not domains:
        return ""
    selectors = selectors or {}
    lines = []
    for domain in domains:
        selector = selectors.get(domain)
        if selector:
            lines.append(f"- {domain}: {record_name(domain, selector)}")
        else:
            lines.append(f"- {domain}")
    plural = len(domains) > 1
    return "\n".join(
        [
            "Hello CIMcloud Support,",
            "",
            f"The DKIM record{'s' if plural else ''} you provided {'are' if plural else 'is'} now published and "
            f"verified for {'these domains' if plural else 'this domain'}:",
            "",
            *lines,
            "",
            "Please activate DKIM signing for our website's email.",
            "",
            "Thank you.",
        ]
    )
