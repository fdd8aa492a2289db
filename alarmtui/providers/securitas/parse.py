"""Wire models and parsers for the OWA GraphQL API (shared/protocols/securitas-owa.md).

Every parser takes the decoded JSON body and returns small frozen models; null
strings become "" (§1.6), unknown fields are ignored, and anything of the wrong
shape — any exception at all, OverflowError and RecursionError included — leaves
as `ProtocolError` (record caps as its `TooManyRecords`). No I/O here.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from alarmtui.providers.errors import MAX_WAIT, ProtocolError, ProviderError
from alarmtui.providers.wire import as_bool, as_int, optional_list, require_mapping

F = TypeVar("F", bound=Callable[..., Any])


def _protocol(function: F) -> F:
    """Only `ProtocolError` leaves a parser: a reply of the wrong shape is the server's fault, not a crash."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ProviderError:
            raise
        except Exception as exc:  # noqa: BLE001  (OverflowError, RecursionError, MemoryError … all mean "not our protocol")
            raise ProtocolError(f"unexpected reply ({function.__name__}): {type(exc).__name__}: {str(exc)[:120]}") from None

    return wrapper  # type: ignore[return-value]


# operationName -> root field (§1.7)
ROOT_FIELD = {
    "mkLoginToken": "xSLoginToken",
    "mkValidateDevice": "xSValidateDevice",
    "mkSendOTP": "xSSendOtp",
    "RefreshLogin": "xSRefreshLogin",
    "Logout": "xSLogout",
    "mkInstallationList": "xSInstallations",
    "Srv": "xSSrv",
    "Status": "xSStatus",
    "CheckAlarm": "xSCheckAlarm",
    "CheckAlarmStatus": "xSCheckAlarmStatus",
    "xSArmPanel": "xSArmPanel",
    "ArmStatus": "xSArmStatus",
    "xSDisarmPanel": "xSDisarmPanel",
    "DisarmStatus": "xSDisarmStatus",
    "xSGetExceptions": "xSGetExceptions",
    "ActV2Timeline": "xSActV2",
    "xSDeviceList": "xSDeviceList",
    "RequestImages": "xSRequestImages",
    "RequestImagesStatus": "xSRequestImagesStatus",
    "mkGetThumbnail": "xSGetThumbnail",
    "mkGetPhotoImages": "xSGetPhotoImages",
}


def text(value: Any) -> str:
    """A string field: null -> "", numbers -> their text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


def flag(value: Any, default: bool | None = False) -> bool | None:
    """A flag sent as a JSON bool or as text/number ("true"/"false", 1/0); anything else → `default`."""
    try:
        return as_bool(value, "flag", default=default)  # type: ignore[no-any-return]
    except ProtocolError:
        return default


# --------------------------------------------------------------------------- the error envelope


@dataclass(frozen=True, slots=True)
class GraphQLError:
    """The first entry of `errors` (§8.1), flattened."""

    message: str = ""
    name: str = ""
    err: str = ""
    """Vendor code (`data.err`): 60052 blocked, 60062 busy, 60067 dead refresh token, 4, 6, ..."""
    status: int | None = None
    """HTTP-like `data.status`, when given."""
    res: str = ""
    code: str = ""
    """`extensions.code` (BAD_USER_INPUT)."""
    otp_hash: str = field(default="", repr=False)
    phones: tuple[tuple[str, str], ...] = ()
    auth_code: str = ""
    """`data["auth-code"]`: 10002 = the one-time code expired."""

    @property
    def is_otp_challenge(self) -> bool:
        return bool(self.otp_hash) or bool(self.phones) or self.message == "Unauthorized"

    @property
    def is_session_expired(self) -> bool:
        if self.err in ("60052", "60067"):
            return False
        return self.name == "ExpiredSessionError" or self.err == "ExpiredSessionError" or self.status == 403

    @property
    def is_busy(self) -> bool:
        return self.err in ("60062", "11") or self.status == 409

    @property
    def is_blocked(self) -> bool:
        return self.err == "60052"

    @property
    def is_dead_refresh(self) -> bool:
        return self.err == "60067"

    @property
    def is_server_error(self) -> bool:
        return self.name == "HttpError" or (self.status is not None and self.status >= 500)

    @property
    def is_not_accepted(self) -> bool:
        """The command is not valid for this panel (BAD_USER_INPUT, 404 err 4, or `res: ERROR` without status)."""
        return (
            self.code == "BAD_USER_INPUT"
            or self.status in (400, 404)
            or self.err == "4"
            or (self.res == "ERROR" and self.status is None and not self.err)
        )


@_protocol
def parse_error(body: dict[str, Any], root: str) -> GraphQLError | None:
    """The error an OWA reply carries, or None when `data.<root>` holds a result.

    A body with `errors` and a usable `data.<root>` is a success (partial
    errors are ignored, as the real client does).
    """
    errors = body.get("errors")
    data = body.get("data")
    if not errors:
        return None
    if isinstance(data, dict) and data.get(root) is not None:
        return None
    if isinstance(errors, dict):  # the legacy shape {"errors": {"data": {"reason": ...}}}
        inner = _mapping_or_empty(errors.get("data"))
        return GraphQLError(message=text(inner.get("reason") or errors.get("message")))
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    details = _mapping_or_empty(first.get("data"))
    extensions = _mapping_or_empty(first.get("extensions"))
    status_raw = details.get("status")
    try:
        status = int(status_raw) if status_raw is not None and status_raw != "" else None
    except (TypeError, ValueError):
        status = None
    phones = tuple(
        (text(p.get("id")), text(p.get("phone")))
        for p in optional_list(details.get("auth-phones"), "auth-phones")
        if isinstance(p, dict)
    )
    return GraphQLError(
        message=text(first.get("message")),
        name=text(first.get("name")),
        err=text(details.get("err")),
        status=status,
        res=text(details.get("res")),
        code=text(extensions.get("code")),
        otp_hash=text(details.get("auth-otp-hash")),
        phones=phones,
        auth_code=text(details.get("auth-code")),
    )


@_protocol
def root_of(body: Any, operation: str) -> Any:
    """`data.<root field>` of a successful reply (may be any JSON value)."""
    root = ROOT_FIELD[operation]
    data = require_mapping(require_mapping(body, "reply").get("data"), "data")
    if root not in data:
        raise KeyError(f"reply has no data.{root}")
    return data[root]


# --------------------------------------------------------------------------- JWTs


@_protocol
def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, not verified (clients cannot; they only read `exp`, §2.1)."""
    try:
        payload = token.split(".")[1]
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (IndexError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("token is not a JWT") from exc
    return require_mapping(claims, "token claims")


@_protocol
def jwt_expiry(token: str) -> tuple[float, float]:
    """(exp, lifetime) in epoch seconds; lifetime = exp - iat (900 s for the auth hash)."""
    claims = jwt_claims(token)
    exp = float(claims["exp"])
    iat = float(claims.get("iat") or exp - 900)
    lifetime = exp - iat
    if not math.isfinite(lifetime):
        raise ValueError("token lifetime is not a number")
    return exp, min(max(lifetime, 1.0), MAX_WAIT)  # a wait is always a finite, sane number


@_protocol
def capability_list(token: str, numinst: str) -> tuple[str, ...]:
    """`cap` of the capabilities JWT for `numinst` (2024 flat layout or 2026 `installations` list, §3.2)."""
    claims = jwt_claims(token)
    if isinstance(claims.get("installations"), list):
        for entry in claims["installations"]:
            if isinstance(entry, dict) and text(entry.get("ins")) == numinst:
                return tuple(text(c) for c in optional_list(entry.get("cap"), "cap"))
        return ()
    return tuple(text(c) for c in optional_list(claims.get("cap"), "cap"))


# --------------------------------------------------------------------------- authentication


@dataclass(frozen=True, slots=True)
class LoginReply:
    res: str
    msg: str
    hash: str = field(repr=False)
    refresh_token: str = field(repr=False)
    need_device_authorization: bool = False
    change_password: bool = False


@_protocol
def parse_login(value: Any) -> LoginReply:
    """`xSLoginToken`, `xSRefreshLogin` or `xSValidateDevice`."""
    row = require_mapping(value, "login reply")
    return LoginReply(
        res=text(row.get("res")),
        msg=text(row.get("msg")),
        hash=text(row.get("hash")),
        refresh_token=text(row.get("refreshToken")),
        need_device_authorization=flag(row.get("needDeviceAuthorization")) is True,
        change_password=flag(row.get("changePassword")) is True,
    )


# --------------------------------------------------------------------------- installations


@dataclass(frozen=True, slots=True)
class Installation:
    numinst: str
    alias: str
    panel: str
    type: str = ""


@_protocol
def parse_installations(value: Any) -> list[Installation]:
    rows = optional_list(require_mapping(value, "xSInstallations").get("installations"), "installations", cap="installations")
    result = []
    for row in rows:
        row = require_mapping(row, "installation")
        numinst = text(row.get("numinst"))
        if not numinst:
            raise ValueError("installation without numinst")
        result.append(Installation(numinst, text(row.get("alias")), text(row.get("panel")), text(row.get("type"))))
    return result


@dataclass(frozen=True, slots=True)
class Services:
    alias: str
    panel: str
    capabilities: str = field(repr=False)
    requests: tuple[str, ...] = ()
    """Active service `request` codes (SCH, PERI, CONFORT, ...)."""
    perimeter_partition: bool = False
    """Partition 02 with enter states (an Italian SDVECU perimeter circuit, §3.2)."""
    scheduler_modes: tuple[str, ...] = ()
    """The modes the SCH service's attributes advertise (DARM, ARMDAY, ARMNIGHT, ARM, PERI: §14.2)."""
    exit_delay: int = 0
    """Seconds of exit delay from the services' timing options (`genericConfig` `exitTimeNN`, §3.2); 0 when unknown."""

    @property
    def has_perimeter(self) -> bool:
        return "PERI" in self.requests or self.perimeter_partition or "PERI" in self.scheduler_modes


def _attributes(service: dict[str, Any]) -> list[dict[str, Any]]:
    """`attributes.attributes` of a service (each {name, value, active}); absent / null → []."""
    outer = service.get("attributes")
    inner = outer.get("attributes") if isinstance(outer, dict) else None
    return [a for a in optional_list(inner, "attributes") if isinstance(a, dict)]


def _exit_delay(services: list[Any]) -> int:
    for service in services:
        config = service.get("genericConfig") if isinstance(service, dict) else None
        rows = config.get("attributes") if isinstance(config, dict) else None
        for row in optional_list(rows, "genericConfig.attributes"):
            if isinstance(row, dict) and text(row.get("key")).lower().startswith("exittime"):
                seconds = as_int(row.get("value"), "genericConfig.exitTime", default=0, minimum=0, maximum=3600)
                if seconds:
                    return seconds
    return 0


@_protocol
def parse_services(value: Any) -> Services:
    row = require_mapping(value, "xSSrv")
    inst = require_mapping(row.get("installation"), "installation")
    services = optional_list(inst.get("services"), "services", cap="services")
    active = [s for s in services if isinstance(s, dict) and flag(s.get("active"), True) is not False]
    requests = tuple(text(s.get("request")) for s in active)
    partitions = optional_list(
        require_mapping(inst.get("configRepoUser") or {}, "configRepoUser").get("alarmPartitions"),
        "alarmPartitions",
        cap="partitions",
    )
    peri = any(
        isinstance(p, dict) and text(p.get("id")) == "02" and optional_list(p.get("enterStates"), "enterStates")
        for p in partitions
    )
    modes = tuple(
        text(a.get("name")).upper()
        for s in active
        if text(s.get("request")).upper() == "SCH"
        for a in _attributes(s)
        if flag(a.get("active"), True) is not False
    )
    return Services(
        alias=text(inst.get("alias")),
        panel=text(inst.get("panel")),
        capabilities=text(inst.get("capabilities")),
        requests=requests,
        perimeter_partition=peri,
        scheduler_modes=modes,
        exit_delay=_exit_delay(active),
    )


# --------------------------------------------------------------------------- status and operations


@dataclass(frozen=True, slots=True)
class ZoneException:
    status: str
    device_type: str
    alias: str


def _exceptions(value: Any) -> tuple[ZoneException, ...]:
    return tuple(
        ZoneException(text(e.get("status")), text(e.get("deviceType")), text(e.get("alias")))
        for e in optional_list(value, "exceptions", cap="zones")
        if isinstance(e, dict)
    )


@dataclass(frozen=True, slots=True)
class CachedStatus:
    status: str
    """The proto letter (§4.4)."""
    timestamp: str
    wifi_connected: bool | None
    exceptions: tuple[ZoneException, ...] = ()


@_protocol
def parse_status(value: Any) -> CachedStatus:
    row = require_mapping(value, "xSStatus")
    return CachedStatus(
        status=text(row.get("status")).strip(),
        timestamp=text(row.get("timestampUpdate")),
        wifi_connected=flag(row.get("wifiConnected"), None),
        exceptions=_exceptions(row.get("exceptions")),
    )


@dataclass(frozen=True, slots=True)
class Submitted:
    res: str
    msg: str
    reference_id: str


@_protocol
def parse_submit(value: Any) -> Submitted:
    row = require_mapping(value, "submit reply")
    return Submitted(text(row.get("res")), text(row.get("msg")), text(row.get("referenceId")))


@dataclass(frozen=True, slots=True)
class OperationError:
    code: str = ""
    type: str = ""
    allow_forcing: bool = False
    exceptions_number: int = 0
    reference_id: str = ""
    suid: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class PollReply:
    """One poll of a two-step operation (`xSArmStatus`, `xSDisarmStatus`, `xSCheckAlarmStatus`)."""

    res: str
    msg: str
    proto: str = ""
    proto_date: str = ""
    error: OperationError | None = None

    @property
    def waiting(self) -> bool:
        return self.res == "WAIT"


@_protocol
def parse_poll(value: Any) -> PollReply:
    row = require_mapping(value, "poll reply")
    raw_error = row.get("error")
    error = None
    if isinstance(raw_error, dict):  # may also be "" or null (§5.2)
        try:
            count = int(raw_error.get("exceptionsNumber") or 0)
        except (TypeError, ValueError, OverflowError):
            count = 0
        error = OperationError(
            code=text(raw_error.get("code")),
            type=text(raw_error.get("type")),
            allow_forcing=flag(raw_error.get("allowForcing")) is True,
            exceptions_number=count,
            reference_id=text(raw_error.get("referenceId")),
            suid=text(raw_error.get("suid")),
        )
    return PollReply(
        res=text(row.get("res")),
        msg=text(row.get("msg")),
        proto=text(row.get("protomResponse")).strip(),
        proto_date=text(row.get("protomResponseDate")),
        error=error,
    )


@dataclass(frozen=True, slots=True)
class ExceptionsReply:
    res: str
    exceptions: tuple[ZoneException, ...]


@_protocol
def parse_exceptions(value: Any) -> ExceptionsReply:
    row = require_mapping(value, "xSGetExceptions")
    return ExceptionsReply(text(row.get("res")), _exceptions(row.get("exceptions")))


# --------------------------------------------------------------------------- activity timeline


@dataclass(frozen=True, slots=True)
class ActivityRow:
    id_signal: str
    type: int
    alias: str
    time: str
    device: str = ""
    device_name: str = ""
    source: str = ""
    user: str = ""
    img: bool = False
    signal_type: str = ""
    exceptions: tuple[ZoneException, ...] = ()


@_protocol
def parse_activity(value: Any) -> list[ActivityRow]:
    """`xSActV2.reg` (may be null). Rows without an `idSignal` cannot be de-duplicated and are dropped."""
    rows = optional_list(require_mapping(value, "xSActV2").get("reg"), "reg", cap="events")
    result = []
    for row in rows:
        row = require_mapping(row, "activity row")
        id_signal = text(row.get("idSignal"))
        if not id_signal:
            continue
        raw_type: Any = row.get("type", row.get("signalType"))
        try:
            kind = int(raw_type)
        except (TypeError, ValueError, OverflowError):
            kind = -1
        result.append(
            ActivityRow(
                id_signal=id_signal,
                type=kind,
                alias=text(row.get("alias")),
                time=text(row.get("time")),
                device=text(row.get("device")),
                device_name=text(row.get("deviceName")),
                source=text(row.get("source")),
                user=text(row.get("myVerisureUser")),
                img=bool(row.get("img")) and flag(row.get("img"), True) is not False,
                signal_type=text(row.get("signalType")),
                exceptions=_exceptions(row.get("exceptions")),
            )
        )
    return result


# --------------------------------------------------------------------------- cameras


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    code: str
    zone_id: str
    name: str
    type: str
    active: bool = True


CAMERA_TYPES = {"QR": 106, "YR": 106, "YP": 103, "QP": 107}


@_protocol
def parse_devices(value: Any) -> list[Device]:
    rows = optional_list(require_mapping(value, "xSDeviceList").get("devices"), "devices", cap="zones")
    result = []
    for row in rows:
        row = require_mapping(row, "device")
        result.append(
            Device(
                id=text(row.get("id")),
                code=text(row.get("code")),
                zone_id=text(row.get("zoneId")),
                name=text(row.get("name")),
                type=text(row.get("type")),
                active=flag(row.get("isActive"), True) is not False,  # null means active (§7.1)
            )
        )
    return result


@dataclass(frozen=True, slots=True)
class Thumbnail:
    id_signal: str
    signal_type: str
    timestamp: str
    image: bytes | None
    device_alias: str = ""


_B64_STEP = 1 << 20
"""Base64 longer than this is decoded in 1 MB steps: one C call over a 16 MB photo holds the GIL (and, even
from a worker thread, the event loop) for ~50 ms; between steps the interpreter can switch threads."""


def _b64decode_in_steps(raw: str) -> bytes:
    compact = "".join(raw.split())  # MIME line breaks would shift the 4-character groups of the steps
    parts = [base64.b64decode(compact[start : start + _B64_STEP], validate=True) for start in range(0, len(compact), _B64_STEP)]
    return b"".join(parts)


def decode_image(value: Any) -> bytes | None:
    """Base64 image bytes, or None when absent or not an image (a file path, §7.3)."""
    raw = text(value)
    if not raw:
        return None
    try:
        data = base64.b64decode(raw, validate=False) if len(raw) <= _B64_STEP else _b64decode_in_steps(raw)
    except (binascii.Error, ValueError):
        return None
    if data[:2] == b"\xff\xd8" or data[:8] == b"\x89PNG\r\n\x1a\n" or data[:4] == b"GIF8" or data[8:12] == b"WEBP":
        return data
    return None


@_protocol
def parse_thumbnail(value: Any) -> Thumbnail:
    row = require_mapping(value or {}, "xSGetThumbnail")
    return Thumbnail(
        id_signal=text(row.get("idSignal")),
        signal_type=text(row.get("signalType")),
        timestamp=text(row.get("timestamp")),
        image=decode_image(row.get("image")),
        device_alias=text(row.get("deviceAlias")),
    )


@dataclass(frozen=True, slots=True)
class PhotoSet:
    device_code: str
    name: str
    images: tuple[bytes, ...]


@_protocol
def parse_photo_images(value: Any) -> list[PhotoSet]:
    """Every BINARY image of every device, in order; images that are not pictures are skipped."""
    result = []
    for device in optional_list(require_mapping(value or {}, "xSGetPhotoImages").get("devices"), "devices", cap="photos"):
        device = require_mapping(device, "photo device")
        images = []
        for image in optional_list(device.get("images"), "images", cap="photos"):
            if not isinstance(image, dict) or text(image.get("type")).upper() not in ("BINARY", ""):
                continue
            data = decode_image(image.get("image"))
            if data is not None:
                images.append(data)
        result.append(PhotoSet(text(device.get("code")), text(device.get("name")), tuple(images)))
    return result


def _mapping_or_empty(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
