"""The dashboard's start: the first frame before the engine, and `--demo`'s clouds in a process of their own."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from alarmtui.demo import DemoClouds, DemoEnvironment, DemoError
from alarmtui.domain.updates import LinkState
from alarmtui.providers.http import tls_context
from alarmtui.ui import app as app_module
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


def _answered(app: AlarmApp) -> set[str]:
    return {
        name for name, view in app.views.items() if view.snapshot is not None or view.status.state is not LinkState.CONNECTING
    }


def _started_app(env: DemoEnvironment) -> AlarmApp:
    return create_app(None, starting=Starting("the simulated clouds", lambda: Started(env.settings, env.engine())))


async def test_the_dashboard_appears_whole_once_every_provider_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its panels are drawn once, with every provider's first answer, not once per arrival."""
    monkeypatch.setattr(app_module, "START_WINDOW", 30.0)  # the answers end the wait here, even on a loaded machine
    env = DemoEnvironment.start(kinds=("visonic", "verisure"), life=False, fast=True)
    env.host.cloud("visonic").faults.add("auth", delay=1.5, forward=True)  # powermaster answers last
    app = _started_app(env)
    seen_covered: list[str] = []
    with env:
        async with app.run_test(size=(120, 40)) as pilot:

            def dashboard_or_waiting() -> bool:
                if isinstance(app.screen, StartingScreen) and app.ready:
                    seen_covered.extend(str(line.render()) for line in app.screen.query("#starting"))  # once composed
                return app.ready and app.screen is app.main

            await until_pilot(pilot, dashboard_or_waiting, timeout=20, what="the dashboard")
            assert _answered(app) == {"casa", "powermaster"}  # uncovered only with every first answer in
            assert any("connecting to powermaster" in words and "casa" not in words for words in seen_covered)
            assert app.main.partitions.option_count >= 2  # both providers' partitions drawn on that first frame


async def test_a_provider_that_does_not_answer_holds_the_dashboard_back_one_second_at_most(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app_module, "START_WINDOW", 0.3)
    env = DemoEnvironment.start(kinds=("visonic", "verisure"), life=False, fast=True)
    env.host.cloud("visonic").faults.add("auth", delay=30, forward=True)  # a cloud that hangs
    app = _started_app(env)
    with env:
        async with app.run_test(size=(120, 40)) as pilot:
            await until_pilot(pilot, lambda: app.ready and app.screen is app.main, timeout=20, what="the dashboard")
            assert app.views["powermaster"].status.state is LinkState.CONNECTING  # shown as connecting, there
            await until_pilot(pilot, lambda: app.views["casa"].snapshot is not None, what="casa's data")


async def test_a_palette_opened_while_starting_stays_until_it_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The start window ending does not take the user's palette away: the dashboard opens when it closes."""
    from textual.command import CommandPalette

    monkeypatch.setattr(app_module, "START_WINDOW", 30.0)
    env = DemoEnvironment.start(kinds=("visonic",), life=False, fast=True)
    env.host.cloud("visonic").faults.add("auth", delay=3, forward=True)  # its answer ends the window, palette open
    app = _started_app(env)
    with env:
        async with app.run_test(size=(120, 40)) as pilot:
            await until_pilot(pilot, lambda: app.ready and isinstance(app.screen, StartingScreen), what="the cover")
            await pilot.press("ctrl+p")
            await until_pilot(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
            await until_pilot(pilot, lambda: app._start_window_over, what="the window over")
            assert isinstance(app.screen, CommandPalette) and isinstance(app.screen_stack[-2], StartingScreen)
            await pilot.press("escape")
            await until_pilot(pilot, lambda: app.screen is app.main, what="the dashboard")


async def test_an_alarm_at_start_is_shown_at_once_over_the_dashboard(monkeypatch: pytest.MonkeyPatch) -> None:
    """The alarm banner does not wait for the slowest provider, and never sits over the starting screen."""
    from alarmtui.simulators.control import apply_scenario
    from alarmtui.ui.screens.alarm import AlarmScreen

    monkeypatch.setattr(app_module, "START_WINDOW", 30.0)  # only the alarm can end the wait here
    env = DemoEnvironment.start(kinds=("visonic", "verisure"), life=False, fast=True)
    env.host.cloud("visonic").faults.add("auth", delay=30, forward=True)
    env.host.call(apply_scenario, env.host.cloud("verisure"), "alarm_partition")
    app = _started_app(env)
    with env:
        async with app.run_test(size=(120, 40)) as pilot:
            await until_pilot(pilot, lambda: isinstance(app.screen, AlarmScreen), timeout=20, what="the alarm banner")
            assert app.screen_stack[-2] is app.main  # over the dashboard, not over a starting screen
            assert app.views["powermaster"].status.state is LinkState.CONNECTING


async def test_quitting_just_as_the_dashboard_is_built_ends_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    """`q` pressed as the engine is ready: the main screen's panels may never be mounted; nothing is drawn on them
    (it raised NoMatches, a traceback at the exit)."""
    original = AlarmApp._started

    def started_then_quit(self: AlarmApp, started: Started) -> None:
        original(self, started)
        self.exit()

    monkeypatch.setattr(AlarmApp, "_started", started_then_quit)
    env = DemoEnvironment.start(kinds=("visonic",), life=False, fast=True)
    app = _started_app(env)
    with env:
        async with app.run_test(size=(120, 40)) as pilot:
            await until_pilot(pilot, lambda: app.return_code is not None, what="the exit")
    assert app.return_code == 0


async def test_a_start_that_fails_ends_the_dashboard_with_its_reason() -> None:
    def build() -> Started:
        raise DemoError("the simulated clouds did not start: [b]port[/b] \x1b[2J in use")

    app = create_app(None, starting=Starting("the simulated clouds", build))
    async with app.run_test(size=(80, 24)) as pilot:
        await until_pilot(pilot, lambda: app.return_code is not None, what="the exit")
    assert app.return_code == 1
    assert app.ready is False  # nothing to close: no engine was ever built


async def test_demo_clouds_run_in_their_own_process_and_leave_nothing_behind(private_home: Path) -> None:
    from alarmtui.engine.inprocess import engine_for

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
    assert sorted(str(p.relative_to(private_home)) for p in private_home.rglob("*")) == []
    assert os.environ["XDG_STATE_HOME"] == str(private_home / "xdg_state_home")


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


def test_a_client_of_plain_http_urls_refuses_every_certificate(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CA bundle loaded for it (~40–80 ms at start), and an https URL it meets anyway fails closed."""
    import asyncio

    import httpx

    from alarmtui.providers import http
    from alarmtui.providers.http import RequestCounter, make_client
    from alarmtui.settings import VisonicConfig

    with DemoEnvironment.start(kinds=("visonic",), life=False, fast=True, tls=True) as env:
        secure = env.settings.providers[0]
        assert isinstance(secure, VisonicConfig) and secure.url.startswith("https://")
        plain = secure.model_copy(update={"url": secure.url.replace("https://", "http://"), "ca_file": None})

        async def fetch(config: VisonicConfig) -> int:
            async with make_client(config, RequestCounter()) as client:
                return (await client.get(f"{secure.url}/rest_api/version")).status_code

        assert asyncio.run(fetch(secure)) < 500  # the simulator's CA, as configured: served
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            asyncio.run(fetch(plain))  # the same https URL through a plain-http provider's client: refused

        def no_bundle(*args: object) -> None:
            raise AssertionError("a CA bundle was loaded")

        monkeypatch.setattr(http, "tls_context", no_bundle)
        asyncio.run(make_client(plain, RequestCounter()).aclose())  # built without one
        with pytest.raises(AssertionError, match="CA bundle"):
            make_client(secure, RequestCounter())  # an https provider's client loads its CAs


def test_collections_held_for_the_start_resume_when_the_dashboard_cannot_start(tmp_path: Path) -> None:
    from tests.helpers import cli

    bad = tmp_path / "alarmtui.toml"
    bad.write_text("[[providers]]\nkind = 'visonic'\n")  # no name, no URL: told in the shell
    result = cli("--config", str(bad))
    assert result.returncode != 0 and "providers" in result.stderr
    assert gc.isenabled()


def test_a_provider_with_any_https_url_keeps_its_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    """My Pages' second host counts: an http main URL with an https failover is not a plain-http provider."""
    import asyncio

    from alarmtui.providers import http
    from alarmtui.providers.http import RequestCounter, make_client
    from alarmtui.settings import MyPagesConfig

    loaded: list[object] = []
    real = http.tls_context
    monkeypatch.setattr(http, "tls_context", lambda *args: loaded.append(args) or real(*args))
    config = MyPagesConfig(
        name="villa", kind="mypages", url="http://127.0.0.1:9", failover_url="https://127.0.0.1:10", username="u", password="p"
    )
    asyncio.run(make_client(config, RequestCounter()).aclose())
    assert loaded == [(True, None)]


def test_the_starting_line_shows_provider_names_inert() -> None:
    app = create_app(None, starting=Starting("x", lambda: None))  # type: ignore[arg-type,return-value]
    app._unanswered = {"casa\x1b[2J\x1b]8;;http://x\x07home", "villa"}
    words = app._connecting_words()
    assert "\x1b" not in words and "\x07" not in words and words.startswith("connecting to casa")
