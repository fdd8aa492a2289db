"""Visonic PowerManage wire records → domain objects, as pure functions.

Where to look when a Visonic partition is wrong (`partition`), a capability is
missing (`capabilities`), or a refusal names the wrong zones (`open_zones_in`).
Zones, troubles, users and events are built in `parse.py` (their wire shape
is already the domain's).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from alarmtui.domain import Capability, Partition, PartitionState, Trouble, TroubleKind, Zone
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


def _concerns(alarm: RawAlarm, pid: str) -> bool:
    return pid == WHOLE_PANEL or not alarm.partitions or pid in alarm.partitions or WHOLE_PANEL in alarm.partitions


def is_armed_now(raw: RawPartition) -> bool:
    """Armed past its exit delay (HOME/AWAY with status "", or in its entry delay)."""
    return (raw.state in ("HOME", "AWAY") and not in_exit_delay(raw)) or raw.state == "ENTRY_DELAY"


def live_alarms(raw: RawPartition, alarms: tuple[RawAlarm, ...]) -> list[RawAlarm]:
    """The alarms active on this partition now.

    FIRE/PANIC/EMERGENCY entries always are; ALARM_IN_MEMORY is when the partition is armed
    (REST 14.0 reports a live intrusion that way, §9.1), and only memory of a past alarm when
    it is disarmed (arming clears the memory).
    """
    armed = is_armed_now(raw)
    return [a for a in alarms if _concerns(a, raw.id) and (armed or not a.in_memory)]


def memory_notices(raws: tuple[RawPartition, ...], alarms: tuple[RawAlarm, ...]) -> tuple[Trouble, ...]:
    """ALARM_IN_MEMORY entries that are no live alarm on any partition: a notice, not an alarm."""
    live = {id(a) for raw in raws for a in live_alarms(raw, alarms)}
    notices: dict[str, Trouble] = {}
    for alarm in alarms:
        if not alarm.in_memory or id(alarm) in live:
            continue
        where = alarm.zone_name or (alarm.zone or "the panel")
        key = f"ALARM_IN_MEMORY:{alarm.zone or where}"
        notices.setdefault(
            key, Trouble(id=key, kind=TroubleKind.OTHER, text=f"Alarm in memory: {where}", zone=alarm.zone, since=alarm.time)
        )
    return tuple(notices.values())


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
    mine = live_alarms(raw, alarms)
    alarm_zones = tuple(dict.fromkeys(a.zone_name for a in mine if a.zone_name))
    if mine:
        canonical = PartitionState.TRIGGERED
    members = [z for z in zones if pid == WHOLE_PANEL or not z.partitions or pid in z.partitions]
    open_zones = tuple(z.name for z in members if z.open and not z.bypassed)
    detail = state.replace("_", " ").lower() + (f" ({raw.status.lower()})" if raw.status else "")
    if mine:
        detail += "; alarm: " + ", ".join(dict.fromkeys(a.alarm_type.replace("_", " ").lower() for a in mine))
    return Partition(
        id=pid,
        name=name,
        state=canonical,
        detail=detail,
        ready=raw.ready,
        open_zones=open_zones,
        exit_delay_until=exit_until,
        alarm_zone=alarm_zones[0] if alarm_zones else None,
        alarm_zones=alarm_zones,
        entry_delay=canonical is PartitionState.PENDING,
    )


def mark_alarm_zones(
    zones: tuple[Zone, ...], partitions: tuple[Partition, ...], alarms: tuple[RawAlarm, ...]
) -> tuple[Zone, ...]:
    """Flag `Zone.alarm` on the devices a live alarm names, where the zone belongs to a triggered partition.

    A whole-panel partition ("-1") lists its alarm zones by name only: its devices carry
    partition 1, and flagging them would open a second episode under a partition nobody shows.
    """
    triggered = {p.id for p in partitions if p.state is PartitionState.TRIGGERED}
    if not triggered:
        return zones
    alarm_ids = {a.zone for a in alarms if a.zone}
    return tuple(replace(z, alarm=True) if z.id in alarm_ids and triggered.intersection(z.partitions) else z for z in zones)


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
    "is_armed_now",
    "live_alarms",
    "mark_alarm_zones",
    "memory_notices",
    "is_not_ready",
    "open_zones_in",
    "partition",
    "resolve_zone",
    "zone_number",
]
