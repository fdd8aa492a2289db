"""MMS cloud wire parsing: identity, controller lists, device info, event records."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field

from alarmtui.providers.base import ProtocolError
from alarmtui.providers.luup.parse import as_id, as_int, as_list, as_mapping, as_text

_SERVER = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?(/[A-Za-z0-9._\-]+)*$")


def _fail(what: str) -> ProtocolError:
    return ProtocolError(what)


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
    except (binascii.Error, ValueError, RecursionError):
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
    devices = as_list(as_mapping(data, "device list").get("Devices"), "device list Devices", cap="installations")
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
    records = as_list(as_mapping(data, "events").get("Records", []), "event Records", cap="events")
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
