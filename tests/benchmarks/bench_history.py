"""The events panel over a 1,000,000-event journal: a filter keystroke, and a scroll-back page.

    .venv/bin/python tests/benchmarks/bench_history.py [--events 1000000] [--keep DIR] [--runs 2] [--quick]

Three layers, each measured on its own:
1. the engine's `history()` question, in-process (the journal's reader thread) and through a real
   service on a Unix socket (aiohttp server and httpx client in this process: both sides' work on one loop);
2. the dashboard (headless, 160x48, three providers configured but not polled, 2,000 events in memory):
   a keystroke in the `/` box -> the first frame showing the in-memory matches, and -> the first frame showing
   the journal's matches merged in (debounce included); End on the last row -> the first frame with the next
   page of older events.
The journal is built once with the journal's own writer (bench_journal's synthetic rows) unless --keep has one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import SIZE, FrameProbe, Metric, finish, log, quiet_logging

WORDS = ("burglary", "garage")
MEMORY_EVENTS = 2000


def build_journal(path: Path, count: int) -> None:
    from bench_journal import insert

    from alarmtui.journal.store import JournalReader

    if path.is_file():
        reader = JournalReader(path)
        try:
            if reader.count() == count:
                log(f"reusing {path} ({count:,} events)")
                return
        finally:
            reader.close()
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
    log(f"building a journal of {count:,} events (once; --keep DIR keeps it) …")
    with contextlib.redirect_stdout(sys.stderr):
        insert(path, count)


def prefixes(word: str) -> list[str]:
    return [word[:n] for n in range(1, len(word) + 1)]


async def measure_engine(path: Path, runs: int, short_dir: Path) -> list[Metric]:
    from alarmtui.engine.attached.client import ServiceClient
    from alarmtui.engine.inprocess import InProcessEngine
    from alarmtui.journal.store import Journal
    from alarmtui.service.server import Service
    from alarmtui.settings import Settings

    local = Metric("history(): filter keystroke question, in-process (page 200)", 100.0)
    local_provider = Metric("history(): same with the provider filter, in-process", 100.0)
    remote = Metric("history(): filter keystroke question, via the service socket", 100.0)
    page_local = Metric("history(): scroll-back page of 200, in-process", None)
    page_remote = Metric("history(): scroll-back page of 200, via the service socket", None)
    journal = Journal(path)
    journal.start()
    engine = InProcessEngine(Settings(), providers=[], journal=journal)
    socket_path = short_dir / "bench.sock"
    service = Service(engine, config="bench", socket_path=socket_path)
    await service.start()
    client = ServiceClient(socket_path)
    try:
        await engine.history(limit=1)  # open the reader
        for _ in range(runs):
            for word in WORDS:
                for text in prefixes(word):
                    for metric, ask in (
                        (local, lambda t=text: engine.history(grep=t)),
                        (local_provider, lambda t=text: engine.history(grep=t, provider="office")),
                        (remote, lambda t=text: client.history(grep=t)),
                    ):
                        began = time.perf_counter()
                        page = await ask()
                        metric.add((time.perf_counter() - began) * 1000)
                        assert page is not None and not page.error, page
            for metric, ask in (
                (page_local, lambda b: engine.history(before=b)),
                (page_remote, lambda b: client.history(before=b)),
            ):
                before = None
                for _ in range(20):  # 4,000 events deep
                    began = time.perf_counter()
                    page = await ask(before)
                    metric.add((time.perf_counter() - began) * 1000)
                    assert page is not None and len(page.events) == 200
                    before = page.cursor
        log(f"in-process keystroke {local.value:.1f} ms, via socket {remote.value:.1f} ms; page {page_local.value:.1f} / {page_remote.value:.1f} ms")
    finally:
        await client.aclose()
        await service.stop()
        await journal.close()
    return [local, local_provider, remote, page_local, page_remote]


async def measure_dashboard(path: Path, runs: int) -> list[Metric]:
    from bench_filter import synthetic_events
    from textual import events as textual_events
    from textual.widgets import Input

    from alarmtui import imaging
    from alarmtui.demo import DemoEnvironment
    from alarmtui.domain.updates import EventsUpdate
    from alarmtui.engine.inprocess import InProcessEngine
    from alarmtui.journal.store import Journal, JournalReader
    from alarmtui.ui.app import create_app
    from alarmtui.ui.widgets.events import event_matches

    imaging.prepare_terminal()
    memory_metric = Metric("keystroke → in-memory matches on screen (1M journal behind)", 100.0)
    journal_metric = Metric("keystroke → journal matches on screen (median)", 100.0)
    journal_worst = Metric("keystroke → journal matches on screen (worst)", 100.0, judge="max")
    scroll_metric = Metric("End on the last row → next 200 older events on screen", None)
    reader = JournalReader(path)
    env = DemoEnvironment.start(tls=False, life=False, fast=True, otp=False)  # Securitas trusts this device
    journal = Journal(path)
    journal.start()  # the pollers stay off (autostart=False): nothing but the panel asks anything
    try:
        engine = InProcessEngine(env.settings, journal=journal)
        app = create_app(env.settings, engine=engine, autostart=False)
        async with app.run_test(size=SIZE) as pilot:
            probe = FrameProbe(app)
            await pilot.pause(0.3)
            # Memory holds the newest events (as live polls would have brought them), the journal everything older.
            newest = datetime.now(UTC)
            generated = [
                dataclasses.replace(e, time=newest - timedelta(minutes=n))
                for n, e in enumerate(synthetic_events(list(app.views), MEMORY_EVENTS))
            ]
            for index in range(0, MEMORY_EVENTS, 1000):
                chunk = generated[index : index + 1000]
                app.apply(EventsUpdate(chunk[0].provider, tuple(chunk)))
            await pilot.pause(0.5)
            panel = app.events
            assert panel.journal_state in ("idle", "end"), panel.journal_state
            await pilot.press("slash")
            await pilot.pause(0.3)
            box = panel.query_one(Input)

            def shows(text: str, ids: set[tuple[str, str]] | None, count: int | None) -> bool:
                if panel.text_filter != text or f"“{text}”" not in str(panel.border_title):
                    return False  # the key press not handled yet
                if ids is not None and panel.journal_state == "loading":
                    return False  # rows of the previous question may still match: wait for this one's answer
                rows = panel.table._rows
                if count is not None and len(rows) != count:
                    return False
                return ids is None or ids <= {(e.provider, e.id) for e in rows}

            for _ in range(runs):
                for word in WORDS:
                    for text in prefixes(word):
                        in_memory = sum(1 for e in app.event_log.events if event_matches(e, text, None))
                        journal_ids = {(e.provider, e.id) for e in reader.search(grep=text, kinds=["event"], limit=200)}
                        memory_shown = probe.watch(lambda t=text, n=in_memory: shows(t, None, n) or shows(t, journal_ids, None))
                        journal_shown = probe.watch(lambda t=text, ids=journal_ids: shows(t, ids, None))
                        pressed = time.monotonic()
                        app._driver.send_message(textual_events.Key(text[-1], text[-1]))
                        memory_metric.add((await asyncio.wait_for(memory_shown, 30) - pressed) * 1000)
                        took = (await asyncio.wait_for(journal_shown, 30) - pressed) * 1000
                        journal_metric.add(took)
                        journal_worst.add(took)
                        log(f"{text!r}: memory {memory_metric.samples[-1]:.0f} ms, journal {took:.0f} ms ({len(journal_ids)} rows)")
                        await pilot.pause(0.2)
                    box.value = ""
                    await pilot.pause(0.3)
            await pilot.press("escape")
            await pilot.pause(0.3)
            panel.table.focus()
            await pilot.press("end")
            for _ in range(runs * 5):
                await pilot.pause(0.1)
                while panel.journal_state == "loading":
                    await pilot.pause(0.05)
                count = panel.table.row_count
                grown = probe.watch(lambda c=count: panel.table.row_count > c and panel.journal_state != "loading")
                pressed = time.monotonic()
                app._driver.send_message(textual_events.Key("end", None))
                scroll_metric.add((await asyncio.wait_for(grown, 30) - pressed) * 1000)
                log(f"scroll back: {count:,} -> {panel.table.row_count:,} rows in {scroll_metric.samples[-1]:.0f} ms")
    finally:
        reader.close()
        await journal.close()
        env.stop()
    return [memory_metric, journal_metric, journal_worst, scroll_metric]


async def measure(path: Path, runs: int, short_dir: Path) -> list[Metric]:
    return [*await measure_engine(path, runs, short_dir), *await measure_dashboard(path, runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=None, help="journal size (default 1,000,000; --quick 200,000)")
    parser.add_argument("--keep", type=Path, help="directory to keep (and reuse) the journal in")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    events = args.events or (200_000 if args.quick else 1_000_000)
    runs = args.runs or (1 if args.quick else 2)
    quiet_logging()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="bench-history-"))
    directory.mkdir(parents=True, exist_ok=True)
    short_dir = Path(tempfile.mkdtemp(prefix="bh-", dir="/tmp"))
    try:
        path = directory / "journal.sqlite3"
        build_journal(path, events)
        metrics = asyncio.run(measure(path, runs, short_dir))
        for metric in metrics:
            metric.note = metric.note or f"journal of {events:,} events"
        finish(metrics)
    finally:
        shutil.rmtree(short_dir, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
