"""Small reusable widgets: SVG icons, copy buttons that confirm, the record card, status badges."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QIcon, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QTreeView,
    QTreeWidget,
    QWidget,
)

from wizard.core.names import organizational_domain
from wizard.core.provider import ProviderMatch, Providers, form_record
from wizard.core.records import CheckState
from wizard.core.txt import zone_file_value
from wizard.resources import load_providers, resource_path

COPIED_MS = 1500
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum" for a widget's size

STATE_TEXT = {
    CheckState.VERIFIED: "Verified",
    CheckState.WAITING: "Waiting for DNS",
    CheckState.PROBLEM: "Problem",
    CheckState.MISSING: "Not published yet",
}


def buddy(text: str, widget: QWidget) -> QLabel:
    """A label whose mnemonic (&X) moves the focus to `widget`."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label


@cache
def icon(name: str) -> QIcon:
    """An SVG icon from resources/icons (sharp at any scale: HiDPI)."""
    return QIcon(str(resource_path("icons", f"{name}.svg")))


@cache
def providers() -> Providers:
    """The DNS providers of resources/providers.json, read once."""
    return load_providers()


def state_icon(state: CheckState | None) -> QIcon:
    return icon("unknown" if state is None else str(state))


def state_text(state: CheckState | None) -> str:
    return "Not checked yet" if state is None else STATE_TEXT[state]


class CopyButton(QPushButton):
    """Copies a text to the clipboard and says "Copied" for a moment, so the admin knows it worked."""

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(icon("copy"), "Copy", parent)
        self._text = ""
        self._label = "Copy"
        self.setAccessibleName(f"Copy {what}")
        self.setToolTip(f"Copy the {what} to the clipboard")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAutoDefault(False)
        self._reset = QTimer(self)
        self._reset.setSingleShot(True)
        self._reset.setInterval(COPIED_MS)
        self._reset.timeout.connect(lambda: self.setText(self._label))
        self.clicked.connect(self.copy)

    def set_text(self, text: str) -> None:
        self._text = text
        self.setEnabled(bool(text))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self._text)
        self.setText("Copied")
        self._reset.start()


class CopyField(QWidget):
    """A read-only line with a copy button beside it."""

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setReadOnly(True)
        self.edit.setAccessibleName(what)
        self.button = CopyButton(what, self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.setFocusProxy(self.edit)

    def set_text(self, text: str) -> None:
        self.edit.setText(text)
        self.edit.setCursorPosition(0)
        self.button.set_text(text)

    def text(self) -> str:
        return self.edit.text()


class RecordCard(QGroupBox):
    """The record to add, as a DNS provider's form asks for it (Type / Host / Value) and as a zone-file line."""

    def __init__(
        self,
        title: str = "Record to add at your DNS provider",
        parent: QWidget | None = None,
        *,
        mnemonics: bool = True,
    ) -> None:
        """A second card on one page passes mnemonics=False so Alt+letter keys stay unique."""
        super().__init__(title, parent)
        amp = "&" if mnemonics else ""
        self.type_field = CopyField("record type", self)
        self.host_field = CopyField("host name", self)
        self.value_field = CopyField("value", self)
        self.value_field.edit.setToolTip("Paste this into your DNS provider's value field as one piece of text.")
        self.zone_text = QPlainTextEdit(self)
        self.zone_text.setReadOnly(True)
        self.zone_text.setAccessibleName("zone file line")
        self.zone_text.setMaximumHeight(64)
        self.zone_text.setToolTip(
            "For zone files and providers that want quoted text: the value split into quoted pieces of at most "
            "255 characters, as DNS stores long text."
        )
        self.zone_copy = CopyButton("zone file line", self)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.hide()
        form = QFormLayout(self)
        form.addRow(buddy(f"{amp}Type:", self.type_field), self.type_field)
        form.addRow(buddy(f"{amp}Host:", self.host_field), self.host_field)
        form.addRow(buddy(f"{amp}Value:", self.value_field), self.value_field)
        zone_row = QHBoxLayout()
        zone_row.addWidget(self.zone_text, 1)
        zone_row.addWidget(self.zone_copy, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow(buddy(f"{amp}Zone file:", self.zone_text), zone_row)
        form.addRow(self.note)
        self._add_provider_rows(form)
        self._record = ("", "", "", "", "")
        self._match: ProviderMatch | None = None
        self.clear()

    publish_requested = Signal()

    def _add_provider_rows(self, form: QFormLayout) -> None:
        """The provider the fields are shown for (detected from the NS names, or chosen), and "Publish for me"."""
        self.provider_box = QComboBox(self)
        self.provider_box.setAccessibleName("DNS provider the fields are shown for")
        self.provider_box.addItem("Other provider (generic fields)", providers().other.id)
        for provider in providers().known:
            self.provider_box.addItem(provider.name, provider.id)
        self.provider_box.currentIndexChanged.connect(self._render)
        self.provider_reason = QLabel(self)
        self.provider_reason.setWordWrap(True)
        self.provider_reason.setTextFormat(Qt.TextFormat.RichText)
        self.provider_reason.setOpenExternalLinks(True)
        self.publish_button = QPushButton("Publish for me...", self)
        self.publish_button.setAutoDefault(False)
        self.publish_button.setToolTip("Publish this record with a TSIG key or your provider's API token")
        self.publish_button.clicked.connect(self.publish_requested)
        row = QHBoxLayout()
        row.addWidget(self.provider_box, 1)
        row.addWidget(self.publish_button)
        form.addRow("DNS provider:", row)
        form.addRow(self.provider_reason)

    def set_provider(self, match: ProviderMatch | None) -> None:
        """Show the fields as the detected provider's form wants them (None: the generic fields)."""
        self._match = match
        index = self.provider_box.findData(match.provider.id if match else providers().other.id)
        self.provider_box.blockSignals(True)
        self.provider_box.setCurrentIndex(max(0, index))
        self.provider_box.blockSignals(False)
        self._render()

    @property
    def record(self) -> tuple[str, str, str]:
        """(type, full name, value) of the record shown."""
        rdtype, host, value, fqdn, _ = self._record
        return rdtype, fqdn or host, value

    def set_record(self, rdtype: str, host: str, value: str, fqdn: str = "", note: str = "") -> None:
        """Show one record; `fqdn` (the full name) goes into the zone-file form, `host` into the provider form."""
        self._record = (rdtype, host, value, fqdn, note)
        self._render()

    def _render(self) -> None:
        rdtype, host, value, fqdn, note = self._record
        provider = providers().by_id(str(self.provider_box.currentData())) or providers().other
        if rdtype == "TXT" and value and fqdn and provider is not providers().other:
            zone = self._match.zone if self._match else organizational_domain(fqdn)
            shown = form_record(provider, fqdn, zone, value)
            host, value, note = shown.name, shown.value, "\n".join(shown.notes)
        self.provider_reason.setText(self._reason(provider.id))
        self.type_field.set_text(rdtype)
        self.host_field.set_text(host)
        self.value_field.set_text(value)
        full_value = self._record[2]
        zone_value = zone_file_value(full_value) if rdtype == "TXT" else full_value
        line = f"{(fqdn or host).rstrip('.')}. IN {rdtype} {zone_value}" if full_value else ""
        self.zone_text.setPlainText(line)
        self.zone_copy.set_text(line)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.setEnabled(bool(full_value))

    def _reason(self, chosen: str) -> str:
        from html import escape

        match = self._match
        if match is None or chosen != match.provider.id:
            if chosen == providers().other.id:
                return "Generic fields: the host is relative to your domain; pick your provider for its exact form."
            provider = providers().by_id(chosen)
            detected = "" if match is None else " (the name servers point elsewhere)"
            return f"Shown as {escape(provider.name if provider else chosen)}'s form expects{detected}."
        link = match.provider.help_url
        help_text = f' <a href="{escape(link)}">{escape(match.provider.name)} help</a>' if link else ""
        return f"Shown for {escape(match.provider.name)}: {escape(match.reason)}{help_text}"

    def clear(self) -> None:
        self.set_record("", "", "")


ERROR_COLOURS = ("#cf222e", "#ff7b72")  # on a light and a dark window (the report's problem colour)


class ErrorLabel(QLabel):
    """A wrapping plain-text label for a problem with what was typed, in the error colour of the light or dark
    scheme in use (never the grey of disabled text)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.hide()

    def show_error(self, text: str) -> None:
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        self.setStyleSheet(f"color: {ERROR_COLOURS[dark]}; font-weight: bold")
        self.setText(text)
        self.setVisible(bool(text))


class StatusBadge(QWidget):
    """An icon and a short word for a check state, with the longer explanation as tooltip and accessible text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon_label = QLabel(self)
        self.text_label = QLabel(self)
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text_label, 1)
        self.state: CheckState | None = None
        self.set_state(None, "")

    def set_state(self, state: CheckState | None, text: str) -> None:
        self.state = state
        size = self.fontMetrics().height()
        self.icon_label.setPixmap(state_icon(state).pixmap(QSize(size, size), self.devicePixelRatioF()))
        shown = text or state_text(state)
        self.text_label.setText(shown)
        self.setAccessibleName(f"{state_text(state)}: {shown}")


def tree_rows(tree: QTreeWidget) -> list[list[str]]:
    """The texts of a flat tree's rows, as the admin reads them."""
    rows = []
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        if item is not None:
            rows.append([item.text(c) for c in range(tree.columnCount())])
    return rows


def fit_rows(view: QAbstractItemView, minimum: int = 1, maximum: int = 10) -> None:
    """Size a list or table to the rows it holds (within bounds), so a short result is not a large empty box."""
    model = view.model()
    count = model.rowCount() if model is not None else 0
    shown = max(minimum, min(count, maximum))
    if isinstance(view, QTableView):
        header = view.horizontalHeader()
        header_height = 0 if header.isHidden() else header.sizeHint().height()
        view.resizeRowsToContents()
        if count:  # rows whose text wraps are taller: add up the rows shown
            rows = sum(view.rowHeight(r) for r in range(min(shown, count))) + max(0, shown - count) * view.rowHeight(0)
            view.setFixedHeight(header_height + rows + 2 * view.frameWidth())
            return
        row = view.verticalHeader().defaultSectionSize()
    else:
        header_height = view.header().sizeHint().height() if isinstance(view, QTreeView) else 0
        row = view.sizeHintForRow(0) if count else view.fontMetrics().height() + 4
    view.setFixedHeight(header_height + shown * row + 2 * view.frameWidth())


class FittedText(QPlainTextEdit):
    """A read-only text box as tall as the text it holds at its current width (up to `maximum_lines`), so a message
    sits in a box sized to it, not in half an empty screen or a scrolling slit."""

    def __init__(self, parent: QWidget | None = None, *, maximum_lines: int = 30) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.maximum_lines = maximum_lines
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_text(self, text: str) -> None:
        self.setPlainText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        margin = int(self.document().documentMargin())
        width = max(50, self.viewport().width() - 2 * margin - 4)
        metrics = self.fontMetrics()
        text = self.toPlainText() or " "
        wrapped = metrics.boundingRect(QRect(0, 0, width, 1 << 20), Qt.TextFlag.TextWordWrap, text).height()
        lines = min(max(1, round(wrapped / metrics.lineSpacing())) + 1, self.maximum_lines)
        self.setFixedHeight(lines * metrics.lineSpacing() + 2 * margin + 2 * self.frameWidth())


def fold(box: QGroupBox, *contents: QWidget) -> None:
    """A checkable group box that shows `contents` only while checked, drawn flat (no empty frame) when folded."""

    def toggled(on: bool) -> None:
        for content in contents:
            content.setVisible(on)
        box.setFlat(not on)
        # Folded, the box is only as tall as its title, so no empty frame is left where the contents were.
        box.setMaximumHeight(QWIDGETSIZE_MAX if on else box.fontMetrics().height() + 4)

    box.toggled.connect(toggled)
    toggled(box.isChecked())
