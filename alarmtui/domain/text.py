"""Server-supplied text is data: make it safe to store and show."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: object, limit: int = 500) -> str:
    """Return `value` as one line of printable text, at most `limit` characters.

    Strips control characters (terminal escapes included) and bidi overrides,
    folds newlines and tabs to spaces. Markup escaping is the UI's job, since
    only the UI knows which markup language it renders.
    """
    if value is None:
        return ""
    text = str(value)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ").replace("\r", " ")
    text = _CONTROL.sub("", text)
    text = text.strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text
