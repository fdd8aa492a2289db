"""Every partition of every provider: its state, large and coloured, and whether it is ready."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from alarmtui.domain import Partition, PartitionState
from alarmtui.poller import LinkState
from alarmtui.ui.format import LINK_ROLE, STATE_ROLE, STATE_WORDS, Palette, countdown
from alarmtui.ui.state import ProviderView

BADGE_WIDTH = 17


class PartitionsPanel(OptionList):
    """Selectable partitions; arm and disarm keys act on the highlighted one."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._targets: dict[str, tuple[str, str | None]] = {}
        self._prompts: dict[str, str] = {}

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

    def show(self, views: Iterable[ProviderView], now: datetime, palette: Palette) -> None:
        rows: list[tuple[str, tuple[str, str | None], Text]] = []
        for view in views:
            if view.snapshot is None or (view.status.state is not LinkState.ONLINE and not view.snapshot.partitions):
                rows.append((f"s-{len(rows)}", (view.name, None), status_prompt(view, palette)))
                continue
            if not view.snapshot.partitions:
                rows.append((f"s-{len(rows)}", (view.name, None), Text(f"{view.name}: no partitions reported")))
            for partition in view.snapshot.partitions:
                stale = view.status.state is not LinkState.ONLINE
                rows.append(
                    (
                        f"p-{len(rows)}",
                        (view.name, partition.id),
                        partition_prompt(view, partition, now, palette, stale),
                    )
                )
        new_targets = {option_id: target for option_id, target, _ in rows}
        if list(new_targets.values()) == list(self._targets.values()):
            for option_id, _, prompt in rows:  # same rows: update in place, keep the highlight
                if self._prompts.get(option_id) != prompt.markup:
                    self._prompts[option_id] = prompt.markup
                    self.replace_option_prompt(option_id, prompt)
            return
        previous = self.selected()
        self._targets = new_targets
        self._prompts = {option_id: prompt.markup for option_id, _, prompt in rows}
        self.clear_options()
        self.add_options([Option(prompt, id=option_id) for option_id, _, prompt in rows])
        if rows:
            keep = next((i for i, (_, target, _) in enumerate(rows) if target == previous), None)
            if keep is None:
                keep = next((i for i, (_, target, _) in enumerate(rows) if target[1] is not None), 0)
            self.highlighted = keep


def partition_prompt(view: ProviderView, partition: Partition, now: datetime, palette: Palette, stale: bool) -> Text:
    role = STATE_ROLE[partition.state]
    words = STATE_WORDS[partition.state]
    pending = view.pending if view.pending is not None and view.pending.shown_on(partition) else None
    if pending is not None:
        # Sent, not confirmed: says so, and never looks like a state the panel reported.
        role, words = "warning", pending.words
    elif partition.state in (PartitionState.ARMING, PartitionState.PENDING):
        left = countdown(partition.exit_delay_until, now)
        if left:
            words = f"{words} {left}"
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{view.name} · ", palette.style("muted"))
    text.append(partition.name, "bold")
    text.append("\n")
    text.append(f" {words} ".center(BADGE_WIDTH), palette.style(role, bold=True, reverse=True))
    if pending is not None:
        text.append("  sent, waiting for the panel", palette.style("warning", bold=True))
    elif partition.detail:
        text.append(f"  {partition.detail}")
    if stale:
        text.append(f"  (last known; {view.status.state.value})", palette.style("warning"))
    text.append("\n")
    if partition.state is PartitionState.TRIGGERED and partition.alarm_zone:
        text.append(f"alarm in {partition.alarm_zone}", palette.style("error", bold=True))
    elif partition.ready is True:
        text.append("ready", palette.style("success"))
    elif partition.ready is False:
        text.append("not ready", palette.style("warning", bold=True))
        if partition.open_zones:
            text.append(": " + ", ".join(partition.open_zones), palette.style("warning"))
    else:
        text.append("readiness unknown", palette.style("muted"))
    return text


def status_prompt(view: ProviderView, palette: Palette) -> Text:
    """Where a provider's partitions would be: why they are not there."""
    status = view.status
    role = LINK_ROLE[status.state]
    text = Text(no_wrap=False)
    text.append(f"{view.name} · {view.kind}\n", "bold")
    if status.state is LinkState.CONNECTING:
        text.append("connecting…", palette.style(role))
        return text
    text.append(f"{status.state.value}: {status.reason or 'no data yet'}", palette.style(role, bold=True))
    if status.hint:
        text.append(f"\n{status.hint}", palette.style("muted"))
    return text
