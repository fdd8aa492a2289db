"""Every key binding with its id (the name to use in `keymap` in the config)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

INTRO = (
    "Keys act on the highlighted partition (arm, disarm) or zone (bypass, photo). "
    "Dimmed keys in the footer cannot act right now. Remap any key in the config file: "
    '[keymap] arm_away = "A".  Verisure calls "home" "day".'
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "Close", id="help_close")]

    def __init__(self, bindings: list[tuple[str, str, str]]) -> None:
        """`bindings` is (binding id, keys, description)."""
        super().__init__()
        self.rows = bindings

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static("alarmtui keys", id="help-title")
            yield Static(Text(INTRO), id="help-intro")
            yield DataTable(id="help-table", cursor_type="none", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action", "Binding id")
        for binding_id, keys, description in self.rows:
            table.add_row(Text(keys, style="bold"), Text(description), Text(binding_id, style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
