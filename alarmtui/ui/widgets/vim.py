"""Vim-style movement in every list and table: j/k down and up, g first, G last (arrows still work)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import OptionList

LIST_KEYS: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False),
    Binding("k", "cursor_up", "Up", show=False),
    Binding("g", "first", "First", show=False),
    Binding("G", "last", "Last", show=False),
]
"""For an `OptionList`."""
TABLE_KEYS: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False),
    Binding("k", "cursor_up", "Up", show=False),
    Binding("g", "scroll_top", "First", show=False),
    Binding("G", "scroll_bottom", "Last", show=False),
]
"""For a `DataTable` (its scroll_top / scroll_bottom move the cursor with the view)."""


class VimOptionList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = LIST_KEYS
