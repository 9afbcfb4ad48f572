"""Preferences: the DNS servers to use, for admins whose network blocks direct DNS (and for test labs)."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wizard.lookup.settings import LookupSettings, parse_doh_url, parse_server

from wizard.ui.page import text_label
from wizard.ui.tooltips import wrap_tooltips
from wizard.ui.widgets import buddy

EXPLANATION = (
    "The wizard asks your domain's own name servers directly, so it sees a change minutes after you save it. "
    "Some networks block that. Here you can name the resolver to use (an address, or a DNS-over-HTTPS URL such as "
    "your company's own) and the port of the name servers."
)


def parse_servers(text: str) -> tuple[tuple[tuple[str, int], ...], str]:
    """Resolver addresses separated by commas or spaces; the error message for the first bad one."""
    servers = []
    for entry in text.replace(",", " ").split():
        try:
            servers.append(parse_server(entry))
        except ValueError as exc:
            return (), str(exc)
    return tuple(servers), ""


def parse_doh_urls(text: str) -> tuple[tuple[str, ...], str]:
    """DNS-over-HTTPS URLs separated by spaces; the error message for the first bad one."""
    urls = []
    for entry in text.split():
        try:
            urls.append(parse_doh_url(entry))
        except ValueError as exc:
            return (), str(exc)
    return tuple(dict.fromkeys(urls)), ""


class PreferencesDialog(QDialog):
    def __init__(self, settings: LookupSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self._base = settings
        self.servers = QLineEdit(" ".join(f"{h}:{p}" for h, p in settings.nameservers), self)
        self.servers.setPlaceholderText("empty: this computer's resolver")
        self.servers.setAccessibleName("Resolver addresses")
        self.servers.setToolTip(
            "The resolvers to ask instead of this computer's own: IP addresses, each optionally with :PORT, separated "
            "by spaces. Leave it empty to use the resolver the system is set up with."
        )
        self.doh = QLineEdit(" ".join(settings.doh), self)
        self.doh.setPlaceholderText("empty: plain DNS; e.g. https://dns.example.com/dns-query")
        self.doh.setAccessibleName("DNS-over-HTTPS resolvers")
        self.doh.setToolTip(
            "DNS-over-HTTPS resolvers (https:// URLs separated by spaces), for networks that block DNS but allow "
            "the web. They are used instead of the resolvers above, through the proxy in HTTPS_PROXY when one is set."
        )
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(settings.dns_port)
        self.port.setAccessibleName("DNS port of the name servers")
        self.port.setToolTip(
            "The port the domain's own name servers are asked on. It is 53 on the internet; change it only for a "
            "test lab whose name servers listen elsewhere."
        )
        self.public = QCheckBox("Also ask &public resolvers (Google, Cloudflare, Quad9) to show propagation", self)
        self.public.setChecked(settings.public_resolvers)
        self.public.setToolTip(
            "Public resolvers show whether the rest of the internet sees your change yet (propagation). They are "
            "asked over HTTPS, so this works where direct DNS to the outside is blocked."
        )
        self.error = QLabel(self)
        self.error.setAccessibleName("Problem with the preferences")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.servers.textChanged.connect(self._validate)
        self.doh.textChanged.connect(self._validate)
        form = QFormLayout()
        form.addRow(buddy("&Resolvers:", self.servers), self.servers)
        form.addRow(buddy("DNS over &HTTPS:", self.doh), self.doh)
        form.addRow(buddy("Name server p&ort:", self.port), self.port)
        form.addRow(self.public)
        layout = QVBoxLayout(self)
        layout.addWidget(text_label(EXPLANATION, self))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        wrap_tooltips(self)  # built after the wizard wrapped its own: wrap these too, at the same readable width

    def _validate(self) -> None:
        _, error = parse_servers(self.servers.text())
        _, doh_error = parse_doh_urls(self.doh.text())
        self.error.setText(error or doh_error)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not (error or doh_error))

    def settings(self) -> LookupSettings:
        servers, _ = parse_servers(self.servers.text())
        doh, _ = parse_doh_urls(self.doh.text())
        return dataclasses.replace(
            self._base,
            nameservers=servers,
            doh=doh,
            dns_port=self.port.value(),
            public_resolvers=self.public.isChecked(),
        )
