"""The simulated My Pages cloud: one account, its installation on the shared `SimPanel`, locks, climate, cameras.

State and the GraphQL resolvers live here; HTTP (cookies, hosts, limits) in
`routes.py`. Built to protocols/verisure-mypages.md §8; where the notes mark
a value [?], the choice made here is marked [I]:

- the login body when MFA is needed is `{"stepUpToken": …}` with a `vs-stepup`
  cookie and `vid=no_vid_cookie`; a wrong MFA code gets HTTP 401 without an
  errorCode; three wrong codes end the step-up [I];
- the trust cookie is `vs-trust-<sha of the e-mail>`, Max-Age one year [I];
  `vs-refresh` rotates on `/auth/token`; a dead refresh cookie gets 401 `AUT_00011` [I];
- the event log's `offset` counts rows, newest first, `eventId`s are stable [I];
- forceArm-less arming with a door open ends `STATE_CHANGE_FAILED` (after one
  null poll); disarming while disarmed is accepted [I]; an unknown transaction
  id gets a GraphQL error with `data.status` 400 [I];
- an offline panel keeps answering reads from the cloud (broadband reported
  down) and fails every state change [I];
- every request except media downloads counts towards the per-minute (429) and
  daily (403 block) ceilings [I].
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from alarmtui.simulators.base import SimCloud
from alarmtui.simulators.faults import FaultInjector, SessionStore
from alarmtui.simulators.houses import mypages_house
from alarmtui.simulators.mypages.render import iso
from alarmtui.simulators.panel import Mode, Phase, SimError, SimPanel, SimPartition, SimUser, SimZone

log = logging.getLogger(__name__)

ACCESS_LIFETIME = 900.0
REFRESH_LIFETIME = 4_747_879.0
TRUST_LIFETIME = 365 * 86400.0
HOSTS = ("automation01", "automation02")
CATEGORY = {
    "arm": "ARM",
    "disarm": "DISARM",
    "alarm": "INTRUSION",
    "sos": "SOS",
    "photo": "PICTURE",
    "trouble": "TECHNICAL",
    "offline": "TECHNICAL",
    "power_cut": "WARNING",
    "lock": "LOCK",
    "unlock": "UNLOCK",
}


class HttpFault(Exception):
    """A flat REST error reply (§1.3) that ends the whole request."""

    def __init__(self, status: int, code: str, message: str, group: str = "BAD_REQUEST", **extra: str) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, str] = {"errorGroup": group, "errorCode": code, "errorMessage": message, **extra}
        if not code:
            del self.body["errorCode"]


class GraphQLError(Exception):
    """An error inside a 200 reply: `{"errors": [{"message", "data": {"status", "errorCode"}}], "data": null}`."""

    def __init__(self, message: str, status: int, code: str = "") -> None:
        super().__init__(message)
        self.error: dict[str, Any] = {"message": message, "data": {"status": status, **({"errorCode": code} if code else {})}}


@dataclass
class SimLock:
    label: str
    area: str
    locked: bool = True
    door_open: bool = False
    user: str = ""
    method: str = "CODE"
    time: float = 0.0
    lock_type: str = "YALE_DOORMAN"


@dataclass
class SimClimate:
    label: str
    area: str
    kind: str  # gui label: SMOKE, CLIMATE, ...
    temperature: float
    humidity: float | None = None
    time: float = 0.0


@dataclass
class Transaction:
    id: str
    kind: str  # arm, disarm, lock, unlock, dryrun
    future: str
    apply_at: float
    action: Callable[[], None]
    device: str = ""
    result: str | None = None
    polls: int = 0
    violations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Capture:
    request_id: str
    label: str
    ready_at: float
    done: bool = False


@dataclass
class StepUp:
    email: str
    code: str = ""
    sends: int = 0
    wrong: int = 0


class MyPagesCloud(SimCloud):
    """The My Pages API on two hosts (the main port and an `extra_faces` port), sharing one account."""

    kind = "mypages"

    def __init__(
        self,
        *,
        username: str = "demo@example.se",
        password: str = "demo-pass",
        panel: SimPanel | None = None,
        giid: str = "123456789000",
        mfa: bool = True,
        access_lifetime: float = ACCESS_LIFETIME,
        refresh_lifetime: float = REFRESH_LIFETIME,
        arm_delay: float = 1.0,
        lock_delay: float = 1.0,
        capture_delay: float = 2.0,
        max_code_sends: int = 5,
        per_minute: int | None = None,
        per_day: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        **panel_options: Any,
    ) -> None:
        self.username = username
        self.password = password
        self.code = "1234"
        self.giid = giid
        self.mfa = mfa
        self.clock = clock
        self.wall = wall
        self.panel = panel or mypages_house(clock=clock, wall=wall, **panel_options)
        self.access_lifetime = access_lifetime
        self.arm_delay = arm_delay
        self.lock_delay = lock_delay
        self.capture_delay = capture_delay
        self.max_code_sends = max_code_sends
        self.per_minute = per_minute
        self.per_day = per_day
        self.access: SessionStore[str] = SessionStore(lambda: self.access_lifetime, sliding=False, clock=clock)
        self.refresh: SessionStore[str] = SessionStore(refresh_lifetime, sliding=False, clock=clock)
        self.trust: SessionStore[str] = SessionStore(TRUST_LIFETIME, sliding=False, clock=clock)
        self.step_ups: SessionStore[StepUp] = SessionStore(600.0, sliding=False, clock=clock)
        self.code_sends: list[float] = []
        self.sent_codes: list[str] = []
        self.on_code: Callable[[str, str], None] | None = None
        """Called with (channel, code) whenever a step-up code is "sent" (`alarmtui sim` prints it)."""
        self.locks = [SimLock("7LCK 4JKL", "Front door", locked=True, user="Anna", time=wall() - 7200)]
        self.climates = [
            SimClimate("5SMK 2DEF", "Upstairs", "SMOKE", 21.5, None, wall() - 1800),
            SimClimate("6CLM 3GHI", "Basement", "CLIMATE", 14.0, 63.0, wall() - 1800),
        ]
        self.transactions: dict[str, Transaction] = {}
        self.captures: dict[str, Capture] = {}
        self.images: dict[str, bytes] = {}
        """Self-authorising media token → JPEG."""
        self.series: dict[str, list[dict[str, Any]]] = {}
        """Camera label → its latest series' images."""
        self.broadband_tested = wall() - 3600
        self.blocked = False
        self.request_times: list[float] = []
        self.day_count = 0
        self.day_started = clock()
        self.requests_seen: list[tuple[str, str, dict[str, str]]] = []
        """(host, route, headers) of every request (tests only; secrets included)."""
        self.host_faults = {host: FaultInjector(self.route_of) for host in HOSTS}
        self.second_url = ""
        self._ids = itertools.count(int(wall()) * 10)
        self._boot = wall()

    # ------------------------------------------------------------------ SimCloud

    @property
    def panels(self) -> list[SimPanel]:
        return [self.panel]

    def build_app(self) -> web.Application:
        from alarmtui.simulators.mypages.routes import build_app

        return build_app(self, HOSTS[0])

    def extra_faces(self) -> dict[str, web.Application]:
        from alarmtui.simulators.mypages.routes import build_app

        return {"mypages-2": build_app(self, HOSTS[1])}

    def face_started(self, face: str, url: str) -> None:
        self.second_url = url

    def provider_tables(self, base_url: str) -> list[dict[str, Any]]:
        table: dict[str, Any] = {
            "name": "villa",
            "kind": "mypages",
            "url": base_url,
            "username": self.username,
            "password": self.password,
            "code": self.code,
            "installation": self.giid,
            # The simulator's ceilings are off unless a test sets them: poll it briskly (the real default is 90 s).
            "poll_interval": 10.0,
            "events_interval": 30.0,
            "request_budget": 1000,
        }
        if self.second_url:
            table["failover_url"] = self.second_url
        return [table]

    def describe(self, base_url: str) -> list[str]:
        return [
            f"{self.kind:9s} {base_url} (+ {self.second_url or 'second host'})  user={self.username} "
            f"password={self.password} code={self.code} (verification codes are printed here)"
        ]

    def expire_sessions(self) -> None:
        """Every access and refresh cookie dies (the trust survives: the next login needs no code)."""
        self.access.expire()
        self.refresh.expire()

    async def route_of(self, request: web.Request) -> str:
        """`auth/login`, `auth/token` … for REST; the first operation's name (or root field) for /graphql."""
        path = request.path.strip("/")
        if path.startswith("auth/trust/"):
            return "auth/trust"
        if path.startswith("media/"):
            return "media"
        if path != "graphql":
            return path
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return "graphql"
        first = body[0] if isinstance(body, list) and body else body
        if not isinstance(first, dict):
            return "graphql"
        name = first.get("operationName")
        if isinstance(name, str) and name:
            return name
        from alarmtui.simulators.mypages.render import DocumentError, parse_document

        try:
            document = parse_document(str(first.get("query") or ""))
        except DocumentError:
            return "graphql"
        return document.root_names[0] if document.root_names else "graphql"

    # ------------------------------------------------------------------ scenario hooks

    def fail_host(self, host: int, fault: str, times: int = 1, route: str | None = None) -> None:
        """Make host 1 or 2 unavailable: `sys_503`, `sys_200` (SYS_00004 in a 200), `gateway_504` (HTML), `reset`."""
        injector = self.host_faults[HOSTS[host - 1]]
        if fault == "sys_503":
            body = b'{"errorGroup":"SERVICE_UNAVAILABLE","errorCode":"SYS_00004","errorMessage":"XBN Database is not activated"}'
            injector.add(route, status=503, body=body, content_type="application/json", times=times)
        elif fault == "sys_200":
            body = b'{"errors":[{"message":"Service unavailable","data":{"status":503,"errorCode":"SYS_00004"}}],"data":null}'
            injector.add(route, status=200, body=body, content_type="application/json", times=times)
        elif fault == "gateway_504":
            page = b"<html><head><title>Verisure API Gateway</title></head><body>504 Gateway Time-out</body></html>"
            injector.add(route, status=504, body=page, content_type="text/html", times=times)
        elif fault == "reset":
            injector.add(route, drop=True, times=times)
        else:
            raise ValueError(fault)

    def set_lock(self, label: str, locked: bool, user: str = "", method: str = "MANUAL") -> None:
        lock = self.lock(label)
        lock.locked, lock.user, lock.method, lock.time = locked, user, method, self.wall()
        self.panel.log("lock" if locked else "unlock", f"{lock.area} {'locked' if locked else 'unlocked'}", zone=label, user=user)

    def set_climate(self, label: str, temperature: float, humidity: float | None = None) -> None:
        sensor = next(c for c in self.climates if c.label == label)
        sensor.temperature, sensor.time = temperature, self.wall()
        if humidity is not None:
            sensor.humidity = humidity

    def unblock(self) -> None:
        self.blocked = False
        self.day_count = 0
        self.request_times.clear()

    # ------------------------------------------------------------------ codes, locks, transactions

    def lock(self, label: str) -> SimLock:
        for lock in self.locks:
            if lock.label == label:
                return lock
        raise HttpFault(400, "VAL_00001", "Invalid or non-existing value for deviceLabel")

    def user_for(self, code: Any, *, length: int | None = 4) -> SimUser:
        """The panel user a code belongs to; anything else → 400 VAL_00008 (§5.1)."""
        text = code if isinstance(code, str) else ""
        user = self.panel.user_by_code(text) if text and (length is None or len(text) == length) else None
        if user is None:
            raise HttpFault(400, "VAL_00008", "Invalid or non-existing value for code")
        return user

    def _advance(self) -> None:
        self.panel.advance()
        now = self.clock()
        for tx in self.transactions.values():
            if tx.result is None and now >= tx.apply_at:
                try:
                    tx.action()
                    tx.result = "OK"
                except SimError:
                    tx.result = "STATE_CHANGE_FAILED"
        for capture in self.captures.values():
            if not capture.done and now >= capture.ready_at:
                capture.done = True
                try:
                    photo_set = self.panel.take_photos(capture.label)
                except SimError:
                    continue
                images = []
                for index, jpeg in enumerate(photo_set.jpegs):
                    token = secrets.token_urlsafe(24)
                    self.images[token] = jpeg
                    images.append(
                        {
                            "imageId": f"{photo_set.id}-{index}",
                            "imageStatus": "AVAILABLE",
                            "captureTime": iso(photo_set.time + index * 0.5),
                            "token": token,
                        }
                    )
                self.series[capture.label] = images

    def start(self, kind: str, future: str, action: Callable[[], None], *, delay: float, device: str = "") -> str:
        tx = Transaction(f"{next(self._ids):x}", kind, future, self.clock() + delay, action, device)
        self.transactions[tx.id] = tx
        self._advance()  # a zero delay acts at once (the panel acts whether or not anyone polls)
        return tx.id

    def poll(self, variables: dict[str, Any]) -> dict[str, Any]:
        self._advance()
        tx = self.transactions.get(str(variables.get("transactionId") or ""))
        if tx is None:
            raise GraphQLError("Invalid transaction id", 400)
        tx.polls += 1
        result = tx.result if tx.polls > 1 else None  # the first poll always sees the pending phase (hb#170)
        return {"result": result, "createTime": iso(self.wall()), "__typename": "ArmStateChangePollResult"}

    # ------------------------------------------------------------------ state as the API shows it

    @property
    def partition(self) -> SimPartition:
        return next(iter(self.panel.partitions.values()))

    def status_type(self) -> str:
        self._advance()
        part = self.partition
        if part.phase is Phase.DISARMED or part.mode is None:
            return "DISARMED"
        return "ARMED_HOME" if part.mode is Mode.HOME else "ARMED_AWAY"

    def contacts(self) -> list[SimZone]:
        return [z for z in self.panel.zones.values() if z.kind == "contact"]

    def log_rows(self) -> list[dict[str, Any]]:
        """The event log, newest first (panel events mapped to My Pages categories)."""
        self._advance()
        rows = []
        for event in reversed(self.panel.events):
            category = CATEGORY.get(event.kind)
            if category is None:
                continue
            zone = self.panel.zones.get(event.zone) if event.zone else None
            lock = next((lk for lk in self.locks if lk.label == event.zone), None)
            area = zone.name if zone else lock.area if lock else ""
            arm_state = ""
            if event.kind == "arm":
                arm_state = "ARMED_HOME" if event.mode.startswith("home") else "ARMED_AWAY"
            elif event.kind == "disarm":
                arm_state = "DISARMED"
            rows.append(
                {
                    "device": {
                        "deviceLabel": event.zone or None,
                        "area": area or None,
                        "gui": {"label": (zone.model if zone else "LOCK" if lock else None), "__typename": "GUI"},
                        "__typename": "Device",
                    }
                    if event.zone
                    else None,
                    "arloDevice": None,
                    "gatewayArea": None,
                    "eventType": event.kind.upper(),
                    "eventCategory": category,
                    "eventSource": "CODE" if event.user else "SYSTEM",
                    "eventId": str(event.id),
                    "eventTime": iso(event.time),
                    "userName": event.user or None,
                    "armState": arm_state or None,
                    "userType": "USER" if event.user else None,
                    "climateValue": None,
                    "sensorType": None,
                    "eventCount": 1,
                    "__typename": "PagedList",
                }
            )
        return rows


def trust_cookie_name(email: str) -> str:
    return "vs-trust-" + hashlib.sha256(email.lower().encode()).hexdigest()[:12]


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"
