"""Every partition of every provider: its state, large and coloured, and whether it is ready."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from alarmtui.domain import EventKind, Partition, PartitionState
from alarmtui.domain.updates import LinkState
from alarmtui.ui.format import LINK_ROLE, STATE_ROLE, STATE_WORDS, Palette, clean, countdown
from alarmtui.ui.state import ProviderView
from alarmtui.ui.widgets.vim import LIST_KEYS

BADGE_WIDTH = 17


SELECTED_MARK = "▌ "
"""Left edge of the selected partition: visible in truecolor, 256 colours and NO_COLOR alike."""


def marked(prompt: Text, selected: bool, style: str = "bold") -> Text:
    """`prompt` with every line prefixed by the selection mark (or blanks of the same width)."""
    mark = SELECTED_MARK if selected else " " * len(SELECTED_MARK)
    lines = prompt.split("\n", include_separator=False)
    result = Text(no_wrap=True, overflow="ellipsis")
    for n, line in enumerate(lines):
        if n:
            result.append("\n")
        result.append(mark, style if selected else "")
        result.append_text(line)
    return result


class PartitionsPanel(OptionList):
    """Selectable partitions; arm and disarm keys act on the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = LIST_KEYS

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.compact = False
        """One line per partition (narrow terminals)."""
        self._targets: dict[str, tuple[str, str | None]] = {}
        self._prompts: dict[str, Text] = {}
        self._shown: dict[str, tuple[str, bool]] = {}
        self._mark_style = "bold"

    def selected(self) -> tuple[str, str | None] | None:
        """(provider, partition id) of the highlighted row; partition is None on a provider's status row."""
        if self.highlighted is None or not self.option_count:
            return None
        option = self.get_option_at_index(self.highlighted)
        return self._targets.get(option.id or "")

    def select(self, provider: str, partition: str) -> None:
        for option_id, target in self._targets.items():
            if target == (provider, partition):
                self.highlighted = self.get_option_index(option_id)
                return

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        self._mark()

    def _mark(self) -> None:
        """Move the selection mark to the highlighted row (re-drawing only rows whose mark changed)."""
        for index, option_id in enumerate(self._prompts):
            selected = index == self.highlighted
            signature = (self._prompts[option_id].markup, selected)
            if self._shown.get(option_id) != signature and index < self.option_count:
                self._shown[option_id] = signature
                self.replace_option_prompt(option_id, marked(self._prompts[option_id], selected, self._mark_style))

    def show(self, views: Iterable[ProviderView], now: datetime, palette: Palette) -> None:
        self._mark_style = palette.style("accent", bold=True)  # type: ignore[assignment]
        rows: list[tuple[str, tuple[str, str | None], Text]] = []
        for view in views:
            if view.snapshot is None or (view.status.state is not LinkState.ONLINE and not view.snapshot.partitions):
                rows.append((f"s-{len(rows)}", (view.name, None), status_prompt(view, palette, compact=self.compact)))
                continue
            if not view.snapshot.partitions:
                rows.append((f"s-{len(rows)}", (view.name, None), Text(f"{clean(view.name)}: no partitions reported")))
            not_live = view.status.state is not LinkState.ONLINE or view.stale(now)
            for partition in view.snapshot.partitions:
                prompt = partition_prompt(view, partition, now, palette, not_live, compact=self.compact)
                rows.append((f"p-{len(rows)}", (view.name, partition.id), prompt))
        new_targets = {option_id: target for option_id, target, _ in rows}
        self._prompts = {option_id: prompt for option_id, _, prompt in rows}
        if list(new_targets.values()) == list(self._targets.values()):
            self._mark()  # same rows: update in place, keep the highlight
            return
        previous = self.selected()
        self._targets = new_targets
        self._shown = {}
        self.clear_options()
        self.add_options([Option(marked(prompt, False), id=option_id) for option_id, _, prompt in rows])
        if rows:
            keep = next((i for i, (_, target, _) in enumerate(rows) if target == previous), None)
            if keep is None:
                keep = next((i for i, (_, target, _) in enumerate(rows) if target[1] is not None), 0)
            self.highlighted = keep
        self._mark()


def state_words(view: ProviderView, partition: Partition, now: datetime) -> tuple[str, str, bool]:
    """(words, colour role, pending) for the badge: "ARMED AWAY", "EXIT DELAY 12 s", "ARMING…" (sent)."""
    pending = view.pending is not None and view.pending.shown_on(partition)
    if pending:
        # Sent, not confirmed: says so, and never looks like a state the panel reported.
        return view.pending.words, "warning", True  # type: ignore[union-attr]
    words = full_state(partition)
    if partition.state in (PartitionState.ARMING, PartitionState.PENDING):
        left = countdown(partition.exit_delay_until, now)
        if left:
            delay = "EXIT DELAY" if partition.state is PartitionState.ARMING else words
            words = f"{delay} {left.removesuffix('s')} s"
    return words, STATE_ROLE[partition.state], False


COMBINABLE = frozenset({PartitionState.ARMED_HOME, PartitionState.ARMED_AWAY, PartitionState.ARMED_NIGHT})


def full_state(partition: Partition) -> str:
    """The state in full: "ARMED HOME + PERIMETER" where the vendor says the perimeter is armed too (Verisure)."""
    words = STATE_WORDS[partition.state]
    if partition.state in COMBINABLE and "perimeter" in partition.detail.casefold():
        return f"{words} + PERIMETER"
    return words


def last_known(view: ProviderView, partition: Partition, now: datetime, *, short: bool = False) -> str:
    """What a partition of a provider that is offline or stale says: "STALE · last known: ALARM at 14:01".

    The badge already shows the state, dimmed: other states say "STALE · last known 14:01" ("STALE 14:01" when
    `short`, one line per partition at 80 columns); an alarm always says in words that it is only the last known."""
    last = view.status.last_update or (view.snapshot.fetched_at if view.snapshot else None)
    at = f" at {last.astimezone().strftime('%H:%M')}" if last is not None else ""
    if partition.state is PartitionState.TRIGGERED:
        return f"STALE · last known: {full_state(partition)}{at}"
    return f"STALE{at.replace(' at', '')}" if short else f"STALE · last known{at.replace(' at', '')}"


def bypassed_zones(view: ProviderView, partition: Partition) -> list[str]:
    if view.snapshot is None:
        return []
    return [clean(z.name) for z in view.snapshot.zones if z.bypassed and (not z.partitions or partition.id in z.partitions)]


VENDOR_WORDS_HELP = frozenset(
    {PartitionState.ARMED_HOME, PartitionState.ARMED_NIGHT, PartitionState.ARMED_CUSTOM_BYPASS, PartitionState.UNKNOWN}
)
"""States whose vendor words say more than ours (which of the vendor's modes, what an unknown state is)."""


def vendor_words(partition: Partition) -> str:
    """The vendor's own words where they add to the state ("day + perimeter"), never a repeat of it."""
    detail = clean(partition.detail)
    if not detail or partition.state not in VENDOR_WORDS_HELP:
        return ""
    squeeze = "".join(ch for ch in detail.casefold() if ch.isalnum())
    said = "".join(ch for ch in full_state(partition).casefold() if ch.isalnum())
    return "" if squeeze in said else detail


def who_and_when(view: ProviderView, partition: Partition, now: datetime) -> str:
    """ "by Ana 18:02" from the newest arm/disarm event that matches the state."""
    event = view.last_changes.get(partition.id)
    if event is None:
        return ""
    armed = partition.state.is_armed or partition.state in (PartitionState.ARMING, PartitionState.TRIGGERED)
    if (event.kind is EventKind.ARM) != armed:
        return ""
    who = f"by {clean(event.who, 40)} " if event.who else ""
    when = event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)
    local = when.astimezone()
    stamp = local.strftime("%H:%M") if local.date() == now.astimezone().date() else local.strftime("%d %b %H:%M")
    return f"{who}{stamp}"


def readiness(partition: Partition, palette: Palette, bypassed: list[str] | None = None) -> Text:
    """ "ready", "not ready: Front door", "alarm in Hall PIR"; then the zones bypassed, if any."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if bypassed:
        text.append(f"bypassed: {', '.join(bypassed)}", palette.style("warning", bold=True))
        text.append(" · ")
    if partition.state is PartitionState.TRIGGERED and partition.alarm_zone:
        text.append(f"alarm in {clean(partition.alarm_zone)}", palette.style("error", bold=True))
    elif partition.ready is True:
        text.append("ready", palette.style("success"))
    elif partition.ready is False:
        text.append("not ready", palette.style("warning", bold=True))
        if partition.open_zones:
            text.append(": " + ", ".join(clean(z) for z in partition.open_zones), palette.style("warning"))
    else:
        text.append("readiness unknown", palette.style("muted"))
    return text


def partition_prompt(
    view: ProviderView, partition: Partition, now: datetime, palette: Palette, not_live: bool, *, compact: bool = False
) -> Text:
    """A partition's row. `not_live`: its provider is offline or its data stale — the badge is dimmed (an old
    ALARM must not look live) and "STALE · last known: ALARM at 14:01" comes right after it, at every width."""
    words, role, pending = state_words(view, partition, now)
    badge_style = palette.style("muted", bold=True, reverse=True) if not_live else palette.style(role, bold=True, reverse=True)
    text = Text(no_wrap=True, overflow="ellipsis")
    if compact:
        # One line per partition: the summary that must never be off-screen at 80 columns.
        text.append(f" {words} ".center(BADGE_WIDTH), badge_style)
        text.append(" ")
        if not_live:
            text.append(last_known(view, partition, now, short=True), palette.style("warning", bold=True))
            text.append(" ")
        text.append(f"{clean(view.name)} · ", palette.style("muted"))
        text.append(clean(partition.name), "bold")
        if pending:
            text.append(" sent, waiting", palette.style("warning", bold=True))
        text.append("  ")
        text.append_text(readiness(partition, palette, bypassed_zones(view, partition)))
        since = who_and_when(view, partition, now)
        if since:
            text.append(f"  {since}", palette.style("muted"))
        return text
    text.append(f"{clean(view.name)} · ", palette.style("muted"))
    text.append(clean(partition.name), "bold")
    text.append("\n")
    text.append(f" {words} ".center(BADGE_WIDTH), badge_style)
    if not_live:
        text.append(f"  {last_known(view, partition, now)}", palette.style("warning", bold=True))
    elif pending:
        text.append("  sent, waiting for the panel", palette.style("warning", bold=True))
    else:
        since = who_and_when(view, partition, now)
        if since:
            text.append(f"  {since}")
        detail = vendor_words(partition)
        if detail:
            text.append(f"  ({detail})", palette.style("muted"))
    text.append("\n")
    text.append_text(readiness(partition, palette, bypassed_zones(view, partition)))
    return text


def status_prompt(view: ProviderView, palette: Palette, *, compact: bool = False) -> Text:
    """Where a provider's partitions would be: why they are not there (one line when compact)."""
    status = view.status
    role = LINK_ROLE[status.state]
    text = Text(no_wrap=compact, overflow="ellipsis")
    text.append(f"{clean(view.name)} · {view.kind}", "bold")
    text.append("  " if compact else "\n")
    if compact:
        text.append(f"{status.state.value}: {clean(status.reason, 500) or 'no data yet'}", palette.style(role, bold=True))
        return text
    if status.state is LinkState.CONNECTING:
        text.append("connecting…", palette.style(role))
        return text
    text.append(f"{status.state.value}: {clean(status.reason, 500) or 'no data yet'}", palette.style(role, bold=True))
    if status.hint:
        text.append(f"\n{clean(status.hint, 500)}", palette.style("muted"))
    return text
