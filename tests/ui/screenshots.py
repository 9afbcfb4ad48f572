"""Screenshots of every page from a real run against the BIND lab: `python -m tests.ui.screenshots docs/screenshots`.

Not a test: it drives the wizard as an admin would (domain typed, SPF and DMARC published at the lab's servers,
checked live) and saves one PNG per page, for the README.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from tests.lab.lab import Lab
from wizard.store import Store

from wizard.ui.app import create_wizard
from wizard.ui.page import DomainPage
from wizard.ui.pages.dmarc import DmarcPage
from wizard.ui.pages.domains import DomainsPage
from wizard.ui.pages.spf import SpfPage
from wizard.ui.wizard import Pages

ZONES = Path(__file__).resolve().parent / "zones"


async def publish_and_check(lab: Lab, page: DomainPage) -> None:
    line = page.card.zone_text.toPlainText()
    name, _, rdata = line.partition(" IN TXT ")
    lab.update("wiz.test", add=[(name, 1, "TXT", rdata)])
    await asyncio.sleep(1.2)
    page.panel.check_now()
    await asyncio.sleep(1.5)


async def run(out: Path, lab: Lab, tmp: Path) -> None:
    wizard = create_wizard(lab.settings(), Store(tmp / "progress.json"))
    wizard.resize(920, 1250)  # tall enough to show each page whole, verification panel included
    wizard.show()
    shots = {}

    def shoot(name: str) -> None:
        wizard.grab().save(str(out / f"{wizard.currentId()}-{name}.png"))
        shots[name] = True

    await asyncio.sleep(0.3)
    shoot("welcome")
    wizard.next()
    domains = wizard.currentPage()
    assert isinstance(domains, DomainsPage)
    domains.edit.setPlainText("orders@wiz.test\nwiz-mail.test\nnot a domain")
    await asyncio.sleep(1.5)
    shoot("domains")
    domains.edit.setPlainText("orders@wiz.test\nwiz-mail.test")
    wizard.next()
    spf = wizard.currentPage()
    assert isinstance(spf, SpfPage)
    await asyncio.sleep(1.5)
    spf.service_boxes["google-workspace"].setChecked(True)
    await publish_and_check(lab, spf)
    shoot("spf")
    wizard.next()
    dkim = wizard.currentPage()
    assert isinstance(dkim, DomainPage)
    await asyncio.sleep(0.5)
    shoot("dkim")
    wizard.next()
    dmarc = wizard.currentPage()
    assert isinstance(dmarc, DmarcPage)
    await asyncio.sleep(1.0)
    dmarc.rua.setText("dmarc@wiz.test")
    dmarc.mta_sts.setChecked(True)
    await publish_and_check(lab, dmarc)
    shoot("dmarc")
    wizard.next()
    await asyncio.sleep(1.5)
    shoot("mta-sts")
    wizard.next()
    await asyncio.sleep(0.3)
    assert wizard.currentId() == Pages.SUMMARY
    shoot("summary")
    wizard.stop_live_work()
    wizard.close()


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when the QApplication is made
    app = QApplication.instance() or QApplication(argv)
    app.setQuitOnLastWindowClosed(False)
    with tempfile.TemporaryDirectory() as tmp:
        lab = Lab.start(ZONES, Path(tmp) / "lab")
        try:
            qasync.run(run(out, lab, Path(tmp)))
        finally:
            lab.stop()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
