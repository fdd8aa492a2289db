"""The latest photos, drawn with half-blocks; Enter opens the full-screen viewer."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from alarmtui.domain import Photo
from alarmtui.imaging import ImageError, Picture, RenderCache
from alarmtui.ui.format import content, local_time, set_border
from alarmtui.ui.state import photo_key

PHOTO_CACHE = RenderCache()
"""Shared by the panel and the viewer, so going back and forth never re-renders."""


def render_picture(key: str, data: bytes, columns: int, rows: int) -> Picture:
    """Decode, half-block and cut the photo into strips: all of it in a worker thread."""
    picture = PHOTO_CACHE.render(key, data, columns, rows)
    if picture.strips is None:
        picture.strips = [Strip(line).simplify() for line in picture.lines]
    return picture


class PhotoPanel(Widget, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Previous photo", show=False, id="photo_previous"),
        Binding("right", "step(1)", "Next photo", show=False, id="photo_next"),
        Binding("enter", "open", "View photo", id="photo_open"),
    ]

    class Opened(Message):
        """The user wants the full-screen viewer at `index`."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, openable: bool = True, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.openable = openable
        self.photos: list[Photo] = []
        self.index = 0
        self._picture: Picture | None = None
        self._error = ""
        self._rendered_for: tuple[str, int, int] | None = None

    @property
    def current(self) -> Photo | None:
        return self.photos[self.index] if self.photos else None

    def show(self, photos: list[Photo], index: int | None = None) -> None:
        """Show the newest photo of `photos` (newest first), or the one at `index`."""
        newest_changed = not self.photos or not photos or photo_key(self.photos[0]) != photo_key(photos[0])
        self.photos = list(photos)
        if newest_changed:
            self.index = 0
        if index is not None:
            self.index = index
        self.index = min(self.index, max(len(self.photos) - 1, 0))
        self._schedule_render()

    def action_step(self, delta: int) -> None:
        if self.photos:
            self.index = (self.index + delta) % len(self.photos)
            self._schedule_render()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return self.openable if self.photos else None
        return True

    def action_open(self) -> None:
        if self.photos and self.openable:
            self.post_message(self.Opened(self.index))

    def on_resize(self) -> None:
        self._schedule_render()

    def _schedule_render(self) -> None:
        photo = self.current
        self._update_titles()
        if photo is None:
            self._picture = None
            self.refresh()
            return
        columns, rows = self.content_size.width, self.content_size.height
        if columns <= 0 or rows <= 0:
            return
        target = (photo_key(photo), columns, rows)
        if target == self._rendered_for:
            return
        cached = PHOTO_CACHE.get(*target)
        if cached is not None and cached.strips is not None:
            self._set_picture(target, cached)
            return
        self.run_worker(self._render_photo(photo, target), exclusive=True, group="photo-render")

    async def _render_photo(self, photo: Photo, target: tuple[str, int, int]) -> None:
        try:
            # Decoding and the ANSI parse cost tens of milliseconds: never on the event loop.
            picture = await asyncio.to_thread(render_picture, target[0], photo.jpeg, target[1], target[2])
        except ImageError as exc:
            self._error = f"cannot show this photo: {exc}"
            self._picture = None
            self._rendered_for = target
            self.refresh()
            return
        self._set_picture(target, picture)

    def _set_picture(self, target: tuple[str, int, int], picture: Picture) -> None:
        self._error = ""
        self._picture = picture
        self._rendered_for = target
        self.refresh()

    def _update_titles(self) -> None:
        photo = self.current
        if photo is None:
            set_border(self, title="Photo", subtitle="")
            return
        set_border(
            self,
            title=f"Photo {self.index + 1}/{len(self.photos)}",
            subtitle=content(f"{photo.provider} · {photo.zone} · {local_time(photo.time)}"),
        )

    def render_line(self, y: int) -> Strip:
        picture = self._picture
        if picture is None or picture.strips is None:
            return super().render_line(y)
        # The strips were cut in the worker: the event loop only centres and blits them.
        width, height = self.size
        style = self.visual_style.rich_style
        row = y - max((height - len(picture.strips)) // 2, 0)
        if not 0 <= row < len(picture.strips):
            return Strip.blank(width, style)
        strip = picture.strips[row]
        assert isinstance(strip, Strip)
        left = max((width - strip.cell_length) // 2, 0)
        if left:
            strip = Strip.join([Strip.blank(left, style), strip])
        return strip.extend_cell_length(width, style).crop(0, width)

    def render(self) -> Picture | Text:
        if self._picture is not None:
            return self._picture
        if self._error:
            return Text(self._error)
        if not self.photos:
            return Text("No photos yet. Select a camera zone and press c.", style="dim")
        return Text("rendering…", style="dim")
