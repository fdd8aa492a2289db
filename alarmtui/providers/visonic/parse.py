"""Visonic PowerManage REST wire parsers (shared/protocols/visonic.md).

Every parser takes decoded JSON and returns small records or domain objects,
raising `ProtocolError` (and only that: `guarded` turns any other slip into
one) for anything that does not fit. Device numbers repeat across device types
on real panels (ZONE 1, KEYFOB 1, PGM 1): a zone's id is `TYPE-NUMBER`
("ZONE-1"), unique and stable per panel (`zone_id`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from alarmtui.domain import Event, EventKind, Trouble, TroubleKind, User, Zone, ZoneKind
from alarmtui.domain.text import clean_text  # cuts a huge field before cleaning it
from alarmtui.providers.errors import ProtocolError, ProviderError
from alarmtui.providers.http import decode_json as _decode_json
from alarmtui.providers.http import decode_json_async
from alarmtui.providers.wire import as_bool, require_list, require_mapping

NEWEST_SUPPORTED = 14.0
OLDEST_SUPPORTED = 9.0
WHOLE_PANEL = "-1"

T = TypeVar("T")


def zone_id(device_type: str, number: str) -> str:
    """The unique, stable id of a device: its type and number ("ZONE-1", "KEYFOB-1")."""
    return f"{(device_type or 'ZONE').upper()}-{number}"


def split_zone_id(value: str) -> tuple[str, str]:
    """("ZONE", "1") from "ZONE-1"; a bare number is a ZONE's."""
    kind, sep, number = value.rpartition("-")
    if sep and kind and number:
        return kind.upper(), number
    return "ZONE", value


# --------------------------------------------------------------------------- parsing helpers
# Every parser takes decoded JSON and returns domain objects, raising ProtocolError
# (and only ProtocolError) for anything that does not fit.


def _opt_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _opt_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    """Server text as clean one-line text; numbers are fine, structures are not text."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return clean_text(value)
    return ""


def _ident(value: Any, what: str) -> str:
    """An id (int or string) as a string."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ProtocolError(f"bad {what}: {type(value).__name__}")
    text = clean_text(value, limit=64)
    if not text:
        raise ProtocolError(f"empty {what}")
    return text


def _flag(value: Any) -> bool:
    return value is True


def _loose_flag(value: Any, what: str) -> bool:
    """A boolean some replies send as a string ("true") or a number (1): the one accessor, `wire.as_bool`
    (absent → False; anything that is not a boolean in any spelling → ProtocolError)."""
    return bool(as_bool(value, what, default=False))


def _partition_list(value: Any) -> tuple[str, ...]:
    return tuple(clean_text(p, limit=16) for p in _opt_list(value) if isinstance(p, int | str) and not isinstance(p, bool))


def _timestamp(value: Any) -> datetime | None:
    """PowerManage times are "YYYY-MM-DD HH:MM:SS" in UTC (the library adds the local offset itself)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.strptime(value.strip()[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def guarded(parse: Callable[..., T]) -> Callable[..., T]:
    """Make a parser turn any slip on malformed data into ProtocolError."""

    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return parse(*args, **kwargs)
        except ProviderError:
            raise
        except Exception as exc:  # noqa: BLE001  (any slip on malformed data means "not our protocol")
            raise ProtocolError(f"unexpected reply ({parse.__name__}): {type(exc).__name__}") from None

    wrapper.__name__ = parse.__name__
    wrapper.__doc__ = parse.__doc__
    return wrapper


def decode_json(content: bytes, what: str) -> Any:
    """Decode a (small) reply body on the loop; any failure at all is a ProtocolError (see `http.decode_json`)."""
    return _decode_json(content, what=what)


async def decode_reply(content: bytes, what: str, *, provider: str = "") -> Any:
    """Decode a reply body as the client does: off the event loop when it is large (`http.decode_json_async`),
    so a 16 MB reply never freezes the views; a tree too big to map is refused there as `TooManyRecords`."""
    return await decode_json_async(content, what=what, provider=provider)


OFF_LOOP_RECORDS = 200
"""A reply listing more records than this is mapped in a worker thread: 2,000 events take ~100 ms of Python."""


async def parse_off_loop(parse: Callable[[Any], T], data: Any) -> T:
    """`parse(data)`, in a worker thread when `data` is a long list, so mapping it never stalls the loop."""
    if isinstance(data, list) and len(data) > OFF_LOOP_RECORDS:
        return await asyncio.to_thread(parse, data)
    return parse(data)


@guarded
def parse_versions(data: Any) -> list[str]:
    versions = require_list(require_mapping(data, "the version list").get("rest_versions"), "rest_versions")
    result = []
    for v in versions:
        if isinstance(v, str | int | float) and not isinstance(v, bool):
            text = clean_text(v, limit=16)
            try:
                float(text)
            except ValueError:
                continue
            result.append(text)
    return result


def choose_version(offered: list[str], forced: str | None) -> str:
    """The newest offered version we know the payloads of (9.0-14.0), as real clients pick; or the forced one."""
    if forced:
        if forced not in offered:
            raise ProtocolError(
                f"the server does not offer REST version {forced}; it offers {', '.join(offered) or 'none'}",
                hint="Remove rest_version from the config to negotiate automatically.",
            )
        return forced
    known = [v for v in offered if OLDEST_SUPPORTED <= float(v) <= NEWEST_SUPPORTED]
    if not known:
        raise ProtocolError(f"the server offers only REST versions {', '.join(offered) or 'none'}; alarmtui speaks 9.0 to 14.0")
    return max(known, key=float)


@guarded
def parse_token(data: Any, key: str) -> str:
    token = require_mapping(data, "the login reply").get(key)
    if not isinstance(token, str) or not token.strip() or len(token) > 512:
        raise ProtocolError(f"the login reply has no {key}")
    return token.strip()


@dataclass(frozen=True)
class PanelFacts:
    """What connect() learns once: names, delays and what this panel can do."""

    serial: str
    model: str
    partitions_enabled: bool
    partition_names: dict[str, str]
    exit_delay: dict[str, float]
    can_set_state: bool
    siren_on: bool
    siren_off: bool
    bypass: bool
    events: bool
    video: bool


@guarded
def parse_panel_facts(panel_info: Any, feature_set: Any) -> PanelFacts:
    info = require_mapping(panel_info, "panel_info")
    features = require_mapping(feature_set, "feature_set")
    partitions_feature = _opt_dict(features.get("partitions"))
    names: dict[str, str] = {}
    delays: dict[str, float] = {}
    for item in _opt_list(info.get("partitions")):
        if not isinstance(item, dict) or isinstance(item.get("id"), bool) or not isinstance(item.get("id"), int | str):
            continue
        pid = clean_text(item["id"], limit=16)
        name = _text(item.get("name"))
        if name:
            names[pid] = name
        delay = item.get("exit_delay_time")
        if isinstance(delay, int | float) and not isinstance(delay, bool) and 0 <= delay < 86400:
            delays[pid] = float(delay)
    info_features = _opt_dict(info.get("features"))
    sirens = _opt_dict(features.get("sirens"))
    state = _opt_dict(features.get("state"))
    events = _opt_dict(features.get("events"))
    bypass_mode = _text(info.get("bypass_mode")).lower()
    return PanelFacts(
        serial=_text(info.get("serial")),
        model=_text(info.get("model")),
        partitions_enabled=_flag(partitions_feature.get("is_enabled")),
        partition_names=names,
        exit_delay=delays,
        can_set_state=state.get("can_set", True) is not False,
        siren_on=_flag(sirens.get("can_enable")) or _flag(info_features.get("enabling_siren")),
        siren_off=_flag(sirens.get("can_disable")) or _flag(info_features.get("disabling_siren")),
        bypass=bypass_mode not in ("no_bypass", "disabled", "none"),
        events=events.get("is_enabled", True) is not False,
        video=_flag(info_features.get("video_on_demand")),
    )


@dataclass(frozen=True)
class RawPartition:
    id: str
    state: str
    status: str
    ready: bool | None


@dataclass(frozen=True)
class RawStatus:
    connected: bool
    """The top-level `connected` flag: false for ~90 s at every routine check-in gap (§9.2)."""
    partitions: tuple[RawPartition, ...]
    detail: str
    """The link states in the reply's own words ("connected: false; bba online, gprs not connected")."""
    reachable: bool = True
    """The panel's link is up: `connected`, or any transport's `state` "online". False only when
    every transport that reports a state says it is not online (a real outage)."""


@guarded
def parse_status(data: Any) -> RawStatus:
    status = require_mapping(data, "status")
    partitions = []
    for item in require_list(status.get("partitions"), "status.partitions", cap="partitions"):
        part = require_mapping(item, "a partition")
        partitions.append(
            RawPartition(
                id=_ident(part.get("id"), "partition id"),
                state=_text(part.get("state")).upper(),
                status=_text(part.get("status")).upper(),
                ready=as_bool(part.get("ready"), "partition ready", default=None),
            )
        )
    connected = _loose_flag(status.get("connected"), "status.connected")
    connected_status = _opt_dict(status.get("connected_status"))
    links = []
    states = []
    for name, value in connected_status.items():
        link = _opt_dict(value)
        if not link:
            continue
        state = _text(link.get("state")).lower()
        link_up = _loose_flag(link.get("is_connected"), f"status.connected_status.{clean_text(name, limit=16)}.is_connected")
        if state:
            states.append(state)
            links.append(f"{clean_text(name, limit=16)} {state}")
        else:
            states.append("online" if link_up else "")
            links.append(f"{clean_text(name, limit=16)} {'connected' if link_up else 'not connected'}")
    # §9.2: reachable while any transport's state is online; a real outage has every state offline.
    reachable = connected or "online" in states
    detail = ", ".join(links)
    if not connected:
        detail = f"connected: false; {detail}" if detail else "connected: false"
    return RawStatus(connected=connected, partitions=tuple(partitions), detail=detail, reachable=reachable)


_ZONE_KINDS = {
    "CONTACT": ZoneKind.CONTACT,
    "CONTACT_V": ZoneKind.CONTACT,
    "CONTACT_AUX": ZoneKind.CONTACT,
    "MC303_VANISH": ZoneKind.CONTACT,
    "MOTION_CAMERA": ZoneKind.CAMERA,
    "MOTION": ZoneKind.MOTION,
    "FLAT_PIR_SMART": ZoneKind.MOTION,
    "CURTAIN": ZoneKind.MOTION,
    "MOTION_DUAL": ZoneKind.MOTION,
    "SMOKE": ZoneKind.SMOKE,
    "SMOKE_HEAT": ZoneKind.SMOKE,
    "HEAT": ZoneKind.SMOKE,
    "FLOOD": ZoneKind.WATER,
    "BASIC_KEYFOB": ZoneKind.KEYFOB,
    "KEYFOB_ARM_LED": ZoneKind.KEYFOB,
    "KEYPAD": ZoneKind.KEYPAD,
    "PROXIMITY_KEYPAD": ZoneKind.KEYPAD,
    "LCD_KEYPAD": ZoneKind.KEYPAD,
    "LCD_PRG_KEYPAD": ZoneKind.KEYPAD,
    "KEYPAD_ARM_LED": ZoneKind.KEYPAD,
    "WL_SIREN": ZoneKind.SIREN,
}
_DEVICE_TYPE_KINDS = {
    "GSM": ZoneKind.GSM,
    "PGM": ZoneKind.OUTPUT,
    "KEYFOB": ZoneKind.KEYFOB,
    "KEYPAD": ZoneKind.KEYPAD,
    "WIRELESS_COMMANDER": ZoneKind.KEYPAD,  # 14.0: keypads (PROXIMITY_KEYPAD, LCD_KEYPAD) are commanders
    "SIREN": ZoneKind.SIREN,
    "WL_SIREN": ZoneKind.SIREN,
}
_NOT_ZONES = frozenset({"CONTROL_PANEL", "POWER_LINK"})


@guarded
def parse_devices(data: Any) -> tuple[Zone, ...]:
    zones = []
    for item in require_list(data, "devices", cap="zones"):
        device = require_mapping(item, "a device")
        device_type = _text(device.get("device_type")).upper()
        if device_type in _NOT_ZONES:
            continue
        number = _ident(device.get("device_number"), "device_number")
        subtype = _text(device.get("subtype")).upper()
        traits = _opt_dict(device.get("traits"))
        warning_types = {_text(w.get("type")).upper() for w in _opt_list(device.get("warnings")) if isinstance(w, dict)}
        location = _text(_opt_dict(traits.get("location")).get("name"))
        name = _text(device.get("name")) or location or f"{device_type.replace('_', ' ').capitalize() or 'Zone'} {number}"
        kind = _ZONE_KINDS.get(subtype) or _DEVICE_TYPE_KINDS.get(device_type) or ZoneKind.OTHER
        is_zone = device_type == "ZONE"
        opened = "OPENED" in warning_types
        # The cloud never reports live motion, so only contacts have a meaningful "closed".
        if opened:
            open_state: bool | None = True
        elif is_zone and kind in (ZoneKind.CONTACT, ZoneKind.WATER) and traits:
            open_state = False
        else:
            open_state = None
        zones.append(
            Zone(
                id=zone_id(device_type, number),
                name=name,
                kind=kind,
                open=open_state,
                bypassed=_flag(_opt_dict(traits.get("bypass")).get("enabled")),
                battery_low="LOW_BATTERY" in warning_types,
                tamper="TAMPER" in warning_types or "TAMPER_ALERT" in warning_types,
                camera=subtype == "MOTION_CAMERA",
                partitions=_partition_list(device.get("partitions")),
                detail=" ".join(x for x in (subtype.lower().replace("_", " "), _text(device.get("enrollment_id"))) if x),
            )
        )
    return tuple(zones)


IN_MEMORY = "ALARM_IN_MEMORY"


@dataclass(frozen=True)
class RawAlarm:
    partitions: tuple[str, ...]
    zone_name: str
    alarm_type: str
    time: datetime | None
    zone: str | None = None
    """The device's zone id ("ZONE-2"), when the entry names one."""

    @property
    def in_memory(self) -> bool:
        """ALARM_IN_MEMORY: a live alarm on an armed partition, a past one on a disarmed one (§9.1)."""
        return self.alarm_type == IN_MEMORY


@guarded
def parse_alarms(data: Any) -> tuple[RawAlarm, ...]:
    """Every /alarms entry, ALARM_IN_MEMORY included (mapping decides what it means for a partition)."""
    alarms = []
    for item in require_list(data, "alarms", cap="zones"):
        alarm = require_mapping(item, "an alarm")
        alarm_type = _text(alarm.get("alarm_type")).upper()
        zone = alarm.get("zone")
        number = clean_text(zone, limit=16) if isinstance(zone, int | str) and not isinstance(zone, bool) else ""
        device_type = _text(alarm.get("device_type")).upper() or "ZONE"
        alarms.append(
            RawAlarm(
                partitions=_partition_list(alarm.get("partitions")),
                zone_name=_text(alarm.get("zone_name")) or _text(alarm.get("location")),
                alarm_type=alarm_type,
                time=_timestamp(alarm.get("datetime")),
                zone=zone_id(device_type, number) if number and device_type not in _NOT_ZONES else None,
            )
        )
    return tuple(alarms)


_TROUBLE_KINDS = {
    "LOW_BATTERY": TroubleKind.LOW_BATTERY,
    "TAMPER": TroubleKind.TAMPER,
    "TAMPER_ALERT": TroubleKind.TAMPER,
    "AC_FAILURE": TroubleKind.POWER,
    "AC_LOSS": TroubleKind.POWER,
    "INACTIVE": TroubleKind.COMMUNICATION,
    "1_WAY": TroubleKind.COMMUNICATION,
    "COMMUNICATION_FAILURE": TroubleKind.COMMUNICATION,
    "GSM_FAILURE": TroubleKind.COMMUNICATION,
    "JAMMING": TroubleKind.JAMMING,
    "RF_JAMMING": TroubleKind.JAMMING,
}


@guarded
def parse_troubles(data: Any) -> tuple[Trouble, ...]:
    troubles = []
    for index, item in enumerate(require_list(data, "troubles", cap="troubles")):
        trouble = require_mapping(item, "a trouble")
        trouble_type = _text(trouble.get("trouble_type")).upper()
        if trouble_type == "OPENED":  # an open door is a zone state, shown with the zones
            continue
        zone = trouble.get("zone")
        number = clean_text(zone, limit=16) if isinstance(zone, int | str) and not isinstance(zone, bool) else ""
        device_kind = _text(trouble.get("device_type")).upper() or "ZONE"
        trouble_zone = zone_id(device_kind, number) if number else None
        where = (
            _text(trouble.get("zone_name"))
            or _text(trouble.get("location"))
            or _text(trouble.get("device_type")).replace("_", " ").lower()
        )
        label = trouble_type.replace("_", " ").capitalize() or "Trouble"
        troubles.append(
            Trouble(
                id=f"{trouble_type}:{trouble_zone or _text(trouble.get('device_type'))}:{index}",
                kind=_TROUBLE_KINDS.get(trouble_type, TroubleKind.OTHER),
                text=f"{label}: {where}" if where else label,
                zone=trouble_zone,
            )
        )
    return tuple(troubles)


@guarded
def parse_users(data: Any) -> tuple[User, ...]:
    body = require_mapping(data, "users")
    users = []
    for item in require_list(body.get("users"), "users.users", cap="users"):
        user = require_mapping(item, "a user")
        uid = _ident(user.get("id"), "user id")
        name = _text(user.get("name")) or f"User {uid}"
        users.append(User(id=uid, name=name, role=_text(user.get("role")), detail=_text(user.get("email"))))
    return tuple(users)


@dataclass(frozen=True)
class RawCamera:
    zone: str
    name: str
    status: str
    preview_path: str
    frames: int
    time: datetime | None


@guarded
def parse_cameras(data: Any) -> tuple[RawCamera, ...]:
    cameras = []
    for item in require_list(data, "cameras", cap="zones"):
        camera = require_mapping(item, "a camera")
        path = camera.get("preview_path")
        frames = camera.get("preview_frames", 1)
        cameras.append(
            RawCamera(
                zone=zone_id("ZONE", _ident(camera.get("zone"), "camera zone")),
                name=_text(camera.get("zone_name")) or _text(camera.get("location")),
                status=_text(camera.get("status")).upper(),
                preview_path=path if isinstance(path, str) and path.startswith("/") and len(path) < 1024 else "",
                frames=frames if isinstance(frames, int) and not isinstance(frames, bool) and 1 <= frames <= 20 else 1,
                time=_timestamp(camera.get("timestamp")),
            )
        )
    return tuple(cameras)


_ARM_LABELS = frozenset({"ARM", "ARM_HOME", "ARM_AWAY", "ARMED"})
_DISARM_LABELS = frozenset({"DISARM", "DISARMED"})
_ALARM_LABELS = frozenset({"BURGLER", "BURGLARY", "ALARM", "FIRE", "PANIC", "EMERGENCY", "INTRUDER", "DURESS", "GAS", "FLOOD"})
_TROUBLE_LABELS = frozenset(
    {"TROUBLE", "RESTORE", "TAMPER", "LOW_BATTERY", "AC_FAILURE", "AC_RESTORE", "INACTIVE", "JAMMING", "FAILED_TO_ARM"}
)
_ZONE_LABELS = frozenset({"OPENED", "CLOSED", "BYPASS"})


def _event_kind(label: str, video: bool) -> EventKind:
    if video:
        return EventKind.PHOTO
    if label == "ENTRY_DELAY":
        return EventKind.ENTRY_DELAY  # its own event: never an alarm by itself
    if label in _ARM_LABELS:
        return EventKind.ARM
    if label in _DISARM_LABELS:
        return EventKind.DISARM
    if label in _ALARM_LABELS:
        return EventKind.ALARM
    if label in _TROUBLE_LABELS:
        return EventKind.TROUBLE
    if label in _ZONE_LABELS:
        return EventKind.ZONE
    return EventKind.SYSTEM


@guarded
def parse_events(data: Any) -> list[Event]:
    """Events newest first (the cloud sends them oldest first)."""
    events = []
    for item in require_list(data, "events", cap="events"):
        raw = require_mapping(item, "an event")
        event_id = _ident(raw.get("event"), "event id")
        when = _timestamp(raw.get("datetime")) or datetime.fromtimestamp(0, UTC)
        label = _text(raw.get("label")).upper()
        video = raw.get("video") is True
        description = _text(raw.get("description")) or label.replace("_", " ").capitalize()
        device_type = _text(raw.get("device_type")).upper()
        appointment = _text(raw.get("appointment"))
        zone_name = _text(raw.get("zone_name")) or _text(raw.get("name"))  # 10.0+ dropped `name`
        who = appointment if device_type == "USER" else ""
        zone = "" if device_type == "USER" else (zone_name or appointment)
        parts = _partition_list(raw.get("partitions"))
        photo_ref = ""
        path = raw.get("preview_path")
        if video and isinstance(path, str) and path.startswith("/") and len(path) < 1024:
            frames = raw.get("preview_frames", 1)
            frames = frames if isinstance(frames, int) and not isinstance(frames, bool) and 1 <= frames <= 20 else 1
            photo_ref = f"{frames}|{path}"
        events.append(
            Event(
                id=event_id,
                time=when,
                kind=_event_kind(label, video),
                text=description,
                who=who,
                zone=zone,
                partition=",".join(parts),
                photo_ref=photo_ref,
            )
        )
    events.reverse()  # oldest first on the wire; a stable sort keeps that order among equal times
    events.sort(key=lambda e: e.time, reverse=True)
    return events


@dataclass(frozen=True)
class ProcessState:
    status: str
    message: str
    error: str = ""
    """The vendor's error word for a failed process (e.g. "not_ready"), "" if none."""


@guarded
def parse_process(data: Any, token: str) -> ProcessState:
    items = require_list(data, "process_status")
    for item in items:
        process = require_mapping(item, "a process")
        if process.get("token") in (token, None) or len(items) == 1:
            message = _text(process.get("message")) or _text(process.get("error"))
            return ProcessState(_text(process.get("status")).lower(), message, _text(process.get("error")).lower())
    raise ProtocolError("process_status did not mention our process")
