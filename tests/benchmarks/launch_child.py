"""Child process of bench_launch.py: `alarmtui --demo`'s start-up, headless, timed from the inside.

Does what `alarmtui --demo` does (`cli.run_dashboard_command`: the clouds' process
first, then the dashboard with its starting screen, the engine built behind it),
but runs the app headless at a fixed size and prints `MARK name monotonic-time`
lines: the first frame, when each provider's partitions are drawn, and the
complete frame (every provider's partitions, zones and events). Then it quits.
With `--bare`: a bare Textual app's first frame, for comparison in the same run.
"""

from __future__ import annotations

import time

print(f"MARK start {time.monotonic():.6f}", flush=True)

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def bare() -> None:
    from benchlib import SIZE, FrameProbe
    from textual.app import App
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Static("hello")

    app = Bare()
    probe = FrameProbe(app)

    async def watch() -> None:
        first = await probe.until(lambda: True, timeout=30)
        print(f"MARK first_frame {first:.6f}", flush=True)
        app.exit()

    app.call_later(lambda: app.run_worker(watch()))
    app.run(headless=True, size=SIZE)


def provider_drawn(app, name: str) -> bool:  # type: ignore[no-untyped-def]
    """The provider is online and its partitions (not its status row) are in the partitions panel."""
    view = app.views[name]
    if not (view.online and view.snapshot):
        return False
    rows = [t for t in app.partitions._targets.values() if t[0] == name and t[1] is not None]
    return len(rows) >= len(view.snapshot.partitions)


def complete(app) -> bool:  # type: ignore[no-untyped-def]
    """Every provider's partitions drawn, every zone listed, events shown."""
    if not app.ready or not all(provider_drawn(app, name) for name in app.views):
        return False
    zones = sum(len(view.snapshot.zones) for view in app.views.values())
    return app.zones.row_count >= zones and app.events.table.row_count > 0


def demo() -> None:
    import gc

    import alarmtui.cli  # noqa: F401  (as the `alarmtui` command: the CLI is loaded before the clouds' process starts)

    gc.disable()  # as `cli.collections_held` does for `alarmtui --demo`
    from alarmtui.demo import DemoClouds

    clouds = DemoClouds(life=True)  # first, as `alarmtui --demo` does
    from benchlib import SIZE, FrameProbe

    from alarmtui.cli import demo_starting
    from alarmtui.ui.app import create_app

    print(f"MARK imported {time.monotonic():.6f}", flush=True)
    app = create_app(None, starting=demo_starting(clouds))
    probe = FrameProbe(app)

    async def watch() -> None:
        first = await probe.until(lambda: True, timeout=30)
        print(f"MARK first_frame {first:.6f}", flush=True)
        ready = await probe.until(lambda: app.ready, timeout=30)
        print(f"MARK engine_ready {ready:.6f}", flush=True)
        for name in app.views:
            probe.watch(lambda name=name: provider_drawn(app, name)).add_done_callback(
                lambda future, name=name: print(f"MARK provider:{name} {future.result():.6f}", flush=True)
            )
        done = await probe.until(lambda: complete(app), timeout=30)
        print(f"MARK complete {done:.6f}", flush=True)
        app.exit()

    app.call_later(lambda: app.run_worker(watch()))
    try:
        app.run(headless=True, size=SIZE)
    finally:
        clouds.stop()


if __name__ == "__main__":
    bare() if "--bare" in sys.argv[1:] else demo()
