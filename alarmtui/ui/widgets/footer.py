"""A footer that never overflows: keys in a fixed order, the least important dropped first when narrow.

Textual's footer lists bindings in the order of the key map, so a remapped key
jumps to the end, and at 80 columns the row is cut mid-word ("/ F▏"). Here the
order comes from the action (never from the key), and keys that do not fit are
left out by priority (every key stays listed in the help screen, `?`).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_ROOM = 14
"""Columns kept for the command palette key at the right end."""


def footer_width(key_display: str, description: str) -> int:
    """Cells one key takes in the footer (key and description, each padded by one)."""
    return len(key_display) + 2 + (len(description) + 1 if description else 0)


def choose_keys(keys: Sequence[tuple[str, int]], priority: Sequence[str], width: int) -> list[str]:
    """From (action, cells) in display order, the actions that fit in `width`, most important first."""
    rank = {action: n for n, action in enumerate(priority)}
    by_importance = sorted(range(len(keys)), key=lambda i: (rank.get(keys[i][0], len(rank)), i))
    chosen: set[int] = set()
    used = 0
    for index in by_importance:
        cells = keys[index][1]
        if used + cells <= width:
            chosen.add(index)
            used += cells
    return [keys[i][0] for i in sorted(chosen)]


class KeyFooter(Footer):
    """`order` lists actions in display order; `priority` lists them most important first."""

    def __init__(self, order: Sequence[str] = (), priority: Sequence[str] = (), **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.order = list(order)
        self.priority = list(priority) or list(order)
        self.shown_actions: list[str] = []
        self._composed_width = 0

    def on_resize(self) -> None:
        if self._bindings_ready and self.size.width != self._composed_width:
            self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        first: dict[str, tuple[Binding, bool, str]] = {}
        for _, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in first:
                first[binding.action] = (binding, enabled, tooltip)
        place = {action: n for n, action in enumerate(self.order)}
        actions = sorted(first, key=lambda a: (place.get(a, len(place)), list(first).index(a)))
        cells = [
            (action, footer_width(self.app.get_key_display(first[action][0]), first[action][0].description)) for action in actions
        ]
        self._composed_width = self.size.width
        room = self.size.width - (PALETTE_ROOM if self.show_command_palette else 0) if self.size.width else 10_000
        self.shown_actions = choose_keys(cells, self.priority, room)
        self.styles.grid_size_columns = len(self.shown_actions)
        for action in self.shown_actions:
            binding, enabled, tooltip = first[action]
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip or binding.description,
            ).data_bind(compact=Footer.compact)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            try:
                _node, binding, enabled, tooltip = active[self.app.COMMAND_PALETTE_BINDING]
            except KeyError:
                return
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )
