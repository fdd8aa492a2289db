"""Home Assistant's MQTT discovery schema, as far as alarmtui uses it, written from HA's documentation and its
`homeassistant/components/mqtt/` platform schemas (alarm_control_panel, binary_sensor, sensor, lock, discovery).

`check_device_discovery(payload)` returns the problems Home Assistant would reject the message for (an empty list:
it would be accepted). Abbreviated keys are expanded first, as Home Assistant does.
"""

from __future__ import annotations

import re
from typing import Any

ABBREVIATIONS = {
    "p": "platform",
    "dev": "device",
    "o": "origin",
    "cmps": "components",
    "uniq_id": "unique_id",
    "stat_t": "state_topic",
    "cmd_t": "command_topic",
    "cmd_tpl": "command_template",
    "json_attr_t": "json_attributes_topic",
    "avty": "availability",
    "avty_mode": "availability_mode",
    "avty_t": "availability_topic",
    "dev_cla": "device_class",
    "stat_cla": "state_class",
    "unit_of_meas": "unit_of_measurement",
    "val_tpl": "value_template",
    "sup_feat": "supported_features",
}
DEVICE_ABBREVIATIONS = {"ids": "identifiers", "mf": "manufacturer", "mdl": "model", "sw": "sw_version", "name": "name"}
ORIGIN_ABBREVIATIONS = {"sw": "sw_version", "url": "support_url", "name": "name"}

BINARY_SENSOR_CLASSES = {
    "battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door", "garage_door", "gas", "heat",
    "light", "lock", "moisture", "motion", "moving", "occupancy", "opening", "plug", "power", "presence", "problem",
    "running", "safety", "smoke", "sound", "tamper", "update", "vibration", "window",
}  # fmt: skip
SENSOR_CLASSES = {"temperature", "humidity", "battery", "timestamp", "enum", "duration", "signal_strength"}
STATE_CLASSES = {"measurement", "total", "total_increasing", "measurement_angle"}
ALARM_FEATURES = {"arm_home", "arm_away", "arm_night", "arm_vacation", "arm_custom_bypass", "trigger"}
ALARM_STATES = {
    "disarmed", "armed_home", "armed_away", "armed_night", "armed_vacation", "armed_custom_bypass",
    "pending", "arming", "disarming", "triggered", "None",
}  # fmt: skip
AVAILABILITY_MODES = {"all", "any", "latest"}
COMMON_OPTIONAL = {
    "name", "unique_id", "object_id", "default_entity_id", "icon", "entity_category", "enabled_by_default",
    "availability", "availability_topic", "availability_mode", "availability_template", "payload_available",
    "payload_not_available", "json_attributes_topic", "json_attributes_template", "qos", "encoding", "entity_picture",
    "platform", "device", "origin",
}  # fmt: skip
PLATFORM_OPTIONS = {
    "alarm_control_panel": (
        {"state_topic", "command_topic"},
        {"code", "code_arm_required", "code_disarm_required", "code_trigger_required", "command_template",
         "payload_arm_away", "payload_arm_home", "payload_arm_night", "payload_arm_vacation", "payload_arm_custom_bypass",
         "payload_disarm", "payload_trigger", "retain", "supported_features", "value_template"},
    ),
    "binary_sensor": (
        {"state_topic"},
        {"device_class", "expire_after", "force_update", "off_delay", "payload_on", "payload_off", "value_template"},
    ),
    "sensor": (
        {"state_topic"},
        {"device_class", "expire_after", "force_update", "last_reset_value_template", "options", "state_class",
         "suggested_display_precision", "unit_of_measurement", "value_template"},
    ),
    "lock": (
        {"command_topic"},
        {"state_topic", "code_format", "command_template", "optimistic", "payload_lock", "payload_unlock", "payload_open",
         "payload_reset", "retain", "state_locked", "state_locking", "state_unlocked", "state_unlocking", "state_jammed",
         "state_open", "state_opening", "value_template"},
    ),
}  # fmt: skip


def valid_topic(topic: Any, *, subscribe: bool) -> bool:
    if not isinstance(topic, str) or not topic or len(topic.encode()) > 65535 or "\0" in topic:
        return False
    if not subscribe:
        return "+" not in topic and "#" not in topic
    return all(level in ("+", "#") or ("+" not in level and "#" not in level) for level in topic.split("/"))


def _expand(mapping: dict[str, Any], table: dict[str, str]) -> dict[str, Any]:
    return {table.get(key, key): value for key, value in mapping.items()}


def check_device_discovery(topic: str, payload: dict[str, Any], prefix: str) -> list[str]:
    problems: list[str] = []
    match = re.fullmatch(re.escape(prefix) + r"/device/([A-Za-z0-9_-]+)/config", topic)
    if match is None:
        problems.append(f"discovery topic {topic!r} is not {prefix}/device/<object_id>/config")
    payload = _expand(payload, ABBREVIATIONS)
    device = payload.get("device")
    origin = payload.get("origin")
    components = payload.get("components")
    if not isinstance(device, dict):
        problems.append("device-based discovery needs a device")
    else:
        device = _expand(device, DEVICE_ABBREVIATIONS)
        if not device.get("identifiers") and not device.get("connections"):
            problems.append("the device needs identifiers or connections")
    if not isinstance(origin, dict) or not isinstance(_expand(origin, ORIGIN_ABBREVIATIONS).get("name"), str):
        problems.append("device-based discovery needs an origin with a name")
    if not isinstance(components, dict) or not components:
        problems.append("device-based discovery needs components")
        return problems
    shared = {k: v for k, v in payload.items() if k not in ("device", "origin", "components")}
    for key, config in components.items():
        if not isinstance(config, dict):
            problems.append(f"{key}: not a mapping")
            continue
        problems.extend(f"{key}: {p}" for p in check_component({**shared, **_expand(config, ABBREVIATIONS)}))
    unique_ids = [c.get("unique_id") or c.get("uniq_id") for c in components.values() if isinstance(c, dict)]
    if len(unique_ids) != len(set(unique_ids)):
        problems.append("unique_id repeated")
    return problems


def check_component(config: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    platform = config.get("platform")
    if platform not in PLATFORM_OPTIONS:
        return [f"platform {platform!r} is missing or not one alarmtui should use"]
    required, optional = PLATFORM_OPTIONS[platform]
    if not config.get("unique_id"):
        problems.append("device-based discovery needs a unique_id per component")
    for key in required:
        if key not in config:
            problems.append(f"required {key} missing")
    for key in config:
        if key not in required | optional | COMMON_OPTIONAL:
            problems.append(f"{platform} has no option {key!r}")
    for key in ("state_topic", "json_attributes_topic"):
        if key in config and not valid_topic(config[key], subscribe=True):
            problems.append(f"{key} {config[key]!r} is not a valid subscribe topic")
    if "command_topic" in config and not valid_topic(config["command_topic"], subscribe=False):
        problems.append(f"command_topic {config['command_topic']!r} is not a valid publish topic")
    for entry in config.get("availability", []):
        if not isinstance(entry, dict) or not valid_topic(entry.get("topic"), subscribe=True):
            problems.append(f"availability entry {entry!r} has no valid topic")
    if config.get("availability_mode", "latest") not in AVAILABILITY_MODES:
        problems.append("availability_mode must be all, any or latest")
    if "qos" in config and config["qos"] not in (0, 1, 2):
        problems.append("qos must be 0, 1 or 2")
    for key in ("code_arm_required", "code_disarm_required", "code_trigger_required", "retain", "optimistic", "force_update"):
        if key in config and not isinstance(config[key], bool):
            problems.append(f"{key} must be a boolean")
    if platform == "alarm_control_panel":
        features = config.get("supported_features", [])
        if not isinstance(features, list) or not set(features) <= ALARM_FEATURES:
            problems.append(f"supported_features {features!r} not within {sorted(ALARM_FEATURES)}")
        if "code" in config and not isinstance(config["code"], str):
            problems.append("code must be a string (REMOTE_CODE, REMOTE_CODE_TEXT or a code)")
    if platform == "binary_sensor" and "device_class" in config and config["device_class"] not in BINARY_SENSOR_CLASSES:
        problems.append(f"binary_sensor device_class {config['device_class']!r} unknown")
    if platform == "sensor":
        if "device_class" in config and config["device_class"] not in SENSOR_CLASSES:
            problems.append(f"sensor device_class {config['device_class']!r} unknown to this check")
        if "state_class" in config and config["state_class"] not in STATE_CLASSES:
            problems.append(f"sensor state_class {config['state_class']!r} unknown")
    if platform == "lock" and "code_format" in config:
        try:
            re.compile(config["code_format"])
        except (re.error, TypeError):
            problems.append("lock code_format must be a regular expression")
    return problems
