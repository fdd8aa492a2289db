"""MiOS / Vera through the MMS cloud: login chain, relay luup calls, events, storage.

The login chain is the one every real client runs (see shared/protocols/mios.md §1):

1. autha `GET /autha/auth/username/<user>?SHA1Password=sha1(lower(user)+password+seed)`
   -> base64 Identity JSON + IdentitySignature + Server_Account / Server_Event hosts;
2. decode the Identity (PK_Account, Expires) - never re-encode it, send it back as received;
3. a session token per server (`/info/session/token` with MMSAuth/MMSAuthSig), then
   `MMSSession` on every call to that server;
4. account server: `/account/account/account/<PK_Account>/devices` -> the Vera and its
   device servers; device server: `/device/device/device/<PK_Device>` -> Server_Relay,
   Server_Storage, Server_Event;
5. relay: `/relay/relay/relay/device/<PK_Device>/port_3480/data_request?id=...`.

The identity is renewed before it expires (at 23/24 of its life, like the Go client);
a 401 "invalid session" fetches a new session token for that server, any other 401
runs the whole chain again. Reads are retried after that; commands never are.

Change detection uses the luup `lu_sdata` long poll (loadtime/dataversion); its
deltas keep a device cache current, so an idle dashboard costs about one relay
request per long-poll window. Any error resets loadtime/dataversion (a Vera that
reloads Luup gives wrong deltas otherwise) and falls back to plain polling.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlsplit

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
    PanelOffline,
    ProgressCallback,
    ProtocolError,
    Provider,
    ProviderError,
    RateLimited,
    SessionExpired,
    WrongCode,
    build_http_client,
    http_timeout,
    retry_after,
    translate_errors,
)
from alarmtui.redaction import register_secrets

if TYPE_CHECKING:
    from alarmtui.settings import MiosConfig

log = logging.getLogger(__name__)

#: The real 20-character seed (shared/README.md decision 4; the spec's 19-character one is a typo).
PASSWORD_SEED = "oZ7QE6LcLJp6fiWzdqZc"

AP2 = "urn:micasaverde-com:serviceId:AlarmPartition2"
SS1 = "urn:micasaverde-com:serviceId:SecuritySensor1"

CATEGORY_SENSOR = 4
CATEGORY_CAMERA = 6
CATEGORY_PANEL = 22
CATEGORY_PARTITION = 23

JOB_ERROR, JOB_ABORTED, JOB_DONE = 2, 3, 4

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
_PIN_WORDS = re.compile(r"\b(pin|code|password|passcode|user ?code)\b", re.IGNORECASE)
_TOKEN = re.compile(r"^[0-9A-Za-z]{8,128}$")
_SERVER = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?(/[A-Za-z0-9._\-]+)*$")
LOW_BATTERY = 20


# ============================================================================ parsing helpers


def _fail(what: str) -> ProtocolError:
    return ProtocolError(what)


def as_int(value: object, what: str) -> int:
    """Numbers arrive as numbers or strings ("35101627"); anything else is a protocol error."""
    if isinstance(value, bool):
        raise _fail(f"{what}: expected a number, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,20}\s*", value):
        return int(value)
    raise _fail(f"{what}: expected a number, got {type(value).__name__}")


def as_id(value: object, what: str) -> str:
    """An id that may be a number or a string; returned as a canonical string."""
    if isinstance(value, str) and value.strip() and len(value) <= 64 and value.strip().isprintable():
        stripped = value.strip()
        return str(int(stripped)) if re.fullmatch(r"-?[0-9]{1,20}", stripped) else stripped
    return str(as_int(value, what))


def as_bool(value: object) -> bool | None:
    """Vera booleans: "1"/"0", "true"/"false", 1/0; None when missing or unreadable."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False if text else None
    return None


def as_text(value: object) -> str:
    """Server text as a clean one-line string (numbers allowed; containers are not text)."""
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return clean_text(value)
    return ""


def as_mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


def as_list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(f"{what}: expected a JSON list, got {type(value).__name__}")
    return value


def server_name(value: object, what: str) -> str:
    """A `Server_*` host as MiOS sends it: bare `host[:port]`, possibly with a path prefix."""
    if not isinstance(value, str):
        raise _fail(f"{what} is missing")
    text = value.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.rstrip("/")
    if not text or len(text) > 255 or not _SERVER.match(text):
        raise _fail(f"{what} is not a host name")
    return text


def decode_json(text: str, what: str) -> Any:
    if not text.strip():
        raise _fail(f"empty reply while {what}")
    try:
        return json.loads(text)
    except ValueError:
        raise _fail(f"reply to {what} is not JSON") from None


# ============================================================================ parsers (pure)


@dataclass(frozen=True)
class Identity:
    """The decoded MMS identity. `raw`/`signature` are sent back byte for byte."""

    raw: str = field(repr=False)
    signature: str = field(repr=False)
    pk_account: str
    pk_user: str
    expires: int
    generated: int
    server_auth: str
    username: str

    @property
    def lifetime(self) -> int:
        return max(0, self.expires - self.generated)


@dataclass(frozen=True)
class AuthReply:
    identity: Identity
    servers: dict[str, str]


def decode_identity(raw: object, signature: object) -> Identity:
    if not isinstance(raw, str) or not raw.strip():
        raise _fail("the auth server sent no Identity")
    if not isinstance(signature, str) or not signature.strip():
        raise _fail("the auth server sent no IdentitySignature")
    try:
        decoded = base64.b64decode(raw.strip(), validate=True)
        data = json.loads(decoded)
    except (binascii.Error, ValueError):
        raise _fail("the Identity is not base64-encoded JSON") from None
    data = as_mapping(data, "Identity")
    if "PK_Account" not in data or "Expires" not in data:
        raise _fail("the Identity has no PK_Account/Expires")
    expires = as_int(data["Expires"], "Identity.Expires")
    generated = as_int(data.get("Generated", expires - 86400), "Identity.Generated")
    return Identity(
        raw=raw.strip(),
        signature=signature.strip(),
        pk_account=as_id(data["PK_Account"], "Identity.PK_Account"),
        pk_user=as_id(data["PK_User"], "Identity.PK_User") if data.get("PK_User") not in (None, "") else "",
        expires=expires,
        generated=generated,
        server_auth=as_text(data.get("Server_Auth")),
        username=as_text(data.get("Username")),
    )


def parse_auth_reply(data: object) -> AuthReply:
    body = as_mapping(data, "auth reply")
    identity = decode_identity(body.get("Identity"), body.get("IdentitySignature"))
    servers = {"account": server_name(body.get("Server_Account"), "Server_Account")}
    for key, name in (
        ("account_alt", "Server_Account_Alt"),
        ("event", "Server_Event"),
        ("event_alt", "Server_Event_Alt"),
    ):
        if body.get(name) not in (None, ""):
            servers[key] = server_name(body.get(name), name)
    return AuthReply(identity, servers)


@dataclass(frozen=True)
class Controller:
    pk_device: str
    name: str
    device_type: str
    server_device: str
    server_device_alt: str | None


def parse_devices(data: object) -> list[Controller]:
    """`/account/.../devices` or `/locator/locator/locator`: the account's controllers."""
    devices = as_list(as_mapping(data, "device list").get("Devices"), "device list Devices")
    controllers = []
    for index, entry in enumerate(devices):
        item = as_mapping(entry, f"device {index}")
        alt = item.get("Server_Device_Alt")
        controllers.append(
            Controller(
                pk_device=as_id(item.get("PK_Device"), "PK_Device"),
                name=as_text(item.get("Name")) or "Vera",
                device_type=as_text(item.get("PK_DeviceType")),
                server_device=server_name(item.get("Server_Device"), "Server_Device"),
                server_device_alt=server_name(alt, "Server_Device_Alt") if alt not in (None, "") else None,
            )
        )
    return controllers


def parse_device_info(data: object, pk_device: str) -> dict[str, str]:
    """`/device/device/device/<PK_Device>` -> the servers to use for this Vera."""
    body = as_mapping(data, "device info")
    if "PK_Device" in body and as_id(body["PK_Device"], "PK_Device") != pk_device:
        raise _fail("device info is for another controller")
    servers = {"relay": server_name(body.get("Server_Relay"), "Server_Relay")}
    for key, name in (("storage", "Server_Storage"), ("event", "Server_Event")):
        if body.get(name) not in (None, ""):
            servers[key] = server_name(body.get(name), name)
    return servers


@dataclass(frozen=True)
class SData:
    full: bool
    loadtime: int
    dataversion: int
    devices: dict[str, dict[str, Any]]
    model: str = ""


def parse_sdata(data: object) -> SData:
    """A luup `sdata` / `lu_sdata` reply; `{"status": 0}` and friends (Luup reloading) are errors."""
    body = as_mapping(data, "sdata")
    if "loadtime" not in body or "dataversion" not in body:
        raise _fail("sdata reply has no loadtime/dataversion (is the Vera reloading?)")
    devices: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(as_list(body.get("devices", []), "sdata devices")):
        item = dict(as_mapping(entry, f"sdata device {index}"))
        device_id = as_id(item.get("id"), "sdata device id")
        item["id"] = device_id
        devices[device_id] = item
    return SData(
        full=as_bool(body.get("full")) is True,
        loadtime=as_int(body["loadtime"], "loadtime"),
        dataversion=as_int(body["dataversion"], "dataversion"),
        devices=devices,
        model=as_text(body.get("model")),
    )


def parse_action_reply(text: str) -> str | None:
    """`{"u:<Action>Response": {"JobID": "419"}}` -> "419"; `{"...": {"OK": "OK"}}` -> None."""
    stripped = text.strip()
    if stripped.upper().startswith("ERROR"):
        raise CommandRejected(f"the Vera refused the action: {clean_text(stripped, 200)}")
    if stripped == "OK":
        return None
    body = as_mapping(decode_json(stripped, "the action"), "action reply")
    for key, value in body.items():
        if isinstance(key, str) and key.endswith("Response") and isinstance(value, Mapping):
            if "JobID" in value:
                return as_id(value["JobID"], "JobID")
            if "OK" in value:
                return None
    raise _fail("action reply has no JobID")


def parse_jobstatus(data: object) -> int:
    return as_int(as_mapping(data, "jobstatus").get("status"), "job status")


@dataclass(frozen=True)
class EventRecord:
    pk_event: str
    event_type: int
    device_id: str
    device_name: str
    timestamp: int
    code: str
    new_value: str
    old_value: str
    description: str
    pk_store: str = ""
    key: str = field(default="", repr=False)
    server_storage: str = ""


def parse_event_records(data: object) -> list[EventRecord]:
    records = as_list(as_mapping(data, "events").get("Records", []), "event Records")
    out = []
    for index, entry in enumerate(records):
        item = as_mapping(entry, f"event {index}")
        event_type = as_int(item.get("EventType", 0), "EventType")
        pk_store = key = storage = ""
        if event_type in (1, 2) and item.get("PK_Store") not in (None, ""):
            pk_store = as_id(item.get("PK_Store"), "PK_Store")
            key = as_text(item.get("Key"))
            storage = server_name(item.get("Server_Storage"), "Server_Storage") if item.get("Server_Storage") else ""
        out.append(
            EventRecord(
                pk_event=as_id(item.get("PK_Event"), "PK_Event"),
                event_type=event_type,
                device_id=as_id(item.get("DeviceID", "0") or "0", "DeviceID"),
                device_name=as_text(item.get("DeviceName")),
                timestamp=as_int(item.get("Timestamp"), "Timestamp"),
                code=as_text(item.get("Code")),
                new_value=as_text(item.get("NewValue")),
                old_value=as_text(item.get("OldValue")),
                description=as_text(item.get("Description")),
                pk_store=pk_store,
                key=key,
                server_storage=storage,
            )
        )
    return out


# ============================================================================ mapping to the domain


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
    for device_id, device in sorted(devices.items(), key=order):
        category = _category(device)
        name = as_text(device.get("name")) or f"Device {device_id}"
        if category == CATEGORY_PARTITION:
            state, ready = partition_state(
                as_text(device.get("armmode")), as_text(device.get("detailedarmmode")), as_text(device.get("alarm"))
            )
            words = [as_text(device.get("detailedarmmode")), as_text(device.get("vendorstatus"))]
            partitions.append(
                Partition(id=device_id, name=name, state=state, detail=" · ".join(w for w in words if w), ready=ready)
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
                troubles.append(
                    Trouble(f"battery-{device_id}", TroubleKind.LOW_BATTERY, f"Low battery: {name}", zone=device_id)
                )
            if comm_failure:
                troubles.append(
                    Trouble(
                        f"comm-{device_id}", TroubleKind.COMMUNICATION, f"Communication failure: {name}", zone=device_id
                    )
                )
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
        detail=detail,
        fetched_at=datetime.now(UTC),
    )


def _disarmed_word(value: str) -> bool:
    return value.strip().lower() in _DISARMED_DETAILS


def _arming_users(records: list[EventRecord]) -> dict[str, str]:
    """PK_Event of each DetailedArmMode change -> the LastUser in effect for it.

    A plugin writes LastUser in the same burst as the arm/disarm, and luup only logs it
    when it changes, so: a LastUser change in the same burst wins, else the last one seen.
    """
    ordered = sorted(
        records, key=lambda r: (r.timestamp, int(r.pk_event) if re.fullmatch(r"[0-9]{1,18}", r.pk_event) else 0)
    )
    current: dict[str, str] = {}
    users: dict[str, str] = {}
    for index, record in enumerate(ordered):
        if record.event_type != 4:
            continue
        if record.code == "LastUser":
            current[record.device_id] = record.new_value
        elif record.code == "DetailedArmMode":
            for later in ordered[index + 1 :]:
                if later.device_id != record.device_id or later.event_type != 4:
                    continue
                if later.code == "DetailedArmMode" or abs(later.timestamp - record.timestamp) > 1:
                    break
                if later.code == "LastUser":
                    current[record.device_id] = later.new_value
                    break
            users[record.pk_event] = current.get(record.device_id, "")
    return users


def events_from_records(records: Iterable[EventRecord], names: Mapping[str, str]) -> list[Event]:
    """Turn event-module records into dashboard events (variable noise such as VendorStatus is dropped)."""
    records = list(records)
    arming_user = _arming_users(records)
    events = []
    for record in records:
        name = (
            names.get(record.device_id)
            or record.device_name
            or (f"device {record.device_id}" if record.device_id != "0" else "")
        )
        when = datetime.fromtimestamp(max(0, min(record.timestamp, 253402300799)), UTC)
        kind: EventKind | None = None
        text = ""
        zone = partition = photo_ref = ""
        if record.event_type in (1, 2):
            kind, text, zone, photo_ref = (
                EventKind.PHOTO,
                record.description or f"Camera image: {name}",
                record.device_id,
                record.pk_store,
            )
        elif record.event_type == 6:
            kind, text = EventKind.SYSTEM, record.description or "Controller connected"
        elif record.event_type == 3:
            kind, text = EventKind.SYSTEM, record.description or "Trigger fired"
        elif record.event_type == 4:
            code, new, old = record.code, record.new_value, record.old_value
            lowered = new.strip().lower()
            if code == "DetailedArmMode":
                partition = record.device_id
                if lowered == "exitdelay":
                    kind, text = EventKind.ARM, f"{name}: arming (exit delay)"
                elif lowered == "entrydelay":
                    kind, text = EventKind.ALARM, f"{name}: entry delay"
                elif lowered == "failedtoarm":
                    kind, text = EventKind.ARM, f"{name}: arming failed"
                elif lowered in _DETAIL_STATE:
                    state = _DETAIL_STATE[lowered].value.replace("_", " ")
                    kind, text = EventKind.ARM, f"{name}: {state} ({new})"
                elif _disarmed_word(new) and old and not _disarmed_word(old):
                    kind, text = EventKind.DISARM, f"{name}: disarmed"
            elif code == "Alarm":
                partition = record.device_id
                if lowered == "active":
                    kind, text = EventKind.ALARM, f"{name}: ALARM"
                elif old.lower() == "active":
                    kind, text = EventKind.ALARM, f"{name}: alarm ended"
            elif code == "Tripped":
                zone = record.device_id
                kind, text = EventKind.ZONE, f"{name} {'opened' if as_bool(new) else 'closed'}"
            elif code == "Armed":
                zone = record.device_id
                kind, text = EventKind.ZONE, f"{name} {'unbypassed' if as_bool(new) else 'bypassed'}"
            elif code == "CommFailure":
                zone = record.device_id
                kind, text = (
                    EventKind.TROUBLE,
                    f"Communication failure: {name}" if as_bool(new) else f"Communication restored: {name}",
                )
            elif code == "BatteryLevel":
                with contextlib.suppress(ProtocolError):
                    if as_int(new, "BatteryLevel") < LOW_BATTERY:
                        zone = record.device_id
                        kind, text = EventKind.TROUBLE, f"Low battery: {name}"
        if kind is None:
            continue
        events.append(
            Event(
                id=record.pk_event,
                time=when,
                kind=kind,
                text=clean_text(text),
                who=arming_user.get(record.pk_event, "") if kind in (EventKind.ARM, EventKind.DISARM) else "",
                zone=zone,
                partition=partition,
                photo_ref=photo_ref,
            )
        )
    return events


# ============================================================================ the provider


class _AuthRejected(SessionExpired):
    """A 401 from an MMS server; `error` is the MMSAuth error text.

    Handled inside the provider (new session or new login); a SessionExpired so that
    one escaping by mistake is still a typed error.
    """

    def __init__(self, error: str) -> None:
        super().__init__(f"MiOS refused the session ({error})")
        self.error = error


def _mms_auth_error(response: httpx.Response) -> str:
    text = f"{response.headers.get('WWW-Authenticate', '')} {response.text[:300]}"
    match = re.search(r'error="([^"]{1,60})"', text)
    return clean_text(match.group(1)) if match else "unauthorized"


class MiosProvider(Provider):
    """A Vera with an alarm-panel plugin, reached through the MiOS cloud relay."""

    kind: ClassVar[str] = "mios"

    long_poll_max: float = 60.0
    """Longest `lu_sdata` timeout we ask the Vera for, seconds."""
    relay_margin: float = 10.0
    """HTTP read timeout beyond the long-poll window (the relay adds latency)."""
    relay_timeout: float = 15.0
    """HTTP timeout for ordinary relay requests (short, like real clients)."""
    minimum_delay_ms: int = 200
    """`minimumdelay` of the long poll: lets a cascade of variable changes settle (pyvera's value)."""
    job_timeout: float = 30.0
    """How long a command's job is followed before its outcome is reported unknown."""
    job_poll_interval: float = 0.25
    read_retries: int = 2
    retry_delay: float = 0.3
    photo_timeout: float = 30.0
    events_max_age: float = 600.0
    """The event log is re-read when the long poll saw a change, after a command, or after this long."""
    session_check_after: float = 30.0
    """Before a command, a relay session unused for this long is checked with a cheap read
    (`alive`), so an expired session is renewed by a read rather than refusing the command."""

    config: MiosConfig

    def __init__(self, config: MiosConfig) -> None:
        super().__init__(config)
        self._scheme = urlsplit(config.url).scheme or "https"
        self._http: httpx.AsyncClient | None = None
        self._login_lock = asyncio.Lock()
        self._login_generation = 0
        self._identity: Identity | None = None
        self._servers: dict[str, str] = {}
        self._sessions: dict[str, str] = {}
        self._controller: Controller | None = None
        self._devices: dict[str, dict[str, Any]] = {}
        self._model = ""
        self._loadtime: int | None = None
        self._dataversion: int | None = None
        self._cache_time: float | None = None
        self._store_refs: dict[str, tuple[str, str, str, int]] = {}
        self._relay_ok_at = 0.0
        self._events_cache: tuple[tuple[int | None, int | None], float, int, list[Event]] | None = None
        register_secrets(config.password.get_secret_value())
        if config.code is not None:
            register_secrets(config.code.get_secret_value())

    def __repr__(self) -> str:
        return f"<MiosProvider {self.name!r} device={self._controller.pk_device if self._controller else None}>"

    @property
    def needs_code(self) -> bool:
        return True

    @property
    def pk_device(self) -> str | None:
        return self._controller.pk_device if self._controller else None

    # ------------------------------------------------------------------ lifecycle

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = build_http_client(self.config, self.requests, timeout=http_timeout(self.relay_timeout))
        return self._http

    async def connect(self) -> None:
        async with translate_errors(self.name, "logging in to MiOS"):
            await self._login(force=True)

    async def close(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(http.aclose(), 5)

    # ------------------------------------------------------------------ login chain

    def _url(self, server: str, path: str) -> str:
        return f"{self._scheme}://{server}{path}"

    async def _login(self, *, force: bool = False, seen_generation: int | None = None) -> None:
        async with self._login_lock:
            if not force and seen_generation is not None and seen_generation != self._login_generation:
                return  # someone else logged in while we waited
            await self._run_login_chain()
            self._login_generation += 1

    async def _run_login_chain(self) -> None:
        http = self._client()
        username = self.config.username.strip().lower()
        password = self.config.password.get_secret_value()
        digest = hashlib.sha1((username + password + PASSWORD_SEED).encode()).hexdigest()
        register_secrets(digest)
        response = await http.get(
            f"{self.config.url}/autha/auth/username/{quote(username, safe='')}",
            params={"SHA1Password": digest, "PK_Oem": self.config.oem, "TokenVersion": "2"},
        )
        if response.status_code == 404:
            raise AuthenticationFailed(f"MiOS does not know the user {clean_text(username, 60)!r}")
        if response.status_code in (401, 403):
            raise AuthenticationFailed("MiOS refused the password for this user")
        if response.status_code == 429:
            raise RateLimited("MiOS is throttling logins", retry_after=retry_after(response))
        if response.status_code != 200:
            raise ConnectionFailed(f"the MiOS auth server answered HTTP {response.status_code}")
        reply = parse_auth_reply(decode_json(response.text, "logging in"))
        register_secrets(reply.identity.raw, reply.identity.signature)
        self._identity = reply.identity
        self._sessions.clear()
        self._servers = dict(reply.servers)
        try:
            devices = parse_devices(
                await self._mms_json(
                    ["account", "account_alt"],
                    f"/account/account/account/{reply.identity.pk_account}/devices",
                    "listing the account's controllers",
                )
            )
            controller = self._pick_controller(devices)
            self._servers["device"] = controller.server_device
            if controller.server_device_alt:
                self._servers["device_alt"] = controller.server_device_alt
            self._controller = controller
            info = await self._mms_json(
                ["device", "device_alt"],
                f"/device/device/device/{controller.pk_device}",
                "reading the controller's servers",
            )
            self._servers.update(parse_device_info(info, controller.pk_device))
            await self._session(self._servers["relay"])
        except _AuthRejected as exc:
            raise AuthenticationFailed(f"MiOS rejected the new login ({exc.error})") from None

    def _pick_controller(self, devices: list[Controller]) -> Controller:
        wanted = self.config.device
        if wanted:
            for controller in devices:
                if controller.pk_device == as_id(wanted, "device"):
                    return controller
            raise AuthenticationFailed(
                f"the MiOS account has no controller {clean_text(wanted, 30)!r}", hint="Check `device` in the config."
            )
        veras = [c for c in devices if c.device_type in ("", "1")] or devices
        if not veras:
            raise AuthenticationFailed(
                "the MiOS account has no controllers", hint="Pair a Vera with the account first."
            )
        return veras[0]

    async def _session(self, server: str) -> str:
        """The session token for `server`, fetched with MMSAuth/MMSAuthSig when missing."""
        token = self._sessions.get(server)
        if token:
            return token
        identity = self._identity
        if identity is None:
            raise SessionExpired("not logged in")
        response = await self._client().get(
            self._url(server, "/info/session/token"),
            headers={"MMSAuth": identity.raw, "MMSAuthSig": identity.signature},
        )
        if response.status_code == 401:
            raise _AuthRejected(_mms_auth_error(response))
        _check_status(response, "getting a session token")
        token = response.text.strip()
        if not _TOKEN.match(token):
            raise ProtocolError("the session token is not a token")
        register_secrets(token)
        self._sessions[server] = token
        return token

    async def _ensure_identity(self) -> None:
        identity = self._identity
        if identity is None or self._controller is None:
            await self._login(seen_generation=self._login_generation)
            return
        margin = min(3600.0, identity.lifetime / 24)
        if time.time() >= identity.expires - margin:
            log.info("%s: MiOS identity expires soon; logging in again", self.name)
            await self._login(seen_generation=self._login_generation)

    async def _mms_get(
        self,
        server_keys: list[str],
        path: str,
        what: str,
        *,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """GET on an MMS server with its session; one new session on "invalid session"; alt server on failure."""
        last_error: ProviderError | None = None
        for key in server_keys:
            server = self._servers.get(key)
            if not server:
                continue
            for attempt in range(2):
                try:
                    token = await self._session(server)
                    response = await self._client().get(
                        self._url(server, path),
                        params=params,
                        headers={"MMSSession": token},
                        timeout=timeout or self.relay_timeout,
                    )
                except (httpx.TransportError, ConnectionFailed) as exc:
                    last_error = (
                        exc
                        if isinstance(exc, ConnectionFailed)
                        else ConnectionFailed(f"could not reach the MiOS server while {what}")
                    )
                    break
                if response.status_code == 401:
                    self._sessions.pop(server, None)
                    error = _mms_auth_error(response)
                    if error == "invalid session" and attempt == 0:
                        continue
                    raise _AuthRejected(error)
                if response.status_code >= 500:
                    last_error = ConnectionFailed(f"the MiOS server answered HTTP {response.status_code} while {what}")
                    break
                return response
        raise last_error or ProtocolError(f"no MiOS server known for {what}")

    async def _mms_json(
        self, server_keys: list[str], path: str, what: str, *, params: dict[str, Any] | None = None
    ) -> Any:
        response = await self._mms_get(server_keys, path, what, params=params)
        _check_status(response, what)
        return decode_json(response.text, what)

    async def _read(
        self, server_keys: list[str], path: str, what: str, *, params: dict[str, Any] | None = None, raw: bool = False
    ) -> Any:
        """An MMS read with renewal: full re-login once on a 401 it cannot fix with a new session."""
        for attempt in range(2):
            await self._ensure_identity()
            generation = self._login_generation
            try:
                if raw:
                    response = await self._mms_get(server_keys, path, what, params=params)
                    _check_status(response, what)
                    return response
                return await self._mms_json(server_keys, path, what, params=params)
            except _AuthRejected as exc:
                if attempt:
                    raise SessionExpired(f"MiOS keeps refusing the session while {what} ({exc.error})") from None
                log.info("%s: MiOS said %s; logging in again", self.name, exc.error)
                await self._login(seen_generation=generation)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ relay

    def _relay_url(self) -> str:
        assert self._controller is not None
        return self._url(
            self._servers["relay"], f"/relay/relay/relay/device/{self._controller.pk_device}/port_3480/data_request"
        )

    async def _relay_once(self, params: dict[str, Any], what: str, timeout: float) -> httpx.Response:
        server = self._servers["relay"]
        token = await self._session(server)
        response = await self._client().get(
            self._relay_url(),
            params={**params, "output_format": "json"},
            headers={"MMSSession": token},
            timeout=timeout,
        )
        if response.status_code == 401:
            self._sessions.pop(server, None)
            raise _AuthRejected(_mms_auth_error(response))
        if response.status_code == 403:
            raise AuthenticationFailed(
                f"MiOS denies this account access to the controller while {what}",
                hint="The account lacks a permission on this Vera; ask its owner.",
            )
        if "tunnel not found" in response.text[:200].lower():
            raise PanelOffline("the Vera is not connected to the MiOS relay (Tunnel not found)")
        if response.status_code == 200:
            self._relay_ok_at = time.monotonic()
        return response

    async def _relay_read(
        self,
        params: dict[str, Any],
        what: str,
        *,
        timeout: float | None = None,
        retries: int | None = None,
        text: bool = False,
    ) -> Any:
        """A relay read: re-login on auth trouble, retry reload glitches (500, empty body, {status:0})."""
        retries = self.read_retries if retries is None else retries
        auth_failures = glitches = 0
        while True:
            await self._ensure_identity()
            generation = self._login_generation
            try:
                response = await self._relay_once(params, what, timeout or self.relay_timeout)
            except _AuthRejected as exc:
                auth_failures += 1
                if auth_failures > 2:
                    raise SessionExpired(f"MiOS keeps refusing the session while {what} ({exc.error})") from None
                log.info("%s: relay said %s; renewing", self.name, exc.error)
                if exc.error != "invalid session" or auth_failures > 1:
                    await self._login(seen_generation=generation)
                continue
            except httpx.TimeoutException:
                problem = "the relay did not answer in time"
                data = None
            else:
                problem, data = self._relay_payload(response, what, text)
            if not problem:
                return data
            glitches += 1
            if glitches > retries:
                raise ProtocolError(f"{problem} while {what}")
            log.info("%s: %s while %s; retrying", self.name, problem, what)
            await asyncio.sleep(self.retry_delay * glitches)

    @staticmethod
    def _relay_payload(response: httpx.Response, what: str, want_text: bool = False) -> tuple[str, Any]:
        """(problem, data): a non-empty problem is a reload glitch worth a retry."""
        if response.status_code >= 500:
            return f"the Vera answered HTTP {response.status_code} (it may be reloading)", None
        if response.status_code != 200:
            raise ProtocolError(f"the relay answered HTTP {response.status_code} while {what}")
        text = response.text
        if not text.strip():
            return "the Vera sent an empty reply (it may be reloading)", None
        if text.lstrip().upper().startswith("ERROR"):
            raise ProtocolError(f"the Vera said {clean_text(text, 120)!r} while {what}")
        if want_text:
            return "", clean_text(text, 200)
        data = decode_json(text, what)
        if isinstance(data, Mapping) and set(data) == {"status"}:
            return f"the Vera answered {{status: {as_text(data['status'])}}} (Luup is reloading)", None
        return "", data

    async def _refresh_sdata(self) -> None:
        data = await self._relay_read({"id": "sdata"}, "reading the Vera's devices")
        self._merge(parse_sdata(data))

    def _merge(self, sdata: SData) -> bool:
        before = self._devices
        if not sdata.full and sdata.loadtime == self._loadtime and sdata.dataversion < (self._dataversion or 0):
            return False  # a delta older than what a concurrent full read already gave us
        if sdata.full:
            devices = sdata.devices
            changed = devices != before
        else:
            devices = dict(before)
            changed = False
            for device_id, update in sdata.devices.items():
                merged = {**devices.get(device_id, {}), **update}
                if merged != devices.get(device_id):
                    changed = True
                devices[device_id] = merged
        self._devices = devices
        if sdata.model:
            self._model = sdata.model
        self._loadtime, self._dataversion = sdata.loadtime, sdata.dataversion
        self._cache_time = time.monotonic()
        return changed

    def _reset_long_poll(self) -> None:
        self._loadtime = self._dataversion = None

    # ------------------------------------------------------------------ reads

    async def snapshot(self, *, refresh: bool = False) -> Snapshot:
        async with translate_errors(self.name, "reading the Vera"):
            ttl = max(2.0, min(self.config.poll_interval, self.long_poll_max))
            fresh = self._cache_time is not None and time.monotonic() - self._cache_time < ttl
            if refresh or not fresh or not self._devices:
                try:
                    await self._refresh_sdata()
                except ProviderError:
                    self._reset_long_poll()
                    raise
            controller = self._controller
            name = (controller.name if controller else "") or self._model or "Vera"
            return build_snapshot(self._devices, panel_name=name, detail=f"Vera {self.pk_device}")

    async def wait_for_change(self, timeout: float) -> bool:
        """Long-poll `lu_sdata` until something changes or `timeout` passes (True if it changed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        try:
            async with translate_errors(self.name, "waiting for changes"):
                await self._ensure_identity()
                while True:
                    left = deadline - loop.time()
                    if left <= 0.05:
                        return False
                    window = max(1, math.ceil(min(left, self.long_poll_max)))
                    params = {
                        "id": "lu_sdata",
                        "loadtime": self._loadtime or 0,
                        "dataversion": self._dataversion or 0,
                        "timeout": window,
                        "minimumdelay": self.minimum_delay_ms,
                    }
                    data = await self._relay_read(
                        params, "long-polling the Vera", timeout=window + self.relay_margin, retries=0
                    )
                    if self._merge(parse_sdata(data)):
                        return True
        except ProviderError as exc:
            log.info("%s: long poll failed (%s); plain polling until the next round", self.name, exc)
            self._reset_long_poll()
            left = deadline - loop.time()
            if left > 0:
                await asyncio.sleep(left)
            return False

    async def events(self, limit: int = 100) -> list[Event]:
        """Recent events from the MMS event module, newest first.

        Every event this dashboard shows comes from a luup variable change, which the
        long poll sees; so while the Vera's dataversion stands still the last answer is
        reused (up to `events_max_age`) instead of asking the event server every round.
        """
        async with translate_errors(self.name, "reading the event log"):
            stamp = (self._loadtime, self._dataversion)
            cached = self._events_cache
            if (
                cached is not None
                and stamp[1] is not None
                and cached[0] == stamp
                and cached[2] >= limit
                and time.monotonic() - cached[1] < self.events_max_age
            ):
                return cached[3][:limit]
            await self._ensure_identity()
            assert self._controller is not None
            count = min(1000, max(50, limit * 8))
            params = {"Gateway": self._controller.pk_device, "User": "0", "Count": str(count), "Sort": "Desc"}
            data = await self._read(
                ["event", "event_alt"], "/event/event/events", "reading the event log", params=params
            )
            records = parse_event_records(data)
            default_storage = self._servers.get("storage", "")
            for record in records:
                if record.pk_store and record.key:
                    register_secrets(record.key)
                    self._store_refs[record.pk_store] = (
                        record.server_storage or default_storage,
                        record.key,
                        record.device_id,
                        record.timestamp,
                    )
            names = {k: as_text(v.get("name")) for k, v in self._devices.items()}
            events = events_from_records(records, names)
            self._events_cache = (stamp, time.monotonic(), limit, events)
            return events[:limit]

    async def photos(self, event: Event) -> list[Photo]:
        async with translate_errors(self.name, "fetching a stored photo"):
            if not event.photo_ref:
                raise NotSupported("this event has no photo", provider=self.name)
            ref = self._store_refs.get(event.photo_ref)
            if ref is None:
                await self.events(limit=200)
                ref = self._store_refs.get(event.photo_ref)
            if ref is None:
                raise ProtocolError("the event module no longer lists this photo")
            storage, key, device_id, stamp = ref
            if not storage:
                raise ProtocolError("no storage server is known for this photo")
            self._servers["photo_storage"] = storage
            response = await self._read(
                ["photo_storage"],
                f"/storage/storage/store/{quote(event.photo_ref, safe='')}/archive",
                "fetching a stored photo",
                params={"Key": key},
                raw=True,
            )
            jpeg = _jpeg(response)
            name = as_text(self._devices.get(device_id, {}).get("name")) or event.zone or "camera"
            return [Photo(zone=name, time=datetime.fromtimestamp(stamp, UTC), jpeg=jpeg, provider=self.name)]

    # ------------------------------------------------------------------ commands

    async def arm(
        self,
        mode: ArmMode,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult:
        if mode is ArmMode.PERIMETER:
            raise NotSupported("Vera alarm partitions have no perimeter mode", provider=self.name)
        return await self._arm_mode(_ARM_STATE[mode], f"arm {mode.value}", partition, code, progress)

    async def disarm(
        self,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult:
        return await self._arm_mode("Disarmed", "disarm", partition, code, progress)

    async def _arm_mode(
        self, state: str, what: str, partition: str | None, code: str | None, progress: ProgressCallback | None
    ) -> CommandResult:
        pin = self.code_for(code)
        if not pin:
            raise WrongCode(
                f"a PIN is needed to {what} this Vera panel", provider=self.name, hint="Enter the panel's user code."
            )
        register_secrets(pin)
        timer = CommandTimer(progress)
        async with translate_errors(self.name, f"sending {what}"):
            targets = await self._partitions(partition)
            results = []
            for device_id in targets:
                results.append(
                    await self._command(device_id, AP2, "RequestArmMode", {"State": state, "PINCode": pin}, what, timer)
                )
            return _combine(results, timer)

    async def bypass(
        self,
        zone: str,
        on: bool = True,
        *,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult:
        timer = CommandTimer(progress)
        what = "bypass" if on else "unbypass"
        async with translate_errors(self.name, f"sending {what}"):
            device_id = await self._device_of(zone, CATEGORY_SENSOR, "zone")
            result = await self._command(device_id, SS1, "SetArmed", {"newArmedValue": "0" if on else "1"}, what, timer)
            return timer.result(result.phase, result.message)

    async def panic(
        self, kind: str = "police", *, partition: str | None = None, progress: ProgressCallback | None = None
    ) -> CommandResult:
        state = _PANIC_STATE.get(kind.lower())
        if state is None:
            raise NotSupported(f"no {clean_text(kind, 20)!r} panic on Vera (police, fire, medical)", provider=self.name)
        timer = CommandTimer(progress)
        async with translate_errors(self.name, "sending a panic alarm"):
            targets = await self._partitions(partition)
            result = await self._command(targets[0], AP2, "RequestPanicMode", {"State": state}, f"{kind} panic", timer)
            return timer.result(result.phase, result.message)

    async def request_photo(self, zone: str, *, progress: ProgressCallback | None = None) -> CommandResult:
        timer = CommandTimer(progress)
        async with translate_errors(self.name, "requesting a photo"):
            device_id = await self._device_of(zone, CATEGORY_CAMERA, "camera")
            timer.report(CommandPhase.SENT, "asking the camera for a picture")
            self._events_cache = None
            await self._ensure_identity()
            try:
                response = await self._relay_once(
                    {"id": "request_image", "cam": device_id, "res": self.config.photo_quality or "medium"}, "requesting a photo", self.photo_timeout
                )
            except _AuthRejected as exc:
                await self._login(seen_generation=self._login_generation)
                raise SessionExpired(f"MiOS refused the session ({exc.error}); logged in again, ask again") from None
            except httpx.TimeoutException:
                return timer.result(CommandPhase.UNKNOWN, "the camera did not answer in time")
            if response.status_code != 200:
                raise ProtocolError(f"the Vera answered HTTP {response.status_code} to the photo request")
            if not response.content.startswith(b"\xff\xd8"):
                raise CommandRejected(f"the camera sent no picture: {clean_text(response.text, 120)}")
            name = as_text(self._devices.get(device_id, {}).get("name")) or "camera"
            photo = Photo(zone=name, time=datetime.now(UTC), jpeg=response.content, provider=self.name)
            return timer.result(CommandPhase.DONE, "photo received", (photo,))

    async def _partitions(self, partition: str | None) -> list[str]:
        if not self._devices:
            await self._refresh_sdata()
        if partition is not None:
            return [await self._device_of(partition, CATEGORY_PARTITION, "partition")]
        found = [k for k, v in self._devices.items() if _category(v) == CATEGORY_PARTITION]
        if not found:
            raise NotSupported("this Vera has no alarm partition", provider=self.name)
        return sorted(found, key=lambda k: (len(k), k))

    async def _device_of(self, device_id: str, category: int, what: str) -> str:
        """The luup device number for `device_id`: the number itself, the plugin's own
        number (altid "Partition1" / "Zone3" answers to "1" / "3"), or the device's name."""
        if not self._devices:
            await self._refresh_sdata()
        wanted = str(device_id).strip()
        candidates = {k: v for k, v in self._devices.items() if _category(v) == category}
        if wanted in candidates:
            return wanted
        for matches in (
            [k for k, v in candidates.items() if re.sub(r"^[A-Za-z]+", "", as_text(v.get("altid"))) == wanted],
            [k for k, v in candidates.items() if as_text(v.get("name")).casefold() == wanted.casefold()],
        ):
            if len(matches) == 1:
                return matches[0]
        raise CommandRejected(f"this Vera has no {what} {clean_text(device_id, 30)!r}", provider=self.name)

    async def _command(
        self, device_id: str, service: str, action: str, arguments: dict[str, str], what: str, timer: CommandTimer
    ) -> CommandResult:
        """Send one luup action once, then follow its job to done, failed or unknown."""
        params = {"id": "action", "DeviceNum": device_id, "serviceId": service, "action": action, **arguments}
        self._events_cache = None
        await self._ensure_identity()
        if time.monotonic() - self._relay_ok_at > self.session_check_after:
            await self._relay_read({"id": "alive"}, "checking the relay session", text=True)
        timer.report(CommandPhase.SENT, f"{what}: sent to the Vera")
        try:
            response = await self._relay_once(params, what, self.relay_timeout)
        except _AuthRejected as exc:
            # A 401 means the relay turned the request away: nothing reached the Vera.
            await self._login(seen_generation=self._login_generation)
            raise SessionExpired(
                f"MiOS refused the session ({exc.error}); {what} was not sent; logged in again, send it again"
            ) from None
        except httpx.ConnectError:
            raise ConnectionFailed(f"could not reach the MiOS relay; {what} was not sent") from None
        except (httpx.TimeoutException, httpx.TransportError):
            self._reset_long_poll()
            return CommandResult(
                CommandPhase.UNKNOWN, f"{what}: no answer from the relay; outcome unknown, re-read the state"
            )
        if response.status_code >= 500:
            return CommandResult(
                CommandPhase.UNKNOWN, f"{what}: the Vera answered HTTP {response.status_code}; outcome unknown"
            )
        if response.status_code != 200:
            raise ProtocolError(f"the relay answered HTTP {response.status_code} to {what}")
        job = parse_action_reply(response.text)
        if job is None:
            return CommandResult(CommandPhase.DONE, f"{what}: accepted")
        return await self._follow_job(job, device_id, what, timer)

    async def _follow_job(self, job: str, device_id: str, what: str, timer: CommandTimer) -> CommandResult:
        timer.report(CommandPhase.WAITING, f"{what}: job {job} running")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.job_timeout
        while loop.time() < deadline:
            await asyncio.sleep(self.job_poll_interval)
            try:
                status = parse_jobstatus(
                    await self._relay_read({"id": "jobstatus", "job": job}, "following the job", retries=0)
                )
            except ProviderError as exc:
                log.info("%s: job status read failed: %s", self.name, exc)
                continue
            if status == -1:  # the Vera forgot the job: the device's own job state tells
                await self._refresh_sdata()
                status = _as_job_state(self._devices.get(device_id, {}).get("state"))
            if status == JOB_DONE:
                return CommandResult(CommandPhase.DONE, f"{what}: done")
            if status in (JOB_ERROR, JOB_ABORTED):
                comment = await self._device_comment(device_id)
                message = comment or "the panel reported an error"
                if _PIN_WORDS.search(message):
                    raise WrongCode(f"{what} failed: {message}", provider=self.name)
                return CommandResult(CommandPhase.FAILED, f"{what} failed: {message}")
        return CommandResult(
            CommandPhase.UNKNOWN, f"{what}: no confirmation within {self.job_timeout:.0f} s; outcome unknown"
        )

    async def _device_comment(self, device_id: str) -> str:
        try:
            await self._refresh_sdata()
        except ProviderError:
            return ""
        return as_text(self._devices.get(device_id, {}).get("comment"))


# ============================================================================ small helpers


def _as_job_state(value: object) -> int:
    try:
        return as_int(value, "state")
    except ProtocolError:
        return -1


def _combine(results: list[CommandResult], timer: CommandTimer) -> CommandResult:
    failed = [r for r in results if r.phase is CommandPhase.FAILED]
    unknown = [r for r in results if r.phase is CommandPhase.UNKNOWN]
    if failed:
        return timer.result(CommandPhase.FAILED, "; ".join(r.message for r in failed))
    if unknown:
        return timer.result(CommandPhase.UNKNOWN, "; ".join(r.message for r in unknown))
    return timer.result(CommandPhase.DONE, "; ".join(r.message for r in results))


def _check_status(response: httpx.Response, what: str) -> None:
    status = response.status_code
    if status == 200:
        return
    if status == 403:
        raise AuthenticationFailed(
            f"MiOS says this account lacks the permission for {what} (HTTP 403)",
            hint="The account is missing a permission; ask the account owner.",
        )
    if status == 404:
        raise ProtocolError(f"MiOS has no such resource while {what} (HTTP 404)")
    if status == 429:
        raise RateLimited(f"MiOS is throttling requests while {what}", retry_after=retry_after(response))
    if status >= 500:
        raise ConnectionFailed(f"the MiOS server answered HTTP {status} while {what}")
    raise ProtocolError(f"MiOS answered HTTP {status} while {what}")


def _jpeg(response: httpx.Response) -> bytes:
    data = response.content
    if not data.startswith(b"\xff\xd8"):
        raise ProtocolError("the stored photo is not a JPEG")
    return data


__all__ = [
    "PASSWORD_SEED",
    "MiosProvider",
    "build_snapshot",
    "decode_identity",
    "events_from_records",
    "parse_action_reply",
    "parse_auth_reply",
    "parse_device_info",
    "parse_devices",
    "parse_event_records",
    "parse_jobstatus",
    "parse_sdata",
    "partition_state",
]
