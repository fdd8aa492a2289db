"""`alarmtui --demo` in a real terminal (tmux): what a person sees, keys a person presses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Terminal:
    def __init__(self, session: str) -> None:
        self.session = session

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False, timeout=10).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 30, what: str = "") -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what or predicate}; screen was:\n{screen}")

    def alive(self) -> bool:
        result = subprocess.run(["tmux", "has-session", "-t", self.session], capture_output=True, timeout=10)
        return result.returncode == 0


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    session = f"alarmtui-test-{uuid.uuid4().hex[:8]}"
    command = f"{sys.executable} -m alarmtui --demo"
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "180", "-y", "50", command],
        check=True,
        env=env,
        timeout=10,
    )
    term = Terminal(session)
    try:
        yield term
    finally:
        if term.alive():
            term.tmux("kill-session", "-t", session)


def test_demo_shows_all_providers_arms_and_quits(terminal: Terminal) -> None:
    # The demo trusts this device at Securitas: no SMS dialog at launch (two-factor is a palette scenario).
    screen = terminal.wait_for(
        lambda s: all(name in s for name in ("casa", "powermaster", "vera", "hogar")) and s.count("online") >= 4,
        what="four providers online",
    )
    assert "verify this device" not in screen
    assert "DISARMED" in screen
    assert "Partitions" in screen and "Zones" in screen and "Events" in screen

    terminal.keys("?")
    terminal.wait_for(lambda s: "alarmtui keys" in s and "Arm away" in s, what="the help screen")
    terminal.keys("Escape")
    terminal.wait_for(lambda s: "alarmtui keys" not in s and "Partitions" in s, what="back to the dashboard")

    # `a` arms the selected (first) partition: the Verisure flat. The demo's own
    # life may have opened its front door meanwhile; then the panel's refusal must show.
    terminal.keys("a")
    terminal.wait_for(
        lambda s: "ARMING" in s or "EXIT DELAY" in s or "ARMED AWAY" in s or "Not ready" in s or "arm away casa" in s,
        timeout=40,
        what="the partition arming (or the panel's reason for refusing)",
    )

    terminal.keys("C-q")
    deadline = time.monotonic() + 10
    while terminal.alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not terminal.alive(), "the dashboard did not quit on ctrl+q"
