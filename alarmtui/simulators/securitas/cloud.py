"""The state of the simulated Securitas Direct / Verisure Europe OWA GraphQL API.

Built to `shared/protocols/securitas-owa.md` §12 so that other clients work
against it unmodified:

- one POST endpoint, `/owa-api/graphql`; dispatch on `operationName` (or the
  `X-APOLLO-OPERATION-NAME` header), never on the query text; unknown
  variables ignored; `__typename` on the objects that carry it;
- JWT-shaped auth hashes (`exp = iat + hash_lifetime`, 900 s by default) and
  capabilities tokens (`exp = iat + 899`); an expired or unknown hash answers
  HTTP 200 with an `ExpiredSessionError` body; installation calls need the
  `numinst` header (else `GenericError` 400) and panel calls an `X-Capabilities`
  token for that installation (else err 6);
- refresh tokens rotate on every `RefreshLogin` (the previous one then gets
  err 60067); three wrong passwords block the account (60052);
- a device never seen before must be validated with an SMS code
  (`needDeviceAuthorization`, `mkValidateDevice` challenge, `mkSendOTP`; the
  code "sent" is handed to `on_otp`, printed by `alarmtui sim`, and in demo mode
  also put into `xSSendOtp.msg`); a wrong code gets a fresh challenge, a stale
  one `auth-code` 10002;
- two-step operations answer WAIT `waits` times, then OK with the proto
  letter; arming with open zones ends `ERROR` / `NON_BLOCKING` (or `ZONE`) with
  `allowForcing`, the zones come from `xSGetExceptions` (WAIT once, then the
  list) and `forceArmingRemoteId` + `suid` arm anyway;
- a second panel operation while one is in flight (or within `photo_cooldown`
  of a photo) answers err 60062; `inject()` adds busy (60062 / 409), firewall
  (HTML 403 with `_Incapsula_Resource`), expiry, server errors and blocks; an
  optional request-rate firewall (`waf_limit` per minute) does it by itself;
- the activity timeline (`ActV2Timeline`, newest first, `numRows`/`offset`)
  comes from the shared panel engine's log; cameras take three JPEGs.

Values no source settles (§13) are chosen here and marked [I] where they are made.

This module holds the cloud's state and what each operation does to it; `routes.py`
dispatches requests to it and `render.py` says it in the vendor's words.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from alarmtui.simulators.base import SimCloud
from alarmtui.simulators.houses import securitas_house
from alarmtui.simulators.panel import Mode, Phase, SimError, SimPanel
from alarmtui.simulators.securitas import routes
from alarmtui.simulators.securitas.render import (
    BUSY_TEXT,
    FIREWALL_PAGE,
    PROGRESS,
    TIME_FILTER_DAYS,
    GraphQLFault,
    activity_row,
    api_error,
    b64url,
    device_type,
    iso_now,
    local_stamp,
    service_row,
    status_msg,
)

log = logging.getLogger(__name__)

ARM_REQUESTS = {
    # request -> (interior mode or None to keep, perimeter on)
    "ARM1": (Mode.AWAY, False),
    "ARMDAY1": (Mode.HOME, False),
    "ARMNIGHT1": (Mode.NIGHT, False),
    "PERI1": (None, True),
    "ARMDAY1PERI1": (Mode.HOME, True),
    "ARMNIGHT1PERI1": (Mode.NIGHT, True),
    "ARM1PERI1": (Mode.AWAY, True),
    "ARMINTEXT1": (Mode.AWAY, True),
    "ARMANNEX1": (None, False),
}
DISARM_REQUESTS = ("DARM1", "DARMPERI", "DARM1DARMPERI", "DARMANNEX1")


@dataclass
class Account:
    username: str
    password: str
    phones: list[tuple[int, str]]
    devices: set[str] = field(default_factory=set)
    refresh_token: str = ""
    previous_refresh_tokens: set[str] = field(default_factory=set)
    failures: int = 0
    blocked: bool = False


@dataclass
class Challenge:
    otp_hash: str
    username: str
    device: str
    issued: float
    code: str = ""
    phone: str = ""
    sent_at: float = 0.0


@dataclass
class Installation:
    numinst: str
    alias: str
    panel_type: str
    panel: SimPanel
    zone_error: str = "NON_BLOCKING"
    """ES/PT answer NON_BLOCKING, FR answers ZONE (§5.4)."""
    busy_until: float = 0.0
    in_flight: str = ""
    """referenceId of the operation not yet fully answered."""
    forced_events: dict[int, list[str]] = field(default_factory=dict)
    photo_events: dict[int, int] = field(default_factory=dict)
    """Activity id of a photo event -> photo set id."""
    thumbnail: dict[str, tuple[int, float]] = field(default_factory=dict)
    """Camera zone -> (photo event id, when it becomes visible)."""


@dataclass
class Operation:
    reference_id: str
    numinst: str
    kind: str  # arm, disarm, check, photo
    request: str
    waits_left: int
    result: dict[str, Any]
    started: float
    exceptions: list[dict[str, str]] = field(default_factory=list)


@dataclass
class ExceptionContext:
    reference_id: str
    suid: str
    numinst: str
    request: str
    zones: list[dict[str, str]]
    created: float
    polls: int = 0


CAPABILITIES = (
    "ARM",
    "DARM",
    "ARMDAY",
    "ARMNIGHT",
    "PERI",
    "IMG",
    "CAMERAS",
    "EST",
    "TIMELINE",
    "DEACTIVATEZONE",
    "ARMINTEXT",
    "DARMINTEXT",
    "ARMPARTIAL",
    "DARMPERI",
    "ARMANNEX",
    "DARMANNEX",
    "ARMINTFPART",
    "ARMDAYPERI",
    "ARMNIGHTPERI",
    "SCH",
    "SCHEDULE",
    "KEYS",
    "USERS",
    "CONTACTS",
    "SMARTNOT",
    "NOTIF",
    "ACTV2",
    "ACT",
    "VIDEO",
    "LIVE",
    "PHOTO",
    "AUTOPHOTO",
    "LOCK",
    "UNLOCK",
    "SMARTLOCK",
    "DOORBELL",
    "WIFI",
    "BATTERY",
    "TAMPER",
    "SOS",
    "PANIC",
    "ASSIST",
    "INVOICES",
    "CONFIG",
)
"""~44 capabilities as a real Spanish SDVFAST capabilities token carries (§14.2) [I: which beyond the first ten]."""


class SecuritasCloud(SimCloud):
    """The OWA API for one account with one (or more) installations."""

    kind = "securitas"

    def __init__(
        self,
        *,
        username: str = "demo@example.com",
        password: str = "demo-pass",
        panels: Iterable[SimPanel] | None = None,
        country: str = "ES",
        panel_type: str = "SDVFAST",
        require_otp: bool = True,
        known_devices: Iterable[str] = (),
        hash_lifetime: float = 900.0,
        capabilities_lifetime: float = 899.0,
        otp_lifetime: float = 300.0,
        waits: int = 1,
        photo_waits: int = 2,
        photo_cooldown: float = 300.0,
        operation_timeout: float = 60.0,
        waf_limit: int | None = None,
        waf_block: float = 600.0,
        demo_sms: bool = False,
        peri_service: bool = True,
        exception_waits: int = 1,
        wall: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        **panel_options: Any,
    ) -> None:
        self.username = username
        self.password = password
        self.country = country
        self.lang = "es" if country == "ES" else "en"
        self.zone = ZoneInfo("Europe/Madrid" if country == "ES" else "Europe/Paris" if country == "FR" else "UTC")
        self.require_otp = require_otp
        self.hash_lifetime = hash_lifetime
        self.capabilities_lifetime = capabilities_lifetime
        self.otp_lifetime = otp_lifetime
        self.waits = waits
        self.photo_waits = photo_waits
        self.photo_cooldown = photo_cooldown
        self.operation_timeout = operation_timeout
        self.waf_limit = waf_limit
        self.waf_block = waf_block
        self.demo_sms = demo_sms
        self.peri_service = peri_service
        """Also list a PERI service (older panels); real SDVFAST panels say PERI only in SCH's attributes (§14.2)."""
        self.exception_waits = exception_waits
        """WAIT answers before xSGetExceptions lists the zones (0: at once, as §14.5 allows)."""
        self.wall = wall
        self.clock = clock
        self._secret = secrets.token_bytes(32)
        self._generation = 0
        """Bumped by expire_sessions(): every hash issued before is refused."""
        self.accounts = {username: Account(username, password, [(1, "***456"), (2, "***789")], set(known_devices))}
        panel_list = list(panels) if panels is not None else [securitas_house(**panel_options)]
        numbers = itertools.count(1234567, 1111111)
        zone_error = "ZONE" if country == "FR" else "NON_BLOCKING"
        self.installations: dict[str, Installation] = {}
        for sim_panel in panel_list:
            numinst = str(next(numbers))
            self.installations[numinst] = Installation(numinst, sim_panel.name, panel_type, sim_panel, zone_error)
        self.challenges: dict[str, Challenge] = {}
        self.operations: dict[str, Operation] = {}
        self.exception_contexts: dict[str, ExceptionContext] = {}
        self.on_otp: Callable[[str, str], None] | None = None
        """Called with (masked phone, code) whenever a code is "sent"."""
        self.sent_codes: list[str] = []
        self.requests_seen: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        """(operationName, variables, headers) of every request that reached the API (secrets included: tests only)."""
        self._waf_times: list[float] = []
        self._waf_until = 0.0
        self._refs = itertools.count(1)

    # ------------------------------------------------------------------ SimCloud

    @property
    def panels(self) -> list[SimPanel]:
        return [inst.panel for inst in self.installations.values()]

    @property
    def main(self) -> Installation:
        return next(iter(self.installations.values()))

    @property
    def account(self) -> Account:
        return self.accounts[self.username]

    def build_app(self) -> web.Application:
        return routes.build_app(self)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """One GraphQL request (`routes.handle`)."""
        return await routes.handle(self, request)

    def provider_tables(self, base_url: str) -> list[dict[str, Any]]:
        return [
            {
                "name": "hogar",
                "kind": "securitas",
                "url": base_url,
                "username": self.username,
                "password": self.password,
                "country": self.country,
                "installation": self.main.numinst,
                "request_gap": 0.01,  # the simulator has no firewall to upset (the real default is 2 s)
                "refresh_interval": 600.0,
            }
        ]

    def expire_sessions(self) -> None:
        self._generation += 1

    def untrust_device(self) -> None:
        """Forget every validated device and every session: the next login asks for an SMS code."""
        self.require_otp = True
        for account in self.accounts.values():
            account.devices.clear()
            if account.refresh_token:
                account.previous_refresh_tokens.add(account.refresh_token)
                account.refresh_token = ""
        self.expire_sessions()

    def cloud_operation(self, op: str) -> None:
        if op == "untrust_device":
            self.untrust_device()
            return
        super().cloud_operation(op)

    def use_fast_timing(self) -> None:
        super().use_fast_timing()
        self.waits = 1
        self.photo_waits = 1

    def describe(self, base_url: str) -> list[str]:
        lines = [f"{self.kind:9s} {base_url}  user={self.username} password={self.password} (SMS codes are printed here)"]
        for inst in self.installations.values():
            lines.append(f"          installation {inst.numinst} {inst.alias!r} panel {inst.panel_type}")
        return lines

    # ------------------------------------------------------------------ fault injection

    def inject(self, fault: str, times: int = 1, operation: str | None = None) -> None:
        """Answer the next `times` requests (of `operation`, default any) with one of the vendor's faults.

        A shorthand for the shared fault middleware (`self.faults`): busy (err 60062 body),
        busy_409 (HTTP 409), busy_status (200 body with status 409), firewall (HTML 403 with
        _Incapsula_Resource), expired (ExpiredSessionError), server_error (HttpError 500 body),
        blocked (err 60052), refresh_crash (the FR 'fr' crash).
        """
        root = routes.root_of(operation or "")
        status, body, content_type = self.fault_reply(fault, root)
        self.faults.add(operation, status=status, body=body, content_type=content_type, times=times)

    def fault_reply(self, fault: str, root: str) -> tuple[int, bytes, str]:
        """(HTTP status, body, content type) of a vendor fault, as the real service sends it [I: status 200]."""
        if fault == "firewall":
            return 403, FIREWALL_PAGE.encode(), "text/html"
        if fault == "busy_409":
            body = {
                "errors": [
                    {
                        "message": "alarm-manager.alarm_process_error",
                        "name": "ApiError",
                        "data": {"res": "ERROR", "err": "11", "status": 409},
                        "path": [root],
                    }
                ],
                "data": {root: None},
            }
            return 409, json.dumps(body).encode(), "application/json"
        if fault == "refresh_crash":
            body = {"errors": [{"message": "Cannot read properties of undefined (reading 'fr')", "extensions": {}}], "data": {}}
            return 200, json.dumps(body).encode(), "application/json"
        faults = {
            "busy": lambda: api_error(BUSY_TEXT, root, err="60062"),
            "busy_status": lambda: api_error("alarm-manager.alarm_process_error", root, err="11", status=409),
            "expired": lambda: api_error(
                "Invalid session. Please, try again later.",
                root,
                err="ExpiredSessionError",
                status=403,
                name="ExpiredSessionError",
            ),
            "server_error": lambda: api_error("Internal Server Error", root, err="httpError", status=500, name="HttpError"),
            "blocked": lambda: api_error("Utilisateur bloqué.", root, err="60052", status=403),
        }
        fault_obj = faults[fault]()
        return 200, json.dumps({"errors": [fault_obj.error], "data": fault_obj.data}).encode(), "application/json"

    async def route_of(self, request: web.Request) -> str:
        return await routes.operation_of(request)

    @property
    def request_counts(self) -> dict[str, int]:
        """Requests per operationName, as the fault middleware counted them (faults included)."""
        return dict(self.faults.counts)

    def firewall_blocks(self) -> bool:
        """The optional request-rate firewall (`waf_limit` per minute): True while it blocks."""
        now = self.clock()
        if now < self._waf_until:
            return True
        if self.waf_limit is not None:
            self._waf_times = [t for t in self._waf_times if now - t < 60.0]
            self._waf_times.append(now)
            if len(self._waf_times) > self.waf_limit:
                self._waf_until = now + self.waf_block
                return True
        return False

    def note_request(self, operation: str, variables: dict[str, Any], headers: dict[str, str]) -> None:
        self.requests_seen.append((operation, variables, headers))
        if len(self.requests_seen) > 3000:
            del self.requests_seen[:1000]

    # ------------------------------------------------------------------ tokens

    def _sign(self, claims: dict[str, Any]) -> str:
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
        signature = b64url(hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}"

    def _verify(self, token: str) -> dict[str, Any] | None:
        try:
            header, payload, signature = token.split(".")
            expected = b64url(hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(expected, signature):
                return None
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, TypeError):
            return None
        return claims if isinstance(claims, dict) else None

    def _issue_hash(self, username: str) -> str:
        now = int(self.wall())
        return self._sign(
            {
                "sub": username,
                "cnt": self.country,
                "cby": "OWA_10",
                "ver": "10.102.0",
                "usrid": "123456",
                "jti": str(uuid.uuid4()),
                "iat": now,
                "exp": now + int(self.hash_lifetime),
                "gen": self._generation,
            }
        )

    def _issue_refresh(self, account: Account) -> str:
        if account.refresh_token:
            account.previous_refresh_tokens.add(account.refresh_token)
        account.refresh_token = "rt." + secrets.token_urlsafe(32)
        return account.refresh_token

    def _capabilities(self, inst: Installation) -> str:
        now = int(self.wall())
        caps = list(CAPABILITIES)
        return self._sign(
            {
                "exp": now + int(self.capabilities_lifetime),
                "iat": now,
                "installations": [{"role": "OWNER", "ins": inst.numinst, "cap": caps}],
                "element": "x",
                "nova": "y",
            }
        )

    @staticmethod
    def _auth(headers: dict[str, str]) -> dict[str, Any]:
        try:
            auth = json.loads(headers.get("auth", "") or "{}")
        except ValueError:
            return {}
        return auth if isinstance(auth, dict) else {}

    def _session(self, headers: dict[str, str], root: str) -> Account:
        """The account of a valid auth hash, else an ExpiredSessionError body (HTTP 200 [I])."""
        auth = self._auth(headers)
        token = str(auth.get("hash") or "")
        claims = self._verify(token) if token else None
        expired = api_error(
            "Invalid session. Please, try again later.", root, err="ExpiredSessionError", status=403, name="ExpiredSessionError"
        )
        if claims is None or claims.get("gen") != self._generation or float(claims.get("exp", 0)) <= self.wall():
            raise expired
        account = self.accounts.get(str(claims.get("sub")))
        if account is None:
            raise expired
        return account

    def _installation(
        self, variables: dict[str, Any], headers: dict[str, str], root: str, *, panel_op: bool = True
    ) -> Installation:
        self._session(headers, root)
        header_numinst = headers.get("numinst") or headers.get("x-installationnumber")
        if not header_numinst:
            raise api_error(
                "Required request header 'x-installationNumber' for method parameter type String is not present",
                root,
                err="GenericError",
                status=400,
            )
        numinst = str(variables.get("numinst") or header_numinst)
        inst = self.installations.get(numinst)
        if inst is None:
            raise api_error("4: Requested data not found error.", root, err="4", status=404)
        if panel_op:
            claims = self._verify(headers.get("x-capabilities", ""))
            entries = claims.get("installations", []) if claims else []
            allowed = any(isinstance(e, dict) and e.get("ins") == numinst for e in entries)
            if not allowed or float(claims.get("exp", 0) if claims else 0) <= self.wall():  # type: ignore[union-attr]
                raise api_error("6: Unauthorized request for current capabilities.", root, err="6")
        return inst

    # ------------------------------------------------------------------ authentication (§2)

    def login(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        root = "xSLoginToken"
        user = str(variables.get("user") or "")
        account = self.accounts.get(user)
        if account is not None and account.blocked:
            raise api_error("Utilisateur bloqué.", root, err="60052", status=403)
        if account is None or str(variables.get("password") or "") != account.password:
            if account is not None:
                account.failures += 1
                if account.failures >= 3:
                    account.blocked = True
                    raise api_error("Utilisateur bloqué.", root, err="60052", status=403)
            raise api_error("el usuario o la contraseña son incorrectos", root, err="60091")
        account.failures = 0
        device = str(variables.get("idDevice") or "")
        if self.require_otp and device not in account.devices:
            return {
                "__typename": "XSLoginToken",
                "res": "OK",
                "msg": "auth-api.mfa_needed",
                "hash": None,
                "refreshToken": None,
                "legals": None,
                "changePassword": False,
                "needDeviceAuthorization": True,
                "mainUser": True,
            }
        return {
            "__typename": "XSLoginToken",
            "res": "OK",
            "msg": "",
            "hash": self._issue_hash(user),
            "refreshToken": self._issue_refresh(account),
            "legals": None,
            "changePassword": False,
            "needDeviceAuthorization": False,
            "mainUser": True,
        }

    def refresh(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        root = "xSRefreshLogin"
        token = str(variables.get("refreshToken") or "")
        account = next((a for a in self.accounts.values() if token and a.refresh_token == token), None)
        if account is None:
            raise api_error("Invalid Session", root, err="60067")
        if account.blocked:
            raise api_error("Utilisateur bloqué.", root, err="60052", status=403)
        device = str(variables.get("idDevice") or "")
        if self.require_otp and device not in account.devices:
            raise api_error("Invalid Session", root, err="60067")
        return {
            "__typename": "XSLoginToken",
            "res": "OK",
            "msg": "",
            "hash": self._issue_hash(account.username),
            "refreshToken": self._issue_refresh(account),
            "legals": None,
            "changePassword": False,
            "needDeviceAuthorization": False,
            "mainUser": True,
        }

    def _challenge(self, username: str, device: str) -> GraphQLFault:
        challenge = Challenge("otp." + secrets.token_urlsafe(24), username, device, self.clock())
        self.challenges[challenge.otp_hash] = challenge
        phones = [{"id": pid, "phone": masked} for pid, masked in self.accounts[username].phones]
        error = {
            "message": "Unauthorized",
            "name": "SecurityError",
            "data": {"auth-otp-hash": challenge.otp_hash, "auth-phones": phones},
        }
        return GraphQLFault(error, None)

    def validate_device(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        root = "xSValidateDevice"
        username = str(self._auth(headers).get("user") or "")
        if username not in self.accounts:
            raise api_error("Unauthorized", root, err="60067")
        account = self.accounts[username]
        device = str(variables.get("idDevice") or "")
        try:
            security = json.loads(headers.get("security", "") or "null")
        except ValueError:
            security = None
        if not isinstance(security, dict):
            if device in account.devices or not self.require_otp:
                return {
                    "res": "OK",
                    "msg": "",
                    "hash": self._issue_hash(username),
                    "refreshToken": self._issue_refresh(account),
                    "legals": None,
                }
            raise self._challenge(username, device)
        challenge = self.challenges.pop(str(security.get("otpHash") or ""), None)
        if challenge is None or not challenge.code or self.clock() - challenge.sent_at > self.otp_lifetime:
            error = {"message": "OTP expired", "name": "SecurityError", "data": {"auth-code": "10002"}}
            raise GraphQLFault(error, None)
        if str(security.get("token") or "") != challenge.code or challenge.device != device:
            raise self._challenge(username, device)  # a wrong code earns a fresh challenge, not a distinct error
        account.devices.add(device)
        return {
            "res": "OK",
            "msg": "",
            "hash": self._issue_hash(username),
            "refreshToken": self._issue_refresh(account),
            "legals": None,
        }

    def send_otp(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        root = "xSSendOtp"
        challenge = self.challenges.get(str(variables.get("otpHash") or ""))
        if challenge is None:
            raise GraphQLFault({"message": "OTP expired", "name": "SecurityError", "data": {"auth-code": "10002"}}, {root: None})
        phones = dict(self.accounts[challenge.username].phones)
        try:
            phone = phones[int(variables.get("recordId"))]  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError):
            raise api_error("Invalid phone", root, err="60000") from None
        challenge.code = f"{secrets.randbelow(1_000_000):06d}"
        challenge.phone = phone
        challenge.sent_at = self.clock()
        self.sent_codes.append(challenge.code)
        log.info("securitas simulator: SMS code sent to %s", phone)
        if self.on_otp is not None:
            self.on_otp(phone, challenge.code)
        msg = f"SMS sent to {phone}" + (f" (demo code: {challenge.code})" if self.demo_sms else "")
        return {"res": "OK", "msg": msg}

    def logout(self, variables: dict[str, Any], headers: dict[str, str]) -> bool:
        self._session(headers, "xSLogout")
        return True

    # ------------------------------------------------------------------ installations (§3)

    def installation_list(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        self._session(headers, "xSInstallations")
        rows = [
            {
                "numinst": i.numinst,
                "alias": i.alias,
                "panel": i.panel_type,
                "type": "PLUS",
                "name": "Ana",
                "surname": "García",
                "address": "Calle Mayor 1",
                "city": "Madrid",
                "postcode": "28001",
                "province": "Madrid",
                "email": self.username,
                "phone": "600000000",
            }
            for i in self.installations.values()
        ]
        return {"installations": rows}

    def services(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        inst = self._installation(variables, headers, "xSSrv", panel_op=False)
        # Real SDVFAST panels advertise their modes in an SCH service's attributes (§14.2).
        services = [
            service_row(11, "EST", "Estado de la alarma"),
            service_row(36, "SCH", "Programación", ["DARM", "ARMDAY", "ARMNIGHT", "ARM", "PERI"], total_device=1),
            service_row(520, "SMARTNOT", "Notificaciones"),
            service_row(506, "TIMELINE", "Actividad"),
        ]
        if self.peri_service:
            services.insert(1, service_row(31, "PERI", "Perimetral"))
        return {
            "res": "OK",
            "msg": "",
            "language": self.lang,
            "installation": {
                "numinst": inst.numinst,
                "role": "OWNER",
                "alias": inst.alias,
                "status": "ACTIVE",
                "panel": inst.panel_type,
                "sim": "",
                "instIbs": False,
                "services": services,
                "configRepoUser": {"alarmPartitions": None},
                "capabilities": self._capabilities(inst),
            },
        }

    # ------------------------------------------------------------------ status (§4)

    def proto(self, inst: Installation) -> str:
        inst.panel.advance()
        part = next(iter(inst.panel.partitions.values()))
        interior = part.mode if part.phase is not Phase.DISARMED else None
        perimeter = part.perimeter and part.phase is not Phase.DISARMED
        if interior is None and part.phase is not Phase.DISARMED and not perimeter and not part.annex:
            return "D"
        letters = {
            (None, False): "D",
            (None, True): "E",
            (Mode.HOME, False): "P",
            (Mode.NIGHT, False): "Q",
            (Mode.HOME, True): "B",
            (Mode.NIGHT, True): "C",
            (Mode.AWAY, False): "T",
            (Mode.AWAY, True): "A",
        }
        letter = letters[(interior, perimeter)]
        if part.annex and not perimeter:
            letter = {"D": "X", "P": "R", "Q": "S", "T": "O"}.get(letter, letter)
        return letter

    def status(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        inst = self._installation(variables, headers, "xSStatus", panel_op=False)
        stamp = local_stamp(self.wall(), self.zone)
        return {"status": self.proto(inst), "timestampUpdate": stamp, "wifiConnected": True, "exceptions": None}

    def progress(self, step: str) -> str:
        return PROGRESS.get(self.lang, PROGRESS["en"])[step]

    def _reference(self) -> str:
        return f"OWA_______________{self.username}{datetime.now():%Y%m%d%H%M%S}{next(self._refs):06d}"

    def _check_busy(self, inst: Installation, root: str) -> None:
        now = self.clock()
        running = self.operations.get(inst.in_flight)
        if running is not None and now - running.started > self.operation_timeout:
            running = None
            inst.in_flight = ""
        if running is not None or now < inst.busy_until or now < inst.panel.faults.busy_until:
            raise api_error(
                "Your alarm is already processing a request, please wait 90 seconds before making another one "
                "(if you have requested a photo, please wait 5 minutes)",
                root,
                err="60062",
            )

    def _start(
        self,
        inst: Installation,
        kind: str,
        request: str,
        result: dict[str, Any],
        waits: int | None = None,
        *,
        reference: str = "",
    ) -> Operation:
        op = Operation(
            reference or self._reference(),
            inst.numinst,
            kind,
            request,
            self.waits if waits is None else waits,
            result,
            self.clock(),
        )
        self.operations[op.reference_id] = op
        inst.in_flight = op.reference_id
        if len(self.operations) > 500:
            for ref in list(self.operations)[:100]:
                del self.operations[ref]
        return op

    def _poll(
        self, variables: dict[str, Any], headers: dict[str, str], root: str, kind: str
    ) -> tuple[Installation, Operation | None]:
        inst = self._installation(variables, headers, root)
        op = self.operations.get(str(variables.get("referenceId") or ""))
        if op is None or op.numinst != inst.numinst or op.kind != kind:
            raise api_error("4: Requested data not found error.", root, err="4", status=404)
        if op.waits_left > 0 or inst.panel.faults.slow_commands > self.clock() - op.started:
            op.waits_left -= 1
            return inst, None
        if inst.in_flight == op.reference_id:
            inst.in_flight = ""
        return inst, op

    def _wait_reply(self, *, request_id: bool = True) -> dict[str, Any]:
        reply = {
            "res": "WAIT",
            "msg": self.progress("processing"),
            "status": None,
            "protomResponse": None,
            "protomResponseDate": None,
            "numinst": None,
        }
        if request_id:
            reply.update(requestId="_pollingStatus_", error=None)
        return reply

    def _ok_reply(self, inst: Installation, msg: str) -> dict[str, Any]:
        return {
            "res": "OK",
            "msg": msg,
            "status": "0",
            "numinst": inst.numinst,
            "protomResponse": self.proto(inst),
            "protomResponseDate": local_stamp(self.wall(), self.zone),
        }

    def check_alarm(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        inst = self._installation(variables, headers, "xSCheckAlarm")
        self._check_busy(inst, "xSCheckAlarm")
        result: dict[str, Any] = {}
        if inst.panel.faults.offline:
            result = {"res": "ERROR", "msg": "alarm-manager.error_no_response_to_request"}
        else:
            inst.panel.log("status_check", "Alarm Status Request", source="Web")
        op = self._start(inst, "check", "EST", result)
        return {"res": "OK", "msg": self.progress("sent"), "referenceId": op.reference_id}

    def check_alarm_status(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        inst, op = self._poll(variables, headers, "xSCheckAlarmStatus", "check")
        if op is None:
            return self._wait_reply(request_id=False)
        if op.result.get("res") == "ERROR":
            return {
                "res": "ERROR",
                "msg": op.result["msg"],
                "status": None,
                "numinst": None,
                "protomResponse": None,
                "protomResponseDate": None,
            }
        return self._ok_reply(inst, status_msg(self.proto(inst)))

    # ------------------------------------------------------------------ arm / disarm (§5)

    def arm_panel(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        root = "xSArmPanel"
        request = str(variables.get("request") or "")
        if request not in ARM_REQUESTS:
            raise GraphQLFault(
                {
                    "message": f'Variable "$request" got invalid value "{request}"; Value "{request}" does not exist in "ArmCodeRequest" enum.',
                    "extensions": {"code": "BAD_USER_INPUT"},
                },
                {},
            )
        inst = self._installation(variables, headers, root)
        self._check_busy(inst, root)
        force_ref = str(variables.get("forceArmingRemoteId") or "")
        forced: ExceptionContext | None = None
        if force_ref:
            forced = self.exception_contexts.pop(force_ref, None)
            if forced is None or forced.suid != str(variables.get("suid") or "") or forced.numinst != inst.numinst:
                raise api_error("Request not valid: the forcing context is unknown or expired", root, err="4", status=404)
        mode, perimeter = ARM_REQUESTS[request]
        reference = self._reference()
        result: dict[str, Any]
        panel = inst.panel
        try:
            if request == "ARMANNEX1":
                panel.arm_annex(user=self.username, source="Android")
            else:
                before = panel.events[-1].id if panel.events else 0
                panel.arm(mode, None, user="Ana", perimeter=perimeter, force=forced is not None, source="Android")
                if forced is not None:
                    for event in panel.events:
                        if event.id > before and event.kind == "arm":
                            inst.forced_events[event.id] = [z["alias"] for z in forced.zones]
            result = {"res": "OK"}
        except SimError as exc:
            if exc.reason == "not_ready":
                zones = [
                    {
                        "status": "0",
                        "deviceType": device_type(panel.zones[z]),
                        "alias": panel.zones[z].name,
                        "__typename": "XSExceptions",
                    }
                    for z in exc.zones
                    if z in panel.zones
                ]
                # The ArmStatus ERROR carries the xSArmPanel's own referenceId (§14.5).
                context = ExceptionContext(reference, b64url(secrets.token_bytes(18)), inst.numinst, request, zones, self.clock())
                self.exception_contexts[context.reference_id] = context
                result = {
                    "res": "ERROR",
                    "msg": "error_mpj_exception"
                    if inst.zone_error == "NON_BLOCKING"
                    else f"alarm-manager.error_mg_open_zone#{exc.zones[0] if exc.zones else ''}",
                    "error": {
                        "code": "102",
                        "type": inst.zone_error,
                        "allowForcing": True,
                        "exceptionsNumber": len(zones),
                        "referenceId": context.reference_id,
                        "suid": context.suid,
                    },
                }
            elif exc.reason == "offline":
                result = {"res": "ERROR", "msg": "alarm-manager.error_no_response_to_request", "error": None}
            elif exc.reason == "busy":
                raise api_error(
                    "Your alarm is already processing a request, please wait 90 seconds before making another one",
                    root,
                    err="60062",
                ) from None
            else:
                result = {
                    "res": "ERROR",
                    "msg": "alarm-manager.error_protom_session",
                    "error": {
                        "code": "",
                        "type": "TECHNICAL_ERROR",
                        "allowForcing": False,
                        "exceptionsNumber": 0,
                        "referenceId": None,
                        "suid": None,
                    },
                }
        op = self._start(inst, "arm", request, result, reference=reference)
        return {"res": "OK", "msg": self.progress("sent"), "referenceId": op.reference_id}

    def _operation_reply(self, inst: Installation, op: Operation, *, suid: bool) -> dict[str, Any]:
        if op.result.get("res") == "ERROR":
            error = op.result.get("error")
            if isinstance(error, dict) and not suid:
                error = {k: v for k, v in error.items() if k != "suid"}
            return {
                "res": "ERROR",
                "msg": op.result["msg"],
                "status": None,
                "protomResponse": None,
                "protomResponseDate": iso_now(),
                "numinst": None,
                "requestId": None,
                "error": error,
            }
        reply = self._ok_reply(inst, status_msg(self.proto(inst)))
        reply.update(requestId=f"_pollingStatus_{next(self._refs)}", error=None)
        return reply

    def arm_status(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        inst, op = self._poll(variables, headers, "xSArmStatus", "arm")
        if op is None:
            return self._wait_reply()
        return self._operation_reply(inst, op, suid=True)

    def disarm_panel(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        root = "xSDisarmPanel"
        request = str(variables.get("request") or "")
        if request not in DISARM_REQUESTS:
            raise GraphQLFault(
                {
                    "message": f'Variable "$request" got invalid value "{request}"; Value "{request}" does not exist in "DisarmCodeRequest" enum.',
                    "extensions": {"code": "BAD_USER_INPUT"},
                },
                {},
            )
        inst = self._installation(variables, headers, root)
        self._check_busy(inst, root)
        panel = inst.panel
        part = next(iter(panel.partitions.values()))
        if request == "DARM1DARMPERI" and inst.panel_type == "SDVFAST" and part.mode is Mode.NIGHT and part.perimeter:
            raise api_error("4: Requested data not found error.", root, err="4", status=404)  # §5.3
        try:
            if request == "DARMANNEX1":
                panel.disarm(annex=True, user="Ana", source="Android")
            elif request == "DARMPERI" or (request == "DARM1" and inst.panel_type != "SDVFAST" and part.mode is None):
                if panel.faults.offline:
                    raise SimError("offline", "Panel is not connected")
                panel.commands_received += 1
                panel.command_log.append("disarm perimeter")
                part.perimeter = False
                if part.mode is None:
                    part.phase = Phase.DISARMED
                panel.log("disarm", "Perimeter disarmed", partition=part.id, user="Ana", source="Android", mode="perimeter")
            elif request == "DARM1" and inst.panel_type != "SDVFAST" and part.perimeter:
                panel.commands_received += 1  # SDVECU: DARM1 clears the interior only
                panel.command_log.append("disarm interior")
                part.mode = None
                panel.log("disarm", "Interior disarmed", partition=part.id, user="Ana", source="Android")
            else:
                panel.disarm(user="Ana", source="Android")
            result: dict[str, Any] = {"res": "OK"}
        except SimError as exc:
            if exc.reason == "busy":
                raise api_error(
                    "Your alarm is already processing a request, please wait 90 seconds before making another one",
                    root,
                    err="60062",
                ) from None
            result = {"res": "ERROR", "msg": "alarm-manager.error_no_response_to_request", "error": None}
        op = self._start(inst, "disarm", request, result)
        return {"res": "OK", "msg": self.progress("sent"), "referenceId": op.reference_id}

    def disarm_status(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        inst, op = self._poll(variables, headers, "xSDisarmStatus", "disarm")
        if op is None:
            return self._wait_reply()
        return self._operation_reply(inst, op, suid=False)

    def get_exceptions(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        inst = self._installation(variables, headers, "xSGetExceptions")
        context = self.exception_contexts.get(str(variables.get("referenceId") or ""))
        if context is None or context.numinst != inst.numinst:
            raise api_error("4: Requested data not found error.", "xSGetExceptions", err="4", status=404)
        context.polls += 1
        if (
            context.polls <= self.exception_waits
        ):  # the official app sees WAIT on counter 1, then the list (§5.5); §14.5: or at once
            return {"res": "WAIT", "msg": None, "exceptions": None}
        return {"res": "OK", "msg": None, "exceptions": list(context.zones)}

    # ------------------------------------------------------------------ activity (§6)

    def timeline(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        inst = self._installation(variables, headers, "xSActV2")
        try:
            rows = max(1, min(int(variables.get("numRows") or 30), 100))
            offset = max(0, int(variables.get("offset") or 0))
        except (TypeError, ValueError):
            raise GraphQLFault(
                {"message": 'Variable "$numRows" got invalid value', "extensions": {"code": "BAD_USER_INPUT"}}, {}
            ) from None
        # `timeFilter` (a required enum): the window of the timeline; values beyond the known ones are a guess.
        days = TIME_FILTER_DAYS.get(str(variables.get("timeFilter") or "LASTMONTH"), 30)
        cutoff = inst.panel.wall() - days * 86400 if days is not None else None
        inst.panel.advance()
        reg = [
            row
            for e in reversed(inst.panel.events)
            if (cutoff is None or e.time >= cutoff) and (row := activity_row(inst, e, self.zone)) is not None
        ]
        page = reg[offset : offset + rows]
        return {"reg": page or None}

    # ------------------------------------------------------------------ cameras (§7)

    def _camera_rows(self, inst: Installation) -> list[dict[str, Any]]:
        rows = []
        for zone in inst.panel.zones.values():
            kind = device_type(zone)
            rows.append(
                {
                    "id": zone.id,
                    "code": zone.id,
                    "zoneId": f"{kind}{int(zone.id):02d}" if zone.id.isdigit() else None,
                    "name": zone.name,
                    "type": kind,
                    "isActive": True,
                    "serialNumber": None,
                }
            )
        return rows

    def device_list(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        inst = self._installation(variables, headers, "xSDeviceList")
        return {"res": "OK", "devices": self._camera_rows(inst)}

    def request_images(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        root = "xSRequestImages"
        inst = self._installation(variables, headers, root)
        self._check_busy(inst, root)
        devices = variables.get("devices")
        if not isinstance(devices, list) or not devices:
            raise GraphQLFault(
                {
                    "message": 'Variable "$devices" of required type "[Int]!" was not provided.',
                    "extensions": {"code": "BAD_USER_INPUT"},
                },
                {},
            )
        zone = inst.panel.zones.get(str(devices[0]))
        if zone is None or not zone.camera:
            raise api_error("4: Requested data not found error.", root, err="4", status=404)
        try:
            photo_set = inst.panel.take_photos(zone.id, user="Ana")
            event = next(e for e in reversed(inst.panel.events) if e.kind == "photo" and e.photo_id == photo_set.id)
            inst.photo_events[event.id] = photo_set.id
            result: dict[str, Any] = {"res": "OK", "zone": zone.id, "event": event.id}
        except SimError as exc:
            result = {"res": "ERROR", "msg": exc.message}
        op = self._start(inst, "photo", "IMG", result, waits=self.photo_waits)
        inst.busy_until = self.clock() + self.photo_cooldown
        return {"res": "OK", "msg": self.progress("sent"), "referenceId": op.reference_id}

    def request_images_status(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        inst, op = self._poll(variables, headers, "xSRequestImagesStatus", "photo")
        if op is None:
            return {"res": "OK", "msg": "alarm-manager.photo-request.processing", "numinst": inst.numinst, "status": "PROCESSING"}
        if op.result.get("res") != "OK":
            return {"res": "ERROR", "msg": op.result.get("msg", ""), "numinst": inst.numinst, "status": "ERROR"}
        zone = str(op.result["zone"])
        if zone not in inst.thumbnail:
            inst.thumbnail[zone] = (int(op.result["event"]), self.clock() + inst.panel.photo_delay)
        elif inst.thumbnail[zone][0] != op.result["event"]:
            inst.thumbnail[zone] = (int(op.result["event"]), self.clock() + inst.panel.photo_delay)
        return {"res": "OK", "msg": "alarm-manager.photo-request.success", "numinst": inst.numinst, "status": "COMPLETED"}

    def thumbnail(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        inst = self._installation(variables, headers, "xSGetThumbnail")
        wanted = str(variables.get("zoneId") or "")
        zone = (
            next((z for z in inst.panel.zones.values() if z.camera and f"{device_type(z)}{int(z.id):02d}" == wanted), None)
            if wanted
            else None
        )
        empty = {
            "idSignal": None,
            "deviceId": None,
            "deviceCode": None,
            "deviceAlias": None,
            "timestamp": None,
            "signalType": None,
            "image": None,
            "type": None,
            "quality": None,
        }
        if zone is None:
            return empty
        # The CDN keeps serving the previous frame until the new one is visible (§7.3).
        shown = self._visible_photo_event(inst, zone.id)
        if shown is None:
            return {**empty, "deviceCode": zone.id, "deviceAlias": zone.name}
        event = next((e for e in inst.panel.events if e.id == shown), None)
        photo_set = inst.panel.photos.get(inst.photo_events.get(shown, -1))
        if event is None or photo_set is None:
            return {**empty, "deviceCode": zone.id, "deviceAlias": zone.name}
        return {
            "idSignal": str(event.id),
            "deviceId": zone.id,
            "deviceCode": zone.id,
            "deviceAlias": zone.name,
            "timestamp": datetime.fromtimestamp(event.time, self.zone).strftime("%Y-%m-%d %H:%M:%S"),
            "signalType": "16",
            "image": base64.b64encode(photo_set.jpegs[0]).decode(),
            "type": "BINARY",
            "quality": "LOW",
        }

    def _visible_photo_event(self, inst: Installation, zone_id: str) -> int | None:
        current = inst.thumbnail.get(zone_id)
        older = [
            eid for eid, sid in inst.photo_events.items() if inst.panel.photos.get(sid) and inst.panel.photos[sid].zone == zone_id
        ]
        if current is not None and self.clock() >= current[1]:
            return current[0]
        candidates = [e for e in older if current is None or e != current[0]]
        return max(candidates) if candidates else None

    def photo_images(self, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        inst = self._installation(variables, headers, "xSGetPhotoImages")
        try:
            event_id = int(str(variables.get("idSignal") or ""))
        except ValueError:
            return {"devices": []}
        photo_set = inst.panel.photos.get(inst.photo_events.get(event_id, -1))
        if photo_set is None:
            return {"devices": []}
        zone = inst.panel.zones[photo_set.zone]
        images = [
            {"id": str(i + 1), "image": base64.b64encode(jpeg).decode(), "type": "BINARY"}
            for i, jpeg in enumerate(photo_set.jpegs)
        ]
        return {
            "devices": [
                {
                    "id": zone.id,
                    "idSignal": str(event_id),
                    "code": zone.id,
                    "name": zone.name,
                    "quality": "HIGH",
                    "images": images,
                }
            ]
        }


__all__ = ["SecuritasCloud"]
