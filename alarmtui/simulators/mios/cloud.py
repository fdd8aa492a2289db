"""The MiOS MMS cloud's state: accounts, identities, per-server sessions, events, storage, scenario hooks.

Routes are in `routes.py`; the Veras behind the relay (and the first one's LAN port) are
`simulators/luup.py`.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import itertools
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from alarmtui.simulators.base import SimCloud
from alarmtui.simulators.houses import vera_house
from alarmtui.simulators.luup import (
    GLITCHES,
    GROUP_ANY,
    GROUP_READS,
    DeviceMeta,
    LuupFaults,
    LuupRequest,
    Reply,
    VeraUnit,
)
from alarmtui.simulators.panel import SimPanel

PASSWORD_SEED = "oZ7QE6LcLJp6fiWzdqZc"

#: Permission names -> PK_Permission. 41 (device whitelist in Arguments) follows
#: MiOS's own token check; the other numbers are this simulator's choice.
PERMISSIONS = {"view_account": 1, "view_events": 2, "read_events": 3, "view_storage": 4, "device_access": 41}

SERVER_NAMES = {
    "account": "vera-us-oem-account11",
    "account_alt": "vera-us-oem-account12",
    "event": "vera-us-oem-event11",
    "event_alt": "vera-us-oem-event12",
    "device": "vera-us-oem-device11",
    "device_alt": "vera-us-oem-device12",
    "relay": "vera-us-oem-relay11",
    "storage": "vera-us-oem-storage11",
    "authd": "vera-us-oem-authd11",
}
_KNOWN_PREFIXES = frozenset(SERVER_NAMES.values())

#: Every luup data_request id a client may send (the fault groups of `LuupFaults` apply to these).
LUUP_IDS = frozenset(
    {"alive", "sdata", "lu_sdata", "summary", "status", "lu_status", "lu_status2", "status2", "user_data", "lu_user_data",
     "action", "lu_action", "jobstatus", "variableget", "variableset", "request_image", "archive_video", "reload", "data_request"}
)  # fmt: skip

_KEY: rsa.RSAPrivateKey | None = None


def signing_key() -> rsa.RSAPrivateKey:
    """One RSA-2048 key per process (generating one costs ~0.1 s)."""
    global _KEY
    if _KEY is None:
        _KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _KEY


def sha1_password(username: str, password: str) -> str:
    return hashlib.sha1((username.lower() + password + PASSWORD_SEED).encode()).hexdigest()


def _auth_error(text: str) -> web.Response:
    body = f'MMSAuth error="{text}"'
    return web.Response(status=401, text=body, headers={"WWW-Authenticate": body})


@dataclass
class MmsUser:
    username: str
    password: str
    pk_user: int
    pk_account: int


@dataclass
class Session:
    token: str
    server: str
    identity: dict[str, Any]
    created: float


@dataclass
class StoredFile:
    pk_store: int
    key: str
    pk_account: int
    pk_device: int
    data: bytes
    timestamp: float
    format: str = "jpg"


class MiosCloud(SimCloud):
    """MiOS MMS (autha, account, device, event, storage, relay) over one or more Veras.

    Options: `panel=`/`panels=` (SimPanels; default `vera_house()`), `username`,
    `password`, `identity_lifetime` (seconds, default 86400), `bare_hosts`,
    `exit_delay`/`entry_delay`/`photo_delay` (for the default house).

    Scenario hooks: `expire_sessions()`, `expire_identities()`, `identity_lifetime = s`, `advance_clock(s)`,
    `rotate_signing_key()`, `revoke_permission(name)`, `restrict_devices([...])`, `set_offline(bool)`,
    `inject_glitch("empty" | "status0" | "500", count)`, `inject_reply(status, body)`, `reload_vera()`,
    `vera().plugin_style = "texecom"`, `vera().panic_enabled = False`, `vera().refuse_jobs[dev] = text`,
    `vera().refuse_requests[dev] = (status, body)`, `vera().stall_jobs = True`, `vera().minimal_jobstatus = True`,
    and the shared fault middleware `faults` (routes: luup ids such as "sdata", "action", "jobstatus").
    """

    kind: ClassVar[str] = "mios"

    def __init__(
        self,
        *,
        panel: SimPanel | None = None,
        panels: Iterable[SimPanel] | None = None,
        username: str = "demo",
        password: str = "demo-pass",
        code: str = "1234",
        identity_lifetime: float = 86400,
        bare_hosts: bool = False,
        clock: Callable[[], float] = time.time,
        lan_provider: bool = False,
        **options: Any,
    ) -> None:
        house = {k: options[k] for k in ("exit_delay", "entry_delay", "photo_delay") if k in options}
        chosen = list(panels) if panels is not None else [panel or vera_house(**house)]
        self.username, self.password, self.code = username, password, code
        self.identity_lifetime = identity_lifetime
        self.bare_hosts = bare_hosts
        self._key: rsa.RSAPrivateKey | None = None
        self._clock = clock
        self.clock_offset = 0.0
        self.users = {username.lower(): MmsUser(username, password, 1309941, 260061)}
        self.sessions: dict[str, Session] = {}
        self.permissions = set(PERMISSIONS)
        self.device_whitelist: list[int] | None = None
        self.events: list[dict[str, Any]] = []
        self.store: dict[int, StoredFile] = {}
        self._event_ids = itertools.count(192817)
        self._store_ids = itertools.count(12345)
        self._seq = itertools.count(6359588)
        self.min_seq = 0
        self.logins = 0
        self.requests: collections.deque[str] = collections.deque(maxlen=20000)
        """Paths of the latest requests served (tests assert on them)."""
        self.relay_count = 0
        """Relay requests served (idle-cost measurements)."""
        self.lan_provider = lan_provider
        """Whether `provider_tables` also offers the first Vera's LAN face as a `vera` provider."""
        self.lan_url: str | None = None
        """Where the first Vera's LAN face (its luup port) is served, once the host started it."""
        self.lan_count = 0
        """LAN data_requests served."""
        # One fault mechanism: the shared middleware, with the luup route groups (see simulators/luup.py).
        self.__dict__["_faults"] = LuupFaults(self.route_of, LUUP_IDS)
        self.units: dict[int, VeraUnit] = {}
        for index, sim_panel in enumerate(chosen):
            pk = 35101627 + index
            self.units[pk] = VeraUnit(self, sim_panel, pk)

    # ------------------------------------------------------------------ SimCloud

    @property
    def panels(self) -> list[SimPanel]:
        return [unit.panel for unit in self.units.values()]

    def vera(self, index: int = 0) -> VeraUnit:
        return list(self.units.values())[index]

    def provider_tables(self, base_url: str) -> list[dict[str, Any]]:
        tables = [
            {
                "name": "vera",
                "kind": "mios",
                "url": base_url,
                "username": self.username,
                "password": self.password,
                "code": self.code,
            }
        ]
        if self.lan_provider and self.lan_url:
            tables.append({"name": "vera-lan", "kind": "vera", "url": self.lan_url, "code": self.code})
        return tables

    def describe(self, base_url: str) -> list[str]:
        lines = super().describe(base_url)
        if self.lan_url:
            lines.append(f"{'vera':9s} {self.lan_url}  (the same Vera's LAN luup port; no account) code={self.code}")
        return lines

    async def route_of(self, request: web.Request) -> str:
        """Fault/count route names: the luup request id for data_requests (relay or LAN: "sdata",
        "lu_sdata", "action", "jobstatus" …), else the MMS module ("autha", "session_token", "devices" …)."""
        if request.path.endswith("/data_request"):
            return request.query.get("id", "data_request")
        parts = [p for p in request.path.split("/") if p and p not in _KNOWN_PREFIXES]
        if parts[:1] == ["autha"]:
            return "autha"
        if parts[:3] == ["info", "session", "token"]:
            return "session_token"
        return parts[-1] if parts and parts[0] in ("account", "locator") else (parts[0] if parts else "")

    # ------------------------------------------------------------------ the LAN face

    def extra_faces(self) -> dict[str, web.Application]:
        """Other ports this cloud serves: the first Vera's own luup port, as on its LAN."""
        return {"vera": self.lan_app()}

    def face_started(self, face: str, url: str) -> None:
        if face == "vera":
            self.lan_url = url

    def lan_app(self, index: int = 0) -> web.Application:
        """A Vera's port 3480 on the LAN: `/data_request?id=...` with no account, plain HTTP."""
        unit = self.vera(index)

        async def data_request(request: web.Request) -> web.StreamResponse:
            self.lan_count += 1
            self.requests.append(request.path)
            return await LuupRequest(unit, request).handle()

        async def not_found(request: web.Request) -> web.StreamResponse:
            return web.Response(status=404, text="Not Found")

        app = web.Application(middlewares=[self.faults.middleware])  # the same faults and counts as the relay
        app.router.add_route("GET", "/data_request", data_request)
        app.router.add_route("GET", "/port_3480/data_request", data_request)
        app.router.add_route("*", "/{tail:.*}", not_found)
        return app

    def build_app(self) -> web.Application:
        from alarmtui.simulators.mios import routes  # routes import this module

        app = web.Application(middlewares=[self.faults.middleware])

        async def dispatch(request: web.Request) -> web.StreamResponse:
            return await routes.dispatch(self, request)

        app.router.add_route("*", "/{tail:.*}", dispatch)
        app.on_cleanup.append(self._cleanup)
        return app

    def _events(self, request: web.Request, identity: dict[str, Any]) -> web.Response:
        """The event module's answer (`routes.events`); a subclass may answer with records of its own."""
        from alarmtui.simulators.mios import routes

        return routes.events(self, request, identity)

    async def _cleanup(self, _app: web.Application) -> None:
        for unit in self.units.values():
            for task in list(unit.tasks):
                task.cancel()

    # ------------------------------------------------------------------ scenario hooks

    def now(self) -> float:
        return self._clock() + self.clock_offset

    def expire_sessions(self) -> None:
        """Forget every session token ("invalid session"); identities stay valid, as on MiOS."""
        self.sessions.clear()

    def expire_identities(self) -> None:
        """Sessions gone and every identity issued so far reported as "expired token": a full login is needed."""
        self.sessions.clear()
        self.min_seq = next(self._seq)

    def advance_clock(self, seconds: float) -> None:
        """Move the MMS servers' clock (identities expire), not the panel's."""
        self.clock_offset += seconds

    def revoke_permission(self, name: str) -> None:
        """Identities issued from now on lack `name` (see PERMISSIONS)."""
        self.permissions.discard(name)

    def restrict_devices(self, devices: Iterable[int] | None) -> None:
        self.device_whitelist = None if devices is None else [int(d) for d in devices]

    def set_offline(self, offline: bool = True, index: int = 0) -> None:
        self.vera(index).panel.set_offline(offline)

    def inject_glitch(self, kind: str, count: int = 1, index: int = 0) -> None:
        """The next `count` luup reads (sdata/status/user_data, relay or LAN) get a reload glitch:
        "empty", "status0" or "500". A fault of the shared middleware (route group "luup_read")."""
        if kind not in GLITCHES:
            raise ValueError(kind)
        status, body, content_type = GLITCHES[kind]
        self.faults.add(GROUP_READS, status=status, body=body, times=count, content_type=content_type)

    def inject_reply(
        self, status: int, body: bytes, count: int = 1, index: int = 0, headers: dict[str, str] | None = None
    ) -> None:
        """The next `count` data_requests (any id, relay or LAN) get exactly this reply (route group "luup")."""
        kept = dict(headers or {})
        content_type = kept.pop("Content-Type", "application/json")
        self.faults.add(GROUP_ANY, status=status, body=body, headers=kept, times=count, content_type=content_type)

    def reload_vera(self, index: int = 0) -> None:
        self.vera(index).reload()

    def relay_requests(self) -> int:
        return self.relay_count

    # ------------------------------------------------------------------ records

    def _record(self, unit: VeraUnit | None, **fields: Any) -> dict[str, Any]:
        now = self.now()
        record = {
            "PK_Event": next(self._event_ids),
            "PK_Device": str(unit.pk_device) if unit else "0",
            "PK_Account": str(self._account_of(unit)),
            "PK_User": "",
            "PK_Notification": "",
            "DeviceID": "0",
            "Timestamp": str(int(now)),
            "LocalDate": datetime.fromtimestamp(now).strftime("%Y-%m-%d %H:%M:%S"),
            "Expiration": str(int(now) + 30 * 86400),
            "Read": "",
            "EventType": "4",
            "SourceType": "4",
            "Format": "",
            "IP": "",
            "Locked": "0",
            "FileSize": "0",
            "Code": "",
            "NewValue": "",
            "OldValue": "",
            "Description": "",
            "Key": str(secrets.randbits(32)),
            "Severity": 0,
            "Thumbnail": "",
            "UserComments": "",
        }
        record.update(fields)
        self.events.append(record)
        if len(self.events) > 5000:
            del self.events[:1000]
        return record

    def _account_of(self, unit: VeraUnit | None) -> int:
        return next(iter(self.users.values())).pk_account

    def log_variable(self, unit: VeraUnit, dev: DeviceMeta, key: tuple[str, str], old: str, new: str) -> None:
        service, variable = key
        severity = 2 if (variable == "Alarm" and new == "Active") or (variable == "Tripped" and new == "1") else 0
        self._record(
            unit,
            DeviceID=str(dev.num),
            DeviceName=dev.name,
            Service=service,
            Code=variable,
            OldValue=old,
            NewValue=new,
            Severity=severity,
            Description=f"{dev.name}: {variable} {old or '-'} -> {new or '-'}",
        )

    def store_image(self, unit: VeraUnit, dev: DeviceMeta, jpeg: bytes, when: float, index: int) -> None:
        stored = StoredFile(next(self._store_ids), str(secrets.randbits(32)), self._account_of(unit), unit.pk_device, jpeg, when)
        self.store[stored.pk_store] = stored
        self._record(
            unit,
            DeviceID=str(dev.num),
            DeviceName=dev.name,
            EventType="1",
            SourceType="1",
            Format="jpg",
            FileSize=str(len(jpeg)),
            Server_Storage=SERVER_NAMES["storage"],  # completed with the host when served
            PK_Store=stored.pk_store,
            Key=stored.key,
            Description=f"Camera Image: {dev.name} #{index + 1}",
            Timestamp=str(int(when)),
        )

    # ------------------------------------------------------------------ identity

    def _server_value(self, request: web.Request, name: str) -> str:
        host = request.host
        return host if self.bare_hosts else f"{host}/{SERVER_NAMES[name]}"

    def issue_identity(self, user: MmsUser, token_version: int, server_auth: str) -> tuple[str, str, dict[str, Any]]:
        now = int(self.now())
        permissions: list[Any] = []
        for name in sorted(self.permissions, key=PERMISSIONS.__getitem__):
            number = PERMISSIONS[name]
            arguments = json.dumps(self.device_whitelist) if number == 41 and self.device_whitelist is not None else None
            if token_version >= 2:
                permissions.append({"PK": number, "Arguments": arguments} if arguments else number)
            else:
                entry: dict[str, Any] = {"PK_Permission": number, "Mode": 1}
                if arguments:
                    entry["Arguments"] = arguments
                permissions.append(entry)
        identity: dict[str, Any] = {"Expires": now + int(self.identity_lifetime), "Generated": now}
        if token_version >= 2:
            identity.update({"PermissionsEnabled": permissions, "PermissionsDisabled": [], "Version": 2})
        else:
            identity["Permissions"] = permissions
        identity.update(
            {
                "PK_Account": user.pk_account,
                "PK_AccountType": 5,
                "PK_AccountChild": 0,
                "PK_Account_Parent": 2375,
                "PK_App": 0,
                "PK_Oem": 1,
                "PK_Oem_User": "",
                "PK_PermissionRole": 10,
                "PK_User": user.pk_user,
                "PK_Server_Auth": 1,
                "PK_Server_Account": 6,
                "PK_Server_Event": 14,
                "Server_Auth": server_auth,
                "Seq": next(self._seq),
                "Username": user.username.lower(),
            }
        )
        text = base64.b64encode(json.dumps(identity, separators=(",", ":")).encode()).decode()
        return text, self.sign(text), identity

    def sign(self, identity_b64: str) -> str:
        signature = self.key.sign(identity_b64.encode(), padding.PKCS1v15(), hashes.SHA512())
        return base64.b64encode(signature).decode()

    def public_key_pem(self) -> bytes:
        return self.key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def key(self) -> rsa.RSAPrivateKey:
        """The auth server's key, made at its first signature (not at start: ~0.1 s before any cloud could answer)."""
        if self._key is None:
            self._key = signing_key()
        return self._key

    def rotate_signing_key(self) -> None:
        """A new auth-server key: identities signed before now fail with "invalid signature"."""
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.sessions.clear()

    def check_identity(self, identity_b64: str, signature_b64: str) -> dict[str, Any]:
        """Validate MMSAuth/MMSAuthSig as MiOS does; raises `Reply` with the 401."""
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            self.key.public_key().verify(signature, identity_b64.encode(), padding.PKCS1v15(), hashes.SHA512())
        except (ValueError, InvalidSignature):  # binascii.Error is a ValueError
            raise Reply(_auth_error("invalid signature")) from None
        try:
            identity = json.loads(base64.b64decode(identity_b64, validate=True))
        except (ValueError, RecursionError):
            raise Reply(_auth_error("invalid token")) from None
        if not isinstance(identity, dict) or not isinstance(identity.get("Expires"), int) or "PK_Account" not in identity:
            raise Reply(_auth_error("invalid token"))
        if identity["Expires"] < self.now() or (isinstance(identity.get("Seq"), int) and identity["Seq"] < self.min_seq):
            raise Reply(_auth_error("expired token"))
        if not all(k in identity for k in ("PK_User", "PK_Server_Auth", "Generated", "Username")):
            raise Reply(_auth_error("invalid token"))
        return identity

    def _authenticate(self, request: web.Request, server: str, path_token: str | None = None) -> dict[str, Any]:
        token = path_token or request.headers.get("MMSSession") or request.headers.get("MMSession")
        if token:
            session = self.sessions.get(token)
            if session is None or session.server != server:
                raise Reply(_auth_error("invalid session"))
            if session.identity["Expires"] < self.now():
                self.sessions.pop(token, None)
                raise Reply(_auth_error("invalid session"))
            return session.identity
        identity_b64 = request.headers.get("MMSAuth")
        signature = request.headers.get("MMSAuthSig")
        if identity_b64 and signature:
            return self.check_identity(identity_b64, signature)
        raise Reply(_auth_error("invalid session"))

    @staticmethod
    def _granted(identity: dict[str, Any], name: str) -> tuple[bool, list[int] | None]:
        number = PERMISSIONS[name]
        entries = identity.get("PermissionsEnabled") if "PermissionsEnabled" in identity else identity.get("Permissions", [])
        for entry in entries or []:
            if isinstance(entry, int) and entry == number:
                return True, None
            if isinstance(entry, dict) and number in (entry.get("PK"), entry.get("PK_Permission")):
                arguments = entry.get("Arguments")
                return True, json.loads(arguments) if arguments else None
        return False, None

    def _require(self, identity: dict[str, Any], name: str, device: int | None = None) -> None:
        granted, whitelist = self._granted(identity, name)
        if not granted:
            raise Reply(web.Response(status=403, text=f"Forbidden: missing permission {name}"))
        if device is not None:
            granted, whitelist = self._granted(identity, "device_access")
            if not granted or (whitelist is not None and device not in whitelist):
                raise Reply(web.Response(status=403, text=f"Forbidden: no access to device {device}"))


__all__ = ["LUUP_IDS", "PASSWORD_SEED", "PERMISSIONS", "SERVER_NAMES", "MiosCloud", "VeraUnit", "sha1_password", "signing_key"]
