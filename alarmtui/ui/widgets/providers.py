"""The header: one line per provider with its link state, data age and command in flight."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from alarmtui.domain import CommandPhase, TroubleKind
from alarmtui.domain.updates import LinkState
from alarmtui.ui.format import LINK_ROLE, TROUBLE_WORDS, Palette, age, clean, reason_of, settled, transition_words
from alarmtui.ui.state import ProviderView

LINK_MARK = {
    LinkState.CONNECTING: "…",
    LinkState.ONLINE: "●",
    LinkState.RECONNECTING: "▲",
    LinkState.OFFLINE: "✖",
}
COMMAND_ROLE = {
    CommandPhase.SENT: "accent",
    CommandPhase.WAITING: "accent",
    CommandPhase.DONE: "success",
    CommandPhase.FAILED: "error",
    CommandPhase.UNKNOWN: "warning",
    CommandPhase.NOT_SENT: "warning",
}
PANEL_NAME_ROOM = 40
"""Longest panel name in the header (the rest of the line must keep its room)."""
RESULT_SHOWN_FOR = 20.0
"""Seconds a finished command's outcome stays in the header."""


class ProviderBar(Static):
    """Connection state per provider; re-drawn every second so ages and timers tick."""

    _shown: tuple[str, int] | None = None
    _last: tuple[Iterable[ProviderView], datetime, Palette, str] | None = None

    def show(self, views: Iterable[ProviderView], now: datetime, palette: Palette, engine: str = "") -> None:
        """`engine` is the engine's own one-line description ("in-process", "attached to service", "service lost …")."""
        self._last = (views, now, palette, engine)
        lines = [line for view in views for line in provider_lines(view, now, palette, self.size.width)]
        lost = bool(engine) and engine not in ENGINE_TAGS
        if lost:  # the service went away: a line of its own, as loud as a provider going offline
            lines.append(Text(f"⇄ {engine}", palette.style("warning")))
        elif engine:  # which engine this view uses, at the right end of the first line with room for it
            tag = ENGINE_TAGS[engine]
            for n, line in enumerate(lines):
                if line.cell_len + len(tag) + 2 <= self.size.width:
                    lines[n] = with_tag(line, tag, self.size.width, palette)
                    break
        text = Text("\n").join(lines) if lines else Text("no providers configured")
        text.no_wrap = True  # one line per provider, however long the reason
        text.overflow = "ellipsis"
        # Redrawn every second: repaint only what changed, and re-layout only if the height did.
        shown = (text.markup, len(lines))
        if shown == self._shown:
            return
        relayout = self._shown is None or self._shown[1] != len(lines)
        self._shown = shown
        self.update(text, layout=relayout)

    def on_resize(self) -> None:
        if self._last is not None:  # the engine tag sits at the right edge: place it again
            self.show(*self._last)


ENGINE_TAGS = {"in-process": "⌂ in-process", "attached to service": "⇄ attached to service"}
"""The header's short name for each working engine (a lost service gets a line of its own)."""


def with_tag(line: Text, tag: str, width: int, palette: Palette) -> Text:
    """`line` with `tag` right-aligned at `width` (the caller checked that both fit)."""
    tagged = line.copy()
    tagged.append(" " * (width - line.cell_len - len(tag)))
    tagged.append(tag, palette.style("muted"))
    return tagged


def duration(seconds: float) -> str:
    """ "45 s", "6 min", "2 h 5 min", "3 d": how long something has lasted."""
    seconds = max(seconds, 0)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min"
    if seconds < 86400:
        hours, minutes = divmod(int(seconds // 60), 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{seconds // 86400:.0f} d"


def freshness(view: ProviderView, now: datetime) -> str:
    """ "" while live; else "last known 14:02 — offline 6 min" (or "— no update for 6 min" while stale)."""
    status = view.status
    live = status.state is LinkState.ONLINE and not view.stale(now)
    if live or view.snapshot is None:
        return ""
    last = status.last_update or view.snapshot.fetched_at
    known = f"last known {short_clock(last)}" if last is not None else "no data yet"
    if status.state is LinkState.ONLINE:
        return f"{known} — no update for {duration((now - last).total_seconds())}" if last is not None else known
    since = view.offline_since or last
    lasted = f" {duration((now - since).total_seconds())}" if since is not None else ""
    return f"{known} — {status.state.value}{lasted}"


def short_clock(when: datetime) -> str:
    """14:02 in local time."""
    return (when.astimezone() if when.tzinfo is not None else when).strftime("%H:%M")


def provider_line(view: ProviderView, now: datetime, palette: Palette, width: int = 0, *, extras: bool = True) -> Text:
    """One provider's status; at `width` (> 0) the least important parts go first, never its state,
    its data's age when not live, its troubles or its command in flight."""
    status = view.status
    role = LINK_ROLE[status.state]
    stale = status.state is LinkState.ONLINE and view.stale(now)
    parts: list[tuple[int, Text]] = []  # (priority: 0 must stay, higher goes first), in display order

    def add(priority: int, value: str, style: Style | str = "") -> None:
        parts.append((priority, Text(value, style)))

    add(0, f"{LINK_MARK[status.state]} ", palette.style(role, bold=True))
    add(0, clean(view.name), "bold")
    add(6, f" {view.kind}", palette.style("muted"))
    add(0, "  ")
    add(0, "STALE" if stale else status.state.value, palette.style("warning" if stale else role, bold=True))
    fresh = freshness(view, now)
    if fresh:
        add(0, f" · {fresh}", palette.style("warning", bold=True))
    if status.state is LinkState.ONLINE:
        panel = view.snapshot.panel_name if view.snapshot else ""
        if panel:
            add(4, f" · {clean(panel, PANEL_NAME_ROOM)}")
    elif status.reason:
        add(2, f": {clean(status.reason, 300)}", palette.style(role))
        if status.retry_in:
            add(3, f" (retry in {status.retry_in:.0f}s)")
    if not fresh:
        add(5, f" · updated {age(status.last_update, now)}", palette.style("muted"))
    if status.requests_last_hour is not None and status.request_ceiling:
        add(7, f" · {status.requests_last_hour}/{status.request_ceiling} req/h", palette.style("muted"))
    serious = header_troubles(view) if extras else ""
    if serious:
        add(1, f"  ⚠ {serious}", palette.style("error", bold=True))
    command_text = command_line(view, now) if extras else None
    if command_text is not None:
        phase = view.command.progress.phase if view.command else CommandPhase.SENT
        add(1, "   ")
        add(1, command_text, palette.style(COMMAND_ROLE[phase], bold=not phase.finished))
    if width > 0:
        for drop in range(7, 1, -1):
            if sum(t.cell_len for _, t in parts) <= width:
                break
            parts = [(p, t) for p, t in parts if p != drop]
    line = Text(no_wrap=True, overflow="ellipsis")
    for _, part in parts:
        line.append_text(part)
    return line


def provider_lines(view: ProviderView, now: datetime, palette: Palette, width: int = 0) -> list[Text]:
    """`provider_line`, or two lines where it does not fit: the troubles and the command in flight go to
    a second line of their own rather than off the right edge (80 columns)."""
    line = provider_line(view, now, palette, width)
    if width <= 0 or line.cell_len <= width:
        return [line]
    serious = header_troubles(view)
    command_text = command_line(view, now)
    if not serious and command_text is None:
        return [line]
    head = provider_line(view, now, palette, width, extras=False)
    second = Text("  ", no_wrap=True, overflow="ellipsis")
    if serious:
        second.append(f"⚠ {serious}", palette.style("error", bold=True))
    if command_text is not None:
        phase = view.command.progress.phase if view.command else CommandPhase.SENT
        second.append("   " if serious else "")
        second.append(command_text, palette.style(COMMAND_ROLE[phase], bold=not phase.finished))
    return [head, second]


HEADER_TROUBLES = (
    TroubleKind.POWER,
    TroubleKind.TAMPER,
    TroubleKind.COMMUNICATION,
    TroubleKind.LOW_BATTERY,
    TroubleKind.JAMMING,
)


def header_troubles(view: ProviderView) -> str:
    """Mains, tamper, communication, battery and jamming troubles, in the header too: visible at every size,
    also where there is no troubles panel (80×24). "power, battery ×2"."""
    if view.snapshot is None:
        return ""
    words = []
    for kind in HEADER_TROUBLES:
        count = sum(t.kind is kind for t in view.snapshot.troubles)
        if count:
            words.append(TROUBLE_WORDS[kind] + (f" ×{count}" if count > 1 else ""))
    return ", ".join(words)


def command_line(view: ProviderView, now: datetime) -> str | None:
    """ "⟳ arm away House: waiting for the panel 4s" while in flight; the outcome for a while after."""
    update = view.command
    if update is None:
        return None
    progress = update.progress
    seen = view.command_seen_at or now
    since = max((now - seen).total_seconds(), 0.0)
    what = clean(update.command.describe())
    if not progress.phase.finished:
        elapsed = progress.elapsed + since
        message = clean(progress.message) or progress.phase.value
        return f"⟳ {what}: {message} {elapsed:.0f}s"
    if since > RESULT_SHOWN_FOR:
        return None
    mark = {CommandPhase.DONE: "✓", CommandPhase.FAILED: "✗"}.get(progress.phase, "?")
    if progress.phase is CommandPhase.DONE and update.result is not None and not settled(update.result):
        return f"✓ {what}: accepted, {transition_words(update.command, clean(update.result.state))}"
    if progress.phase is CommandPhase.DONE:
        return f"{mark} {what}: done"
    return f"{mark} {what}: {reason_of(progress.message) if progress.message else progress.phase.value}"
