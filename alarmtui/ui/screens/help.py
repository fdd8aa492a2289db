"""Every key binding of every screen, with its id (the name to use in `keymap` in the config)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "Keys act on the partition or zone named in the panel's title (arm, disarm: the highlighted partition; "
    "bypass, photo: the highlighted zone). A dimmed key cannot act now; press it to learn why. "
    'Remap keys in the config file: [keymap] arm_away = "A".  Verisure calls "home" "day".'
)


@dataclass(frozen=True, slots=True)
class HelpSection:
    title: str
    rows: list[tuple[str, str, str]]
    """(binding id, keys as a person reads them, description)."""


def help_text(sections: list[HelpSection]) -> Text:
    """All sections as one text: key, action, full binding id, aligned; no cell is ever cut."""
    key_width = max((len(keys) for s in sections for _, keys, _ in s.rows), default=4)
    action_width = max((len(d) for s in sections for _, _, d in s.rows), default=6)
    text = Text()
    for n, section in enumerate(sections):
        if n:
            text.append("\n\n")
        text.append(section.title, "bold underline")
        for binding_id, keys, description in section.rows:
            text.append("\n")
            text.append(f"  {keys:<{key_width}}  ", "bold")
            text.append(f"{description:<{action_width}}  ")
            text.append(binding_id, "dim")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "Close", id="help_close")]

    def __init__(self, sections: list[HelpSection]) -> None:
        super().__init__()
        self.sections = sections

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        return [row for section in self.sections for row in section.rows]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Static(Text("alarmtui keys", style="bold"), id="help-title")
            yield Static(Text(INTRO), id="help-intro")
            yield Static(help_text(self.sections), id="help-table")

    def action_close(self) -> None:
        self.dismiss(None)
