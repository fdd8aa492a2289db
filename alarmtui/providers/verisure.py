"""Verisure / Securitas Direct through the legacy `ws.do` XML service.

The dialect is described in `shared/protocols/verisure.md`; in short:

- every request is `ws.do?request=NAME&ID=..&Country=ES&lang=es&user=..&hash=..`;
  `user`, `pwd` and `hash` travel in the URL, so nothing here ever prints a URL
  without `redact_url`, and the password, hash and login are registered with
  the log filter as soon as we know them;
- panel operations are two requests: `X1` sends, `X2` (same `ID`) is polled
  while it answers WAIT. We poll at `step2_interval` until `step2_deadline`;
  past it the outcome is UNKNOWN and nothing is ever sent again;
- `EST1/EST2` wakes the physical panel and shows up in the customer's activity
  log, so the steady-state poll reads the activity log (`ACT_V2`) instead and
  folds its state-type records over the last STATUS we saw (segalion's
  approach); `snapshot(refresh=True)` asks the panel;
- the session hash expires (ERR 60022/60067): reads log in again once and are
  retried; a command is never repeated — the caller is told instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from alarmtui.domain import (
    ArmMode,
    Capability,
    CommandPhase,
    CommandResult,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Photo,
    Snapshot,
    Trouble,
    TroubleKind,
    Zone,
    ZoneKind,
)
from alarmtui.domain.text import clean_text
from alarmtui.providers.base import (
    AuthenticationFailed,
    CommandRejected,
    CommandTimer,
    ConnectionFailed,
    NotSupported,
    PanelBusy,
    PanelOffline,
    PanelUnavailable,
    ProgressCallback,
    ProtocolError,
    Provider,
    ProviderError,
    RateLimited,
    SessionExpired,
    build_http_client,
    http_timeout,
    retry_after,
    translate_errors,
)
from alarmtui.providers.verisure_xml import (
    MAX_REPLY_BYTES,
    ActivityRecord,
    DeviceInfo,
    InstallationInfo,
    Reply,
    parse_activity,
    parse_inf,
    parse_installations,
    parse_login,
    parse_my_installation,
    parse_reply,
    parse_srv,
    parse_status,
)
from alarmtui.redaction import redact_url, register_secrets

if TYPE_CHECKING:
    from alarmtui.settings import VerisureConfig

log = logging.getLogger(__name__)

WS_PATH = "/WebService/ws.do"
CALLBY = "AND_61"
ID_PREFIX = "AND" + "_" * 25

SESSION_ERRORS = frozenset({"60022", "60067"})
ERR_UNAVAILABLE = "3000"
ERR_OLD_APP = "60060"
ERR_MIGRATED = "60161"
# No real codes are known for these; the simulator's synthetic ones, plus the real texts.
ERR_BUSY = frozenset({"10001"})
ERR_OFFLINE = frozenset({"10004"})
BUSY_WORDS = ("gestionando una solicitud anterior", "handling a previous request", "espera 90 segundos")

# STATUS (EST2 and every op-2) -> canonical state and the vendor's words (protocols/verisure.md §2.3).
STATUS_STATES: dict[str, tuple[PartitionState, str]] = {
    "0": (PartitionState.DISARMED, "disarmed"),
    "D": (PartitionState.DISARMED, "disarmed"),
    "1": (PartitionState.ARMED_AWAY, "total"),
    "T": (PartitionState.ARMED_AWAY, "total"),
    "A": (PartitionState.ARMED_AWAY, "total"),
    "P": (PartitionState.ARMED_HOME, "day"),
    "Q": (PartitionState.ARMED_NIGHT, "night"),
    "3": (PartitionState.ARMED_CUSTOM_BYPASS, "perimeter"),
    "E": (PartitionState.ARMED_CUSTOM_BYPASS, "perimeter"),
    "4": (PartitionState.ARMED_AWAY, "total + perimeter"),
    "B": (PartitionState.ARMED_HOME, "day + perimeter"),
    "C": (PartitionState.ARMED_NIGHT, "night + perimeter"),
}
# STATUS -> (interior, perimeter) for folding activity records over it.
STATUS_PARTS: dict[str, tuple[str | None, bool]] = {
    "0": (None, False), "D": (None, False),
    "1": ("total", False), "T": ("total", False), "A": ("total", False),
    "P": ("day", False), "Q": ("night", False),
    "3": (None, True), "E": (None, True),
    "4": ("total", True), "B": ("day", True), "C": ("night", True),
}
PARTS_STATUS = {parts: code for code, parts in STATUS_PARTS.items() if code in "01PQ34BC"}

MODE_REQUEST = {ArmMode.AWAY: "ARM", ArmMode.HOME: "ARMDAY", ArmMode.NIGHT: "ARMNIGHT", ArmMode.PERIMETER: "PERI"}
MODE_ACCEPTS = {
    ArmMode.AWAY: frozenset("1TA4"),
    ArmMode.HOME: frozenset("PB"),
    ArmMode.NIGHT: frozenset("QC"),
    ArmMode.PERIMETER: frozenset("3E4BCA"),
}

# ACT_V2 REG types (protocols/verisure.md §2.7).
REG_INTERIOR = {"31": "total", "2": "total", "37": "total", "202": "day", "311": "day", "46": "night", "203": "night"}
REG_PERIMETER_ON = frozenset({"40", "204", "37"})
REG_DISARM = frozenset({"32", "1"})
REG_ALARM = frozenset({"13", "24"})
REG_PHOTO = "16"
REG_KINDS: dict[str, EventKind] = {
    **{t: EventKind.ARM for t in ("31", "2", "37", "202", "311", "46", "203", "40", "204")},
    "32": EventKind.DISARM, "1": EventKind.DISARM,
    "13": EventKind.ALARM, "24": EventKind.ALARM, "29": EventKind.ALARM, "14": EventKind.ALARM,
    "16": EventKind.PHOTO,
    "25": EventKind.TROUBLE, "26": EventKind.TROUBLE, "241": EventKind.TROUBLE, "501": EventKind.TROUBLE,
    "502": EventKind.TROUBLE, "3121": EventKind.TROUBLE,
    "27": EventKind.SYSTEM, "531": EventKind.SYSTEM, "537": EventKind.SYSTEM, "540": EventKind.SYSTEM,
    "546": EventKind.SYSTEM, "331": EventKind.SYSTEM,
    "324": EventKind.ZONE, "325": EventKind.ZONE,
}
TROUBLE_PAIRS = (
    # (raise types, clear types, kind, text)
    (frozenset({"25"}), frozenset({"26"}), TroubleKind.POWER, "Mains power lost"),
    (frozenset({"501", "502"}), frozenset({"3121"}), TroubleKind.COMMUNICATION, "Communication failure"),
)

CAPABILITIES = frozenset(
    {
        Capability.ARM_AWAY,
        Capability.ARM_HOME,
        Capability.ARM_NIGHT,
        Capability.ARM_PERIMETER,
        Capability.DISARM,
        Capability.EVENTS,
    }
)


class ServerUnreachable(ConnectionFailed):
    """No connection could be made, so the request certainly did not reach the server."""


@dataclass(frozen=True, slots=True)
class _Baseline:
    """The last STATUS the panel itself reported, and where the activity log stood then."""

    code: str
    message: str
    watermark: str | None
    """idsignal of the newest REG already reflected in `code`; newer REGs are folded over it."""
    at: float


def status_state(code: str) -> tuple[PartitionState, str]:
    """Canonical state and the vendor's words for a STATUS code; unknown codes keep the raw code."""
    try:
        return STATUS_STATES[code]
    except KeyError:
        return PartitionState.UNKNOWN, f"unknown status code {code!r}"


def zone_kind(device: DeviceInfo) -> ZoneKind:
    if device.photo_capable:
        return ZoneKind.CAMERA
    words = f"{device.type} {device.alias_type}".lower()
    if device.type.upper() == "MG" or "magn" in words or "contact" in words or "puerta" in words:
        return ZoneKind.CONTACT
    if device.type.upper() in ("XP", "QR") or "movimiento" in words or "motion" in words or "infrarrojo" in words:
        return ZoneKind.MOTION
    if "humo" in words or "smoke" in words:
        return ZoneKind.SMOKE
    if "mando" in words or "remote" in words:
        return ZoneKind.KEYFOB
    if "teclado" in words or "keypad" in words:
        return ZoneKind.KEYPAD
    if "sirena" in words or "siren" in words:
        return ZoneKind.SIREN
    return ZoneKind.OTHER


class VerisureProvider(Provider):
    """One Verisure account and one of its installations (the config's, else the first)."""

    kind = "verisure"

    def __init__(
        self,
        config: VerisureConfig,
        *,
        step2_interval: float = 1.0,
        step2_deadline: float = 60.0,
        photo_deadline: float = 90.0,
        activity_cache: float | None = None,
        timefilter: str = "2",
        http_timeout: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(config)
        self.config: VerisureConfig = config
        self.step2_interval = step2_interval
        """Seconds between step-2 polls (pysecuritas: 1 s)."""
        self.step2_deadline = step2_deadline
        """Give up waiting for the panel after this long: the outcome is then UNKNOWN."""
        self.photo_deadline = photo_deadline
        self.activity_cache = activity_cache if activity_cache is not None else min(5.0, config.poll_interval / 2)
        """snapshot() and events() in the same poll share one ACT_V2 request."""
        self.timefilter = timefilter
        self.http_timeout = http_timeout
        self._clock = clock
        self._password = config.password.get_secret_value()
        # The login also travels inside every `ID` (AND___…<user><timestamp>), which redact_url cannot see.
        register_secrets(self._password, ID_PREFIX + config.username)
        self._http: httpx.AsyncClient | None = None
        self._base_url = config.url.rstrip("/") + WS_PATH
        self._hash: str | None = None
        self._login_lock = asyncio.Lock()
        self.installation: InstallationInfo | None = None
        self.installations: list[InstallationInfo] = []
        self.panel_type = config.panel
        self.alias = ""
        self.instibs = ""
        self.devices: tuple[DeviceInfo, ...] = ()
        self._baseline: _Baseline | None = None
        self._activity: list[ActivityRecord] = []
        self._activity_at = -1e18
        self._connected = False
        self.last_refresh: float | None = None

    def __repr__(self) -> str:
        numinst = self.installation.numinst if self.installation else self.config.installation
        return f"<VerisureProvider {self.name!r} {redact_url(self._base_url)} installation={numinst}>"

    # ------------------------------------------------------------------ transport

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = build_http_client(self.config, self.requests, timeout=http_timeout(self.http_timeout))
        return self._http

    @staticmethod
    def new_id(user: str) -> str:
        """pysecuritas' ID: AND + 25 underscores + user + local yyyymmddHHMMSS."""
        return f"{ID_PREFIX}{user}{datetime.now().strftime('%Y%m%d%H%M%S')}"

    def _params(self, request: str, op_id: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        params = {
            "request": request,
            "ID": op_id,
            "Country": self.config.country,
            "lang": self.config.language,
            "user": self.config.username,
        }
        if request == "LOGIN":
            params["pwd"] = self._password  # only here: afterwards the hash is the credential
        else:
            params["hash"] = self._hash or ""
            params["callby"] = CALLBY
        if extra:
            params.update(extra)
        return params

    async def _send(self, request: str, op_id: str, extra: dict[str, str] | None = None, *, post: bool = False) -> Reply:
        """One HTTP request; returns the parsed envelope (OK, WAIT or ERROR)."""
        params = self._params(request, op_id, extra)
        what = f"sending {request}"
        async with translate_errors(self.name, what):
            client = self._client()
            if post:
                # A form body keeps the password out of URLs (Jeedom does the same; the server reads both).
                http_request = client.build_request("POST", self._base_url, data=params)
            else:
                http_request = client.build_request("GET", self._base_url, params=params)
            try:
                response = await client.send(http_request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise ServerUnreachable(
                    f"could not connect to the server while sending {request} ({type(exc).__name__})", provider=self.name
                ) from None
            try:
                body = await _read_bounded(response, MAX_REPLY_BYTES)
            finally:
                await response.aclose()
            if response.status_code in (403, 429):
                raise RateLimited(
                    f"the server refused {request} with HTTP {response.status_code} (blocked or rate limited)",
                    retry_after=retry_after(response),
                    provider=self.name,
                    vendor_code=str(response.status_code),
                )
            if response.status_code >= 500:
                raise ConnectionFailed(f"server error HTTP {response.status_code} on {request}", provider=self.name)
            if response.status_code != 200:
                raise ProtocolError(f"unexpected HTTP {response.status_code} on {request}", provider=self.name)
            if body is None:
                raise ProtocolError(f"reply to {request} is larger than {MAX_REPLY_BYTES} bytes", provider=self.name)
            reply = parse_reply(body, request)
        log.debug("%s -> %s %s", request, reply.res, reply.err)
        return reply

    # ------------------------------------------------------------------ errors

    def _error(self, reply: Reply, *, command: bool = False) -> ProviderError:
        """The error a RES=ERROR reply means (session codes are handled by the callers)."""
        code, msg = reply.err, reply.msg or "no message"
        kwargs: dict[str, Any] = {"provider": self.name, "vendor_code": code or None}
        if code in SESSION_ERRORS:
            return SessionExpired(f"session expired ({msg})", **kwargs)
        if code == ERR_UNAVAILABLE:
            return ConnectionFailed(f"the Verisure service is temporarily unavailable ({msg})", **kwargs)
        if code == ERR_MIGRATED:
            return AuthenticationFailed(
                f"the account was moved to the new My Verisure app: {msg}",
                hint="This account can no longer use the ws.do service.",
                **kwargs,
            )
        if code in ERR_BUSY or any(word in msg.lower() for word in BUSY_WORDS):
            return PanelBusy(msg, **kwargs)
        if code in ERR_OFFLINE:
            return PanelOffline(msg, **kwargs)
        if reply.request == "LOGIN":
            return AuthenticationFailed(f"login refused: {msg}", **kwargs)
        if reply.request.startswith("EST"):
            return PanelUnavailable(f"the panel could not report its status: {msg}", **kwargs)
        if command or code == ERR_OLD_APP:
            return CommandRejected(msg, **kwargs)
        return ProtocolError(f"{reply.request} failed: {msg}", **kwargs)

    # ------------------------------------------------------------------ session

    async def _login(self) -> None:
        reply = await self._send("LOGIN", self.new_id(self.config.username), post=True)
        if not reply.ok:
            raise self._error(reply)
        self._hash = parse_login(reply)
        register_secrets(self._hash)

    async def _ensure_session(self) -> None:
        if self._hash is None:
            async with self._login_lock:
                if self._hash is None:
                    await self._login()

    async def _relogin(self, stale: str | None) -> None:
        async with self._login_lock:
            if self._hash == stale:  # nobody else logged in meanwhile
                self._hash = None
                await self._login()

    async def _read(self, request: str, extra: dict[str, str] | None = None, *, op_id: str | None = None, post: bool = False) -> Reply:
        """A read: on 60022/60067 log in again once and retry it; other errors raise."""
        await self._ensure_session()
        for attempt in (1, 2):
            used = self._hash
            reply = await self._send(request, op_id or self.new_id(self.config.username), extra, post=post)
            if reply.error and reply.err in SESSION_ERRORS:
                if attempt == 1:
                    log.info("%s: session expired (%s) during %s; logging in again", self.name, reply.err, request)
                    await self._relogin(used)
                    continue
                raise SessionExpired(
                    f"session expired again right after logging in ({reply.msg})", provider=self.name, vendor_code=reply.err
                )
            if reply.error:
                raise self._error(reply)
            return reply
        raise AssertionError("unreachable")

    def _inst_params(self, **extra: str) -> dict[str, str]:
        assert self.installation is not None
        return {"numinst": self.installation.numinst, "panel": self.panel_type, **extra}

    # ------------------------------------------------------------------ lifecycle

    async def connect(self) -> None:
        """LOGIN, INS (pick the installation), MYINSTALLATION (zones), SRV (INSTIBS). Cached until close()."""
        async with translate_errors(self.name, "connecting"):
            self._hash = None
            await self._ensure_session()
            installations = parse_installations(await self._read("INS"))
            if not installations:
                raise AuthenticationFailed("this account has no installations", provider=self.name)
            self.installations = installations
            wanted = self.config.installation
            if wanted:
                chosen = next((i for i in installations if i.numinst == wanted), None)
                if chosen is None:
                    numbers = ", ".join(i.numinst for i in installations)
                    raise AuthenticationFailed(
                        f"installation {wanted} is not on this account (it has {numbers})",
                        provider=self.name,
                        hint="Fix `installation` in the config file.",
                    )
            else:
                chosen = installations[0]
            self.installation = chosen
            self.panel_type = chosen.panel or self.config.panel
            self.alias = chosen.alias
            details = parse_my_installation(await self._read("MYINSTALLATION", self._inst_params(), post=True))
            self.devices = details.devices
            if details.alias.strip():
                self.alias = details.alias
            srv = parse_srv(await self._read("SRV", self._inst_params()))
            self.instibs = srv.instibs
            if srv.alias:
                self.alias = srv.alias
            self._connected = True

    async def _ensure_connected(self) -> None:
        if not self._connected:
            await self.connect()

    async def close(self) -> None:
        try:
            if self._hash is not None and self._http is not None:
                with contextlib.suppress(ProviderError, TimeoutError):
                    async with asyncio.timeout(3.0), translate_errors(self.name, "logging out"):
                        await self._send("CLS", self.new_id(self.config.username), {"numinst": "(null)"})
        finally:
            self._hash = None
            self._connected = False
            if self._http is not None:
                await self._http.aclose()
                self._http = None

    # ------------------------------------------------------------------ two-step operations

    async def _two_step_read(self, op: str, extra: dict[str, str]) -> Reply:
        """EST1/EST2 (a read): re-login allowed; WAIT past the deadline raises PanelUnavailable."""
        op_id = self.new_id(self.config.username)
        await self._read(f"{op}1", extra, op_id=op_id)
        deadline = self._clock() + self.step2_deadline
        last_problem: ProviderError | None = None
        while True:
            await asyncio.sleep(self.step2_interval)
            if self._clock() > deadline:
                if last_problem is not None:
                    raise last_problem
                raise PanelUnavailable(
                    f"the panel did not answer the status request within {self.step2_deadline:.0f} s", provider=self.name
                )
            try:
                reply = await self._read(f"{op}2", extra, op_id=op_id)
            except ServerUnreachable:
                raise  # the server is down: a read has nothing to wait for
            except (ConnectionFailed, ProtocolError) as exc:
                log.info("%s: %s2 poll failed (%s); polling again", self.name, op, exc)
                last_problem = exc
                continue
            if reply.waiting:
                continue
            return reply

    async def _command(self, op: str, extra: dict[str, str], progress: ProgressCallback | None) -> tuple[CommandTimer, Reply | CommandResult]:
        """Send `op`1 once and poll `op`2 with the same ID.

        Returns the final OK reply, or a finished CommandResult when the outcome
        is unknown. Vendor refusals raise (CommandRejected, PanelBusy, ...).
        """
        timer = CommandTimer(progress)
        await self._ensure_connected()
        await self._ensure_session()
        op_id = self.new_id(self.config.username)
        timer.report(CommandPhase.SENT, f"sending {op}")
        try:
            async with translate_errors(self.name, f"sending {op}1"):
                first = await self._send(f"{op}1", op_id, extra)
        except ServerUnreachable as exc:
            timer.report(CommandPhase.FAILED, exc.message)
            raise  # never reached the server: the command was not sent
        except (ConnectionFailed, ProtocolError) as exc:
            # The request may have reached the server; step 1 is never sent again.
            return timer, timer.result(
                CommandPhase.UNKNOWN, f"no answer to {op}1 ({exc.message}); the command may have been carried out — re-read the state"
            )
        except ProviderError as exc:
            timer.report(CommandPhase.FAILED, exc.message)
            raise
        if first.error:
            if first.err in SESSION_ERRORS:
                self._hash = None  # the next request logs in again; this command is not repeated
                timer.report(CommandPhase.FAILED, "session expired; command not sent")
                raise SessionExpired(
                    f"the session expired before {op} reached the panel ({first.msg}); the command was not sent — try again",
                    provider=self.name,
                    vendor_code=first.err,
                )
            error = self._error(first, command=True)
            timer.report(CommandPhase.FAILED, error.message)
            raise error
        timer.report(CommandPhase.WAITING, first.msg or "sent, waiting for the panel")
        deadline = self._clock() + self.step2_deadline
        last_problem = ""
        while True:
            await asyncio.sleep(self.step2_interval)
            if self._clock() > deadline:
                why = f" (last problem: {last_problem})" if last_problem else ""
                return timer, timer.result(
                    CommandPhase.UNKNOWN,
                    f"the panel did not confirm {op} within {self.step2_deadline:.0f} s{why}; re-read the state",
                )
            try:
                async with translate_errors(self.name, f"waiting for {op}2"):
                    reply = await self._send(f"{op}2", op_id, extra)
            except (ConnectionFailed, ProtocolError) as exc:
                # Step 2 is a read of the outcome: polling it again never re-sends the command.
                last_problem = exc.message
                continue
            except RateLimited as exc:
                return timer, timer.result(CommandPhase.UNKNOWN, f"{exc.message}; outcome unknown — re-read the state later")
            if reply.waiting:
                timer.report(CommandPhase.WAITING, reply.msg or "waiting for the panel")
                continue
            if reply.error:
                if reply.err in SESSION_ERRORS:
                    self._hash = None
                    timer.report(CommandPhase.UNKNOWN, "session expired while waiting for the panel")
                    raise SessionExpired(
                        f"the session expired while waiting for the panel to confirm {op} ({reply.msg}); "
                        "the command may have been carried out — re-read the state",
                        provider=self.name,
                        vendor_code=reply.err,
                    )
                error = self._error(reply, command=True)
                timer.report(CommandPhase.FAILED, error.message)
                raise error
            return timer, reply

    def _note_status(self, reply: Reply) -> str:
        status = parse_status(reply)
        newest = self._activity[0].idsignal if self._activity else None
        self._baseline = _Baseline(status.code, status.msg, newest, self._clock())
        self._activity_at = -1e18  # the next read must see the log after this
        return status.code

    async def _arm_op(self, op: str, accepts: frozenset[str] | None, progress: ProgressCallback | None) -> CommandResult:
        async with translate_errors(self.name, f"sending {op}"):
            await self._ensure_connected()
            timer, outcome = await self._command(op, self._inst_params(), progress)
            if isinstance(outcome, CommandResult):
                self._activity_at = -1e18
                return outcome
            code = self._note_status(outcome)
            _, words = status_state(code)
            message = outcome.msg or words
            if accepts is not None and code in STATUS_STATES and code not in accepts:
                return timer.result(CommandPhase.FAILED, f"{message} (panel reports {words})")
            return timer.result(CommandPhase.DONE, message)

    def _check_partition(self, partition: str | None) -> None:
        if partition is None:
            return
        if self.installation is not None and partition == self.installation.numinst:
            return
        raise CommandRejected(f"no partition {partition!r}: a Verisure installation is one partition", provider=self.name)

    # ------------------------------------------------------------------ commands

    async def arm(
        self,
        mode: ArmMode,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult:
        if mode not in MODE_REQUEST:
            raise NotSupported(f"Verisure has no arm mode {mode!r}", provider=self.name)
        await self._connect_translated()
        self._check_partition(partition)
        return await self._arm_op(MODE_REQUEST[mode], MODE_ACCEPTS[mode], progress)

    async def disarm(
        self,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult:
        await self._connect_translated()
        self._check_partition(partition)
        return await self._arm_op("DARM", frozenset("0D"), progress)

    async def arm_annex(self, *, progress: ProgressCallback | None = None) -> CommandResult:
        """Arm the secondary (annex) alarm. ws.do has no STATUS code for the annex."""
        return await self._arm_op("ARMANNEX", None, progress)

    async def disarm_annex(self, *, progress: ProgressCallback | None = None) -> CommandResult:
        return await self._arm_op("DARMANNEX", None, progress)

    async def bypass(
        self, zone: str, on: bool = True, *, code: str | None = None, progress: ProgressCallback | None = None
    ) -> CommandResult:
        raise NotSupported("Verisure's ws.do service cannot bypass (exclude) zones remotely", provider=self.name)

    async def _connect_translated(self) -> None:
        async with translate_errors(self.name, "connecting"):
            await self._ensure_connected()

    # ------------------------------------------------------------------ photos

    def _device(self, zone: str) -> DeviceInfo:
        device = next((d for d in self.devices if d.id == zone), None)
        if device is None:
            raise CommandRejected(f"no device {zone!r} in this installation", provider=self.name)
        if not device.photo_capable:
            raise NotSupported(f"{device.alias} has no camera", provider=self.name)
        return device

    async def request_photo(self, zone: str, *, progress: ProgressCallback | None = None) -> CommandResult:
        """SRV (cached INSTIBS) → IMG1/IMG2 → ACT_V2 until a new type-16 REG → INF: three JPEGs."""
        async with translate_errors(self.name, "requesting photos"):
            await self._ensure_connected()
            device = self._device(zone)
            if not self.instibs:
                self.instibs = parse_srv(await self._read("SRV", self._inst_params())).instibs
            before = {r.idsignal for r in await self._fetch_activity(force=True) if r.type == REG_PHOTO}
            extra = self._inst_params(device=device.id, instibs=self.instibs, idservice="1")
            timer, outcome = await self._command("IMG", extra, progress)
            if isinstance(outcome, CommandResult):
                return outcome
            timer.report(CommandPhase.WAITING, outcome.msg or "photos taken, waiting for them to be stored")
            deadline = self._clock() + self.photo_deadline
            while True:
                records = await self._fetch_activity(force=True)
                fresh = next((r for r in records if r.signaltype == REG_PHOTO or (not r.signaltype and r.type == REG_PHOTO)), None)
                if fresh is not None and fresh.idsignal not in before:
                    break
                if self._clock() > deadline:
                    return timer.result(CommandPhase.UNKNOWN, "the photos were taken but did not appear in the activity log in time")
                await asyncio.sleep(self.step2_interval)
            photos = await self._inf(fresh, device.alias)
            return timer.result(CommandPhase.DONE, outcome.msg or f"{len(photos)} photos", tuple(photos))

    async def _inf(self, record: ActivityRecord, zone_name: str = "") -> list[Photo]:
        reply = await self._read("INF", self._inst_params(idsignal=record.idsignal, signaltype=REG_PHOTO))
        photos = []
        for photo_set in parse_inf(reply):
            name = photo_set.device_name or zone_name or record.device
            zone_id = next((d.id for d in self.devices if d.id == photo_set.device_code or d.alias == name), name)
            for index, jpeg in enumerate(photo_set.jpegs):
                photos.append(Photo(zone=zone_id, time=record.time, jpeg=jpeg, index=index, provider=self.name))
        if not photos:
            raise ProtocolError("INF returned no photos", provider=self.name)
        return photos

    async def photos(self, event: Event) -> list[Photo]:
        if not event.photo_ref:
            raise NotSupported("this event has no photos", provider=self.name)
        async with translate_errors(self.name, "fetching photos"):
            await self._ensure_connected()
            record = ActivityRecord(REG_PHOTO, event.text, event.time, event.photo_ref, REG_PHOTO, "", event.zone, event.who)
            return await self._inf(record, event.zone)

    # ------------------------------------------------------------------ reads

    async def _fetch_activity(self, *, force: bool = False) -> list[ActivityRecord]:
        if not force and self._clock() - self._activity_at < self.activity_cache:
            return self._activity
        reply = await self._read("ACT_V2", self._inst_params(timefilter=self.timefilter, activityfilter="0"))
        self._activity = parse_activity(reply)
        self._activity_at = self._clock()
        return self._activity

    async def refresh_status(self) -> str:
        """EST1/EST2: ask the panel itself (wakes it; shows in the activity log)."""
        reply = await self._two_step_read("EST", self._inst_params())
        status = parse_status(reply)
        # The log as it stands now (including this EST's own REG 27) is reflected in the status.
        records = await self._fetch_activity(force=True)
        watermark = next((r.idsignal for r in records if r.type == "27"), records[0].idsignal if records else None)
        self._baseline = _Baseline(status.code, status.msg, watermark, self._clock())
        self.last_refresh = self._clock()
        return status.code

    async def snapshot(self, *, refresh: bool = False) -> Snapshot:
        async with translate_errors(self.name, "reading the status"):
            await self._ensure_connected()
            online, note = True, ""
            if not refresh and self._baseline is None:
                # Start-up without a refresh: the activity log alone (one cheap request that
                # does not wake the panel) is enough when it holds a state-type record.
                records = await self._fetch_activity()
                refresh = self._derive_partition(records).state is PartitionState.UNKNOWN
            if refresh:
                try:
                    await self.refresh_status()
                except PanelUnavailable as exc:
                    # Keep showing what the activity log says; say why the panel did not answer.
                    online = not isinstance(exc, PanelOffline)
                    note = exc.message
            records = await self._fetch_activity()
            partition = self._derive_partition(records)
            return Snapshot(
                partitions=(partition,),
                zones=self._zones(),
                troubles=self._troubles(records),
                users=(),
                capabilities=self.capabilities,
                panel_name=self.alias or (self.installation.alias if self.installation else ""),
                online=online,
                detail=note,
                fetched_at=datetime.now(UTC),
            )

    @property
    def capabilities(self) -> frozenset[Capability]:
        if any(d.photo_capable for d in self.devices):
            return CAPABILITIES | {Capability.PHOTO}
        return CAPABILITIES

    def _zones(self) -> tuple[Zone, ...]:
        assert self.installation is not None
        part = self.installation.numinst
        return tuple(
            Zone(
                id=d.id,
                name=d.alias,
                kind=zone_kind(d),
                camera=d.photo_capable,
                partitions=(part,),
                detail=" ".join(x for x in (d.alias_type, f"({d.type})" if d.type else "") if x),
            )
            for d in self.devices
        )

    def _derive_partition(self, records: list[ActivityRecord]) -> Partition:
        """Fold state-type REGs newer than the baseline's watermark over the last STATUS."""
        assert self.installation is not None
        baseline = self._baseline
        interior: str | None = None
        perimeter = False
        known = False
        raw_unknown = ""
        if baseline is not None:
            if baseline.code in STATUS_PARTS:
                interior, perimeter = STATUS_PARTS[baseline.code]
                known = True
            else:
                raw_unknown = baseline.code
        newer = records
        if baseline is not None and baseline.watermark is not None:
            index = next((i for i, r in enumerate(records) if r.idsignal == baseline.watermark), None)
            if index is not None:
                newer = records[:index]
        for record in reversed(newer):  # oldest first
            if record.type in REG_DISARM:
                interior, perimeter, known = None, False, True
            elif record.type in REG_INTERIOR:
                interior, known = REG_INTERIOR[record.type], True
                if record.type in REG_PERIMETER_ON:
                    perimeter = True
            elif record.type in REG_PERIMETER_ON:
                perimeter = True
                known = known or interior is not None
        name = self.alias or self.installation.alias
        numinst = self.installation.numinst
        # An alarm since the last disarm wins, whatever the baseline says.
        latest = next((r for r in records if r.type in REG_ALARM or r.type in REG_DISARM), None)
        if latest is not None and latest.type in REG_ALARM:
            zone = latest.device or None
            return Partition(
                numinst, name, PartitionState.TRIGGERED, detail=f"alarm: {latest.alias}".strip(), alarm_zone=zone
            )
        if not known:
            detail = f"unknown status code {raw_unknown!r}" if raw_unknown else "no status yet"
            return Partition(numinst, name, PartitionState.UNKNOWN, detail=detail)
        code = PARTS_STATUS[(interior, perimeter)]
        state, words = STATUS_STATES[code]
        return Partition(numinst, name, state, detail=words)

    def _troubles(self, records: list[ActivityRecord]) -> tuple[Trouble, ...]:
        troubles = []
        for raise_types, clear_types, kind, text in TROUBLE_PAIRS:
            latest = next((r for r in records if r.type in raise_types or r.type in clear_types), None)
            if latest is not None and latest.type in raise_types:
                troubles.append(Trouble(f"{kind.value}:{latest.idsignal}", kind, latest.alias or text, since=latest.time))
        return tuple(troubles)

    async def events(self, limit: int = 100) -> list[Event]:
        async with translate_errors(self.name, "reading the activity log"):
            await self._ensure_connected()
            records = await self._fetch_activity()
            return [self._event(r) for r in records[:limit]]

    def _event(self, record: ActivityRecord) -> Event:
        kind = REG_KINDS.get(record.type)
        text = record.alias or f"activity {record.type}"
        if kind is None:
            kind = EventKind.SYSTEM
            text = f"{text} (unknown activity type {record.type})"
        who = record.user
        if who and record.source:
            who = f"{who} ({record.source})"
        return Event(
            id=record.idsignal,
            time=record.time,
            kind=kind,
            text=clean_text(text),
            who=who,
            zone=record.device,
            partition=self.installation.numinst if self.installation else "",
            provider=self.name,
            photo_ref=record.idsignal if record.type == REG_PHOTO else "",
        )


async def _read_bounded(response: httpx.Response, limit: int) -> bytes | None:
    """The body, or None once it grows past `limit` (a hostile or broken server)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


__all__ = ["ServerUnreachable", "VerisureProvider", "status_state", "zone_kind"]
