"""MiOS MMS routes: one dispatcher over autha, info/session, locator, account, device, event, storage and relay."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from aiohttp import web

from alarmtui.simulators.luup import LuupRequest, Reply, resize_jpeg
from alarmtui.simulators.mios.cloud import (
    _KNOWN_PREFIXES,
    MiosCloud,
    Session,
    VeraUnit,
    _auth_error,
    sha1_password,
)
from alarmtui.simulators.mios.render import device_summary

# ------------------------------------------------------------------ dispatch


async def dispatch(cloud: MiosCloud, request: web.Request) -> web.StreamResponse:
    cloud.requests.append(request.path)
    if "/relay/relay/relay/" in request.path:
        cloud.relay_count += 1
    parts = [p for p in request.path.split("/") if p]
    server = ""
    if parts and parts[0] in _KNOWN_PREFIXES and not cloud.bare_hosts:
        server = parts.pop(0)
    try:
        return await route(cloud, request, server, parts)
    except Reply as reply:
        return reply.response


async def route(cloud: MiosCloud, request: web.Request, server: str, parts: list[str]) -> web.StreamResponse:
    method = request.method
    n = len(parts)
    if method == "GET" and n == 4 and parts[:3] == ["autha", "auth", "username"]:
        return autha(cloud, request, parts[3])
    if method == "GET" and parts == ["info", "session", "token"]:
        return session_token(cloud, request, server)
    if method == "GET" and parts == ["locator", "locator", "locator"]:
        return locator(cloud, request)
    if n >= 4 and parts[:3] == ["account", "account", "account"] and method == "GET":
        identity = cloud._authenticate(request, server)
        return account(cloud, request, identity, parts[3:])
    if n >= 4 and parts[:3] == ["device", "device", "device"] and method == "GET":
        identity = cloud._authenticate(request, server)
        return device(cloud, request, identity, parts[3:])
    if parts == ["event", "event", "events"] and method == "GET":
        identity = cloud._authenticate(request, server)
        cloud._require(identity, "view_events")
        return cloud._events(request, identity)  # a method: scenario clouds answer with their own records
    if n >= 4 and parts[:3] == ["storage", "storage", "store"] and method == "GET":
        identity = cloud._authenticate(request, server)
        cloud._require(identity, "view_storage")
        return storage(cloud, request, identity, parts[3:])
    if n >= 6 and parts[:4] == ["relay", "relay", "relay", "device"]:
        return await relay(cloud, request, server, parts[4:])
    return web.Response(status=404, text="Not Found")


# ------------------------------------------------------------------ autha / info / locator


def autha(cloud: MiosCloud, request: web.Request, username: str) -> web.Response:
    user = cloud.users.get(username.lower())
    if user is None or request.query.get("PK_Oem", "1") not in ("1", ""):
        # MiOS looks the user up within the OEM; this simulator's accounts are all OEM 1 (Vera).
        return web.Response(status=404, text="Not Found: no such user")
    expected = sha1_password(user.username, user.password)
    given = [request.query.get("SHA1Password", ""), request.query.get("SHA1PasswordCS", "")]
    if not any(secrets.compare_digest(value.lower(), expected) for value in given if value):
        return web.Response(status=403, text="Forbidden: wrong password")
    try:
        token_version = int(request.query.get("TokenVersion", "1"))
    except ValueError:
        token_version = 1
    identity_b64, signature, _identity = cloud.issue_identity(user, token_version, request.host)
    cloud.logins += 1
    cloud._record(
        None,
        PK_User=str(user.pk_user),
        EventType="5",
        SourceType="1",
        Description=f"User {user.username.lower()} logged in",
    )
    return web.json_response(
        {
            "Identity": identity_b64,
            "IdentitySignature": signature,
            "Server_Event": cloud._server_value(request, "event"),
            "Server_Event_Alt": cloud._server_value(request, "event_alt"),
            "Server_Account": cloud._server_value(request, "account"),
            "Server_Account_Alt": cloud._server_value(request, "account_alt"),
        }
    )


def session_token(cloud: MiosCloud, request: web.Request, server: str) -> web.Response:
    identity_b64 = request.headers.get("MMSAuth")
    signature = request.headers.get("MMSAuthSig")
    if not identity_b64 or not signature:
        return _auth_error("invalid signature")
    identity = cloud.check_identity(identity_b64, signature)
    token = secrets.token_hex(19).upper()  # 38 hex characters
    if len(cloud.sessions) > 1000:
        now = cloud.now()
        cloud.sessions = {k: v for k, v in cloud.sessions.items() if v.identity["Expires"] >= now}
    cloud.sessions[token] = Session(token, server, identity, cloud.now())
    return web.Response(text=token, content_type="text/plain")


def locator(cloud: MiosCloud, request: web.Request) -> web.Response:
    devices = []
    for unit in cloud.units.values():
        entry = device_summary(cloud, request, unit)
        entry.update(
            {
                "PK_Device": unit.pk_device,
                "PK_Account": cloud._account_of(unit),
                "Server_Event": cloud._server_value(request, "event"),
                "Server_Account": cloud._server_value(request, "account"),
                "InternalIP": "192.168.1.50",
                "LastAliveReported": datetime.fromtimestamp(cloud.now()).strftime("%Y-%m-%d %H:%M:%S"),
                "Platform": "Vera",
            }
        )
        devices.append(entry)
    return web.json_response({"Devices": devices})


# ------------------------------------------------------------------ account / device


def account(cloud: MiosCloud, request: web.Request, identity: dict[str, Any], rest: list[str]) -> web.Response:
    cloud._require(identity, "view_account")
    if str(identity.get("PK_Account")) != rest[0]:
        return web.Response(status=403, text="Forbidden: not your account")
    if len(rest) == 1:
        return web.json_response(
            {
                "PK_Account": str(identity["PK_Account"]),
                "PK_AccountType": 5,
                "PK_Oem": 1,
                "Server_Event": cloud._server_value(request, "event"),
                "Server_Event_Alt": cloud._server_value(request, "event_alt"),
                "Server_Account": cloud._server_value(request, "account"),
                "Server_Account_Alt": cloud._server_value(request, "account_alt"),
                "PK_Language": 1,
                "PK_Oem_Account": "",
            }
        )
    if rest[1:] == ["devices"]:
        return web.json_response({"Devices": [device_summary(cloud, request, u) for u in cloud.units.values()]})
    return web.Response(status=404, text="Not Found")


def find_unit(cloud: MiosCloud, pk: str) -> VeraUnit:
    try:
        return cloud.units[int(pk)]
    except (ValueError, KeyError):
        raise Reply(web.Response(status=404, text="Not Found: no such device")) from None


def device(cloud: MiosCloud, request: web.Request, identity: dict[str, Any], rest: list[str]) -> web.Response:
    unit = find_unit(cloud, rest[0])
    cloud._require(identity, "view_account", device=unit.pk_device)
    online = not unit.panel.faults.offline
    alive = datetime.fromtimestamp(cloud.now()).strftime("%Y-%m-%d %H:%M:%S")
    if rest[1:] == ["status"]:
        return web.json_response(
            {
                "PK_Device": str(unit.pk_device),
                "AliveDate": alive,
                "FirmwareVersion": "1.7.5186",
                "Online": "1" if online else "0",
            }
        )
    if len(rest) != 1:
        return web.Response(status=404, text="Not Found")
    return web.json_response(
        {
            "PK_Device": str(unit.pk_device),
            "Server_Relay": cloud._server_value(request, "relay"),
            "MacAddress": device_summary(cloud, request, unit)["MacAddress"],
            "Using_2G": 0,
            "ExternalIP": "127.0.0.1",
            "AccessiblePort": "",
            "InternalIP": "192.168.1.50",
            "AliveDate": alive,
            "FirmwareVersion": "1.7.5186",
            "Server_Device": cloud._server_value(request, "device"),
            "Server_Event": cloud._server_value(request, "event"),
            "Server_Support": cloud._server_value(request, "device"),
            "Server_Storage": cloud._server_value(request, "storage"),
            "Timezone": "UTC",
            "Platform": "Vera",
            "UI": "7",
            "HasWifi": "1",
            "HasAlarmPanel": "1",
            "EngineStatus": "1" if online else "0",
            "LinuxFirmware": 1,
        }
    )


# ------------------------------------------------------------------ events / storage


def events(cloud: MiosCloud, request: web.Request, identity: dict[str, Any]) -> web.Response:
    for unit in cloud.units.values():
        unit.panel.advance()
        unit.refresh()
    q = request.query

    def id_list(name: str) -> set[str] | None:
        value = q.get(name)
        if value is None or value == "":
            return None
        return {v.strip() for v in value.split(",") if v.strip()}

    allowed = {str(pk) for pk in cloud.units if cloud._granted(identity, "device_access")[0]}
    whitelist = cloud._granted(identity, "device_access")[1]
    if whitelist is not None:
        allowed &= {str(pk) for pk in whitelist}
    gateways = id_list("Gateway")
    cameras = id_list("Camera")
    if gateways is not None and "*" not in gateways:
        gateways &= allowed
    elif gateways is not None:
        gateways = allowed
    include_users = q.get("User", "") != "0"
    types = id_list("Type")
    devices = id_list("Device")
    severities = id_list("Severity")
    fmt = q.get("Format")
    try:
        count = max(0, min(int(q.get("Count", "50")), 1000))
        start = max(0, int(q.get("Start", "0")))
        before = int(q["Before"]) if "Before" in q else None
        after = int(q["After"]) if "After" in q else None
    except ValueError:
        return web.Response(status=400, text="Bad Request: numeric argument expected")
    picked = []
    for record in cloud.events:
        if record["PK_Device"] == "0":
            if not include_users or record.get("PK_User") != str(identity.get("PK_User")):
                continue
        elif gateways is None or record["PK_Device"] not in gateways:
            continue
        if cameras is not None and gateways is None:
            continue  # no IP cameras are paired in this simulator
        if types is not None and record["EventType"] not in types:
            continue
        if devices is not None and record["DeviceID"] not in devices:
            continue
        if severities is not None and str(record["Severity"]) not in severities:
            continue
        if fmt and record["Format"] != fmt:
            continue
        if q.get("Unread") == "1" and record["Read"]:
            continue
        stamp = int(record["Timestamp"])
        if before is not None and stamp >= before:
            continue
        if after is not None and stamp <= after:
            continue
        picked.append(record)
    if q.get("Sort", "Desc").lower() != "asc":
        picked.reverse()
    page = [dict(r) for r in picked[start : start + count]]
    for record in page:
        if "Server_Storage" in record:
            record["Server_Storage"] = cloud._server_value(request, "storage")
    return web.json_response({"Records": page})


def storage(cloud: MiosCloud, request: web.Request, identity: dict[str, Any], rest: list[str]) -> web.StreamResponse:
    try:
        item = cloud.store[int(rest[0])]
    except (ValueError, KeyError):
        return web.Response(status=404, text="Not Found: no such store item")
    if str(item.pk_account) != str(identity.get("PK_Account")):
        return web.Response(status=403, text="Forbidden: not your account")
    if not secrets.compare_digest(request.query.get("Key", ""), item.key):
        return web.Response(status=403, text="Forbidden: wrong Key")
    if rest[1:] == ["archive"]:
        return web.Response(body=item.data, content_type="image/jpeg")
    if rest[1:] == ["thumbnail"]:
        return web.Response(body=resize_jpeg(item.data, (160, 120)), content_type="image/jpeg")
    if len(rest) == 1:
        return web.json_response(
            {
                "PK_Store": item.pk_store,
                "PK_Account": item.pk_account,
                "PK_Device": item.pk_device,
                "PK_User": "",
                "Format": item.format,
                "Version": "1",
                "Tags": "camera",
                "Filesize": len(item.data),
                "Md5": hashlib.md5(item.data).hexdigest(),
                "Expiration": int(item.timestamp) + 30 * 86400,
                "Filename": f"{item.pk_store}.jpg",
                "PK_StorageType": 1,
                "Timestamp": int(item.timestamp),
            }
        )
    return web.Response(status=404, text="Not Found")


# ------------------------------------------------------------------ relay


async def relay(cloud: MiosCloud, request: web.Request, server: str, rest: list[str]) -> web.StreamResponse:
    path_token = None
    pk, tail = rest[0], rest[1:]
    if len(tail) >= 2 and tail[0] == "session":
        path_token, tail = tail[1], tail[2:]
    identity = cloud._authenticate(request, server, path_token)
    unit = find_unit(cloud, pk)
    cloud._require(identity, "device_access", device=unit.pk_device)
    if unit.panel.faults.offline:
        return web.Response(status=500, text="ERROR:Tunnel not found")
    if tail != ["port_3480", "data_request"]:
        return web.Response(status=404, text="Not Found")
    return await LuupRequest(unit, request).handle()


__all__ = ["dispatch"]
