"""Placeholder until the page lands."""

from __future__ import annotations

from wizard.ui.page import Page
from wizard.ui.session import Session


class DkimPage(Page):
    def __init__(self, session: Session) -> None:
        super().__init__(session, "dkim")
