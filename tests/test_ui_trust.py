"""Issue 9: a screen you can trust at a glance.

One test (or more) per numbered problem of the issue; each failed before the
change it guards. Behaviour runs against the real simulators (DemoEnvironment)
where a simulator can produce the situation, else the app is fed fixed domain
data through `AlarmApp.apply` with its pollers not started.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from rich.text import Text
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
from textual.content import Content
from textual.strip import Strip

from alarmtui.domain import (
    ArmMode,
    Capability,
    Command,
    CommandAction,
    CommandPhase,
    CommandProgress,
    CommandResult,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Snapshot,
    Trouble,
    TroubleKind,
    User,
    Zone,
    ZoneKind,
)
from alarmtui.domain.updates import CommandUpdate, EventsUpdate, LinkState, ProviderStatus, SnapshotUpdate, StatusUpdate
from alarmtui.providers.base import OpenZones
from alarmtui.settings import Settings
from alarmtui.ui.app import AlarmApp, create_app
from alarmtui.ui.format import clean, outcome
from alarmtui.ui.screens.alarm import AlarmScreen
from alarmtui.ui.screens.confirm import ConfirmScreen
from alarmtui.ui.screens.event import EventScreen
from alarmtui.ui.screens.help import HelpScreen
from alarmtui.ui.screens.pin import PinScreen
from alarmtui.ui.state import AlertTracker

NOW = datetime(2026, 11, 22, 21, 30, 0, tzinfo=UTC)
ALL = frozenset(
    {
        Capability.ARM_AWAY,
        Capability.ARM_HOME,
        Capability.ARM_NIGHT,
        Capability.DISARM,
        Capability.BYPASS,
        Capability.PHOTO,
        Capability.PARTITION_COMMANDS,
    }
)


def fixed_settings(**extra: object) -> Settings:
    common = {"username": "demo", "password": "not-used"}
    return Settings(
        providers=[
            {"name": "home", "kind": "visonic", "url": "http://127.0.0.1:9", "panel_serial": "X", **common},
        ],
        **extra,
    )


def fixed_app(clock: list[datetime] | None = None, **extra: object) -> AlarmApp:
    now = clock if clock is not None else [NOW]
    return create_app(fixed_settings(**extra), autostart=False, clock=lambda: now[0], guard_clock=PATIENT)


def online(app: AlarmApp, snapshot: Snapshot, name: str = "home") -> None:
    app.apply(StatusUpdate(name, ProviderStatus(name, "visonic", LinkState.ONLINE, last_update=NOW)))
    app.apply(SnapshotUpdate(name, snapshot))


def house(*partitions: Partition, zones: tuple[Zone, ...] = (), **fields: object) -> Snapshot:
    return Snapshot(partitions=partitions, zones=zones, capabilities=ALL, fetched_at=NOW, **fields)  # type: ignore[arg-type]


def alarm_lines(app: AlarmApp) -> list[str]:
    assert isinstance(app.screen, AlarmScreen)
    return str(app.screen.query_one("#alarm-detail").render()).splitlines()


# ---------------------------------------------------------------------------- 1. an alarm told once


def test_alert_tracker_one_line_per_zone_announced_once() -> None:
    tracker = AlertTracker()
    alarm = Partition("1", "House", PartitionState.TRIGGERED, alarm_zone="Hall PIR")
    panel_time = NOW - timedelta(seconds=40)
    events = [Event("e1", panel_time, EventKind.ALARM, "Alarm", zone="Hall PIR", provider="home")]
    assert [a.zone for a in tracker.update("home", house(alarm), events, NOW)] == ["Hall PIR"]
    for later in range(1, 8):  # seven more polls, still triggered: nothing new, one line
        assert tracker.update("home", house(alarm), events, NOW + timedelta(seconds=10 * later)) == []
    assert len(tracker.lines()) == 1
    assert tracker.lines()[0].since == panel_time  # the panel's own time, not when we noticed
    kitchen = Partition("1", "House", PartitionState.TRIGGERED, alarm_zone="Kitchen")
    assert [a.zone for a in tracker.update("home", house(kitchen), events, NOW)] == ["Kitchen"]
    assert [a.zone for a in tracker.lines()] == ["Hall PIR", "Kitchen"]
    tracker.acknowledge()
    assert tracker.lines() == [] and tracker.update("home", house(kitchen), events, NOW) == []
    tracker.update("home", house(Partition("1", "House", PartitionState.DISARMED)), events, NOW)
    assert tracker.update("home", house(kitchen), events, NOW)  # a new alarm after disarming alerts again


async def test_intrusion_banner_rings_once_and_only_enter_acknowledges(demo) -> None:
    env = demo("visonic")
    panel = panel_of(env, "visonic")
    app = make_app(env)
    notes = NotifyRecorder()
    async with app.run_test(size=SIZE, message_hook=notes) as pilot:
        await until(pilot, lambda: all_online(app))
        bells: list[int] = []
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        next(s for s in env.scenarios if s.title.startswith("Demo: Intrusion")).callback()
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen), what="alarm banner")
        polls = app.pollers["powermaster"].polls
        await until(pilot, lambda: app.pollers["powermaster"].polls >= polls + 2, what="more polls")
        await pilot.pause()
        assert len(alarm_lines(app)) == 1, alarm_lines(app)
        assert len(bells) == 1
        assert sum(n.notification.title == "ALARM" for n in notes.notes) == 1
        # Timed by the panel's own alarm event.
        alarm_event = next(e for e in app.event_log.events if e.kind is EventKind.ALARM)
        assert alarm_event.time.astimezone().strftime("%H:%M:%S") in alarm_lines(app)[0]
        # The banner's own keys are in its footer, not the dashboard's.
        footer_actions = {key.action for key in app.screen.query("FooterKey")}
        assert {"acknowledge", "disarm"} <= footer_actions and "cycle_provider" not in footer_actions
        # Escape does not acknowledge silently: it says how.
        await pilot.press("escape")
        assert isinstance(app.screen, AlarmScreen)
        assert any("Enter" in n.notification.message for n in notes.notes)
        # An alarm in another zone adds a line and rings again.
        other = next(z.id for z in panel.zones.values() if "1" in z.partitions and z.id != panel.partitions["1"].alarm_zone)
        env.host.call(panel.trip_zone, other)
        await until(pilot, lambda: len(alarm_lines(app)) == 2, what="second alarm line")
        assert len(bells) == 2
        await pilot.press("enter")  # acknowledges one episode (the highlighted one): the other stays listed
        await until(pilot, lambda: len(alarm_lines(app)) == 1, what="one episode acknowledged")
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, AlarmScreen), what="every episode acknowledged")
        polls = app.pollers["powermaster"].polls
        await until(pilot, lambda: app.pollers["powermaster"].polls >= polls + 2, what="more polls, still triggered")
        await pilot.pause()
        assert not isinstance(app.screen, AlarmScreen) and len(bells) == 2


async def test_entry_delay_is_an_alert_with_a_countdown() -> None:
    clock = [NOW]
    app = fixed_app(clock)
    async with app.run_test(size=(120, 40)) as pilot:
        bells: list[int] = []
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        entry = Partition("1", "House", PartitionState.PENDING, detail="entry delay", exit_delay_until=NOW + timedelta(seconds=8))
        online(app, house(entry))
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen) and alarm_lines(app), what="entry delay banner")
        assert "ENTRY DELAY 8 s — disarm now" in alarm_lines(app)[0]
        assert bells == [1]
        clock[0] = NOW + timedelta(seconds=3)
        app.main._tick()
        await pilot.pause()
        assert "ENTRY DELAY 5 s — disarm now" in alarm_lines(app)[0]
        row = partition_row(app, "home", "1")
        assert "ENTRY DELAY 5 s" in row and "entry delay" not in row  # no vendor-word repeat
        online(app, house(Partition("1", "House", PartitionState.DISARMED)))
        await until(pilot, lambda: not isinstance(app.screen, AlarmScreen), what="banner gone after disarm")


async def test_exit_delay_counts_down_without_wrapping() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        arming = Partition("1", "House", PartitionState.ARMING, detail="Progress", exit_delay_until=NOW + timedelta(seconds=15))
        online(app, house(arming))
        await pilot.pause()
        row = partition_row(app, "home", "1")
        assert "EXIT DELAY 15 s" in row and "Progress" not in row
        assert len(row.splitlines()) == 3  # name, badge, readiness: nothing wraps


# ---------------------------------------------------------------------------- 2. one command per target, no echo


async def test_twenty_presses_send_one_command(demo) -> None:
    env = demo("mios")
    panel = panel_of(env, "mios")
    app = make_app(env)
    handed_over: list[Command] = []
    submit = app.engine.submit

    def counted_submit(provider: str, command: Command, **options: object) -> object:
        task = submit(provider, command, **options)  # type: ignore[arg-type]
        handed_over.append(command)  # every command the engine took from the dashboard (not those it refused)
        return task

    app.engine.submit = counted_submit  # type: ignore[method-assign, assignment]
    notes = NotifyRecorder()
    async with app.run_test(size=SIZE, message_hook=notes) as pilot:
        await until(pilot, lambda: all_online(app))
        house_id = partition_id(app, "vera", "House")
        app.partitions.select("vera", house_id)
        await pilot.pause()
        before = env.host.call(lambda: panel.commands_received)
        for _ in range(20):
            await pilot.press("a")
            await pilot.pause(0.05)
        await until(pilot, lambda: app.views["vera"].command and app.views["vera"].command.finished, what="done")
        for _ in range(5):  # right after the confirmation, before a snapshot shows it: still refused
            await pilot.press("a")
        await until(pilot, lambda: state_of(app, "vera", house_id) is not PartitionState.DISARMED, what="arming")
        # Every press is handled by the time `press` returns: a second command would have been handed over.
        assert len(handed_over) == 1
        assert env.host.call(lambda: panel.commands_received) == before + 1
        assert any(n.notification.severity == "warning" for n in notes.notes)  # each refusal says why


async def test_bypass_is_not_echoed_before_the_panel_shows_it() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        door = Zone("z1", "Kitchen window", ZoneKind.CONTACT, open=True)
        online(app, house(Partition("1", "House", PartitionState.DISARMED), zones=(door,)))
        await pilot.pause()
        view = app.views["home"]
        command = Command(CommandAction.BYPASS, zone="z1", on=True, label="Kitchen window")
        app.apply(CommandUpdate("home", command, CommandProgress(CommandPhase.SENT)))
        app.apply(CommandUpdate("home", command, CommandProgress(CommandPhase.DONE), CommandResult(CommandPhase.DONE)))
        await pilot.pause()
        app.zones.move_cursor(row=0)
        assert "already sent" in (app.why_not("bypass") or "")
        online(app, house(Partition("1", "House", PartitionState.DISARMED), zones=(door,)))  # not shown yet
        await pilot.pause()
        assert app.why_not("bypass") is not None
        bypassed = Zone("z1", "Kitchen window", ZoneKind.CONTACT, open=True, bypassed=True)
        online(app, house(Partition("1", "House", PartitionState.DISARMED), zones=(bypassed,)))
        await pilot.pause()
        assert app.why_not("bypass") is None and not view.pending_zones


# ---------------------------------------------------------------------------- 3. server text is data everywhere

HOSTILE = [
    "[ @click=app.quit]x",
    "[@click=app.quit]y[/]",
    "[$background]hidden[/]",
    "[B]Bold[/B]",
    "[reverse]r[/reverse]",
    "[link='http://evil']l[/link]",
    "\x1b]8;;http://evil\x1b\\osc\x1b]8;;\x1b\\",
    "\x1b[31mcsi\x1b[0m",
    "bidi\u202eevil\u2066x\u2069",
    "zero\u200bwidth\ufeff",
]
LONG = "L" * 3000


def strips_have_no_actions(strips: list[Strip]) -> bool:
    for strip in strips:
        for segment in strip:
            meta = segment.style.meta if segment.style else {}
            if any("quit" in str(value) for value in meta.values()):
                return False
    return True


async def test_hostile_server_text_is_literal_in_every_widget() -> None:
    name = " ".join(HOSTILE)
    expected = clean(name)
    assert "\x1b" not in expected and "\u202e" not in expected and "\u200b" not in expected
    app = fixed_app()
    notes = NotifyRecorder()
    async with app.run_test(size=(200, 60), message_hook=notes) as pilot:
        snapshot = house(
            Partition("1", name, PartitionState.TRIGGERED, alarm_zone=name, detail=name),
            Partition("2", LONG, PartitionState.ARMED_AWAY, detail=name),
            zones=(Zone("z1", name, ZoneKind.MOTION, open=True, bypassed=True), Zone("z2", LONG)),
            panel_name=name,
        )
        snapshot = Snapshot(
            partitions=snapshot.partitions,
            zones=snapshot.zones,
            troubles=(Trouble("t1", TroubleKind.POWER, name, zone=name, since=NOW),),
            users=(User("u1", name, role=name, detail=LONG),),
            capabilities=ALL,
            panel_name=name,
            fetched_at=NOW,
        )
        online(app, snapshot)
        app.apply(EventsUpdate("home", (Event("e1", NOW, EventKind.ALARM, name, who=name, zone=name, provider="home"),)))
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen), what="banner")
        await pilot.pause()
        banner = app.screen.query_one("#alarm-detail")
        assert expected in str(banner.render())
        await pilot.click("#alarm-detail")  # a link in the banner would quit the dashboard
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, AlarmScreen)
        assert any(expected in n.notification.message for n in notes.notes)  # the toast, literally
        await pilot.press("enter")
        await pilot.pause()
        # Tables, header, titles: the text as sent, and no clickable action anywhere on screen.
        assert expected in partition_row(app, "home", "1")
        assert expected in "".join(c.plain for c in app.zones.get_row("home\x1fz1"))
        assert expected in "".join(c.plain for c in app.troubles.get_row("home\x1ft1"))
        assert expected in "".join(c.plain for c in app.users.get_row("home\x1fu1"))
        assert expected in " ".join(c.plain for c in app.events.table.get_row_at(0))
        assert expected[:30] in str(app.header.render())  # the panel's name, cut to leave room for the rest
        app.partitions.select("home", "1")
        await pilot.pause()
        assert expected in app.partitions._border_title.plain  # what is drawn: the text as sent
        for widget in (app.header, app.partitions, app.zones, app.troubles, app.users, app.events.table):
            strips = [widget.render_line(y) for y in range(widget.size.height)]
            assert strips_have_no_actions(strips), widget
        # The palette and the dialogs.
        titles = [entry.title for entry in app.palette_entries(app.screen)]
        assert f"home · {expected}: Disarm" in titles
        assert not any(name in entry.help for entry in app.palette_entries(app.screen))  # help is markup: no server text
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
        question = app.screen.query_one("#confirm-question").render()
        assert expected in str(question)
        await pilot.press("n")
        app.events.table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EventScreen), what="event detail")
        assert expected in str(app.screen.query_one("#event-body").render())
        await pilot.press("escape")
        assert app.is_running


# ---------------------------------------------------------------------------- 4. the target is unmistakable


async def test_selected_partition_is_marked_and_named_in_the_title() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        online(app, house(Partition("1", "House", PartitionState.DISARMED), Partition("2", "Garage", PartitionState.DISARMED)))
        await pilot.pause()
        app.partitions.select("home", "2")
        app.zones.focus()  # the keys act on the partition named in the title, whatever has focus
        await pilot.pause()
        prompts = [app.partitions.get_option_at_index(i).prompt.plain for i in range(app.partitions.option_count)]
        # The mark is text, not only colour: it survives 256 colours and NO_COLOR.
        assert all(line.startswith("▌") for line in prompts[1].splitlines())
        assert not any(line.startswith("▌") for line in prompts[0].splitlines())
        assert "a/h/n/p/d → home · Garage" in Content.from_markup(app.partitions.border_title or "").plain


def test_disarm_asks_for_confirmation_by_default() -> None:
    assert Settings().confirm.disarm is True


# ---------------------------------------------------------------------------- 5. arm with open zones


async def test_open_zones_refusal_offers_arm_anyway_with_bypass() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        online(app, house(Partition("1", "House", PartitionState.DISARMED, ready=True)))
        await pilot.pause()
        sent: list[Command] = []

        def submit(provider: str, command: Command) -> asyncio.Future[CommandResult]:
            sent.append(command)
            done: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
            done.set_result(CommandResult(CommandPhase.DONE))
            return done

        app.controller.submit = submit  # type: ignore[method-assign]  (the refusal below is handed in directly)
        refused: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        refused.set_result(
            CommandResult(
                CommandPhase.FAILED, "not ready", error=OpenZones("not ready", zones=("Kitchen window",), can_force=True)
            )
        )
        command = Command(CommandAction.ARM, mode=ArmMode.AWAY, partition="1", label="House")
        app.run_worker(app.controller.follow("home", command, refused, typed_code=False))
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="arm anyway dialog")
        assert "Kitchen window" in app.screen.detail.plain and "bypassing" in app.screen.yes
        await pilot.press("y")
        await until(pilot, lambda: sent, what="forced arm")
        assert sent[0].force and sent[0].mode is ArmMode.AWAY


async def test_armed_with_bypassed_zones_says_so() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        window = Zone("z1", "Kitchen window", ZoneKind.CONTACT, open=True, bypassed=True, partitions=("1",))
        online(app, house(Partition("1", "House", PartitionState.ARMED_AWAY, ready=True), zones=(window,)))
        await pilot.pause()
        row = partition_row(app, "home", "1")
        assert "ARMED AWAY" in row and "bypassed: Kitchen window" in row


# ---------------------------------------------------------------------------- 6. nothing hidden at 80 columns


async def test_eighty_by_twenty_four_shows_every_partition_and_zone_warnings(demo) -> None:
    env = demo("visonic", "mios")
    panel = panel_of(env, "visonic")
    env.host.call(panel.bypass, "4")
    app = make_app(env)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: all_online(app) and app.views["powermaster"].snapshot.zone("ZONE-4").bypassed)
        await until(
            pilot,
            lambda: app.partitions.option_count == 5 and app.zones.get_row("powermaster\x1fZONE-4")[-1].plain == "B",
            what="every partition listed, the bypass marked",
        )
        partitions = app.partitions
        assert partitions.option_count == 5
        # The data first, then the layout that makes room for it (a frame later on a loaded machine).
        await until(pilot, lambda: partitions.region.height >= partitions.option_count + 2, what="room for every partition")
        assert partitions.region.bottom <= 24
        assert all(
            len(app.partitions.get_option_at_index(i).prompt.plain.splitlines()) == 1 for i in range(partitions.option_count)
        )  # one line per partition
        assert app.zones.markers and "B=bypassed" in str(app.zones.border_subtitle)
        assert app.zones.get_row("powermaster\x1fZONE-4")[-1].plain == "B"
        assert app.zones.region.right <= 80
        assert not app.photo.display or app.photo.region.height == 0 or app.photo.has_class("-empty")
        footer = app.screen.query_one("KeyFooter")
        assert sum(key.region.width for key in footer.query("FooterKey")) <= 80
        assert "disarm" in footer.shown_actions and "arm('away')" in footer.shown_actions


async def test_hundred_columns_keep_zone_state_and_provider_names_whole(demo) -> None:
    env = demo("visonic")
    app = make_app(env)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: all_online(app) and app.zones.row_count > 0, what="the zones")
        await pilot.pause()
        from textual.widgets.data_table import ColumnKey

        assert app.zones.columns[ColumnKey("state")].width >= len("closed")
        assert app.zones.columns[ColumnKey("provider")].width >= len("powermaster")


# ---------------------------------------------------------------------------- 7. who, since when, what is stale


async def test_partitions_say_who_and_when_zones_and_troubles_read_well() -> None:
    clock = [NOW]
    app = fixed_app(clock)
    async with app.run_test(size=(200, 60)) as pilot:
        pir = Zone("z1", "Hall PIR", ZoneKind.MOTION, open=False)
        odd = Zone("z2", "Siren", ZoneKind.SIREN, open=None)
        snapshot = Snapshot(
            partitions=(Partition("1", "House", PartitionState.ARMED_AWAY, detail="armed away"),),
            zones=(pir, odd),
            troubles=(Trouble("t1", TroubleKind.POWER, "Mains power lost", since=NOW - timedelta(hours=3)),),
            capabilities=ALL,
            fetched_at=NOW,
        )
        online(app, snapshot)
        armed_at = NOW - timedelta(minutes=5)
        app.apply(EventsUpdate("home", (Event("e1", armed_at, EventKind.ARM, "Armed away", who="Ana", partition="1"),)))
        await pilot.pause()
        row = partition_row(app, "home", "1")
        assert f"by Ana {armed_at.astimezone().strftime('%H:%M')}" in row
        assert row.count("ARMED AWAY") == 1 and "armed away" not in row  # no vendor-word repeat
        assert app.zones.get_row("home\x1fz1")[3].plain == "quiet"  # never "closed" for a motion sensor
        assert app.zones.get_row("home\x1fz2")[3].plain == "?" and "?" in str(app.zones.border_subtitle)
        cells = [c.plain for c in app.troubles.get_row("home\x1ft1")]
        assert cells[0] == "3h" and "Mains power lost" in cells[3]
        assert "power" in str(app.header.render())  # also in the provider's header line
        # No good update for twice the poll interval: stale, on the partitions.
        interval = app.views["home"].poll_interval
        clock[0] = NOW + timedelta(seconds=2 * interval + 1)
        app.main._tick()
        await pilot.pause()
        assert "STALE" in partition_row(app, "home", "1")


# ---------------------------------------------------------------------------- 8. dimmed keys say why


async def test_a_dimmed_key_says_why_when_pressed() -> None:
    app = fixed_app()
    notes = NotifyRecorder()
    async with app.run_test(size=(120, 40), message_hook=notes) as pilot:
        online(app, house(Partition("1", "House", PartitionState.DISARMED)))
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert any("already disarmed" in n.notification.message for n in notes.notes)


# ---------------------------------------------------------------------------- 9. events


async def test_enter_on_an_event_shows_every_field_and_columns_stay_put() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        online(app, house(Partition("1", "House", PartitionState.DISARMED)))
        text = "A very long vendor text that the events table has to cut short " * 3
        app.apply(EventsUpdate("home", (Event("e1", NOW, EventKind.SYSTEM, text, who="Ana", provider="home"),)))
        await pilot.pause()
        widths = list(app.events.table._widths)
        app.apply(
            EventsUpdate(
                "home",
                (
                    Event(
                        "e2",
                        NOW,
                        EventKind.ARM,
                        "x",
                        who="Someone with a long name",
                        partition="A partition with a long name",
                        provider="home",
                    ),
                ),
            )
        )
        await pilot.pause()
        assert app.events.table._widths == widths  # widths do not jump with the content
        app.events.table.focus()
        app.events.table._move_to(next(i for i in range(2) if app.events.table.event_at(i).id == "e1"))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EventScreen), what="event detail")
        body = str(app.screen.query_one("#event-body").render())
        assert text.strip() in body and "Ana" in body and "e1" in body


# ---------------------------------------------------------------------------- 10. PIN, help, footer, wording


async def test_wrong_pin_asks_again_with_the_reason(demo) -> None:
    env = demo("mios")
    code = env.host.cloud("mios").code
    table = env.settings.providers[0].model_dump()
    table["code"] = None
    app = make_app(env, Settings(providers=[table]))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: all_online(app))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, PinScreen))
        await pilot.press("0", "0", "0", "9", "enter")
        await until(
            pilot,
            lambda: isinstance(app.screen, PinScreen) and app.screen.error and app.screen.query("#pin-error"),
            what="asked again",
        )
        assert "Wrong code" in str(app.screen.query_one("#pin-error").render())
        await pilot.press(*code, "enter")
        house_id = partition_id(app, "vera", "House")
        await until(pilot, lambda: state_of(app, "vera", house_id) is not PartitionState.DISARMED, what="armed")


async def test_help_lists_every_screen_with_human_keys_within_100_columns() -> None:
    app = fixed_app(keymap={"arm_away": "A"})
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = app.screen.query_one("#help-table").render()
        plain = text.plain if isinstance(text, Text) else str(text)
        assert "photo_full_quality" in plain and "events_provider_filter" in plain and "alarm_acknowledge" in plain
        assert "slash" not in plain and "question_mark" not in plain
        assert max(len(line) for line in plain.splitlines()) <= 94
        dialog = app.screen.query_one("#help-dialog")
        assert dialog.region.width <= 100 and dialog.virtual_size.width <= dialog.region.width


async def test_remapped_key_keeps_its_place_in_the_footer() -> None:
    app = fixed_app(keymap={"arm_away": "A"})
    async with app.run_test(size=(200, 40)) as pilot:
        online(app, house(Partition("1", "House", PartitionState.DISARMED)))
        footer = app.screen.query_one("KeyFooter")
        await until(pilot, lambda: footer.shown_actions and footer.query("FooterKey"), what="footer keys")
        assert footer.shown_actions[0] == "arm('away')"
        keys = [key.key for key in footer.query("FooterKey")]
        assert keys[0] == "A"


def test_one_clean_sentence_per_outcome() -> None:
    disarm = Command(CommandAction.DISARM, partition="1", label="House")
    assert outcome("vera", disarm, CommandResult(CommandPhase.DONE, "disarm: done")) == "vera · House disarmed."
    arm = Command(CommandAction.ARM, mode=ArmMode.AWAY, partition="1", label="House")
    failed = outcome("vera", arm, CommandResult(CommandPhase.FAILED, "arm away failed: Not ready: Front door open"))
    assert failed == "Could not arm away vera · House: Not ready: Front door open."
    assert failed.count("arm away") == 1


async def test_photos_arriving_after_an_empty_panel_show_at_once() -> None:
    """The photo panel hides while empty; photos that arrive between snapshots must bring it back at once."""
    import io

    from PIL import Image

    from alarmtui.domain import Photo
    from alarmtui.domain.updates import PhotosUpdate

    app = fixed_app()
    async with app.run_test(size=(160, 48)) as pilot:
        online(app, house(Partition("1", "House", PartitionState.DISARMED, ready=True)))
        await pilot.pause()
        assert app.photo.has_class("-empty")
        picture = io.BytesIO()
        Image.new("RGB", (64, 48), "red").save(picture, "JPEG")
        app.apply(PhotosUpdate("home", (Photo("Hall", datetime(2026, 11, 27, tzinfo=UTC), picture.getvalue()),)))
        # "At once": with the photos, not with a later snapshot (none comes here).
        await until(pilot, lambda: not app.photo.has_class("-empty") and app.photo.region.height > 0, what="the photo panel")
