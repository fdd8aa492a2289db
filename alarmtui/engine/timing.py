"""How often the engine polls: what a view may choose (the dashboard's tests, the benchmarks) without
importing the poller itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PollTiming:
    """How often to poll; `None` fields come from the provider's config."""

    poll_interval: float | None = None
    refresh_interval: float | None = None
    fast_interval: float = 1.0
    """Between polls while a command is pending."""
    backoff_initial: float = 2.0
    backoff_max: float = 300.0
    min_gap: float = 0.2
    """Never poll more often than this, however often the vendor says "changed"."""
    event_limit: int = 100
    backfill_limit: int = 1000
    """At most this many events in the back-fill after a start (`Poller.backfill_from`)."""
    follow_margin: float = 2.0
    """A timed transition (exit delay) is re-read this many seconds after the vendor's countdown ends."""
    follow_step: float = 5.0
    """Between re-reads of a transition whose end the vendor does not say (or that outlasts its countdown)."""
    follow_limit: float = 900.0
    """Stop following one transition after this long (a panel stuck "arming"); steady polls go on."""
