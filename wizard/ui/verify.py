"""The live verification panel every record page uses: "Check DNS now", backing-off re-checks, per-server results.

It runs `wizard.checks.verify.verify` through the TaskRunner (never blocking the window): every view of the
name and the check that judges the record's kind, the same check `check` runs. The panel only draws the verdict.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wizard.checks.verify import ServerState, Target, Verdict, cache_text, verify
from wizard.core.records import CheckState

from wizard.ui.plain import plain_detail
from wizard.ui.session import Session
from wizard.ui.tasks import TaskRunner
from wizard.ui.tooltips import wrapped
from wizard.ui.verdict import backoff, countdown_text
from wizard.ui.widgets import StatusBadge, fit_rows, icon, tree_rows

ROW_ICON = {
    ServerState.FOUND: "verified",
    ServerState.OLD: "waiting",
    ServerState.MISSING: "problem",
    ServerState.TIMEOUT: "problem",
    ServerState.ERROR: "problem",
}
COLUMNS = ("Server", "Role", "Result", "TTL", "Detail")
COLUMN_TIPS = (
    "The server asked.",
    "authoritative: your domain's own name servers, where your DNS provider publishes the record.\n"
    "resolver: the server this computer asks (it keeps answers for a while).\n"
    "public resolver: Google, Cloudflare and Quad9, as many receiving mail servers see your domain.",
    "found: the record shown on this page; old value: a different record of this kind; missing: none.",
    "Time to live: how long a resolver may keep this answer before asking again.",
    "What the server answered, when it is not the record shown here.",
)


def ttl_text(ttl: int | None) -> str:
    if ttl is None:
        return ""
    return f"{ttl} s" if ttl < 120 else f"{round(ttl / 60)} min"


class VerifyPanel(QWidget):
    """Checks one TXT name against the expected record, now and automatically while the page is open."""

    verdict_ready = Signal(object)  # Verdict

    def __init__(
        self, session: Session, parent: QWidget | None = None, *, what: str = "", mnemonics: bool = True
    ) -> None:
        """`what` names the record when a page has several panels ("T&LS-RPT record", its & marking the button's
        mnemonic); a second panel on a page passes mnemonics=False so the panel's own Alt+letter keys stay unique."""
        super().__init__(parent)
        self.session = session
        self.target: Target | None = None
        self.verdict: Verdict | None = None
        self._attempt = 0
        self._remaining = 0
        self._active = False
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._failed)
        self.runner.busy.connect(self._busy)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._count_down)
        self._build(what, mnemonics)

    @property
    def name(self) -> str:
        return self.target.name if self.target is not None else ""

    def _build(self, what: str, mnemonics: bool) -> None:
        label = f"Check {what} now" if what else "&Check DNS now"
        self.check_button = QPushButton(label if mnemonics or what else label.replace("&", ""), self)
        self.check_button.setAccessibleName(label.replace("&", ""))
        what = what.replace("&", "")
        self.check_button.setToolTip(
            "Ask your domain's own name servers, your resolver and the public resolvers right now. "
            "Nothing is cached between checks."
        )
        self.check_button.setAutoDefault(False)
        self.check_button.clicked.connect(self.check_now)
        self.cancel_button = QPushButton("Cancel chec&k" if mnemonics else "Cancel check", self)
        self.cancel_button.setAccessibleName(f"Cancel the {what or 'DNS'} check")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName("Checking DNS")
        self.progress.setMaximumWidth(120)
        self.progress.hide()
        self.runner.slow.connect(self.progress.show)
        self.countdown = QLabel(self)
        self.countdown.setAccessibleName("Next automatic check")
        self.badge = StatusBadge(self)
        self.cache_label = QLabel(self)
        self.cache_label.setWordWrap(True)
        self.cache_label.hide()
        self.table = QTreeWidget(self)
        self.table.setAccessibleName("Results per server")
        self.table.setRootIsDecorated(False)
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHeaderLabels(list(COLUMNS))
        for column, tip in enumerate(COLUMN_TIPS):
            self.table.headerItem().setToolTip(column, wrapped(tip))
        self.table.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.header().setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress)
        buttons.addStretch(1)
        buttons.addWidget(self.countdown)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.badge)
        layout.addWidget(self.cache_label)
        layout.addWidget(self.table)
        self.table.hide()  # shown with the first results, sized to them
        self.check_button.setEnabled(False)
        self.badge.set_state(None, "Nothing to check yet.")

    # --- what to check --------------------------------------------------------------------------

    def set_target(self, target: Target | None) -> None:
        """The record to verify (name, kind, expected value); None (nothing composed yet) disables checking."""
        changed = target != self.target
        ready = target is not None and bool(target.name)
        self.check_button.setEnabled(ready)
        if not changed:
            return
        self.target = target if ready else None
        self.runner.cancel()
        self.verdict = None
        self.table.clear()
        self.table.hide()
        self.cache_label.clear()
        self.cache_label.hide()
        self.badge.set_state(None, "Not checked yet." if ready else "Nothing to check yet.")
        self._attempt = 0
        if self._active and ready:
            self._schedule(0)
        elif not ready:
            self._stop_timer()

    # --- page life ---------------------------------------------------------------------------------

    def activate(self) -> None:
        """The page is shown: check soon, then keep re-checking with back-off until verified."""
        self._active = True
        if self.target is not None and (self.verdict is None or not self._verified()):
            self._schedule(0 if self.verdict is None else backoff(self._attempt))

    def deactivate(self) -> None:
        """The page was left or the window closes: stop the timer and cancel a check in progress."""
        self._active = False
        self._stop_timer()
        self.runner.cancel()

    # --- checking ---------------------------------------------------------------------------------

    def check_now(self) -> None:
        """Check immediately (a manual check also restarts the back-off from its first step)."""
        if self.target is None:
            return
        self._stop_timer()
        self._attempt = 0
        self.runner.start(self._fetch(self.session, self.target))

    def cancel(self) -> None:
        self.runner.cancel()
        self.badge.set_state(self.verdict.state if self.verdict else None, "Check cancelled.")
        if self._active:
            self._schedule(backoff(self._attempt))

    @staticmethod
    async def _fetch(session: Session, target: Target) -> Verdict:
        return await verify(session.lookup, target, session.check_options(target.domain))

    def _finished(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self._show(self.verdict)
        self.verdict_ready.emit(self.verdict)
        if self._active and not self._verified():
            self._schedule(backoff(self._attempt))
            self._attempt += 1
        elif self._verified():
            self.countdown.setText("Verified: automatic checks stopped.")

    def _failed(self, message: str) -> None:
        self.badge.set_state(CheckState.PROBLEM, f"The check stopped unexpectedly: {message}")

    def _busy(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        if busy:
            self.countdown.setText("Checking…")
            self.badge.set_state(self.verdict.state if self.verdict else None, "Checking DNS…")
        else:
            self.progress.hide()

    def _verified(self) -> bool:
        return self.verdict is not None and self.verdict.state is CheckState.VERIFIED

    # --- automatic re-checks -----------------------------------------------------------------------

    def _schedule(self, seconds: int) -> None:
        self._remaining = seconds
        if seconds <= 0:
            self.check_now()
            return
        self._show_countdown()
        self._tick.start()

    def _count_down(self) -> None:
        self._remaining -= 1
        if self._remaining <= 0:
            self._tick.stop()
            if self.target is not None:
                self.runner.start(self._fetch(self.session, self.target))
            return
        self._show_countdown()

    def _show_countdown(self) -> None:
        self.countdown.setText(f"Next automatic check in {countdown_text(self._remaining)}")

    def _stop_timer(self) -> None:
        self._tick.stop()
        self.countdown.clear()

    # --- showing results ---------------------------------------------------------------------------

    def _show(self, verdict: Verdict) -> None:
        self.badge.set_state(verdict.state, verdict.headline)
        self.cache_label.setText(cache_text(verdict.cache_minutes) if verdict.cache_minutes else "")
        self.cache_label.setVisible(bool(verdict.cache_minutes))
        self.table.clear()
        for row in verdict.rows:
            ttl = ttl_text(row.ttl)
            detail = plain_detail(row.detail)  # "your DNS resolver refused the question", not "Do53:...: REFUSED"
            item = QTreeWidgetItem([row.server, str(row.role), str(row.state), ttl, detail])
            item.setIcon(2, icon(ROW_ICON[row.state]))
            item.setToolTip(4, wrapped(detail))
            item.setData(0, Qt.ItemDataRole.AccessibleTextRole, f"{row.server}, {row.role}: {row.state}")
            self.table.addTopLevelItem(item)
        self.table.setVisible(bool(verdict.rows))
        fit_rows(self.table)

    def row_states(self) -> dict[str, str]:
        """Server label → shown result, as the admin reads the table."""
        return {row[0]: row[2] for row in tree_rows(self.table)}
