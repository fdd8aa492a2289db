"""The journal's search limits, in a module of their own so that views can quote them without loading SQLite."""

from __future__ import annotations

SHORT_GREP_CHARS = 2
"""A grep this short (or shorter) cannot use the trigram index: it is a scan, bounded by the window below."""
SHORT_GREP_WINDOW = 10_000
"""A grep of one or two characters searches only this many of the newest entries (before the cursor)."""
