"""The device-verification prompts name the channel the vendor offers: My Pages sends its code by SMS or
e-mail, so neither the dialog nor `alarmtui login` may say "SMS" for an e-mail code."""

from __future__ import annotations

import itertools
import queue
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Input, Label, OptionList

from alarmtui.cli import Exit
from alarmtui.demo import DemoEnvironment
from alarmtui.domain.updates import LinkState
from alarmtui.ui.app import create_app
from alarmtui.ui.screens.otp import OtpScreen
from tests.providers.mypages.test_mypages_cli import mypages_sim, printed_code  # noqa: F401  (fixture)
from tests.providers.securitas.test_securitas_ui import TIMING, until

PATIENT = itertools.count(0.0, 1.0).__next__  # the dialogs' input guard: a second between readings


def test_login_asks_for_the_code_by_the_channel_chosen(mypages_sim: tuple[Path, queue.Queue[str], dict[str, str]]) -> None:  # noqa: F811
    config, lines, env = mypages_sim
    login = subprocess.Popen(
        [sys.executable, "-m", "alarmtui", "login", "villa", "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert login.stdin is not None
    login.stdin.write("2\n")  # the second channel My Pages offers: e-mail
    login.stdin.flush()
    code = printed_code(lines)
    out, err = login.communicate(code + "\n", timeout=60)
    assert login.returncode == Exit.OK, err
    assert "e-mail to the account's address" in out
    assert "the code (e-mail to the account's address): " in out
    assert "code from the SMS" not in out and "phone number [" not in out


async def test_the_dialog_names_the_e_mail_channel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    env = DemoEnvironment.start(kinds=("mypages",), tls=False, life=False, fast=True)
    try:
        cloud = env.host.cloud("mypages")
        env.host.call(lambda: setattr(cloud, "mfa", True))  # a new device: My Pages wants a code
        app = create_app(env.settings, timing=TIMING, guard_clock=PATIENT)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, OtpScreen) and app.screen.query("#otp-phones"), what="the dialog")
            screen = app.screen
            words = " ".join(str(label.render()) for label in screen.query(Label))
            assert "SMS" not in words, words  # the channels are the vendor's options, not the dialog's words
            phones = screen.query_one("#otp-phones", OptionList)
            assert "e-mail" in str(phones.get_option_at_index(1).prompt)
            await pilot.press("down", "enter")  # e-mail
            code_field = screen.query_one("#otp-code", Input)
            await until(pilot, lambda: not code_field.disabled, what="the code field")
            assert "e-mail" in code_field.placeholder and "SMS" not in code_field.placeholder
            assert "e-mail" in str(screen.query_one("#otp-status", Label).render())
            await pilot.press(*cloud.sent_codes[-1], "enter")  # type: ignore[attr-defined]
            await until(pilot, lambda: not isinstance(app.screen, OtpScreen), what="the dialog to close")
            name = next(iter(app.views))
            await until(pilot, lambda: app.views[name].status.state is LinkState.ONLINE, what="online")
    finally:
        env.stop()
