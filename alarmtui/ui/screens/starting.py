"""The dashboard's first frame while its engine is built (off the event loop), and while the providers give their
first answers: what it is waiting for."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static


class StartingScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "app.quit", "Quit", show=False)]

    def __init__(self, waiting_for: str) -> None:
        super().__init__()
        self.waiting_for = waiting_for

    def compose(self) -> ComposeResult:
        yield Static(self._words(), id="starting", markup=False)

    def _words(self) -> str:
        return f"alarmtui · starting: {self.waiting_for}…"

    def waiting(self, waiting_for: str) -> None:
        """Say what it waits for now ("connecting to hogar, vera")."""
        self.waiting_for = waiting_for
        if self.is_mounted:
            self.query_one("#starting", Static).update(self._words())
