"""Every way alarmtui draws a photo in a terminal, behind one small module.

Inside Textual only half-block characters survive the compositor, so the
dashboard uses term-image's `BlockImage`, turned into a Rich `Text`. The
full-quality view (outside Textual, while the app is suspended) uses the
terminal's own graphics protocol (kitty, iTerm2) through term-image. Swap the
renderer here and nowhere else.

Decoding refuses decompression bombs and anything that is not a JPEG/PNG.
All rendering is synchronous and CPU-bound: callers run it in a thread.
"""

from __future__ import annotations

import io
import os
import sys
import threading
import warnings
from collections import OrderedDict
from functools import cache
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.text import Text

if TYPE_CHECKING:  # Pillow is imported when a photo is first decoded, not at start-up
    from PIL import Image

MAX_PIXELS = 24_000_000
"""Refuse larger images (a 24 MP photo is far beyond any alarm camera)."""
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG"})


class ImageError(Exception):
    """The bytes are not a photo we are willing to decode."""


@cache
def prepare_terminal() -> None:
    """Import term-image quietly and stop it from ever querying the terminal.

    Every use of term-image in this module calls this first, so it may run late
    (on the first photo drawn, in a worker thread while the app owns the
    terminal): importing term-image only opens the tty; it queries the terminal
    only when asked to, and by then queries are off. A query while the app runs
    would read the app's input.
    """
    warnings.filterwarnings("ignore", module=r"term_image(\..*)?")
    warnings.filterwarnings("ignore", message=r".*not connected to a terminal.*")
    import term_image

    term_image.disable_queries()


def decode(data: bytes, *, fit: tuple[int, int] | None = None) -> Image.Image:
    """Decode `data` to RGB, at a reduced scale when only `fit` pixels are needed."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001  (Pillow raises many types for garbage)
        raise ImageError(f"not an image ({type(exc).__name__})") from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageError(f"unsupported image format {image.format}")
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageError(f"image too large ({width}x{height})")
    if fit is not None and image.format == "JPEG":
        image.draft("RGB", fit)  # the JPEG decoder scales by 1/2..1/8 for free
    try:
        return image.convert("RGB")
    except Exception as exc:  # noqa: BLE001  (truncated or corrupt data, any decoder error)
        raise ImageError(f"broken image ({type(exc).__name__})") from None


def halfblock_ansi(data: bytes, columns: int, rows: int) -> str:
    """The photo as lines of `▀` with 24-bit colours, fitted into columns x rows cells."""
    prepare_terminal()
    from term_image.image import BlockImage

    columns, rows = max(columns, 1), max(rows, 1)
    image = BlockImage(decode(data, fit=(columns * 2, rows * 4)))
    image.set_size(frame_size=(columns, rows))
    return str(image)


def halfblock_text(data: bytes, columns: int, rows: int) -> Text:
    """`halfblock_ansi` as Rich `Text` (the parse is the expensive part; cache the result)."""
    text = Text.from_ansi(halfblock_ansi(data, columns, rows), no_wrap=True, end="")
    text.no_wrap = True
    return text


class Picture:
    """A photo ready to blit: its lines of styled segments, cut in the worker thread.

    Turning the ANSI text into segments is most of the cost of drawing a photo;
    done once per size off the event loop, the loop only copies lines out.
    """

    def __init__(self, text: Text, columns: int) -> None:
        self.text = text
        self.width = columns
        console = _segment_console(columns)
        self.lines: list[list[Segment]] = [
            list(line) for line in Segment.split_and_crop_lines(text.render(console), columns, pad=False, include_new_lines=False)
        ]
        self.strips: list[object] | None = None
        """The lines as the UI's own line type, made once by the UI (this module knows no Textual)."""

    @property
    def plain(self) -> str:
        return self.text.plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            yield from line
            yield Segment.line()


def _segment_console(columns: int) -> Console:
    return Console(width=max(columns, 1), color_system="truecolor", force_terminal=True, file=io.StringIO())


class RenderCache:
    """Rendered photos by (photo key, columns, rows); thread-safe, least recently used dropped."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, int, int], Picture] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, columns: int, rows: int) -> Picture | None:
        with self._lock:
            text = self._items.get((key, columns, rows))
            if text is not None:
                self._items.move_to_end((key, columns, rows))
            return text

    def render(self, key: str, data: bytes, columns: int, rows: int) -> Picture:
        """Cached `halfblock_text`, cut into lines; call from a worker thread."""
        cached = self.get(key, columns, rows)
        if cached is not None:
            return cached
        text = Picture(halfblock_text(data, columns, rows), columns)
        with self._lock:
            self._items[(key, columns, rows)] = text
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return text


# --------------------------------------------------------------------------- outside Textual


def graphics_protocol(environ: dict[str, str] | None = None) -> str | None:
    """ "kitty" or "iterm2" when the terminal says (by environment, never by a query) it has one."""
    env = os.environ if environ is None else environ
    term = env.get("TERM", "")
    program = env.get("TERM_PROGRAM", "")
    if "kitty" in term or env.get("KITTY_WINDOW_ID") or program == "ghostty":
        return "kitty"
    if program in ("iTerm.app", "WezTerm") or env.get("LC_TERMINAL") == "iTerm2":
        return "iterm2"
    return None


def show_full_quality(data: bytes, protocol: str, columns: int, rows: int) -> None:
    """Draw the photo on the real terminal with its graphics protocol.

    Only while the app is suspended: the terminal is ours for a moment, so
    term-image may ask it for its cell size (in pixels), which is what makes the
    picture sharp. Queries are switched off again before the app resumes.
    """
    prepare_terminal()
    import term_image
    from term_image.image import ITerm2Image, KittyImage

    image_class = KittyImage if protocol == "kitty" else ITerm2Image
    image_class.forced_support = True  # we know from the environment; no support query
    term_image.enable_queries()
    try:
        image = image_class(decode(data))
        image.set_size(frame_size=(max(columns, 1), max(rows - 2, 1)))
        sys.stdout.write(str(image) + "\n")
        sys.stdout.flush()
    finally:
        term_image.disable_queries()
