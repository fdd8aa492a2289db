"""Alarms and entry delays take over the screen until someone acknowledges them.

One line per alarm (partition and zone), timed by the panel's own alarm event;
an entry delay is a line with its countdown ("ENTRY DELAY 8 s — disarm now").
Only Enter acknowledges: Escape says so instead of closing the banner silently.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from alarmtui.ui.format import clean, local_time
from alarmtui.ui.state import ALERT_ALARM, Alert


def alert_line(alert: Alert, now: datetime) -> Text:
    """ "powermaster · House — zone Hall PIR since 12:54:07" or "ENTRY DELAY 8 s — disarm now · vera · House"."""
    line = Text(no_wrap=True, overflow="ellipsis", justify="center")
    if alert.kind == ALERT_ALARM:
        line.append(f"{clean(alert.provider)} · {clean(alert.partition)}")
        if alert.zone:
            line.append(f" — zone {clean(alert.zone)}")
        if alert.since is not None:
            line.append(f" since {local_time(alert.since)}")
        return line
    left = ""
    if alert.until is not None:
        seconds = (alert.until - now).total_seconds()
        left = f" {max(seconds, 0):.0f} s" if seconds > -1 else ""
    line.append(f"ENTRY DELAY{left} — disarm now", "bold")
    line.append(f" · {clean(alert.provider)} · {clean(alert.partition)}")
    return line


class AlarmScreen(ModalScreen[str]):
    """Dismisses with "ack" (Enter) or "disarm" (d: acknowledge, then disarm the first partition listed)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "acknowledge", "Acknowledge", id="alarm_acknowledge"),
        Binding("d", "disarm", "Disarm", id="alarm_disarm"),
        Binding("escape", "escape", "Acknowledge with Enter", show=False, id="alarm_escape"),
    ]

    def __init__(self, lines: Callable[[], list[Alert]], clock: Callable[[], datetime]) -> None:
        """`lines` gives the alerts to show now (it is asked again on every redraw)."""
        super().__init__()
        self.lines = lines
        self.clock = clock
        self._shown: str | None = None

    @property
    def alerts(self) -> list[Alert]:
        return self.lines()

    def compose(self) -> ComposeResult:
        with Vertical(id="alarm-banner"):
            yield Static(id="alarm-title")
            yield Static(id="alarm-detail")
            yield Static("Enter: acknowledge   d: disarm", id="alarm-help")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw the current alerts (the app calls this on news and every second for countdowns)."""
        if not self.query("#alarm-detail"):
            return  # not composed yet: on_mount draws (where `is_mounted` is still False)
        alerts = self.lines()
        now = self.clock()
        alarms = sum(a.kind == ALERT_ALARM for a in alerts)
        title = "ALARM" if alarms == 1 else f"ALARM — {alarms} zones" if alarms else "ENTRY DELAY"
        body = Text("\n", justify="center").join(alert_line(a, now) for a in alerts)
        shown = title + "\x00" + body.plain
        if shown == self._shown:
            return
        self._shown = shown
        self.query_one("#alarm-title", Static).update(Text(title))
        self.query_one("#alarm-detail", Static).update(body)

    def action_acknowledge(self) -> None:
        self.dismiss("ack")

    def action_disarm(self) -> None:
        self.dismiss("disarm")

    def action_escape(self) -> None:
        self.notify("Press Enter to acknowledge the alarm, or d to disarm.", severity="warning", timeout=4)
