"""Placeholder until the page lands."""

from __future__ import annotations

from wizard.ui.page import Page
from wizard.ui.session import Session


class SpfPage(Page):
    def __init__(self, session: Session) -> None:
        super().__init__(session, "spf")
