"""The command palette (ctrl+p): what can be done now, real actions first, demo scenarios last.

Titles are `Content` built as plain text (partition and zone names are server
text and are never read as markup); help lines carry no server text at all,
because Textual reads them as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.screen import Screen


@dataclass(frozen=True, slots=True)
class PaletteEntry:
    title: str
    """Plain text (already cleaned); shown literally."""
    help: str
    """Fixed words only (Textual parses palette help as markup)."""
    callback: Callable[[], object]
    discover: bool = True
    """Listed before anything is typed."""


class PaletteSource(Protocol):
    """The app that fills the palette (`AlarmApp`): this module only needs its entries."""

    def palette_entries(self, screen: Screen) -> list[PaletteEntry]: ...


class AlarmCommands(Provider):
    """Every entry from `AlarmApp.palette_entries`, in its order (actions, app commands, demo scenarios)."""

    def _entries(self) -> Iterator[PaletteEntry]:
        app: PaletteSource = self.app  # type: ignore[assignment]
        return iter(app.palette_entries(self.screen))

    async def discover(self) -> Hits:
        for entry in self._entries():
            if entry.discover:
                yield DiscoveryHit(Content(entry.title), entry.callback, text=entry.title, help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score, offsets = matcher.fuzzy_search.match(query, entry.title)
            if score <= 0:
                continue
            title = Content(entry.title)
            for offset in offsets:
                if not entry.title[offset].isspace():
                    title = title.stylize(matcher.match_style, offset, offset + 1)
            yield Hit(score, title, entry.callback, text=entry.title, help=entry.help)
