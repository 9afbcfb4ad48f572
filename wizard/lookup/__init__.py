"""The lookup layer: every DNS and HTTPS request the program makes goes through here."""

import dns._features

from wizard.core.answers import Answer, Outcome, Source, TxtRecord
from wizard.lookup.settings import LookupSettings

# dnspython's DoH support, when httpx2 is installed, makes `import dns.query` (which every DNS module here
# imports) load the whole HTTPS stack, about 0.2 s of start-up for every run. wizard.lookup.doh sends DoH
# through our own client and needs none of it, so it stays off; this must run before dns.query is imported,
# which this package's __init__ does by coming first.
dns._features.force("doh", False)

__all__ = ["Answer", "LookupSettings", "Outcome", "Source", "TxtRecord"]
