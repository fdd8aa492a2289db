"""`alarmtui login`, headless commands that never wait for a code, and `alarmtui lock|unlock`, against
`alarmtui sim --kinds mypages` in another process."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alarmtui.cli import Exit


def cli(*args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alarmtui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


@pytest.fixture
def mypages_sim(tmp_path: Path) -> Iterator[tuple[Path, queue.Queue[str], dict[str, str]]]:
    config = tmp_path / "sim.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "alarmtui", "sim", "--kinds", "mypages", "--write-config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True)  # type: ignore[union-attr]
    reader.start()
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    try:
        deadline = time.monotonic() + 30
        while not config.exists() and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
            time.sleep(0.05)
        assert config.exists()
        time.sleep(0.2)
        yield config, lines, env
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


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
    login = subprocess.Popen(
        [sys.executable, "-m", "alarmtui", "login", "villa", "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert login.stdin is not None
    login.stdin.write("1\n")
    login.stdin.flush()
    code = printed_code(lines)
    out, err = login.communicate(code + "\n", timeout=60)
    assert login.returncode == Exit.OK, err
    assert "validated" in out

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
