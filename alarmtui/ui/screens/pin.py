"""Asks for a user code (PIN): digits only, masked, never logged or kept."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from alarmtui.ui.format import safe


class PinScreen(ModalScreen[str | None]):
    """Dismisses with the code, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="pin_cancel")]

    def __init__(self, what: str, provider: str) -> None:
        super().__init__()
        self.what = what
        self.provider = provider

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-dialog", classes="dialog"):
            yield Label(safe(f"{self.provider}: enter the user code to {self.what}"), id="pin-title")
            yield Input(password=True, restrict=r"[0-9]*", max_length=12, placeholder="code", id="pin-input")
            yield Label("Enter to send · Esc to cancel", classes="dialog-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # the message carries the code: it goes nowhere else
        if event.value:
            self.dismiss(event.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()

    def action_cancel(self) -> None:
        self.dismiss(None)
