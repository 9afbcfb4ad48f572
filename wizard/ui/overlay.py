"""A Source that answers one name's TXT question with a record not yet published, and asks DNS for the rest.

It lets the SPF page cost the record it is about to propose (its includes are real and looked up) before
the admin publishes it.
"""

from __future__ import annotations

from wizard.core.answers import Answer, Outcome, Source, TxtRecord
from wizard.core.txt import split_value


class OverlaySource:
    def __init__(self, base: Source, name: str, texts: list[str]) -> None:
        self.base = base
        self.name = name.rstrip(".").lower()
        self.texts = texts

    async def resolve(self, name: str, rdtype: str) -> Answer:
        if rdtype.upper() == "TXT" and name.rstrip(".").lower() == self.name:
            txt = tuple(TxtRecord(tuple(p.encode() for p in split_value(t))) for t in self.texts)
            return Answer(name, "TXT", Outcome.OK, tuple(self.texts), txt, 0, "proposed", self.name)
        return await self.base.resolve(name, rdtype)
