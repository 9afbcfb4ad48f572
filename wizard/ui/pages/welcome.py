"""Welcome: what will be set up and why, in plain words; resume saved progress or start over."""

from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QMessageBox, QRadioButton, QVBoxLayout

from wizard.core.names import to_unicode
from wizard.store import Progress

from wizard.ui.page import Page, text_label
from wizard.ui.session import Session

INTRO = (
    "<p>CIMcloud sends email for your website (order confirmations, password resets, quotes) "
    "from your own domain. Receiving mail servers only trust that email when your domain's DNS says "
    "CIMcloud may send it. This wizard walks you through the records, one step at a time, and checks "
    "each one live against DNS as soon as you have added it at your DNS provider.</p>"
    "<ul>"
    "<li><b>SPF</b> lists the servers allowed to send as your domain; CIMcloud's is added to yours.</li>"
    "<li><b>DKIM</b> lets CIMcloud sign your email; CIMcloud sends you the record to add.</li>"
    "<li><b>DMARC</b> tells receivers what to do with mail that fails those checks, and where to report.</li>"
    "<li><b>MTA-STS and TLS-RPT</b> (optional) protect mail sent <i>to</i> your domain.</li>"
    "</ul>"
    "<p>You need access to your domain's DNS settings (or someone who has it). Your progress is saved "
    "as you go: close the wizard at any time and come back after DNS has caught up.</p>"
)


def resume_text(progress: Progress, page_title: str) -> str:
    names = ", ".join(to_unicode(d.domain) for d in progress.domains)
    where = f" at the {page_title} step" if page_title else ""
    return f"&Continue where you left off{where} ({names})"


class WelcomePage(Page):
    """The first page: explanation, any problem reading saved progress, and the resume choice."""

    def __init__(self, session: Session) -> None:
        super().__init__(session, "Let CIMcloud send email as your domain")
        layout = QVBoxLayout(self)
        layout.addWidget(text_label(INTRO, self, rich=True))
        self.problem = text_label(session.load_problem, self)
        self.problem.setAccessibleName("Problem with saved progress")
        self.problem.setVisible(bool(session.load_problem))
        layout.addWidget(self.problem)
        self.resume = QRadioButton(self)
        self.restart = QRadioButton("Start &over with new domains (your saved choices are cleared)", self)
        group = QButtonGroup(self)
        group.addButton(self.resume)
        group.addButton(self.restart)
        layout.addWidget(self.resume)
        layout.addWidget(self.restart)
        layout.addStretch(1)

    def initializePage(self) -> None:
        progress = self.session.progress
        has_work = progress.has_work
        self.resume.setVisible(has_work)
        self.restart.setVisible(has_work)
        if has_work:
            wizard = self.wizard()
            page = wizard.page(progress.page) if wizard is not None else None
            self.resume.setText(resume_text(progress, page.title() if page is not None else ""))
            self.resume.setChecked(True)

    @property
    def resuming(self) -> bool:
        return self.session.progress.has_work and self.resume.isChecked()

    def validatePage(self) -> bool:
        """Starting over clears saved work, so it is confirmed first; No (the default) stays on this page."""
        if self.session.progress.has_work and self.restart.isChecked():
            if not self.confirm_start_over():
                return False
            keep = self.session.progress.preferences, self.session.progress.geometry
            self.session.progress = Progress(preferences=keep[0], geometry=keep[1])
            self.session.changed()
        return True

    def confirm_start_over(self) -> bool:
        names = ", ".join(to_unicode(d.domain) for d in self.session.progress.domains)
        answer = QMessageBox.question(
            self,
            "Start over?",
            f"Starting over clears the domains ({names}), your choices, pasted DKIM records and check results.\n\n"
            "Records you already added at your DNS provider stay there. Clear the saved progress?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes
