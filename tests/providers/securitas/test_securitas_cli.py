"""`alarmtui login`, and headless commands that never wait for a code: in this process against the simulator in a
thread, and once (`e2e`) with every command a process against `alarmtui sim` in another process."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alarmtui.cli import Exit
from tests.helpers import CliThread, SimThread, cli, spawn_cli, stop_process


def process_cli(
    *args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
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
def securitas_sim(tmp_path: Path) -> Iterator[tuple[Path, queue.Queue[str], dict[str, str]]]:
    config = tmp_path / "sim.toml"
    process = spawn_cli("sim", "--fast", "--kinds", "securitas", "--write-config", str(config))
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True)  # type: ignore[union-attr]
    reader.start()
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    try:
        deadline = time.monotonic() + 30
        while not config.exists() and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
            time.sleep(0.02)
        assert config.exists()
        yield config, lines, env
    finally:
        stop_process(process)


def sms_code(lines: queue.Queue[str], timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        match = re.search(r"securitas: SMS to \S+: code (\d{6})", line)
        if match:
            return match.group(1)
    raise AssertionError("the simulator printed no SMS code")


@pytest.mark.e2e  # a real subprocess smoke test
def test_headless_exits_3_then_login_once_then_commands_work(securitas_sim) -> None:
    config, lines, env = securitas_sim
    assert 'kind = "securitas"' in config.read_text()

    status = process_cli("status", "--config", str(config), env=env)
    assert status.returncode == Exit.AUTH == 3
    assert "two-factor verification needed for this device: run `alarmtui login hogar`" in status.stderr

    login = subprocess.Popen(
        [sys.executable, "-m", "alarmtui", "login", "hogar", "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert login.stdin is not None
    login.stdin.write("2\n")
    login.stdin.flush()
    code = sms_code(lines)
    login.stdin.write(code + "\n")
    login.stdin.flush()
    out, err = login.communicate(timeout=60)
    assert login.returncode == 0, err
    assert "***789" in out and "validated" in out
    assert code not in out + err  # the code is typed, never echoed back

    armed = process_cli("arm", "home", "--config", str(config), env=env)
    assert armed.returncode == 0, armed.stderr
    status = process_cli("status", "--json", "--quick", "--config", str(config), env=env)
    assert status.returncode == 0, status.stderr
    assert '"armed_home"' in status.stdout
    disarmed = process_cli("disarm", "--config", str(config), env=env)
    assert disarmed.returncode == 0, disarmed.stderr
    state_file = next((Path(env["XDG_STATE_HOME"]) / "alarmtui").glob("securitas-*.json"))
    assert state_file.stat().st_mode & 0o777 == 0o600
    assert "demo-pass" not in state_file.read_text()


@pytest.fixture
def securitas_here(tmp_path: Path) -> Iterator[SimThread]:
    sim = SimThread(tmp_path / "sim.toml", "securitas").start()
    try:
        yield sim
    finally:
        sim.stop()


def test_headless_exits_3_then_login_once_then_commands_work_in_process(securitas_here: SimThread) -> None:
    """The e2e test's assertions, with every command in this process."""
    config, lines = securitas_here.config, securitas_here.lines
    assert 'kind = "securitas"' in config.read_text()

    status = cli("status", "--config", str(config))
    assert status.returncode == Exit.AUTH == 3
    assert "two-factor verification needed for this device: run `alarmtui login hogar`" in status.stderr

    login = CliThread("login", "hogar", "--config", str(config))
    login.type("2")
    code = sms_code(lines)
    login.type(code)
    result = login.wait(60)
    assert result.returncode == 0, result.stderr
    assert "***789" in result.stdout and "validated" in result.stdout
    assert code not in result.stdout + result.stderr  # the code is typed, never echoed back

    armed = cli("arm", "home", "--config", str(config))
    assert armed.returncode == 0, armed.stderr
    status = cli("status", "--json", "--quick", "--config", str(config))
    assert status.returncode == 0, status.stderr
    assert '"armed_home"' in status.stdout
    disarmed = cli("disarm", "--config", str(config))
    assert disarmed.returncode == 0, disarmed.stderr
    state_file = next((Path(os.environ["XDG_STATE_HOME"]) / "alarmtui").glob("securitas-*.json"))
    assert state_file.stat().st_mode & 0o777 == 0o600
    assert "demo-pass" not in state_file.read_text()
