"""Home Assistant's side of the MQTT bridge: device-based discovery and the state topics, as pure functions.

One device per provider (one installation), with an `alarm_control_panel` per partition, a
`binary_sensor` per zone, a `lock` per smart lock, and sensors for the troubles, the last event and
the last command's outcome. Every payload here is built from the engine's cached state; nothing in
it comes from the config's secrets (the code is checked by the bridge, never published).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from alarmtui import __version__
from alarmtui.domain import Capability, PartitionState, Snapshot, Zone, ZoneKind
from alarmtui.domain.serialize import event_json, zone_json
from alarmtui.domain.text import clean_text
from alarmtui.domain.updates import LinkState
from alarmtui.engine.base import ProviderInfo, ProviderState

ONLINE = "online"
OFFLINE = "offline"
UNKNOWN_PAYLOAD = "None"
"""What Home Assistant's MQTT entities take as "unknown"."""

ALARM_FEATURES = {
    Capability.ARM_HOME: "arm_home",
    Capability.ARM_AWAY: "arm_away",
    Capability.ARM_NIGHT: "arm_night",
    Capability.ARM_PERIMETER: "arm_custom_bypass",
}
"""The vendor's capabilities as Home Assistant's `supported_features`."""

HA_STATES = {
    PartitionState.DISARMED: "disarmed",
    PartitionState.ARMED_HOME: "armed_home",
    PartitionState.ARMED_AWAY: "armed_away",
    PartitionState.ARMED_NIGHT: "armed_night",
    PartitionState.ARMED_CUSTOM_BYPASS: "armed_custom_bypass",
    PartitionState.ARMING: "arming",
    PartitionState.PENDING: "pending",
    PartitionState.DISARMING: "disarming",
    PartitionState.TRIGGERED: "triggered",
}
"""Our canonical states are Home Assistant's; UNKNOWN becomes its "None"."""

MANUFACTURERS = {
    "verisure": "Verisure",
    "securitas": "Securitas Direct / Verisure",
    "mypages": "Verisure",
    "visonic": "Visonic",
    "mios": "MiOS (Vera)",
    "vera": "Vera",
}

WINDOW_WORDS = re.compile(r"window|ventana|fen[eê]tre|finestra|janela|fenster|fönster|vindu|vindue|ikkuna|raam", re.I)

COMMAND_TEMPLATE = '{"action": "{{ action }}", "code": "{{ code }}"}'
"""How Home Assistant sends an alarm command: the action and the code typed in its keypad (checked here)."""
LOCK_COMMAND_TEMPLATE = '{"action": "{{ value }}", "code": "{{ code }}"}'


def topic_id(text: str) -> str:
    """A piece of a topic or unique id for a vendor's id: only [A-Za-z0-9_-]; a hash keeps altered ids unique."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", text)[:48] or "_"
    if safe != text:
        safe += "_" + hashlib.blake2b(text.encode(), digest_size=3).hexdigest()
    return safe


def zone_device_class(zone: Zone) -> str:
    """The binary_sensor device_class for a zone's kind (tamper where the zone has no state of its own)."""
    if zone.kind is ZoneKind.CONTACT:
        return "window" if WINDOW_WORDS.search(zone.name) else "door"
    if zone.kind in (ZoneKind.MOTION, ZoneKind.CAMERA):
        return "motion"
    if zone.kind is ZoneKind.SMOKE:
        return "smoke"
    if zone.kind is ZoneKind.WATER:
        return "moisture"
    return "tamper"


def zone_payload(zone: Zone) -> str:
    """ON/OFF for the zone's binary_sensor: open (door, window, motion), in alarm (smoke, water), tampered (others)."""
    cls = zone_device_class(zone)
    if cls == "tamper":
        value: bool | None = zone.tamper
    elif cls in ("smoke", "moisture"):
        value = zone.alarm or bool(zone.open)
    else:
        value = zone.open
    return UNKNOWN_PAYLOAD if value is None else ("ON" if value else "OFF")


def lock_payload(zone: Zone) -> str:
    return UNKNOWN_PAYLOAD if zone.locked is None else ("LOCKED" if zone.locked else "UNLOCKED")


def available(state: ProviderState) -> bool:
    """Whether Home Assistant should trust this provider's entities now: read, online, not stale."""
    status = state.status
    snapshot = state.snapshot
    if snapshot is None or not snapshot.online or status.stale:
        return False
    return status.state in (LinkState.ONLINE, LinkState.RECONNECTING)


@dataclass(frozen=True)
class Topics:
    """Where one provider's entities live under `base`."""

    base: str
    provider: str

    @property
    def root(self) -> str:
        return f"{self.base}/{topic_id(self.provider)}"

    @property
    def availability(self) -> str:
        return f"{self.root}/availability"

    def partition(self, partition_id: str) -> str:
        return f"{self.root}/partition/{topic_id(partition_id)}"

    def zone(self, zone_id: str) -> str:
        return f"{self.root}/zone/{topic_id(zone_id)}"

    def lock(self, zone_id: str) -> str:
        return f"{self.root}/lock/{topic_id(zone_id)}"

    def climate(self, zone_id: str) -> str:
        return f"{self.root}/climate/{topic_id(zone_id)}"

    @property
    def troubles(self) -> str:
        return f"{self.root}/troubles"

    @property
    def event(self) -> str:
        return f"{self.root}/event"

    @property
    def command_result(self) -> str:
        return f"{self.root}/command/result"


@dataclass
class Discovery:
    """One provider's discovery message and the command topics it names (topic -> what they address)."""

    topic: str
    payload: dict[str, Any]
    commands: dict[str, tuple[str, str]] = field(default_factory=dict)
    """command topic -> ("partition" | "lock", partition or zone id)."""


def code_options(info: ProviderInfo) -> dict[str, Any]:
    """`code: REMOTE_CODE` where a code is configured or the panel needs one (checked by alarmtui or the
    panel, never by Home Assistant); otherwise no code at all."""
    if info.code_configured or info.needs_code:
        return {"code": "REMOTE_CODE", "code_arm_required": True, "code_disarm_required": True}
    return {"code_arm_required": False, "code_disarm_required": False}


def discovery(info: ProviderInfo, snapshot: Snapshot, *, base: str, prefix: str, bridge_status: str) -> Discovery:
    """Home Assistant's device-based discovery for one provider."""
    topics = Topics(base, info.name)
    uid = f"alarmtui_{topic_id(info.name)}"
    components: dict[str, dict[str, Any]] = {}
    commands: dict[str, tuple[str, str]] = {}
    features = [name for capability, name in ALARM_FEATURES.items() if capability in snapshot.capabilities]
    for partition in snapshot.partitions:
        key = f"partition_{topic_id(partition.id)}"
        root = topics.partition(partition.id)
        commands[f"{root}/set"] = ("partition", partition.id)
        components[key] = {
            "platform": "alarm_control_panel",
            "unique_id": f"{uid}_{key}",
            "name": clean_text(partition.name, 80) or f"Partition {partition.id}",
            "state_topic": f"{root}/state",
            "command_topic": f"{root}/set",
            "command_template": COMMAND_TEMPLATE,
            "json_attributes_topic": f"{root}/attributes",
            "supported_features": features,
            **code_options(info),
        }
    for zone in snapshot.zones:
        zid = topic_id(zone.id)
        name = clean_text(zone.name, 80) or f"Zone {zone.id}"
        if zone.kind is ZoneKind.LOCK:
            root = topics.lock(zone.id)
            commands[f"{root}/set"] = ("lock", zone.id)
            components[f"lock_{zid}"] = {
                "platform": "lock",
                "unique_id": f"{uid}_lock_{zid}",
                "name": name,
                "state_topic": f"{root}/state",
                "command_topic": f"{root}/set",
                "command_template": LOCK_COMMAND_TEMPLATE,
                "json_attributes_topic": f"{root}/attributes",
                **({"code_format": r"^\d{1,12}$"} if info.code_configured or info.needs_code else {}),
            }
            continue
        if zone.kind is ZoneKind.CLIMATE:
            root = topics.climate(zone.id)
            for measure, unit in (("temperature", "°C"), ("humidity", "%")):
                if getattr(zone, measure) is not None:
                    components[f"{measure}_{zid}"] = {
                        "platform": "sensor",
                        "unique_id": f"{uid}_{measure}_{zid}",
                        "name": f"{name} {measure}",
                        "device_class": measure,
                        "state_class": "measurement",
                        "unit_of_measurement": unit,
                        "state_topic": f"{root}/{measure}",
                    }
            continue
        root = topics.zone(zone.id)
        components[f"zone_{zid}"] = {
            "platform": "binary_sensor",
            "unique_id": f"{uid}_zone_{zid}",
            "name": name,
            "device_class": zone_device_class(zone),
            "state_topic": f"{root}/state",
            "json_attributes_topic": f"{root}/attributes",
        }
    components["troubles"] = {
        "platform": "sensor",
        "unique_id": f"{uid}_troubles",
        "name": "Troubles",
        "icon": "mdi:alert-circle-outline",
        "state_topic": f"{topics.troubles}/state",
        "json_attributes_topic": f"{topics.troubles}/attributes",
    }
    components["last_event"] = {
        "platform": "sensor",
        "unique_id": f"{uid}_last_event",
        "name": "Last event",
        "icon": "mdi:history",
        "state_topic": f"{topics.event}/state",
        "json_attributes_topic": f"{topics.event}/attributes",
    }
    components["last_command"] = {
        "platform": "sensor",
        "unique_id": f"{uid}_last_command",
        "name": "Last command",
        "icon": "mdi:console",
        "state_topic": topics.command_result,
        "value_template": "{{ value_json.outcome }}",
        "json_attributes_topic": topics.command_result,
    }
    payload = {
        "device": {
            "identifiers": [uid],
            "name": clean_text(snapshot.panel_name, 80) or info.name,
            "manufacturer": MANUFACTURERS.get(info.kind, info.kind),
            "model": f"alarmtui {info.kind} provider {info.name}",
        },
        "origin": {"name": "alarmtui", "sw_version": __version__},
        "availability": [{"topic": bridge_status}, {"topic": topics.availability}],
        "availability_mode": "all",
        "qos": 1,
        "components": components,
    }
    return Discovery(f"{prefix}/device/{uid}/config", payload, commands)


def state_messages(info: ProviderInfo, state: ProviderState, *, base: str) -> dict[str, str]:
    """Every retained state topic of one provider and its payload now."""
    topics = Topics(base, info.name)
    out = {topics.availability: ONLINE if available(state) else OFFLINE}
    snapshot = state.snapshot
    if snapshot is None:
        return out
    for partition in snapshot.partitions:
        root = topics.partition(partition.id)
        out[f"{root}/state"] = HA_STATES.get(partition.state, UNKNOWN_PAYLOAD)
        out[f"{root}/attributes"] = _json(
            {
                "partition": partition.id,
                "detail": clean_text(partition.detail, 200),
                "ready": partition.ready,
                "open_zones": [clean_text(z, 80) for z in partition.open_zones],
                "alarm_zones": [
                    clean_text(z, 80)
                    for z in (partition.alarm_zones or ((partition.alarm_zone,) if partition.alarm_zone else ()))
                ],
                "entry_delay": partition.entry_delay,
                "delay_until": partition.exit_delay_until.isoformat() if partition.exit_delay_until else None,
            }
        )
    for zone in snapshot.zones:
        attributes = _json({k: clean_text(v, 200) if isinstance(v, str) else v for k, v in zone_json(zone).items()})
        if zone.kind is ZoneKind.LOCK:
            root = topics.lock(zone.id)
            out[f"{root}/state"] = lock_payload(zone)
            out[f"{root}/attributes"] = attributes
        elif zone.kind is ZoneKind.CLIMATE:
            root = topics.climate(zone.id)
            for measure in ("temperature", "humidity"):
                value = getattr(zone, measure)
                if value is not None:
                    out[f"{root}/{measure}"] = f"{value:g}"
        else:
            root = topics.zone(zone.id)
            out[f"{root}/state"] = zone_payload(zone)
            out[f"{root}/attributes"] = attributes
    troubles = [
        {"id": clean_text(t.id, 80), "kind": t.kind.value, "text": clean_text(t.text, 200), "zone": clean_text(t.zone or "", 80)}
        for t in snapshot.troubles
    ]
    out[f"{topics.troubles}/state"] = str(len(troubles))
    out[f"{topics.troubles}/attributes"] = _json({"troubles": troubles})
    if state.events:
        event = state.events[0]
        out[f"{topics.event}/state"] = clean_text(event.text, 250) or event.kind.value
        out[f"{topics.event}/attributes"] = _json(
            {k: clean_text(v, 200) if isinstance(v, str) else v for k, v in event_json(event).items()}
        )
    return out


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
