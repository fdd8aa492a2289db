"""The footer dims keys in place: a command going out changes which keys can act, not the keys themselves."""

from __future__ import annotations

import itertools

from textual.widgets._footer import FooterKey

from alarmtui.demo import DemoEnvironment
from alarmtui.engine.poller import PollTiming
from alarmtui.ui.app import create_app
from tests.helpers import until_pilot

TIMING = PollTiming(
    poll_interval=0.25, refresh_interval=3600, fast_interval=0.1, backoff_initial=0.1, backoff_max=0.4, min_gap=0.05
)


async def test_a_command_dims_the_footer_keys_in_place_without_rebuilding_them() -> None:
    with DemoEnvironment.start(kinds=("visonic",), life=False, fast=True) as env:
        app = create_app(env.settings, timing=TIMING, guard_clock=itertools.count(0.0, 1.0).__next__)
        async with app.run_test(size=(160, 48)) as pilot:

            def footer_keys() -> dict[str, FooterKey]:
                return {k.action: k for k in app.screen.query(FooterKey)}

            def dimmed(action: str) -> bool:
                return footer_keys()[action].has_class("-disabled")

            await until_pilot(pilot, lambda: app.views["powermaster"].online, what="online")
            snapshot = app.views["powermaster"].snapshot
            assert snapshot is not None
            garage = next(p.id for p in snapshot.partitions if p.name == "Garage")
            app.partitions.select("powermaster", garage)
            await until_pilot(pilot, lambda: "arm('away')" in footer_keys() and not dimmed("arm('away')"), what="arm away lit")
            before = footer_keys()
            await pilot.press("a")
            # While the arm is on its way, arming again cannot act: dimmed, on the very same key widgets.
            await until_pilot(pilot, lambda: dimmed("arm('away')"), what="arm away dimmed")
            after = footer_keys()
            assert after.keys() == before.keys()
            assert all(after[action] is before[action] for action in before)
            assert after["arm('away')"]._disabled is True  # a click on it only rings the bell
