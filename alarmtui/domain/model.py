"""The provider-neutral model of an alarm system.

Every provider turns its vendor's wire format into these types and nothing
else; the poller, CLI and UI only ever see these. Frozen dataclasses so that a
snapshot handed to the UI can never be changed underneath it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class PartitionState(enum.StrEnum):
    """Canonical partition states (the Home Assistant vocabulary)."""

    DISARMED = "disarmed"
    ARMED_HOME = "armed_home"
    ARMED_AWAY = "armed_away"
    ARMED_NIGHT = "armed_night"
    ARMED_CUSTOM_BYPASS = "armed_custom_bypass"
    ARMING = "arming"
    PENDING = "pending"
    DISARMING = "disarming"
    TRIGGERED = "triggered"
    UNKNOWN = "unknown"

    @property
    def is_armed(self) -> bool:
        return self in ARMED_STATES


ARMED_STATES = frozenset(
    {
        PartitionState.ARMED_HOME,
        PartitionState.ARMED_AWAY,
        PartitionState.ARMED_NIGHT,
        PartitionState.ARMED_CUSTOM_BYPASS,
    }
)


class ArmMode(enum.StrEnum):
    """What a user asks for; each provider maps these to its own modes."""

    AWAY = "away"
    HOME = "home"
    NIGHT = "night"
    PERIMETER = "perimeter"

    @property
    def armed_state(self) -> PartitionState:
        return {
            ArmMode.AWAY: PartitionState.ARMED_AWAY,
            ArmMode.HOME: PartitionState.ARMED_HOME,
            ArmMode.NIGHT: PartitionState.ARMED_NIGHT,
            ArmMode.PERIMETER: PartitionState.ARMED_CUSTOM_BYPASS,
        }[self]


class ZoneKind(enum.StrEnum):
    CONTACT = "contact"
    MOTION = "motion"
    CAMERA = "camera"  # a motion detector with a camera (Verisure "Foto detector", Visonic camera PIR)
    SMOKE = "smoke"
    WATER = "water"
    KEYFOB = "keyfob"
    KEYPAD = "keypad"
    SIREN = "siren"
    GSM = "gsm"
    OUTPUT = "output"  # PGM and other outputs
    LOCK = "lock"  # a smart door lock (My Pages): `Zone.locked`, lock/unlock commands
    CLIMATE = "climate"  # a temperature / humidity sensor with no alarm role of its own
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Partition:
    id: str
    name: str
    state: PartitionState
    detail: str = ""
    """The vendor's own words for the state, e.g. Verisure "day + perimeter"."""
    ready: bool | None = None
    """True when every zone is closed and the partition could be armed; None if unknown."""
    open_zones: tuple[str, ...] = ()
    """Names of the zones that keep the partition from being ready."""
    exit_delay_until: datetime | None = None
    """When the exit (or entry) delay ends, where the vendor says so."""
    alarm_zone: str | None = None
    """Name of the zone that triggered the alarm, when triggered."""
    alarm_zones: tuple[str, ...] = ()
    """Every zone in alarm on this partition (names), when the vendor says more than one; `alarm_zone` is the first."""
    entry_delay: bool = False
    """The partition is in its entry delay (PENDING because a door opened while armed): not yet an alarm."""


@dataclass(frozen=True, slots=True)
class Zone:
    id: str
    name: str
    kind: ZoneKind = ZoneKind.OTHER
    open: bool | None = None
    bypassed: bool = False
    battery_low: bool = False
    tamper: bool = False
    camera: bool = False
    partitions: tuple[str, ...] = ()
    detail: str = ""
    """Vendor-specific text (device type name, model)."""
    alarm: bool = False
    """This zone is in alarm now (tripped while armed, or a 24-hour zone: smoke, water, tamper)."""
    locked: bool | None = None
    """For ZoneKind.LOCK: whether the lock is locked (None: unknown)."""
    temperature: float | None = None
    """Degrees Celsius, where the device measures it."""
    humidity: float | None = None
    """Relative humidity in %, where the device measures it."""
    reported_at: datetime | None = None
    """When the vendor last heard from the device (door/window report time)."""


class TroubleKind(enum.StrEnum):
    LOW_BATTERY = "low_battery"
    TAMPER = "tamper"
    POWER = "power"
    COMMUNICATION = "communication"
    JAMMING = "jamming"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Trouble:
    id: str
    kind: TroubleKind
    text: str
    zone: str | None = None
    since: datetime | None = None


class EventKind(enum.StrEnum):
    ALARM = "alarm"
    ENTRY_DELAY = "entry_delay"  # an armed partition's entry delay started: never an alarm by itself
    ARM = "arm"
    DISARM = "disarm"
    TROUBLE = "trouble"
    PHOTO = "photo"
    ZONE = "zone"  # door opened / closed
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    time: datetime
    kind: EventKind
    text: str
    who: str = ""
    zone: str = ""
    partition: str = ""
    provider: str = ""
    """Filled in by the poller so merged logs can say where an event came from."""
    photo_ref: str = ""
    """Opaque reference the provider can turn into photos (Verisure idsignal, MiOS store id)."""


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    role: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Photo:
    zone: str
    time: datetime
    jpeg: bytes
    index: int = 0
    provider: str = ""

    def __repr__(self) -> str:  # the bytes are not worth printing
        return f"Photo(zone={self.zone!r}, time={self.time.isoformat()}, index={self.index}, {len(self.jpeg)} bytes)"


class Capability(enum.StrEnum):
    ARM_AWAY = "arm_away"
    ARM_HOME = "arm_home"
    ARM_NIGHT = "arm_night"
    ARM_PERIMETER = "arm_perimeter"
    DISARM = "disarm"
    BYPASS = "bypass"
    PHOTO = "photo"
    LOCK = "lock"
    """Smart locks can be locked and unlocked (ZoneKind.LOCK zones)."""
    SIREN = "siren"
    PANIC = "panic"
    USERS = "users"
    EVENTS = "events"
    PARTITION_COMMANDS = "partition_commands"
    """Arm and disarm can address one partition rather than the whole panel."""


ARM_CAPABILITY = {
    ArmMode.AWAY: Capability.ARM_AWAY,
    ArmMode.HOME: Capability.ARM_HOME,
    ArmMode.NIGHT: Capability.ARM_NIGHT,
    ArmMode.PERIMETER: Capability.ARM_PERIMETER,
}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a provider knows about its panel at one moment."""

    partitions: tuple[Partition, ...] = ()
    zones: tuple[Zone, ...] = ()
    troubles: tuple[Trouble, ...] = ()
    users: tuple[User, ...] = ()
    capabilities: frozenset[Capability] = frozenset()
    panel_name: str = ""
    online: bool = True
    detail: str = ""
    fetched_at: datetime | None = None
    unavailable: dict[Capability, str] = field(default_factory=dict, hash=False, compare=False)
    """Capabilities the panel has but that cannot be used right now, with the reason in plain words
    (e.g. Verisure armed away: {ARM_HOME: "disarm first: Verisure cannot switch from away to day"}).
    The UI dims these keys and shows the reason when one is pressed."""

    def partition(self, partition_id: str) -> Partition | None:
        return next((p for p in self.partitions if p.id == partition_id), None)

    def zone(self, zone_id: str) -> Zone | None:
        return next((z for z in self.zones if z.id == zone_id), None)

    def can_arm(self, mode: ArmMode) -> bool:
        return ARM_CAPABILITY[mode] in self.capabilities

    def available_now(self, capability: Capability) -> bool:
        """The panel has `capability` and nothing in its current state rules it out."""
        return capability in self.capabilities and capability not in self.unavailable

    def why_unavailable(self, capability: Capability) -> str:
        """Plain-words reason `capability` cannot be used now, "" if it can."""
        if capability not in self.capabilities:
            return "this panel does not offer that"
        return self.unavailable.get(capability, "")


class CommandPhase(enum.StrEnum):
    """Where a command stands on its timeline.

    NOT_SENT → SENT → (WAITING) → CONFIRMED | FAILED | UNKNOWN.  Once a command
    may have left the machine (SENT or later) it can only end CONFIRMED,
    FAILED with the panel's own reason, or UNKNOWN — never NOT_SENT.
    `DONE` is the old name of CONFIRMED and stays an alias of it.
    """

    NOT_SENT = "not_sent"
    """It certainly never left this machine (server unreachable, login refused, panel busy): safe to try again."""
    SENT = "sent"
    WAITING = "waiting"
    """The vendor accepted the command and is waiting for the panel."""
    CONFIRMED = "done"
    """The panel confirmed it (its state or its own reply says so)."""
    DONE = "done"  # alias of CONFIRMED, kept for existing callers
    FAILED = "failed"
    """The panel refused it and said why (the result's message)."""
    UNKNOWN = "unknown"
    """We could not learn whether the panel carried it out; re-read the state, never re-send."""

    @property
    def finished(self) -> bool:
        return self in (CommandPhase.CONFIRMED, CommandPhase.FAILED, CommandPhase.UNKNOWN, CommandPhase.NOT_SENT)

    @property
    def may_have_left(self) -> bool:
        """Whether the command may have reached the vendor (so it must never be sent again by itself)."""
        return self is not CommandPhase.NOT_SENT


@dataclass(frozen=True, slots=True)
class CommandProgress:
    phase: CommandPhase
    message: str = ""
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class PartitionOutcome:
    """How one partition of a multi-partition command ended."""

    partition: str
    phase: CommandPhase
    message: str = ""


@dataclass(frozen=True, slots=True)
class CommandResult:
    phase: CommandPhase
    message: str = ""
    elapsed: float = 0.0
    photos: tuple[Photo, ...] = field(default=())
    partitions: tuple[PartitionOutcome, ...] = ()
    """Per-partition outcomes when the command addressed several partitions (else empty)."""
    state: str = ""
    """The resulting state in plain words when confirmed ("armed away — exit delay 15 s"), else ""."""
    error: Exception | None = field(default=None, compare=False, repr=False)
    """The typed `ProviderError` behind a FAILED / NOT_SENT / UNKNOWN result (e.g. `OpenZones` with its zones)."""
    settled: bool = True  # after `error`: results built positionally keep their meaning
    """False: the panel accepted the command but is still in transition (an exit delay runs): "armed" is
    said only once it reports the final state."""

    @property
    def ok(self) -> bool:
        return self.phase is CommandPhase.CONFIRMED

    @property
    def sent(self) -> bool:
        """Whether the command may have reached the vendor."""
        return self.phase.may_have_left
