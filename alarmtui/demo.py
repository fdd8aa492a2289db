"""`alarmtui --demo`: all three simulated clouds in-process, with a little life in them."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alarmtui.domain import Scenario
from alarmtui.settings import Settings
from alarmtui.simulators.base import FAST_PANEL_TIMING, SimCloud
from alarmtui.simulators.control import ScenarioError, apply_scenario, run_scenario_sync
from alarmtui.simulators.host import CLOUD_CLASSES, ThreadedSimHost, create_cloud
from alarmtui.simulators.panel import Mode, Phase, SimError, SimPanel

log = logging.getLogger(__name__)

# Delays short enough for tests to watch a whole arm/alarm cycle in a second or two.
FAST_TIMING = FAST_PANEL_TIMING
DEMO_TIMING = {"exit_delay": 15.0, "entry_delay": 10.0, "photo_delay": 2.0}
PRIVATE_DIRS = ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")
"""Where anything might write: pointed at the demo's own folder while it runs, so the user's are untouched."""


@dataclass
class DemoEnvironment:
    host: ThreadedSimHost
    settings: Settings
    scenarios: list[Scenario] = field(default_factory=list)
    _life: Any = None
    folder: Path | None = None
    """The demo's own temporary folder (journal, device identities), removed on stop; never the user's state."""
    _saved_environ: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        kinds: Iterable[str] = tuple(CLOUD_CLASSES),
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
        settings name a journal in the demo's own temporary folder. `private=True` (the
        dashboard's `--demo`): the XDG folders point into that folder while the demo runs, so
        nothing lands in the user's state or config folders. `wait=False`: the sockets are bound
        (the URLs are known) and the servers come up in their thread while the caller goes on —
        clients that connect early wait in the listen queue.
        """
        fast = fast or os.environ.get("ALARMTUI_DEMO_FAST") == "1"  # `--demo` under test
        clouds = [create_cloud(kind, **_cloud_options(kind, otp)) for kind in kinds]
        for cloud in clouds:
            for panel in cloud.panels:
                panel.seed_history()
                for name, value in DEMO_TIMING.items():
                    setattr(panel, name, value)
            if fast:
                cloud.use_fast_timing()
        host = ThreadedSimHost(clouds, tls=tls, control=True)
        host.start(wait=wait)
        tables = host.provider_tables()
        if fast:
            for table in tables:
                table["poll_interval"] = 10.0 if table["kind"] == "verisure" else 2.0
                if table["kind"] == "securitas":
                    table["request_gap"] = 0.02
        overrides = dict(settings_overrides or {})
        folder = None
        if journal or private:
            folder = Path(tempfile.mkdtemp(prefix="alarmtui-demo-"))
        if journal:
            assert folder is not None
            overrides.setdefault("journal", folder / "journal.sqlite3")
        settings = Settings.model_validate({"providers": tables, **overrides})
        env = cls(host=host, settings=settings, folder=folder)
        if private:
            env._point_private_dirs()
        env.scenarios = build_scenarios(host)
        if life:
            env._life = DemoLife([cloud.panels[0] for cloud in clouds])
            host.submit(env._life.start)
        return env

    def _point_private_dirs(self) -> None:
        assert self.folder is not None
        for name in PRIVATE_DIRS:
            self._saved_environ[name] = os.environ.get(name)
            target = self.folder / name.removeprefix("XDG_").lower()
            os.environ[name] = str(target)

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
        return run_scenario_sync(self.control_url, cloud, op, **args)

    def stop(self) -> None:
        self.host.stop()
        for name, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environ.clear()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> DemoEnvironment:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _cloud_options(kind: str, otp: bool) -> dict[str, Any]:
    if kind == "securitas":
        # With `otp`, a new device must be validated by SMS; the demo "sends" the code in the reply's
        # message, so the verification dialog shows it.
        return {"require_otp": otp, "demo_sms": True, "photo_cooldown": 20.0}
    if kind == "mypages":
        return {"mfa": False}  # a trusted device: one verification dialog (Securitas') is enough for a demo
    return {}


# ---------------------------------------------------------------------- scenarios
# Every palette scenario is an operation of the control API (`simulators/control.py`),
# carried out on the simulators' loop: the palette, tests and `curl` drive the same thing.


def _run(cloud: SimCloud, op: str, **args: Any) -> None:
    try:
        apply_scenario(cloud, op, args)
    except ScenarioError as exc:  # an offline panel simply misses the fun
        log.info("demo scenario %s on %s: %s", op, cloud.kind, exc.message)


def _first_zone(panel: SimPanel, *kinds: str) -> str:
    for zone in panel.zones.values():
        if zone.kind in kinds:
            return zone.id
    return next(iter(panel.zones))


def intrude(panel: SimPanel) -> None:
    """Arm the first partition if needed, then trip a motion or camera zone in it."""
    part = next(iter(panel.partitions.values()))
    zone = next((z for z in panel.zones_of(part.id) if z.kind in ("motion", "camera") and Mode.AWAY in z.modes), None)
    panel.alarm_partition(part.id, zone.id if zone else _first_zone(panel, "motion", "camera", "contact"))


def _intrusion(cloud: SimCloud) -> None:
    panel = cloud.panels[0]
    part = next(iter(panel.partitions.values()))
    zone = next((z for z in panel.zones_of(part.id) if z.kind in ("motion", "camera") and Mode.AWAY in z.modes), None)
    _run(cloud, "alarm_partition", partition=part.id, zone=zone.id if zone else None)


def _toggle_door(cloud: SimCloud) -> None:
    panel = cloud.panels[0]
    zone = panel.zones[_first_zone(panel, "contact")]
    _run(cloud, "close_door" if zone.open else "open_door", zone=zone.id)


def _toggle_mains(cloud: SimCloud) -> None:
    _run(cloud, "cut_mains" if cloud.panels[0].power_ok else "restore_mains")


def _toggle_outage(cloud: SimCloud) -> None:
    _run(cloud, "outage_end" if cloud.panels[0].faults.offline else "outage_start")


def _toggle_checkin_gap(cloud: SimCloud) -> None:
    _run(cloud, "checkin_gap_end" if cloud.panels[0].faults.checkin_gap else "checkin_gap_start")


SCENARIOS: list[tuple[str, str, Callable[[SimCloud], None]]] = [
    ("Intrusion", "arm if needed and trip a motion detector", _intrusion),
    ("Entry delay", "someone comes in: the entry delay runs, then the alarm unless disarmed", lambda c: _run(c, "entry_delay")),
    ("Open/close front door", "toggle the first door contact", _toggle_door),
    ("Power cut / restore", "toggle the mains power trouble", _toggle_mains),
    ("Low battery", "a detector reports a low battery", lambda c: _run(c, "low_battery")),
    ("Panel offline / online", "take the panel off the cloud, or bring it back", _toggle_outage),
    ("Check-in gap start / end", "a routine gap in the panel's check-ins: not an outage", _toggle_checkin_gap),
    ("Expire sessions", "the cloud forgets every login; the client must log in again", lambda c: _run(c, "expire_sessions")),
]
CLOUD_SCENARIOS: dict[str, list[tuple[str, str, str]]] = {
    "securitas": [
        (
            "Two-factor: forget this device",
            "the cloud no longer trusts this device: the SMS dialog asks for a code",
            "untrust_device",
        )
    ],
}


def build_scenarios(host: ThreadedSimHost) -> list[Scenario]:
    scenarios: list[Scenario] = []
    for kind, cloud in host.host.clouds.items():
        panel = cloud.panels[0]
        for title, help_text, action in SCENARIOS:
            scenarios.append(
                Scenario(
                    title=f"Demo: {title} ({kind} · {panel.name})",
                    help=help_text,
                    callback=functools.partial(host.submit, action, cloud),
                )
            )
        for title, help_text, op in CLOUD_SCENARIOS.get(kind, []):
            scenarios.append(
                Scenario(
                    title=f"Demo: {title} ({kind})", help=help_text, callback=functools.partial(host.submit, _run, cloud, op)
                )
            )
    return scenarios


# ---------------------------------------------------------------------- life


class DemoLife:
    """Small things happening in the simulated houses: doors, batteries, someone arming."""

    def __init__(self, panels: list[SimPanel], seed: int = 7) -> None:
        self.panels = panels
        self.rng = random.Random(seed)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """On the simulators' loop: begin (the demo submits this before the servers are up)."""
        self.task = asyncio.get_running_loop().create_task(self.run())

    async def run(self) -> None:
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
        if tick % 9 == 0:
            self._evening_arm(panel)
        elif tick % 13 == 0:
            panel.raise_trouble("low_battery", _first_zone(panel, "motion", "camera"))
        else:
            contacts = [z for z in panel.zones.values() if z.kind == "contact"]
            if contacts:
                zone = self.rng.choice(contacts)
                panel.open_zone(zone.id, not zone.open)

    def _evening_arm(self, panel: SimPanel) -> None:
        """Someone arms one partition for the night (closing its doors first), or disarms it in the morning."""
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
