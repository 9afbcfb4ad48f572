"""Screenshots of every page from a real run against the BIND lab: `python -m tests.ui.screenshots docs/screenshots`.

Not a test: it drives the wizard as an admin would, for two domains, against the lab serving the wizard's zones
and the vendor stand-ins (mycimcloud.com, google.com, outlook.com), so SPF includes resolve as on the internet.
The script plays the DNS provider (RFC 2136 updates of what each page shows), checks live, and saves one PNG
per page plus the states worth a picture of their own: a problem (a DKIM key published cut short), something else
at the DKIM name, the staged DMARC step, and MTA-STS started from a published policy (served over HTTPS by a
local server whose certificate comes from a throw-away CA, trusted through SSL_CERT_FILE as in the tests).
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import qasync
from PySide6.QtWidgets import QApplication, QWidget

from tests.lab.lab import Lab
from tests.lookup.policy_server import server_context, serving_in_thread
from wizard.store import CheckState, Store

from wizard.ui.page import DomainPage
from wizard.ui.pages.dkim import DkimPage
from wizard.ui.pages.dmarc import DmarcPage
from wizard.ui.pages.domains import DomainsPage
from wizard.ui.pages.mta_sts import MtaStsPage
from wizard.ui.pages.spf import SpfPage
from wizard.ui.pages.summary import SummaryPage
from wizard.ui.verify import VerifyPanel
from wizard.ui.wizard import EmailAuthWizard

TESTS = Path(__file__).resolve().parents[1]
UI_ZONES = TESTS / "ui" / "zones"
VENDOR_ZONES = ("mycimcloud.com.zone", "google.com.zone", "outlook.com.zone")
SIZE = (920, 1150)  # tall enough for a record page's top, its record card and the check result
# wiz-mail.test already publishes MTA-STS (enforcing, a week's max_age) and TLS-RPT: the page starts from them.
PUBLISHED_POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: *.wiz-mail.test\r\nmax_age: 604800\r\n"
PUBLISHED_STS = [
    ("mx1", 1, "A", "192.0.2.53"),
    ("@", 1, "MX", "10 mx1.wiz-mail.test."),
    ("_mta-sts", 1, "TXT", "v=STSv1; id=20250301T090000"),
    ("mta-sts", 1, "A", "127.0.0.1"),
    ("_smtp._tls", 1, "TXT", "v=TLSRPTv1; rua=mailto:tls-reports@wiz-mail.test"),
]


def zone_folder(tmp: Path) -> Path:
    """The wizard's zones plus the vendor stand-ins from tests/zones, in one folder for the lab."""
    folder = tmp / "zones"
    folder.mkdir()
    for path in UI_ZONES.glob("*.zone"):
        shutil.copy(path, folder)
    for name in VENDOR_ZONES:
        shutil.copy(TESTS / "zones" / name, folder)
    return folder


def dkim_content() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"


def cimcloud_message(records: dict[str, tuple[str, str]]) -> str:
    """A support reply as CIMcloud writes it: each domain with its record name and content."""
    parts = ["Hello, DKIM is ready to be set up for your site. Please add these DNS records.\n"]
    for domain, (name, content) in records.items():
        parts.append(f"Domain: {domain}\nDNS Record Name: {name}\nDNS Record Content: {content}\n")
    return "\n".join(parts)


class Run:
    """The wizard, the lab and the output folder, with the steps an admin takes."""

    def __init__(self, wizard: EmailAuthWizard, lab: Lab, out: Path) -> None:
        self.wizard, self.lab, self.out = wizard, lab, out

    async def until(self, condition: Callable[[], bool], seconds: float = 10) -> None:
        for _ in range(int(seconds * 20)):
            if condition():
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("the wizard did not reach the expected state")

    async def shoot(self, name: str, scroll_to: QWidget | None = None) -> None:
        """Save the window; a record page shows its top, scrolled only as far as needed to bring `scroll_to` in.

        Layout settles by yielding to the event loop: calling processEvents() inside this coroutine would let
        the loop step other tasks re-entrantly ("Cannot enter into task ... while another task is executed").
        """
        page = self.wizard.currentPage()
        if isinstance(page, DomainPage):
            page.scroll_area.verticalScrollBar().setValue(0)
            await asyncio.sleep(0.05)
            if scroll_to is not None:
                page.scroll_area.ensureWidgetVisible(scroll_to, 0, 10)
        await asyncio.sleep(0.05)
        self.wizard.grab().save(str(self.out / f"{name}.png"))

    def choose(self, page: DomainPage, domain: str) -> None:
        page.domain_box.setCurrentIndex([d.domain for d in page.session.progress.domains].index(domain))

    def publish(self, zone: str, page_card_line: str, replace: bool = False) -> None:
        """What the admin does at the DNS provider: add (or replace with) the record the page shows."""
        name, _, rdata = page_card_line.partition(" IN TXT ")
        change = [(name, 1, "TXT", rdata)]
        if replace:
            self.lab.update(zone, replace=change)
        else:
            self.lab.update(zone, add=change)

    async def check(self, panel: VerifyPanel, want: CheckState | None = CheckState.VERIFIED) -> None:
        await asyncio.sleep(1.2)  # the lab resolver's one-second cache of earlier answers runs out
        panel.verdict = None
        panel.check_now()
        await self.until(lambda: panel.verdict is not None and (want is None or panel.verdict.state is want))

    async def step(self, kind: type, ready: Callable[[DomainPage], bool] | None = None) -> DomainPage:
        self.wizard.next()
        page = self.wizard.currentPage()
        assert isinstance(page, kind), page
        if ready is not None:
            await self.until(lambda: ready(page))
        return page


async def walk(run: Run) -> None:
    wizard, lab = run.wizard, run.lab
    await asyncio.sleep(0.3)
    await run.shoot("0-welcome")

    wizard.next()
    domains = wizard.currentPage()
    assert isinstance(domains, DomainsPage)
    domains.edit.setPlainText("Acme Orders <orders@wiz.test>\nacme-prts.test")  # a typo of a domain
    await run.until(lambda: len(domains.scan_texts()) == 2 and domains.missing.isVisible())
    await run.shoot("1-domains-no-such-domain")
    domains.edit.setPlainText("Acme Orders <orders@wiz.test>\nwiz-mail.test")
    await run.until(lambda: len(domains.scan_texts()) == 2 and "wiz-mail.test" in domains.scan_texts())
    await run.shoot("1-domains")

    spf = await run.step(SpfPage, lambda p: isinstance(p, SpfPage) and p.live is not None)
    assert isinstance(spf, SpfPage)
    spf.service_boxes["google-workspace"].setChecked(True)
    await run.until(lambda: spf.proposed is not None and "include:_spf.google.com" in spf.proposed.root.records[0])
    run.publish("wiz.test", spf.card.zone_text.toPlainText())
    await run.check(spf.panel)
    await asyncio.sleep(0.6)  # the lookup tree of the proposed record
    await run.shoot("2-spf", spf.panel)
    run.choose(spf, "wiz-mail.test")  # already sends through Google: CIMcloud is added to its record
    await run.until(lambda: spf.live is not None and spf.panel.target is not None)
    await run.until(lambda: spf.panel.verdict is not None)
    await run.shoot("2-spf-replace")
    run.publish("wiz-mail.test", spf.card.zone_text.toPlainText(), replace=True)
    await run.check(spf.panel, want=None)  # the resolver still holds the old record for a while: waiting
    run.choose(spf, "wiz.test")

    dkim = await run.step(DkimPage)
    assert isinstance(dkim, DkimPage)
    await run.shoot("3-dkim-request")  # nothing from CIMcloud yet: the usual start
    records = {
        "wiz.test": ("cimcloud-a94fdfc80c2c46c782969bfb0fc4084e._domainkey", dkim_content()),
        "wiz-mail.test": ("cimcloud-5d0c2b7e19a84f3b9e1f6a2c7d8e9f01._domainkey", dkim_content()),
    }
    dkim.paste_box.setChecked(True)
    dkim.paste.setPlainText(cimcloud_message(records))
    await run.until(lambda: dkim.card.value_field.text() != "")
    dkim.paste_box.setChecked(False)
    # Something else at the selector name first (an SPF record typed into the wrong host): the page says what.
    lab.update("wiz.test", add=[(records["wiz.test"][0], 1, "TXT", "v=spf1 include:_spf.mycimcloud.com ~all")])
    await run.check(dkim.panel, want=None)
    await run.until(lambda: "not a DKIM key record" in dkim.panel.badge.text_label.text())  # the status line
    await run.shoot("3-dkim-not-a-key")
    run.publish("wiz.test", dkim.card.zone_text.toPlainText(), replace=True)
    await run.check(dkim.panel)
    run.choose(dkim, "wiz-mail.test")
    name, content = records["wiz-mail.test"]
    lab.update("wiz-mail.test", add=[(name, 1, "TXT", f'"{content[:220]}"')])  # pasted cut short
    await run.check(dkim.panel, want=CheckState.PROBLEM)
    await run.until(lambda: "cut short" in dkim.diagnosis.text())
    await run.shoot("7-problem", dkim.panel)
    run.publish("wiz-mail.test", dkim.card.zone_text.toPlainText(), replace=True)
    await run.check(dkim.panel)
    run.choose(dkim, "wiz.test")
    await run.check(dkim.panel)
    dkim.paste_box.setChecked(False)
    await run.shoot("3-dkim", dkim.panel)

    dmarc = await run.step(DmarcPage, lambda p: isinstance(p, DmarcPage) and p.discovery is not None)
    assert isinstance(dmarc, DmarcPage)
    dmarc.rua.setText("dmarc@wiz.test")
    dmarc.mta_sts.setChecked(True)
    run.publish("wiz.test", dmarc.card.zone_text.toPlainText())
    await run.check(dmarc.panel)
    run.choose(dmarc, "wiz-mail.test")  # its monitoring record stays as it is
    await run.until(lambda: dmarc.discovery is not None and dmarc.panel.target is not None)
    dmarc.rua.setText("dmarc@wiz-mail.test")
    await run.check(dmarc.panel)
    run.choose(dmarc, "wiz.test")
    await run.until(lambda: dmarc.discovery is not None and dmarc.panel.target is not None)
    await run.check(dmarc.panel)
    await run.shoot("4-dmarc", dmarc.panel)
    # CIMcloud confirmed signing (the admin's statement): the staged path opens, its first step a quarter.
    dmarc.proof.stated.setChecked(True)
    await run.until(dmarc.take_step.isVisible)
    dmarc.take_step.click()
    run.publish("wiz.test", dmarc.card.zone_text.toPlainText(), replace=True)
    await run.check(dmarc.panel)
    await run.until(lambda: "Today's record has p=quarantine with pct=25" in dmarc.next_step.text())
    await run.shoot("4-dmarc-staged", dmarc.next_step)

    sts = await run.step(MtaStsPage, lambda p: isinstance(p, MtaStsPage) and p.mx.text() != "")
    assert isinstance(sts, MtaStsPage)
    sts.rua.setText("tls-reports@wiz.test")
    run.publish("wiz.test", sts.card.zone_text.toPlainText())
    run.publish("wiz.test", sts.tls_card.zone_text.toPlainText())
    # The policy file itself is not served in this run (the lab has no mta-sts.wiz.test web host): the MTA-STS
    # record is found on every server, and the check says the policy cannot be fetched.
    await run.check(sts.panel, want=None)
    await run.check(sts.tls_panel)
    await run.shoot("5-mta-sts", sts.panel)  # the page's top through the MTA-STS record's result; TLS-RPT below
    run.choose(sts, "wiz-mail.test")  # publishes an enforcing policy already: the page starts from it
    await run.until(lambda: sts.published is not None and sts.published.has_policy)
    await run.check(sts.panel)
    await run.shoot("5-mta-sts-published", sts.changes)
    run.choose(sts, "wiz.test")

    summary = await run.step(SummaryPage)
    assert isinstance(summary, SummaryPage)
    await asyncio.sleep(1.2)
    summary.check_everything()
    await run.until(lambda: not summary.runner.running)
    await run.shoot("6-summary")
    wizard.stop_live_work()
    wizard.close()


async def run_all(
    out: Path, lab: Lab, tmp: Path, steps: Callable[[Run], Awaitable[None]] = walk, https_port: int = 443
) -> None:
    wizard = EmailAuthWizard(lab.settings(https_port=https_port), Store(tmp / "progress.json"))
    wizard.resize(*SIZE)
    wizard.show()
    await steps(Run(wizard, lab, out))


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when the QApplication is made
    app = QApplication.instance() or QApplication(argv)
    app.setQuitOnLastWindowClosed(False)
    ca = trustme.CA()
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "test-ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        os.environ["SSL_CERT_FILE"] = str(bundle)  # this process only: the policy server's CA is trusted
        lab = Lab.start(zone_folder(Path(tmp)), Path(tmp) / "lab")
        try:
            lab.update("wiz-mail.test", add=PUBLISHED_STS)
            with serving_in_thread(PUBLISHED_POLICY, server_context(ca, "mta-sts.wiz-mail.test")) as port:
                qasync.run(run_all(out, lab, Path(tmp), https_port=port))
        finally:
            lab.stop()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
