"""The real chain: simulated Visonic cloud -> real provider -> poller -> journal and notifier (loopback receiver)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alarmtui.demo import FAST_TIMING
from alarmtui.domain import ArmMode, Command, CommandAction
from alarmtui.domain.updates import PollerUpdate
from alarmtui.engine.poller import Poller, PollTiming
from alarmtui.journal.store import Journal
from alarmtui.notify.notifier import Notifier, Target
from alarmtui.providers import create_provider
from alarmtui.settings import Settings
from alarmtui.simulators.control import intrude
from alarmtui.simulators.host import SimHost, create_cloud
from tests.helpers import until
from tests.notify.test_notifier import start_receiver

TIMING = PollTiming(poll_interval=0.3, refresh_interval=30.0, fast_interval=0.2, backoff_initial=0.2, min_gap=0.05)


async def test_a_watched_house_is_journaled_and_its_alarm_notified_once(tmp_path: Path) -> None:
    cloud = create_cloud("visonic")
    panel = cloud.panels[0]
    panel.seed_history()
    for name, value in FAST_TIMING.items():
        setattr(panel, name, value)
    receiver, runner = await start_receiver()
    journal = Journal(tmp_path / "journal.sqlite3")
    journal.start()
    notifier = Notifier([Target(receiver.url(), frozenset({"alarm", "armed", "command_failed"}))], settle=0.0)
    notifier.start()
    async with SimHost([cloud]) as host:
        config = Settings(providers=host.provider_tables()).providers[0]

        def feed(update: PollerUpdate) -> None:
            journal.record(update, origin="test view")
            notifier.feed(update, origin="test view")

        poller = Poller(create_provider(config), feed, timing=TIMING)
        task = asyncio.create_task(poller.run())
        try:
            await until(lambda: poller.connected and poller.snapshot is not None)
            await journal.flush()
            history = await journal.search(kinds=["event"], limit=1000)
            assert history, "the vendor's log was journaled"

            code = config.code.get_secret_value() if config.code else None
            result = await poller.submit(Command(CommandAction.ARM, mode=ArmMode.AWAY, code=code, label="the panel"))
            assert result.ok, result.message
            intrude(panel)
            await receiver.wait_posts(2, timeout=30)

            async def journaled_alarm() -> bool:
                await journal.flush()
                return bool(await journal.search(kinds=["alarm"], grep="ALARM"))

            for _ in range(100):
                if await journaled_alarm():
                    break
                await asyncio.sleep(0.2)
            commands = await journal.search(kinds=["command"])
            assert [(c.text.split(":")[0], c.text.split(":")[1].split()[0], c.who) for c in commands] == [
                # The panel took it into its exit delay: "accepted"; "armed away" is the state entry once it says so.
                ("arm away the panel", "accepted", "test view")
            ]
            states = [e.text for e in await journal.search(kinds=["state"], limit=100)]
            assert any("ALARM" in text for text in states), states
            assert any("armed away" in text for text in states), states
            await asyncio.sleep(1.0)  # more polls of the same alarm
            await notifier.idle()
            titles = [p["title"] for p in receiver.posts]
            assert titles.count(f"ALARM — {config.name}") == 1, titles
            assert f"Armed away — {config.name}" in titles
        finally:
            task.cancel()
            await poller.close()

        # A restart: a fresh poller re-reads the whole vendor log; the journal adds none of it twice.
        before = len(await journal.search(limit=10_000))
        restarted = Poller(create_provider(config), journal.record, timing=TIMING)
        task = asyncio.create_task(restarted.run())
        try:
            await until(lambda: restarted.snapshot is not None)
            await asyncio.sleep(0.5)
        finally:
            task.cancel()
            await restarted.close()
        await journal.flush()
        after = await journal.search(limit=10_000)
        assert len(after) == before, [e.text for e in after[: len(after) - before]]
    await notifier.close()
    await journal.close()
    await runner.cleanup()
