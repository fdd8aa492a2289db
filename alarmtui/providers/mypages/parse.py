"""My Pages wire format: the GraphQL documents we send and typed readers of the replies.

The documents are vsure 2.10's (protocols/verisure-mypages.md §3–§5), so the
server sees what it sees from Home Assistant. Replies are read only through
`providers.wire` accessors: a wrong type or a missing required field is a
`ProtocolError` naming the field, and every text is cleaned of control characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from alarmtui.providers.errors import ProtocolError
from alarmtui.providers.wire import (
    as_bool,
    as_float,
    as_int,
    as_text,
    optional_list,
    optional_mapping,
    require_list,
    require_mapping,
)

EVENT_CATEGORIES = (
    "INTRUSION", "FIRE", "SOS", "WATER", "ANIMAL", "TECHNICAL", "WARNING",
    "ARM", "DISARM", "LOCK", "UNLOCK", "PICTURE", "CLIMATE", "CAMERA_SETTINGS",
)  # fmt: skip

# --------------------------------------------------------------------------- documents (vsure's texts)

INSTALLATIONS = (
    "query fetchAllInstallations($email: String!){ account(email: $email) { installations { giid alias customerType "
    "dealerId subsidiary pinCodeLength locale address { street city postalNumber __typename } __typename } __typename } }"
)
ARM_STATE = (
    "query ArmState($giid: String!) { installation(giid: $giid) { armState { type statusType date name changedVia "
    "__typename } __typename } }"
)
DOOR_WINDOW = (
    "query DoorWindow($giid: String!) { installation(giid: $giid) { doorWindows { device { deviceLabel __typename } "
    "type area state wired reportTime __typename } __typename } }"
)
SMART_LOCK = (
    "query SmartLock($giid: String!) { installation(giid: $giid) { smartLocks { lockStatus doorState lockMethod "
    "eventTime doorLockType secureMode device { deviceLabel area __typename } user { name __typename } __typename } "
    "__typename } }"
)
CLIMATE = (
    "query Climate($giid: String!) { installation(giid: $giid) { climates { device { deviceLabel area gui { label "
    "__typename } __typename } humidityEnabled humidityTimestamp humidityValue temperatureTimestamp temperatureValue "
    "thresholds { aboveMaxAlert belowMinAlert sensorType __typename } __typename } __typename } }"
)
BROADBAND = (
    "query Broadband($giid: String!) { installation(giid: $giid) { broadband { testDate isBroadbandConnected "
    "__typename } __typename } }"
)
CAMERA = (
    "query Camera($giid: String!, $all: Boolean!) { installation(giid: $giid) { cameras(allCameras: $all) { "
    "visibleOnCard initiallyConfigured imageCaptureAllowed imageCaptureAllowedByArmstate device { deviceLabel area "
    "__typename } latestCameraSeries { image { imageId imageStatus captureTime url } } } } }"
)
EVENT_LOG = (
    "query EventLog($giid: String!, $offset: Int!, $pagesize: Int!, $eventCategories: [String], $fromDate: String, "
    "$toDate: String, $eventContactIds: [String], $eventDeviceLabels: [String]) { installation(giid: $giid) { "
    "eventLog(offset: $offset, pagesize: $pagesize, eventCategories: $eventCategories, eventContactIds: "
    "$eventContactIds, eventDeviceLabels: $eventDeviceLabels, fromDate: $fromDate, toDate: $toDate) { "
    "moreDataAvailable pagedList { device { deviceLabel area gui { label __typename } __typename } arloDevice { name "
    "__typename } gatewayArea eventType eventCategory eventSource eventId eventTime userName armState userType "
    "climateValue sensorType eventCount __typename } __typename } __typename } }"
)
ARM_AWAY = (
    "mutation armAway($giid: String!, $code: String!, $forceArm: Boolean) { armStateArmAway(giid: $giid, code: $code, "
    "forceArm: $forceArm) }"
)
ARM_HOME = (
    "mutation armHome($giid: String!, $code: String!, $forceArm: Boolean) { armStateArmHome(giid: $giid, code: $code, "
    "forceArm: $forceArm) }"
)
DISARM = "mutation disarm($giid: String!, $code: String!) { armStateDisarm(giid: $giid, code: $code) }"
POLL_ARM_STATE = (
    "query pollArmState($giid: String!, $transactionId: String, $futureState: ArmStateStatusTypes!) { "
    "installation(giid: $giid) { armStateChangePollResult(transactionId: $transactionId, futureState: $futureState) { "
    "result createTime __typename } __typename } }"
)
DOOR_LOCK = (
    "mutation DoorLock($giid: String!, $deviceLabel: String!, $input: LockDoorInput!) { DoorLock(giid: $giid, "
    "deviceLabel: $deviceLabel, input: $input) }"
)
DOOR_UNLOCK = (
    "mutation DoorUnlock($giid: String!, $deviceLabel: String!, $input: LockDoorInput!) { DoorUnlock(giid: $giid, "
    "deviceLabel: $deviceLabel, input: $input) }"
)
POLL_LOCK_STATE = (
    "query pollLockState($giid: String!, $transactionId: String, $deviceLabel: String!, $futureState: DoorLockState!) "
    "{ installation(giid: $giid) { doorLockStateChangePollResult(transactionId: $transactionId, deviceLabel: "
    "$deviceLabel, futureState: $futureState) { result createTime __typename } __typename } }"
)
CAPTURE = (
    "mutation cccp($giid: String!, $deviceLabel: String!, $resolution: String!, $deviceIdentifier: String) { "
    "ContentProviderCaptureImageRequest(giid: $giid, deviceLabel: $deviceLabel, resolution: $resolution, "
    "deviceIdentifier: $deviceIdentifier) { requestId } }"
)
CAPTURE_STATUS = (
    "query queryCaptureImageRequestStatus($giid: String!, $deviceLabel: String!, $requestId: BigInt!) { "
    "installation(giid: $giid) { cameraContentProvider { captureImageRequestStatus(deviceLabel: $deviceLabel, "
    "requestId: $requestId) { mediaRequestStatus } } } }"
)


def operation(name: str | None, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """One element of the batched `/graphql` array (camera documents go without an operationName, as vsure's)."""
    return {"operationName": name, "variables": variables, "query": query} if name else {"variables": variables, "query": query}


# --------------------------------------------------------------------------- replies


def batch_items(value: Any, expected: int) -> list[dict[str, Any]]:
    """The `{"data": …}` objects of a batched reply, in request order.

    A one-operation batch is answered with the bare object (§3); a longer one with an array.
    """
    if isinstance(value, dict):
        items = [value]
    else:
        items = [require_mapping(item, "graphql reply item") for item in require_list(value, "graphql reply")]
    if len(items) != expected:
        raise ProtocolError(f"the server answered {len(items)} of {expected} operations")
    return items


def graphql_errors(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in optional_list(item.get("errors"), "errors") if isinstance(e, dict)]


def error_code(error: dict[str, Any]) -> tuple[str, int]:
    """(errorCode, status) from a GraphQL error object's `data` (keys beyond `status` are [?])."""
    raw = error.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    code = as_text(data.get("errorCode") or error.get("errorCode"), "errors.data.errorCode", limit=40)
    try:
        status = int(data.get("status") or 0)
    except (TypeError, ValueError):
        status = 0
    return code, status


def installation_node(item: dict[str, Any], what: str) -> dict[str, Any]:
    data = require_mapping(item.get("data"), f"{what}.data")
    return require_mapping(data.get("installation"), f"{what}.installation")


@dataclass(frozen=True, slots=True)
class Installation:
    giid: str
    alias: str
    pin_length: int | None
    locale: str


def parse_installations(item: dict[str, Any]) -> list[Installation]:
    data = require_mapping(item.get("data"), "fetchAllInstallations.data")
    account = require_mapping(data.get("account"), "account")
    found = []
    for raw in optional_list(account.get("installations"), "account.installations"):
        node = require_mapping(raw, "installation")
        pin = node.get("pinCodeLength")
        found.append(
            Installation(
                giid=as_text(node.get("giid"), "installation.giid", required=True, limit=40),
                alias=as_text(node.get("alias"), "installation.alias", limit=80),
                pin_length=as_int(pin, "installation.pinCodeLength", minimum=1, maximum=12) if pin is not None else None,
                locale=as_text(node.get("locale"), "installation.locale", limit=20),
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class ArmState:
    status: str
    date: datetime | None
    name: str
    changed_via: str


def parse_arm_state(item: dict[str, Any]) -> ArmState:
    node = require_mapping(installation_node(item, "ArmState").get("armState"), "armState")
    return ArmState(
        status=as_text(node.get("statusType"), "armState.statusType", required=True, limit=40),
        date=parse_time(node.get("date"), "armState.date"),
        name=as_text(node.get("name"), "armState.name", limit=80),
        changed_via=as_text(node.get("changedVia"), "armState.changedVia", limit=40),
    )


@dataclass(frozen=True, slots=True)
class DoorWindow:
    label: str
    area: str
    open: bool | None
    kind: str
    wired: bool | None
    reported: datetime | None


def parse_door_windows(item: dict[str, Any]) -> list[DoorWindow]:
    rows = []
    for raw in optional_list(installation_node(item, "DoorWindow").get("doorWindows"), "doorWindows"):
        node = require_mapping(raw, "doorWindow")
        device = optional_mapping(node.get("device"), "doorWindow.device")
        state = as_text(node.get("state"), "doorWindow.state", limit=20).upper()
        rows.append(
            DoorWindow(
                label=as_text(device.get("deviceLabel"), "doorWindow.device.deviceLabel", required=True, limit=40),
                area=as_text(node.get("area"), "doorWindow.area", limit=80),
                open=True if state == "OPEN" else False if state == "CLOSE" else None,
                kind=as_text(node.get("type"), "doorWindow.type", limit=40),
                wired=as_bool(node.get("wired"), "doorWindow.wired", default=None),
                reported=parse_time(node.get("reportTime"), "doorWindow.reportTime"),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class SmartLock:
    label: str
    area: str
    status: str
    door_state: str
    method: str
    user: str
    time: datetime | None


def parse_smart_locks(item: dict[str, Any]) -> list[SmartLock]:
    rows = []
    for raw in optional_list(installation_node(item, "SmartLock").get("smartLocks"), "smartLocks"):
        node = require_mapping(raw, "smartLock")
        device = optional_mapping(node.get("device"), "smartLock.device")
        user = optional_mapping(node.get("user"), "smartLock.user")
        rows.append(
            SmartLock(
                label=as_text(device.get("deviceLabel"), "smartLock.device.deviceLabel", required=True, limit=40),
                area=as_text(device.get("area"), "smartLock.device.area", limit=80),
                status=as_text(node.get("lockStatus"), "smartLock.lockStatus", limit=40).upper(),
                door_state=as_text(node.get("doorState"), "smartLock.doorState", limit=40).upper(),
                method=as_text(node.get("lockMethod"), "smartLock.lockMethod", limit=40),
                user=as_text(user.get("name"), "smartLock.user.name", limit=80),
                time=parse_time(node.get("eventTime"), "smartLock.eventTime"),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class Climate:
    label: str
    area: str
    kind: str
    temperature: float | None
    humidity: float | None
    time: datetime | None


def parse_climates(item: dict[str, Any]) -> list[Climate]:
    rows = []
    for raw in optional_list(installation_node(item, "Climate").get("climates"), "climates"):
        node = require_mapping(raw, "climate")
        device = optional_mapping(node.get("device"), "climate.device")
        gui = optional_mapping(device.get("gui"), "climate.device.gui")
        humidity = None
        if as_bool(node.get("humidityEnabled"), "climate.humidityEnabled", default=False):
            humidity = as_float(node.get("humidityValue"), "climate.humidityValue", default=None)
        rows.append(
            Climate(
                label=as_text(device.get("deviceLabel"), "climate.device.deviceLabel", required=True, limit=40),
                area=as_text(device.get("area"), "climate.device.area", limit=80),
                kind=as_text(gui.get("label"), "climate.device.gui.label", limit=40),
                temperature=as_float(node.get("temperatureValue"), "climate.temperatureValue", default=None),
                humidity=humidity,
                time=parse_time(node.get("temperatureTimestamp"), "climate.temperatureTimestamp"),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class Broadband:
    connected: bool | None
    tested: datetime | None


def parse_broadband(item: dict[str, Any]) -> Broadband:
    node = optional_mapping(installation_node(item, "Broadband").get("broadband"), "broadband")
    return Broadband(
        connected=as_bool(node.get("isBroadbandConnected"), "broadband.isBroadbandConnected", default=None),
        tested=parse_time(node.get("testDate"), "broadband.testDate"),
    )


@dataclass(frozen=True, slots=True)
class CameraImage:
    image_id: str
    status: str
    time: datetime | None
    url: str


@dataclass(frozen=True, slots=True)
class Camera:
    label: str
    area: str
    capture_allowed: bool
    images: tuple[CameraImage, ...]


def parse_cameras(item: dict[str, Any]) -> list[Camera]:
    rows = []
    for raw in optional_list(installation_node(item, "Camera").get("cameras"), "cameras"):
        node = require_mapping(raw, "camera")
        device = optional_mapping(node.get("device"), "camera.device")
        series = optional_mapping(node.get("latestCameraSeries"), "camera.latestCameraSeries")
        image_value = series.get("image")
        # Whether `image` is a list or one object is [?] (§4.5): accept both.
        raw_images = image_value if isinstance(image_value, list) else [image_value] if image_value else []
        images = []
        for raw_image in raw_images:
            image = require_mapping(raw_image, "camera.image")
            images.append(
                CameraImage(
                    image_id=as_text(image.get("imageId"), "camera.image.imageId", limit=80),
                    status=as_text(image.get("imageStatus"), "camera.image.imageStatus", limit=40),
                    time=parse_time(image.get("captureTime"), "camera.image.captureTime"),
                    url=as_text(image.get("url"), "camera.image.url", limit=2000),
                )
            )
        rows.append(
            Camera(
                label=as_text(device.get("deviceLabel"), "camera.device.deviceLabel", required=True, limit=40),
                area=as_text(device.get("area"), "camera.device.area", limit=80),
                capture_allowed=bool(as_bool(node.get("imageCaptureAllowed"), "camera.imageCaptureAllowed", default=True)),
                images=tuple(images),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class LogRow:
    event_id: str
    time: datetime | None
    category: str
    event_type: str
    source: str
    device_label: str
    area: str
    user: str
    arm_state: str
    climate_value: str


@dataclass(frozen=True, slots=True)
class LogPage:
    rows: tuple[LogRow, ...]
    more: bool


def parse_event_log(item: dict[str, Any]) -> LogPage:
    node = require_mapping(installation_node(item, "EventLog").get("eventLog"), "eventLog")
    rows = []
    for raw in optional_list(node.get("pagedList"), "eventLog.pagedList"):
        row = require_mapping(raw, "eventLog row")
        device = optional_mapping(row.get("device"), "eventLog.device")
        rows.append(
            LogRow(
                event_id=as_text(row.get("eventId"), "eventLog.eventId", limit=80),
                time=parse_time(row.get("eventTime"), "eventLog.eventTime"),
                category=as_text(row.get("eventCategory"), "eventLog.eventCategory", limit=40).upper(),
                event_type=as_text(row.get("eventType"), "eventLog.eventType", limit=40),
                source=as_text(row.get("eventSource"), "eventLog.eventSource", limit=40),
                device_label=as_text(device.get("deviceLabel"), "eventLog.device.deviceLabel", limit=40),
                area=as_text(device.get("area") or row.get("gatewayArea"), "eventLog.device.area", limit=80),
                user=as_text(row.get("userName"), "eventLog.userName", limit=80),
                arm_state=as_text(row.get("armState"), "eventLog.armState", limit=40),
                climate_value=as_text(row.get("climateValue"), "eventLog.climateValue", limit=40),
            )
        )
    more = as_bool(node.get("moreDataAvailable"), "eventLog.moreDataAvailable", default=False)
    return LogPage(tuple(rows), bool(more))


def parse_transaction(item: dict[str, Any], root: str) -> str:
    """The transaction id a command mutation returns (`{"data": {root: "<txid>"}}`; format [?])."""
    data = require_mapping(item.get("data"), f"{root}.data")
    value = data.get(root)
    if isinstance(value, dict):  # tolerate an object around the id
        value = value.get("transactionId") or value.get("requestId")
    return as_text(value, root, required=True, limit=200)


def parse_poll_result(item: dict[str, Any], field: str) -> str:
    """`result` of armStateChangePollResult / doorLockStateChangePollResult: "" while pending."""
    node = optional_mapping(installation_node(item, field).get(field), field)
    return as_text(node.get("result"), f"{field}.result", limit=60).upper()


def parse_capture_request(item: dict[str, Any]) -> str:
    data = require_mapping(item.get("data"), "capture.data")
    node = require_mapping(data.get("ContentProviderCaptureImageRequest"), "ContentProviderCaptureImageRequest")
    return as_text(node.get("requestId"), "ContentProviderCaptureImageRequest.requestId", required=True, limit=80)


def parse_capture_status(item: dict[str, Any]) -> str:
    provider = optional_mapping(installation_node(item, "capture").get("cameraContentProvider"), "cameraContentProvider")
    node = optional_mapping(provider.get("captureImageRequestStatus"), "captureImageRequestStatus")
    return as_text(node.get("mediaRequestStatus"), "captureImageRequestStatus.mediaRequestStatus", limit=40).upper()


def parse_time(value: Any, what: str) -> datetime | None:
    """ISO 8601 (`2020-03-11T21:04:40.000Z`); naive times are taken as UTC; absent or unreadable → None."""
    text = as_text(value, what, limit=60)
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def rest_error(body: bytes) -> tuple[str, str]:
    """(errorCode, errorMessage) of a flat REST error body (§1.3); ("", "") when it is not one."""
    import json

    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "", ""
    if not isinstance(value, dict):
        return "", ""
    code = value.get("errorCode")
    message = value.get("errorMessage")
    return (
        as_text(code, "errorCode", limit=40) if isinstance(code, str) else "",
        as_text(message, "errorMessage", limit=300) if isinstance(message, str) else "",
    )
