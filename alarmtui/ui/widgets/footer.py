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
from textual.screen import Screen
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
        self._composed_signature: tuple[tuple[str, str, str], ...] | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Only the dimming changed (a command went out, a partition armed): set it on the keys shown. A recompose
        rebuilds every key (~50 ms) and held back the frame showing the command (key → ARMING)."""
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if not self._dim_in_place():
            self.call_after_refresh(self.recompose)

    def _candidates(self) -> dict[str, tuple[Binding, bool, str]]:
        """The first shown binding of each action, with whether it can act now, and its tooltip."""
        first: dict[str, tuple[Binding, bool, str]] = {}
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in first:
                first[binding.action] = (binding, enabled, tooltip)
        return first

    @staticmethod
    def _signature(first: dict[str, tuple[Binding, bool, str]]) -> tuple[tuple[str, str, str], ...]:
        return tuple((action, binding.key, binding.description) for action, (binding, _, _) in first.items())

    def _dim_in_place(self) -> bool:
        first = self._candidates()
        if self._signature(first) != self._composed_signature:
            return False
        for key in self.query(FooterKey):
            if key.action in first and not key.has_class("-command-palette"):
                binding, enabled, tooltip = first[key.action]
                key._disabled = not enabled  # what FooterKey's own constructor sets (a click on it only rings)
                key.set_class(not enabled, "-disabled")
                key.tooltip = tooltip or binding.description
        return True

    def on_resize(self) -> None:
        if self._bindings_ready and self.size.width != self._composed_width:
            self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        first = self._candidates()
        self._composed_signature = self._signature(first)
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
