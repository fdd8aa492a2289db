"""The input guard: no key or click acts on a dialog in the first half second after it appears.

A key already on its way (a held `d`, an Enter typed for something else) must not land on an
alarm banner, a PIN prompt, a confirmation or the SMS dialog that the user has not seen yet.
The app drops key and mouse input while the active screen is a `GuardedModal` that became
visible less than `GUARD_SECONDS` ago (`AlarmApp.on_event`). The clock is injectable
(`InputGuard(clock=...)`) so tests never sleep on the real one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.screen import ModalScreen, ScreenResultType

GUARD_SECONDS = 0.5


class InputGuard:
    """When input may reach a freshly shown dialog; `clock` is monotonic seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, seconds: float = GUARD_SECONDS) -> None:
        self.clock = clock
        self.seconds = seconds

    def holds(self, screen: object) -> bool:
        """Whether input to `screen` is dropped now (it is a guarded dialog shown too recently)."""
        if not isinstance(screen, GuardedModal):
            return False
        shown = screen.shown_at
        return shown is None or self.clock() - shown < self.seconds


DEFAULT_GUARD = InputGuard()


class GuardedModal(ModalScreen[ScreenResultType]):
    """A dialog whose input the app holds back for `GUARD_SECONDS` each time it becomes visible."""

    shown_at: float | None = None
    """Guard-clock time it became the visible screen (None: not visible yet, or covered)."""

    @property
    def guard(self) -> InputGuard:
        guard: Any = getattr(self.app, "input_guard", None)
        return guard if isinstance(guard, InputGuard) else DEFAULT_GUARD

    def on_screen_resume(self) -> None:
        # Uncovered again (a PIN prompt over the banner closed): guarded again. When first shown, the app
        # already set the time as it pushed the screen (`AlarmApp.push_screen`).
        if self.shown_at is None:
            self.shown_at = self.guard.clock()

    def on_screen_suspend(self) -> None:
        self.shown_at = None
