"""luup devices -> the domain: partitions, zones, troubles, capabilities (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from alarmtui.domain import (
    ArmMode,
    Capability,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Snapshot,
    Trouble,
    TroubleKind,
    Zone,
    ZoneKind,
)
from alarmtui.providers.base import ProtocolError
from alarmtui.providers.luup.parse import as_bool, as_int, as_text

CATEGORY_SENSOR = 4
CATEGORY_CAMERA = 6
CATEGORY_PANEL = 22
CATEGORY_PARTITION = 23

_ARM_STATE = {ArmMode.AWAY: "Armed", ArmMode.HOME: "Stay", ArmMode.NIGHT: "Night"}
_PANIC_STATE = {"police": "Police", "fire": "Fire", "medical": "Medical"}
_DISARMED_DETAILS = {"disarmed", "ready", "notready", "failedtoarm"}
_DETAIL_STATE = {
    "armed": PartitionState.ARMED_AWAY,
    "force": PartitionState.ARMED_AWAY,
    "vacation": PartitionState.ARMED_AWAY,
    "stay": PartitionState.ARMED_HOME,
    "stayinstant": PartitionState.ARMED_HOME,
    "night": PartitionState.ARMED_NIGHT,
    "nightinstant": PartitionState.ARMED_NIGHT,
    "exitdelay": PartitionState.ARMING,
    "entrydelay": PartitionState.PENDING,
}
_ZONE_KINDS = {1: ZoneKind.CONTACT, 2: ZoneKind.WATER, 3: ZoneKind.MOTION, 4: ZoneKind.SMOKE}
LOW_BATTERY = 20


def partition_state(arm_mode: str, detailed: str, alarm: str) -> tuple[PartitionState, bool | None]:
    """Canonical state and readiness from AlarmPartition2's ArmMode + DetailedArmMode + Alarm.

    Tolerates the non-standard values real plugins write (Texecom: ArmMode="ExitDelay").
    """
    arm = arm_mode.strip().lower()
    detail = detailed.strip().lower()
    if alarm.strip().lower() == "active":
        return PartitionState.TRIGGERED, None
    for word in (detail, arm):
        if word in ("exitdelay", "entrydelay"):
            return _DETAIL_STATE[word], None
    if detail in _DISARMED_DETAILS:
        ready = True if detail == "ready" else False if detail == "notready" else None
        if arm == "armed" and detail != "disarmed":
            return PartitionState.ARMED_AWAY, None  # armed with a stale detail: ArmMode is authoritative
        return PartitionState.DISARMED, ready
    if detail in _DETAIL_STATE:
        return _DETAIL_STATE[detail], None
    if arm == "armed":
        return PartitionState.ARMED_AWAY, None
    if arm == "disarmed":
        return PartitionState.DISARMED, None
    return PartitionState.UNKNOWN, None


def _category(device: Mapping[str, Any]) -> int:
    try:
        return as_int(device.get("category", 0), "category")
    except ProtocolError:
        return 0


def build_snapshot(devices: Mapping[str, Mapping[str, Any]], *, panel_name: str, detail: str = "") -> Snapshot:
    partitions: list[Partition] = []
    zones: list[Zone] = []
    troubles: list[Trouble] = []

    def order(item: tuple[str, Mapping[str, Any]]) -> tuple[int, str]:
        key = item[0]
        return (int(key), key) if re.fullmatch(r"-?[0-9]{1,18}", key) else (1 << 60, key)

    has_camera = False
    lost_panels: list[str] = []
    for device_id, device in sorted(devices.items(), key=order):
        category = _category(device)
        name = as_text(device.get("name")) or f"Device {device_id}"
        if category == CATEGORY_PARTITION:
            state, ready = partition_state(
                as_text(device.get("armmode")), as_text(device.get("detailedarmmode")), as_text(device.get("alarm"))
            )
            words = [as_text(device.get("detailedarmmode")), as_text(device.get("vendorstatus"))]
            blocking = open_zones_of(devices, device_id) if ready is False else []
            partitions.append(
                Partition(
                    id=device_id,
                    name=name,
                    state=state,
                    detail=" · ".join(w for w in words if w),
                    ready=ready,
                    open_zones=tuple(as_text(devices[z].get("name")) or f"Device {z}" for z in blocking),
                    entry_delay=state is PartitionState.PENDING,
                )
            )
        elif category == CATEGORY_SENSOR:
            try:
                subcategory = as_int(device.get("subcategory", 0), "subcategory")
            except ProtocolError:
                subcategory = 0
            battery = device.get("batterylevel")
            try:
                battery_low = battery not in (None, "") and as_int(battery, "batterylevel") < LOW_BATTERY
            except ProtocolError:
                battery_low = False
            comm_failure = as_bool(device.get("commFailure", device.get("commfailure"))) is True
            armed = as_bool(device.get("armed"))
            zones.append(
                Zone(
                    id=device_id,
                    name=name,
                    kind=_ZONE_KINDS.get(subcategory, ZoneKind.OTHER),
                    open=as_bool(device.get("tripped")),
                    bypassed=armed is False,
                    battery_low=battery_low,
                    detail=as_text(device.get("comment")),
                )
            )
            if battery_low:
                troubles.append(Trouble(f"battery-{device_id}", TroubleKind.LOW_BATTERY, f"Low battery: {name}", zone=device_id))
            if comm_failure:
                troubles.append(
                    Trouble(f"comm-{device_id}", TroubleKind.COMMUNICATION, f"Communication failure: {name}", zone=device_id)
                )
        elif category == CATEGORY_PANEL:
            if as_bool(device.get("commFailure", device.get("commfailure"))) is True:
                lost_panels.append(name)
        elif category == CATEGORY_CAMERA:
            has_camera = True
            zones.append(Zone(id=device_id, name=name, kind=ZoneKind.CAMERA, camera=True, detail="camera"))
    capabilities = {
        Capability.ARM_AWAY,
        Capability.ARM_HOME,
        Capability.ARM_NIGHT,
        Capability.DISARM,
        Capability.BYPASS,
        Capability.PANIC,
        Capability.EVENTS,
        Capability.PARTITION_COMMANDS,
    }
    if has_camera:
        capabilities.add(Capability.PHOTO)
    return Snapshot(
        partitions=tuple(partitions),
        zones=tuple(zones),
        troubles=tuple(troubles),
        capabilities=frozenset(capabilities),
        panel_name=panel_name,
        online=not lost_panels,
        detail=f"{', '.join(lost_panels)}: communication failure (the alarm panel is not answering the Vera)"
        if lost_panels
        else detail,
        fetched_at=datetime.now(UTC),
    )


def open_zones_of(devices: Mapping[str, Mapping[str, Any]], partition_id: str) -> list[str]:
    """Open, unbypassed sensors that can keep `partition_id` from arming.

    luup does not say which sensor belongs to which partition; sensors share the
    panel device as parent, so every open sensor of the partition's panel counts.
    """
    parent = as_text(devices.get(partition_id, {}).get("parent"))
    found = []
    for device_id, device in devices.items():
        if _category(device) != CATEGORY_SENSOR:
            continue
        if parent not in ("", "0") and as_text(device.get("parent")) not in (parent, ""):
            continue
        if as_bool(device.get("tripped")) is True and as_bool(device.get("armed")) is not False:
            found.append(device_id)
    return sorted(found, key=lambda k: (len(k), k))


def entry_delay_text(name: str) -> str:
    """The text of an entry-delay event: the partition's name, never its device number."""
    return f"Entry delay: {name}" if name else "Entry delay started"


def change_events(
    before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]], *, stamp: str, when: datetime
) -> list[Event]:
    """Events for what changed between two device caches (a transport with no event log).

    Only partition state, alarm, zone open/close and bypass changes are events; ids are
    `stamp` (loadtime/dataversion) plus device and variable, so they are stable per change.
    """
    events: list[Event] = []
    for device_id, device in after.items():
        old = before.get(device_id)
        if old is None:
            continue
        name = as_text(device.get("name")) or f"device {device_id}"
        category = _category(device)

        def changed(key: str, device: Mapping[str, Any] = device, old: Mapping[str, Any] = old) -> tuple[str, str] | None:
            new_value, old_value = as_text(device.get(key)), as_text(old.get(key))
            return (old_value, new_value) if key in device and new_value != old_value else None

        def add(kind: EventKind, text: str, key: str, device_id: str = device_id, **where: str) -> None:
            events.append(Event(id=f"{stamp}-{device_id}-{key}", time=when, kind=kind, text=text, **where))

        if category == CATEGORY_PARTITION:
            detail = changed("detailedarmmode")
            if detail:
                old_word, new_word = detail[0].lower(), detail[1].lower()
                if new_word == "exitdelay":
                    add(EventKind.ARM, f"{name}: arming (exit delay)", "detail", partition=device_id)
                elif new_word == "entrydelay":
                    add(EventKind.ENTRY_DELAY, entry_delay_text(as_text(device.get("name"))), "detail", partition=device_id)
                elif new_word == "failedtoarm":
                    add(EventKind.ARM, f"{name}: arming failed", "detail", partition=device_id)
                elif new_word in _DETAIL_STATE:
                    state = _DETAIL_STATE[new_word].value.replace("_", " ")
                    add(EventKind.ARM, f"{name}: {state} ({detail[1]})", "detail", partition=device_id)
                elif new_word in _DISARMED_DETAILS and old_word and old_word not in _DISARMED_DETAILS:
                    add(EventKind.DISARM, f"{name}: disarmed", "detail", partition=device_id)
            alarm = changed("alarm")
            if alarm and alarm[1].lower() == "active":
                add(EventKind.ALARM, f"{name}: ALARM", "alarm", partition=device_id)
            elif alarm and alarm[0].lower() == "active":
                add(EventKind.ALARM, f"{name}: alarm ended", "alarm", partition=device_id)
        elif category == CATEGORY_SENSOR:
            tripped = changed("tripped")
            if tripped:
                add(EventKind.ZONE, f"{name} {'opened' if as_bool(tripped[1]) else 'closed'}", "tripped", zone=device_id)
            armed = changed("armed")
            if armed:
                add(EventKind.ZONE, f"{name} {'unbypassed' if as_bool(armed[1]) else 'bypassed'}", "armed", zone=device_id)
    return events
