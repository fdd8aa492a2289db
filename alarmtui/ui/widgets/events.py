"""The merged event log of every provider, newest first, filterable by text and provider."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input

from alarmtui.domain import Event
from alarmtui.ui.format import EVENT_ROLE, Palette, local_time, plain, safe
from alarmtui.ui.widgets.tables import SortableText, SyncedTable

FILTER_DELAY = 0.15
"""Seconds after the last key press in the filter box before the table is re-filtered."""


def event_key(event: Event) -> str:
    return f"{event.provider}\x1f{event.id}"


def event_matches(event: Event, text: str, provider: str | None) -> bool:
    if provider is not None and event.provider != provider:
        return False
    if not text:
        return True
    needle = text.casefold()
    haystack = f"{event.text} {event.who} {event.zone} {event.partition} {event.kind.value} {event.provider}"
    return needle in haystack.casefold()


def event_cells(event: Event, palette: Palette) -> list[Text]:
    when = event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)
    role = EVENT_ROLE.get(event.kind, "foreground")
    where = " · ".join(part for part in (event.partition, event.zone) if part)
    return [
        SortableText(local_time(event.time, with_date=True), when.timestamp(), no_wrap=True),
        plain(event.provider, palette.style("muted")),
        palette.text(event.kind.value, role, bold=True),
        palette.text(event.text, role),
        plain(event.who),
        plain(where),
    ]


class EventsTable(SyncedTable):
    COLUMNS = (
        ("time", "Time", 14),
        ("provider", "Provider", 11),
        ("kind", "Kind", 7),
        ("text", "Event", 30),
        ("who", "Who", 10),
        ("where", "Where", None),
    )


class EventsPanel(Vertical):
    """The filter box (hidden until `/`) above the table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "cycle_provider", "Provider filter", id="events_provider_filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="events_clear_filter"),
    ]

    def __init__(self, providers: Sequence[str], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.providers = list(providers)
        self.text_filter = ""
        self.provider_filter: str | None = None
        self._events: list[Event] = []
        self._palette: Palette | None = None
        self._filter_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter events (Enter to keep, Esc to clear)", id="event-filter")
        yield EventsTable(id="events-table")

    @property
    def table(self) -> EventsTable:
        return self.query_one(EventsTable)

    def on_mount(self) -> None:
        self.query_one(Input).display = False
        self._update_title()

    # -- data

    def show(self, events: list[Event], added: Sequence[Event], dropped: Sequence[Event], palette: Palette) -> None:
        """`events` is the whole merged log; add and drop only what changed."""
        self._events = events
        if palette is not self._palette:
            self._palette = palette
            self._rebuild()
            return
        table = self.table
        table.remove_keys([event_key(e) for e in dropped])
        visible = [e for e in added if event_matches(e, self.text_filter, self.provider_filter)]
        if visible:
            table.add_rows_keyed({event_key(e): event_cells(e, palette) for e in visible})
            table.sort_by("time", reverse=True)
        self._update_title()

    def _rebuild(self) -> None:
        if self._palette is None:
            return
        table = self.table
        table.clear_rows()
        matching = [e for e in self._events if event_matches(e, self.text_filter, self.provider_filter)]
        table.add_rows_keyed({event_key(e): event_cells(e, self._palette) for e in matching})
        self._update_title()

    def _update_title(self) -> None:
        parts = []
        if self.provider_filter:
            parts.append(f"provider: {self.provider_filter}")
        if self.text_filter:
            parts.append(f"“{self.text_filter}”")
        shown = self.table.row_count
        suffix = f" ({', '.join(parts)})" if parts else ""
        self.border_title = safe(f"Events{suffix}")
        self.border_subtitle = f"{shown} of {len(self._events)}" if parts else f"{len(self._events)}"

    # -- filters

    def start_text_filter(self) -> None:
        box = self.query_one(Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.text_filter = event.value.strip()
        # Re-filtering thousands of rows on every key press makes typing lag: wait for a pause.
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DELAY, self._rebuild)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.display = False
        self.table.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one(Input)
        if box.value:
            box.value = ""
        self.text_filter = ""
        box.display = False
        self.table.focus()
        self._rebuild()

    def action_cycle_provider(self) -> None:
        choices: list[str | None] = [None, *self.providers]
        index = choices.index(self.provider_filter) if self.provider_filter in choices else 0
        self.provider_filter = choices[(index + 1) % len(choices)]
        self._rebuild()
