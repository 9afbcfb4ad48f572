"""The lookup layer: every DNS and HTTPS request the program makes goes through here."""

from wizard.core.answers import Answer, Outcome, Source, TxtRecord
from wizard.lookup.settings import LookupSettings

__all__ = ["Answer", "LookupSettings", "Outcome", "Source", "TxtRecord"]
