"""The MiOS "MMS" cloud in front of a simulated Vera with an alarm-panel plugin.

What is served (one aiohttp app; see `MiosCloud`):

* autha  `GET /autha/auth/username/<user>?SHA1Password=..&PK_Oem=..[&TokenVersion=2]`
  -> base64 Identity JSON + an RSA-2048/SHA-512 signature over the base64 text
  (as MiOS's own token check does), plus `Server_Account(_Alt)` / `Server_Event(_Alt)`.
  Unknown user (or another OEM) -> 404; wrong password -> 403 "Forbidden: wrong password"
  (MiOS's own answer is undocumented; ours is at least unambiguous).
* info   `GET /info/session/token` (MMSAuth + MMSAuthSig) -> 38 hex chars, bound to
  the server it was minted on; `MMSSession: <token>` afterwards. 401 bodies are
  `MMSAuth error="invalid session" | "invalid signature" | "expired token" | "invalid token"`.
* account `/account/account/account/<PK_Account>[/devices]`, locator
  `/locator/locator/locator`, device `/device/device/device/<PK_Device>[/status]`.
* event   `/event/event/events` (Gateway/Camera/User/Type/Device/Format/Count/Start/
  Before/After/Severity/Unread/Sort) with an EventType 4 record for every luup variable
  change and EventType 1 records for every camera image (stored in the storage module).
* storage `/storage/storage/store/<PK_Store>[/archive|/thumbnail]?Key=..` (real JPEGs).
* relay   `/relay/relay/relay/device/<PK_Device>[/session/<token>]/port_3480/data_request?id=..`
  tunnelling a Vera's luup API: alive, sdata/lu_sdata (long poll), status, user_data,
  action (RequestArmMode, RequestQuickArmMode, RequestPanicMode, SetArmed),
  jobstatus, variableget/variableset, request_image, archive_video.
  `ERROR:Tunnel not found` (HTTP 500) while the Vera is offline.
* LAN face: the first Vera's own luup port (`/data_request?id=..`, also `/port_3480/data_request`)
  on a separate plain-HTTP port with no account, as a Vera serves it on a LAN (`extra_faces()`;
  `SimHost` serves it and records its URL as `urls["vera"]`). The same panel as through the relay;
  while the panel is "offline" the panel device reports `CommFailure` 1 there.

Hosts. Real MiOS spreads these modules over many hosts (autha, account, device,
relay, event, storage). Here everything is served by one server, but each
`Server_*` value names a *virtual server* as `host:port/<server-name>`
(e.g. `127.0.0.1:8443/vera-us-oem-relay11`): a client that does what real clients
do, `https://<Server_X>/info/session/token`, lands on a path prefix, and the
session token it gets is bound to that virtual server exactly as a real token is
bound to its host. Requests without a prefix are the auth server (the configured
URL), which also serves every module for lenient clients. `MiosCloud(bare_hosts=True)`
returns plain `host:port` values instead (then all servers share one session scope).

Inferred, not documented by MiOS: the permission numbers (41 = device whitelist is from
MiOS's own token check; the others are ours) and the exact event record layout.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import io
import itertools
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from alarmtui.simulators.base import SimCloud
from alarmtui.simulators.panel import Mode, Phase, SimError, SimPanel, vera_house

PASSWORD_SEED = "oZ7QE6LcLJp6fiWzdqZc"

AP2 = "urn:micasaverde-com:serviceId:AlarmPartition2"
SS1 = "urn:micasaverde-com:serviceId:SecuritySensor1"
HAD = "urn:micasaverde-com:serviceId:HaDevice1"
CAM = "urn:micasaverde-com:serviceId:Camera1"

#: luup shortcodes (what sdata carries per device).
SHORTCODES: dict[tuple[str, str], str] = {
    (AP2, "ArmMode"): "armmode",
    (AP2, "DetailedArmMode"): "detailedarmmode",
    (AP2, "Alarm"): "alarm",
    (AP2, "AlarmMemory"): "alarmmemory",
    (AP2, "LastAlarmActive"): "lastalarmactive",
    (AP2, "LastUser"): "lastuser",
    (AP2, "VendorStatus"): "vendorstatus",
    (AP2, "VendorStatusCode"): "vendorstatuscode",
    (AP2, "VendorStatusData"): "vendorstatusdata",
    (AP2, "ChimeEnabled"): "chimeenabled",
    (SS1, "Armed"): "armed",
    (SS1, "Tripped"): "tripped",
    (SS1, "ArmedTripped"): "armedtripped",
    (SS1, "LastTrip"): "lasttrip",
    (HAD, "BatteryLevel"): "batterylevel",
    (HAD, "CommFailure"): "commFailure",
}

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

# DetailedArmMode per (mode) when armed; VendorStatus(Code) texts in the style of the DSC plugin.
_ARMED_DETAIL = {Mode.AWAY: "Armed", Mode.HOME: "Stay", Mode.NIGHT: "Night"}
_VENDOR = {
    "Ready": ("Ready to Arm", "650"),
    "NotReady": ("Not Ready", "651"),
    "FailedToArm": ("Arming failed", "659"),
    "ExitDelay": ("Exit Delay in Progress", "656"),
    "EntryDelay": ("Entry Delay in Progress", "657"),
    "Armed": ("Armed Away", "652"),
    "Force": ("Armed Away (forced)", "652"),
    "Vacation": ("Armed Vacation", "652"),
    "Stay": ("Armed Stay", "652"),
    "StayInstant": ("Armed Stay Instant", "652"),
    "Night": ("Armed Night", "652"),
    "NightInstant": ("Armed Night Instant", "652"),
}
_ARM_STATES = {
    "Armed": (Mode.AWAY, False, False),
    "Vacation": (Mode.AWAY, False, False),
    "Force": (Mode.AWAY, False, True),
    "Stay": (Mode.HOME, False, False),
    "StayInstant": (Mode.HOME, True, False),
    "Night": (Mode.NIGHT, False, False),
    "NightInstant": (Mode.NIGHT, True, False),
}
_ZONE_SUBCATEGORY = {"contact": 1, "motion": 3, "generic": 2, "smoke": 4}
WRONG_PIN_TEXT = "Invalid PIN or User code."

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


class _Reply(Exception):
    """Raised by helpers to short-circuit a handler with a ready response."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__(getattr(response, "status", 0))
        self.response = response


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
class Job:
    id: int
    device: int
    action: str
    status: int = 0  # 0 waiting, 1 in progress, 2 error, 4 done
    notes: str = ""


@dataclass
class StoredFile:
    pk_store: int
    key: str
    pk_account: int
    pk_device: int
    data: bytes
    timestamp: float
    format: str = "jpg"


@dataclass
class DeviceMeta:
    num: int
    name: str
    category: int
    subcategory: int
    parent: int
    room: int
    altid: str
    device_type: str
    zone: str = ""
    partition: str = ""
    state: int = -1
    comment: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class VeraUnit:
    """One Vera controller: the luup device tree derived from a `SimPanel`."""

    PANEL_DEV = 40

    def __init__(self, cloud: MiosCloud, panel: SimPanel, pk_device: int) -> None:
        self.cloud = cloud
        self.panel = panel
        self.pk_device = pk_device
        self.loadtime = int(cloud.now())
        self.dataversion = 1000
        self.changed_at: dict[int, int] = {}
        self.jobs: dict[int, Job] = {}
        self._job_ids = itertools.count(400)
        self.actions_received: list[str] = []
        self.detail_override: dict[str, str] = {}
        self.glitches: list[str] = []
        self.canned: list[tuple[int, bytes, dict[str, str]]] = []
        """Replies served verbatim to the next relay data_requests (fuzzing clients)."""
        self.refuse_jobs: dict[int, str] = {}
        """Device number -> task text: the plugin fails every job on that device with it."""
        self.refuse_requests: dict[int, tuple[int, str]] = {}
        """Device number -> (HTTP status, body) answered to an action on that device (relay or LAN refusing it)."""
        self.stall_jobs = False
        """Jobs stay "in progress" for ever (the command's outcome never arrives)."""
        self.minimal_jobstatus = False
        """Answer `jobstatus` with exactly `{"status": N}` (mios.md §2.4) instead of adding notes/type."""
        self.panic_enabled = True
        self.plugin_style = "standard"  # or "texecom": non-standard ArmMode="ExitDelay"/"EntryDelay"
        self.tasks: set[asyncio.Task[None]] = set()
        self.devices = self._build_devices()
        self.values: dict[int, dict[tuple[str, str], str]] = self._compute()
        self._seen_photos: set[int] = set(panel.photos)
        panel.listeners.append(lambda _panel: self.refresh())

    # ------------------------------------------------------------------ device tree

    def _build_devices(self) -> dict[int, DeviceMeta]:
        devices = {
            self.PANEL_DEV: DeviceMeta(
                self.PANEL_DEV,
                f"{self.panel.name} Alarm Panel",
                22,
                0,
                1,
                1,
                "panel",
                "urn:schemas-micasaverde-com:device:AlarmPanel:1",
            )
        }
        for index, part in enumerate(self.panel.partitions.values()):
            num = 41 + index if index < 9 else 300 + index
            devices[num] = DeviceMeta(
                num,
                part.name,
                23,
                0,
                self.PANEL_DEV,
                1,
                f"Partition{part.id}",
                "urn:schemas-micasaverde-com:device:AlarmPartition:2",
                partition=part.id,
            )
        spare = itertools.count(100)

        def claim(preferred: int, block: int) -> int:
            """Vera-like numbers (sensors 51.., cameras 67); collisions move to 100 and up."""
            if preferred not in devices and block <= preferred < block + 10:
                return preferred
            return next(n for n in spare if n not in devices)

        for zone in self.panel.zones.values():
            number = int(zone.id) if zone.id.isdigit() else -1
            if zone.camera:
                num = claim(60 + number, 60)
                devices[num] = DeviceMeta(
                    num,
                    zone.name,
                    6,
                    0,
                    0,
                    2,
                    "",
                    "urn:schemas-upnp-org:device:DigitalSecurityCamera:2",
                    zone=zone.id,
                    extra={"ip": "192.168.1.60"},
                )
            elif zone.kind in _ZONE_SUBCATEGORY:
                num = claim(50 + number, 50)
                kind = {"contact": "Door", "motion": "Motion", "smoke": "Smoke", "generic": "Flood"}[zone.kind]
                devices[num] = DeviceMeta(
                    num,
                    zone.name,
                    4,
                    _ZONE_SUBCATEGORY.get(zone.kind, 0),
                    self.PANEL_DEV,
                    2,
                    f"Zone{zone.id}",
                    f"urn:schemas-micasaverde-com:device:{kind}Sensor:1",
                    zone=zone.id,
                )
        return devices

    def device_for_zone(self, zone_id: str) -> int | None:
        return next((d.num for d in self.devices.values() if d.zone == zone_id), None)

    def _compute(self) -> dict[int, dict[tuple[str, str], str]]:
        panel = self.panel
        values: dict[int, dict[tuple[str, str], str]] = {}
        comm = {t.zone for t in panel.troubles if t.kind == "comm_failure"}
        for dev in self.devices.values():
            out: dict[tuple[str, str], str] = {}
            if dev.category == 23:
                part = panel.partitions[dev.partition]
                if part.phase is Phase.DISARMED:
                    self.detail_override.pop(part.id, None)
                    if part.failed_to_arm:
                        detail = "FailedToArm"
                    else:
                        detail = "Ready" if panel.ready(part.id) else "NotReady"
                    arm_mode = "Disarmed"
                elif part.phase is Phase.EXIT_DELAY:
                    detail, arm_mode = "ExitDelay", "Armed"
                elif part.phase is Phase.ENTRY_DELAY:
                    detail, arm_mode = "EntryDelay", "Armed"
                else:
                    detail = self.detail_override.get(part.id) or _ARMED_DETAIL.get(part.mode, "Armed")  # type: ignore[arg-type]
                    arm_mode = "Armed" if part.mode is not None else "Disarmed"
                if self.plugin_style == "texecom" and detail in ("ExitDelay", "EntryDelay"):
                    arm_mode = detail  # Texecom's plugin writes these into ArmMode
                alarm = part.phase is Phase.ALARM
                status, code = ("Alarm", "654") if alarm else _VENDOR.get(detail, (detail, ""))
                out[(AP2, "ArmMode")] = arm_mode
                out[(AP2, "DetailedArmMode")] = detail
                out[(AP2, "Alarm")] = "Active" if alarm else "None"
                out[(AP2, "AlarmMemory")] = "1" if part.alarm_memory else "0"
                out[(AP2, "LastAlarmActive")] = str(int(part.last_alarm))
                out[(AP2, "LastUser")] = part.last_user
                out[(AP2, "VendorStatus")] = status
                out[(AP2, "VendorStatusCode")] = code
                out[(AP2, "VendorStatusData")] = ""
                out[(AP2, "ChimeEnabled")] = "0"
            elif dev.category == 4:
                zone = panel.zones[dev.zone]
                out[(SS1, "Armed")] = "0" if zone.bypassed else "1"
                out[(SS1, "Tripped")] = "1" if zone.open else "0"
                out[(SS1, "ArmedTripped")] = "1" if zone.open and not zone.bypassed else "0"
                out[(SS1, "LastTrip")] = str(int(zone.last_trip))
                out[(HAD, "BatteryLevel")] = "9" if zone.battery_low else "100"
                out[(HAD, "CommFailure")] = "1" if zone.id in comm else "0"
            elif dev.category == 6:
                out[(CAM, "URL")] = "/cgi-bin/snapshot.jpg"
                out[(HAD, "CommFailure")] = "0"
            elif dev.category == 22:
                # The plugin lost its panel: what a client on the LAN sees (the relay says "Tunnel not found").
                out[(HAD, "CommFailure")] = "1" if panel.faults.offline else "0"
            values[dev.num] = out
        return values

    def refresh(self) -> None:
        """Recompute the luup variables; every change bumps dataversion and logs an event."""
        new = self._compute()
        changed: list[tuple[int, tuple[str, str], str, str]] = []
        for num, variables in new.items():
            old = self.values.get(num, {})
            changed.extend((num, key, old.get(key, ""), value) for key, value in variables.items() if old.get(key) != value)
        self.values = new
        if changed:
            self.dataversion += 1
            for num, key, old_value, value in changed:
                self.changed_at[num] = self.dataversion
                self.cloud.log_variable(self, self.devices[num], key, old_value, value)
        for photo_id, photo_set in list(self.panel.photos.items()):
            if photo_id not in self._seen_photos:
                self._seen_photos.add(photo_id)
                camera = self.device_for_zone(photo_set.zone)
                if camera is not None:
                    for index, jpeg in enumerate(photo_set.jpegs):
                        self.cloud.store_image(self, self.devices[camera], jpeg, photo_set.time + index * 0.5, index)

    def set_job_state(self, num: int, state: int, comment: str) -> None:
        dev = self.devices[num]
        if (dev.state, dev.comment) != (state, comment):
            dev.state, dev.comment = state, comment
            self.dataversion += 1
            self.changed_at[num] = self.dataversion
            # Wake long polls: the engine's own notification (the panel itself did not change).
            self.panel._touch()

    def reload(self) -> None:
        """A Luup reload: new loadtime, so clients must take a full refresh."""
        self.loadtime = max(self.loadtime + 1, int(self.cloud.now()))
        self.dataversion += 1
        self.panel._touch()

    # ------------------------------------------------------------------ luup JSON

    def device_json(self, num: int) -> dict[str, Any]:
        dev = self.devices[num]
        entry: dict[str, Any] = {
            "name": dev.name,
            "altid": dev.altid,
            "id": dev.num,
            "category": dev.category,
            "subcategory": dev.subcategory,
            "room": dev.room,
            "parent": dev.parent,
        }
        for key, value in self.values[num].items():
            short = SHORTCODES.get(key)
            if short:
                entry[short] = value
        entry.update(dev.extra)
        entry["state"] = dev.state
        entry["comment"] = dev.comment
        return entry

    def sdata(self, since: int | None) -> dict[str, Any]:
        full = since is None
        nums = [n for n in self.devices if full or self.changed_at.get(n, 0) > since]  # type: ignore[operator]
        reply: dict[str, Any] = {
            "full": 1 if full else 0,
            "loadtime": self.loadtime,
            "dataversion": self.dataversion,
            "state": -1,
            "comment": "",
            "devices": [self.device_json(n) for n in nums],
        }
        if full:
            categories = sorted({d.category for d in self.devices.values()})
            names = {4: "Sensor", 6: "Camera", 22: "Alarm Panel", 23: "Alarm Partition"}
            reply.update(
                {
                    "version": "*1.7.5186*",
                    "model": self.panel.name,
                    "zwave_heal": 0,
                    "temperature": "C",
                    "skin": "mios",
                    "serial_number": str(self.pk_device),
                    "fwd1": "",
                    "fwd2": "",
                    "mode": 1,
                    "sections": [{"name": "My Home", "id": 1}],
                    "rooms": [{"name": "Hall", "id": 1, "section": 1}, {"name": "Outside", "id": 2, "section": 1}],
                    "scenes": [],
                    "categories": [{"name": names.get(c, "Device"), "id": c} for c in categories],
                    "ir": 0,
                    "irtx": "",
                }
            )
        return reply

    def states(self, num: int) -> list[dict[str, Any]]:
        return [
            {"id": index, "service": service, "variable": variable, "value": value}
            for index, ((service, variable), value) in enumerate(self.values[num].items())
        ]


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
        self.key = signing_key()
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
            return await _Luup(unit, request).handle()

        async def not_found(request: web.Request) -> web.StreamResponse:
            return web.Response(status=404, text="Not Found")

        app = web.Application(middlewares=[self.faults.middleware])  # the same faults and counts as the relay
        app.router.add_route("GET", "/data_request", data_request)
        app.router.add_route("GET", "/port_3480/data_request", data_request)
        app.router.add_route("*", "/{tail:.*}", not_found)
        return app

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self.faults.middleware])
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        app.on_cleanup.append(self._cleanup)
        return app

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
        """The next `count` relay reads get a reload glitch: "empty", "status0" or "500"."""
        if kind not in ("empty", "status0", "500"):
            raise ValueError(kind)
        self.vera(index).glitches.extend([kind] * count)

    def inject_reply(
        self, status: int, body: bytes, count: int = 1, index: int = 0, headers: dict[str, str] | None = None
    ) -> None:
        """The next `count` data_requests (any id, relay or LAN) get exactly this reply."""
        self.vera(index).canned.extend([(status, body, dict(headers or {}))] * count)

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

    def rotate_signing_key(self) -> None:
        """A new auth-server key: identities signed before now fail with "invalid signature"."""
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.sessions.clear()

    def check_identity(self, identity_b64: str, signature_b64: str) -> dict[str, Any]:
        """Validate MMSAuth/MMSAuthSig as MiOS does; raises `_Reply` with the 401."""
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            self.key.public_key().verify(signature, identity_b64.encode(), padding.PKCS1v15(), hashes.SHA512())
        except (ValueError, InvalidSignature):  # binascii.Error is a ValueError
            raise _Reply(_auth_error("invalid signature")) from None
        try:
            identity = json.loads(base64.b64decode(identity_b64, validate=True))
        except (ValueError, RecursionError):
            raise _Reply(_auth_error("invalid token")) from None
        if not isinstance(identity, dict) or not isinstance(identity.get("Expires"), int) or "PK_Account" not in identity:
            raise _Reply(_auth_error("invalid token"))
        if identity["Expires"] < self.now() or (isinstance(identity.get("Seq"), int) and identity["Seq"] < self.min_seq):
            raise _Reply(_auth_error("expired token"))
        if not all(k in identity for k in ("PK_User", "PK_Server_Auth", "Generated", "Username")):
            raise _Reply(_auth_error("invalid token"))
        return identity

    def _authenticate(self, request: web.Request, server: str, path_token: str | None = None) -> dict[str, Any]:
        token = path_token or request.headers.get("MMSSession") or request.headers.get("MMSession")
        if token:
            session = self.sessions.get(token)
            if session is None or session.server != server:
                raise _Reply(_auth_error("invalid session"))
            if session.identity["Expires"] < self.now():
                self.sessions.pop(token, None)
                raise _Reply(_auth_error("invalid session"))
            return session.identity
        identity_b64 = request.headers.get("MMSAuth")
        signature = request.headers.get("MMSAuthSig")
        if identity_b64 and signature:
            return self.check_identity(identity_b64, signature)
        raise _Reply(_auth_error("invalid session"))

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
            raise _Reply(web.Response(status=403, text=f"Forbidden: missing permission {name}"))
        if device is not None:
            granted, whitelist = self._granted(identity, "device_access")
            if not granted or (whitelist is not None and device not in whitelist):
                raise _Reply(web.Response(status=403, text=f"Forbidden: no access to device {device}"))

    # ------------------------------------------------------------------ dispatch

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        if "/relay/relay/relay/" in request.path:
            self.relay_count += 1
        parts = [p for p in request.path.split("/") if p]
        server = ""
        if parts and parts[0] in _KNOWN_PREFIXES and not self.bare_hosts:
            server = parts.pop(0)
        try:
            return await self._route(request, server, parts)
        except _Reply as reply:
            return reply.response

    async def _route(self, request: web.Request, server: str, parts: list[str]) -> web.StreamResponse:
        method = request.method
        n = len(parts)
        if method == "GET" and n == 4 and parts[:3] == ["autha", "auth", "username"]:
            return self._autha(request, parts[3])
        if method == "GET" and parts == ["info", "session", "token"]:
            return self._session_token(request, server)
        if method == "GET" and parts == ["locator", "locator", "locator"]:
            return self._locator(request)
        if n >= 4 and parts[:3] == ["account", "account", "account"] and method == "GET":
            identity = self._authenticate(request, server)
            return self._account(request, identity, parts[3:])
        if n >= 4 and parts[:3] == ["device", "device", "device"] and method == "GET":
            identity = self._authenticate(request, server)
            return self._device(request, identity, parts[3:])
        if parts == ["event", "event", "events"] and method == "GET":
            identity = self._authenticate(request, server)
            self._require(identity, "view_events")
            return self._events(request, identity)
        if n >= 4 and parts[:3] == ["storage", "storage", "store"] and method == "GET":
            identity = self._authenticate(request, server)
            self._require(identity, "view_storage")
            return self._storage(request, identity, parts[3:])
        if n >= 6 and parts[:4] == ["relay", "relay", "relay", "device"]:
            return await self._relay(request, server, parts[4:])
        return web.Response(status=404, text="Not Found")

    # ------------------------------------------------------------------ autha / info / locator

    def _autha(self, request: web.Request, username: str) -> web.Response:
        user = self.users.get(username.lower())
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
        identity_b64, signature, _identity = self.issue_identity(user, token_version, request.host)
        self.logins += 1
        self._record(
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
                "Server_Event": self._server_value(request, "event"),
                "Server_Event_Alt": self._server_value(request, "event_alt"),
                "Server_Account": self._server_value(request, "account"),
                "Server_Account_Alt": self._server_value(request, "account_alt"),
            }
        )

    def _session_token(self, request: web.Request, server: str) -> web.Response:
        identity_b64 = request.headers.get("MMSAuth")
        signature = request.headers.get("MMSAuthSig")
        if not identity_b64 or not signature:
            return _auth_error("invalid signature")
        identity = self.check_identity(identity_b64, signature)
        token = secrets.token_hex(19).upper()  # 38 hex characters
        if len(self.sessions) > 1000:
            now = self.now()
            self.sessions = {k: v for k, v in self.sessions.items() if v.identity["Expires"] >= now}
        self.sessions[token] = Session(token, server, identity, self.now())
        return web.Response(text=token, content_type="text/plain")

    def _device_summary(self, request: web.Request, unit: VeraUnit) -> dict[str, Any]:
        return {
            "PK_Device": str(unit.pk_device),
            "PK_DeviceType": "1",
            "PK_DeviceSubType": "2",
            "MacAddress": f"00:0e:8f:7f:{unit.pk_device % 256:02x}:ab",
            "Server_Device": self._server_value(request, "device"),
            "Server_Device_Alt": self._server_value(request, "device_alt"),
            "PK_Installation": "256712",
            "Name": unit.panel.name,
            "Using_2G": "0",
            "DeviceAssigned": "2015-02-16 12:10:46",
            "Blocked": 0,
        }

    def _locator(self, request: web.Request) -> web.Response:
        devices = []
        for unit in self.units.values():
            entry = self._device_summary(request, unit)
            entry.update(
                {
                    "PK_Device": unit.pk_device,
                    "PK_Account": self._account_of(unit),
                    "Server_Event": self._server_value(request, "event"),
                    "Server_Account": self._server_value(request, "account"),
                    "InternalIP": "192.168.1.50",
                    "LastAliveReported": datetime.fromtimestamp(self.now()).strftime("%Y-%m-%d %H:%M:%S"),
                    "Platform": "Vera",
                }
            )
            devices.append(entry)
        return web.json_response({"Devices": devices})

    # ------------------------------------------------------------------ account / device

    def _account(self, request: web.Request, identity: dict[str, Any], rest: list[str]) -> web.Response:
        self._require(identity, "view_account")
        if str(identity.get("PK_Account")) != rest[0]:
            return web.Response(status=403, text="Forbidden: not your account")
        if len(rest) == 1:
            return web.json_response(
                {
                    "PK_Account": str(identity["PK_Account"]),
                    "PK_AccountType": 5,
                    "PK_Oem": 1,
                    "Server_Event": self._server_value(request, "event"),
                    "Server_Event_Alt": self._server_value(request, "event_alt"),
                    "Server_Account": self._server_value(request, "account"),
                    "Server_Account_Alt": self._server_value(request, "account_alt"),
                    "PK_Language": 1,
                    "PK_Oem_Account": "",
                }
            )
        if rest[1:] == ["devices"]:
            return web.json_response({"Devices": [self._device_summary(request, u) for u in self.units.values()]})
        return web.Response(status=404, text="Not Found")

    def _unit(self, pk: str) -> VeraUnit:
        try:
            return self.units[int(pk)]
        except (ValueError, KeyError):
            raise _Reply(web.Response(status=404, text="Not Found: no such device")) from None

    def _device(self, request: web.Request, identity: dict[str, Any], rest: list[str]) -> web.Response:
        unit = self._unit(rest[0])
        self._require(identity, "view_account", device=unit.pk_device)
        online = not unit.panel.faults.offline
        alive = datetime.fromtimestamp(self.now()).strftime("%Y-%m-%d %H:%M:%S")
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
                "Server_Relay": self._server_value(request, "relay"),
                "MacAddress": self._device_summary(request, unit)["MacAddress"],
                "Using_2G": 0,
                "ExternalIP": "127.0.0.1",
                "AccessiblePort": "",
                "InternalIP": "192.168.1.50",
                "AliveDate": alive,
                "FirmwareVersion": "1.7.5186",
                "Server_Device": self._server_value(request, "device"),
                "Server_Event": self._server_value(request, "event"),
                "Server_Support": self._server_value(request, "device"),
                "Server_Storage": self._server_value(request, "storage"),
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

    def _events(self, request: web.Request, identity: dict[str, Any]) -> web.Response:
        for unit in self.units.values():
            unit.panel.advance()
            unit.refresh()
        q = request.query

        def id_list(name: str) -> set[str] | None:
            value = q.get(name)
            if value is None or value == "":
                return None
            return {v.strip() for v in value.split(",") if v.strip()}

        allowed = {str(pk) for pk in self.units if self._granted(identity, "device_access")[0]}
        whitelist = self._granted(identity, "device_access")[1]
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
        for record in self.events:
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
                record["Server_Storage"] = self._server_value(request, "storage")
        return web.json_response({"Records": page})

    def _storage(self, request: web.Request, identity: dict[str, Any], rest: list[str]) -> web.StreamResponse:
        try:
            item = self.store[int(rest[0])]
        except (ValueError, KeyError):
            return web.Response(status=404, text="Not Found: no such store item")
        if str(item.pk_account) != str(identity.get("PK_Account")):
            return web.Response(status=403, text="Forbidden: not your account")
        if not secrets.compare_digest(request.query.get("Key", ""), item.key):
            return web.Response(status=403, text="Forbidden: wrong Key")
        if rest[1:] == ["archive"]:
            return web.Response(body=item.data, content_type="image/jpeg")
        if rest[1:] == ["thumbnail"]:
            return web.Response(body=_resize(item.data, (160, 120)), content_type="image/jpeg")
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

    async def _relay(self, request: web.Request, server: str, rest: list[str]) -> web.StreamResponse:
        path_token = None
        pk, tail = rest[0], rest[1:]
        if len(tail) >= 2 and tail[0] == "session":
            path_token, tail = tail[1], tail[2:]
        identity = self._authenticate(request, server, path_token)
        unit = self._unit(pk)
        self._require(identity, "device_access", device=unit.pk_device)
        if unit.panel.faults.offline:
            return web.Response(status=500, text="ERROR:Tunnel not found")
        if tail != ["port_3480", "data_request"]:
            return web.Response(status=404, text="Not Found")
        return await _Luup(unit, request).handle()


def _resize(jpeg: bytes, size: tuple[int, int]) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as image:
        image.thumbnail(size)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=75)
    return out.getvalue()


class _Luup:
    """One luup `data_request` on a Vera."""

    def __init__(self, unit: VeraUnit, request: web.Request) -> None:
        self.unit = unit
        self.panel = unit.panel
        self.q = request.query

    def text(self, body: str, status: int = 200) -> web.Response:
        return web.Response(status=status, text=body, content_type="text/plain")

    def int_arg(self, name: str, default: int = 0) -> int:
        raw = self.q.get(name)
        if raw is None:
            raw = next((v for k, v in self.q.items() if k.lower() == name.lower()), None)
        if raw in (None, ""):
            return default
        try:
            return int(float(raw))
        except ValueError:
            raise _Reply(self.text(f"ERROR: Invalid {name}")) from None

    async def handle(self) -> web.StreamResponse:
        request_id = self.q.get("id", "")
        if request_id.startswith(("lu_", "lr_")):
            request_id = request_id[3:]
        if self.unit.canned:
            status, body, headers = self.unit.canned.pop(0)
            response = web.Response(status=status, body=body, headers=headers)
            if "Content-Type" not in headers:
                response.content_type = "application/json"
            return response
        if request_id in ("sdata", "status", "user_data", "status2") and self.unit.glitches:
            glitch = self.unit.glitches.pop(0)
            if glitch == "empty":
                return web.Response(status=200, body=b"", content_type="application/json")
            if glitch == "status0":
                return web.json_response({"status": 0})
            return web.Response(status=500, text="")
        self.panel.advance()
        self.unit.refresh()
        try:
            handler = getattr(self, f"do_{request_id}", None)
            if handler is None:
                return self.text("ERROR: No handler")
            return await handler()
        except _Reply as reply:
            return reply.response

    async def do_alive(self) -> web.Response:
        return self.text("OK")

    async def do_sdata(self) -> web.Response:
        unit = self.unit
        loadtime = self.int_arg("loadtime")
        dataversion = self.int_arg("dataversion")
        timeout = max(0.0, min(float(self.int_arg("timeout")), 60.0))
        minimum_delay = max(0.0, min(self.int_arg("minimumdelay") / 1000.0, 5.0))
        started = asyncio.get_running_loop().time()
        if loadtime != unit.loadtime or dataversion <= 0:
            return web.json_response(unit.sdata(None))
        deadline = started + timeout
        while unit.dataversion <= dataversion:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            await self.panel.wait_changed(self.panel.version, left)
            unit.refresh()
            if self.panel.faults.offline:
                return self.text("ERROR:Tunnel not found", 500)
            if unit.loadtime != loadtime:
                return web.json_response(unit.sdata(None))
        wait_more = started + minimum_delay - asyncio.get_running_loop().time()
        if wait_more > 0:
            await asyncio.sleep(wait_more)
            unit.refresh()
        return web.json_response(unit.sdata(dataversion))

    do_summary = do_sdata

    async def do_status(self) -> web.Response:
        unit = self.unit
        device_num = self.int_arg("DeviceNum", -1)

        def entry(num: int) -> dict[str, Any]:
            dev = unit.devices[num]
            return {
                "id": num,
                "status": dev.state,
                "comment": dev.comment,
                "tooltip": {"display": "0"},
                "Jobs": [],
                "PendingJobs": 0,
                "states": unit.states(num),
            }

        if device_num >= 0:
            if device_num not in unit.devices:
                return self.text("ERROR: Invalid Device")
            return web.json_response({f"Device_Num_{device_num}": entry(device_num)})
        return web.json_response(
            {
                "alerts": [],
                "TimeStamp": int(time.time()),
                "Mode": 1,
                "LoadTime": unit.loadtime,
                "DataVersion": unit.dataversion,
                "UserData_DataVersion": unit.loadtime,
                "LocalTime": datetime.now().strftime("%Y-%m-%d %H:%M:%S D"),
                "devices": [entry(n) for n in unit.devices],
                "startup": {"tasks": []},
            }
        )

    async def do_user_data(self) -> web.Response:
        unit = self.unit
        if self.int_arg("DataVersion") == unit.loadtime:
            return self.text("NO_CHANGES")
        devices = [
            {
                "id": str(dev.num),
                "name": dev.name,
                "device_type": dev.device_type,
                "category_num": dev.category,
                "subcategory_num": dev.subcategory,
                "room": str(dev.room),
                "id_parent": dev.parent,
                "altid": dev.altid,
                "states": unit.states(dev.num),
                **dev.extra,
            }
            for dev in unit.devices.values()
        ]
        return web.json_response(
            {
                "devices": devices,
                "rooms": [{"id": 1, "name": "Hall", "section": 1}, {"id": 2, "name": "Outside", "section": 1}],
                "scenes": [],
                "sections": [{"id": 1, "name": "My Home"}],
                "DataVersion": unit.loadtime,
                "LoadTime": unit.loadtime,
                "model": unit.panel.name,
                "PK_AccessPoint": str(unit.pk_device),
                "serial_number": str(unit.pk_device),
                "Mode": "1",
            }
        )

    async def do_variableget(self) -> web.Response:
        num = self.int_arg("DeviceNum", -1)
        values = self.unit.values.get(num)
        if values is None:
            return self.text("ERROR: Invalid Device")
        value = values.get((self.q.get("serviceId", ""), self.q.get("Variable", "")))
        return self.text(value) if value is not None else self.text("ERROR: Variable not found")

    async def do_variableset(self) -> web.Response:
        num = self.int_arg("DeviceNum", -1)
        dev = self.unit.devices.get(num)
        if dev is None:
            return self.text("ERROR: Invalid Device")
        if (self.q.get("serviceId"), self.q.get("Variable")) == (SS1, "Tripped") and dev.category == 4:
            self.panel.open_zone(dev.zone, self.q.get("Value") == "1")
            return self.text("OK")
        return self.text("ERROR: Variable is read-only in this simulator")

    async def do_jobstatus(self) -> web.Response:
        job = self.unit.jobs.get(self.int_arg("job", -1))
        if job is None:
            return web.json_response({"status": -1})
        if self.unit.minimal_jobstatus:
            return web.json_response({"status": job.status})  # exactly the shape in mios.md §2.4
        return web.json_response({"status": job.status, "notes": job.notes, "type": job.action})

    async def do_request_image(self) -> web.StreamResponse:
        dev = self.unit.devices.get(self.int_arg("cam", -1))
        if dev is None or dev.category != 6:
            return self.text("ERROR: Invalid camera")
        try:
            photo_set = self.panel.take_photos(dev.zone, user="remote")
        except SimError as exc:
            return self.text(f"ERROR: {exc.message}")
        self.unit.refresh()
        jpeg = photo_set.jpegs[0]
        if self.q.get("res") == "low":
            jpeg = _resize(jpeg, (320, 240))
        return web.Response(body=jpeg, content_type="image/jpeg")

    async def do_archive_video(self) -> web.Response:
        dev = self.unit.devices.get(self.int_arg("cam", -1))
        if dev is None or dev.category != 6:
            return self.text("ERROR: Invalid camera")
        try:
            self.panel.take_photos(dev.zone, user="archive")
        except SimError as exc:
            return self.text(f"ERROR: {exc.message}")
        self.unit.refresh()
        return self.text("OK")

    # ------------------------------------------------------------------ actions

    async def do_action(self) -> web.Response:
        unit = self.unit
        num = self.int_arg("DeviceNum", -1)
        dev = unit.devices.get(num)
        service = self.q.get("serviceId", "")
        action = self.q.get("action", "")
        if dev is None:
            return self.text("ERROR: Invalid Device")
        if num in unit.refuse_requests:
            status, body = unit.refuse_requests[num]
            return web.Response(status=status, text=body, headers={"WWW-Authenticate": body} if status == 401 else None)
        known = {
            AP2: {"RequestArmMode", "RequestQuickArmMode", "RequestPanicMode"},
            SS1: {"SetArmed"},
        }
        if (
            action not in known.get(service, set())
            or (service == AP2) != (dev.category == 23)
            or (service == SS1 and dev.category != 4)
        ):
            return self.text("ERROR: No implementation")
        unit.actions_received.append(f"{num} {action} {self.q.get('State', self.q.get('newArmedValue', ''))}")
        job = Job(next(unit._job_ids), num, action, status=1)
        unit.jobs[job.id] = job
        unit.set_job_state(num, 1, "Sending")
        arguments = {k: v for k, v in self.q.items() if k not in ("id", "output_format", "DeviceNum", "serviceId", "action")}
        task = asyncio.get_running_loop().create_task(self._run_job(job, dev, arguments))
        unit.tasks.add(task)
        task.add_done_callback(unit.tasks.discard)
        return web.json_response({f"u:{action}Response": {"JobID": str(job.id)}})

    async def _run_job(self, job: Job, dev: DeviceMeta, arguments: dict[str, str]) -> None:
        await asyncio.sleep(0.05 + self.panel.faults.slow_commands)
        if self.unit.stall_jobs:
            return
        self.panel.advance()
        try:
            refusal = self.unit.refuse_jobs.get(dev.num)
            if refusal:
                raise SimError("refused", refusal)
            message = self._perform(job.action, dev, arguments)
        except SimError as exc:
            job.status, job.notes = 2, exc.message
            self.unit.set_job_state(dev.num, 2, exc.message)
        else:
            job.status, job.notes = 4, message
            self.unit.set_job_state(dev.num, 4, message)
        self.unit.refresh()

    def _perform(self, action: str, dev: DeviceMeta, arguments: dict[str, str]) -> str:
        panel, unit = self.panel, self.unit
        state = arguments.get("State", "")
        if action == "SetArmed":
            value = arguments.get("newArmedValue", "")
            if value not in ("0", "1"):
                raise SimError("bad_argument", "newArmedValue must be 0 or 1")
            panel.bypass(dev.zone, on=value == "0", user="remote")
            return ""
        partition = dev.partition
        if action == "RequestPanicMode":
            if not unit.panic_enabled:
                raise SimError("not_supported", "Panic is not enabled on this panel")
            if state not in ("Police", "Fire", "Medical"):
                raise SimError("bad_argument", f"Invalid panic mode {state!r}")
            panel.panic(state.lower(), partition=partition)
            return ""
        if action == "RequestArmMode":
            user = panel.user_by_code(arguments.get("PINCode", ""))
            if user is None:
                panel.log("arm_failed", WRONG_PIN_TEXT, partition=partition)
                raise SimError("wrong_code", WRONG_PIN_TEXT)
            who = user.name
        else:  # RequestQuickArmMode
            if state == "Disarmed":
                raise SimError("wrong_code", "No Disarm without PIN")
            who = ""
        if state == "Disarmed":
            panel.disarm([partition], user=who, source="vera")
            return ""
        if state not in _ARM_STATES:
            raise SimError("bad_argument", f"Invalid arm mode {state!r}")
        mode, instant, force = _ARM_STATES[state]
        if state in ("StayInstant", "NightInstant", "Force", "Vacation"):
            unit.detail_override[partition] = state  # dropped again while disarmed
        try:
            panel.arm(mode, [partition], user=who, instant=instant, force=force, source="vera")
        except SimError as exc:
            unit.detail_override.pop(partition, None)
            if exc.reason == "not_ready":
                raise SimError("not_ready", f"Arming failed: {exc.message}") from None
            raise
        return ""


__all__ = ["PASSWORD_SEED", "PERMISSIONS", "SERVER_NAMES", "MiosCloud", "VeraUnit", "sha1_password", "signing_key"]
