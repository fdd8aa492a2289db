"""How the dashboard looks: SVG snapshots from fixed domain data, a fixed clock and a fixed size.

No simulators here (their timing would make pictures differ); the app's pollers
are not started and the fixed snapshots are fed in as poller updates. Update
the pictures with `pytest tests/snapshots --snapshot-update` after a deliberate
change, and look at them (`tests/snapshots/__snapshots__/`).
"""

from __future__ import annotations

import io
import itertools
import time
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image, ImageDraw
from textual.pilot import Pilot
from textual.widgets import Input

from alarmtui.domain import (
    ArmMode,
    Capability,
    Command,
    CommandAction,
    CommandPhase,
    CommandProgress,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Photo,
    Snapshot,
    Trouble,
    TroubleKind,
    User,
    Zone,
    ZoneKind,
)
from alarmtui.domain.updates import (
    CommandUpdate,
    EventsUpdate,
    LinkState,
    PhotosUpdate,
    ProviderStatus,
    SnapshotUpdate,
    StatusUpdate,
)
from alarmtui.settings import Settings
from alarmtui.ui.app import AlarmApp, create_app
from alarmtui.ui.screens.pin import PinScreen
from tests.helpers import until

PATIENT = itertools.count(0.0, 1.0).__next__
"""The dialogs' input-guard clock: a second passes between any two readings (a user who looks before typing)."""


NOW = datetime(2026, 11, 22, 21, 30, 0, tzinfo=UTC)
SIZE = (150, 46)
ALL_MODES = frozenset(
    {
        Capability.ARM_AWAY,
        Capability.ARM_HOME,
        Capability.ARM_NIGHT,
        Capability.ARM_PERIMETER,
        Capability.DISARM,
        Capability.PHOTO,
        Capability.EVENTS,
    }
)


@pytest.fixture(autouse=True)
def utc_local_time(monkeypatch: pytest.MonkeyPatch):
    """Times are shown in local time: make local time UTC for the pictures."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def settings() -> Settings:
    common = {"username": "demo", "password": "not-used"}
    return Settings(
        providers=[
            {"name": "casa", "kind": "verisure", "url": "http://127.0.0.1:9", **common},
            {"name": "powermaster", "kind": "visonic", "url": "http://127.0.0.1:9", "code": "1234", **common},
            {"name": "vera", "kind": "mios", "url": "http://127.0.0.1:9", **common},
        ]
    )


def test_photo_jpeg() -> bytes:
    """A fixed picture: sky, a house, a door (encoded the same way every run)."""
    image = Image.new("RGB", (320, 240), (120, 170, 220))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 170, 320, 240], fill=(70, 120, 60))
    draw.polygon([(80, 110), (160, 50), (240, 110)], fill=(150, 40, 40))
    draw.rectangle([95, 110, 225, 200], fill=(220, 200, 160))
    draw.rectangle([145, 145, 175, 200], fill=(90, 60, 40))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


test_photo_jpeg.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def casa() -> Snapshot:
    return Snapshot(
        partitions=(Partition("2423443", "Casa", PartitionState.ARMED_AWAY, detail="total + perimeter", ready=True),),
        zones=(
            Zone("1", "Entrada", ZoneKind.CAMERA, open=False, camera=True),
            Zone("2", "Comedor", ZoneKind.CAMERA, open=False, camera=True, battery_low=True),
            Zone("5", "Puerta principal", ZoneKind.CONTACT, open=False),
        ),
        capabilities=ALL_MODES,
        panel_name="Casa",
        fetched_at=NOW - timedelta(seconds=12),
    )


def powermaster() -> Snapshot:
    return Snapshot(
        partitions=(
            Partition(
                "1",
                "House",
                PartitionState.DISARMED,
                detail="disarm",
                ready=False,
                open_zones=("Front door", "[b]Back[/b] door"),
            ),
            Partition(
                "2",
                "Garage",
                PartitionState.ARMING,
                detail="exit delay",
                ready=True,
                exit_delay_until=NOW + timedelta(seconds=23),
            ),
            Partition("3", "Office", PartitionState.ARMED_HOME, detail="home", ready=True),
        ),
        zones=(
            Zone("1", "Front door", ZoneKind.CONTACT, open=True, partitions=("1",)),
            Zone("2", "Hall PIR", ZoneKind.CAMERA, open=False, camera=True, partitions=("1",)),
            Zone("4", "[b]Back[/b] door", ZoneKind.CONTACT, open=True, bypassed=True, partitions=("1",)),
            Zone("6", "Garage door", ZoneKind.CONTACT, open=False, tamper=True, partitions=("2",)),
            Zone("8", "Office window", ZoneKind.CONTACT, open=False, partitions=("3",)),
        ),
        troubles=(
            Trouble("t1", TroubleKind.TAMPER, "Garage door tamper", zone="Garage door", since=NOW - timedelta(hours=2)),
            Trouble("t2", TroubleKind.POWER, "AC power failure", since=NOW - timedelta(minutes=5)),
        ),
        users=(User("1", "Ana", "master", "demo@example.com"), User("2", "Luis", "user"), User("3", "Cleaner", "user")),
        capabilities=frozenset(
            {
                Capability.ARM_AWAY,
                Capability.ARM_HOME,
                Capability.DISARM,
                Capability.BYPASS,
                Capability.PHOTO,
                Capability.PARTITION_COMMANDS,
                Capability.USERS,
            }
        ),
        panel_name="PowerMaster 30",
        fetched_at=NOW - timedelta(seconds=3),
    )


def vera_triggered() -> Snapshot:
    return Snapshot(
        partitions=(
            Partition(
                "41",
                "House",
                PartitionState.TRIGGERED,
                detail="Alarm · Burglary",
                ready=False,
                open_zones=("Living Room Motion",),
                alarm_zone="Living Room Motion",
            ),
            Partition("42", "Garage", PartitionState.ARMED_NIGHT, detail="Night", ready=True),
        ),
        zones=(Zone("53", "Living Room Motion", ZoneKind.MOTION, open=True),),
        capabilities=ALL_MODES | {Capability.PARTITION_COMMANDS, Capability.BYPASS},
        panel_name="Vera Plus",
        fetched_at=NOW - timedelta(seconds=1),
    )


def events() -> dict[str, tuple[Event, ...]]:
    def at(minutes: int) -> datetime:
        return NOW - timedelta(minutes=minutes)

    return {
        "casa": (
            Event("c3", at(1), EventKind.PHOTO, "Fotos solicitadas", who="demo", zone="Entrada"),
            Event("c2", at(40), EventKind.ARM, "Conexión total", who="Ana"),
            Event("c1", at(300), EventKind.DISARM, "Desconexión", who="Luis"),
        ),
        "powermaster": (
            Event("p3", at(2), EventKind.TROUBLE, "AC power failure", partition="1"),
            Event("p2", at(20), EventKind.ZONE, "Front door opened", zone="Front door"),
            Event("p1", at(90), EventKind.SYSTEM, "[red]Panel[/red] restarted"),
        ),
        "vera": (Event("v1", at(0), EventKind.ALARM, "Burglary", zone="Living Room Motion", partition="House"),),
    }


def build_app(*, with_alarm: bool = False) -> AlarmApp:
    return create_app(settings(), clock=lambda: NOW, autostart=False, guard_clock=PATIENT)


async def feed(app: AlarmApp, *, with_alarm: bool = False, offline_vera: bool = False) -> None:
    """Give the app the fixed data, as the pollers would."""
    online = {"casa": casa(), "powermaster": powermaster()}
    if with_alarm:
        online["vera"] = vera_triggered()
    for name, snapshot in online.items():
        app.apply(
            StatusUpdate(name, ProviderStatus(name, app.views[name].kind, LinkState.ONLINE, last_update=snapshot.fetched_at))
        )
        app.apply(SnapshotUpdate(name, snapshot))
    if not with_alarm:
        reason = "could not reach the server while logging in (ConnectError: [Errno 111] Connection refused)"
        app.apply(
            StatusUpdate(
                "vera",
                ProviderStatus(
                    "vera",
                    "mios",
                    LinkState.RECONNECTING,
                    reason=reason,
                    hint="Check the URL and the network; alarmtui keeps retrying.",
                    retry_in=8.0,
                    failures=2,
                ),
            )
        )
    for name, batch in events().items():
        if name in online:
            app.apply(EventsUpdate(name, batch))
    app.apply(PhotosUpdate("casa", (Photo("Entrada", NOW - timedelta(minutes=1), test_photo_jpeg(), 0, "casa"),)))
    command = Command(CommandAction.ARM, mode=ArmMode.AWAY, partition="2", label="Garage")
    app.apply(CommandUpdate("powermaster", command, CommandProgress(CommandPhase.WAITING, "waiting for the panel", 4.0)))


def photo_pending(app: AlarmApp) -> bool:
    """A photo the layout has room for and that is not drawn yet (at 80x24 the panel is not shown at all:
    nothing to wait for)."""
    panel = app.photo
    return bool(panel.photos) and panel.display and panel.content_size.area > 0 and panel._picture is None


async def settle(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, AlarmApp)
    await pilot.pause()
    await until(lambda: not photo_pending(app), pilot=pilot, what="the photo drawn")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=["80x24", "120x40", "200x60"])
def test_main_screen(snap_compare, size: tuple[int, int]) -> None:
    """The compact layout at 80x24 (one line per partition first), the full one above 100 columns."""

    async def run_before(pilot: Pilot) -> None:
        await feed(pilot.app)  # type: ignore[arg-type]
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


def test_alarm_banner(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await feed(pilot.app, with_alarm=True)  # type: ignore[arg-type]
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=SIZE, run_before=run_before)


def test_pin_modal(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await feed(app)  # type: ignore[arg-type]
        await settle(pilot)
        app.push_screen(PinScreen("disarm House", "powermaster"))
        await pilot.pause()
        pin = app.screen.query_one(Input)
        pin.cursor_blink = False
        await pilot.press("1", "2", "3")

    assert snap_compare(build_app(), terminal_size=SIZE, run_before=run_before)


def test_photo_view(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, AlarmApp)
        await feed(app)
        await settle(pilot)
        app.photo.focus()
        await pilot.press("enter")
        await pilot.pause()
        viewer = app.screen.query_one("#photo-full")
        await until(lambda: viewer._picture is not None, pilot=pilot, what="the full-screen photo")  # type: ignore[attr-defined]
        await pilot.pause()

    assert snap_compare(build_app(), terminal_size=SIZE, run_before=run_before)


def vera_two_alarms() -> Snapshot:
    return Snapshot(
        partitions=(
            Partition("41", "House", PartitionState.TRIGGERED, detail="Alarm", alarm_zone="Living Room Motion"),
            Partition("42", "Garage", PartitionState.TRIGGERED, detail="Alarm", alarm_zone="Garage Motion"),
        ),
        zones=(
            Zone("53", "Living Room Motion", ZoneKind.MOTION, open=True, partitions=("41",)),
            Zone("56", "Garage Motion", ZoneKind.MOTION, open=True, partitions=("42",)),
        ),
        capabilities=ALL_MODES | {Capability.PARTITION_COMMANDS},
        panel_name="Vera Plus",
        fetched_at=NOW - timedelta(seconds=1),
    )


async def feed_alarm_moment(app: AlarmApp, clock: list[datetime], pilot: Pilot) -> None:
    """Vera alarmed on two partitions, Verisure offline for 6 minutes (its last known state), PowerMaster with
    mains and tamper troubles and a command in flight."""
    for name, snapshot in {"casa": casa(), "powermaster": powermaster(), "vera": vera_two_alarms()}.items():
        status = ProviderStatus(name, app.views[name].kind, LinkState.ONLINE, last_update=snapshot.fetched_at)
        app.apply(StatusUpdate(name, status))
        app.apply(SnapshotUpdate(name, snapshot))
    await pilot.pause()
    offline = ProviderStatus(
        "casa", "verisure", LinkState.OFFLINE, reason="no answer from the server", last_update=NOW - timedelta(seconds=12)
    )
    app.apply(StatusUpdate("casa", offline))
    await pilot.pause()
    clock[0] = NOW + timedelta(minutes=6)
    for name in ("powermaster", "vera"):  # the others keep answering
        status = ProviderStatus(name, app.views[name].kind, LinkState.ONLINE, last_update=clock[0])
        app.apply(StatusUpdate(name, status))
    command = Command(CommandAction.ARM, mode=ArmMode.AWAY, partition="2", label="Garage")
    app.apply(CommandUpdate("powermaster", command, CommandProgress(CommandPhase.WAITING, "waiting for the panel", 4.0)))
    await pilot.pause()
    app.main._tick()
    await pilot.pause()


def alarm_moment_app(clock: list[datetime]) -> AlarmApp:
    return create_app(settings(), clock=lambda: clock[0], autostart=False, guard_clock=PATIENT)


SIZES = [(80, 24), (100, 30), (120, 40)]
SIZE_IDS = ["80x24", "100x30", "120x40"]


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_alarm_on_two_partitions_and_an_offline_provider(snap_compare, size: tuple[int, int]) -> None:
    """The banner lists both alarms and says what d disarms; behind it the status line stays true."""
    clock = [NOW]

    async def run_before(pilot: Pilot) -> None:
        await feed_alarm_moment(pilot.app, clock, pilot)  # type: ignore[arg-type]
        await settle(pilot)

    assert snap_compare(alarm_moment_app(clock), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_status_line_offline_stale_troubles_and_command(snap_compare, size: tuple[int, int]) -> None:
    """Alarms acknowledged: "last known … — offline 6 min", STALE on Casa, troubles and the command in the
    header at every size, and every partition reachable (the list scrolls to the last one)."""
    clock = [NOW]

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, AlarmApp)
        await feed_alarm_moment(app, clock, pilot)
        await settle(pilot)
        await pilot.press("A")  # acknowledge both alarms
        await pilot.pause()
        app.partitions.focus()
        app.partitions.highlighted = app.partitions.option_count - 1  # the last partition is reachable
        await settle(pilot)

    assert snap_compare(alarm_moment_app(clock), terminal_size=size, run_before=run_before)
