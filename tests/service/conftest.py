"""A real service on a real Unix socket, over the simulated clouds (in a thread of this process).

`service` and `ServiceThread` run `alarmtui serve`'s engine, socket and journal in this process, and
`tests.helpers.cli` runs a command in this process too. `ServiceProcess` and `run_cli`/`run_process` are child
processes, for what needs one: signals, SIGKILL, a second `serve`, another user, a fresh interpreter."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alarmtui.demo import DemoEnvironment
from alarmtui.settings import write_config
from tests import helpers
from tests.helpers import ServiceThread

REPO = Path(__file__).resolve().parents[2]


class ServiceProcess:
    """`alarmtui serve --config FILE` as systemd would run it."""

    def __init__(self, config: Path, env: dict[str, str], log: Path) -> None:
        self.config = config
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    @property
    def socket(self) -> Path:
        return Path(self.env["ALARMTUI_SOCKET"])

    def start(self, *, wait: bool = True) -> ServiceProcess:
        self._log_offset = self.log.stat().st_size if self.log.exists() else 0
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alarmtui", "serve", "--config", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
            stdin=subprocess.DEVNULL,
            env=self.env,
            cwd=REPO,
        )
        if wait:
            self.wait_listening()
        return self

    def wait_listening(self, timeout: float = 30.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the service exited ({self.process.returncode}): {self.log.read_text()}")
            if "listening on" in self.log.read_text()[self._log_offset :]:
                return
            time.sleep(0.05)
        raise AssertionError(f"the service did not start: {self.log.read_text()}")

    def terminate(self, timeout: float = 15.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)


def run_cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m alarmtui ARGS` in a child process with exactly the service's environment (in this process:
    `tests.helpers.cli(*args, env=env)`)."""
    return helpers.run_cli(*args, env=env, timeout=timeout, inherit=False)


run_process = run_cli
"""The name the in-process tests use for a child that must be a process (a second `serve`)."""


@pytest.fixture
def demo() -> Iterator[DemoEnvironment]:
    """Every simulated cloud, quiet (no life), fast panels; Securitas trusts this device (no SMS step)."""
    env = DemoEnvironment.start(life=False, fast=True, otp=False)
    try:
        yield env
    finally:
        env.stop()


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A short folder: Unix socket paths must stay under ~100 bytes (pytest's tmp_path may not)."""
    path = Path(tempfile.mkdtemp(prefix="atui-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def service_env(short_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    socket = short_dir / "run" / "alarmtui.sock"
    monkeypatch.setenv("ALARMTUI_SOCKET", str(socket))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALARMTUI_") or k == "ALARMTUI_SOCKET"}
    env["PYTHONPATH"] = str(REPO)
    return env


@pytest.fixture
def config_file(demo: DemoEnvironment, short_dir: Path) -> Path:
    """The demo clouds as a config file; polls as fast as the demo's, with a roomy budget."""
    tables = demo.host.provider_tables()
    for table in tables:
        table["poll_interval"] = 10.0 if table["kind"] == "verisure" else 2.0
        table["request_budget"] = 20000
        if table["kind"] == "mios":
            table.pop("code", None)  # the Vera's PIN must travel inside each command
    path = short_dir / "config.toml"
    write_config(path, tables)
    return path


@pytest.fixture
def service(config_file: Path, service_env: dict[str, str], short_dir: Path) -> Iterator[ServiceThread]:
    """`alarmtui serve` for the demo's clouds, in a thread of this process."""
    proc = ServiceThread(config_file, short_dir / "service.log", service_env).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def service_process(config_file: Path, service_env: dict[str, str], short_dir: Path) -> Iterator[ServiceProcess]:
    """`alarmtui serve` for the demo's clouds in a child process: for SIGTERM and SIGKILL."""
    proc = ServiceProcess(config_file, service_env, short_dir / "service.log").start()
    try:
        yield proc
    finally:
        if proc.process is not None and proc.process.poll() is None:
            proc.process.kill()
            proc.process.wait(10)
