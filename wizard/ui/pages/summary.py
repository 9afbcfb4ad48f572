"""Summary: the domain × check matrix (verified / waiting for DNS / problem), the report as HTML or PDF, and the
message for CIMcloud support."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMarginsF, Signal
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from wizard.checks.verify import Verdict
from wizard.core.names import to_unicode

from wizard.ui.page import Page, text_label
from wizard.ui.publish import PublishMissing
from wizard.ui.recheck import Job, jobs, recheck
from wizard.ui.report import admin_next_steps, columns, matrix, report_html, signing_lines, support_message
from wizard.ui.session import Session
from wizard.ui.tasks import TaskRunner
from wizard.ui.tooltips import wrapped
from wizard.ui.verdict import to_record
from wizard.ui.widgets import CopyButton, FittedText, fit_rows, state_icon

ReportWriter = Callable[[str, Path], None]


def save_html(html: str, path: Path) -> None:
    path.write_text(html, encoding="utf-8")


def save_pdf(html: str, path: Path) -> None:
    """Render the report with Qt's own text engine into an A4 PDF (no browser engine needed)."""
    path.open("wb").close()  # an unwritable place fails here with a reason, not silently inside Qt
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setTitle("Email authentication report")
    document = QTextDocument()
    document.setHtml(html)
    document.print_(writer)


class SummaryPage(Page):
    """The matrix of last results, "Check everything again", the report and the message for CIMcloud support."""

    recheck_result = Signal(object, object)  # Job, Verdict: one cell checked again

    def __init__(self, session: Session) -> None:
        super().__init__(session, "Summary", "Where every record stands. Come back any time to check again.")
        self.table = QTableWidget(self)
        self.table.setAccessibleName("Records per domain")
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setToolTip("Point at a cell for what its last check found.")
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._rechecked)
        self.runner.failed.connect(lambda message: self.check_state.setText(f"The check stopped: {message}"))
        self.runner.busy.connect(self._busy)
        self.recheck_result.connect(self._one_rechecked)
        self.html_button = QPushButton("Save report as &HTML…", self)
        self.pdf_button = QPushButton("Save report as P&DF…", self)
        for button in (self.html_button, self.pdf_button):
            button.setAutoDefault(False)
        self.html_button.clicked.connect(lambda: self._save("HTML files (*.html)", ".html", save_html))
        self.pdf_button.clicked.connect(lambda: self._save("PDF files (*.pdf)", ".pdf", save_pdf))
        self.saved = text_label("", self)
        self.message = FittedText(self)
        self.message.setAccessibleName("Message for CIMcloud support")
        self.message_copy = CopyButton("message for CIMcloud support", self)
        self.publish_missing = PublishMissing(self, session, self._selected_domain)
        buttons = QHBoxLayout()
        buttons.addWidget(self.html_button)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(self.publish_missing.button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        self.signing = text_label("", self)
        self.signing.setAccessibleName("What shows that CIMcloud signs each domain's mail")
        layout.addWidget(self.signing)
        layout.addLayout(self._check_row())
        layout.addWidget(self.check_state)
        layout.addLayout(buttons)
        layout.addWidget(self.saved)
        layout.addWidget(self.publish_missing.note)
        self.next_steps = text_label("", self)
        self.next_steps.setAccessibleName("What you do next, before asking CIMcloud")
        self.next_steps.setStyleSheet("font-weight: bold")
        layout.addWidget(self.next_steps)
        layout.addWidget(text_label("Message for CIMcloud support (send it in a support task):", self))
        layout.addWidget(self.message)
        layout.addWidget(self.message_copy)
        layout.addStretch(1)
        session.progress_changed.connect(self._refresh_if_shown)

    def _selected_domain(self) -> str:
        """The domain of the selected row (the first one when none is selected)."""
        domains = self.session.progress.domains
        row = max(0, self.table.currentRow())
        return domains[row].domain if row < len(domains) else ""

    def _check_row(self) -> QHBoxLayout:
        self.check_button = QPushButton("Check e&verything again", self)
        self.check_button.setAccessibleName("Check every record again now")
        self.check_button.setToolTip(
            "Ask DNS again, now, for every record the wizard has checked: your name servers, your resolver and "
            "the public resolvers, as each page does."
        )
        self.check_button.setAutoDefault(False)
        self.check_button.clicked.connect(self.check_everything)
        self.cancel_button = QPushButton("S&top checking", self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_check)
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Records checked so far")
        self.progress.setFormat("%v of %m checked")
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        self.check_state = QLabel(self)
        self.check_state.setWordWrap(True)
        self.check_state.setAccessibleName("State of the check")
        row = QHBoxLayout()
        row.addWidget(self.check_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress)
        row.addStretch(1)
        return row

    def initializePage(self) -> None:
        self.refresh()

    def _refresh_if_shown(self) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        progress = self.session.progress
        names = [name for _, name in columns(progress)]
        rows = matrix(progress)
        self.table.clear()
        self.table.setColumnCount(len(names) + 1)
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(["Domain", *names])
        for row, (domain, cells) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(to_unicode(domain)))
            for column, cell in enumerate(cells, start=1):
                item = QTableWidgetItem(state_icon(cell.state), cell.words)
                tip = cell.summary or f"Not checked yet: open the {names[column - 1]} step to check it."
                item.setToolTip(wrapped(tip))
                self.table.setItem(row, column, item)
        fit_rows(self.table)
        self.check_button.setEnabled(bool(jobs(progress)) and not self.runner.running)
        self.signing.setText("CIMcloud DKIM signing:\n" + "\n".join(signing_lines(progress)))
        steps = admin_next_steps(progress)
        self.next_steps.setText("\n".join(["Your next step:" if len(steps) == 1 else "Your next steps:", *steps]))
        self.next_steps.setVisible(bool(steps))
        text = support_message(progress)
        self.message.set_text(text)
        self.message_copy.set_text(text)

    # --- checking everything again -------------------------------------------------------------------------

    def check_everything(self) -> None:
        """Ask DNS again for every record the pages verified; the matrix follows each answer as it arrives."""
        todo = jobs(self.session.progress)
        if not todo:
            self.check_state.setText("Nothing to check yet: each step checks its record once you have composed it.")
            return
        self.progress.setRange(0, len(todo))
        self.progress.setValue(0)
        self.check_state.setText(f"Checking {len(todo)} records…")
        self.runner.start(recheck(self.session.lookup, todo, self.recheck_result.emit, self.session.progress))

    def cancel_check(self) -> None:
        self.runner.cancel()
        self.check_state.setText(f"Stopped after {self.progress.value()} of {self.progress.maximum()} records.")

    def _one_rechecked(self, job: Job, verdict: Verdict) -> None:
        entry = next((d for d in self.session.progress.domains if d.domain == job.domain), None)
        if entry is None or not self.runner.running:
            return  # the domain was removed, or the check was stopped: this late answer is not wanted
        entry.results[job.key] = to_record(job.target, verdict, time.time())
        self.progress.setValue(self.progress.value() + 1)
        self.session.changed()  # saves, and refreshes the matrix

    def _rechecked(self, count: int) -> None:
        self.check_state.setText(f"Checked {count} records just now ({time.strftime('%H:%M')}).")

    def _busy(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        self.check_button.setEnabled(not busy and bool(jobs(self.session.progress)))
        self.progress.setVisible(busy)

    def left(self) -> None:
        self.runner.cancel()

    def cell_texts(self) -> list[list[str]]:
        return [
            [item.text() if (item := self.table.item(r, c)) else "" for c in range(self.table.columnCount())]
            for r in range(self.table.rowCount())
        ]

    def _save(self, filter_text: str, suffix: str, writer: ReportWriter) -> None:
        start = str(Path.home() / f"email-authentication-report{suffix}")
        path, _ = QFileDialog.getSaveFileName(self, "Save report", start, filter_text)
        if not path:
            return
        self.save_report(Path(path), writer)

    def save_report(self, path: Path, writer: ReportWriter) -> None:
        """Write the report with `writer` (save_html or save_pdf) and say where it went, or why it could not."""
        try:
            writer(report_html(self.session.progress), path)
        except OSError as exc:
            self.saved.setText(f"The report could not be saved to {path}: {exc.strerror or exc}")
            return
        self.saved.setText(f"Report saved to {path}")
