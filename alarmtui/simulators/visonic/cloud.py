"""The simulated PowerManage cloud's state: accounts, tokens, sessions, processes and scenario hooks.

Routes are in `routes.py` (one table), replies are rendered from the panel in `render.py`.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from alarmtui.simulators.base import SimCloud
from alarmtui.simulators.faults import SessionStore
from alarmtui.simulators.houses import visonic_house
from alarmtui.simulators.panel import SimError, SimPanel

DEFAULT_VERSIONS = ("14.0",)
"""What the cloud serves today (only 14.0 since December 2025, §9)."""
LIBRARY_VERSIONS = ("9.0", "10.0")
"""What the `visonicalarm` 3.12.0 library's own payload shapes were written for: served on request."""
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


def trim(mapping: dict[str, Any], keep: int) -> None:
    """Drop the oldest entries (dicts keep insertion order)."""
    while len(mapping) > keep:
        del mapping[next(iter(mapping))]


def version_number(version: str) -> float:
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
    renamed: set[str] = field(default_factory=set)  # zones named through set_name (14.0 lists the others with "")


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
            k: v
            for k, v in (("exit_delay", exit_delay), ("entry_delay", entry_delay), ("photo_delay", photo_delay))
            if v is not None
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
        self.issued_sessions: dict[str, None] = {}  # every session token handed out (400 vs 440 on 14.0)
        self.connected_as_text = False
        """Send `connected` as a string ("true"), as some replies do (issue 18)."""
        self._checkin_gap: dict[str, float] = {}  # serial -> when the routine check-in gap ends
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

    def checkin_gap(self, seconds: float = 90.0, serial: str | None = None) -> None:
        """A routine check-in gap (§9.2): `connected` false for `seconds` while `bba.state` stays "online".

        Not an outage: commands still reach the panel. A real outage is the panel's `set_offline()`
        (every transport "offline", empty traits, set_state 400 PanelNotConnected).
        """
        self._checkin_gap[serial or self.panels[0].serial] = self.clock() + seconds

    def end_checkin_gap(self, serial: str | None = None) -> None:
        self._checkin_gap.pop(serial or self.panels[0].serial, None)

    def in_checkin_gap(self, panel: SimPanel) -> bool:
        """The cloud's own gap, or the panel engine's scenario flag, if it has one."""
        return self._checkin_gap.get(panel.serial, float("-inf")) > self.clock() or bool(
            getattr(panel.faults, "checkin_gap", False)
        )

    def fail_next_photo(self, zone_id: str, serial: str | None = None) -> None:
        self.meta[serial or self.panels[0].serial].failed_photo.add(zone_id)

    # ------------------------------------------------------------------ app
    def build_app(self) -> web.Application:
        from alarmtui.simulators.visonic.routes import build_app  # routes import this module

        return build_app(self)

    # ------------------------------------------------------------------ helpers used by routes

    def _check_blocked(self, email: str) -> None:
        until = self._blocked_until.get(email, 0.0)
        left = until - self.clock()
        if left > 0:
            raise ApiError(
                420, 10020, "Login temporary blocked", "LoginTemporaryBlocked", [{"key": "timeout", "value": math.ceil(left)}]
            )

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
        trim(self.processes, self.MAX_KEPT)
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


__all__ = [
    "DEFAULT_VERSIONS",
    "DEMO_CODE",
    "DEMO_EMAIL",
    "DEMO_PASSWORD",
    "LIBRARY_VERSIONS",
    "MAIN_SERIAL",
    "SECOND_SERIAL",
    "Account",
    "ApiError",
    "PanelMeta",
    "Process",
    "Session",
    "VisonicCloud",
    "bad_params",
    "user_auth_required",
]
