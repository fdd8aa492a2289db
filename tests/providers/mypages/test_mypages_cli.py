"""`alarmtui login`, headless commands that never wait for a code, and `alarmtui lock|unlock`, against
the My Pages simulator in a thread of this process (what `alarmtui sim --kinds mypages` serves), every command
in this process."""

from __future__ import annotations

import os
import queue
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alarmtui.cli import Exit
from tests.helpers import CliThread, SimThread, cli


@pytest.fixture
def mypages_sim(tmp_path: Path) -> Iterator[tuple[Path, queue.Queue[str], dict[str, str]]]:
    sim = SimThread(tmp_path / "sim.toml", "mypages").start()
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}  # whole: test_login_channels starts a child with it
    try:
        yield sim.config, sim.lines, env
    finally:
        sim.stop()


def printed_code(lines: queue.Queue[str]) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        found = re.search(r"mypages: (phone|email) code (\d{6})", line)
        if found:
            return found.group(2)
    raise AssertionError("the simulator printed no code")


def drained_codes(lines: queue.Queue[str]) -> list[str]:
    """The codes printed so far (the queue is emptied)."""
    codes = []
    while not lines.empty():
        found = re.search(r"mypages: (phone|email) code (\d{6})", lines.get())
        if found:
            codes.append(found.group(2))
    return codes


def test_headless_never_waits_then_login_once_then_lock_and_unlock(mypages_sim) -> None:
    config, lines, env = mypages_sim
    status = cli("status", "--config", str(config), env=env)
    assert status.returncode == Exit.AUTH and "alarmtui login villa" in status.stderr
    assert drained_codes(lines) == []  # no code was requested by a headless command

    # `alarmtui login`: choose SMS, type the code the simulator printed (the prompt reads stdin line by line).
    login = CliThread("login", "villa", "--config", str(config), env=env)
    login.type("1")
    code = printed_code(lines)
    login.type(code)
    result = login.wait(60)
    assert result.returncode == Exit.OK, result.stderr
    assert "validated" in result.stdout

    state = next((Path(env["XDG_STATE_HOME"]) / "alarmtui").glob("mypages-*.json"))
    assert oct(state.stat().st_mode & 0o777) == "0o600" and "demo-pass" not in state.read_text()

    unlocked = cli("unlock", "Front door", "--config", str(config), env=env)
    assert unlocked.returncode == Exit.OK, unlocked.stderr
    assert "unlocked" in unlocked.stdout
    locked = cli("lock", "Front door", "--config", str(config), env=env)
    assert locked.returncode == Exit.OK, locked.stderr
    again = cli("status", "--config", str(config), env=env)
    assert again.returncode == Exit.OK, again.stderr
    assert drained_codes(lines) == []  # trusted: no further code, ever
