"""A per-provider ceiling on vendor requests per hour, kept by stretching poll intervals.

Vendors punish chatty clients (Securitas phones users and blocks accounts,
Visonic answers 420, Verisure users hit daily limits), so the engine counts each
provider's requests in a sliding hour and, before the next poll would cross the
ceiling, waits longer between polls. It never drops a command: commands and
their fast follow-up polls are counted, and the steady polls make room.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from alarmtui.engine.poller import Poller

WINDOW = 3600.0
MARGIN = 0.9
"""Plan for this share of the ceiling; the rest absorbs commands, re-logins and photo fetches."""
DEFAULT_CEILINGS: dict[str, int] = {
    # Verisure users report daily limits and the vendor blocks bursts: one request a minute.
    "verisure": 60,
    "securitas": 60,
    # PowerManage: a round (status, events, troubles…) costs about 5 requests every 10 s; 420 "login
    # blocked" after bursts. The default leaves the 10 s interval alone and caps what commands add.
    "visonic": 2000,
    # MMS relay long poll: about one request a minute while nothing happens.
    "mios": 600,
    # The Vera on the LAN: no vendor behind it, but no reason to hammer it either.
    "vera": 3600,
}
FALLBACK_CEILING = 600


def default_ceiling(kind: str) -> int:
    return DEFAULT_CEILINGS.get(kind, FALLBACK_CEILING)


class RequestBudget:
    """Watches one poller's provider and stretches its intervals to stay under `ceiling` requests/hour."""

    def __init__(
        self,
        poller: Poller,
        ceiling: int,
        *,
        enforce: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.poller = poller
        self.ceiling = ceiling
        self.enforce = enforce
        self._clock = clock
        self._base_poll = poller.poll_interval
        self._base_refresh = poller.refresh_interval
        counter = poller.provider.requests
        self._start_total = counter.total
        self._samples: deque[tuple[float, int]] = deque([(clock(), counter.total)])
        """(when, the provider's running total then), oldest first, spanning a little over the window."""
        self._last_poll_total: int | None = None
        self.cost_per_poll = 1.0
        """Smoothed requests per poll round (refreshes and long polls included)."""
        poller.may_follow = self.has_room

    def has_room(self) -> bool:
        """Whether one more round fits under the hard ceiling (a read that follows an exit delay to its end)."""
        return not self.enforce or self.used + max(self.cost_per_poll, 0.5) <= self.ceiling

    @property
    def used(self) -> int:
        """Requests in the last hour (an upper bound: samples are taken once per poll)."""
        now = self._clock()
        total = self.poller.provider.requests.total
        reference = self._start_total
        for when, seen in self._samples:
            if now - when >= WINDOW:
                reference = seen
            else:
                break
        return total - reference

    def observe(self, *, polled: bool) -> None:
        """Note the provider's request count after a poll round (or a failed one) and re-plan."""
        now = self._clock()
        total = self.poller.provider.requests.total
        self._samples.append((now, total))
        while len(self._samples) > 2 and now - self._samples[1][0] >= WINDOW:
            self._samples.popleft()
        if polled:
            if self._last_poll_total is not None:
                cost = max(total - self._last_poll_total, 0)
                self.cost_per_poll = 0.8 * self.cost_per_poll + 0.2 * cost
            self._last_poll_total = total
        if self.enforce:
            self._plan(now)

    def _plan(self, now: float) -> None:
        target = max(self.ceiling * MARGIN, 1.0)
        cost = max(self.cost_per_poll, 0.5)
        # Steady state: this many seconds between rounds keeps the hourly rate at the target.
        interval = max(self._base_poll, cost * WINDOW / target)
        over = self.used + cost - target
        if over > 0:
            # Near the ceiling already (start-up logins, commands): wait until enough of the
            # window's requests have aged out to afford the next round.
            total = self.poller.provider.requests.total
            for when, seen in self._samples:
                if total - seen + cost <= target:
                    interval = max(interval, when + WINDOW - now)
                    break
            else:
                interval = max(interval, WINDOW / 4)
        self.poller.poll_interval = interval
        stretch = interval / self._base_poll
        self.poller.refresh_interval = self._base_refresh * stretch
