"""Visonic PowerManage REST (the cloud behind PowerMaster panels and the Visonic-Go app).

Wire protocol: `shared/protocols/visonic.md`. The flow is

1. `GET /rest_api/version` (no auth) and pick a REST version: 9.0 when offered,
   else the newest of 10.0-14.0 (or the configured `rest_version`);
2. `POST /auth {email, password, app_id}` -> user token;
3. `POST /panel/login {user_code, app_type, app_id, panel_serial}` -> session token
   (the user code is the panel code from the config: Visonic needs it to log in);
4. reads with both tokens; commands return a process token that is polled on
   `/process_status?process_tokens=` until handled/succeeded/failed.

Errors are mapped from the HTTP status and the JSON body (`error`,
`error_reason_code`, `extras`), never from the reason phrase. An expired session
(440, 401, 403/10002, or a 400 naming the session token) triggers one transparent
re-login; reads are then retried once, commands never are.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from alarmtui.domain import (
    ArmMode,
    Capability,
    CommandPhase,
    CommandResult,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Photo,
    Snapshot,
    Trouble,
    TroubleKind,
    User,
    Zone,
    ZoneKind,
)
from alarmtui.domain.text import clean_text
from alarmtui.providers.base import (
    AuthenticationFailed,
    CommandRejected,
    CommandTimer,
    ConnectionFailed,
    NotSupported,
    PanelBusy,
    PanelOffline,
    ProgressCallback,
    ProtocolError,
    Provider,
    ProviderError,
    RateLimited,
    SessionExpired,
    WrongCode,
    build_http_client,
    translate_errors,
)
from alarmtui.redaction import register_secrets
from alarmtui.settings import VisonicConfig

log = logging.getLogger(__name__)

APP_TYPE = "com.visonic.powermaxapp"
USER_AGENT = "Dart/2.10 (dart:io)"
PREFERRED_VERSION = "9.0"
NEWEST_SUPPORTED = 14.0
OLDEST_SUPPORTED = 9.0
MAX_PHOTO_BYTES = 5_000_000
WHOLE_PANEL = "-1"

T = TypeVar("T")


class CommandMaybeSent(ConnectionFailed):
    """The connection broke after a command may have reached the cloud: its outcome is unknown."""


class WrongUserCode(AuthenticationFailed, WrongCode):
    """The panel refused the user code at panel login: both an authentication failure and a wrong code."""

    hint = "Check the user code (code = ...) for this provider; Visonic needs it to log in to the panel."


# --------------------------------------------------------------------------- parsing helpers
# Every parser takes decoded JSON and returns domain objects, raising ProtocolError
# (and only ProtocolError) for anything that does not fit.


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"expected an object for {what}, got {type(value).__name__}")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProtocolError(f"expected a list for {what}, got {type(value).__name__}")
    return value


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
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError, OverflowError) as exc:
            raise ProtocolError(f"unexpected reply ({parse.__name__}): {type(exc).__name__}") from None

    wrapper.__name__ = parse.__name__
    wrapper.__doc__ = parse.__doc__
    return wrapper


def decode_json(content: bytes, what: str) -> Any:
    """Decode a reply body; anything that is not JSON is a ProtocolError."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"reply to {what} is not JSON ({type(exc).__name__})") from None


@guarded
def parse_versions(data: Any) -> list[str]:
    versions = _list(_dict(data, "the version list").get("rest_versions"), "rest_versions")
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
    """9.0 when offered; else the newest of 10.0-14.0 (what we know the payloads of)."""
    if forced:
        if forced not in offered:
            raise ProtocolError(
                f"the server does not offer REST version {forced}; it offers {', '.join(offered) or 'none'}",
                hint="Remove rest_version from the config to negotiate automatically.",
            )
        return forced
    if PREFERRED_VERSION in offered:
        return PREFERRED_VERSION
    known = [v for v in offered if OLDEST_SUPPORTED <= float(v) <= NEWEST_SUPPORTED]
    if not known:
        raise ProtocolError(f"the server offers only REST versions {', '.join(offered) or 'none'}; alarmtui speaks 9.0 to 14.0")
    return max(known, key=float)


@guarded
def parse_token(data: Any, key: str) -> str:
    token = _dict(data, "the login reply").get(key)
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
    info = _dict(panel_info, "panel_info")
    features = _dict(feature_set, "feature_set")
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
    partitions: tuple[RawPartition, ...]
    detail: str


@guarded
def parse_status(data: Any) -> RawStatus:
    status = _dict(data, "status")
    partitions = []
    for item in _list(status.get("partitions"), "status.partitions"):
        part = _dict(item, "a partition")
        ready = part.get("ready")
        partitions.append(
            RawPartition(
                id=_ident(part.get("id"), "partition id"),
                state=_text(part.get("state")).upper(),
                status=_text(part.get("status")).upper(),
                ready=ready if isinstance(ready, bool) else None,
            )
        )
    connected_status = _opt_dict(status.get("connected_status"))
    links = []
    for name in ("bba", "gprs"):
        link = _opt_dict(connected_status.get(name))
        if link:
            links.append(f"{name} {'up' if link.get('is_connected') is True else 'down'}")
    return RawStatus(connected=_flag(status.get("connected")), partitions=tuple(partitions), detail=", ".join(links))


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
    "WL_SIREN": ZoneKind.SIREN,
}
_DEVICE_TYPE_KINDS = {
    "GSM": ZoneKind.GSM,
    "PGM": ZoneKind.OUTPUT,
    "KEYFOB": ZoneKind.KEYFOB,
    "KEYPAD": ZoneKind.KEYPAD,
    "SIREN": ZoneKind.SIREN,
    "WL_SIREN": ZoneKind.SIREN,
}
_NOT_ZONES = frozenset({"CONTROL_PANEL", "POWER_LINK"})


@guarded
def parse_devices(data: Any) -> tuple[Zone, ...]:
    zones = []
    for item in _list(data, "devices"):
        device = _dict(item, "a device")
        device_type = _text(device.get("device_type")).upper()
        if device_type in _NOT_ZONES:
            continue
        number = _ident(device.get("device_number"), "device_number")
        subtype = _text(device.get("subtype")).upper()
        traits = _opt_dict(device.get("traits"))
        warning_types = {
            _text(w.get("type")).upper() for w in _opt_list(device.get("warnings")) if isinstance(w, dict)
        }
        location = _text(_opt_dict(traits.get("location")).get("name"))
        name = _text(device.get("name")) or location or f"Zone {number}"
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
                id=number,
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


@dataclass(frozen=True)
class RawAlarm:
    partitions: tuple[str, ...]
    zone_name: str
    alarm_type: str
    time: datetime | None


@guarded
def parse_alarms(data: Any) -> tuple[RawAlarm, ...]:
    alarms = []
    for item in _list(data, "alarms"):
        alarm = _dict(item, "an alarm")
        alarm_type = _text(alarm.get("alarm_type")).upper()
        if alarm_type == "ALARM_IN_MEMORY":  # history, not a live alarm
            continue
        alarms.append(
            RawAlarm(
                partitions=_partition_list(alarm.get("partitions")),
                zone_name=_text(alarm.get("zone_name")) or _text(alarm.get("location")),
                alarm_type=alarm_type,
                time=_timestamp(alarm.get("datetime")),
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
    for index, item in enumerate(_list(data, "troubles")):
        trouble = _dict(item, "a trouble")
        trouble_type = _text(trouble.get("trouble_type")).upper()
        if trouble_type == "OPENED":  # an open door is a zone state, shown with the zones
            continue
        zone = trouble.get("zone")
        zone_id = clean_text(zone, limit=16) if isinstance(zone, int | str) and not isinstance(zone, bool) else None
        where = _text(trouble.get("zone_name")) or _text(trouble.get("location")) or _text(trouble.get("device_type")).replace("_", " ").lower()
        label = trouble_type.replace("_", " ").capitalize() or "Trouble"
        troubles.append(
            Trouble(
                id=f"{trouble_type}:{zone_id or _text(trouble.get('device_type'))}:{index}",
                kind=_TROUBLE_KINDS.get(trouble_type, TroubleKind.OTHER),
                text=f"{label}: {where}" if where else label,
                zone=zone_id or None,
            )
        )
    return tuple(troubles)


@guarded
def parse_users(data: Any) -> tuple[User, ...]:
    body = _dict(data, "users")
    users = []
    for item in _list(body.get("users"), "users.users"):
        user = _dict(item, "a user")
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
    for item in _list(data, "cameras"):
        camera = _dict(item, "a camera")
        path = camera.get("preview_path")
        frames = camera.get("preview_frames", 1)
        cameras.append(
            RawCamera(
                zone=_ident(camera.get("zone"), "camera zone"),
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
_ZONE_LABELS = frozenset({"OPENED", "CLOSED", "BYPASS", "ENTRY_DELAY"})


def _event_kind(label: str, video: bool) -> EventKind:
    if video:
        return EventKind.PHOTO
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
    for item in _list(data, "events"):
        raw = _dict(item, "an event")
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


@guarded
def parse_process(data: Any, token: str) -> ProcessState:
    items = _list(data, "process_status")
    for item in items:
        process = _dict(item, "a process")
        if process.get("token") in (token, None) or len(items) == 1:
            message = _text(process.get("message")) or _text(process.get("error"))
            return ProcessState(_text(process.get("status")).lower(), message)
    raise ProtocolError("process_status did not mention our process")


# --------------------------------------------------------------------------- error mapping


def error_for_response(status: int, body: Any, *, what: str, command: bool, provider: str) -> ProviderError:
    """Map an error reply to the provider error tree from its status code and JSON body."""
    info = body if isinstance(body, dict) else {}
    code = info.get("error")
    reason_code = _text(info.get("error_reason_code"))
    vendor_message = _text(info.get("error_message"))
    extras = [e for e in _opt_list(info.get("extras")) if isinstance(e, dict)]
    pairs = [(_text(e.get("key")), e.get("value")) for e in extras]
    vendor = str(code) if isinstance(code, int | str) and not isinstance(code, bool) else (reason_code or None)
    said = f": {vendor_message}" if vendor_message else ""
    kwargs: dict[str, Any] = {"provider": provider, "vendor_code": vendor}

    if status >= 500:
        return ConnectionFailed(f"the PowerManage server failed while {what} (HTTP {status}){said}", **kwargs)
    if status == 440 or (status == 403 and code == 10002):
        return SessionExpired(f"the session is no longer valid (HTTP {status}){said}", **kwargs)
    if status == 401:
        return SessionExpired(f"the user token was refused (HTTP 401){said}", **kwargs)
    if status == 400 and "session token" in vendor_message.lower():
        return SessionExpired(f"the session token was not recognised{said}", **kwargs)
    if status == 420 or code == 10020:
        retry = next(
            (float(v) for k, v in pairs if k == "timeout" and isinstance(v, int | float) and not isinstance(v, bool)), None
        )
        wait = f" for {retry:.0f} s" if retry is not None else ""
        return RateLimited(f"login is temporarily blocked{wait} after too many failed attempts", retry_after=retry, **kwargs)
    if status == 442:
        return RateLimited(f"login attempts limit reached{said}", **kwargs)
    if status == 444:
        return WrongCode(f"wrong user code{said}", **kwargs)
    if status == 429:
        return RateLimited(f"too many requests{said}", **kwargs)
    if status == 403:
        if code == 10010:
            return NotSupported(f"the panel does not allow this{said}", **kwargs)
        return CommandRejected(f"refused (HTTP 403){said}", **kwargs) if command else AuthenticationFailed(
            f"access refused while {what}{said}", **kwargs
        )
    if status == 400:
        if reason_code == "PanelNotConnected" or "not connected" in vendor_message.lower():
            return PanelOffline(f"the panel is not connected to the PowerManage cloud{said}", **kwargs)
        if code == 10004:
            if any(k in ("panel_serial", "master_user_code") for k, _ in pairs):
                return AuthenticationFailed("wrong panel serial or master user code", **kwargs)
            return AuthenticationFailed("wrong email or password", **kwargs)
        if code == 10021:
            return WrongUserCode("the panel refused the user code", **kwargs)
        if code == 10001:
            for key, value in pairs:
                if key == "panel_serial" and value == "incorrect":
                    return AuthenticationFailed(
                        "the panel serial is not known to this account", hint="Check panel_serial in the config.", **kwargs
                    )
                if key == "user_code":
                    return WrongUserCode(f"the user code was refused ({_text(value) or 'invalid'})", **kwargs)
                if value == "required" and key in ("email", "password", "app_id", "panel_serial"):
                    return AuthenticationFailed(f"the server asked for {key}", **kwargs)
        if "busy" in vendor_message.lower():
            return PanelBusy(f"the panel is busy{said}", **kwargs)
        detail = ", ".join(f"{k}={_text(v)}" for k, v in pairs if k)
        message = f"refused while {what}{said}{' (' + detail + ')' if detail else ''}"
        return CommandRejected(message, **kwargs) if command else ProtocolError(message, **kwargs)
    if status == 404:
        return ProtocolError(f"the server has no such endpoint while {what} (HTTP 404){said}", **kwargs)
    return ProtocolError(f"unexpected HTTP {status} while {what}{said}", **kwargs)


# --------------------------------------------------------------------------- the provider


class VisonicProvider(Provider):
    """One PowerManage account and one of its panels.

    `command_timeout` bounds how long a command's process token is followed before
    the outcome is reported unknown; `command_poll` is the pause between polls.
    """

    kind = "visonic"

    def __init__(
        self,
        config: VisonicConfig,
        *,
        command_timeout: float = 30.0,
        command_poll: float = 1.0,
    ) -> None:
        super().__init__(config)
        self.config: VisonicConfig = config
        self.command_timeout = command_timeout
        self.command_poll = command_poll
        self._http: httpx.AsyncClient | None = None
        self.version: str | None = None
        self._user_token: str | None = None
        self._session_token: str | None = None
        self._login_generation = 0
        self._login_lock = asyncio.Lock()
        self.serial: str | None = config.panel_serial
        self.facts: PanelFacts | None = None
        self._cameras: tuple[RawCamera, ...] = ()
        self._users: tuple[User, ...] = ()
        self._exit_started: dict[str, float] = {}
        register_secrets(config.password.get_secret_value(), self._panel_code())

    # -- plumbing

    def _panel_code(self) -> str | None:
        return self.config.code.get_secret_value() if self.config.code is not None else None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Language": "en-us"}
            self._http = build_http_client(self.config, self.requests, headers=headers)
        return self._http

    def _url(self, path: str) -> str:
        return f"{self.config.url}/rest_api/{self.version}/{path}"

    async def _send(
        self, method: str, path: str, *, body: dict[str, Any] | None = None, what: str, command: bool = False, raw: bool = False
    ) -> Any:
        """One HTTP exchange, errors mapped; no retries."""
        headers: dict[str, str] = {}
        if self._user_token:
            headers["User-Token"] = self._user_token
        if self._session_token:
            headers["Session-Token"] = self._session_token
        url = path if path.startswith("https://") or path.startswith("http://") else self._url(path)
        async with translate_errors(self.name, what):
            try:
                if method == "POST":
                    response = await self._client().post(url, json=body or {}, headers=headers)
                else:
                    response = await self._client().get(url, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                raise  # never left this machine: an ordinary connection failure
            except httpx.TransportError as exc:
                if command:
                    raise CommandMaybeSent(
                        f"the connection broke while {what} ({type(exc).__name__}); the command may have been carried out",
                        provider=self.name,
                    ) from None
                raise
            if response.status_code != 200:
                try:
                    error_body = json.loads(response.content) if response.content else None
                except (ValueError, RecursionError):
                    error_body = None
                raise error_for_response(response.status_code, error_body, what=what, command=command, provider=self.name)
            if raw:
                return response
            return decode_json(response.content, what)

    async def _read(self, path: str, what: str) -> Any:
        """A read, retried once after a transparent re-login if the session has expired."""
        generation = self._login_generation
        try:
            return await self._send("GET", path, what=what)
        except SessionExpired:
            await self._relogin(generation)
            return await self._send("GET", path, what=what)

    async def _relogin(self, failed_generation: int) -> None:
        async with self._login_lock:
            if self._login_generation != failed_generation:
                return  # someone else already logged in again
            log.info("%s: session expired, logging in again", self.name)
            await self._login()

    async def _login(self) -> None:
        """auth -> (panels) -> panel/login. Called with the login lock held or from connect()."""
        code = self._panel_code()
        if not code:
            raise AuthenticationFailed(
                "a user code is needed to log in to the panel; set code in the config",
                provider=self.name,
                hint="Visonic panels need the user (master) code at login: add code = \"....\" to this provider.",
            )
        self._user_token = self._session_token = None
        data = await self._send(
            "POST",
            "auth",
            body={"email": self.config.username, "password": self.config.password.get_secret_value(), "app_id": self.config.app_id},
            what="logging in",
        )
        self._user_token = parse_token(data, "user_token")
        register_secrets(self._user_token)
        if not self.serial:
            panels = _list(await self._send("GET", "panels", what="listing the panels"), "panels")
            serials = [_text(_opt_dict(p).get("panel_serial")) for p in panels]
            serials = [s for s in serials if s]
            if not serials:
                raise AuthenticationFailed("this account has no panels", provider=self.name, hint="Link a panel in the Visonic app.")
            self.serial = serials[0]
        data = await self._send(
            "POST",
            "panel/login",
            body={"user_code": code, "app_type": APP_TYPE, "app_id": self.config.app_id, "panel_serial": self.serial},
            what="logging in to the panel",
        )
        self._session_token = parse_token(data, "session_token")
        register_secrets(self._session_token)
        self._login_generation += 1

    # -- lifecycle

    async def connect(self) -> None:
        async with translate_errors(self.name, "connecting"):
            if self.version is None:
                data = await self._send("GET", f"{self.config.url}/rest_api/version", what="asking for the REST versions")
                self.version = choose_version(parse_versions(data), self.config.rest_version)
                log.info("%s: using PowerManage REST %s", self.name, self.version)
            async with self._login_lock:
                await self._login()
            panel_info = await self._read("panel_info", "reading the panel information")
            feature_set = await self._read("feature_set", "reading the feature set")
            self.facts = parse_panel_facts(panel_info, feature_set)
            await self._refresh_slow_reads()

    async def _refresh_slow_reads(self) -> None:
        """Users and cameras change rarely: read them at connect and on an explicit refresh."""
        self._users = parse_users(await self._read("users", "reading the users"))
        self._cameras = parse_cameras(await self._read("cameras", "reading the cameras"))

    async def close(self) -> None:
        # PowerManage has no documented logout; dropping the tokens is all there is.
        self._user_token = self._session_token = None
        if self._http is not None:
            http, self._http = self._http, None
            try:
                await asyncio.wait_for(http.aclose(), 5)
            except Exception:  # closing must never raise
                log.debug("closing the HTTP client failed", exc_info=True)

    def _require_connected(self) -> PanelFacts:
        if self.facts is None or self.version is None:
            raise SessionExpired("not connected yet", provider=self.name)
        return self.facts

    # -- reads

    def capabilities(self) -> frozenset[Capability]:
        facts = self._require_connected()
        caps: set[Capability] = {Capability.USERS}
        if facts.can_set_state:
            caps |= {Capability.ARM_AWAY, Capability.ARM_HOME, Capability.DISARM}
        if facts.partitions_enabled:
            caps.add(Capability.PARTITION_COMMANDS)
        if facts.siren_on or facts.siren_off:
            caps.add(Capability.SIREN)
        if facts.bypass:
            caps.add(Capability.BYPASS)
        if self._cameras:
            caps.add(Capability.PHOTO)
        if facts.events:
            caps.add(Capability.EVENTS)
        return frozenset(caps)

    async def snapshot(self, *, refresh: bool = False) -> Snapshot:
        async with translate_errors(self.name, "reading the panel state"):
            if self.facts is None:
                await self.connect()
            facts = self._require_connected()
            if refresh:
                await self._refresh_slow_reads()
            status = parse_status(await self._read("status", "reading the status"))
            if not status.connected:
                # The cloud still answers, but with stale state and empty device traits:
                # never show that as the panel's current state.
                links = f" ({status.detail})" if status.detail else ""
                raise PanelOffline(f"the panel is not connected to the PowerManage cloud{links}", provider=self.name)
            zones = parse_devices(await self._read("devices", "reading the devices"))
            alarms = parse_alarms(await self._read("alarms", "reading the alarms"))
            troubles = parse_troubles(await self._read("troubles", "reading the troubles"))
            partitions = tuple(self._partition(p, zones, alarms, facts) for p in status.partitions)
            return Snapshot(
                partitions=partitions,
                zones=zones,
                troubles=troubles,
                users=self._users,
                capabilities=self.capabilities(),
                panel_name=facts.model or (self.serial or ""),
                online=status.connected,
                detail=status.detail,
                fetched_at=datetime.now(UTC),
            )

    def _partition(self, raw: RawPartition, zones: tuple[Zone, ...], alarms: tuple[RawAlarm, ...], facts: PanelFacts) -> Partition:
        pid = raw.id
        name = facts.partition_names.get(pid) or ("Panel" if pid == WHOLE_PANEL else f"Partition {pid}")
        exit_until: datetime | None = None
        state = raw.state
        if (state in ("AWAY", "HOME") and raw.status == "EXIT") or state == "EXIT":
            canonical = PartitionState.ARMING
            started = self._exit_started.setdefault(pid, time.time())
            delay = facts.exit_delay.get(pid, facts.exit_delay.get(WHOLE_PANEL))
            if delay is not None:
                exit_until = datetime.fromtimestamp(started + delay, UTC)
        else:
            self._exit_started.pop(pid, None)
            canonical = {
                "DISARM": PartitionState.DISARMED,
                "DISARMED": PartitionState.DISARMED,
                "HOME": PartitionState.ARMED_HOME,
                "AWAY": PartitionState.ARMED_AWAY,
                "ENTRY_DELAY": PartitionState.PENDING,
                "ALARM": PartitionState.TRIGGERED,
            }.get(state, PartitionState.UNKNOWN)
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

    async def events(self, limit: int = 100) -> list[Event]:
        async with translate_errors(self.name, "reading the events"):
            if self.facts is None:
                await self.connect()
            return parse_events(await self._read("events", "reading the events"))[:limit]

    async def photos(self, event: Event) -> list[Photo]:
        async with translate_errors(self.name, "fetching photos"):
            if not event.photo_ref:
                raise NotSupported("this event has no photos", provider=self.name)
            count_text, _, path = event.photo_ref.partition("|")
            count = int(count_text) if count_text.isdigit() else 1
            return await self._fetch_frames(path, count, event.zone, event.time)

    async def _fetch_frames(self, path: str, count: int, zone: str, when: datetime) -> list[Photo]:
        """Fetch the preview JPEG and, where the cloud says there are more, its sibling frames."""
        paths = [path]
        if count > 1 and path.rsplit("/", 1)[-1] == "0":
            prefix = path.rsplit("/", 1)[0]
            paths = [f"{prefix}/{i}" for i in range(count)]
        photos = []
        for index, frame_path in enumerate(paths):
            response = await self._send("GET", f"{self.config.url}{frame_path}", what="fetching a photo", raw=True)
            jpeg = response.content
            if not jpeg.startswith(b"\xff\xd8") or len(jpeg) > MAX_PHOTO_BYTES:
                raise ProtocolError("the camera preview is not a JPEG image", provider=self.name)
            photos.append(Photo(zone=zone, time=when, jpeg=jpeg, index=index, provider=self.name))
        return photos

    # -- commands

    def _partition_arg(self, partition: str | None) -> int:
        facts = self._require_connected()
        if partition is None or partition == WHOLE_PANEL:
            return -1
        if not facts.partitions_enabled:
            raise NotSupported("this panel has no partitions; arm or disarm the whole panel", provider=self.name)
        try:
            return int(partition)
        except ValueError:
            raise NotSupported(f"no partition {partition!r} on this panel", provider=self.name) from None

    async def _command(self, path: str, body: dict[str, Any], what: str, progress: ProgressCallback | None) -> CommandResult:
        """Send a command once, then follow its process token to an outcome."""
        timer = CommandTimer(progress)
        generation = self._login_generation
        timer.report(CommandPhase.SENT, what)
        try:
            data = await self._send("POST", path, body=body, what=what, command=True)
        except CommandMaybeSent as exc:
            return timer.result(CommandPhase.UNKNOWN, f"{exc.message}; check the state before trying again")
        except SessionExpired:
            # The server refused it before doing anything; log in again for next
            # time, but never re-send a command on the user's behalf.
            await self._relogin(generation)
            raise SessionExpired(
                "the session had expired; logged in again, but the command was not carried out. Try again.",
                provider=self.name,
            ) from None
        token = _text(_opt_dict(data).get("process_token"))
        if not token:
            return timer.result(CommandPhase.UNKNOWN, "the cloud accepted the command but gave no process token; check the state")
        return await self._follow(token, timer)

    async def _follow(self, token: str, timer: CommandTimer) -> CommandResult:
        deadline = time.monotonic() + self.command_timeout
        last_error = ""
        # Panels usually answer within a fraction of a second: look again soon, then back off to `command_poll`.
        pause = min(0.25, self.command_poll)
        while True:
            try:
                state = parse_process(
                    await self._read(f"process_status?process_tokens={token}", "following the command"), token
                )
            except (ConnectionFailed, ProtocolError, SessionExpired, PanelOffline, RateLimited) as exc:
                last_error = exc.message
            else:
                if state.status in ("handled", "succeeded", "success", "done"):
                    return timer.result(CommandPhase.DONE, state.message)
                if state.status in ("failed", "failure", "error", "rejected"):
                    return timer.result(CommandPhase.FAILED, state.message or "the panel refused the command")
                timer.report(CommandPhase.WAITING, "waiting for the panel")
            if time.monotonic() + pause > deadline:
                reason = f" (last error: {last_error})" if last_error else ""
                return timer.result(
                    CommandPhase.UNKNOWN,
                    f"no answer from the panel within {self.command_timeout:.0f} s; the outcome is unknown{reason}",
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.command_poll)

    def _code_body(self, code: str | None) -> dict[str, Any]:
        chosen = self.code_for(code)
        return {"user_code": chosen} if chosen else {}

    async def arm(
        self,
        mode: ArmMode,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult:
        async with translate_errors(self.name, "arming"):
            if mode not in (ArmMode.AWAY, ArmMode.HOME):
                raise NotSupported(
                    f"Visonic panels arm only away or home; {mode.value} is not available", provider=self.name
                )
            facts = self._require_connected()
            if not facts.can_set_state:
                raise NotSupported("this account may not change the arm state", provider=self.name)
            target = self._partition_arg(partition)
            body = {"partition": target, "state": "AWAY" if mode is ArmMode.AWAY else "HOME"}
            body.update(self._code_body(code))
            result = await self._command("set_state", body, f"arming {mode.value}", progress)
            if result.ok:
                # The exit delay runs from about now; a later snapshot only sees "EXIT".
                now = time.time()
                targets = [str(target)] if target != -1 else [WHOLE_PANEL, *facts.exit_delay]
                for pid in targets:
                    self._exit_started[pid] = now
            return result

    async def disarm(
        self, *, partition: str | None = None, code: str | None = None, progress: ProgressCallback | None = None
    ) -> CommandResult:
        async with translate_errors(self.name, "disarming"):
            self._require_connected()
            body = {"partition": self._partition_arg(partition), "state": "DISARM"}
            body.update(self._code_body(code))
            return await self._command("set_state", body, "disarming", progress)

    async def bypass(
        self, zone: str, on: bool = True, *, code: str | None = None, progress: ProgressCallback | None = None
    ) -> CommandResult:
        async with translate_errors(self.name, "bypassing a zone"):
            facts = self._require_connected()
            if not facts.bypass:
                raise NotSupported("this panel does not allow remote bypass", provider=self.name)
            try:
                number = int(zone)
            except ValueError:
                raise NotSupported(f"{zone!r} is not a zone number", provider=self.name) from None
            body: dict[str, Any] = {"zone": number, "set": on}
            return await self._command("set_bypass_zone", body, f"{'bypassing' if on else 'restoring'} zone {number}", progress)

    async def siren(self, on: bool, *, partition: str | None = None, progress: ProgressCallback | None = None) -> CommandResult:
        async with translate_errors(self.name, "switching the siren"):
            facts = self._require_connected()
            if on and not facts.siren_on:
                raise NotSupported("this panel does not allow sounding the siren remotely", provider=self.name)
            if not on and not facts.siren_off:
                raise NotSupported("this panel does not allow silencing the siren remotely", provider=self.name)
            if on:
                return await self._command("activate_siren", {}, "sounding the siren", progress)
            return await self._command("disable_siren", {"mode": "all"}, "silencing the siren", progress)

    async def request_photo(self, zone: str, *, progress: ProgressCallback | None = None) -> CommandResult:
        async with translate_errors(self.name, "requesting photos"):
            self._require_connected()
            camera = next((c for c in self._cameras if c.zone == zone), None)
            if camera is None:
                raise NotSupported(f"zone {zone} has no camera", provider=self.name)
            before = camera.time
            try:
                number = int(zone)
            except ValueError:
                raise NotSupported(f"{zone!r} is not a zone number", provider=self.name) from None
            result = await self._command("make_video", {"camera_id": number}, f"asking {camera.name or zone} for photos", progress)
            if not result.ok:
                return result
            self._cameras = parse_cameras(await self._read("cameras", "reading the cameras"))
            fresh = next((c for c in self._cameras if c.zone == zone), None)
            if fresh is None or not fresh.preview_path or (before is not None and fresh.time == before):
                return CommandResult(CommandPhase.UNKNOWN, "the camera finished but no new preview is available", result.elapsed)
            when = fresh.time or datetime.now(UTC)
            photos = await self._fetch_frames(fresh.preview_path, fresh.frames, fresh.name or zone, when)
            return CommandResult(CommandPhase.DONE, result.message, result.elapsed, tuple(photos))

    # -- costs

    @property
    def needs_code(self) -> bool:
        # The code is given once, at panel login (from the config), not per command.
        return False


__all__ = [
    "VisonicProvider",
    "WrongUserCode",
    "choose_version",
    "decode_json",
    "error_for_response",
    "parse_alarms",
    "parse_cameras",
    "parse_devices",
    "parse_events",
    "parse_panel_facts",
    "parse_process",
    "parse_status",
    "parse_troubles",
    "parse_users",
    "parse_versions",
]
