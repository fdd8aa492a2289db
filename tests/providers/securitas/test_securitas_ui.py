"""The dashboard asks for the SMS code when Securitas wants this device validated, then carries on."""

from __future__ import annotations

import itertools

from textual.widgets import Input, OptionList

from alarmtui.demo import DemoEnvironment
from alarmtui.domain import PartitionState
from alarmtui.domain.updates import LinkState
from alarmtui.engine.poller import PollTiming
from alarmtui.ui.app import create_app
from alarmtui.ui.screens.otp import OtpScreen
from tests.helpers import until_pilot as until

TIMING = PollTiming(poll_interval=0.25, refresh_interval=3600, fast_interval=0.1, backoff_initial=0.1, backoff_max=0.4, min_gap=0.05)

PATIENT = itertools.count(0.0, 1.0).__next__  # the dialogs' input guard: a second between readings


async def test_sms_dialog_validates_the_device_and_the_panel_comes_online() -> None:
    env = DemoEnvironment.start(kinds=("securitas",), tls=False, life=False, fast=True, otp=True)
    try:
        cloud = env.host.cloud("securitas")
        app = create_app(env.settings, timing=TIMING, guard_clock=PATIENT)
        async with app.run_test(size=(120, 40)) as pilot:
            # Pushed is not yet composed: wait for its fields too.
            await until(pilot, lambda: isinstance(app.screen, OtpScreen) and app.screen.query("#otp-phones"), what="the SMS dialog")
            screen = app.screen
            assert "***456" in str(screen.query_one("#otp-phones", OptionList).get_option_at_index(0).prompt)
            # A wrong code first: the dialog says so and asks for a new code.
            await pilot.press("enter")  # send to the first phone
            await until(pilot, lambda: not screen.query_one("#otp-code", Input).disabled, what="the code field")
            status = str(screen.query_one("#otp-status").render())
            assert "demo code" in status  # the demo "prints" the code it sent
            wrong = "000000" if cloud.sent_codes[-1] != "000000" else "111111"  # type: ignore[attr-defined]
            await pilot.press(*wrong, "enter")
            await until(pilot, lambda: screen.query_one("#otp-code", Input).disabled, what="a new code to be asked for")
            assert "wrong code" in str(screen.query_one("#otp-status").render())
            await pilot.press("enter")
            await until(pilot, lambda: not screen.query_one("#otp-code", Input).disabled, what="the code field again")
            await pilot.press(*cloud.sent_codes[-1], "enter")  # type: ignore[attr-defined]
            await until(pilot, lambda: not isinstance(app.screen, OtpScreen), what="the dialog to close")
            await until(pilot, lambda: app.views["hogar"].status.state is LinkState.ONLINE, what="online")
            snapshot = app.views["hogar"].snapshot
            assert snapshot is not None and snapshot.partitions[0].state is PartitionState.DISARMED
    finally:
        env.stop()


async def test_dismissed_dialog_comes_back_on_refresh() -> None:
    env = DemoEnvironment.start(kinds=("securitas",), tls=False, life=False, fast=True, otp=True)
    try:
        app = create_app(env.settings, timing=TIMING, guard_clock=PATIENT)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, OtpScreen), what="the SMS dialog")
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, OtpScreen), what="the dialog to close")
            assert "two-factor" in app.views["hogar"].status.reason
            await pilot.pause(0.5)
            assert not isinstance(app.screen, OtpScreen)  # not pushed again by the poller's retries
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, OtpScreen), what="the dialog again")
    finally:
        env.stop()
