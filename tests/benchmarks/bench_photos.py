"""Three 640x480 camera JPEGs decoded and drawn, off the event loop, and how late the loop ran meanwhile.

Three real JPEGs from the simulated panel's camera (`SimPanel.take_photos`) reach
the app through its normal update path (`PhotosUpdate`); the photo panel draws
the first, then → and → step to the second and third. Each step is timed from
the request (update applied / key sent) to the first frame on which the panel
renders that photo's finished picture; the three are summed. A coroutine ticks
every 5 ms on the app's loop throughout: its worst lateness is the longest the
loop (and so the screen) stood still. Each run uses fresh photo timestamps, so
nothing comes from the render cache. Also timed: the same three renders alone in
a worker thread (pure CPU), and the full-screen viewer (Enter) drawing one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    SIZE,
    FrameProbe,
    LoopLag,
    Metric,
    arguments,
    finish,
    log,
    quiet_logging,
)


async def measure(runs: int) -> list[Metric]:
    from textual import events

    from alarmtui import imaging
    from alarmtui.demo import DemoEnvironment
    from alarmtui.domain import Photo
    from alarmtui.domain.updates import PhotosUpdate
    from alarmtui.ui.app import create_app
    from alarmtui.ui.screens.photo import PhotoScreen
    from alarmtui.ui.state import photo_key
    from alarmtui.ui.widgets.photo import PHOTO_CACHE, PhotoPanel

    imaging.prepare_terminal()  # as run_dashboard does before the app starts
    drawn = Metric("3 photos decoded + drawn in the panel (sum)", 150.0)
    lag = Metric("worst event-loop stall while photos render", 50.0)
    cpu = Metric("3 photos decoded + half-blocked, worker thread only", None)
    viewer = Metric("full-screen viewer: 1 photo drawn (160x48)", None)
    viewer_lag = Metric("worst event-loop stall while the viewer draws", None,
                        note="the first viewer per process also pays for pushing a new screen (layout, CSS)")
    env = DemoEnvironment.start(kinds=["visonic"], tls=False, life=False, fast=True)
    try:
        panel = env.host.cloud("visonic").panels[0]
        camera = next(z for z in panel.zones.values() if z.camera)
        photo_set = env.host.call(lambda: panel.take_photos(camera.id, user="bench"))
        jpegs = list(photo_set.jpegs)
        import io

        from PIL import Image

        sizes = {Image.open(io.BytesIO(j)).size for j in jpegs}
        log(f"{len(jpegs)} JPEGs from {camera.name}: {sizes}, {sum(map(len, jpegs)) // 1024} KiB")
        app = create_app(env.settings, autostart=False)
        async with app.run_test(size=SIZE) as pilot:
            probe = FrameProbe(app)
            ticker = LoopLag(0.005).start()
            await pilot.pause(0.3)
            base = datetime(2026, 1, 1, tzinfo=UTC)
            for run in range(runs):
                when = base + timedelta(hours=run)
                photos = [Photo(zone=camera.name, time=when, jpeg=j, index=i, provider="powermaster")
                          for i, j in enumerate(jpegs)]
                # Pure CPU: the same work in a thread, nothing else going on (distinct keys: not cached).
                size = (app.photo.content_size.width, app.photo.content_size.height)
                began = time.monotonic()
                for photo in photos:
                    await asyncio.to_thread(imaging.halfblock_text, photo.jpeg, *size)
                cpu.add((time.monotonic() - began) * 1000)

                def shows(index: int, widget: PhotoPanel = app.photo) -> bool:
                    current = widget.current
                    if current is None or widget.index != index:
                        return False
                    w, h = widget.content_size.width, widget.content_size.height
                    cached = PHOTO_CACHE.get(photo_key(current), w, h)
                    return cached is not None and widget.render() is cached

                app.photo.focus()
                await pilot.pause(0.1)
                total = 0.0
                started = time.monotonic()
                for index in range(3):
                    shown = probe.watch(lambda index=index: shows(index))
                    asked = time.monotonic()
                    if index == 0:
                        app.apply(PhotosUpdate("powermaster", tuple(photos)))
                    else:
                        app._driver.send_message(events.Key("right", None))
                    total += await asyncio.wait_for(shown, 10) - asked
                ended = time.monotonic()
                drawn.add(total * 1000)
                lag.add(ticker.worst(started, ended) * 1000)
                # The full-screen viewer on the first photo (a larger render of a photo not yet cached at that size).
                fresh = dataclasses.replace(photos[0], time=when + timedelta(minutes=1))
                app.photo.show([fresh, *photos[1:]], 0)
                await probe.until(lambda: shows(0))
                opened = time.monotonic()
                app._driver.send_message(events.Key("enter", None))
                await probe.until(lambda: isinstance(app.screen, PhotoScreen)
                                  and shows(0, app.screen.query_one(PhotoPanel)))
                viewer.add((time.monotonic() - opened) * 1000)
                viewer_lag.add(ticker.worst(opened, time.monotonic()) * 1000)
                await pilot.press("escape")
                await pilot.pause(0.2)
                log(f"run {run + 1}: panel {drawn.samples[-1]:.0f} ms, worst stall {lag.samples[-1]:.1f} ms, "
                    f"thread-only {cpu.samples[-1]:.0f} ms, viewer {viewer.samples[-1]:.0f} ms "
                    f"(stall {viewer_lag.samples[-1]:.0f} ms)")
            ticker.stop()
    finally:
        env.stop()
    return [drawn, lag, cpu, viewer, viewer_lag]


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs=6)
    quiet_logging()
    finish(asyncio.run(measure(args.runs)))


if __name__ == "__main__":
    main()
