"""Verisure ws.do wire records → domain objects, as pure functions.

Where to look when a Verisure partition, zone, trouble or event is wrong:
STATUS codes (`STATUS_STATES`, protocols/verisure.md §2.3), activity-log REG
types (`REG_*`), the fold of activity records over the last STATUS
(`derive_partition`), which arm modes are possible now (`unavailable_modes`)
and the plain-English translation of the vendor's messages (`translate`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from alarmtui.domain import (
    ArmMode,
    Capability,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Trouble,
    TroubleKind,
    Zone,
    ZoneKind,
)
from alarmtui.domain.text import clean_text
from alarmtui.providers.verisure.parse import ActivityRecord, DeviceInfo

# STATUS (EST2 and every op-2) -> canonical state and the vendor's words (protocols/verisure.md §2.3).
STATUS_STATES: dict[str, tuple[PartitionState, str]] = {
    "0": (PartitionState.DISARMED, "disarmed"),
    "D": (PartitionState.DISARMED, "disarmed"),
    "1": (PartitionState.ARMED_AWAY, "total"),
    "T": (PartitionState.ARMED_AWAY, "total"),
    "A": (PartitionState.ARMED_AWAY, "total"),
    "P": (PartitionState.ARMED_HOME, "day"),
    "Q": (PartitionState.ARMED_NIGHT, "night"),
    "3": (PartitionState.ARMED_CUSTOM_BYPASS, "perimeter"),
    "E": (PartitionState.ARMED_CUSTOM_BYPASS, "perimeter"),
    "4": (PartitionState.ARMED_AWAY, "total + perimeter"),
    "B": (PartitionState.ARMED_HOME, "day + perimeter"),
    "C": (PartitionState.ARMED_NIGHT, "night + perimeter"),
}
# STATUS -> (interior, perimeter) for folding activity records over it.
STATUS_PARTS: dict[str, tuple[str | None, bool]] = {
    "0": (None, False), "D": (None, False),
    "1": ("total", False), "T": ("total", False), "A": ("total", False),
    "P": ("day", False), "Q": ("night", False),
    "3": (None, True), "E": (None, True),
    "4": ("total", True), "B": ("day", True), "C": ("night", True),
}  # fmt: skip
PARTS_STATUS = {parts: code for code, parts in STATUS_PARTS.items() if code in "01PQ34BC"}

MODE_REQUEST = {ArmMode.AWAY: "ARM", ArmMode.HOME: "ARMDAY", ArmMode.NIGHT: "ARMNIGHT", ArmMode.PERIMETER: "PERI"}
MODE_ACCEPTS = {
    ArmMode.AWAY: frozenset("1TA4"),
    ArmMode.HOME: frozenset("PB"),
    ArmMode.NIGHT: frozenset("QC"),
    ArmMode.PERIMETER: frozenset("3E4BCA"),
}
DISARMED_CODES = frozenset("0D")
INTERIOR_OF_MODE = {ArmMode.AWAY: "total", ArmMode.HOME: "day", ArmMode.NIGHT: "night"}

# ACT_V2 REG types (protocols/verisure.md §2.7).
REG_INTERIOR = {"31": "total", "2": "total", "37": "total", "202": "day", "311": "day", "46": "night", "203": "night"}
REG_PERIMETER_ON = frozenset({"40", "204", "37"})
REG_DISARM = frozenset({"32", "1"})
REG_ALARM = frozenset({"13", "24"})
REG_PHOTO = "16"
REG_STATUS_CHECK = "27"
REG_OFFLINE = frozenset({"501", "502"})
REG_ONLINE = frozenset({"3121"})
REG_KINDS: dict[str, EventKind] = {
    **{t: EventKind.ARM for t in ("31", "2", "37", "202", "311", "46", "203", "40", "204")},
    "32": EventKind.DISARM, "1": EventKind.DISARM,
    "13": EventKind.ALARM, "24": EventKind.ALARM, "29": EventKind.ALARM, "14": EventKind.ALARM,
    "16": EventKind.PHOTO,
    "25": EventKind.TROUBLE, "26": EventKind.TROUBLE, "241": EventKind.TROUBLE, "501": EventKind.TROUBLE,
    "502": EventKind.TROUBLE, "3121": EventKind.TROUBLE,
    "27": EventKind.SYSTEM, "531": EventKind.SYSTEM, "537": EventKind.SYSTEM, "540": EventKind.SYSTEM,
    "546": EventKind.SYSTEM, "331": EventKind.SYSTEM,
    "324": EventKind.ZONE, "325": EventKind.ZONE,
}  # fmt: skip
TROUBLE_PAIRS = (
    # (raise types, clear types, kind, text)
    (frozenset({"25"}), frozenset({"26"}), TroubleKind.POWER, "Mains power lost"),
    (REG_OFFLINE, REG_ONLINE, TroubleKind.COMMUNICATION, "Communication failure"),
)

CAPABILITIES = frozenset(
    {
        Capability.ARM_AWAY,
        Capability.ARM_HOME,
        Capability.ARM_NIGHT,
        Capability.ARM_PERIMETER,
        Capability.DISARM,
        Capability.EVENTS,
    }
)


@dataclass(frozen=True, slots=True)
class Baseline:
    """The last STATUS the panel itself reported, and where the activity log stood then."""

    code: str
    message: str
    watermark: str | None
    """idsignal of the newest REG already reflected in `code`; newer REGs are folded over it."""
    at: float


def status_state(code: str) -> tuple[PartitionState, str]:
    """Canonical state and the vendor's words for a STATUS code; unknown codes keep the raw code."""
    try:
        return STATUS_STATES[code]
    except KeyError:
        return PartitionState.UNKNOWN, f"unknown status code {code!r}"


def zone_kind(device: DeviceInfo) -> ZoneKind:
    if device.photo_capable:
        return ZoneKind.CAMERA
    words = f"{device.type} {device.alias_type}".lower()
    if device.type.upper() == "MG" or "magn" in words or "contact" in words or "puerta" in words:
        return ZoneKind.CONTACT
    if device.type.upper() in ("XP", "QR") or "movimiento" in words or "motion" in words or "infrarrojo" in words:
        return ZoneKind.MOTION
    if "humo" in words or "smoke" in words:
        return ZoneKind.SMOKE
    if "mando" in words or "remote" in words:
        return ZoneKind.KEYFOB
    if "teclado" in words or "keypad" in words:
        return ZoneKind.KEYPAD
    if "sirena" in words or "siren" in words:
        return ZoneKind.SIREN
    return ZoneKind.OTHER


def zones(devices: tuple[DeviceInfo, ...], partition: str) -> tuple[Zone, ...]:
    return tuple(
        Zone(
            id=d.id,
            name=d.alias,
            kind=zone_kind(d),
            camera=d.photo_capable,
            partitions=(partition,),
            detail=" ".join(x for x in (d.alias_type, f"({d.type})" if d.type else "") if x),
        )
        for d in devices
    )


def current_code(records: list[ActivityRecord], baseline: Baseline | None) -> str | None:
    """The STATUS code the panel stands at: the baseline with newer state-type REGs folded over it.

    None when unknown (no baseline and no state-type record, or an unknown baseline code).
    """
    interior: str | None = None
    perimeter = False
    known = False
    if baseline is not None and baseline.code in STATUS_PARTS:
        interior, perimeter = STATUS_PARTS[baseline.code]
        known = True
    newer = records
    if baseline is not None and baseline.watermark is not None:
        index = next((i for i, r in enumerate(records) if r.idsignal == baseline.watermark), None)
        if index is not None:
            newer = records[:index]
    for record in reversed(newer):  # oldest first
        if record.type in REG_DISARM:
            interior, perimeter, known = None, False, True
        elif record.type in REG_INTERIOR:
            interior, known = REG_INTERIOR[record.type], True
            if record.type in REG_PERIMETER_ON:
                perimeter = True
        elif record.type in REG_PERIMETER_ON:
            perimeter = True
            known = known or interior is not None
    return PARTS_STATUS[(interior, perimeter)] if known else None


def derive_partition(records: list[ActivityRecord], baseline: Baseline | None, numinst: str, name: str) -> Partition:
    """The partition: an alarm since the last disarm wins; else the folded STATUS."""
    latest = next((r for r in records if r.type in REG_ALARM or r.type in REG_DISARM), None)
    if latest is not None and latest.type in REG_ALARM:
        zone = latest.device or None
        return Partition(numinst, name, PartitionState.TRIGGERED, detail=f"alarm: {latest.alias}".strip(), alarm_zone=zone)
    code = current_code(records, baseline)
    if code is None:
        raw = baseline.code if baseline is not None and baseline.code not in STATUS_PARTS else ""
        detail = f"unknown status code {raw!r}" if raw else "no status yet"
        return Partition(numinst, name, PartitionState.UNKNOWN, detail=detail)
    state, words = STATUS_STATES[code]
    return Partition(numinst, name, state, detail=words)


def unavailable_modes(code: str | None) -> dict[Capability, str]:
    """Arm modes that ws.do refuses from the current STATUS, with the reason in plain words.

    Verisure will not switch between interior modes (total/day/night) without a
    disarm ("No ha sido posible activar este modo porque tienes otro activado"),
    and arming what is already armed does nothing.
    """
    if code is None or code in DISARMED_CODES or code not in STATUS_PARTS:
        return {}
    interior, perimeter = STATUS_PARTS[code]
    result: dict[Capability, str] = {}
    for mode, wanted in INTERIOR_OF_MODE.items():
        capability = {ArmMode.AWAY: Capability.ARM_AWAY, ArmMode.HOME: Capability.ARM_HOME, ArmMode.NIGHT: Capability.ARM_NIGHT}[
            mode
        ]
        if interior == wanted:
            result[capability] = f"already armed {STATUS_STATES[code][1]}"
        elif interior is not None:
            result[capability] = f"disarm first: Verisure cannot switch from {interior} to {wanted} while armed"
    if perimeter:
        result[Capability.ARM_PERIMETER] = "the perimeter is already armed"
    return result


def troubles(records: list[ActivityRecord]) -> tuple[Trouble, ...]:
    found = []
    for raise_types, clear_types, kind, text in TROUBLE_PAIRS:
        latest = next((r for r in records if r.type in raise_types or r.type in clear_types), None)
        if latest is not None and latest.type in raise_types:
            found.append(Trouble(f"{kind.value}:{latest.idsignal}", kind, latest.alias or text, since=latest.time))
    return tuple(found)


def offline_since(records: list[ActivityRecord]) -> ActivityRecord | None:
    """The communication-failure record if the log says the panel is offline now (no later restore)."""
    latest = next((r for r in records if r.type in REG_OFFLINE or r.type in REG_ONLINE), None)
    return latest if latest is not None and latest.type in REG_OFFLINE else None


def is_own_status_check(record: ActivityRecord, own_checks: list[datetime], window: float = 120.0) -> bool:
    """A "status check" REG that alarmtui itself caused (an EST near one of our refreshes)."""
    if record.type != REG_STATUS_CHECK:
        return False
    return any(abs((record.time - when).total_seconds()) <= window for when in own_checks)


def event(record: ActivityRecord, partition: str, provider: str) -> Event:
    kind = REG_KINDS.get(record.type)
    text = record.alias or f"activity {record.type}"
    if kind is None:
        kind = EventKind.SYSTEM
        text = f"{text} (unknown activity type {record.type})"
    who = record.user
    if who and record.source:
        who = f"{who} ({record.source})"
    return Event(
        id=record.idsignal,
        time=record.time,
        kind=kind,
        text=clean_text(text),
        who=who,
        zone=record.device,
        partition=partition,
        provider=provider,
        photo_ref=record.idsignal if record.type == REG_PHOTO else "",
    )


# --------------------------------------------------------------------------- the vendor's words in plain English

# (pattern over the lower-cased message, plain English). Spanish first (the service's default), then English.
KNOWN_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), english)
    for pattern, english in (
        (r"tienes otro activado|another one is active",
         "Verisure cannot switch arm modes while armed: disarm first, then arm in the new mode"),
        (r"gestionando una solicitud anterior|handling a previous request",
         "the panel is busy with an earlier request: wait 90 s (5 min after a photo request) and try again"),
        (r"hay zonas abiertas|zones are open", "zones are open"),
        (r"no se ha podido realizar la acci[oó]n|could not be carried out",
         "the panel could not carry out the request (it may be offline)"),
        (r"ha ocurrido un problema|there was a problem", "the request failed on the vendor's side"),
        (r"usuario o contrase[nñ]a incorrectos|wrong user or password", "wrong user name or password"),
        (r"invalid session", "the session expired"),
        (r"problemas para identificarle|problems identifying you", "the session is no longer valid"),
        (r"temporarily unavailable", "the Verisure service is temporarily unavailable"),
        (r"[uú]ltima actualizaci[oó]n de la app|latest version of the my verisure app",
         "the service refused this app version"),
        (r"nueva versi[oó]n de my verisure|new version of my verisure",
         "the account was moved to the new My Verisure app"),
        (r"no existe ninguna petici[oó]n|no request in progress", "the panel has no record of this request"),
        (r"petici[oó]n no v[aá]lida|invalid request", "the service rejected the request as invalid"),
    )
)  # fmt: skip


def translate(message: str) -> tuple[str, str]:
    """(plain English, the vendor's own words) for a known Verisure message; unknown ones stay as they are."""
    text = clean_text(message)
    lowered = text.lower()
    for pattern, english in KNOWN_MESSAGES:
        if pattern.search(lowered):
            return english, text
    return text, ""


OPEN_ZONES = re.compile(r"\(([^()]*)\)\s*\.?\s*$")


def open_zones_in(message: str) -> tuple[str, ...]:
    """Zone names from a "zones are open (Front door, Kitchen window)" message."""
    match = OPEN_ZONES.search(message)
    if not match:
        return ()
    return tuple(name.strip() for name in re.split(r",| y | and ", match.group(1)) if name.strip())


__all__ = [
    "CAPABILITIES",
    "MODE_ACCEPTS",
    "MODE_REQUEST",
    "STATUS_STATES",
    "Baseline",
    "current_code",
    "derive_partition",
    "event",
    "is_own_status_check",
    "offline_since",
    "open_zones_in",
    "status_state",
    "translate",
    "troubles",
    "unavailable_modes",
    "zone_kind",
    "zones",
]
