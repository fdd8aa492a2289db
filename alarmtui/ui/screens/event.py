"""One event with every field, for texts the events table had to cut."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from alarmtui.domain import Event
from alarmtui.ui.format import clean, local_time


def event_fields(event: Event) -> list[tuple[str, str]]:
    """(label, value) for every field of the event, server text cleaned and never cut short."""
    return [
        ("Time", local_time(event.time, with_date=True) + (f"  ({event.time.isoformat()})" if event.time else "")),
        ("Provider", clean(event.provider)),
        ("Kind", event.kind.value),
        ("Event", clean(event.text, 5000)),
        ("Who", clean(event.who) or "—"),
        ("Partition", clean(event.partition) or "—"),
        ("Zone", clean(event.zone) or "—"),
        ("Event id", clean(event.id)),
        ("Photo", "yes" if event.photo_ref else "—"),
    ]


class EventScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "close", "Close", id="event_close")]

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event

    def compose(self) -> ComposeResult:
        body = Text()
        for n, (label, value) in enumerate(event_fields(self.event)):
            if n:
                body.append("\n")
            body.append(f"{label:<10} ", "bold")
            body.append(value)
        with VerticalScroll(id="event-dialog", classes="dialog"):
            yield Static(Text("Event", style="bold"), id="event-title")
            yield Static(body, id="event-body")
            yield Static("Esc or Enter to close", classes="dialog-help")

    def action_close(self) -> None:
        self.dismiss(None)
