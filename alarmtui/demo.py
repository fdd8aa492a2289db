"""`alarmtui --demo`: every simulated cloud, with a little life in them.

The dashboard's `--demo` runs the clouds in a child process of their own
(`DemoClouds`: `python -m alarmtui.demo`), started before the dashboard imports
anything, so they come up on another core while the first frame is drawn, and
their work never shows in the dashboard's own CPU. Headless `--demo` commands,
`listen --demo` and tests host them in this process (`DemoEnvironment`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # loaded where used: `DemoClouds` starts the clouds' process before anything heavy is imported
    import asyncio

    from alarmtui.domain import Scenario
    from alarmtui.settings import Settings
    from alarmtui.simulators.base import SimCloud
    from alarmtui.simulators.host import ThreadedSimHost
    from alarmtui.simulators.panel import SimPanel

log = logging.getLogger(__name__)

DEMO_TIMING = {"exit_delay": 15.0, "entry_delay": 10.0, "photo_delay": 2.0}
PRIVATE_DIRS = ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")
"""Where anything might write: pointed at the demo's own folder while it runs, so the user's are untouched."""
READY_TIMEOUT = 20.0
"""Seconds `DemoClouds` waits for its child to say where the clouds listen."""


def __getattr__(name: str) -> Any:
    if name == "FAST_TIMING":  # delays short enough for a test to watch a whole arm/alarm cycle in a second or two
        from alarmtui.simulators.base import FAST_PANEL_TIMING

        return FAST_PANEL_TIMING
    raise AttributeError(name)


def fast_wanted(fast: bool = False) -> bool:
    return fast or os.environ.get("ALARMTUI_DEMO_FAST") == "1"  # `--demo` under test


def demo_clouds(kinds: Iterable[str] | None = None, *, otp: bool = False, fast: bool = False) -> list[SimCloud]:
    """The demo's clouds: seeded history, the demo's delays (or fast ones), Securitas' demo SMS."""
    from alarmtui.simulators.host import CLOUD_CLASSES, create_cloud

    clouds = [create_cloud(kind, **_cloud_options(kind, otp)) for kind in (kinds or tuple(CLOUD_CLASSES))]
    for cloud in clouds:
        for panel in cloud.panels:
            panel.seed_history()
            for name, value in DEMO_TIMING.items():
                setattr(panel, name, value)
        if fast:
            cloud.use_fast_timing()
    return clouds


def demo_tables(tables: list[dict[str, Any]], *, fast: bool = False) -> list[dict[str, Any]]:
    """The providers' config tables; under test they poll fast."""
    if fast:
        for table in tables:
            table["poll_interval"] = 10.0 if table["kind"] == "verisure" else 2.0
    return tables


FOLDER_PREFIX = "alarmtui-demo-"


def _private_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))


class _PrivateDirs:
    """The XDG folders pointed into the demo's own folder while it runs (and put back after)."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def point(self, folder: Path) -> None:
        for name in PRIVATE_DIRS:
            self._saved[name] = os.environ.get(name)
            os.environ[name] = str(folder / name.removeprefix("XDG_").lower())

    def restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()


@dataclass
class DemoEnvironment:
    """The simulated clouds in this process (a thread of their own) and the settings that point at them."""

    host: ThreadedSimHost
    settings: Settings
    scenarios: list[Scenario] = field(default_factory=list)
    _life: Any = None
    folder: Path | None = None
    """The demo's own temporary folder (journal, device identities), removed on stop; never the user's state."""
    _private: _PrivateDirs = field(default_factory=_PrivateDirs)

    @classmethod
    def start(
        cls,
        kinds: Iterable[str] | None = None,
        *,
        tls: bool = False,
        life: bool = True,
        fast: bool = False,
        settings_overrides: dict[str, Any] | None = None,
        otp: bool = False,
        journal: bool = False,
        private: bool = False,
        wait: bool = True,
    ) -> DemoEnvironment:
        """Simulated clouds on loopback and the settings that point at them.

        `otp=True`: Securitas wants this device validated by SMS at launch (the demo itself
        trusts it and offers the two-factor story as a palette scenario). `journal=True`: the
        settings name a journal in the demo's own temporary folder. `private=True`: the XDG
        folders point into that folder while the demo runs, so nothing lands in the user's
        state or config folders. `wait=False`: the sockets are bound (the URLs are known) and
        the servers come up in their thread while the caller goes on — clients that connect
        early wait in the listen queue.
        """
        from alarmtui.settings import Settings
        from alarmtui.simulators.host import ThreadedSimHost

        fast = fast_wanted(fast)
        clouds = demo_clouds(kinds, otp=otp, fast=fast)
        host = ThreadedSimHost(clouds, tls=tls, control=True)
        host.start(wait=wait)
        tables = demo_tables(host.provider_tables(), fast=fast)
        overrides = dict(settings_overrides or {})
        folder = _private_folder() if journal or private else None
        if journal:
            assert folder is not None
            overrides.setdefault("journal", folder / "journal.sqlite3")
        settings = Settings.model_validate({"providers": tables, **overrides})
        env = cls(host=host, settings=settings, folder=folder)
        if private:
            assert folder is not None
            env._private.point(folder)

        def run(kind: str, op: str) -> None:
            host.submit(_run, host.host.clouds[kind], op)

        env.scenarios = build_scenarios(((k, c.panels[0].name) for k, c in host.host.clouds.items()), run)
        if life:
            env._life = DemoLife([cloud.panels[0] for cloud in clouds])
            host.submit(env._life.start)
        return env

    def engine(self) -> Any:
        """The engine a demo dashboard runs: the pollers and the journal (in the demo's folder), no notifications."""
        from alarmtui.engine.inprocess import engine_for

        return engine_for(self.settings, journal=self.settings.journal is not None, notify=False)

    @property
    def control_url(self) -> str:
        """The scenario control API of these simulators (`simulators/control.py`)."""
        self.host.wait_ready()
        assert self.host.control_url is not None
        return self.host.control_url

    def scenario(self, cloud: str, op: str, **args: Any) -> dict[str, Any]:
        """Run one scenario through the control API (from a thread that is not the simulators')."""
        from alarmtui.simulators.control import run_scenario_sync

        return run_scenario_sync(self.control_url, cloud, op, **args)

    def stop(self) -> None:
        self.host.stop()
        self._private.restore()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> DemoEnvironment:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class DemoError(Exception):
    """The demo's simulated clouds did not start (the reason is in the message)."""


class DemoClouds:
    """`alarmtui --demo`'s clouds in a child process: spawned first, read when the dashboard needs them.

    The child (`python -m alarmtui.demo`) prints one JSON line — the providers' tables, the
    control API's URL and each cloud's main panel — once it listens, and ends when its stdin
    closes (so it never outlives the dashboard, even one that was killed).
    """

    def __init__(self, *, life: bool = True) -> None:
        self.folder = _private_folder()
        self._private = _PrivateDirs()
        self._private.point(self.folder)  # the dashboard's state files land here; the child inherits it
        self.log_path = self.folder / "simulators.log"
        command = [sys.executable, "-m", "alarmtui.demo", "--folder", str(self.folder), *(["--life"] if life else [])]
        # The clouds only serve, on loopback, in plain http: they trust no CA. (aiohttp builds its client TLS
        # contexts when imported, loading the system's CA bundle: ~80 ms of the clouds' start.)
        env = {**os.environ, "SSL_CERT_FILE": os.devnull, "SSL_CERT_DIR": os.devnull}
        with open(self.log_path, "wb") as log_file:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file, start_new_session=True, env=env
            )
        self.control_url = ""
        self.clouds: list[tuple[str, str]] = []

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> list[dict[str, Any]]:
        """The providers' config tables, once the child listens; `DemoError` if it cannot start."""
        assert self.process.stdout is not None
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        if not line or not line[0]:
            self.stop(keep_log=True)
            tail = self.log_path.read_text(errors="replace")[-1500:].strip() if self.log_path.exists() else ""
            raise DemoError(f"the simulated clouds did not start{': ' + tail if tail else ''} (their log: {self.log_path})")
        ready = json.loads(line[0])
        self.control_url = ready["control_url"]
        self.clouds = [(kind, panel) for kind, panel in ready["clouds"]]
        return demo_tables(ready["providers"], fast=fast_wanted())

    def settings(self, timeout: float = READY_TIMEOUT) -> Settings:
        """The dashboard's settings: the clouds' providers and a journal in the demo's folder."""
        from alarmtui.settings import Settings

        tables = self.wait_ready(timeout)
        return Settings.model_validate({"providers": tables, "journal": self.folder / "journal.sqlite3"})

    @property
    def scenarios(self) -> list[Scenario]:
        """The palette's scenarios, each one POST to the child's control API (in a thread: the palette never waits)."""

        def post(kind: str, op: str) -> None:
            from alarmtui.simulators.control import ScenarioError, run_scenario_sync  # (aiohttp: not before it is used)

            try:
                run_scenario_sync(self.control_url, kind, op)
            except (ScenarioError, OSError) as exc:  # an offline panel simply misses the fun
                log.info("demo scenario %s on %s: %s", op, kind, exc)

        def run(kind: str, op: str) -> None:
            threading.Thread(target=post, args=(kind, op), daemon=True).start()

        return build_scenarios(self.clouds, run)

    def stop(self, *, keep_log: bool = False) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                assert self.process.stdin is not None
                self.process.stdin.close()  # the child's cue to stop
            try:
                self.process.wait(2.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(2.0)
        self._private.restore()
        if not keep_log:
            shutil.rmtree(self.folder, ignore_errors=True)


async def serve_clouds(life: bool, folder: Path | None = None) -> None:
    """The child of `DemoClouds`: serve the demo's clouds until stdin closes, then remove the demo's `folder`
    (the dashboard removes it too when it ends well; this covers one that was killed or lost its terminal)."""
    import asyncio

    from alarmtui.simulators.host import SimHost

    clouds = demo_clouds(fast=fast_wanted())
    host = SimHost(clouds, control=True)
    await host.start()
    happening = DemoLife([cloud.panels[0] for cloud in clouds]) if life else None
    if happening is not None:
        happening.start()
    ready = {
        "providers": host.provider_tables(),
        "control_url": host.control_url,
        "clouds": [[kind, cloud.panels[0].name] for kind, cloud in host.clouds.items()],
    }
    sys.stdout.write(json.dumps(ready, default=str) + "\n")
    sys.stdout.flush()
    if "mios" in host.clouds:  # its auth key (~0.1 s) is made now, while the dashboard builds its engine
        from alarmtui.simulators.mios.cloud import signing_key

        signing_key()
    try:
        await asyncio.to_thread(sys.stdin.buffer.read)  # until the dashboard closes it, or dies
    finally:
        if happening is not None:
            happening.stop()
        await host.stop()
        if folder is not None and folder.name.startswith(FOLDER_PREFIX):
            shutil.rmtree(folder, ignore_errors=True)


def _cloud_options(kind: str, otp: bool) -> dict[str, Any]:
    if kind == "securitas":
        # With `otp`, a new device must be validated by SMS; the demo "sends" the code in the reply's
        # message, so the verification dialog shows it.
        return {"require_otp": otp, "demo_sms": True, "photo_cooldown": 20.0}
    if kind == "mypages":
        return {"mfa": False}  # a trusted device: one verification dialog (Securitas') is enough for a demo
    return {}


# ---------------------------------------------------------------------- scenarios
# Every palette scenario is one operation of the control API (`simulators/control.py`): the
# palette, tests and `curl` drive the same thing, in this process or in the demo's own.


def _run(cloud: SimCloud, op: str, **args: Any) -> None:
    from alarmtui.simulators.control import ScenarioError, apply_scenario

    try:
        apply_scenario(cloud, op, args)
    except ScenarioError as exc:  # an offline panel simply misses the fun
        log.info("demo scenario %s on %s: %s", op, cloud.kind, exc.message)


SCENARIOS: list[tuple[str, str, str]] = [
    ("Intrusion", "arm if needed and trip a motion detector", "intrusion"),
    ("Entry delay", "someone comes in: the entry delay runs, then the alarm unless disarmed", "entry_delay"),
    ("Open/close front door", "toggle the first door contact", "toggle_door"),
    ("Power cut / restore", "toggle the mains power trouble", "toggle_mains"),
    ("Low battery", "a detector reports a low battery", "low_battery"),
    ("Panel offline / online", "take the panel off the cloud, or bring it back", "toggle_outage"),
    ("Check-in gap start / end", "a routine gap in the panel's check-ins: not an outage", "toggle_checkin_gap"),
    ("Expire sessions", "the cloud forgets every login; the client must log in again", "expire_sessions"),
]
"""(title, help, control operation) for every cloud's main panel."""
CLOUD_SCENARIOS: dict[str, list[tuple[str, str, str]]] = {
    "securitas": [
        (
            "Two-factor: forget this device",
            "the cloud no longer trusts this device: the SMS dialog asks for a code",
            "untrust_device",
        )
    ],
}


def build_scenarios(clouds: Iterable[tuple[str, str]], run: Callable[[str, str], None]) -> list[Scenario]:
    """The palette's scenarios for (kind, main panel's name) clouds; `run(kind, op)` carries one out and returns at once."""
    from alarmtui.domain import Scenario

    scenarios: list[Scenario] = []
    for kind, panel_name in clouds:
        for title, help_text, op in SCENARIOS:
            scenarios.append(
                Scenario(
                    title=f"Demo: {title} ({kind} · {panel_name})", help=help_text, callback=functools.partial(run, kind, op)
                )
            )
        for title, help_text, op in CLOUD_SCENARIOS.get(kind, []):
            scenarios.append(Scenario(title=f"Demo: {title} ({kind})", help=help_text, callback=functools.partial(run, kind, op)))
    return scenarios


# ---------------------------------------------------------------------- life


class DemoLife:
    """Small things happening in the simulated houses: doors, batteries, someone arming."""

    def __init__(self, panels: list[SimPanel], seed: int = 7) -> None:
        import random

        self.panels = panels
        self.rng = random.Random(seed)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """On the simulators' loop: begin (the demo submits this before the servers are up)."""
        import asyncio

        self.task = asyncio.get_running_loop().create_task(self.run())

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def run(self) -> None:
        import asyncio

        from alarmtui.simulators.panel import SimError

        tick = 0
        while True:
            await asyncio.sleep(self.rng.uniform(8, 20))
            tick += 1
            panel = self.rng.choice(self.panels)
            try:
                self.step(panel, tick)
            except SimError as exc:  # offline panels simply miss the fun
                log.debug("demo life step skipped: %s", exc.message)

    def step(self, panel: SimPanel, tick: int) -> None:
        from alarmtui.simulators.control import first_zone

        if tick % 9 == 0:
            self._evening_arm(panel)
        elif tick % 13 == 0:
            panel.raise_trouble("low_battery", first_zone(panel, "motion", "camera"))
        else:
            contacts = [z for z in panel.zones.values() if z.kind == "contact"]
            if contacts:
                zone = self.rng.choice(contacts)
                panel.open_zone(zone.id, not zone.open)

    def _evening_arm(self, panel: SimPanel) -> None:
        """Someone arms one partition for the night (closing its doors first), or disarms it in the morning."""
        from alarmtui.simulators.panel import Mode, Phase

        part = self.rng.choice(list(panel.partitions.values()))
        if part.phase is Phase.DISARMED:
            for zone in panel.zones_of(part.id):
                if zone.open:
                    panel.close_zone(zone.id)
            panel.arm(
                Mode.NIGHT if Mode.NIGHT in {m for z in panel.zones.values() for m in z.modes} else Mode.HOME,
                [part.id],
                user="Luis",
                source="KEYPAD",
            )
        elif part.phase is not Phase.ALARM:
            panel.disarm([part.id], user="Ana", source="KEYPAD")


def _child_main(argv: list[str]) -> None:
    import argparse
    import asyncio

    parser = argparse.ArgumentParser(prog="python -m alarmtui.demo", description="the `--demo` dashboard's clouds")
    parser.add_argument("--life", action="store_true")
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_clouds(args.life, args.folder))


if __name__ == "__main__":  # the child of `DemoClouds`
    _child_main(sys.argv[1:])
