"""Summary: the domain × check matrix (verified / waiting for DNS / problem), the report as HTML or PDF, and the
message for CIMcloud support."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from wizard.core.domain import to_unicode

from wizard.ui.page import Page, text_label
from wizard.ui.report import STATE_WORDS, columns, matrix, report_html, support_message
from wizard.ui.session import Session
from wizard.ui.widgets import CopyButton, state_icon

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
    def __init__(self, session: Session) -> None:
        super().__init__(session, "Summary", "Where every record stands. Come back any time to check again.")
        self.table = QTableWidget(self)
        self.table.setAccessibleName("Records per domain")
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.html_button = QPushButton("Save report as &HTML…", self)
        self.pdf_button = QPushButton("Save report as P&DF…", self)
        for button in (self.html_button, self.pdf_button):
            button.setAutoDefault(False)
        self.html_button.clicked.connect(lambda: self._save("HTML files (*.html)", ".html", save_html))
        self.pdf_button.clicked.connect(lambda: self._save("PDF files (*.pdf)", ".pdf", save_pdf))
        self.saved = text_label("", self)
        self.message = QPlainTextEdit(self)
        self.message.setReadOnly(True)
        self.message.setAccessibleName("Message for CIMcloud support")
        self.message_copy = CopyButton("message for CIMcloud support", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.html_button)
        buttons.addWidget(self.pdf_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.saved)
        layout.addWidget(text_label("Message for CIMcloud support (send it in a support task):", self))
        layout.addWidget(self.message, 1)
        layout.addWidget(self.message_copy)
        session.progress_changed.connect(self._refresh_if_shown)

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
            for column, (state, summary) in enumerate(cells, start=1):
                item = QTableWidgetItem(state_icon(state), STATE_WORDS[state])
                item.setToolTip(summary)
                self.table.setItem(row, column, item)
        text = support_message(progress)
        self.message.setPlainText(text)
        self.message_copy.set_text(text)

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
