"""A triggered alarm takes over the screen until someone acknowledges it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from alarmtui.ui.format import local_time, safe


@dataclass(frozen=True, slots=True)
class Alarm:
    provider: str
    partition_id: str
    partition: str
    zone: str | None
    since: object = None


class AlarmScreen(ModalScreen[str]):
    """Dismisses with "ack" (Enter) or "disarm" (d: acknowledge, then disarm that partition)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,escape", "acknowledge", "Acknowledge", id="alarm_acknowledge"),
        Binding("d", "disarm", "Disarm", id="alarm_disarm"),
    ]

    def __init__(self, alarms: list[Alarm]) -> None:
        super().__init__()
        self.alarms = list(alarms)

    def compose(self) -> ComposeResult:
        with Vertical(id="alarm-banner"):
            yield Static(id="alarm-title")
            yield Static(id="alarm-detail")
            yield Static("Enter: acknowledge   d: disarm", id="alarm-help")

    def on_mount(self) -> None:
        self._draw()

    def add(self, alarm: Alarm) -> None:
        if alarm not in self.alarms:
            self.alarms.append(alarm)
            if self.is_mounted:
                self._draw()

    def _draw(self) -> None:
        first = self.alarms[0]
        self.query_one("#alarm-title", Static).update("ALARM")
        lines = []
        for alarm in self.alarms:
            where = f" — zone {alarm.zone}" if alarm.zone else ""
            when = f" since {local_time(alarm.since)}" if alarm.since else ""  # type: ignore[arg-type]
            lines.append(safe(f"{alarm.provider} · {alarm.partition}{where}{when}"))
        self.query_one("#alarm-detail", Static).update("\n".join(lines))
        self.sub_title = first.provider

    def action_acknowledge(self) -> None:
        self.dismiss("ack")

    def action_disarm(self) -> None:
        self.dismiss("disarm")
