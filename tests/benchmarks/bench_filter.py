"""10,000 events loaded: a filter keystroke -> the first frame that shows the filtered table.

The app (headless, 160x48, three demo providers configured but not polled, so
nothing else moves) gets 10,000 synthetic events through its normal update path
(`app.apply(EventsUpdate)`, 1,000 per message, as polls would deliver them).
Then `/` opens the filter box and the keystrokes of "door" are typed one by one
(narrowing), then erased with backspace (widening back to all 10,000 rows).
A keystroke counts as repainted on the first frame whose events table holds
exactly the matching rows and whose title names the new filter (the title is
updated last, so any debounce or deferred work is included).
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import SIZE, FrameProbe, Metric, arguments, finish, log, quiet_logging

EVENTS = 10_000
WORD = "door"


def synthetic_events(providers: list[str], count: int) -> list:  # type: ignore[type-arg]
    from alarmtui.domain import Event, EventKind

    rng = random.Random(1234)
    texts = {
        EventKind.ZONE: ["Front door opened", "Front door closed", "Back door opened", "Garage window opened",
                         "Hall PIR tripped", "Kitchen window closed"],
        EventKind.ARM: ["Arm Away", "Arm Home", "Armado total", "Arm Night"],
        EventKind.DISARM: ["Disarm", "Desarmado"],
        EventKind.TROUBLE: ["Low battery", "Mains power lost", "Tamper"],
        EventKind.SYSTEM: ["Comprobacion de estado", "Panel online", "Session started"],
        EventKind.ALARM: ["Burglary alarm", "Panic"],
        EventKind.PHOTO: ["Photo request: Hall camera"],
    }
    kinds = list(texts)
    weights = [40, 15, 15, 8, 15, 2, 5]
    people = ["Ana", "Luis", "Cleaner", "demo (AND)", "Keypad", ""]
    zones = ["Front door", "Back door", "Hall PIR", "Garage", "Kitchen", ""]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events = []
    for n in range(count):
        kind = rng.choices(kinds, weights)[0]
        events.append(Event(id=f"bench-{n}", time=start + timedelta(minutes=n * 7 + rng.randint(0, 5)), kind=kind,
                            text=rng.choice(texts[kind]), who=rng.choice(people), zone=rng.choice(zones),
                            partition=rng.choice(["1", "2", ""]), provider=providers[n % len(providers)]))
    return events


async def measure(runs: int) -> list[Metric]:
    from textual import events as textual_events
    from textual.widgets import Input

    from alarmtui import imaging
    from alarmtui.demo import DemoEnvironment
    from alarmtui.domain.updates import EventsUpdate
    from alarmtui.ui.app import create_app
    from alarmtui.ui.widgets.events import event_matches

    imaging.prepare_terminal()
    narrow = Metric(f"filter keystroke → repaint, {EVENTS:,} events (narrowing)", 100.0)
    widen = Metric(f"filter keystroke → repaint, {EVENTS:,} events (backspace)", 100.0)
    echo = Metric("filter keystroke → typed text echoed in the box", None)
    load = Metric(f"{EVENTS:,} events arrive → all in the table", None)
    env = DemoEnvironment.start(tls=False, life=False, fast=True, otp=False)  # Securitas trusts this device
    try:
        settings = env.settings.model_copy(update={"event_limit": EVENTS})
        app = create_app(settings, autostart=False)
        async with app.run_test(size=SIZE) as pilot:
            probe = FrameProbe(app)
            await pilot.pause(0.3)
            providers = list(app.views)
            generated = synthetic_events(providers, EVENTS)
            loaded = probe.watch(lambda: app.events.table.row_count == EVENTS)
            began = time.monotonic()
            for index in range(0, EVENTS, 1000):
                chunk = generated[index : index + 1000]
                app.apply(EventsUpdate(chunk[0].provider, tuple(chunk)))
            load.add((await asyncio.wait_for(loaded, 120) - began) * 1000)
            log(f"loaded {EVENTS} events in {load.samples[-1]:.0f} ms")
            await pilot.press("slash")
            await pilot.pause(0.3)

            def expected(text: str) -> int:
                return sum(1 for e in app.event_log.events if event_matches(e, text, None))

            box = app.events.query_one(Input)

            def table_shows(text: str, count: int) -> bool:
                # The title is the last thing a re-filter updates ("Events (“door”)"); the count must match.
                title = str(app.events.border_title)
                filtered = f"“{text}”" in title if text else "“" not in title
                return filtered and app.events.table.row_count == count

            async def keystroke(key: str, text: str, metric: Metric) -> None:
                count = expected(text)
                shown = probe.watch(lambda: table_shows(text, count))
                echoed = probe.watch(lambda: box.value == text)
                pressed = time.monotonic()
                char = key if len(key) == 1 else None
                app._driver.send_message(textual_events.Key(key, char))
                at = await asyncio.wait_for(shown, 30)
                echo.add((await asyncio.wait_for(echoed, 30) - pressed) * 1000)
                metric.add((at - pressed) * 1000)
                log(f"{key!r} -> {text!r}: {count} rows, echo {echo.samples[-1]:.0f} ms, table {metric.samples[-1]:.0f} ms")
                await pilot.pause(0.3)

            for _ in range(runs):
                for n in range(1, len(WORD) + 1):
                    await keystroke(WORD[n - 1], WORD[:n], narrow)
                for n in range(len(WORD) - 1, -1, -1):
                    await keystroke("backspace", WORD[:n], widen)
    finally:
        env.stop()
    return [narrow, widen, echo, load]


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs=2)
    quiet_logging()
    finish(asyncio.run(measure(args.runs)))


if __name__ == "__main__":
    main()
