"""Server-supplied text is data: make it safe to store and show.

`terminal_text` is the one helper for text bound for a terminal: whole escape
sequences go (CSI, OSC including hyperlinks (OSC 8) and clipboard writes (OSC 52),
DCS/APC/PM/SOS strings, 7- and 8-bit forms), then every other control character,
bidi overrides and isolates, and zero-width and other invisible format characters.
`clean_text` is the same for one line of stored or displayed text, length-capped.
Markup escaping is the UI's job, since only the UI knows which markup it renders.
"""

from __future__ import annotations

import re
import unicodedata

_ST = r"(?:\x07|\x1b\\|\x9c)"
_ESCAPE_SEQUENCES = re.compile(
    rf"""
      (?:\x1b\]|\x9d)[^\x07\x1b\x9c]*{_ST}?                    # OSC … BEL/ST: titles, OSC 8 links, OSC 52 clipboard
    | (?:\x1b[P_^X]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?   # DCS, APC, PM, SOS strings
    | (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?        # CSI: colours, cursor moves, erase
    | \x1b[\x20-\x2f]*[\x30-\x7e]?                               # any other ESC sequence (ESC c resets the terminal)
    """,
    re.VERBOSE,
)
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})
"""Controls, format characters (bidi overrides/isolates/marks, zero-width spaces and joiners, BOM), private
use, surrogates, unassigned: nothing a vendor needs to show us, each something an attacker can use."""
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _strip_invisible(text: str, keep: str) -> str:
    if text.isascii() and text.isprintable():
        return text
    return "".join(c for c in text if c in keep or unicodedata.category(c) not in _INVISIBLE_CATEGORIES)


def terminal_text(value: object, limit: int | None = None, *, multiline: bool = False) -> str:
    """`value` as text that cannot act on a terminal: no escape sequence, control, bidi or invisible character.

    One line (line breaks and tabs become spaces) unless `multiline` (then `\\n` stays).
    At most `limit` characters (the last one an ellipsis) when a limit is given.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = _ESCAPE_SEQUENCES.sub("", text)
    text = _LINE_BREAKS.sub("\n" if multiline else " ", text).replace("\t", " ")
    text = _strip_invisible(text, "\n")
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


def clean_text(value: object, limit: int = 500) -> str:
    """Return `value` as one line of printable text, at most `limit` characters.

    Strips escape sequences, control characters and bidi overrides (`terminal_text`),
    folds newlines and tabs to spaces, trims.
    """
    if isinstance(value, str) and len(value) > 4 * limit + 64:
        # Cleaning looks at every character and all but `limit` are thrown away: cut first (a 15 MB vendor
        # name took 1.5 s on the event loop). Escapes and invisibles in the kept part are still removed.
        value = value[: 4 * limit + 64]
    text = terminal_text(value).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text
