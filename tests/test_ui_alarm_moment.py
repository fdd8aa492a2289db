"""The alarm moment on the dashboard (issue 17): several alarms at once, keys racing a banner, the status line
while a provider is offline or stale, and "armed" said only once the panel says it.

The two-partition tests run the real Visonic simulator over loopback HTTP; the others feed fixed domain data
through `AlarmApp.apply` with the pollers not started. The dialogs' input guard runs on a fake clock.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from test_ui_functional import (  # noqa: F401  (`demo` is a fixture)
    PATIENT,
    SIZE,
    NotifyRecorder,
    all_online,
    demo,
    make_app,
    panel_of,
    partition_id,
    partition_row,
    state_of,
    until,
)
from test_ui_trust import NOW, fixed_app, house, online

from alarmtui.domain import (
    ArmMode,
    Command,
    CommandAction,
    CommandPhase,
    CommandProgress,
    CommandResult,
    Partition,
    PartitionState,
    Trouble,
    TroubleKind,
)
from alarmtui.domain.updates import CommandUpdate, LinkState, ProviderStatus, StatusUpdate
from alarmtui.settings import Settings
from alarmtui.simulators.panel import Mode
from alarmtui.ui.app import create_app
from alarmtui.ui.screens.alarm import AlarmScreen
from alarmtui.ui.screens.confirm import ConfirmScreen
from alarmtui.ui.screens.pin import PinScreen


def alarm_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The banner's lines; [] while no banner is drawn."""
    if not isinstance(app.screen, AlarmScreen) or not app.screen.query("#alarm-detail"):
        return []
    return str(app.screen.query_one("#alarm-detail").render()).splitlines()


def two_partitions_alarmed(env) -> None:  # type: ignore[no-untyped-def]
    """House and Garage of the Vera armed away, then an intruder in each."""
    panel = panel_of(env, "mios")

    def burgle() -> None:
        panel.arm(Mode.AWAY, ["1", "2"], user="Test", instant=True, force=True)
        panel.trip_zone("3")  # Living Room Motion, House
        panel.trip_zone("6")  # Garage Motion, Garage

    env.host.call(burgle)


# ---------------------------------------------------------------------------- two alarms, one banner


async def test_two_partitions_alarmed_d_disarms_both_after_one_pin(demo) -> None:
    env = demo("mios")
    panel = panel_of(env, "mios")
    code = env.host.cloud("mios").code
    table = env.settings.providers[0].model_dump()
    table["code"] = None  # the user types it
    app = make_app(env, Settings(providers=[table]))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: all_online(app))
        two_partitions_alarmed(env)
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen) and len(alarm_lines(app)) == 2, what="two alarms")
        banner = app.screen
        assert "2 partitions" in str(banner.query_one("#alarm-title").render())
        assert "House, Garage" in str(banner.query_one("#alarm-help").render())  # what d acts on, before it is pressed
        before = env.host.call(lambda: panel.commands_received)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="one confirmation")
        question = app.screen.question.plain
        assert "House" in question and "Garage" in question  # it names them all
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, PinScreen), what="one PIN prompt")
        pins = 1
        await pilot.press(*code, "enter")
        house_id, garage_id = partition_id(app, "vera", "House"), partition_id(app, "vera", "Garage")
        await until(
            pilot,
            lambda: (
                state_of(app, "vera", house_id) is PartitionState.DISARMED
                and state_of(app, "vera", garage_id) is PartitionState.DISARMED
            ),
            what="both disarmed",
        )
        pins += isinstance(app.screen, PinScreen)
        assert pins == 1  # one code for both partitions
        assert env.host.call(lambda: panel.commands_received) == before + 2  # each sent once
        # Both episodes ended with their partitions disarmed: the banner goes.
        await until(pilot, lambda: not isinstance(app.screen, AlarmScreen), what="banner gone")


async def test_d_on_a_picked_alarm_disarms_only_its_partition(demo) -> None:
    env = demo("mios")
    app = make_app(env)  # the code is configured: no PIN prompt
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: all_online(app))
        two_partitions_alarmed(env)
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen) and len(alarm_lines(app)) == 2, what="two alarms")
        await pilot.press("down")  # pick the second line
        picked = app.screen.disarm_targets()
        assert len(picked) == 1
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirmation")
        assert picked[0].partition in app.screen.question.plain
        other = "House" if picked[0].partition == "Garage" else "Garage"
        assert other not in app.screen.question.plain
        await pilot.press("y")
        await until(pilot, lambda: state_of(app, "vera", picked[0].partition_id) is PartitionState.DISARMED)
        # The other alarm is still triggered and unacknowledged: still on the banner, alone.
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen) and len(alarm_lines(app)) == 1, what="one left")
        assert other in alarm_lines(app)[0]
        assert state_of(app, "vera", partition_id(app, "vera", other)) is PartitionState.TRIGGERED


async def test_acknowledgement_is_per_episode_and_journaled_each() -> None:
    app = fixed_app()
    acknowledged: list[tuple[str, str, str | None]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        # The engine's own acknowledge call journals one row per call: record what the banner asks of it.
        app.engine.acknowledge = lambda provider, partition, zone, *, origin: acknowledged.append(  # type: ignore[method-assign]
            (provider, partition, zone)
        )
        online(
            app,
            house(
                Partition("1", "House", PartitionState.TRIGGERED, alarm_zone="Hall PIR"),
                Partition("2", "Garage", PartitionState.TRIGGERED, alarm_zone="Garage PIR"),
            ),
        )
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen) and len(alarm_lines(app)) == 2, what="banner")
        await pilot.press("enter")
        await until(pilot, lambda: len(acknowledged) == 1, what="one acknowledgement")
        assert isinstance(app.screen, AlarmScreen) and len(alarm_lines(app)) == 1  # the other is still listed
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, AlarmScreen), what="banner gone")
        assert sorted(acknowledged) == [("home", "1", "Hall PIR"), ("home", "2", "Garage PIR")]
        # Still triggered, already acknowledged: no banner again on the next poll.
        online(
            app,
            house(
                Partition("1", "House", PartitionState.TRIGGERED, alarm_zone="Hall PIR"),
                Partition("2", "Garage", PartitionState.TRIGGERED, alarm_zone="Garage PIR"),
            ),
        )
        await pilot.pause()
        assert not isinstance(app.screen, AlarmScreen)


# ---------------------------------------------------------------------------- keys racing a dialog


async def test_a_key_racing_a_banner_does_nothing() -> None:
    guard_now = [100.0]
    app = create_app(fixed_app().settings, autostart=False, clock=lambda: NOW, guard_clock=lambda: guard_now[0])
    acknowledged: list[object] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.engine.acknowledge = lambda *a, **k: acknowledged.append(a)  # type: ignore[method-assign]
        online(app, house(Partition("1", "House", PartitionState.TRIGGERED, alarm_zone="Hall PIR")))
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen), what="banner")
        guard_now[0] += 0.3  # a held d and an Enter typed for something else, 0.3 s after it opened
        await pilot.press("d", "d", "enter")
        await pilot.pause()
        assert isinstance(app.screen, AlarmScreen) and not acknowledged  # nothing acted
        guard_now[0] += 0.3  # 0.6 s: the user has seen it
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirmation")
        # The confirmation is guarded as well: a y already on its way does not answer it.
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        guard_now[0] += 0.6
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen), what="back on the banner")
        # Uncovered again: guarded again, then Enter acknowledges.
        await pilot.press("enter")
        await pilot.pause()
        assert not acknowledged
        guard_now[0] += 0.6
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, AlarmScreen), what="acknowledged")
        assert len(acknowledged) == 1


# ---------------------------------------------------------------------------- the status line


async def test_offline_and_stale_at_80x24_say_last_known() -> None:
    clock = [NOW]
    app = fixed_app(clock)
    async with app.run_test(size=(80, 24)) as pilot:
        alarmed = house(
            Partition("1", "House", PartitionState.TRIGGERED, alarm_zone="Hall PIR"),
            Partition("2", "Garage", PartitionState.ARMED_AWAY),
            troubles=(Trouble("t1", TroubleKind.POWER, "Mains power lost"), Trouble("t2", TroubleKind.TAMPER, "Siren tamper")),
        )
        online(app, alarmed)
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen), what="banner")
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, AlarmScreen), what="acknowledged")
        clock[0] = NOW + timedelta(minutes=1)
        app.apply(StatusUpdate("home", ProviderStatus("home", "visonic", LinkState.OFFLINE, reason="no answer", last_update=NOW)))
        await until(pilot, lambda: app.views["home"].offline_since is not None, what="offline seen")
        clock[0] = NOW + timedelta(minutes=7)
        app.main._tick()
        await pilot.pause()
        header = str(app.main.header.render())
        last = NOW.astimezone().strftime("%H:%M")
        assert f"last known {last} — offline 6 min" in header
        assert "power" in header and "tamper" in header  # no troubles panel at 80×24: the header says it
        house_row = partition_row(app, "home", "1")
        assert f"STALE · last known: ALARM at {last}" in house_row
        assert "STALE" in partition_row(app, "home", "2")
        # Every row fits the panel: the mark is at the start, never cut off at the right edge.
        assert house_row.index("STALE") < 40


async def test_stale_online_provider_is_marked_on_every_partition() -> None:
    clock = [NOW]
    app = fixed_app(clock)
    async with app.run_test(size=(100, 30)) as pilot:
        app.apply(StatusUpdate("home", ProviderStatus("home", "visonic", LinkState.ONLINE, last_update=NOW, stale=True)))
        from alarmtui.domain.updates import SnapshotUpdate  # noqa: PLC0415

        app.apply(
            SnapshotUpdate(
                "home",
                house(Partition("1", "House", PartitionState.DISARMED), Partition("2", "Garage", PartitionState.DISARMED)),
            )
        )
        clock[0] = NOW + timedelta(minutes=3)
        await pilot.pause()
        app.main._tick()
        await pilot.pause()
        assert all("STALE" in partition_row(app, "home", p) for p in ("1", "2"))
        assert "STALE" in str(app.main.header.render())


async def test_combined_state_is_shown_in_full() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        online(app, house(Partition("1", "Casa", PartitionState.ARMED_HOME, detail="day + perimeter")))
        await pilot.pause()
        assert "ARMED HOME + PERIMETER" in partition_row(app, "home", "1")


# ---------------------------------------------------------------------------- armed only when the panel says so


async def test_an_unsettled_arm_is_accepted_not_armed_until_a_snapshot_says_so() -> None:
    app = fixed_app()
    notes = NotifyRecorder()
    async with app.run_test(size=(120, 40), message_hook=notes) as pilot:
        online(app, house(Partition("1", "House", PartitionState.DISARMED)))
        await pilot.pause()
        command = Command(CommandAction.ARM, partition="1", mode=ArmMode.AWAY, label="House")
        result = CommandResult(CommandPhase.DONE, state="arming — exit delay 30 s")
        if "settled" in {f.name for f in dataclasses.fields(result)}:
            result = dataclasses.replace(result, settled=False)  # type: ignore[call-arg]
        else:  # the field lands with the engine's work; the UI reads it by name
            result = _Unsettled(result)  # type: ignore[assignment]
        app.apply(CommandUpdate("home", command, CommandProgress(CommandPhase.SENT)))
        app.apply(CommandUpdate("home", command, CommandProgress(CommandPhase.DONE), result))
        await until(pilot, lambda: any(n.notification.title == "Accepted" for n in notes.notes), what="accepted")
        said = [n.notification.message for n in notes.notes]
        assert "home: accepted — House arming, exit delay 30 s." in said
        assert not any("armed away" in m for m in said)
        assert "accepted" in str(app.main.header.render())
        online(app, house(Partition("1", "House", PartitionState.ARMING)))
        await pilot.pause()
        assert not any(n.notification.title == "Armed" for n in notes.notes)
        online(app, house(Partition("1", "House", PartitionState.ARMED_AWAY)))
        await until(pilot, lambda: any(n.notification.title == "Armed" for n in notes.notes), what="armed, from the panel")


class _Unsettled:
    """A `CommandResult` that says it is not settled (until `CommandResult.settled` exists on this branch)."""

    settled = False

    def __init__(self, result: CommandResult) -> None:
        self._result = result

    def __getattr__(self, name: str) -> object:
        return getattr(self._result, name)


def test_patient_clock_is_a_clock() -> None:
    assert PATIENT() < PATIENT()
