"""Checks on what comes from outside (a user's keyboard, a socket, a vendor): codes and delays.

Standard library only: headless commands use these before anything heavy loads.
"""

from __future__ import annotations

import math
import re

_ASCII_DIGITS = re.compile(r"[0-9]+")

CODE_LENGTHS: dict[str, tuple[int, int]] = {
    # (shortest, longest) user code each vendor's panels take; anything else never leaves this machine.
    "visonic": (4, 6),  # 4-digit master/user codes; some panels 6
    "verisure": (4, 6),
    "mypages": (4, 6),
    "securitas": (4, 8),
    "mios": (4, 8),
    "vera": (4, 8),
}
DEFAULT_CODE_LENGTH = (4, 8)
VERIFICATION_CODE_LENGTH = (4, 8)
"""An SMS device-validation code (Securitas sends 6 digits)."""


def code_problem(code: str, kind: str = "", *, lengths: tuple[int, int] | None = None, length: int | None = None) -> str | None:
    """Why `code` cannot be this vendor's user code (None: it can). ASCII digits only ("١٢٣٤" is not 1234),
    at the provider's own `length` when it knows it (`Provider.code_length`), else the vendor's range:
    a 10,000-digit string is refused before anything is sent."""
    if length is not None and 0 < length <= 16:
        lengths = (length, length)
    shortest, longest = lengths or CODE_LENGTHS.get(kind, DEFAULT_CODE_LENGTH)
    if not isinstance(code, str) or not _ASCII_DIGITS.fullmatch(code):
        return "the code must be digits 0-9 only"
    if not shortest <= len(code) <= longest:
        span = f"{shortest}" if shortest == longest else f"{shortest} to {longest}"
        return f"the code must be {span} digits"
    return None


MAX_DELAY = 7 * 24 * 3600.0
"""No wait this program schedules or shows is longer than a week."""


def finite_delay(value: object, default: float | None = None) -> float | None:
    """`value` as a number of seconds to wait, in [0, a week]; `default` for NaN, infinities, non-numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    seconds = float(value)
    if not math.isfinite(seconds):
        return default
    return min(max(seconds, 0.0), MAX_DELAY)
