"""The request budget: a simulated hour of polling stays under the ceiling, and quiet providers are left alone."""

from __future__ import annotations

from collections import deque

import pytest

from alarmtui.engine.budget import WINDOW, RequestBudget, default_ceiling
from alarmtui.providers.base import RequestCounter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingProvider:
    """Just the provider's real request counter: the budget reads nothing else."""

    kind = "verisure"

    def __init__(self, clock: Clock) -> None:
        self.requests = RequestCounter(clock)


class PollerShape:
    def __init__(self, provider: CountingProvider, poll_interval: float, refresh_interval: float) -> None:
        self.provider = provider
        self.poll_interval = poll_interval
        self.refresh_interval = refresh_interval


def simulate(hours: float, *, ceiling: int, base_interval: float, cost: int, burst: int = 0) -> tuple[int, list[float]]:
    """Poll like the poller does (cost requests per round, then wait the planned interval); return the worst hour."""
    clock = Clock()
    provider = CountingProvider(clock)
    poller = PollerShape(provider, base_interval, 1800.0)
    budget = RequestBudget(poller, ceiling, clock=clock)  # type: ignore[arg-type]
    times: deque[float] = deque()
    worst = 0
    intervals: list[float] = []
    end = clock.now + hours * WINDOW
    if burst:  # start-up logins, or a command's fast polls (a poll round reports them)
        for _ in range(burst):
            provider.requests.add()
            times.append(clock.now)
        budget.observe(polled=False)
        clock.now += poller.poll_interval
    while clock.now < end:
        for _ in range(cost):
            provider.requests.add()
            times.append(clock.now)
        budget.observe(polled=True)
        while times and clock.now - times[0] >= WINDOW:
            times.popleft()
        worst = max(worst, len(times))
        intervals.append(poller.poll_interval)
        clock.now += poller.poll_interval
    return worst, intervals


def test_verisure_defaults_stay_under_sixty_requests_an_hour() -> None:
    worst, intervals = simulate(3, ceiling=default_ceiling("verisure"), base_interval=60.0, cost=2, burst=6)
    assert default_ceiling("verisure") == 60
    assert worst <= 60
    assert min(intervals) > 60.0  # two requests a minute would be 120 an hour: the polls were stretched


def test_a_provider_well_under_its_ceiling_keeps_its_interval() -> None:
    worst, intervals = simulate(2, ceiling=900, base_interval=10.0, cost=2)
    assert set(intervals) == {10.0}
    assert worst <= 2 * 360 + 2


@pytest.mark.parametrize("burst", [0, 40, 59])
def test_a_burst_near_the_ceiling_is_paid_back_by_waiting(burst: int) -> None:
    worst, _ = simulate(2, ceiling=60, base_interval=30.0, cost=3, burst=burst)
    assert worst <= 60


def test_the_refresh_interval_stretches_with_the_polls() -> None:
    clock = Clock()
    provider = CountingProvider(clock)
    poller = PollerShape(provider, 60.0, 1800.0)
    budget = RequestBudget(poller, 60, clock=clock)  # type: ignore[arg-type]
    for _ in range(5):
        provider.requests.add()
        provider.requests.add()
        budget.observe(polled=True)
        clock.now += poller.poll_interval
    assert poller.poll_interval > 60.0
    assert poller.refresh_interval == pytest.approx(1800.0 * poller.poll_interval / 60.0)


def test_counting_without_enforcing_leaves_intervals_alone() -> None:
    clock = Clock()
    provider = CountingProvider(clock)
    poller = PollerShape(provider, 1.0, 60.0)
    budget = RequestBudget(poller, 60, enforce=False, clock=clock)  # type: ignore[arg-type]
    for _ in range(100):
        provider.requests.add()
        budget.observe(polled=True)
        clock.now += 1.0
    assert poller.poll_interval == 1.0
    assert budget.used == 100
