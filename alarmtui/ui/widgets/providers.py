"""The header: one line per provider with its link state, data age and command in flight."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from alarmtui.domain import CommandPhase, TroubleKind
from alarmtui.domain.updates import LinkState
from alarmtui.ui.format import LINK_ROLE, TROUBLE_WORDS, Palette, age, clean, reason_of
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
RESULT_SHOWN_FOR = 20.0
"""Seconds a finished command's outcome stays in the header."""


class ProviderBar(Static):
    """Connection state per provider; re-drawn every second so ages and timers tick."""

    _shown: tuple[str, int] | None = None
    _last: tuple[Iterable[ProviderView], datetime, Palette, str] | None = None

    def show(self, views: Iterable[ProviderView], now: datetime, palette: Palette, engine: str = "") -> None:
        """`engine` is the engine's own one-line description ("in-process", "attached to service", "service lost …")."""
        self._last = (views, now, palette, engine)
        lines = [provider_line(view, now, palette) for view in views]
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


def provider_line(view: ProviderView, now: datetime, palette: Palette) -> Text:
    status = view.status
    role = LINK_ROLE[status.state]
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"{LINK_MARK[status.state]} ", palette.style(role, bold=True))
    line.append(clean(view.name), "bold")
    line.append(f" {view.kind}  ", palette.style("muted"))
    line.append(status.state.value, palette.style(role, bold=True))
    if status.state is LinkState.ONLINE:
        panel = view.snapshot.panel_name if view.snapshot else ""
        if panel:
            line.append(f" · {clean(panel)}")
    elif status.reason:
        line.append(f": {clean(status.reason, 300)}", palette.style(role))
        if status.retry_in:
            line.append(f" (retry in {status.retry_in:.0f}s)")
    line.append(f" · updated {age(status.last_update, now)}", palette.style("muted"))
    if status.requests_last_hour is not None and status.request_ceiling:
        line.append(f" · {status.requests_last_hour}/{status.request_ceiling} req/h", palette.style("muted"))
    serious = header_troubles(view)
    if serious:
        line.append(f"  ⚠ {serious}", palette.style("error", bold=True))
    command_text = command_line(view, now)
    if command_text is not None:
        phase = view.command.progress.phase if view.command else CommandPhase.SENT
        line.append("   ")
        line.append(command_text, palette.style(COMMAND_ROLE[phase], bold=not phase.finished))
    return line


HEADER_TROUBLES = (TroubleKind.POWER, TroubleKind.TAMPER, TroubleKind.COMMUNICATION)


def header_troubles(view: ProviderView) -> str:
    """Power, tamper and communication troubles, also in the header: they concern the whole system."""
    if view.snapshot is None:
        return ""
    kinds = [k for k in HEADER_TROUBLES if any(t.kind is k for t in view.snapshot.troubles)]
    return ", ".join(TROUBLE_WORDS[k] for k in kinds)


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
    if progress.phase is CommandPhase.DONE:
        return f"{mark} {what}: done"
    return f"{mark} {what}: {reason_of(progress.message) if progress.message else progress.phase.value}"
