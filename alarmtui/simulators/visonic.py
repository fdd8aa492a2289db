"""A simulated Visonic PowerManage cloud (REST 9.0 and newer) over the shared panel engine.

Faithful enough that the unmodified `visonicalarm` 3.12.0 library runs against it
(see `shared/protocols/visonic.md`): every call answers HTTP 200 with JSON, errors
carry `error`/`error_reason_code`/`extras` bodies, and the reason phrases the
library dispatches on (440 "Session token not found", 442, 444) are sent exactly.

Version differences served (chosen by the `/rest_api/<v>/` prefix):
* 9.0: events carry `name` (and `zone_name`), `gprs.state` is a string, devices keep
  their traits while the panel is offline.
* 10.0 and newer: events carry only `zone_name`, `gprs.state` is null, devices have
  empty `traits` while the panel is offline.
* 14.0 and newer: an unknown session token is HTTP 400 "Unable to recognize session
  token" (InvalidRequestFormat) instead of 440; users and panels carry the 14.0 extras.

Simulator extensions the real cloud may spell differently (no public record):
`POST /make_video {"camera_id": zone}` takes photos on a camera PIR; `/cameras` and
photo events then carry `preview_path` (a fetchable JPEG) plus `preview_frames`
(how many frames sit next to it: `.../camera_preview/<set>/<i>`).
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from alarmtui.simulators.base import SimCloud
from alarmtui.simulators.faults import SessionStore
from alarmtui.simulators.panel import (
    Mode,
    Phase,
    SimError,
    SimPanel,
    SimPartition,
    SimUser,
    SimZone,
    visonic_house,
)

DEFAULT_VERSIONS = ("9.0", "10.0")
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-pass"
DEMO_CODE = "1234"
MAIN_SERIAL = "D0A1B2"
SECOND_SERIAL = "E5F6A7"

# Reason phrases the library matches on (core.py dispatches on requests' error text).
REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    420: "Login temporary blocked",
    440: "Session token not found",
    442: "Login attempts limit reached",
    444: "Wrong user code",
    500: "Internal Server Error",
}

SUBTYPES = {
    "contact": ("ZONE", "CONTACT"),
    "camera": ("ZONE", "MOTION_CAMERA"),
    "motion": ("ZONE", "MOTION"),
    "smoke": ("ZONE", "SMOKE"),
    "generic": ("ZONE", "FLOOD"),
    "keyfob": ("KEYFOB", "BASIC_KEYFOB"),
    "gsm": ("GSM", "GSM"),
    "pgm": ("PGM", "PGM"),
}

TROUBLE_TYPES = {
    "low_battery": "LOW_BATTERY",
    "tamper": "TAMPER",
    "power_cut": "AC_FAILURE",
    "comm_failure": "INACTIVE",
    "jamming": "JAMMING",
}

# sim event kind -> (type_id, label, description)
EVENT_TYPES: dict[str, tuple[int, str, str]] = {
    "disarm": (89, "DISARM", "Disarm"),
    "alarm": (3, "BURGLER", "Burglary alarm"),
    "zone_open": (24, "OPENED", "Zone open"),
    "zone_close": (25, "CLOSED", "Zone closed"),
    "bypass": (51, "BYPASS", "Zone bypass"),
    "trouble": (40, "TROUBLE", "Trouble"),
    "trouble_restore": (27, "RESTORE", "Trouble restore"),
    "power_cut": (43, "AC_FAILURE", "AC failure"),
    "power_restore": (44, "AC_RESTORE", "AC restore"),
    "photo": (200, "CAMERA", "Video on demand"),
    "arm_failed": (90, "FAILED_TO_ARM", "Failed to arm"),
    "sos": (6, "PANIC", "Panic"),
    "offline": (993, "OFFLINE", "Panel offline"),
    "online": (994, "ONLINE", "Panel online"),
    "entry_delay": (30, "ENTRY_DELAY", "Entry delay"),
    "siren": (60, "SIREN", "Siren"),
}


def _trim(mapping: dict[str, Any], keep: int) -> None:
    """Drop the oldest entries (dicts keep insertion order)."""
    while len(mapping) > keep:
        del mapping[next(iter(mapping))]


def _version_number(version: str) -> float:
    try:
        return float(version)
    except ValueError:
        return 0.0


class ApiError(Exception):
    """An error reply: HTTP status, exact reason phrase and the vendor's JSON body."""

    def __init__(self, status: int, error: int, message: str, reason_code: str, extras: Iterable[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": error, "error_message": message, "error_reason_code": reason_code, "extras": list(extras)}

    def response(self) -> web.Response:
        return web.json_response(self.body, status=self.status, reason=REASONS.get(self.status, "Error"))


def bad_params(key: str, value: str) -> ApiError:
    return ApiError(400, 10001, "Bad Request Params", "BadRequestParams", [{"key": key, "value": value}])


def user_auth_required() -> ApiError:
    return ApiError(403, 10002, "User authentication required", "UserAuthRequired")


@dataclass
class Account:
    email: str
    password: str
    panels: dict[str, str]  # serial -> alias
    reset_code: str | None = None


@dataclass
class Session:
    token: str
    email: str
    serial: str
    user_id: str
    started: float  # monotonic


@dataclass
class Process:
    token: str
    serial: str
    status: str = "start"  # start -> handled -> succeeded, or start -> failed
    message: str = ""
    error: str | None = None
    reported_handled: bool = False


@dataclass
class PanelMeta:
    """What the cloud knows about a panel beyond the engine: partitions flag, emails, photos."""

    partitions_enabled: bool
    emails: dict[str, str] = field(default_factory=dict)  # user id -> email with access
    last_photo: dict[str, int] = field(default_factory=dict)  # zone id -> photo set id
    failed_photo: set[str] = field(default_factory=set)
    email_notifications: str = "all"


class VisonicCloud(SimCloud):
    """PowerManage REST: `/rest_api/version` plus `/rest_api/<v>/...` for every advertised version.

    Options (all keyword): `panel`/`panels` (SimPanels; the serial is the panel's
    `serial`), `versions` (advertised REST versions; the real library picks the highest),
    `connect_delay` (seconds `connected` stays false after the first panel login, while
    the cloud reaches the panel), `process_delay` (seconds a command stays
    "start"), `session_ttl` (seconds before a session token expires; None = never),
    `max_login_attempts`/`login_block_seconds` (420 after that many wrong passwords),
    `max_code_attempts` (442 after that many wrong user codes), `siren` (feature set
    allows siren on/off), `exit_delay`/`entry_delay`/`photo_delay` (for the default houses).

    Scenario hooks: `expire_sessions()`, `expire_user_tokens()`, `block_login(seconds)`,
    `inject_error(path, status, body)`, `fail_next_photo(zone)`, plus the panel's own
    (`open_zone`, `trip_zone`, `set_offline`, `raise_trouble`, ...).
    """

    MAX_KEPT = 2000  # sessions, tokens and processes kept; a long demo must not grow without bound

    kind = "visonic"
    username = DEMO_EMAIL
    password = DEMO_PASSWORD
    code = DEMO_CODE

    def __init__(
        self,
        panel: SimPanel | None = None,
        panels: Iterable[SimPanel] | None = None,
        *,
        versions: Iterable[str] = DEFAULT_VERSIONS,
        connect_delay: float = 0.0,
        process_delay: float = 0.3,
        session_ttl: float | None = None,
        max_login_attempts: int = 3,
        login_block_seconds: float = 60.0,
        max_code_attempts: int = 5,
        siren: bool = True,
        exit_delay: float | None = None,
        entry_delay: float | None = None,
        photo_delay: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        **options: Any,
    ) -> None:
        house_options = {
            k: v for k, v in (("exit_delay", exit_delay), ("entry_delay", entry_delay), ("photo_delay", photo_delay)) if v is not None
        }
        if panels is not None:
            panel_list = list(panels)
        elif panel is not None:
            panel_list = [panel]
        else:
            panel_list = [
                visonic_house(partitions=True, serial=MAIN_SERIAL, **house_options),
                visonic_house(partitions=False, serial=SECOND_SERIAL, **house_options),
            ]
            for sim_panel in panel_list:
                sim_panel.seed_history()
        self._panels: dict[str, SimPanel] = {p.serial: p for p in panel_list}
        self.meta: dict[str, PanelMeta] = {
            p.serial: PanelMeta(partitions_enabled=len(p.partitions) > 1, emails={p.users[0].id: DEMO_EMAIL} if p.users else {})
            for p in panel_list
        }
        aliases = ["Home", "Cabin", "Office", "Shop"]
        self.accounts: dict[str, Account] = {
            DEMO_EMAIL: Account(
                DEMO_EMAIL, DEMO_PASSWORD, {p.serial: aliases[i % len(aliases)] for i, p in enumerate(panel_list)}
            )
        }
        self.versions = [str(v) for v in versions]
        self.connect_delay = connect_delay
        self.process_delay = process_delay
        self.session_ttl = session_ttl
        self.max_login_attempts = max_login_attempts
        self.login_block_seconds = login_block_seconds
        self.max_code_attempts = max_code_attempts
        self.siren_allowed = siren
        self.clock = clock
        self.user_tokens: dict[str, str] = {}  # token -> email
        self.sessions: SessionStore[Session] = SessionStore(
            lambda: self.session_ttl, sliding=False, clock=lambda: self.clock(), limit=self.MAX_KEPT
        )
        self.processes: dict[str, Process] = {}
        self._failed_logins: dict[str, list[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self._failed_codes: dict[str, int] = {}
        self._reached: dict[str, float] = {}  # serial -> when the cloud started reaching the panel
        self.requests: list[tuple[str, str]] = []
        """Every request as (method, path), for tests that count calls."""

    # ------------------------------------------------------------------ SimCloud

    @property
    def panels(self) -> list[SimPanel]:
        return list(self._panels.values())

    def panel_by_serial(self, serial: str) -> SimPanel:
        return self._panels[serial]

    def provider_tables(self, base_url: str) -> list[dict[str, Any]]:
        main = self.panels[0]
        return [
            {
                "name": "powermaster",
                "kind": "visonic",
                "url": base_url,
                "username": self.username,
                "password": self.password,
                "code": self.code,
                "panel_serial": main.serial,
            }
        ]

    def expire_sessions(self) -> None:
        self.user_tokens.clear()
        self.sessions.clear()
        self._reached.clear()

    def describe(self, base_url: str) -> list[str]:
        lines = super().describe(base_url)
        lines.append(f"          panels: {', '.join(self._panels)}; REST versions {', '.join(self.versions)}")
        return lines

    # ------------------------------------------------------------------ scenario hooks

    def block_login(self, seconds: float, email: str = DEMO_EMAIL) -> None:
        """Make the next auth for `email` answer 420 for `seconds`."""
        self._blocked_until[email] = self.clock() + seconds

    def expire_user_tokens(self) -> None:
        """Forget user tokens only (sessions stay): the next call answers 401 "Wrong user token"."""
        self.user_tokens.clear()

    def inject_error(
        self, path: str, status: int, body: Any = None, *, raw: bytes | None = None, times: int = 1, reason: str | None = None
    ) -> None:
        """Answer the next `times` requests for `path` (e.g. "status") with `status` and `body` (or `raw` bytes).

        Status 0 carries the request out and then drops the connection without a reply. A
        shorthand for the shared fault middleware (`self.faults`), with Visonic's reason phrases.
        """
        self.faults.faults[:] = [f for f in self.faults.faults if f.route != path]  # the newest injection wins
        if status == 0:
            self.faults.add(path, forward=True, drop=True, times=times)
            return
        payload = raw if raw is not None else json.dumps(body if body is not None else {"error": status, "extras": []}).encode()
        self.faults.add(
            path,
            status=status,
            body=payload,
            times=times,
            content_type="application/json",
            reason=reason or REASONS.get(status, "Error"),
        )

    def fail_next_photo(self, zone_id: str, serial: str | None = None) -> None:
        self.meta[serial or self.panels[0].serial].failed_photo.add(zone_id)

    # ------------------------------------------------------------------ app

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self.faults.middleware, self._errors])
        app.router.add_get("/rest_api/version", self._version)
        app.router.add_route("*", "/rest_api/{version}/{path:.*}", self._dispatch)
        return app

    @web.middleware
    async def _errors(self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        if len(self.requests) > 10 * self.MAX_KEPT:
            del self.requests[: 5 * self.MAX_KEPT]
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()
        except web.HTTPException as exc:
            if exc.status == 404:
                return ApiError(404, 404, "Not Found", "NotFound").response()
            if exc.status == 405:
                return ApiError(405, 405, "Method Not Allowed", "MethodNotAllowed").response()
            raise

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"rest_versions": list(self.versions), "installer_versions": ["8.0"], "push_format_versions": ["7"], "dls_versions": ["1.0"]}
        )

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        version = request.match_info["version"]
        if version not in self.versions:
            raise ApiError(404, 404, f"REST version {version} is not supported", "NotFound")
        path = request.match_info["path"].rstrip("/")
        ctx = _Ctx(self, request, version)
        if path.startswith("camera_preview/"):
            if request.method != "GET":
                raise web.HTTPMethodNotAllowed(request.method, ["GET"])
            return await self._camera_preview(ctx, path)
        route = ROUTES.get((request.method, path))
        if route is None:
            if any(p == path for (_, p) in ROUTES):
                raise web.HTTPMethodNotAllowed(request.method, [m for (m, p) in ROUTES if p == path])
            raise web.HTTPNotFound()
        scope, handler = route
        if request.method == "POST":
            await ctx.read_body()
        if scope == "user":
            ctx.require_user()
        elif scope == "session":
            ctx.require_session()
        try:
            result = handler(self, ctx)
            if asyncio.iscoroutine(result):
                result = await result
        except (TypeError, ValueError, AttributeError) as exc:  # a field of the wrong type, as a real server would say
            raise ApiError(400, 10000, "Invalid request format", "InvalidRequestFormat") from exc
        return web.json_response(result)

    # ------------------------------------------------------------------ helpers used by routes

    def _check_blocked(self, email: str) -> None:
        until = self._blocked_until.get(email, 0.0)
        left = until - self.clock()
        if left > 0:
            raise ApiError(420, 10020, "Login temporary blocked", "LoginTemporaryBlocked", [{"key": "timeout", "value": math.ceil(left)}])

    def _note_failed_login(self, email: str) -> None:
        now = self.clock()
        attempts = [t for t in self._failed_logins.get(email, []) if now - t < 600] + [now]
        self._failed_logins[email] = attempts
        if len(attempts) >= self.max_login_attempts:
            self._blocked_until[email] = now + self.login_block_seconds
            self._failed_logins[email] = []

    def _new_process(self, serial: str, action: Callable[[], None], delay: float = 0.0) -> dict[str, str]:
        """Queue `action` on the panel; its outcome shows up in `/process_status`."""
        process = Process(token=str(uuid.uuid4()), serial=serial)
        self.processes[process.token] = process
        _trim(self.processes, self.MAX_KEPT)
        panel = self._panels[serial]
        wait = self.process_delay + panel.faults.slow_commands + delay

        def run() -> None:
            try:
                action()
            except SimError as exc:
                process.status = "failed"
                process.message = exc.message
                process.error = exc.reason
            else:
                process.status = "handled"

        if wait <= 0:
            run()
        else:
            asyncio.get_running_loop().call_later(wait, run)
        return {"process_token": process.token}

    async def _camera_preview(self, ctx: _Ctx, path: str) -> web.Response:
        ctx.require_session()
        parts = path.split("/")
        try:
            set_id, frame = int(parts[1]), int(parts[2]) if len(parts) > 2 else 0
        except (IndexError, ValueError):
            raise web.HTTPNotFound() from None
        photo_set = ctx.panel.photos.get(set_id)
        if photo_set is None or not 0 <= frame < len(photo_set.jpegs):
            raise web.HTTPNotFound()
        return web.Response(body=photo_set.jpegs[frame], content_type="image/jpeg")


class _Ctx:
    """One request: its version, body and (after `require_*`) its account, session and panel."""

    def __init__(self, cloud: VisonicCloud, request: web.Request, version: str) -> None:
        self.cloud = cloud
        self.request = request
        self.version = version
        self.number = _version_number(version)
        self.body: dict[str, Any] = {}
        self.email: str = ""
        self.session: Session | None = None

    async def read_body(self) -> None:
        raw = await self.request.read()
        if not raw.strip():
            self.body = {}
            return
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, 10000, "Invalid request format", "InvalidRequestFormat") from None
        if not isinstance(body, dict):
            raise ApiError(400, 10000, "Invalid request format", "InvalidRequestFormat")
        self.body = body

    def require_user(self, *, unknown_means_auth_required: bool = False) -> str:
        token = self.request.headers.get("User-Token")
        email = self.cloud.user_tokens.get(token or "")
        if email is None:
            if token and not unknown_means_auth_required:
                raise ApiError(401, 10003, "Wrong user token", "WrongUserToken")
            raise user_auth_required()
        self.email = email
        return email

    def require_session(self) -> Session:
        token = self.request.headers.get("Session-Token") or ""
        session = self.cloud.sessions.valid(token)  # expires `session_ttl` s after the login
        if session is None:
            if self.number >= 14.0:
                raise ApiError(400, 10000, "Unable to recognize session token", "InvalidRequestFormat")
            raise ApiError(440, 440, "Session token not found", "SessionTokenNotFound")
        self.require_user()
        self.session = session
        self.email = session.email
        return session

    @property
    def panel(self) -> SimPanel:
        assert self.session is not None
        return self.cloud._panels[self.session.serial]

    @property
    def meta(self) -> PanelMeta:
        assert self.session is not None
        return self.cloud.meta[self.session.serial]

    def field(self, key: str, *, required: bool = True) -> Any:
        value = self.body.get(key)
        if required and (value is None or value == ""):
            raise bad_params(key, "required")
        return value


# ---------------------------------------------------------------------- payload builders


def _partition_ids(meta: PanelMeta, panel: SimPanel, zone_or_part: Iterable[str]) -> list[int]:
    if not meta.partitions_enabled:
        return [-1]
    return [int(p) for p in zone_or_part if p.isdigit()]


def _all_partition_ids(meta: PanelMeta, panel: SimPanel) -> list[int]:
    return _partition_ids(meta, panel, panel.partitions)


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _device_number(zone: SimZone) -> int:
    return int(zone.id) if zone.id.isdigit() else abs(hash(zone.id)) % 1000


def _zone_type(zone: SimZone) -> str | None:
    if zone.kind in ("keyfob", "gsm", "pgm"):
        return None
    if zone.kind == "smoke":
        return "FIRE"
    if zone.kind == "generic":
        return "24H_SILENT"
    if zone.kind in ("motion", "camera"):
        return "INTERIOR_FOLLOW"
    return "DELAY_1" if zone.entry else "PERIMETER"


def _partition_state(panel: SimPanel, part: SimPartition) -> dict[str, Any]:
    mode = "HOME" if part.mode in (Mode.HOME, Mode.NIGHT) else "AWAY"
    if part.phase is Phase.DISARMED:
        state, status = "DISARM", ""
    elif part.phase is Phase.EXIT_DELAY:
        state, status = mode, "EXIT"
    elif part.phase is Phase.ENTRY_DELAY:
        state, status = "ENTRY_DELAY", ""
    else:  # armed, or in alarm: the alarm itself is reported by /alarms
        state, status = mode, ""
    return {"state": state, "status": status, "ready": panel.ready(part.id), "options": []}


def _status(ctx: _Ctx) -> dict[str, Any]:
    panel, meta = ctx.panel, ctx.meta
    panel.advance()
    session = ctx.session
    assert session is not None
    online = not panel.faults.offline
    reached = ctx.cloud._reached.get(session.serial, session.started)
    connected = online and ctx.cloud.clock() - reached >= ctx.cloud.connect_delay
    if meta.partitions_enabled:
        partitions = [{"id": int(p.id), **_partition_state(panel, p)} for p in panel.partitions.values()]
    else:
        part = next(iter(panel.partitions.values()))
        partitions = [{"id": -1, **_partition_state(panel, part)}]
    gprs_state: str | None = "online" if online else "offline"
    if ctx.number >= 10.0:
        gprs_state = None
    return {
        "connected": connected,
        "connected_status": {
            "bba": {"is_connected": online, "state": "online" if online else "offline"},
            "gprs": {"is_connected": False, "state": gprs_state},
        },
        "discovery": {"completed": True, "stages": 17, "in_queue": 0, "triggered": None},
        "partitions": partitions,
        "rssi": {"level": "ok" if online else "", "network": "4G" if online else ""},
    }


def _warnings(zone: SimZone) -> list[dict[str, Any]] | None:
    warnings = []
    if zone.open and zone.kind in ("contact", "generic"):
        warnings.append({"type": "OPENED", "severity": "INFO", "in_memory": False})
    if zone.battery_low:
        warnings.append({"type": "LOW_BATTERY", "severity": "WARNING", "in_memory": False})
    if zone.tamper:
        warnings.append({"type": "TAMPER", "severity": "WARNING", "in_memory": False})
    return warnings or None


def _devices(ctx: _Ctx) -> list[dict[str, Any]]:
    panel, meta = ctx.panel, ctx.meta
    panel.advance()
    offline = panel.faults.offline
    result = []
    for zone in panel.zones.values():
        device_type, subtype = SUBTYPES.get(zone.kind, ("ZONE", "GENERIC"))
        number = _device_number(zone)
        traits: dict[str, Any] = {}
        if not (offline and ctx.number >= 10.0):
            traits["location"] = {"id": number, "name": zone.name}
            traits["rssi"] = {"average": 3, "current": 3, "channel": None, "repeater": None, "last_updated": None}
            if device_type == "ZONE":
                traits["bypass"] = {"enabled": zone.bypassed}
                traits["soak"] = {"enabled": False}
            if zone.kind == "camera":
                traits["vod"] = {}
            if zone.kind == "keyfob":
                owner = panel.users[0] if panel.users else None
                traits["owner"] = {"id": int(owner.id) if owner else 0, "name": owner.name if owner else ""}
                del traits["location"]
            if zone.kind == "gsm":
                traits["signal_level"] = {"level": "GOOD"}
            if zone.kind == "pgm":
                traits["parent"] = {"id": 0, "port": 1}
        result.append(
            {
                "id": 100000 + number,
                "device_number": number,
                "device_type": device_type,
                "subtype": subtype,
                "name": zone.name,
                "enrollment_id": f"{100 + number:03d}-{(number * 7919) % 10000:04d}",
                "partitions": _partition_ids(meta, panel, zone.partitions),
                "preenroll": False,
                "removable": True,
                "renamable": True,
                "warnings": _warnings(zone),
                "zone_type": _zone_type(zone),
                "traits": traits,
            }
        )
    return result


def _event(ctx: _Ctx, event: Any) -> dict[str, Any]:
    panel, meta = ctx.panel, ctx.meta
    if event.kind == "arm":
        away = event.mode.startswith("away")
        type_id, label, description = (86, "ARM", "Arm Away") if away else (85, "ARM", "Arm Home")
    else:
        type_id, label, description = EVENT_TYPES.get(event.kind, (0, event.kind.upper(), event.text))
    zone = panel.zones.get(event.zone) if event.zone else None
    user = next((u for u in panel.users if u.name == event.user), None) if event.user else None
    if user is not None:
        device_type, zone_number, appointment = "USER", int(user.id) if user.id.isdigit() else 0, user.name
    elif zone is not None:
        device_type, zone_number, appointment = SUBTYPES.get(zone.kind, ("ZONE",))[0], _device_number(zone), zone.name
    else:
        device_type, zone_number, appointment = "CONTROL_PANEL", 0, "Control panel"
    parts = _partition_ids(meta, panel, [event.partition] if event.partition else panel.partitions)
    zone_name = zone.name if zone is not None else (user.name if user is not None else None)
    item: dict[str, Any] = {
        "event": event.id,
        "type_id": type_id,
        "label": label,
        "description": description if event.kind in ("arm", "disarm") else event.text,
        "appointment": appointment,
        "datetime": _when(event.time),
        "video": bool(event.photo_id),
        "device_type": device_type,
        "zone": zone_number,
        "partitions": parts,
        "zone_name": zone_name,
    }
    if ctx.number < 10.0:
        item["name"] = zone_name
    if event.photo_id and event.photo_id in panel.photos:
        item["preview_path"] = f"/rest_api/{ctx.version}/camera_preview/{event.photo_id}/0"
        item["preview_frames"] = len(panel.photos[event.photo_id].jpegs)
    return item


def _events(ctx: _Ctx) -> list[dict[str, Any]]:
    recent = ctx.panel.recent_events(100)  # newest first
    return [_event(ctx, e) for e in reversed(recent)]


def _troubles(ctx: _Ctx) -> list[dict[str, Any]]:
    panel, meta = ctx.panel, ctx.meta
    result = []
    for zone in panel.zones.values():
        if zone.open and zone.kind in ("contact", "generic"):
            result.append(
                {
                    "device_type": "ZONE",
                    "location": zone.name,
                    "partitions": _partition_ids(meta, panel, zone.partitions),
                    "trouble_type": "OPENED",
                    "zone": _device_number(zone),
                    "zone_name": zone.name,
                    "zone_type": _zone_type(zone),
                }
            )
    for trouble in panel.troubles:
        troubled = panel.zones.get(trouble.zone) if trouble.zone else None
        if troubled is None:
            result.append(
                {
                    "device_type": "CONTROL_PANEL",
                    "location": None,
                    "partitions": _all_partition_ids(meta, panel),
                    "trouble_type": TROUBLE_TYPES.get(trouble.kind, trouble.kind.upper()),
                    "zone": None,
                    "zone_name": None,
                    "zone_type": None,
                }
            )
        else:
            result.append(
                {
                    "device_type": SUBTYPES.get(troubled.kind, ("ZONE",))[0],
                    "location": troubled.name,
                    "partitions": _partition_ids(meta, panel, troubled.partitions),
                    "trouble_type": TROUBLE_TYPES.get(trouble.kind, trouble.kind.upper()),
                    "zone": _device_number(troubled),
                    "zone_name": troubled.name,
                    "zone_type": _zone_type(troubled),
                }
            )
    return result


def _alarms(ctx: _Ctx) -> list[dict[str, Any]]:
    panel, meta = ctx.panel, ctx.meta
    panel.advance()
    result = []
    for part in panel.partitions.values():
        if not (part.phase is Phase.ALARM or part.alarm_memory):
            continue
        zone = panel.zones.get(part.alarm_zone) if part.alarm_zone else None
        alarm_type = ("FIRE" if zone is not None and zone.kind == "smoke" else "BURGLARY") if zone else "PANIC"
        result.append(
            {
                "device_type": "ZONE" if zone else "CONTROL_PANEL",
                "alarm_type": alarm_type if part.phase is Phase.ALARM else "ALARM_IN_MEMORY",
                "datetime": _when(part.last_alarm),
                "has_video": bool(zone is not None and zone.camera),
                "evt_id": int(part.last_alarm),
                "location": zone.name if zone else None,
                "partitions": _partition_ids(meta, panel, [part.id]),
                "zone": _device_number(zone) if zone else None,
                "zone_name": zone.name if zone else None,
                "zone_type": _zone_type(zone) if zone else None,
            }
        )
    return result


def _cameras(ctx: _Ctx) -> list[dict[str, Any]]:
    panel, meta = ctx.panel, ctx.meta
    result = []
    for zone in panel.zones.values():
        if not zone.camera:
            continue
        set_id = meta.last_photo.get(zone.id)
        photo_set = panel.photos.get(set_id) if set_id else None
        item = {
            "location": zone.name,
            "partitions": _partition_ids(meta, panel, zone.partitions),
            "preenroll": False,
            "preview_path": f"/rest_api/{ctx.version}/camera_preview/{set_id}/0" if photo_set else None,
            "status": "SUCCEEDED" if photo_set else "NONE",
            "timestamp": _when(photo_set.time) if photo_set else None,
            "zone": _device_number(zone),
            "zone_name": zone.name,
        }
        if photo_set:
            item["preview_frames"] = len(photo_set.jpegs)
        result.append(item)
    return result


def _users(ctx: _Ctx) -> dict[str, Any]:
    panel, meta = ctx.panel, ctx.meta
    users = []
    for user in panel.users:
        item: dict[str, Any] = {
            "id": int(user.id) if user.id.isdigit() else user.id,
            "name": user.name,
            "email": meta.emails.get(user.id, ""),
            "partitions": _all_partition_ids(meta, panel),
        }
        if ctx.number >= 14.0:
            item.update(
                {"role": "master" if user.role == "master" else "user", "last_name": "", "expiration_date": None, "editable_features": []}
            )
        users.append(item)
    result: dict[str, Any] = {"users": users, "max_users_count": 48}
    if ctx.number >= 14.0:
        result["reserved_ids"] = []
    return result


def _feature_set(ctx: _Ctx) -> dict[str, Any]:
    meta, panel = ctx.meta, ctx.panel
    siren = ctx.cloud.siren_allowed
    return {
        "events": {"is_enabled": True},
        "datetime": {"is_enabled": False},
        "partitions": {"is_enabled": meta.partitions_enabled, "is_labels_enabled": meta.partitions_enabled, "max_partitions": 3},
        "devices": {"is_enabled": True},
        "sirens": {"can_enable": siren, "can_disable": siren},
        "home_automation_devices": {"is_enabled": any(z.kind == "pgm" for z in panel.zones.values())},
        "state": {"is_enabled": True, "can_set": True, "can_get": True},
        "faults": {"is_enabled": True},
        "diagnostic": {"is_enabled": False},
        "wifi": {"is_enabled": False},
        "cameras": {"is_enabled": any(z.camera for z in panel.zones.values())},
    }


def _panel_info(ctx: _Ctx) -> dict[str, Any]:
    panel, meta = ctx.panel, ctx.meta
    exit_delay = math.ceil(panel.exit_delay) if panel.exit_delay > 0 else 0  # whole seconds on the wire
    session = ctx.session
    assert session is not None
    user = next((u for u in panel.users if u.id == session.user_id), None)
    state_sets = [
        {"name": "AWAY", "settable": True, "options": [], "statuses": ["EXIT"], "transitions": ["DISARM"]},
        {"name": "HOME", "settable": True, "options": [], "statuses": ["EXIT"], "transitions": ["DISARM"]},
        {"name": "DISARM", "settable": True, "options": [], "statuses": [], "transitions": ["AWAY", "HOME"]},
        {"name": "ENTRY_DELAY", "settable": False, "options": [], "statuses": [], "transitions": ["DISARM"]},
        {"name": "PROGRAMMING", "settable": False, "options": [], "statuses": [], "transitions": []},
    ]
    if meta.partitions_enabled:
        partitions = [
            {"id": int(p.id), "active": True, "exit_delay_time": exit_delay, "state_set": "all", "name": p.name}
            for p in panel.partitions.values()
        ]
    else:
        partitions = [{"id": -1, "active": True, "exit_delay_time": exit_delay, "state_set": "all", "name": None}]
    siren = ctx.cloud.siren_allowed
    return {
        "current_user": "master_user" if user is not None and user.role == "master" else "user",
        "manufacturer": "Visonic",
        "model": panel.name,
        "serial": panel.serial,
        "state_sets": {"all": state_sets},
        "partitions": partitions,
        "bypass_mode": "manual_bypass",
        "local_wakeup_needed": False,
        "remote_switch_to_programming_mode_requires_user_acceptance": True,
        "features": {
            "video_on_demand": any(z.camera for z in panel.zones.values()),
            "alerts": True,
            "enabling_siren": siren,
            "disabling_siren": siren,
            "wi_fi_connection": False,
            "set_date_time": False,
            "outputs_setup": False,
        },
    }


# ---------------------------------------------------------------------- route handlers


def r_auth(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    email = ctx.field("email")
    password = ctx.field("password")
    ctx.field("app_id")
    cloud._check_blocked(str(email))
    account = cloud.accounts.get(str(email))
    if account is None or account.password != password:
        cloud._note_failed_login(str(email))
        raise ApiError(
            400,
            10004,
            "Wrong combination",
            "WrongCombination",
            [{"key": "email", "value": "wrong_combination"}, {"key": "password", "value": "wrong_combination"}],
        )
    cloud._failed_logins.pop(account.email, None)
    token = str(uuid.uuid4())
    cloud.user_tokens[token] = account.email
    _trim(cloud.user_tokens, cloud.MAX_KEPT)
    return {"user_token": token, "customization": {}}


def r_panel_login(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    # No or unknown user token -> 403 10002: the demo's connect() authenticates only on that.
    email = ctx.require_user(unknown_means_auth_required=True)
    code = ctx.body.get("user_code")
    if code is None or code == "":
        raise bad_params("user_code", "required")
    if not isinstance(code, str) or len(code) < 4:
        raise bad_params("user_code", "minLength:4")
    ctx.field("app_id")
    serial = ctx.field("panel_serial")
    account = cloud.accounts[email]
    if serial not in account.panels or serial not in cloud._panels:
        raise bad_params("panel_serial", "incorrect")
    panel = cloud._panels[serial]
    key = f"{email}/{serial}"
    if cloud._failed_codes.get(key, 0) >= cloud.max_code_attempts:
        raise ApiError(442, 10022, "Login attempts limit reached", "LoginAttemptsLimitReached")
    user = panel.user_by_code(code)
    if user is None:
        cloud._failed_codes[key] = cloud._failed_codes.get(key, 0) + 1
        raise ApiError(400, 10021, "Wrong user code", "WrongUserCode")
    cloud._failed_codes.pop(key, None)
    token = str(uuid.uuid4())
    cloud.sessions[token] = Session(token, email, serial, user.id, cloud.clock())
    cloud._reached.setdefault(serial, cloud.clock())  # the cloud reaches the panel once, not per session
    return {"session_token": token}


def _session_user(ctx: _Ctx) -> SimUser:
    assert ctx.session is not None
    user = next((u for u in ctx.panel.users if u.id == ctx.session.user_id), None)
    return user or SimUser("0", "Cloud user", "")


def _check_command_code(ctx: _Ctx) -> SimUser:
    """Newer clients send the user code with commands; a wrong one is 444 "Wrong user code"."""
    code = ctx.body.get("user_code", ctx.body.get("code"))
    if code is None or code == "":
        return _session_user(ctx)
    user = ctx.panel.user_by_code(str(code))
    if user is None:
        raise ApiError(444, 10021, "Wrong user code", "WrongUserCode")
    return user


def _require_online(ctx: _Ctx) -> None:
    if ctx.panel.faults.offline:
        raise ApiError(400, 400, "Panel is not connected", "PanelNotConnected")


def _target_partitions(ctx: _Ctx, value: Any) -> list[str] | None:
    if value is None or value == -1 or value == "-1":
        return None
    if not ctx.meta.partitions_enabled or str(value) not in ctx.panel.partitions:
        raise bad_params("partition", "incorrect")
    return [str(value)]


def r_set_state(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    state = ctx.field("state")
    if state not in ("HOME", "AWAY", "DISARM"):
        raise bad_params("state", "incorrect")
    targets = _target_partitions(ctx, ctx.body.get("partition", -1))
    user = _check_command_code(ctx)
    _require_online(ctx)
    panel = ctx.panel

    def action() -> None:
        if state == "DISARM":
            panel.disarm(targets, user=user.name, source="cloud")
        else:
            panel.arm(Mode.HOME if state == "HOME" else Mode.AWAY, targets, user=user.name, source="cloud")

    return cloud._new_process(panel.serial, action)


def r_bypass(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    zone_number = ctx.field("zone")
    enabled = ctx.body.get("set")
    if not isinstance(enabled, bool):
        raise bad_params("set", "required")
    panel = ctx.panel
    zone = next((z for z in panel.zones.values() if _device_number(z) == zone_number), None)
    if zone is None or SUBTYPES.get(zone.kind, ("ZONE",))[0] != "ZONE":
        raise bad_params("zone", "incorrect")
    user = _check_command_code(ctx)
    _require_online(ctx)
    return cloud._new_process(panel.serial, lambda: panel.bypass(zone.id, enabled, user=user.name))


def r_set_name(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    object_class = ctx.field("class")
    object_id = ctx.field("id")
    name = ctx.field("name")
    panel = ctx.panel
    _require_online(ctx)
    if object_class == "USER":
        index = next((i for i, u in enumerate(panel.users) if u.id == str(object_id)), None)
        if index is None:
            raise bad_params("id", "incorrect")

        def rename_user() -> None:
            panel.users[index] = replace(panel.users[index], name=str(name))
            panel._touch()

        return cloud._new_process(panel.serial, rename_user)
    if object_class in ("ZONE", "DEVICE"):
        zone = next((z for z in panel.zones.values() if _device_number(z) == object_id), None)
        if zone is None:
            raise bad_params("id", "incorrect")

        def rename_zone() -> None:
            zone.name = str(name)
            panel._touch()

        return cloud._new_process(panel.serial, rename_zone)
    raise bad_params("class", "incorrect")


def r_set_user_code(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    code = ctx.field("user_code")
    user_id = str(ctx.field("user_id"))
    if not isinstance(code, str) or not code.isdigit() or len(code) != 4:
        raise bad_params("user_code", "minLength:4")
    panel = ctx.panel
    _require_online(ctx)

    def set_code() -> None:
        index = next((i for i, u in enumerate(panel.users) if u.id == user_id), None)
        if code == "0000":
            if index is not None:
                del panel.users[index]
        elif any(u.code == code and u.id != user_id for u in panel.users):
            raise SimError("conflict", "User code already in use")
        elif index is None:
            panel.users.append(SimUser(user_id, f"User {user_id}", code))
        else:
            panel.users[index] = replace(panel.users[index], code=code)
        panel._touch()

    return cloud._new_process(panel.serial, set_code)


def r_activate_siren(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    if not cloud.siren_allowed:
        raise ApiError(403, 10010, "Not allowed", "NotAllowed")
    user = _session_user(ctx)
    _require_online(ctx)
    panel = ctx.panel
    return cloud._new_process(panel.serial, lambda: panel.set_siren(True, user=user.name))


def r_disable_siren(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    if not cloud.siren_allowed:
        raise ApiError(403, 10010, "Not allowed", "NotAllowed")
    user = _session_user(ctx)
    _require_online(ctx)
    panel = ctx.panel
    return cloud._new_process(panel.serial, lambda: panel.set_siren(False, user=user.name))


def r_make_video(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    camera_id = ctx.field("camera_id")
    panel, meta = ctx.panel, ctx.meta
    zone = next((z for z in panel.zones.values() if _device_number(z) == camera_id), None)
    if zone is None or not zone.camera:
        raise bad_params("camera_id", "incorrect")
    user = _session_user(ctx)
    _require_online(ctx)

    def capture() -> None:
        if zone.id in meta.failed_photo:
            meta.failed_photo.discard(zone.id)
            raise SimError("failed", "Camera did not answer")
        photo_set = panel.take_photos(zone.id, user=user.name)
        meta.last_photo[zone.id] = photo_set.id

    return cloud._new_process(panel.serial, capture, delay=panel.photo_delay)


def r_process_status(cloud: VisonicCloud, ctx: _Ctx) -> list[dict[str, Any]]:
    tokens = ctx.request.query.get("process_tokens", "")
    result = []
    for token in filter(None, tokens.split(",")):
        process = cloud.processes.get(token)
        if process is None:
            raise bad_params("process_tokens", "incorrect")
        status = process.status
        if status == "handled":
            if process.reported_handled:
                status = process.status = "succeeded"
            process.reported_handled = True
        result.append({"token": process.token, "status": status, "message": process.message, "error": process.error})
    return result


def r_access_grant(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    user_id = str(ctx.field("user"))
    email = ctx.field("email")
    meta, panel = ctx.meta, ctx.panel
    if not any(u.id == user_id for u in panel.users):
        raise bad_params("user", "incorrect")
    if user_id in meta.emails:
        raise bad_params("user", "already_granted")
    if email in meta.emails.values():
        raise bad_params("email", "already_linked")
    meta.emails[user_id] = str(email)
    return {}


def r_access_revoke(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    user_id = str(ctx.field("user"))
    ctx.meta.emails.pop(user_id, None)
    return {}


def r_panels(cloud: VisonicCloud, ctx: _Ctx) -> list[dict[str, Any]]:
    account = cloud.accounts[ctx.email]
    result = []
    for serial, alias in account.panels.items():
        item: dict[str, Any] = {"panel_serial": serial, "alias": alias, "role": "master", "customization": {}}
        if ctx.number >= 14.0 and serial in cloud._panels:
            item.update({"panel_model": cloud._panels[serial].name, "type": "POWER_MASTER"})
        result.append(item)
    return result


def r_panel_add(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    alias = ctx.field("alias")
    serial = ctx.field("panel_serial")
    master_code = ctx.field("master_user_code")
    account = cloud.accounts[ctx.email]
    panel = cloud._panels.get(str(serial))
    master = next((u for u in panel.users if u.role == "master"), None) if panel else None
    if panel is None or master is None or master.code != master_code:
        raise ApiError(
            400,
            10004,
            "Wrong combination",
            "WrongCombination",
            [{"key": "panel_serial", "value": "wrong_combination"}, {"key": "master_user_code", "value": "wrong_combination"}],
        )
    if serial in account.panels:
        raise bad_params("panel_serial", "already_linked")
    account.panels[str(serial)] = str(alias)
    return {}


def r_panel_rename(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    serial = ctx.field("panel_serial")
    alias = ctx.field("alias")
    account = cloud.accounts[ctx.email]
    if serial not in account.panels:
        raise bad_params("panel_serial", "incorrect")
    account.panels[serial] = str(alias)
    return {}


def r_panel_unlink(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    serial = ctx.field("panel_serial")
    password = ctx.field("password")
    ctx.field("app_id")
    account = cloud.accounts[ctx.email]
    if password != account.password:
        raise ApiError(400, 10004, "Wrong combination", "WrongCombination", [{"key": "password", "value": "wrong_combination"}])
    if serial not in account.panels:
        raise bad_params("panel_serial", "incorrect")
    del account.panels[serial]
    for token, session in list(cloud.sessions.items()):
        if session.email == account.email and session.serial == serial:
            del cloud.sessions[token]
    return {}


def r_password_reset(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    email = ctx.field("email")
    account = cloud.accounts.get(str(email))
    if account is not None:  # never reveal whether an account exists
        account.reset_code = secrets.token_hex(5).upper()
    return {}


def r_password_reset_complete(cloud: VisonicCloud, ctx: _Ctx) -> dict[str, Any]:
    code = ctx.field("reset_password_code")
    new_password = ctx.field("new_password")
    ctx.field("app_id")
    account = next((a for a in cloud.accounts.values() if a.reset_code and a.reset_code == code), None)
    if account is None:
        raise bad_params("reset_password_code", "incorrect")
    strong = isinstance(new_password, str) and len(new_password) >= 8 and any(c.isdigit() for c in new_password) and any(
        not c.isalnum() for c in new_password
    )
    if not strong:
        raise bad_params("new_password", "weak")
    account.password = new_password
    account.reset_code = None
    for token, email in list(cloud.user_tokens.items()):
        if email == account.email:
            del cloud.user_tokens[token]
    token = str(uuid.uuid4())
    cloud.user_tokens[token] = account.email
    return {"user_token": token}


def _locations(ctx: _Ctx) -> list[dict[str, Any]]:
    names = ["Loft", "Back door", "Basement", "Bathroom", "Bedroom", "Child room", "Conservatory", "Play room",
             "Dining room", "Downstairs", "Emergency", "Fire", "Front door", "Garage", "Garage door", "Guest room",
             "Hall", "Kitchen", "Laundry room", "Living room", "Master bathroom", "Master bedroom", "Office",
             "Upstairs", "Utility room", "Yard", "Custom 1", "Custom 2", "Custom 3", "Custom 4", "Custom 5"]  # fmt: skip
    return [{"hel_id": i, "name": name, "is_editable": name.startswith("Custom")} for i, name in enumerate(names)]


def _wakeup_sms(ctx: _Ctx) -> dict[str, Any]:
    serial = ctx.panel.serial
    return {"phone": "+34600000000", "sms": f"CONNECT;{serial};PM-30;SEQ-{int(time.time()) % 10000:04d};"}


def _notifications(ctx: _Ctx) -> dict[str, Any]:
    if ctx.request.method == "POST":
        ctx.meta.email_notifications = str(ctx.field("mode"))
    return {"mode": ctx.meta.email_notifications}


def _read(builder: Callable[[_Ctx], Any]) -> Callable[[VisonicCloud, _Ctx], Any]:
    return lambda cloud, ctx: builder(ctx)


Handler = Callable[[VisonicCloud, _Ctx], Any]
ROUTES: dict[tuple[str, str], tuple[str, Handler]] = {
    ("POST", "auth"): ("none", r_auth),
    ("POST", "password/reset"): ("none", r_password_reset),
    ("POST", "password/reset/complete"): ("none", r_password_reset_complete),
    ("POST", "panel/login"): ("none", r_panel_login),  # checks the user token itself (403 10002 first)
    ("GET", "panels"): ("user", r_panels),
    ("POST", "panel/add"): ("user", r_panel_add),
    ("POST", "panel/rename"): ("user", r_panel_rename),
    ("POST", "panel/unlink"): ("user", r_panel_unlink),
    ("GET", "status"): ("session", _read(_status)),
    ("GET", "devices"): ("session", _read(_devices)),
    ("GET", "events"): ("session", _read(_events)),
    ("GET", "troubles"): ("session", _read(_troubles)),
    ("GET", "alarms"): ("session", _read(_alarms)),
    ("GET", "alerts"): ("session", lambda cloud, ctx: []),
    ("GET", "users"): ("session", _read(_users)),
    ("GET", "cameras"): ("session", _read(_cameras)),
    ("GET", "feature_set"): ("session", _read(_feature_set)),
    ("GET", "locations"): ("session", _read(_locations)),
    ("GET", "panel_info"): ("session", _read(_panel_info)),
    ("GET", "wakeup_sms"): ("session", _read(_wakeup_sms)),
    ("GET", "notifications/email"): ("session", _read(_notifications)),
    ("POST", "notifications/email"): ("session", _read(_notifications)),
    ("GET", "smart_devices"): ("session", lambda cloud, ctx: []),
    ("GET", "smart_devices/settings"): ("session", lambda cloud, ctx: {}),
    ("GET", "home_automation_devices"): ("session", lambda cloud, ctx: []),
    ("GET", "process_status"): ("session", r_process_status),
    ("POST", "set_state"): ("session", r_set_state),
    ("POST", "set_bypass_zone"): ("session", r_bypass),
    ("POST", "set_name"): ("session", r_set_name),
    ("POST", "set_user_code"): ("session", r_set_user_code),
    ("POST", "activate_siren"): ("session", r_activate_siren),
    ("POST", "disable_siren"): ("session", r_disable_siren),
    ("POST", "make_video"): ("session", r_make_video),
    ("POST", "access/grant"): ("session", r_access_grant),
    ("POST", "access/revoke"): ("session", r_access_revoke),
}


__all__ = ["DEFAULT_VERSIONS", "DEMO_CODE", "DEMO_EMAIL", "DEMO_PASSWORD", "MAIN_SERIAL", "SECOND_SERIAL", "VisonicCloud"]
