"""Visonic PowerManage wire records → domain objects, as pure functions.

Where to look when a Visonic partition is wrong (`partition`), a capability is
missing (`capabilities`), or a refusal names the wrong zones (`open_zones_in`).
Zones, troubles, users and events are built in `parse.py` (their wire shape
is already the domain's).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from alarmtui.domain import Capability, Partition, PartitionState, Zone
from alarmtui.providers.visonic.parse import WHOLE_PANEL, PanelFacts, RawAlarm, RawCamera, RawPartition, split_zone_id

STATES = {
    "DISARM": PartitionState.DISARMED,
    "DISARMED": PartitionState.DISARMED,
    "HOME": PartitionState.ARMED_HOME,
    "AWAY": PartitionState.ARMED_AWAY,
    "ENTRY_DELAY": PartitionState.PENDING,
    "ALARM": PartitionState.TRIGGERED,
}


def capabilities(facts: PanelFacts, cameras: tuple[RawCamera, ...]) -> frozenset[Capability]:
    caps: set[Capability] = {Capability.USERS}
    if facts.can_set_state:
        caps |= {Capability.ARM_AWAY, Capability.ARM_HOME, Capability.DISARM}
    if facts.partitions_enabled:
        caps.add(Capability.PARTITION_COMMANDS)
    if facts.siren_on or facts.siren_off:
        caps.add(Capability.SIREN)
    if facts.bypass:
        caps.add(Capability.BYPASS)
    if cameras:
        caps.add(Capability.PHOTO)
    if facts.events:
        caps.add(Capability.EVENTS)
    return frozenset(caps)


def partition(
    raw: RawPartition,
    zones: tuple[Zone, ...],
    alarms: tuple[RawAlarm, ...],
    facts: PanelFacts,
    exit_started: float | None,
) -> Partition:
    """One partition; `exit_started` is when its exit delay began (epoch seconds), if it is running."""
    pid = raw.id
    name = facts.partition_names.get(pid) or ("Panel" if pid == WHOLE_PANEL else f"Partition {pid}")
    exit_until: datetime | None = None
    state = raw.state
    if in_exit_delay(raw):
        canonical = PartitionState.ARMING
        delay = facts.exit_delay.get(pid, facts.exit_delay.get(WHOLE_PANEL))
        if delay is not None and exit_started is not None:
            exit_until = datetime.fromtimestamp(exit_started + delay, UTC)
    else:
        canonical = STATES.get(state, PartitionState.UNKNOWN)
    mine = [a for a in alarms if pid == WHOLE_PANEL or not a.partitions or pid in a.partitions or WHOLE_PANEL in a.partitions]
    alarm_zone = None
    if mine:
        canonical = PartitionState.TRIGGERED
        alarm_zone = next((a.zone_name for a in mine if a.zone_name), None)
    members = [z for z in zones if pid == WHOLE_PANEL or not z.partitions or pid in z.partitions]
    open_zones = tuple(z.name for z in members if z.open and not z.bypassed)
    detail = state.replace("_", " ").lower() + (f" ({raw.status.lower()})" if raw.status else "")
    if mine:
        detail += "; alarm: " + ", ".join(a.alarm_type.lower() for a in mine)
    return Partition(
        id=pid,
        name=name,
        state=canonical,
        detail=detail,
        ready=raw.ready,
        open_zones=open_zones,
        exit_delay_until=exit_until,
        alarm_zone=alarm_zone,
    )


def in_exit_delay(raw: RawPartition) -> bool:
    return (raw.state in ("AWAY", "HOME") and raw.status == "EXIT") or raw.state == "EXIT"


def resolve_zone(wanted: str, zones: tuple[Zone, ...]) -> Zone | None:
    """The zone `wanted` names: its id ("ZONE-3"), its number when only one ZONE has it ("3"), or its name.

    None when nothing or more than one zone matches (ambiguous input is never guessed).
    """
    exact = [z for z in zones if z.id == wanted]
    if exact:
        return exact[0]
    if wanted.isdigit():
        numbered = [z for z in zones if split_zone_id(z.id) == ("ZONE", wanted)]
        if len(numbered) == 1:
            return numbered[0]
        if not numbered:
            anything = [z for z in zones if split_zone_id(z.id)[1] == wanted]
            return anything[0] if len(anything) == 1 else None
        return None
    named = [z for z in zones if z.name.casefold() == wanted.casefold()]
    return named[0] if len(named) == 1 else None


def zone_number(zone: Zone | str) -> int:
    """The device number the wire wants for a zone ("ZONE-3" → 3)."""
    value = zone.id if isinstance(zone, Zone) else zone
    return int(split_zone_id(value)[1])


NOT_READY = re.compile(r"not ready:?\s*(.*?)\s*(?:open|opened)?\s*$", re.IGNORECASE)


def open_zones_in(message: str, zones: tuple[Zone, ...], partition_id: str | None) -> tuple[str, ...]:
    """The open zones a refusal names ("Not ready: Front door open"), else those the last snapshot shows open."""
    match = NOT_READY.search(message)
    if match and match.group(1):
        return tuple(n.strip() for n in re.split(r",| and ", match.group(1)) if n.strip())
    members = [z for z in zones if partition_id in (None, WHOLE_PANEL) or not z.partitions or partition_id in z.partitions]
    return tuple(z.name for z in members if z.open and not z.bypassed)


def is_not_ready(error: str, message: str) -> bool:
    """Whether a failed process means "zones are open"."""
    words = f"{error} {message}".lower()
    return "not_ready" in words or "not ready" in words or "zones open" in words


__all__ = [
    "capabilities",
    "in_exit_delay",
    "is_not_ready",
    "open_zones_in",
    "partition",
    "resolve_zone",
    "zone_number",
]
