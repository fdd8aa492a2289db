"""`alarmtui --demo`: all three simulated clouds in-process, with a little life in them."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alarmtui.domain import Scenario
from alarmtui.settings import Settings
from alarmtui.simulators.host import CLOUD_CLASSES, ThreadedSimHost, create_cloud
from alarmtui.simulators.panel import Mode, Phase, SimError, SimPanel

log = logging.getLogger(__name__)

# Delays short enough for tests to watch a whole arm/alarm cycle in a second or two.
FAST_TIMING = {"exit_delay": 0.6, "entry_delay": 0.6, "photo_delay": 0.2}
DEMO_TIMING = {"exit_delay": 15.0, "entry_delay": 10.0, "photo_delay": 2.0}


@dataclass
class DemoEnvironment:
    host: ThreadedSimHost
    settings: Settings
    scenarios: list[Scenario] = field(default_factory=list)
    _life: Any = None
    folder: Path | None = None
    """The demo's own temporary folder (its journal), removed on stop; never the user's state."""

    @classmethod
    def start(
        cls,
        kinds: Iterable[str] = tuple(CLOUD_CLASSES),
        *,
        tls: bool = False,
        life: bool = True,
        fast: bool = False,
        settings_overrides: dict[str, Any] | None = None,
        otp: bool = True,
        journal: bool = False,
    ) -> DemoEnvironment:
        """`journal=True`: the settings name a journal in a temporary folder of the demo's own."""
        clouds = [create_cloud(kind, **_cloud_options(kind, otp)) for kind in kinds]
        timing = FAST_TIMING if fast else DEMO_TIMING
        for cloud in clouds:
            for panel in cloud.panels:
                panel.seed_history()
                for name, value in timing.items():
                    setattr(panel, name, value)
            if fast and hasattr(cloud, "step2_waits"):
                cloud.step2_waits = 1  # type: ignore[attr-defined]
        host = ThreadedSimHost(clouds, tls=tls).start()
        tables = host.provider_tables()
        if fast:
            for table in tables:
                table["poll_interval"] = 10.0 if table["kind"] == "verisure" else 2.0
                if table["kind"] == "securitas":
                    table["request_gap"] = 0.02
        overrides = dict(settings_overrides or {})
        folder = None
        if journal:
            folder = Path(tempfile.mkdtemp(prefix="alarmtui-demo-"))
            overrides.setdefault("journal", folder / "journal.sqlite3")
        settings = Settings.model_validate({"providers": tables, **overrides})
        env = cls(host=host, settings=settings, folder=folder)
        env.scenarios = build_scenarios(host)
        if life:
            env._life = host.call(_start_life, host)
        return env

    def engine(self) -> Any:
        """The engine a demo dashboard runs: the pollers and the journal (in the demo's folder), no notifications."""
        from alarmtui.engine.inprocess import engine_for

        return engine_for(self.settings, journal=self.settings.journal is not None, notify=False)

    def stop(self) -> None:
        self.host.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> DemoEnvironment:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _cloud_options(kind: str, otp: bool) -> dict[str, Any]:
    if kind == "securitas":
        # A new device must be validated by SMS; the demo "sends" the code in the reply's message,
        # so the verification dialog shows it. Headless demo runs (otp=False) skip the dialog.
        return {"require_otp": otp, "demo_sms": True, "photo_cooldown": 20.0}
    if kind == "mypages":
        return {"mfa": False}  # a trusted device: one verification dialog (Securitas') is enough for a demo
    return {}


# ---------------------------------------------------------------------- scenarios


def _first_zone(panel: SimPanel, *kinds: str) -> str:
    for zone in panel.zones.values():
        if zone.kind in kinds:
            return zone.id
    return next(iter(panel.zones))


def intrude(panel: SimPanel) -> None:
    """Arm the first partition if needed, then trip a motion or camera zone in it."""
    part = next(iter(panel.partitions.values()))
    if panel.faults.offline:
        return
    if part.phase in (Phase.DISARMED, Phase.EXIT_DELAY):
        try:
            panel.arm(Mode.AWAY, [part.id], user="Demo", instant=True, force=True, source="DEMO")
        except SimError as exc:
            log.info("demo intrusion could not arm: %s", exc.message)
            return
    zone = next((z for z in panel.zones_of(part.id) if z.kind in ("motion", "camera") and Mode.AWAY in z.modes), None)
    panel.trip_zone(zone.id if zone else _first_zone(panel, "motion", "camera", "contact"))


def toggle_door(panel: SimPanel) -> None:
    zone = panel.zones[_first_zone(panel, "contact")]
    panel.open_zone(zone.id, not zone.open)


def toggle_power(panel: SimPanel) -> None:
    if panel.power_ok:
        panel.raise_trouble("power_cut")
    else:
        panel.clear_trouble("power_cut")


def toggle_offline(panel: SimPanel) -> None:
    panel.set_offline(not panel.faults.offline)


def low_battery(panel: SimPanel) -> None:
    zone = _first_zone(panel, "motion", "camera")
    panel.raise_trouble("low_battery", zone)


def build_scenarios(host: ThreadedSimHost) -> list[Scenario]:
    scenarios: list[Scenario] = []
    actions = [
        ("Intrusion", "arm if needed and trip a motion detector", intrude),
        ("Open/close front door", "toggle the first door contact", toggle_door),
        ("Power cut / restore", "toggle the mains power trouble", toggle_power),
        ("Low battery", "a detector reports a low battery", low_battery),
        ("Panel offline / online", "take the panel off the cloud, or bring it back", toggle_offline),
    ]
    for kind, cloud in host.host.clouds.items():
        panel = cloud.panels[0]
        for title, help_text, action in actions:
            scenarios.append(
                Scenario(
                    title=f"Demo: {title} ({kind} · {panel.name})",
                    help=help_text,
                    callback=functools.partial(host.submit, action, panel),
                )
            )
        scenarios.append(
            Scenario(
                title=f"Demo: Expire sessions ({kind})",
                help="the cloud forgets every login; the client must log in again",
                callback=functools.partial(host.submit, cloud.expire_sessions),
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
            low_battery(panel)
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
            panel.arm(Mode.NIGHT if Mode.NIGHT in {m for z in panel.zones.values() for m in z.modes} else Mode.HOME, [part.id], user="Luis", source="KEYPAD")
        elif part.phase is not Phase.ALARM:
            panel.disarm([part.id], user="Ana", source="KEYPAD")


def _start_life(host: ThreadedSimHost) -> DemoLife:
    life = DemoLife([cloud.panels[0] for cloud in host.host.clouds.values()])
    life.task = asyncio.get_running_loop().create_task(life.run())
    return life
