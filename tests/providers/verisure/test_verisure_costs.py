"""What the Verisure client costs, measured against the simulator.

An hour at idle with the default intervals (ACT_V2 every poll_interval = 60 s,
EST every refresh_interval = 1800 s) is replayed on a fake clock, so the
request counter's own `per_hour()` gives the figure; a status refresh is timed
for real with two WAITs, at a tenth of the default step-2 poll interval (1 s): the three sleeps
before the three EST2 polls are the same, the figure at the default is derived from them.
"""

from __future__ import annotations

import time

from alarmtui.providers.base import RequestCounter
from alarmtui.providers.verisure import VerisureProvider
from alarmtui.settings import VerisureConfig
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.verisure import VerisureCloud

SCALED_INTERVAL = 0.1
"""The step-2 interval the refresh is timed with (the default is 1 s)."""


async def test_requests_per_hour_at_idle_with_default_intervals() -> None:
    cloud = VerisureCloud()
    async with SimHost([cloud], tls=True) as host:
        config = VerisureConfig(
            kind="verisure", name="casa", url=host.urls["verisure"], username="demo", password="demo-pass", ca_file=host.ca_file
        )
        assert (config.poll_interval, config.refresh_interval) == (60.0, 1800.0)
        now = [0.0]
        cloud.clock = lambda: now[0]  # hash lifetime and pending operations on the same fake clock
        provider = VerisureProvider(config, step2_interval=0.001, clock=lambda: now[0])
        provider.requests = RequestCounter(clock=lambda: now[0])
        await provider.connect()
        connect_cost = provider.requests.total
        last_refresh = None
        per_poll: list[int] = []
        # The poller's loop: snapshot (refresh on start-up and every refresh_interval) and events, each poll.
        # Two hours, so the counter's one-hour window holds a steady-state hour (no connect in it).
        while now[0] < 7200.0:
            before = provider.requests.total
            refresh = last_refresh is None or now[0] - last_refresh >= config.refresh_interval
            if refresh:
                last_refresh = now[0]
            await provider.snapshot(refresh=refresh)
            await provider.events()
            per_poll.append(provider.requests.total - before)
            now[0] += config.poll_interval
        now[0] = 7200.0 - 1e-3
        per_hour = provider.requests_per_hour()
        await provider.close()
    refresh_cost = per_poll[0]
    plain_cost = per_poll[1]
    assert connect_cost == 4  # LOGIN, INS, MYINSTALLATION, SRV
    assert plain_cost == 1  # one ACT_V2 per poll: snapshot and events share it
    assert refresh_cost == 5  # EST1 + 3 EST2 (2 WAITs) + ACT_V2
    assert per_poll.count(refresh_cost) == 4 and len(per_poll) == 120
    expected = 58 * plain_cost + 2 * refresh_cost  # one hour: 60 polls, two of them refreshes
    assert per_hour == expected == 68
    assert cloud.request_counts["EST1"] == 4
    assert cloud.request_counts["LOGIN"] == 1  # a used hash does not expire (sliding lifetime)
    print(f"\nverisure idle: {per_hour:.0f} requests/hour (poll {plain_cost}, refresh {refresh_cost}, connect {connect_cost})")


async def test_cost_of_a_status_refresh_with_default_step2_interval() -> None:
    cloud = VerisureCloud()  # step2_waits = 2
    async with SimHost([cloud], tls=True) as host:
        config = VerisureConfig(
            kind="verisure", name="casa", url=host.urls["verisure"], username="demo", password="demo-pass", ca_file=host.ca_file
        )
        async with VerisureProvider(config) as provider:  # step2_interval 1 s, deadline 60 s (defaults)
            assert (provider.step2_interval, provider.step2_deadline) == (1.0, 60.0)
            # The sleeps scale with the interval: a tenth of it shows the same three sleeps in a tenth of the time.
            provider.step2_interval = SCALED_INTERVAL
            before = provider.requests.total
            started = time.monotonic()
            await provider.snapshot(refresh=True)
            elapsed = time.monotonic() - started
            cost = provider.requests.total - before
    assert cost == 5
    assert elapsed >= 3 * SCALED_INTERVAL  # three sleeps before the three EST2 polls (an upper bound would measure the machine)
    overhead = elapsed - 3 * SCALED_INTERVAL
    print(
        f"\nverisure refresh: {cost} requests, {3 * 1.0 + overhead:.2f} s at the default 1 s interval ({elapsed:.2f} s at {SCALED_INTERVAL} s)"
    )
