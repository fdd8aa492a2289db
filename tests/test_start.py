"""The dashboard's start: the first frame before the engine, and `--demo`'s clouds in a process of their own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from alarmtui.demo import PRIVATE_DIRS, DemoClouds, DemoEnvironment, DemoError
from alarmtui.domain.updates import LinkState
from alarmtui.providers.http import tls_context
from alarmtui.ui.app import AlarmApp, Started, Starting, create_app
from alarmtui.ui.screens.main import MainScreen
from alarmtui.ui.screens.starting import StartingScreen
from tests.helpers import REPO, child_env, until, until_pilot, until_sync


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] if Path(f"/proc/{pid}").exists() else "X"
    return status in ("Z", "X")  # a zombie has ended: only its parent's wait is missing


async def test_the_first_frame_comes_before_the_engine_then_the_dashboard_replaces_it() -> None:
    env = DemoEnvironment.start(kinds=("visonic",), life=False, fast=True)
    release = threading.Event()

    def build() -> Started:
        assert release.wait(30)  # held until the test has seen the first frame
        return Started(env.settings, env.engine(), scenarios=env.scenarios)

    app = create_app(None, starting=Starting("powermaster", build))
    with env:
        await _watch_the_start(app, release)


async def _watch_the_start(app: AlarmApp, release: threading.Event) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartingScreen)
        assert "starting: powermaster" in str(app.screen.query_one("#starting").render())
        assert not app.ready and app.palette_entries(app.screen) is not None  # the palette works meanwhile
        release.set()
        await until_pilot(pilot, lambda: isinstance(app.screen, MainScreen), what="the dashboard")
        await until_pilot(pilot, lambda: app.views["powermaster"].status.state is LinkState.ONLINE, what="online")
        assert app.screen_stack[-1] is app.main


async def test_a_start_that_fails_ends_the_dashboard_with_its_reason() -> None:
    def build() -> Started:
        raise DemoError("the simulated clouds did not start: [b]port[/b] \x1b[2J in use")

    app = create_app(None, starting=Starting("the simulated clouds", build))
    async with app.run_test(size=(80, 24)) as pilot:
        await until_pilot(pilot, lambda: app.return_code is not None, what="the exit")
    assert app.return_code == 1
    assert app.ready is False  # nothing to close: no engine was ever built


async def test_demo_clouds_run_in_their_own_process_and_leave_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alarmtui.engine.inprocess import engine_for

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in PRIVATE_DIRS:
        monkeypatch.setenv(name, str(home / name.lower()))
    clouds = DemoClouds(life=False)
    pid = clouds.process.pid
    folder = clouds.folder
    try:
        settings = clouds.settings()
        assert {p.kind for p in settings.providers} == {"verisure", "visonic", "mios", "securitas", "mypages"}
        assert settings.journal is not None and settings.journal.parent == folder
        engine = engine_for(settings, journal=True, notify=False)
        await engine.start()
        try:
            await until(
                lambda: all(p.status.state is LinkState.ONLINE and p.snapshot for p in engine.group),
                timeout=30,
                what="every cloud online",
            )
            assert pid != os.getpid() and str(clouds.process.args[2]) == "alarmtui.demo"
            # The palette's scenarios go through the child's control API: the door opens there.
            door = next(s for s in clouds.scenarios if s.title.startswith("Demo: Open/close front door (visonic"))
            door.callback()
            powermaster = next(p for p in engine.group if p.name == "powermaster")
            await until(lambda: any(z.open for z in powermaster.snapshot.zones), timeout=30, what="the door open")  # type: ignore[union-attr]
        finally:
            await engine.close()
    finally:
        clouds.stop()
    until_sync(lambda: _gone(pid), timeout=10, what="the clouds' process gone")
    assert not folder.exists()
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == []
    assert os.environ["XDG_STATE_HOME"] == str(home / "xdg_state_home")


def test_the_demo_clouds_end_with_a_dashboard_that_was_killed(tmp_path: Path) -> None:
    """Even a SIGKILLed dashboard leaves no simulators and no folder behind: the child ends when its stdin closes."""
    script = "from alarmtui.demo import DemoClouds\nc = DemoClouds(life=False)\nc.wait_ready()\nprint(c.process.pid, c.folder, flush=True)\ninput()\n"
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=child_env(), cwd=REPO
    )
    try:
        assert parent.stdout is not None
        pid, folder = parent.stdout.readline().split()
        child = int(pid)
        assert not _gone(child) and Path(folder).is_dir()
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        until_sync(lambda: _gone(child), timeout=10, what="the orphaned clouds to end")
        assert not Path(folder).exists()  # and the demo's folder with them
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_demo_whose_clouds_cannot_start_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")  # the child exits at once
    clouds = DemoClouds(life=False)
    started = time.monotonic()
    with pytest.raises(DemoError, match="did not start"):
        clouds.wait_ready(timeout=10)
    assert time.monotonic() - started < 9  # told when the child ended, not at the timeout
    clouds.stop()


def test_clients_share_one_tls_context_and_a_changed_ca_file_is_read_again(tmp_path: Path) -> None:
    import ssl

    assert tls_context(True) is tls_context(True)
    assert tls_context(False) is tls_context(False) and tls_context(False).verify_mode is ssl.CERT_NONE
    import trustme

    ca = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))
    first = tls_context(True, str(ca))
    assert tls_context(True, str(ca)) is first
    os.utime(ca, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))  # a sim restarted with a new CA
    assert tls_context(True, str(ca)) is not first
