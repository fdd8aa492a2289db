"""Asks for a user code (PIN): digits only, masked, never logged or kept."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label

from alarmtui.ui.format import clean
from alarmtui.ui.screens.guard import GuardedModal

MAX_CODE_LENGTH = 12
"""Longest code accepted where the provider does not say its length."""
PIN_ATTEMPTS = 3
"""A wrong code is asked for again, up to this many tries in all."""


class PinScreen(GuardedModal[str | None]):
    """Dismisses with the code, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="pin_cancel")]

    def __init__(self, what: str, provider: str, *, attempt: int = 1, error: str = "", length: int | None = None) -> None:
        """`length`: the provider's code length where known (the input takes no more digits than that)."""
        super().__init__()
        self.length = length
        self.what = what
        self.provider = provider
        self.attempt = attempt
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-dialog", classes="dialog"):
            title = Text(f"{clean(self.provider)}: enter the user code to {clean(self.what)}")
            yield Label(title, id="pin-title")
            if self.error:
                tries = f" (try {self.attempt} of {PIN_ATTEMPTS})"
                yield Label(Text(f"{clean(self.error)}{tries}", style="bold"), id="pin-error")
            # ASCII digits only (no other script's digits, no 10,000-digit strings), at the provider's length.
            yield Input(
                password=True, restrict=r"[0-9]*", max_length=self.length or MAX_CODE_LENGTH, placeholder="code", id="pin-input"
            )
            yield Label("Enter to send · Esc to cancel", classes="dialog-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # the message carries the code: it goes nowhere else
        code = event.value
        if code and code.isascii() and code.isdigit() and (self.length is None or len(code) == self.length):
            self.dismiss(code)
        elif code:
            self.notify(f"The code has {self.length} digits." if self.length else "Digits only.", severity="warning")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()

    def action_cancel(self) -> None:
        self.dismiss(None)
