"""Durations and points in time as people type them: `2d`, `90m`, `2y`, `2026-11-27`, `2026-11-27T03:12`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNITS = {
    "s": 1,
    "m": 60,
    "min": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "mo": 30 * 86400,
    "y": 365 * 86400,
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|min|mo|m|h|d|w|y)\s*$", re.IGNORECASE)


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """`30s`, `15m`/`15min`, `2h`, `2d`, `3w`, `6mo`, `2y`; a bare number means days."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, int | float):
        return timedelta(days=text)
    match = _DURATION.match(text)
    if match is None:
        if re.fullmatch(r"\s*\d+\s*", text):
            return timedelta(days=int(text))
        raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 12h, 2d, 3w, 6mo, 2y)")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """A point in time: a duration back from now (`2d`), or an ISO date/time (local time if no offset)."""
    now = now or datetime.now(UTC)
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a time: {text!r} (use e.g. 2d, 12h, 2026-11-27 or 2026-11-27T03:12)") from None
    if when.tzinfo is None:
        when = when.astimezone()  # the user's local time
    return when.astimezone(UTC)
