"""Alarms and entry delays take over the screen until each alarm is acknowledged or its partition disarmed.

One line per alarm episode (provider, partition, zone), timed by the panel's own
alarm event; an entry delay is a line with its countdown ("ENTRY DELAY 8 s —
disarm now"). The keys act on what the banner lists, and the help line says on
what: `d` disarms every partition listed (one confirmation naming them all, one
PIN prompt per provider), or only the one picked with ↑/↓ (j/k); Enter
acknowledges the highlighted alarm, `A` every alarm listed — each episode on its
own, journaled. Escape says how instead of closing the banner silently. Like
every dialog, the banner ignores input for its first half second
(`screens/guard.py`): a key already on its way never lands on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Static

from alarmtui.ui.format import clean, local_time
from alarmtui.ui.screens.guard import GuardedModal
from alarmtui.ui.state import ALERT_ALARM, Alert


def alert_line(alert: Alert, now: datetime) -> Text:
    """ "powermaster · House — zone Hall PIR since 12:54:07" or "ENTRY DELAY 8 s — disarm now · vera · House"."""
    line = Text(no_wrap=True, overflow="ellipsis", justify="center")
    if alert.kind == ALERT_ALARM:
        line.append(f"{clean(alert.provider)} · {clean(alert.partition or 'whole panel')}")
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


def partitions_of(alerts: list[Alert]) -> list[Alert]:
    """One alert per (provider, partition), in banner order: what a disarm from the banner addresses."""
    seen: set[tuple[str, str]] = set()
    chosen: list[Alert] = []
    for alert in alerts:
        if (alert.provider, alert.partition_id) not in seen:
            seen.add((alert.provider, alert.partition_id))
            chosen.append(alert)
    return chosen


class AlarmScreen(GuardedModal[str]):
    """The banner; it asks the main screen to act (`acknowledge`, `disarm`) and is closed by it when empty."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "acknowledge", "Acknowledge", id="alarm_acknowledge"),
        Binding("A", "acknowledge_all", "Acknowledge all", id="alarm_acknowledge_all"),
        Binding("d", "disarm", "Disarm", id="alarm_disarm"),
        Binding("down,j", "move(1)", "Pick next", show=False, id="alarm_down"),
        Binding("up,k", "move(-1)", "Pick previous", show=False, id="alarm_up"),
        Binding("escape", "escape", "Acknowledge with Enter", show=False, id="alarm_escape"),
    ]

    def __init__(
        self,
        lines: Callable[[], list[Alert]],
        clock: Callable[[], datetime],
        *,
        acknowledge: Callable[[list[Alert]], None] | None = None,
        disarm: Callable[[list[Alert]], None] | None = None,
    ) -> None:
        """`lines` gives the alerts to show now (asked again on every redraw); `acknowledge` and `disarm`
        are what Enter/A and d ask for, with the alerts they concern."""
        super().__init__()
        self.lines = lines
        self.clock = clock
        self.on_acknowledge = acknowledge
        self.on_disarm = disarm
        self.highlighted = 0
        self.picked: tuple[str, str, str, str] | None = None
        """The alert the user picked with ↑/↓ (then `d` disarms only its partition), else None."""
        self._shown: str | None = None

    @property
    def alerts(self) -> list[Alert]:
        return self.lines()

    def compose(self) -> ComposeResult:
        with Vertical(id="alarm-banner"):
            yield Static(id="alarm-title")
            yield Static(id="alarm-detail")
            yield Static(id="alarm-help")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()

    def _current(self, alerts: list[Alert]) -> Alert | None:
        if not alerts:
            return None
        if self.picked is not None:
            for n, alert in enumerate(alerts):
                if alert.key == self.picked:
                    self.highlighted = n
                    return alert
            self.picked = None  # the picked one is gone: back to "all listed"
        self.highlighted = min(self.highlighted, len(alerts) - 1)
        return alerts[self.highlighted]

    def disarm_targets(self) -> list[Alert]:
        """What `d` disarms now: the picked partition, or every partition listed."""
        alerts = self.lines()
        current = self._current(alerts)
        if self.picked is not None and current is not None:
            return [current]
        return partitions_of(alerts)

    def redraw(self) -> None:
        """Draw the current alerts (the main screen calls this on news and every second for countdowns)."""
        if not self.query("#alarm-detail"):
            return  # not composed yet: on_mount draws (where `is_mounted` is still False)
        alerts = self.lines()
        now = self.clock()
        current = self._current(alerts)
        alarms = [a for a in alerts if a.kind == ALERT_ALARM]
        places = len(partitions_of(alarms))
        if not alarms:
            title = "ENTRY DELAY"
        elif places > 1:
            title = f"ALARM — {places} partitions"
        elif len(alarms) > 1:
            title = f"ALARM — {len(alarms)} zones"
        else:
            title = "ALARM"
        body = Text("\n", justify="center").join(
            Text.assemble("▶ " if alert is current and len(alerts) > 1 else "", alert_line(alert, now)) for alert in alerts
        )
        chosen = self.disarm_targets()
        several_providers = len({a.provider for a in chosen}) > 1  # "House, House" says nothing: name the provider too
        targets = ", ".join(
            clean(f"{a.provider} {a.partition}" if several_providers and a.partition else a.partition or a.provider)
            for a in chosen
        )
        help_line = Text(justify="center", no_wrap=True, overflow="ellipsis")
        help_line.append("Enter: acknowledge" + (" this · A: all" if len(alarms) > 1 else ""))
        help_line.append("   d: disarm ")
        help_line.append(targets or "—")
        if len(partitions_of(alerts)) > 1:
            help_line.append("   ↑↓: pick one" if self.picked is None else "   (↑↓: pick another)")
        shown = "\x00".join((title, body.plain, help_line.plain))
        if shown == self._shown:
            return
        self._shown = shown
        self.query_one("#alarm-title", Static).update(Text(title))
        self.query_one("#alarm-detail", Static).update(body)
        self.query_one("#alarm-help", Static).update(help_line)

    def action_move(self, step: int) -> None:
        alerts = self.lines()
        if not alerts:
            return
        self._current(alerts)
        self.highlighted = (self.highlighted + step) % len(alerts)
        self.picked = alerts[self.highlighted].key
        self.redraw()

    def action_acknowledge(self) -> None:
        current = self._current(self.lines())
        if current is None:
            return
        if current.kind != ALERT_ALARM:
            self.notify("An entry delay ends by itself: disarm (d) to stop it.", severity="warning", timeout=4)
            return
        if self.on_acknowledge is not None:
            self.on_acknowledge([current])

    def action_acknowledge_all(self) -> None:
        alarms = [a for a in self.lines() if a.kind == ALERT_ALARM]
        if alarms and self.on_acknowledge is not None:
            self.on_acknowledge(alarms)

    def action_disarm(self) -> None:
        targets = self.disarm_targets()
        if targets and self.on_disarm is not None:
            self.on_disarm(targets)

    def action_escape(self) -> None:
        self.notify("Press Enter to acknowledge the alarm, or d to disarm.", severity="warning", timeout=4)
