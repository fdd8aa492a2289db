"""The full-screen photo viewer.

Inside Textual the photo is drawn with half-blocks at the size of the screen.
In a terminal with a graphics protocol (kitty, iTerm2), `f` leaves Textual for
a moment (`App.suspend`) and shows the photo at full quality, then returns.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from alarmtui import imaging
from alarmtui.domain import Photo
from alarmtui.ui.format import content, local_time
from alarmtui.ui.widgets.photo import PhotoPanel


class PhotoScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back", id="photo_close"),
        Binding("f", "full_quality", "Full quality", id="photo_full_quality"),
    ]

    def __init__(self, photos: list[Photo], index: int = 0, *, protocol: str | None = None) -> None:
        super().__init__()
        self.photos = photos
        self.start_index = index
        self.protocol = protocol

    def compose(self) -> ComposeResult:
        yield Static(id="photo-caption")
        yield PhotoPanel(openable=False, id="photo-full")
        yield Footer()

    def on_mount(self) -> None:
        panel = self.query_one(PhotoPanel)
        panel.show(self.photos, self.start_index)
        panel.focus()
        self._caption()

    def on_key(self) -> None:
        self.call_after_refresh(self._caption)

    def _caption(self) -> None:
        panel = self.query_one(PhotoPanel)
        photo = panel.current
        if photo is None:
            return
        text = f"{photo.provider} · {photo.zone} · {local_time(photo.time, with_date=True)} · photo {panel.index + 1} of {len(self.photos)}  (← → to browse)"
        self.query_one("#photo-caption", Static).update(content(text))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "full_quality":
            return True if self.protocol else None
        return True

    def action_close(self) -> None:
        self.dismiss(None)

    def action_full_quality(self) -> None:
        photo = self.query_one(PhotoPanel).current
        if photo is None or self.protocol is None:
            return
        try:
            with self.app.suspend():
                size = self.app.size
                imaging.show_full_quality(photo.jpeg, self.protocol, size.width, size.height)
                input("Press Enter to return to alarmtui ")
        except Exception as exc:  # noqa: BLE001  (SuspendNotSupported without a real terminal, a broken image)
            self.notify(f"cannot show the full-quality photo here: {exc}", severity="warning", markup=False)
