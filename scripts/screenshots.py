"""Regenerate the README screenshots in screenshots/ (SVG from Textual, PNG via rsvg-convert).

    .venv/bin/python scripts/screenshots.py [--out DIR]

Runs the real dashboard headless at 160x48 against the real demo environment
(all the simulated clouds in-process, fast timing, no random "life"), and
drives it like a person would:

- otp.svg/png    the Securitas SMS verification dialog (a new device), answered;
- main.svg/png   every provider online, partitions, zones, events, troubles, users;
- open-zones.svg/png  the Securitas house armed away with a door open: the panel
                 names the open zone and the dashboard offers to arm anyway (cancelled);
- alarm.svg/png  the PowerMaster "House" partition armed away with the `a` key,
                 then an intruder trips the Hall PIR inside the simulator: the
                 alarm banner takes over;
- photo.svg/png  after acknowledging, the Hall PIR camera is asked for photos
                 with `c`; they are shown in the photo panel (photo-panel.svg/png)
                 and then full screen with Enter (photo.svg/png);
- compact.svg/png the same houses at 80x24: one line per partition first;
- alarm-80x24.svg/png, alarm-120x40.svg/png  House and Garage armed, an intruder
                 in each: the banner lists both episodes and says what `d` disarms;
- mypages.svg/png the demo's My Pages "villa" alone at 120x40: doors and windows
                 with their live state (the kitchen window open), the front door
                 lock unlocked by Lars, climate on its zones.

`--only mypages,alarm-80x24` writes just those (the others are left as they are);
`--check` only says which of the expected files are missing.

Deterministic where the demo allows: fixed size, seeds, order of actions and
the same houses every time; only clock times and ages differ between runs.
PNGs need `rsvg-convert` (Debian/Ubuntu package librsvg2-bin); without it only
the SVGs are written.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import itertools
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZE = (160, 48)
PATIENT = itertools.count(0.0, 1.0).__next__
"""The dialogs' input-guard clock: a second between readings (a person who looks before pressing a key)."""


async def until(pilot, predicate: Callable[[], object], what: str, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def capture(out: Path) -> list[Path]:
    from alarmtui import imaging
    from alarmtui.demo import DemoEnvironment
    from alarmtui.domain import PartitionState
    from alarmtui.engine.poller import PollTiming
    from alarmtui.ui.app import create_app
    from alarmtui.ui.screens.alarm import AlarmScreen
    from alarmtui.ui.screens.photo import PhotoScreen
    from alarmtui.ui.state import photo_key
    from alarmtui.ui.widgets.photo import PHOTO_CACHE, PhotoPanel

    imaging.prepare_terminal()
    timing = PollTiming(poll_interval=0.5, refresh_interval=3600, fast_interval=0.25, min_gap=0.05)
    written: list[Path] = []
    env = DemoEnvironment.start(tls=False, life=False, fast=True, otp=True)  # the otp shot needs the SMS dialog
    try:
        panel = env.host.cloud("visonic").panels[0]
        app = create_app(env.settings, scenarios=env.scenarios, timing=timing, guard_clock=PATIENT)
        async with app.run_test(size=SIZE) as pilot:

            async def shot(name: str) -> None:
                await pilot.pause(0.3)  # let the last updates paint
                path = out / f"{name}.svg"
                app.save_screenshot(path.name, str(out))
                written.append(path)
                print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}", flush=True)

            def photo_drawn(widget: PhotoPanel) -> bool:
                photo = widget.current
                if photo is None:
                    return False
                cached = PHOTO_CACHE.get(photo_key(photo), widget.content_size.width, widget.content_size.height)
                return cached is not None and widget.render() is cached

            # -- otp: the Securitas panel wants this new device validated by SMS first
            from alarmtui.ui.screens.otp import OtpScreen

            try:  # the demo may start without it (its two-factor story is then a palette scenario)
                await until(pilot, lambda: isinstance(app.screen, OtpScreen), "the SMS verification dialog", 5.0)
            except TimeoutError:
                print("no SMS dialog at start: otp.svg not rewritten", flush=True)
            else:
                await pilot.press("enter")  # send the code to the first phone
                await until(pilot, lambda: not app.screen.query_one("#otp-code").disabled, "the code field")
                await pilot.press(*env.host.cloud("securitas").sent_codes[-1])  # type: ignore[attr-defined]
                await shot("otp")
                await pilot.press("enter")
                await until(pilot, lambda: not isinstance(app.screen, OtpScreen), "the dialog to close")

            # -- main screen
            await until(pilot, lambda: all(view.online for view in app.views.values()), "every provider online")
            await until(pilot, lambda: app.events.table.row_count > 0, "events")
            await until(pilot, lambda: app.zones.row_count >= sum(len(v.snapshot.zones) for v in app.views.values()),
                        "every zone")
            if app.album.photos:  # a stored photo fetched at start-up: wait until it is drawn
                await until(pilot, lambda: photo_drawn(app.photo), "the start-up photo")
            await pilot.pause(0.5)
            await shot("main")

            # -- open zones: a door open at the Securitas house, then `a` on its partition
            from alarmtui.ui.screens.confirm import ConfirmScreen

            hogar = env.host.cloud("securitas").panels[0]
            door = next(z for z in hogar.zones.values() if z.kind == "contact")
            env.host.call(hogar.open_zone, door.id)
            hogar_view = app.views["hogar"]
            app.partitions.select("hogar", hogar_view.snapshot.partitions[0].id)
            app.partitions.focus()
            await pilot.pause(0.1)
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the open-zones question")
            await shot("open-zones")
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the question to close")
            env.host.call(hogar.close_zone, door.id)

            # -- alarm: arm House away with the key, then an intruder in the simulator
            view = app.views["powermaster"]
            house = next(p for p in view.snapshot.partitions if p.name == "House")
            app.partitions.select("powermaster", house.id)
            app.partitions.focus()
            await pilot.pause(0.1)
            await pilot.press("a")

            def house_state() -> PartitionState | None:
                snapshot = app.views["powermaster"].snapshot
                part = snapshot.partition(house.id) if snapshot else None
                return part.state if part else None

            await until(pilot, lambda: house_state() is PartitionState.ARMED_AWAY, "House armed away")
            await until(pilot, lambda: not app.views["powermaster"].command_pending, "the arm command to finish")
            hall = next(z for z in panel.zones.values() if z.name == "Hall PIR")
            env.host.call(panel.trip_zone, hall.id)
            await until(pilot, lambda: isinstance(app.screen, AlarmScreen), "the alarm banner")
            await shot("alarm")

            # -- photo: acknowledge, select the Hall PIR camera, press c
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, AlarmScreen), "the banner to close")
            zone_id = next(z.id for z in app.views["powermaster"].snapshot.zones if z.name == "Hall PIR")
            app.zones.focus()
            app.zones.move_cursor(row=app.zones.get_row_index(f"powermaster\x1f{zone_id}"))
            await pilot.pause(0.1)
            before = len(app.album.photos)
            await pilot.press("c")
            await until(pilot, lambda: len(app.album.photos) > before
                        and app.album.photos[0].provider == "powermaster", "the camera's photos")
            await until(pilot, lambda: photo_drawn(app.photo), "the photo in the panel")
            await until(pilot, lambda: not app.views["powermaster"].command_pending, "the photo command to finish")
            app.photo.focus()
            await shot("photo-panel")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, PhotoScreen), "the photo viewer")
            await until(pilot, lambda: photo_drawn(app.screen.query_one(PhotoPanel)), "the full-screen photo")
            await shot("photo")
            await pilot.press("escape")

        # -- compact: the same houses at 80x24 (a fresh dashboard; the alarm above is still ringing), then an
        #    alarm on two partitions at 80x24 and at 120x40
        env.host.call(lambda: panel.disarm(user="Demo"))

        def burgle() -> None:
            from alarmtui.simulators.panel import Mode

            panel.arm(Mode.AWAY, ["1", "2"], user="Demo", instant=True, force=True)
            panel.trip_zone(next(z.id for z in panel.zones.values() if z.name == "Hall PIR"))
            panel.trip_zone(next(z.id for z in panel.zones.values() if z.name == "Garage PIR"))

        for size, name, alarm_name in (((80, 24), "compact", "alarm-80x24"), ((120, 40), None, "alarm-120x40")):
            dashboard = create_app(env.settings, scenarios=env.scenarios, timing=timing, guard_clock=PATIENT)
            async with dashboard.run_test(size=size) as pilot:
                await until(pilot, lambda d=dashboard: all(view.online for view in d.views.values()), "every provider online")
                await until(pilot, lambda d=dashboard: d.events.table.row_count > 0, "events")
                await pilot.pause(0.8)
                if name is not None:
                    save(dashboard, out, name, written)
                env.host.call(burgle)
                await until(
                    pilot,
                    lambda d=dashboard: isinstance(d.screen, AlarmScreen)
                    and bool(d.screen.query("#alarm-title"))
                    and "2 partitions" in str(d.screen.query_one("#alarm-title").render()),
                    "two alarms on the banner",
                )
                await pilot.pause(0.5)
                save(dashboard, out, alarm_name, written)
            env.host.call(lambda: panel.disarm(user="Demo"))
    finally:
        env.stop()
    return written


async def capture_mypages(out: Path) -> list[Path]:
    """The My Pages villa on its own: live doors and windows, a smart lock, climate (issue 19's screenshot)."""
    from alarmtui import imaging
    from alarmtui.demo import DemoEnvironment
    from alarmtui.domain import ZoneKind
    from alarmtui.engine.poller import PollTiming
    from alarmtui.ui.app import create_app

    imaging.prepare_terminal()
    timing = PollTiming(poll_interval=0.5, refresh_interval=3600, fast_interval=0.25, min_gap=0.05)
    written: list[Path] = []
    env = DemoEnvironment.start(kinds=("mypages",), tls=False, life=False, fast=True)
    try:
        cloud = env.host.cloud("mypages")
        villa = cloud.panel  # type: ignore[attr-defined]
        window = next(z for z in villa.zones.values() if z.name == "Kitchen window")
        env.host.call(villa.open_zone, window.id)
        front = cloud.locks[0].label  # type: ignore[attr-defined]  # the front door's device label
        env.host.call(lambda: cloud.set_lock(front, False, user="Lars", method="CODE"))  # type: ignore[attr-defined]
        app = create_app(env.settings, scenarios=env.scenarios, timing=timing, guard_clock=PATIENT)
        async with app.run_test(size=(120, 40)) as pilot:

            def shown() -> bool:
                views = list(app.views.values())
                if not views or not all(view.online and view.snapshot for view in views):
                    return False
                zones = [z for view in views for z in view.snapshot.zones]
                lock = next((z for z in zones if z.kind is ZoneKind.LOCK), None)
                kitchen = next((z for z in zones if z.name == "Kitchen window"), None)
                return (
                    lock is not None
                    and lock.locked is False
                    and kitchen is not None
                    and bool(kitchen.open)
                    and app.zones.row_count >= len(zones)
                )

            await until(pilot, shown, "the villa online with its open window and unlocked lock")
            await until(pilot, lambda: app.events.table.row_count > 0, "events")
            await pilot.pause(0.8)
            save(app, out, "mypages", written)
    finally:
        env.stop()
    return written


def save(app, out: Path, name: str, written: list[Path]) -> None:  # type: ignore[no-untyped-def]
    path = out / f"{name}.svg"
    app.save_screenshot(path.name, str(out))
    written.append(path)
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}", flush=True)


TEXT_ELEMENT = re.compile(r'(<text [^>]*?x=")([0-9.]+)("[^>]*?textLength=")([0-9.]+)("[^>]*>)([^<]*)(</text>)')
NBSP = "&#160;"


def _pin_spaces(match: re.Match[str]) -> str:
    """Drop a text run's leading/trailing no-break spaces and move its x instead.

    librsvg drops them, which shifts every right-aligned or centred run (badges,
    the header) to the left. The background rectangles are separate, so nothing
    else changes.
    """
    head, x, middle, length, tail, content, close = match.groups()
    cells = len(html.unescape(content))
    if cells == 0:
        return match.group(0)
    cell = float(length) / cells
    stripped = content
    lead = 0
    while stripped.startswith(NBSP):
        stripped, lead = stripped[len(NBSP):], lead + 1
    trail = 0
    while stripped.endswith(NBSP):
        stripped, trail = stripped[: -len(NBSP)], trail + 1
    if not stripped:
        return ""
    new_x = float(x) + lead * cell
    new_length = float(length) - (lead + trail) * cell
    return f"{head}{new_x:.1f}{middle}{new_length:.1f}{tail}{stripped}{close}"


def to_png(svg: Path) -> Path | None:
    converter = shutil.which("rsvg-convert")
    if converter is None:
        print("rsvg-convert not found (apt-get install librsvg2-bin): PNGs not written", file=sys.stderr)
        return None
    png = svg.with_suffix(".png")
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False) as fixed:
        fixed.write(TEXT_ELEMENT.sub(_pin_spaces, svg.read_text()))
    try:
        subprocess.run([converter, "--background-color", "#1e1e1e", "-o", str(png), fixed.name], check=True)
    finally:
        Path(fixed.name).unlink()
    print(f"wrote {png.relative_to(REPO) if png.is_relative_to(REPO) else png}", flush=True)
    return png


EXPECTED = (
    "otp",
    "main",
    "open-zones",
    "alarm",
    "photo-panel",
    "photo",
    "compact",
    "alarm-80x24",
    "alarm-120x40",
    "mypages",
)
"""Every screenshot the README may show (SVG and PNG of each)."""


def missing(out: Path) -> list[str]:
    return [f"{name}.{ext}" for name in EXPECTED for ext in ("svg", "png") if not (out / f"{name}.{ext}").is_file()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "screenshots", help="where to write (default screenshots/)")
    parser.add_argument("--only", metavar="NAMES", help="comma-separated names to write (default: all)")
    parser.add_argument("--check", action="store_true", help="only list the expected files that are missing")
    args = parser.parse_args()
    out = args.out.resolve()
    if args.check:
        gaps = missing(out)
        print("\n".join(gaps) if gaps else f"all {len(EXPECTED)} screenshots present")
        return 1 if gaps else 0
    only = {n.strip() for n in args.only.split(",")} if args.only else set(EXPECTED)
    unknown = only - set(EXPECTED)
    if unknown:
        parser.error(f"unknown screenshot(s): {', '.join(sorted(unknown))}")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if only - {"mypages"}:
        with tempfile.TemporaryDirectory() as scratch:  # the dashboard run writes all of its shots; keep the chosen
            for svg in asyncio.run(capture(Path(scratch))):
                if svg.stem in only:
                    target = out / svg.name
                    shutil.copyfile(svg, target)
                    written.append(target)
    if "mypages" in only:
        written += asyncio.run(capture_mypages(out))
    for svg in written:
        to_png(svg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
