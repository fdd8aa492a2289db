"""The state of the simulated Verisure / Securitas Direct `ws.do` XML service.

Built to `shared/protocols/verisure.md` Appendix A, so that other people's
clients (pysecuritas, segalion's component, node-securitas-direct, Jeedom)
work against it unmodified:

- one route, `/WebService/ws.do`, GET and POST, parameters from the query
  string and/or a form body, unknown parameters ignored;
- `<PET><RES>..</RES>..<BLOQ remotereqactive="1">..</BLOQ></PET>` on every reply,
  MSG localised by `lang` (es, en);
- LOGIN → HASH; hashes expire after `hash_lifetime` seconds without use
  (and at `expire_sessions()`); CLS accepts `numinst=(null)`, empty or absent;
- two-step operations (EST, ARM, ARMDAY, ARMNIGHT, PERI, DARM, ARMANNEX,
  DARMANNEX, IMG): step 1 reaches the panel and is keyed by (user, `ID`,
  operation); step 2 answers WAIT `step2_waits` times, then OK with STATUS;
- STATUS codes 0/1/P/Q/3/4/B/C for interior × perimeter;
- ACT_V2 newest first with `type alias time(yyMMddHHmmss) idsignal signaltype
  source device user|myverisureUser`; a photo REG (type 16) appears
  `photo_delay` seconds after IMG2 answered OK; INF returns three base64 JPEGs.

Real error codes: 60022 (invalid session), 60067 (identification problem,
injectable), 3000 (temporarily unavailable, injectable), 60060 (panel op
without `callby`, strict mode), 60161 (migrated account). Codes marked
SYNTHETIC below have no known real value (the real texts are used where known).
"""

from __future__ import annotations

import base64
import itertools
import logging
import secrets
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

from alarmtui.simulators.base import SimCloud
from alarmtui.simulators.faults import SessionStore
from alarmtui.simulators.houses import small_flat, verisure_house
from alarmtui.simulators.panel import (
    Mode,
    Phase,
    SimError,
    SimEvent,
    SimPanel,
    SimPartition,
)
from alarmtui.simulators.verisure import routes
from alarmtui.simulators.verisure.render import (
    DEVICE_TYPES,
    ERR_BAD_REQUEST,
    ERR_BUSY,
    ERR_CONFLICT,
    ERR_FAILED,
    ERR_INVALID_SESSION,
    ERR_LOGIN,
    ERR_MIGRATED,
    ERR_NO_REQUEST,
    ERR_NOT_READY,
    ERR_OFFLINE,
    MESSAGES,
    TIMEFILTER_DAYS,
    VerisureError,
    envelope,
    message,
    reg_type,
    reg_xml,
)

log = logging.getLogger(__name__)


@dataclass
class Installation:
    numinst: str
    alias: str
    panel: SimPanel
    panel_type: str = "SDVFAST"
    instibs: str = ""
    sim: str = ""


@dataclass
class Session:
    user: str
    last_used: float


@dataclass
class PendingOp:
    """A two-step operation: step 1 reached the panel; step 2 reads its outcome."""

    op: str
    numinst: str
    started: float
    waits_needed: int
    status: str = "0"
    message_key: str = ""
    error: VerisureError | None = None
    polls: int = 0
    finished_at: float | None = None
    photo_event: int | None = None


@dataclass
class InjectedError:
    code: str
    times: int
    requests: frozenset[str] | None


class VerisureCloud(SimCloud):
    """The `ws.do` service over one or more simulated installations.

    Fault injection (all plain attributes/methods, safe to change while serving):
    `step2_waits` WAIT answers before a step 2 is final; `strict` rejects panel
    operations without `callby` (60060); `hash_lifetime` seconds of inactivity
    before a hash expires; `migrated` makes LOGIN answer 60161;
    `arm_conflicts` refuses switching interior modes without disarming;
    `inject_error(code, times, request=)`; `inject_http(status, times, body=)`;
    `inject_delay(seconds, request=)` (carried out, answered late);
    `expire_sessions()`; `photo_cooldown`/`panel_cooldown` rate limits.
    """

    kind = "verisure"
    username = "demo"
    password = "demo-pass"
    code = None

    def __init__(
        self,
        panel: SimPanel | None = None,
        panels: Iterable[SimPanel] | None = None,
        *,
        username: str = "demo",
        password: str = "demo-pass",
        step2_waits: int = 2,
        strict: bool = False,
        hash_lifetime: float = 1800.0,
        migrated: bool = False,
        arm_conflicts: bool = True,
        photo_delay: float | None = None,
        op_timeout: float = 120.0,
        activity_page: int = 50,
        clock: Any = time.monotonic,
        **options: Any,
    ) -> None:
        self.username = username
        self.password = password
        if panels is not None:
            panel_list = list(panels)
        elif panel is not None:
            panel_list = [panel]
        else:
            panel_list = [verisure_house(**_panel_options(options)), small_flat(**_panel_options(options))]
        numbers = itertools.count(2423443, 1124578)
        self.installations: dict[str, Installation] = {}
        for index, sim_panel in enumerate(panel_list):
            numinst = str(next(numbers))
            if photo_delay is not None:
                sim_panel.photo_delay = photo_delay
            self.installations[numinst] = Installation(
                numinst=numinst,
                alias=sim_panel.name,
                panel=sim_panel,
                instibs=str(34342342 + index * 7),
                sim=f"0034600{index:06d}",
            )
        self.step2_waits = step2_waits
        self.strict = strict
        self.hash_lifetime = hash_lifetime
        self.migrated = migrated
        self.arm_conflicts = arm_conflicts
        self.op_timeout = op_timeout
        self.activity_page = activity_page
        self.photo_cooldown = 0.0
        self.panel_cooldown = 0.0
        self.clock = clock
        self.sessions: SessionStore[Session] = SessionStore(lambda: self.hash_lifetime, clock=lambda: self.clock())
        self.pending: dict[tuple[str, str, str], PendingOp] = {}
        self.in_flight: dict[str, PendingOp] = {}
        self.photo_visible_at: dict[int, float] = {}
        self.last_panel_op: dict[str, float] = {}
        self.last_photo_op: dict[str, float] = {}
        self.injected: list[InjectedError] = []
        self.requests_seen: list[dict[str, str]] = []
        """Every request's parameters (secrets included: tests only)."""
        self.tamper_while_armed: dict[int, bool] = {}
        self._classified_upto: dict[int, int] = {}
        """Event id -> whether the panel was armed when a tamper was raised (24 alarm vs 241 sabotage)."""
        for inst in self.installations.values():
            inst.panel.listeners.append(self._on_panel_change)

    def _on_panel_change(self, panel: SimPanel) -> None:
        """Note, as events happen, whether a tamper hit an armed panel (the REG type depends on it)."""
        armed = any(p.phase is not Phase.DISARMED for p in panel.partitions.values())
        seen = self._classified_upto.get(id(panel), 0)
        for event in reversed(panel.events):
            if event.id <= seen:
                break
            if event.kind == "trouble" and event.text.startswith("Tamper"):
                self.tamper_while_armed[event.id] = armed
        if panel.events:
            self._classified_upto[id(panel)] = panel.events[-1].id

    # ------------------------------------------------------------------ SimCloud

    @property
    def panels(self) -> list[SimPanel]:
        return [inst.panel for inst in self.installations.values()]

    @property
    def main(self) -> Installation:
        return next(iter(self.installations.values()))

    async def route_of(self, request: web.Request) -> str:
        """ws.do has one path: the route is the `request` parameter (query, or form for POST)."""
        return await routes.request_name(request)

    def build_app(self) -> web.Application:
        return routes.build_app(self)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        return await routes.handle(self, request)

    def dispatch(self, name: str, params: dict[str, str], lang: str) -> str:
        return routes.dispatch(self, name, params, lang)

    def _msg(self, lang: str, key: str, **fmt: str) -> str:
        return message(lang, key, **fmt)

    def _xml(self, lang: str, res: str, parts: str = "", msg: str | None = None) -> str:
        return envelope(lang, res, parts, msg)

    def provider_tables(self, base_url: str) -> list[dict[str, Any]]:
        return [
            {
                "name": "casa",
                "kind": "verisure",
                "url": base_url,
                "username": self.username,
                "password": self.password,
                "installation": self.main.numinst,
                "country": "ES",
                "language": "es",
                # Fast timing: step 2 waits once at most, so the client polls it at once (the real default is 1 s).
                **({"step2_interval": 0.05} if self.step2_waits <= 1 else {}),
            }
        ]

    def use_fast_timing(self) -> None:
        super().use_fast_timing()
        self.step2_waits = 1

    def expire_sessions(self) -> None:
        self.sessions.clear()

    def describe(self, base_url: str) -> list[str]:
        lines = super().describe(base_url)
        for inst in self.installations.values():
            lines.append(f"          installation {inst.numinst} {inst.alias!r} panel {inst.panel_type}")
        return lines

    # ------------------------------------------------------------------ fault injection

    def inject_error(self, code: str, times: int = 1, request: str | Iterable[str] | None = None) -> None:
        """Answer the next `times` requests (named ones, default any but LOGIN/CLS) with ERR `code`."""
        names = frozenset([request] if isinstance(request, str) else request) if request is not None else None
        self.injected.append(InjectedError(str(code), times, names))

    def inject_http(self, status: int, times: int = 1, retry_after: float | None = None, body: str | None = None) -> None:
        """Answer the next `times` requests with HTTP `status` (403 WAF block, 429, 502...) or a raw `body`.

        A shorthand for the shared fault middleware (`self.faults`)."""
        headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else {}
        text = body if body is not None else "<html><body>Request blocked</body></html>"
        self.faults.add(None, status=status, body=text, headers=headers, times=times, content_type="text/html")

    def inject_delay(self, seconds: float, request: str | None = None, times: int = 1) -> None:
        """Carry out the next `times` requests (named one, default any) but answer only after `seconds`."""
        self.faults.add(request, delay=seconds, forward=True, times=times)

    @property
    def request_counts(self) -> Counter[str]:
        """Requests seen per `request` name (counted by the fault middleware, faulted ones included)."""
        return self.faults.counts

    def _take_injected(self, request: str) -> str | None:
        for item in self.injected:
            applies = (request in item.requests) if item.requests is not None else request not in ("LOGIN", "CLS")
            if applies and item.times > 0:
                item.times -= 1
                if item.times <= 0:
                    self.injected.remove(item)
                return item.code
        return None

    # ------------------------------------------------------------------ session

    def login(self, params: dict[str, str], lang: str) -> str:
        user, pwd = params.get("user", ""), params.get("pwd", "")
        if user.lower() != self.username.lower() or pwd != self.password:
            raise VerisureError(ERR_LOGIN, "login_bad")
        if self.migrated:
            raise VerisureError(ERR_MIGRATED, "migrated")
        token = "".join(secrets.choice("0123456789") for _ in range(11))
        self.sessions[token] = Session(user=self.username, last_used=self.clock())
        parts = f"<LANG>{escape(lang.upper())}</LANG><HASH>{token}</HASH><MOBILE newversion='0'/>"
        return self._xml(lang, "OK", parts, self._msg(lang, "login_ok"))

    def _session_user(self, params: dict[str, str]) -> str:
        token = params.get("hash", "")
        session = self.sessions.valid(token)  # expires `hash_lifetime` s after the last use
        now = self.clock()
        if session is None:
            raise VerisureError(ERR_INVALID_SESSION, "invalid_session")
        user = params.get("user")
        if user is not None and user.lower() != session.user.lower():
            raise VerisureError(ERR_INVALID_SESSION, "invalid_session")
        session.last_used = now
        return session.user

    def _installation(self, params: dict[str, str]) -> Installation:
        numinst = params.get("numinst", "")
        inst = self.installations.get(numinst)
        if inst is None:
            raise VerisureError(ERR_BAD_REQUEST, "bad_request")
        return inst

    # ------------------------------------------------------------------ installation data

    def ins(self, user: str, lang: str) -> str:
        items = "".join(
            f"<INSTALATION><NUMINST>{inst.numinst}</NUMINST><PANEL>{inst.panel_type}</PANEL>"
            f"<ALIAS>{escape(inst.alias)}</ALIAS><TYPE>PROTOM</TYPE></INSTALATION>"
            for inst in self.installations.values()
        )
        return self._xml(lang, "OK", f"<INSTALATIONS>{items}</INSTALATIONS>", self._msg(lang, "processed"))

    def my_installation(self, inst: Installation, lang: str) -> str:
        devices = []
        for zone in inst.panel.zones.values():
            dev_type, alias_es, alias_en = DEVICE_TYPES.get(zone.kind, (zone.model or "XX", "Dispositivo", "Device"))
            if zone.model and zone.kind != "camera":
                dev_type = zone.model
            alias_type = alias_es if lang == "es" else alias_en
            devices.append(
                f"<DEVICE idDev={quoteattr(zone.id)} code={quoteattr(zone.id)} alias={quoteattr(zone.name)} "
                f"type={quoteattr(dev_type)} aliasType={quoteattr(alias_type)}/>"
            )
        services = (
            '<SERVICESATTRIBUTES><EMAIL><SERVICE description="Petición de imagen" idservice="1"/>'
            '<SERVICE description="Entradas y salidas" idservice="2"/></EMAIL>'
            '<PHONE><SERVICE description="Accesos SMS" idservice="5"/></PHONE></SERVICESATTRIBUTES>'
        )
        body = (
            f"<INSTALLATION alias={quoteattr(inst.alias)}><DEVICES>{''.join(devices)}</DEVICES>"
            '<CODEWORDS securitas="XXXXX" customer="XXXXX" coercion="XXXXXX"/>'
            '<EMAILS><EMAIL address="XXXXX@XXXXXX.COM" alias="SERVICIOS" language="es_ES" idService="0"/></EMAILS>'
            '<PHONES><PHONE number="XXXXXXXXX" alias="SERVICIOS" language="es_ES" idService="0"/></PHONES>'
            f"{services}</INSTALLATION>"
        )
        return self._xml(lang, "OK", body, self._msg(lang, "processed"))

    def srv(self, inst: Installation, lang: str) -> str:
        body = (
            f"<INSTALATION><NUMINST>{inst.numinst}</NUMINST><ROLE>OWNER</ROLE><ALIAS>{escape(inst.alias)}</ALIAS>"
            f"<STATUS>OK</STATUS><PANEL>{inst.panel_type}</PANEL><SIM>{inst.sim}</SIM>"
            f"<INSTIBS>{inst.instibs}</INSTIBS><TIMEBOX>1</TIMEBOX><DTMF>0</DTMF><OPER>ES</OPER>"
            "<SERVICES>"
            '<SERVICE idService="11" active="1" visible="1" request="EST"/>'
            '<SERVICE idService="1" active="1" visible="1" request="IMG"/>'
            '<SERVICE idService="31" active="1" visible="1" request="ARM"/>'
            '<SERVICE idService="32" active="1" visible="1" request="DARM"/>'
            '<SERVICE idService="202" active="1" visible="1" request="ARMDAY"/>'
            '<SERVICE idService="46" active="1" visible="1" request="ARMNIGHT"/>'
            '<SERVICE idService="40" active="1" visible="1" request="PERI"/>'
            '<SERVICE idService="50" active="1" visible="1" request="ARMANNEX"/>'
            "</SERVICES></INSTALATION>"
        )
        return self._xml(lang, "OK", body, self._msg(lang, "processed"))

    # ------------------------------------------------------------------ state

    @staticmethod
    def status_code(part: SimPartition) -> str:
        interior = part.mode if part.phase is not Phase.DISARMED else None
        peri = part.perimeter
        if interior is None:
            return "3" if peri else "0"
        return {
            (Mode.AWAY, False): "1",
            (Mode.AWAY, True): "4",
            (Mode.HOME, False): "P",
            (Mode.HOME, True): "B",
            (Mode.NIGHT, False): "Q",
            (Mode.NIGHT, True): "C",
        }[(interior, peri)]

    def _status_of(self, inst: Installation) -> str:
        inst.panel.advance()
        return self.status_code(next(iter(inst.panel.partitions.values())))

    # ------------------------------------------------------------------ two-step operations

    def _expire_pending(self) -> None:
        now = self.clock()
        for key, op in list(self.pending.items()):
            if now - op.started > max(self.op_timeout, 300.0):
                del self.pending[key]
        for numinst, op in list(self.in_flight.items()):
            if op.finished_at is not None or now - op.started > self.op_timeout:
                del self.in_flight[numinst]

    def step1(self, base: str, inst: Installation, user: str, params: dict[str, str], lang: str) -> str:
        self._expire_pending()
        now = self.clock()
        panel = inst.panel
        if inst.numinst in self.in_flight or now < panel.faults.busy_until:
            raise self._with_numinst(VerisureError(ERR_BUSY, "busy"), inst)
        if self.panel_cooldown and now - self.last_panel_op.get(inst.numinst, -1e9) < self.panel_cooldown:
            raise self._with_numinst(VerisureError(ERR_BUSY, "busy"), inst)
        if base == "IMG":
            self._check_photo_params(inst, params)
            if self.photo_cooldown and now - self.last_photo_op.get(inst.numinst, -1e9) < self.photo_cooldown:
                raise self._with_numinst(VerisureError(ERR_BUSY, "busy"), inst)
            self.last_photo_op[inst.numinst] = now
        self.last_panel_op[inst.numinst] = now
        op = PendingOp(op=base, numinst=inst.numinst, started=now, waits_needed=max(0, int(self.step2_waits)))
        source = "ANDROID" if params.get("callby", "AND").upper().startswith("AND") else "IPHONE"
        self._execute(op, inst, user, source, params)
        self.pending[(user.lower(), params["ID"], base)] = op
        self.in_flight[inst.numinst] = op
        return self._xml(lang, "OK", msg=self._msg(lang, "sent"))

    def _with_numinst(self, exc: VerisureError, inst: Installation) -> VerisureError:
        exc.numinst = inst.numinst
        return exc

    def _check_photo_params(self, inst: Installation, params: dict[str, str]) -> None:
        if params.get("instibs") != inst.instibs:
            raise VerisureError(ERR_BAD_REQUEST, "bad_request")
        zone = inst.panel.zones.get(params.get("device", ""))
        if zone is None or not zone.camera:
            raise VerisureError(ERR_BAD_REQUEST, "bad_request")

    def _execute(self, op: PendingOp, inst: Installation, user: str, source: str, params: dict[str, str]) -> None:
        """Carry the operation out on the panel now; step 2 reports the outcome later."""
        panel = inst.panel
        part = next(iter(panel.partitions.values()))
        try:
            if op.op == "EST":
                if panel.faults.offline:
                    raise SimError("offline", "Panel is not connected")
                panel.log("status_check", "Status check", user=user, source=source)
                panel._touch()
            elif op.op in ("ARM", "ARMDAY", "ARMNIGHT"):
                mode = {"ARM": Mode.AWAY, "ARMDAY": Mode.HOME, "ARMNIGHT": Mode.NIGHT}[op.op]
                panel.advance()
                current = part.mode if part.phase is not Phase.DISARMED else None
                if self.arm_conflicts and current is not None and current is not mode:
                    raise VerisureError(ERR_CONFLICT, "conflict")
                if current is not mode:
                    panel.arm(mode, user=user, source=source)
            elif op.op == "PERI":
                if not part.perimeter:
                    panel.arm(None, user=user, perimeter=True, source=source)
            elif op.op == "DARM":
                panel.disarm(user=user, source=source)
                op.message_key = "disarmed_now"
            elif op.op == "ARMANNEX":
                panel.arm_annex(user=user, source=source)
                op.message_key = "annex_on"
            elif op.op == "DARMANNEX":
                panel.disarm(user=user, annex=True, source=source)
                op.message_key = "annex_off"
            elif op.op == "IMG":
                photo_set = panel.take_photos(params["device"], user=user)
                event = next(e for e in reversed(panel.events) if e.kind == "photo" and e.photo_id == photo_set.id)
                op.photo_event = event.id
                self.photo_visible_at[event.id] = float("inf")  # visible `photo_delay` after IMG2 answers OK
                op.message_key = "photo_taken"
        except VerisureError as exc:
            op.error = self._with_numinst(exc, inst)
        except SimError as exc:
            op.error = self._with_numinst(self._sim_error(exc), inst)
        op.status = self._status_of(inst)

    @staticmethod
    def _sim_error(exc: SimError) -> VerisureError:
        if exc.reason == "busy":
            return VerisureError(ERR_BUSY, "busy")
        if exc.reason == "offline":
            return VerisureError(ERR_OFFLINE, "offline")
        if exc.reason == "not_ready":
            return VerisureError(ERR_NOT_READY, "not_ready", zones=exc.message.removeprefix("Not ready: ").removesuffix(" open"))
        if exc.reason == "conflict":
            return VerisureError(ERR_CONFLICT, "conflict")
        return VerisureError(ERR_FAILED, "failed")

    def step2(self, base: str, inst: Installation, user: str, params: dict[str, str], lang: str) -> str:
        op = self.pending.get((user.lower(), params["ID"], base))
        if op is None or op.numinst != inst.numinst:
            raise self._with_numinst(VerisureError(ERR_NO_REQUEST, "no_request"), inst)
        now = self.clock()
        if op.finished_at is None:
            slow = inst.panel.faults.slow_commands
            if op.polls < op.waits_needed or now - op.started < slow:
                op.polls += 1
                return self._xml(lang, "WAIT", msg=self._msg(lang, "wait"))
            op.finished_at = now
            self.in_flight.pop(inst.numinst, None)
            if op.photo_event is not None:
                self.photo_visible_at[op.photo_event] = inst.panel.wall() + inst.panel.photo_delay
        if op.error is not None:
            raise op.error
        status = op.status if op.op != "EST" else self._status_of(inst)
        msg = self._msg(lang, op.message_key or status)
        bloq = f'<BLOQ remotereqactive="1" >{escape(MESSAGES[lang]["bloq"])}</BLOQ>'
        return (
            f"<?xml version='1.0' encoding='UTF-8'?>\n<PET><RES>OK</RES><STATUS>{status}</STATUS>"
            f"<MSG>{escape(msg)}</MSG><NUMINST>{inst.numinst}</NUMINST>{bloq}</PET>"
        )

    # ------------------------------------------------------------------ activity log

    def reg_type(self, event: SimEvent, panel: SimPanel) -> str | None:
        return reg_type(event, self.tamper_while_armed)

    def activity(self, inst: Installation, params: dict[str, str], lang: str) -> str:
        panel = inst.panel
        days = TIMEFILTER_DAYS.get(params.get("timefilter", ""), 30)
        now_wall = panel.wall()
        cutoff = now_wall - days * 86400
        regs = []
        for event in panel.recent_events(5000):
            if event.time < cutoff:
                break
            reg_type = self.reg_type(event, panel)
            if reg_type is None:
                continue
            if reg_type == "16":
                visible_at = self.photo_visible_at.get(event.id, event.time + panel.photo_delay)
                if now_wall < visible_at:
                    continue
            regs.append(reg_xml(event, reg_type, panel, lang))
            if len(regs) >= self.activity_page:
                break
        if not regs:
            return self._xml(lang, "OK", '<LIST totalreg="0" costtotal="0"/>')
        return self._xml(lang, "OK", f'<LIST totalreg="{len(regs)}" costtotal="0">{"".join(regs)}</LIST>')

    # ------------------------------------------------------------------ photos

    def inf(self, inst: Installation, params: dict[str, str], lang: str) -> str:
        panel = inst.panel
        if params.get("signaltype") != "16":
            raise VerisureError(ERR_BAD_REQUEST, "bad_request")
        try:
            wanted = int(params.get("idsignal", ""))
        except ValueError:
            raise VerisureError(ERR_BAD_REQUEST, "bad_request") from None
        event = next((e for e in panel.events if e.id == wanted and e.kind == "photo"), None)
        if event is None or event.photo_id not in panel.photos:
            raise VerisureError(ERR_BAD_REQUEST, "bad_request")
        if panel.wall() < self.photo_visible_at.get(event.id, event.time + panel.photo_delay):
            raise VerisureError(ERR_BAD_REQUEST, "bad_request")
        photo_set = panel.photos[event.photo_id]
        zone = panel.zones.get(photo_set.zone)
        images = "".join(
            f'<IMG id="{index}">{base64.b64encode(jpeg).decode("ascii")}</IMG>' for index, jpeg in enumerate(photo_set.jpegs, 1)
        )
        device = (
            f'<DEVICES numdevices="1"><DEVICE id="0" code={quoteattr(photo_set.zone)} '
            f'name={quoteattr(zone.name if zone else photo_set.zone)} numimg="{len(photo_set.jpegs)}">{images}</DEVICE></DEVICES>'
        )
        return self._xml(lang, "OK", device)


def _panel_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: options[k] for k in ("exit_delay", "entry_delay", "photo_delay") if k in options}


__all__ = ["VerisureCloud"]
