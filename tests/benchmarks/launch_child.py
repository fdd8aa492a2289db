"""Child process of bench_launch.py: `alarmtui --demo`'s start-up, headless, timed from the inside.

Does what `alarmtui --demo` does (start the three simulated clouds, build the
app, prepare the terminal), but runs the app headless at a fixed size and prints
`MARK name monotonic-time` lines: after the imports, after the simulators are up,
the first frame, and the first frame on which every provider's partitions, zones
and events are drawn. Then it quits.
"""

from __future__ import annotations

import time

print(f"MARK start {time.monotonic():.6f}", flush=True)

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import SIZE, FrameProbe

from alarmtui import imaging
from alarmtui.demo import DemoEnvironment
from alarmtui.ui.app import create_app

print(f"MARK imported {time.monotonic():.6f}", flush=True)


def provider_drawn(app, name: str) -> bool:  # type: ignore[no-untyped-def]
    """The provider is online and its partitions (not its status row) are in the partitions panel."""
    view = app.views[name]
    if not (view.online and view.snapshot):
        return False
    rows = [t for t in app.partitions._targets.values() if t[0] == name and t[1] is not None]
    return len(rows) >= len(view.snapshot.partitions)


def complete(app) -> bool:  # type: ignore[no-untyped-def]
    """Every provider's partitions drawn, every zone listed, events shown."""
    if not all(provider_drawn(app, name) for name in app.views):
        return False
    zones = sum(len(view.snapshot.zones) for view in app.views.values())
    return app.zones.row_count >= zones and app.events.table.row_count > 0


def main() -> None:
    env = DemoEnvironment.start(life=True, otp=False)  # as `alarmtui --demo`, with Securitas trusting this device
    print(f"MARK simulators {time.monotonic():.6f}", flush=True)
    imaging.prepare_terminal()
    app = create_app(env.settings, scenarios=env.scenarios)
    probe = FrameProbe(app)

    async def watch() -> None:
        first = await probe.until(lambda: True, timeout=30)
        print(f"MARK first_frame {first:.6f}", flush=True)
        for name in app.views:
            probe.watch(lambda name=name: provider_drawn(app, name)).add_done_callback(
                lambda future, name=name: print(f"MARK provider:{name} {future.result():.6f}", flush=True)
            )
        done = await probe.until(lambda: complete(app), timeout=30)
        print(f"MARK complete {done:.6f}", flush=True)
        app.exit()

    def on_ready() -> None:
        app.run_worker(watch())

    app.call_later(on_ready)
    try:
        app.run(headless=True, size=SIZE)
    finally:
        env.stop()


if __name__ == "__main__":
    main()
