"""The simulated alarm panel shared by every simulated cloud (its demo houses: `houses.py`).

Each cloud (Verisure `ws.do`, Securitas OWA, My Pages, Visonic REST, MiOS relay and
Vera LAN) is a thin protocol face over a `SimPanel`: partitions with exit and entry delays, zones (contacts,
motion detectors, camera PIRs), users with codes, troubles and an event log.
Time-driven transitions (exit delay over, entry delay expired) are computed
lazily on every read, so no background task is needed for correctness.

Scenario hooks (`open_zone`, `trip_zone`, `alarm_partition`, `start_entry_delay`,
`cut_mains`, `set_offline`, `set_checkin_gap`, ...) are plain methods; from outside
the simulator process they are reached through the loopback control API
(`simulators/control.py`), which tests, the demo's palette and users share. The
engine must only be touched from the event loop that serves it.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime


class SimError(Exception):
    """A panel-level refusal; `reason` is a stable machine word each cloud maps to its dialect."""

    def __init__(self, reason: str, message: str, zones: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.reason = reason  # not_ready, wrong_code, offline, busy, unknown_zone, conflict, unknown_partition
        self.message = message
        self.zones = tuple(zones)


class Mode(enum.StrEnum):
    AWAY = "away"
    HOME = "home"  # Verisure "day", Visonic "HOME", Vera "Stay"
    NIGHT = "night"


class Phase(enum.StrEnum):
    DISARMED = "disarmed"
    EXIT_DELAY = "exit_delay"
    ARMED = "armed"
    ENTRY_DELAY = "entry_delay"
    ALARM = "alarm"


@dataclass
class SimZone:
    id: str
    name: str
    kind: str = "contact"  # contact, motion, camera, smoke, keyfob, gsm, pgm, generic
    partitions: tuple[str, ...] = ("1",)
    modes: frozenset[Mode] = frozenset({Mode.AWAY, Mode.HOME, Mode.NIGHT})
    """Which arm modes watch this zone."""
    perimeter: bool = False
    """Watched by Verisure's separate perimeter (exterior) arming."""
    entry: bool = False
    """Opening it while armed starts the entry delay instead of an instant alarm."""
    open: bool = False
    alarm: bool = False
    """This zone caused an alarm that is still sounding (several zones can be in alarm at once)."""
    bypassed: bool = False
    battery_low: bool = False
    tamper: bool = False
    last_trip: float = 0.0  # epoch seconds
    model: str = ""

    @property
    def camera(self) -> bool:
        return self.kind == "camera"


@dataclass
class SimPartition:
    id: str
    name: str
    mode: Mode | None = None
    perimeter: bool = False
    annex: bool = False
    phase: Phase = Phase.DISARMED
    phase_until: float = 0.0  # monotonic
    alarm_zone: str | None = None
    """The zone of the latest alarm (kept after a disarm: the panel's alarm memory)."""
    alarm_zones: list[str] = field(default_factory=list)
    """Every zone in alarm now, in the order they tripped; cleared by disarm and arm."""
    alarm_memory: bool = False
    last_alarm: float = 0.0  # epoch
    last_user: str = ""
    failed_to_arm: bool = False

    @property
    def armed(self) -> bool:
        """Armed or further (an exit delay is not armed yet)."""
        return self.phase in (Phase.ARMED, Phase.ENTRY_DELAY, Phase.ALARM)


@dataclass(frozen=True)
class SimUser:
    id: str
    name: str
    code: str
    role: str = "user"  # master, user, installer


@dataclass
class SimTrouble:
    id: int
    kind: str  # low_battery, tamper, power_cut, comm_failure, jamming
    zone: str | None
    text: str
    since: float  # epoch


@dataclass(frozen=True)
class SimEvent:
    id: int
    time: float  # epoch seconds
    kind: str
    """arm, disarm, alarm, zone_open, zone_close, bypass, trouble, trouble_restore,
    power_cut, power_restore, photo, status_check, arm_failed, sos, offline, online."""
    text: str
    partition: str = ""
    zone: str = ""
    user: str = ""
    mode: str = ""
    """For arm events: away/home/night, plus "+perimeter" / "perimeter"."""
    photo_id: int = 0
    source: str = ""

    @property
    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.time, UTC)


@dataclass
class SimPhotoSet:
    id: int
    zone: str
    time: float
    jpegs: tuple[bytes, ...]


@dataclass
class PanelFaults:
    """Knobs for failures a test or the demo wants to provoke."""

    offline: bool = False
    busy_until: float = 0.0  # monotonic
    slow_commands: float = 0.0
    """Extra seconds before the panel answers a command (Verisure WAIT polls, Visonic 'start')."""
    fail_next_command: str | None = None
    """If set, the next command fails with this message."""
    checkin_gap: bool = False
    """A routine check-in gap: the panel is reachable but its cloud link reports a short gap
    (Visonic renders `connected: false` with `bba` online); not an outage."""


class SimPanel:
    """One simulated alarm panel (an installation)."""

    _ids = itertools.count(1)

    def __init__(
        self,
        name: str,
        partitions: Iterable[SimPartition],
        zones: Iterable[SimZone],
        users: Iterable[SimUser],
        *,
        serial: str = "",
        exit_delay: float = 30.0,
        entry_delay: float = 20.0,
        photo_delay: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.serial = serial or f"SIM{next(self._ids):06d}"
        self.partitions: dict[str, SimPartition] = {p.id: p for p in partitions}
        self.zones: dict[str, SimZone] = {z.id: z for z in zones}
        self.users: list[SimUser] = list(users)
        self.exit_delay = exit_delay
        self.entry_delay = entry_delay
        self.photo_delay = photo_delay
        self.clock = clock
        self.wall = wall
        self.faults = PanelFaults()
        self.troubles: list[SimTrouble] = []
        self.events: list[SimEvent] = []  # oldest first
        self.photos: dict[int, SimPhotoSet] = {}
        self.siren_on = False
        self.power_ok = True
        self._event_ids = itertools.count(1000)
        self._trouble_ids = itertools.count(1)
        self.version = 1
        """Bumped on every change (MiOS `dataversion`, long polls)."""
        self._changed: asyncio.Event | None = None
        self.serving = True
        """False while its host stops: long polls answer at once instead of holding the server's shutdown."""
        self.listeners: list[Callable[[SimPanel], None]] = []
        self.history_seeded = False
        self.commands_received = 0
        """Every command that reached the panel (tests assert on it: no double sends)."""
        self.command_log: list[str] = []

    # ------------------------------------------------------------------ time

    def advance(self) -> None:
        """Apply time-driven transitions. Every read calls this first."""
        now = self.clock()
        for part in self.partitions.values():
            if part.phase is Phase.EXIT_DELAY and now >= part.phase_until:
                part.phase = Phase.ARMED
                self._touch()
            elif part.phase is Phase.ENTRY_DELAY and now >= part.phase_until:
                self._sound_alarm(part, part.alarm_zone)

    def remaining(self, partition: SimPartition) -> float:
        if partition.phase in (Phase.EXIT_DELAY, Phase.ENTRY_DELAY):
            return max(0.0, partition.phase_until - self.clock())
        return 0.0

    # ------------------------------------------------------------------ change notification

    def _touch(self) -> None:
        self.version += 1
        if self._changed is not None:
            self._changed.set()
            self._changed = None
        for listener in list(self.listeners):
            listener(self)

    def stop_serving(self) -> None:
        """Its host is stopping: wake every long poll (it answers with what it has), and hold none from now."""
        self.serving = False
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_changed(self, since_version: int, timeout: float) -> bool:
        """Wait until `version` moves past `since_version` (or an exit/entry delay ends, or the host stops)."""
        deadline = self.clock() + timeout
        while True:
            self.advance()
            if self.version > since_version:
                return True
            left = deadline - self.clock()
            if left <= 0 or not self.serving:
                return False
            pending = [
                p.phase_until - self.clock() for p in self.partitions.values() if p.phase in (Phase.EXIT_DELAY, Phase.ENTRY_DELAY)
            ]
            wait = min([left, *[max(0.01, x) for x in pending]])
            if self._changed is None:
                self._changed = asyncio.Event()
            try:
                await asyncio.wait_for(self._changed.wait(), wait)
            except TimeoutError:
                pass

    # ------------------------------------------------------------------ reads

    def partition(self, partition_id: str) -> SimPartition:
        try:
            return self.partitions[str(partition_id)]
        except KeyError:
            raise SimError("unknown_partition", f"No partition {partition_id}") from None

    def zone(self, zone_id: str) -> SimZone:
        try:
            return self.zones[str(zone_id)]
        except KeyError:
            raise SimError("unknown_zone", f"No zone {zone_id}") from None

    def zones_of(self, partition_id: str) -> list[SimZone]:
        return [z for z in self.zones.values() if partition_id in z.partitions]

    def open_zones(self, partition_id: str, mode: Mode | None = None, perimeter: bool = False) -> list[SimZone]:
        """Zones that keep `partition_id` from arming in `mode` (all modes if None)."""
        result = []
        for zone in self.zones_of(partition_id):
            if not zone.open or zone.bypassed or zone.kind in ("keyfob", "gsm", "pgm", "smoke"):
                continue
            watched = (
                (mode is None and bool(zone.modes)) or (mode is not None and mode in zone.modes) or (perimeter and zone.perimeter)
            )
            if watched:
                result.append(zone)
        return result

    def ready(self, partition_id: str) -> bool:
        return not self.open_zones(partition_id)

    def user_by_code(self, code: str | None) -> SimUser | None:
        if not code:
            return None
        return next((u for u in self.users if u.code == code), None)

    def recent_events(self, limit: int = 100, since_id: int = 0) -> list[SimEvent]:
        """Newest first."""
        self.advance()
        picked = [e for e in reversed(self.events) if e.id > since_id]
        return picked[:limit]

    # ------------------------------------------------------------------ commands

    def _check_available(self) -> None:
        if self.faults.offline:
            raise SimError("offline", "Panel is not connected")
        if self.clock() < self.faults.busy_until:
            raise SimError("busy", "Panel is busy with a previous request")

    def _take_fault(self) -> None:
        message = self.faults.fail_next_command
        if message:
            self.faults.fail_next_command = None
            raise SimError("failed", message)

    def _note_command(self, text: str) -> None:
        self.commands_received += 1
        self.command_log.append(text)

    def _targets(self, partition_ids: Iterable[str] | None) -> list[SimPartition]:
        if partition_ids is None:
            return list(self.partitions.values())
        return [self.partition(pid) for pid in partition_ids]

    def arm(
        self,
        mode: Mode | None,
        partition_ids: Iterable[str] | None = None,
        *,
        user: str = "",
        perimeter: bool = False,
        instant: bool = False,
        force: bool = False,
        source: str = "",
    ) -> None:
        """Arm interior `mode` (None = leave interior as it is) and/or the perimeter."""
        self.advance()
        self._check_available()
        targets = self._targets(partition_ids)
        self._note_command(f"arm {mode} perimeter={perimeter} {[p.id for p in targets]}")
        self._take_fault()
        blocking = [z for p in targets for z in self.open_zones(p.id, mode, perimeter)] if not force else []
        if blocking:
            for part in targets:
                part.failed_to_arm = True
            names = ", ".join(dict.fromkeys(z.name for z in blocking))
            self.log("arm_failed", f"Arming failed: not ready ({names})", user=user, source=source)
            self._touch()
            raise SimError("not_ready", f"Not ready: {names} open", (z.id for z in blocking))
        for part in targets:
            part.failed_to_arm = False
            if mode is not None:
                part.mode = mode
            if perimeter:
                part.perimeter = True
            part.alarm_zone = None
            self._clear_alarm_zones(part)
            part.last_user = user
            if mode is not None and self.exit_delay > 0 and not instant:
                part.phase = Phase.EXIT_DELAY
                part.phase_until = self.clock() + self.exit_delay
            else:
                part.phase = Phase.ARMED
            label = "+".join(x for x in ((mode.value if mode else ""), ("perimeter" if part.perimeter else "")) if x)
            self.log("arm", f"Armed {label}", partition=part.id, user=user, mode=label, source=source)
        self._touch()

    def disarm(
        self, partition_ids: Iterable[str] | None = None, *, user: str = "", annex: bool = False, source: str = ""
    ) -> None:
        self.advance()
        self._check_available()
        targets = self._targets(partition_ids)
        self._note_command(f"disarm {[p.id for p in targets]}")
        self._take_fault()
        for part in targets:
            if annex:
                part.annex = False
                continue
            part.mode = None
            part.perimeter = False
            part.phase = Phase.DISARMED
            part.phase_until = 0.0
            part.failed_to_arm = False
            self._clear_alarm_zones(part)
            part.last_user = user
            self.log("disarm", "Disarmed", partition=part.id, user=user, source=source)
        if annex:
            self.log("disarm", "Annex disarmed", user=user, source=source, mode="annex")
        self.siren_on = False
        self._touch()

    def arm_annex(self, *, user: str = "", source: str = "") -> None:
        self._check_available()
        self._note_command("arm annex")
        self._take_fault()
        for part in self.partitions.values():
            part.annex = True
        self.log("arm", "Annex armed", user=user, mode="annex", source=source)
        self._touch()

    def bypass(self, zone_id: str, on: bool = True, *, user: str = "") -> None:
        self.advance()
        self._check_available()
        zone = self.zone(zone_id)
        self._note_command(f"bypass {zone_id} {on}")
        self._take_fault()
        zone.bypassed = on
        self.log("bypass", f"{zone.name} {'bypassed' if on else 'unbypassed'}", zone=zone.id, user=user)
        self._touch()

    def set_siren(self, on: bool, *, user: str = "") -> None:
        self._check_available()
        self._note_command(f"siren {on}")
        self.siren_on = on
        self.log("siren", f"Siren {'on' if on else 'off'}", user=user)
        self._touch()

    def panic(self, kind: str = "police", *, user: str = "", partition: str = "") -> None:
        self._check_available()
        self._note_command(f"panic {kind}")
        part = self.partition(partition) if partition else next(iter(self.partitions.values()))
        self._sound_alarm(part, None, text=f"Panic ({kind})")
        self.log("sos", f"Panic: {kind}", user=user, partition=part.id)

    def take_photos(self, zone_id: str, *, user: str = "") -> SimPhotoSet:
        """Three JPEGs from a camera zone, stamped with the time."""
        self.advance()
        self._check_available()
        zone = self.zone(zone_id)
        if not zone.camera:
            raise SimError("not_camera", f"{zone.name} has no camera")
        self._note_command(f"photo {zone_id}")
        self._take_fault()
        from alarmtui.simulators.photos import (
            render_scene,  # Pillow only when photos are asked for
        )

        stamp = self.wall()
        jpegs = tuple(
            render_scene(zone.name, stamp + i * 0.5, frame=i, seed=int(zone.id) if zone.id.isdigit() else 0) for i in range(3)
        )
        photo_set = SimPhotoSet(id=next(self._event_ids), zone=zone.id, time=stamp, jpegs=jpegs)
        self.photos[photo_set.id] = photo_set
        self.log("photo", f"Photo request: {zone.name}", zone=zone.id, user=user, photo_id=photo_set.id)
        self._touch()
        return photo_set

    # ------------------------------------------------------------------ scenario hooks

    def open_zone(self, zone_id: str, opened: bool = True) -> None:
        """A door opens (or closes); armed zones start the entry delay or alarm."""
        self.advance()
        zone = self.zone(zone_id)
        if zone.open == opened:
            return
        zone.open = opened
        if opened:
            zone.last_trip = self.wall()
            self.log("zone_open", f"{zone.name} opened", zone=zone.id)
            self._react_to_trip(zone)
        else:
            self.log("zone_close", f"{zone.name} closed", zone=zone.id)
        self._touch()

    def close_zone(self, zone_id: str) -> None:
        self.open_zone(zone_id, False)

    def trip_zone(self, zone_id: str) -> None:
        """An intruder: motion or opening in an armed zone sounds the alarm at once."""
        self.advance()
        zone = self.zone(zone_id)
        zone.last_trip = self.wall()
        self.log("zone_open", f"{zone.name} tripped", zone=zone.id)
        for part in self._watching(zone):
            self._sound_alarm(part, zone.id)
        self._touch()

    def _watching(self, zone: SimZone) -> list[SimPartition]:
        parts = []
        for pid in zone.partitions:
            part = self.partitions.get(pid)
            if part is None or zone.bypassed or part.phase is Phase.DISARMED:
                continue
            if part.phase is Phase.EXIT_DELAY:
                continue
            if (part.mode in zone.modes) or (part.perimeter and zone.perimeter):
                parts.append(part)
        return parts

    def _react_to_trip(self, zone: SimZone) -> None:
        for part in self._watching(zone):
            if part.phase is Phase.ARMED and zone.entry and self.entry_delay > 0:
                part.phase = Phase.ENTRY_DELAY
                part.phase_until = self.clock() + self.entry_delay
                part.alarm_zone = zone.id
                self.log("entry_delay", f"Entry delay: {zone.name}", partition=part.id, zone=zone.id)
            elif part.phase in (Phase.ARMED, Phase.ENTRY_DELAY):
                self._sound_alarm(part, zone.id)

    def _clear_alarm_zones(self, part: SimPartition) -> None:
        for zone_id in part.alarm_zones:
            zone = self.zones.get(zone_id)
            still = zone is not None and any(zone_id in p.alarm_zones for p in self.partitions.values() if p is not part)
            if zone is not None and not still:
                zone.alarm = False
        part.alarm_zones.clear()

    def _sound_alarm(self, part: SimPartition, zone_id: str | None, text: str = "") -> None:
        part.phase = Phase.ALARM
        part.alarm_zone = zone_id
        if zone_id is not None and zone_id in self.zones:
            self.zones[zone_id].alarm = True
            if zone_id not in part.alarm_zones:
                part.alarm_zones.append(zone_id)
        part.alarm_memory = True
        part.last_alarm = self.wall()
        self.siren_on = True
        zone_name = self.zones[zone_id].name if zone_id and zone_id in self.zones else ""
        self.log("alarm", text or f"Alarm: {zone_name or part.name}", partition=part.id, zone=zone_id or "")
        self._touch()

    def raise_trouble(self, kind: str, zone_id: str | None = None, text: str = "") -> SimTrouble:
        zone = self.zones.get(zone_id) if zone_id else None
        if zone is not None:
            if kind == "low_battery":
                zone.battery_low = True
            elif kind == "tamper":
                zone.tamper = True
        if kind == "power_cut":
            self.power_ok = False
        label = text or {
            "low_battery": "Low battery",
            "tamper": "Tamper",
            "power_cut": "Mains power lost",
            "comm_failure": "Communication failure",
            "jamming": "RF jamming",
        }.get(kind, kind)
        if zone is not None:
            label = f"{label}: {zone.name}"
        trouble = SimTrouble(next(self._trouble_ids), kind, zone.id if zone else None, label, self.wall())
        self.troubles.append(trouble)
        self.log("power_cut" if kind == "power_cut" else "trouble", label, zone=zone.id if zone else "")
        self._touch()
        return trouble

    def clear_trouble(self, kind: str, zone_id: str | None = None) -> None:
        before = len(self.troubles)
        self.troubles = [t for t in self.troubles if not (t.kind == kind and (zone_id is None or t.zone == zone_id))]
        zone = self.zones.get(zone_id) if zone_id else None
        if zone is not None:
            if kind == "low_battery":
                zone.battery_low = False
            elif kind == "tamper":
                zone.tamper = False
        if kind == "power_cut":
            self.power_ok = True
        if len(self.troubles) != before:
            self.log("power_restore" if kind == "power_cut" else "trouble_restore", f"Restored: {kind}", zone=zone_id or "")
            self._touch()

    def set_offline(self, offline: bool = True) -> None:
        if self.faults.offline != offline:
            self.faults.offline = offline
            self.log("offline" if offline else "online", "Panel offline" if offline else "Panel back online")
            self._touch()

    def set_busy(self, seconds: float) -> None:
        self.faults.busy_until = self.clock() + seconds

    def set_checkin_gap(self, gap: bool = True) -> None:
        """Start or end a routine check-in gap (reachable, but the cloud link says "not connected" for a while)."""
        if self.faults.checkin_gap != gap:
            self.faults.checkin_gap = gap
            self._touch()

    def cut_mains(self) -> None:
        if self.power_ok:
            self.raise_trouble("power_cut")

    def restore_mains(self) -> None:
        self.clear_trouble("power_cut")

    def _arm_for_scenario(self, part: SimPartition) -> None:
        """A scenario that needs an armed partition arms it at once (forced: open doors do not stop it)."""
        if part.phase in (Phase.DISARMED, Phase.EXIT_DELAY):
            self.arm(part.mode or Mode.AWAY, [part.id], user="Scenario", instant=True, force=True, source="SCENARIO")

    def alarm_partition(self, partition_id: str | None = None, zone_id: str | None = None) -> None:
        """The partition alarms (armed first if it was not), caused by `zone_id` when given.

        Calling it again with another zone adds that zone: several zones can be in alarm at once.
        """
        self.advance()
        part = self.partition(partition_id) if partition_id else next(iter(self.partitions.values()))
        zone = self.zone(zone_id) if zone_id else None
        self._check_scenario_reachable()
        self._arm_for_scenario(part)
        if zone is not None:
            zone.last_trip = self.wall()
        self._sound_alarm(part, zone.id if zone else None)

    def start_entry_delay(self, partition_id: str | None = None, zone_id: str | None = None) -> None:
        """Someone comes in through an entry zone: the entry delay runs, then the alarm sounds unless disarmed."""
        self.advance()
        part = self.partition(partition_id) if partition_id else next(iter(self.partitions.values()))
        found = self.zone(zone_id) if zone_id else next((z for z in self.zones_of(part.id) if z.entry), None)
        zone = found or next(iter(self.zones_of(part.id)), None)
        if zone is None:
            raise SimError("unknown_zone", f"{part.name} has no zone to enter through")
        self._check_scenario_reachable()
        self._arm_for_scenario(part)
        if part.phase is Phase.ALARM:
            return
        zone.last_trip = self.wall()
        part.phase = Phase.ENTRY_DELAY
        part.phase_until = self.clock() + self.entry_delay
        part.alarm_zone = zone.id
        self.log("entry_delay", f"Entry delay: {zone.name}", partition=part.id, zone=zone.id)
        self._touch()

    def _check_scenario_reachable(self) -> None:
        if self.faults.offline:
            raise SimError("offline", "Panel is not connected")

    # ------------------------------------------------------------------ log

    def seed_history(self) -> None:
        """A day of plausible history, ending disarmed, so a fresh demo has events to show (once)."""
        if self.history_seeded:
            return
        self.history_seeded = True
        now = self.wall()
        first = next(iter(self.partitions))
        history = [
            (now - 22 * 3600, "disarm", "Disarmed", "Ana", ""),
            (now - 21 * 3600, "arm", "Armed away", "Luis", "away"),
            (now - 12 * 3600, "disarm", "Disarmed", "Cleaner", ""),
            (now - 6 * 3600, "arm", "Armed home", "Ana", "home"),
            (now - 3600, "disarm", "Disarmed", "Ana", ""),
        ]
        seeded = [
            SimEvent(id=next(self._event_ids), time=when, kind=kind, text=text, partition=first, user=user, mode=mode)
            for when, kind, text, user, mode in history
        ]
        self.events[:0] = seeded

    def log(self, kind: str, text: str, **fields: object) -> SimEvent:
        event = SimEvent(id=next(self._event_ids), time=self.wall(), kind=kind, text=text, **fields)  # type: ignore[arg-type]
        self.events.append(event)
        if len(self.events) > 5000:
            del self.events[:1000]
        return event


__all__ = [
    "Mode",
    "PanelFaults",
    "Phase",
    "SimError",
    "SimEvent",
    "SimPanel",
    "SimPartition",
    "SimPhotoSet",
    "SimTrouble",
    "SimUser",
    "SimZone",
]
