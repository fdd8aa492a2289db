"""Idle like a daemon (issue 16): the once-a-second tick runs only while something on screen counts by the
second; otherwise the dashboard wakes when the ages or a view's staleness next change (at most every 5 s).
Fixed domain data through `AlarmApp.apply`, pollers not started, a fake wall clock."""

from __future__ import annotations

from datetime import timedelta

from test_ui_functional import SIZE
from test_ui_trust import NOW, fixed_app, house, online

from alarmtui.domain import Partition, PartitionState
from alarmtui.domain.updates import LinkState, ProviderStatus, StatusUpdate


async def test_a_quiet_dashboard_ticks_only_when_the_ages_are_due_and_every_second_while_counting() -> None:
    clock = [NOW + timedelta(seconds=1)]
    app = fixed_app(clock)
    async with app.run_test(size=SIZE) as pilot:
        online(app, house(Partition("1", "House", PartitionState.DISARMED)))
        await pilot.pause()
        screen = app.main
        screen._tick()
        assert screen._tick_delay == screen.AGES_EVERY  # nothing counts down: no tick each second

        # An exit delay on screen counts down: the next news wakes the tick to once a second.
        online(app, house(Partition("1", "House", PartitionState.ARMING, exit_delay_until=NOW + timedelta(seconds=30))))
        await pilot.pause()
        assert screen._tick_delay == 1.0
        screen._tick()
        assert screen._tick_delay == 1.0

        # Settled again: back to the slow tick.
        online(app, house(Partition("1", "House", PartitionState.ARMED_AWAY)))
        await pilot.pause()
        screen._tick()
        assert screen._tick_delay == screen.AGES_EVERY


async def test_the_slow_tick_comes_in_time_to_mark_a_view_stale() -> None:
    clock = [NOW]
    app = fixed_app(clock)
    async with app.run_test(size=SIZE) as pilot:
        online(app, house(Partition("1", "House", PartitionState.DISARMED)))
        view = app.views["home"]
        view.poll_interval = 2.0  # stale after max(2 × 2 s, 5 s floor) without a good update
        app.apply(StatusUpdate("home", ProviderStatus("home", "visonic", LinkState.ONLINE, last_update=NOW)))
        await pilot.pause()
        clock[0] = NOW + timedelta(seconds=3)
        app.main._tick()
        assert 1.0 <= app.main._tick_delay <= 2.1  # stale at 5 s: the tick comes then, not 5 s later
        clock[0] = NOW + timedelta(seconds=6)
        app.main._tick()
        assert view.stale(clock[0]) and app.main._tick_delay == 1.0  # "stale 6s" is shown and kept current


async def test_news_behind_a_dialog_is_drawn_when_it_closes_not_behind_it() -> None:
    # Each change behind a dialog re-rendered the whole dimmed screen: the demo's SMS dialog cost ~1 % of a core.
    from test_ui_functional import partition_row

    from alarmtui.ui.screens.help import HelpScreen

    app = fixed_app([NOW + timedelta(seconds=1)])
    async with app.run_test(size=SIZE) as pilot:
        online(app, house(Partition("1", "House", PartitionState.DISARMED)))
        await pilot.pause()
        assert "DISARMED" in partition_row(app, "home", "1")
        app.main.action_help()
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        online(app, house(Partition("1", "House", PartitionState.ARMED_AWAY)))
        await pilot.pause()
        assert app.views["home"].snapshot.partitions[0].state is PartitionState.ARMED_AWAY  # the state is kept
        assert "DISARMED" in partition_row(app, "home", "1")  # but not drawn behind the dialog
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert "ARMED AWAY" in partition_row(app, "home", "1")  # drawn as soon as the dialog closes
