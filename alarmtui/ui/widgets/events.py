"""The merged event log of every provider, newest first, filterable by text and provider.

With a journal behind the engine the panel reaches beyond what is in memory:
moving to the last row asks for the next older page of the journal's vendor
events, and a `/` or provider filter also asks the journal for its matches.
Both are merged into the in-memory log (newest first, deduplicated by provider
and event id) and never block the UI; an answer to an outdated question is dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC
from typing import Any, ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Input

from alarmtui.domain import Event
from alarmtui.engine.base import HISTORY_PAGE, HistoryPage
from alarmtui.journal.limits import SHORT_GREP_CHARS, SHORT_GREP_WINDOW
from alarmtui.ui.format import EVENT_ROLE, Palette, content, local_time, plain, set_border
from alarmtui.ui.widgets.tables import SortableText

FILTER_DELAY = 0.01
"""Seconds after the last key press in the filter box before the table is re-filtered (coalesces bursts)."""
MAX_PAGES_PER_LOAD = 20
"""Pages one scroll-back may read while they bring nothing older than what is shown (memory overlaps the journal)."""

HistorySource = Callable[..., Awaitable[HistoryPage | None]]
"""`Engine.history`: (grep=, provider=, before=, limit=) -> a page, or None without a journal."""


def event_key(event: Event) -> str:
    return f"{event.provider}\x1f{event.id}"


def event_matches(event: Event, text: str, provider: str | None) -> bool:
    if provider is not None and event.provider != provider:
        return False
    if not text:
        return True
    return text.casefold() in _haystack(event)


def _haystack(event: Event) -> str:
    return f"{event.text} {event.who} {event.zone} {event.partition} {event.kind.value} {event.provider}".casefold()


def event_cells(event: Event, palette: Palette) -> list[Text]:
    when = event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)
    role = EVENT_ROLE.get(event.kind, "foreground")
    where = _where(event)
    return [
        SortableText(local_time(event.time, with_date=True), when.timestamp(), no_wrap=True),
        plain(event.provider, palette.style("muted")),
        palette.text(event.kind.value, role, bold=True),
        palette.text(event.text, role),
        plain(event.who),
        plain(where),
    ]


class EventsTable(ScrollView, can_focus=True):
    """A virtual table: it holds the matching events, and draws only the rows on screen.

    Tens of thousands of events cost nothing until they are scrolled into view,
    so re-filtering is a list comprehension, not a rebuild of table rows.
    Columns are sized to the width: fixed ones first, the event text and the
    place share the rest, so nothing is cut off and there is no horizontal bar.
    """

    COLUMNS = (
        ("time", "Time", 14),
        ("provider", "Provider", 11),
        ("kind", "Kind", 7),
        ("text", "Event", 30),
        ("who", "Who", 10),
        ("where", "Where", 16),
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = {"events-table--header", "events-table--cursor"}
    DEFAULT_CSS = """
    EventsTable { overflow-x: hidden; overflow-y: auto; }
    EventsTable > .events-table--header { text-style: bold; color: $text-accent; background: $surface; }
    EventsTable > .events-table--cursor { background: $block-cursor-blurred-background; }
    EventsTable:focus > .events-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_event", "Event detail", id="events_open"),
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
    ]
    CACHE_SIZE = 400

    class NearEnd(Message):
        """The cursor (or the view) reached the last row: time to bring older events."""

    class Opened(Message):
        """The user wants to read one event in full."""

        def __init__(self, event: Event) -> None:
            super().__init__()
            self.event = event

    def __init__(self, providers: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.providers = list(providers)
        self._rows: list[Event] = []
        self._palette = Palette({})
        self.cursor_row = 0
        self._widths: list[int] = [width for _, _, width in self.COLUMNS]
        self._lines: OrderedDict[tuple[str, bool], Strip] = OrderedDict()

    # -- data

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def set_rows(self, rows: list[Event], palette: Palette) -> None:
        """Show exactly `rows` (newest first), keeping the cursor on the same event where possible."""
        current = self._rows[self.cursor_row] if self.cursor_row < len(self._rows) else None
        if palette is not self._palette:
            self._palette = palette
            self._lines.clear()
        self._rows = rows
        moved = not (self.cursor_row < len(rows) and rows[self.cursor_row] is current)
        if self.cursor_row and current is not None and moved:  # on the top row it follows the newest event
            self.cursor_row = next((i for i, e in enumerate(rows) if e is current), 0)
        self.cursor_row = min(self.cursor_row, max(len(rows) - 1, 0))
        self._size_columns()
        self.virtual_size = Size(self.scrollable_content_region.width, len(rows) + 1)
        self.refresh()

    def get_row_at(self, index: int) -> list[Text]:
        return event_cells(self._rows[index], self._palette)

    def event_at(self, index: int) -> Event:
        return self._rows[index]

    # -- layout

    def on_resize(self) -> None:
        self._size_columns()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows) + 1)
        self.refresh()

    def _size_columns(self) -> None:
        """Widths depend on the table's width and the configured providers only: they never jump on an update."""
        width = self.scrollable_content_region.width
        provider = min(max([len("Provider"), *(len(p) for p in self.providers)]), 14)
        fixed = 14 + provider + 7
        gaps = len(self.COLUMNS) - 1
        rest = max(width - fixed - gaps, 0)
        who = 12 if rest >= 60 else 8
        where = max(min(rest * 3 // 10, 28), 8)
        text = max(rest - who - where, 8)
        widths = [14, provider, 7, text, who, where]
        if widths != self._widths:
            self._widths = widths
            self._lines.clear()

    # -- drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._line([Text(label) for _, label, _ in self.COLUMNS], "events-table--header")
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        event = self._rows[index]
        cursor = index == self.cursor_row
        key = (event_key(event), cursor)
        line = self._lines.get(key)
        if line is None:
            line = self._line(event_cells(event, self._palette), "events-table--cursor" if cursor else None)
            self._lines[key] = line
            while len(self._lines) > self.CACHE_SIZE:
                self._lines.popitem(last=False)
        return line

    def _line(self, cells: list[Text], component: str | None) -> Strip:
        row = Text(no_wrap=True, end="")
        for n, (cell, width) in enumerate(zip(cells, self._widths, strict=False)):
            if n:
                row.append(" ")
            piece = cell.copy()
            piece.truncate(width, overflow="ellipsis", pad=True)
            row.append_text(piece)
        width = self.scrollable_content_region.width
        base = self.rich_style
        if component is not None:
            base = base + self.get_component_rich_style(component)
        segments = list(row.render(self.app.console))
        return Strip(Segment.apply_style(segments, base), row.cell_len).crop_extend(0, width, base)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.refresh()
        if self._rows and new_value > old_value and new_value >= self.max_scroll_y - self._screenful():
            self.post_message(self.NearEnd())  # scrolled (wheel, scrollbar) to the last screenful

    def on_focus(self) -> None:
        self._lines.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._lines.clear()
        self.refresh()

    # -- cursor

    def _move_to(self, row: int) -> None:
        if not self._rows:
            return
        if row >= len(self._rows) - 1 - self._screenful():
            # Within a screenful of the end (or pushing past it): fetch ahead, so the rows are there on arrival.
            self.post_message(self.NearEnd())
        self.cursor_row = max(0, min(row, len(self._rows) - 1))
        visible = max(self.scrollable_content_region.height - 1, 1)
        top = int(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)
        self.refresh()

    def _screenful(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def action_cursor(self, delta: int) -> None:
        self._move_to(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor_row + direction * max(self.scrollable_content_region.height - 1, 1))

    def action_jump(self, where: int) -> None:
        self._move_to(0 if where == 0 else len(self._rows) - 1)

    def action_open_event(self) -> None:
        if self.cursor_row < len(self._rows):
            self.post_message(self.Opened(self._rows[self.cursor_row]))

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self._move_to(int(self.scroll_offset.y) + event.y - 1)


def _where(event: Event) -> str:
    return " · ".join(part for part in (event.partition, event.zone) if part)


class EventsPanel(Vertical):
    """The filter box (hidden until `/`) above the table.

    Rows are the in-memory log's matches merged with journal events fetched for
    the current filter (`_older`, newest first, every journal match newer than
    `_older_before`, so scrolling back never leaves a hole).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "cycle_provider", "Provider filter", id="events_provider_filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="events_clear_filter"),
    ]

    def __init__(self, providers: Sequence[str], history: HistorySource | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.providers = list(providers)
        self.text_filter = ""
        self.provider_filter: str | None = None
        self._events: list[Event] = []
        self._palette: Palette | None = None
        self._filter_timer: Timer | None = None
        self.history = history
        """Where older events come from (`Engine.history`), or None: memory only."""
        self.page_size = HISTORY_PAGE
        self.journal_state = "unknown" if history is not None else "none"
        """unknown (not asked yet) | idle (more may be older) | loading | end | error | none (no journal)."""
        self.journal_error = ""
        self._journal_known = False
        """Whether the engine has answered once (so "idle" means: a journal, with more to read)."""
        self._older: list[Event] = []
        self._older_keys: set[tuple[str, str]] = set()
        self._older_before: int | None = None
        self._generation = 0
        """Bumped whenever the question changes: an answer to an older one is dropped."""
        self._asking = False
        """A question is with the journal: at most one at a time, so typing never queues a backlog."""
        self._ask_again = False
        """The question changed while one was with the journal: ask the current one when it returns."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter events (Enter to keep, Esc to clear)", id="event-filter")
        yield EventsTable(self.providers, id="events-table")

    @property
    def table(self) -> EventsTable:
        return self.query_one(EventsTable)

    def on_mount(self) -> None:
        self.query_one(Input).display = False
        self._update_title()

    # -- data

    def show(self, events: list[Event], added: Sequence[Event], dropped: Sequence[Event], palette: Palette) -> None:
        """`events` is the whole merged log, newest first; the table shows the matching ones."""
        self._events = events
        self._palette = palette
        if self.journal_state == "unknown":
            self._load_older(probe=True)  # does the engine keep a journal? (asked once, off the loop)
        self._rebuild()

    def _rebuild(self) -> None:
        if self._palette is None:
            return
        needle, provider = self.text_filter.casefold(), self.provider_filter
        if not needle and provider is None:
            matching = list(self._events)
        else:
            matching = [
                e for e in self._events if (provider is None or e.provider == provider) and (not needle or needle in _haystack(e))
            ]
        if self._older:
            shown = {(e.provider, e.id) for e in matching}
            extra = [e for e in self._older if (e.provider, e.id) not in shown and (provider is None or e.provider == provider)]
            if extra:
                matching = sorted(matching + extra, key=_newest_first)  # two sorted runs: timsort merges them
        self.table.set_rows(matching, self._palette)
        self._update_title()

    def _update_title(self) -> None:
        parts = []
        if self.provider_filter:
            parts.append(f"provider: {self.provider_filter}")
        if self.text_filter:
            parts.append(f"“{self.text_filter}”")
        shown = self.table.row_count
        suffix = f" ({', '.join(parts)})" if parts else ""
        set_border(self, title=content(f"Events{suffix}"))
        if self.journal_state in ("none", "unknown"):
            set_border(self, subtitle=f"{shown} of {len(self._events)}" if parts else f"{len(self._events)}")
            return
        what = "matching" if parts else "shown"
        if self.journal_state == "end" and 0 < len(self.text_filter) <= SHORT_GREP_CHARS:
            # The journal scans only a window for so short a text: its end is not the start of the journal.
            set_border(
                self,
                subtitle=f"{shown:,} matching · {len(self.text_filter)} character(s): newest {SHORT_GREP_WINDOW:,} entries searched",
            )
        elif self.journal_state == "end":
            set_border(self, subtitle=f"all {shown:,}{' matching' if parts else ''} · start of the journal")
        elif self.journal_state == "loading":
            set_border(self, subtitle=f"{shown:,} {what} · loading older…")
        elif self.journal_state == "error":
            set_border(self, subtitle=content(f"{shown:,} {what} · journal: {self.journal_error}"))
        else:
            set_border(self, subtitle=f"{shown:,} {what} · older: scroll down")

    # -- the journal

    def on_events_table_near_end(self, message: EventsTable.NearEnd) -> None:
        message.stop()
        if self.journal_state in ("idle", "error", "unknown"):
            self._load_older()

    def _question_changed(self) -> None:
        """The filter changed: journal rows fetched for the old one go; a filter asks the journal at once
        (or, while an older question is still out, as soon as it returns: typing coalesces, never queues)."""
        self._generation += 1
        self._older.clear()
        self._older_keys.clear()
        self._older_before = None
        self._ask_again = False
        if self.journal_state in ("loading", "end", "error"):
            self.journal_state = "idle" if self._journal_known else "unknown"
        if self.journal_state in ("idle", "unknown") and (self.text_filter or self.provider_filter is not None):
            self._load_older()

    def _load_older(self, *, probe: bool = False) -> None:
        if self.history is None:
            return
        self.journal_state = "loading"
        self._update_title()
        if self._asking:
            self._ask_again = True
            return
        self._asking = True
        self.run_worker(
            self._fetch(self._generation, self.text_filter, self.provider_filter, self._older_before, probe),
            group="events-journal",
            exit_on_error=False,
        )

    async def _fetch(self, generation: int, text: str, provider: str | None, before: int | None, probe: bool) -> None:
        try:
            await self._ask(generation, text, provider, before, probe)
        finally:
            self._asking = False
        if self._ask_again:
            self._ask_again = False
            self._load_older()  # the question the user has now

    async def _ask(self, generation: int, text: str, provider: str | None, before: int | None, probe: bool) -> None:
        assert self.history is not None
        pages = 0
        try:
            while True:
                page = await self.history(
                    grep=text or None, provider=provider, before=before, limit=1 if probe else self.page_size
                )
                if generation != self._generation:
                    return  # the user typed on: this answer is outdated (the current question is asked next)
                self._journal_known = True
                if page is None:
                    self.journal_state = "none"
                    break
                if page.error:
                    self.journal_state, self.journal_error = "error", page.error
                    break
                if probe:
                    self.journal_state = "idle"
                    if not self.table.row_count and page.events:
                        self.call_later(self._load_older)  # nothing in memory yet: show the journal's newest
                    break
                grew = self._take(page, anywhere=before is None)
                before = self._older_before = page.cursor if page.cursor is not None else before
                pages += 1
                if not page.more or page.cursor is None:
                    self.journal_state = "end"
                    break
                if grew or pages >= MAX_PAGES_PER_LOAD:
                    self.journal_state = "idle"
                    break
        except Exception as exc:  # noqa: BLE001  (the panel must outlive a failing journal)
            if generation == self._generation:
                self.journal_state, self.journal_error = "error", type(exc).__name__
        self._rebuild()

    def _take(self, page: HistoryPage, *, anywhere: bool = False) -> bool:
        """Keep a page's events; whether any of them is new here and shows below the last row shown now (older
        than it), or `anywhere` (a new question's first page answers it, wherever its rows fall)."""
        table = self.table
        bottom = _newest_first(table.event_at(table.row_count - 1)) if table.row_count and not anywhere else None
        in_memory = {(e.provider, e.id) for e in self._events}
        grew = False
        for event in page.events:
            key = (event.provider, event.id)
            if key in self._older_keys:
                continue
            self._older_keys.add(key)
            self._older.append(event)
            if key not in in_memory and (bottom is None or _newest_first(event) > bottom):
                grew = True
        return grew

    # -- filters

    def start_text_filter(self) -> None:
        box = self.query_one(Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if text == self.text_filter:
            return
        self.text_filter = text
        self._question_changed()
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
        changed = bool(self.text_filter)
        self.text_filter = ""
        box.display = False
        self.table.focus()
        if changed:
            self._question_changed()
        self._rebuild()

    def action_cycle_provider(self) -> None:
        choices: list[str | None] = [None, *self.providers]
        index = choices.index(self.provider_filter) if self.provider_filter in choices else 0
        self.provider_filter = choices[(index + 1) % len(choices)]
        self._question_changed()
        self._rebuild()


def _newest_first(event: Event) -> float:
    when = event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)
    return -when.timestamp()
