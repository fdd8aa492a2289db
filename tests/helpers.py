"""What many tests share: waiting for a condition, a fake clock, and the processes they start.

- `until` / `until_sync`: poll a condition (never a fixed sleep); with a Textual `pilot` the app
  keeps running between polls.
- `FakeClock`: one clock for the simulators' panels, the providers and `LoginGate` (they all take
  `clock=`); `advance()` moves time without waiting.
- `run_cli`, `spawn_cli`, `SimProcess`: `python -m alarmtui …` in a child process (the ~6 `e2e`
  smoke tests; everything else runs in-process).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
POLL = 0.02
"""Seconds between two looks at a condition."""


def _describe(what: str, predicate: object) -> str:
    return what or getattr(predicate, "__name__", repr(predicate))


async def until(
    predicate: Callable[[], object],
    timeout: float = 10.0,
    what: str = "",
    *,
    pilot: Any = None,
    step: float = POLL,
    context: Callable[[], object] | None = None,
) -> Any:
    """Wait until `predicate()` is truthy (returns it); a `pilot` keeps the app processing meanwhile.

    The timeout is a safety net for a hung test, not a measurement: keep it generous. `context()`
    is added to the failure message (what the test was looking at).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            extra = f": {context()}" if context is not None else ""
            raise AssertionError(f"timed out after {timeout:g} s waiting for {_describe(what, predicate)}{extra}")
        if pilot is not None:
            await pilot.pause(step)
        else:
            await asyncio.sleep(step)


async def until_pilot(pilot: Any, predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> Any:
    """`until` for a Textual app under test; on a timeout it names each provider view's state."""
    return await until(predicate, timeout, what, pilot=pilot, context=lambda: _views_of(pilot.app))


def _views_of(app: Any) -> object:
    views = getattr(app, "views", None)
    if not views:
        return "no provider views"
    return {
        name: (view.status.state, view.status.reason, view.snapshot and [(p.id, p.state) for p in view.snapshot.partitions])
        for name, view in views.items()
    }


def until_sync(predicate: Callable[[], object], timeout: float = 10.0, what: str = "", *, step: float = POLL) -> Any:
    """`until` for code without an event loop (threads, child processes)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {_describe(what, predicate)}")
        time.sleep(step)


class FakeClock:
    """A monotonic clock (and a wall clock riding along) that moves only when told.

    Pass `clock` (or `clock.monotonic`) where a `clock=` is taken and `clock.wall` where a
    `wall=` is; `advance(seconds)` moves both.
    """

    def __init__(self, start: float = 1000.0, wall: float = 1_780_000_000.0) -> None:
        self.now = start
        self._wall_offset = wall - start

    def __call__(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + self._wall_offset

    def advance(self, seconds: float) -> float:
        assert seconds >= 0, "time does not run backwards"
        self.now += seconds
        return self.now


# ---------------------------------------------------------------------- processes


def child_env(extra: dict[str, str] | None = None, *, inherit: bool = True) -> dict[str, str]:
    """The test's environment (its private XDG folders) plus `extra`, or exactly `extra` (`inherit=False`),
    with this checkout first on the path."""
    env = {**(os.environ if inherit else {}), **(extra or {})}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 90, inherit: bool = True
) -> subprocess.CompletedProcess[str]:
    """`python -m alarmtui ARGS` to completion, output captured, no terminal (`env` adds to the test's, or replaces it)."""
    return subprocess.run(
        [sys.executable, "-m", "alarmtui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(env, inherit=inherit),
        stdin=subprocess.DEVNULL,
        cwd=REPO,
    )


def spawn_cli(*args: str, env: dict[str, str] | None = None, **options: Any) -> subprocess.Popen[str]:
    """`python -m alarmtui ARGS` running in the background (stdout/stderr piped, text)."""
    options.setdefault("stdout", subprocess.PIPE)
    options.setdefault("stderr", subprocess.PIPE)
    options.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen([sys.executable, "-m", "alarmtui", *args], text=True, env=child_env(env), cwd=REPO, **options)


def stop_process(process: subprocess.Popen[Any], sig: int = signal.SIGINT, timeout: float = 10.0) -> int:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    return process.returncode


CONTROL_LINE = re.compile(r"scenario control: (http://127\.0\.0\.1:\d+)/_control")


class SimProcess:
    """`alarmtui sim --fast --write-config FILE` in a child process, as a user runs it."""

    def __init__(self, config: Path, *args: str) -> None:
        self.config = config
        self.args = args
        self.process: subprocess.Popen[str] | None = None
        self.control_url = ""
        self.lines: list[str] = []

    def start(self, timeout: float = 30.0) -> SimProcess:
        self.process = spawn_cli("sim", "--fast", "--write-config", str(self.config), *self.args)
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"alarmtui sim exited ({self.process.wait()}): {self.process.stderr.read()}")  # type: ignore[union-attr]
            self.lines.append(line)
            if match := CONTROL_LINE.search(line):
                self.control_url = match.group(1)
            if line.startswith("config written to"):
                assert self.control_url, "alarmtui sim printed no control URL"
                return self
        raise AssertionError(f"alarmtui sim did not write its config: {''.join(self.lines)}")

    def scenario(self, cloud: str, op: str, **args: Any) -> dict[str, Any]:
        from alarmtui.simulators.control import run_scenario_sync

        return run_scenario_sync(self.control_url, cloud, op, **args)

    def panels(self, cloud: str) -> list[dict[str, Any]]:
        import urllib.request

        with urllib.request.urlopen(f"{self.control_url}/_control/{cloud}", timeout=5) as reply:  # noqa: S310 - loopback
            return json.load(reply)["panels"]  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


def sim_process(config: Path, *args: str) -> Iterator[SimProcess]:
    """A generator for fixtures: `yield from sim_process(path)`."""
    sim = SimProcess(config, *args).start()
    try:
        yield sim
    finally:
        sim.stop()
