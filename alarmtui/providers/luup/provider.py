"""The provider logic shared by every way of reaching a Vera: reads, long poll, commands.

Subclasses supply a `LuupTransport` (MiOS relay or LAN port) and `events()`.

Change detection uses the luup `lu_sdata` long poll (loadtime/dataversion); its
deltas keep a device cache current, so an idle dashboard costs about one request
per long-poll window. Any error resets loadtime/dataversion (a Vera that reloads
Luup gives wrong deltas otherwise) and falls back to plain polling.

Commands are sent once and followed through their luup job: done, failed with
the plugin's own reason, or unknown. A multi-partition command reports each
partition's outcome; once anything was sent it is never reported "not sent".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from alarmtui.domain import ArmMode, CommandPhase, CommandResult, PartitionOutcome, PartitionState, Photo, Snapshot
from alarmtui.domain.text import clean_text
from alarmtui.providers.base import (
    CommandRejected,
    ConnectionFailed,
    NotSupported,
    OpenZones,
    ProgressCallback,
    ProtocolError,
    Provider,
    ProviderError,
    SessionExpired,
    WrongCode,
    translate_errors,
)
from alarmtui.providers.commands import CommandTimeline
from alarmtui.providers.errors import NotSent, ReplyLost
from alarmtui.providers.http import HttpReply, error_for_status
from alarmtui.providers.luup.mapping import (
    _ARM_STATE,
    _PANIC_STATE,
    CATEGORY_CAMERA,
    CATEGORY_PARTITION,
    CATEGORY_SENSOR,
    _category,
    build_snapshot,
    open_zones_of,
    partition_state,
)
from alarmtui.providers.luup.parse import (
    AP2,
    JOB_ABORTED,
    JOB_DONE,
    JOB_ERROR,
    JOB_NONE,
    OFF_LOOP_RECORDS,
    SS1,
    SData,
    as_int,
    as_text,
    decode_reply,
    parse_action_reply,
    parse_jobstatus,
    parse_sdata,
    record_count,
)
from alarmtui.providers.luup.transport import LuupAuthRejected, LuupTransport
from alarmtui.redaction import register_secrets

log = logging.getLogger(__name__)


async def _parse_sdata(data: object) -> SData:
    """`parse_sdata`, in a worker thread when the reply lists many devices (it never stalls the loop)."""
    if record_count(data, "devices") > OFF_LOOP_RECORDS:
        return await asyncio.to_thread(parse_sdata, data)
    return parse_sdata(data)


_REREAD = "outcome unknown — re-read the state, do not send it again"
_PIN_WORDS = re.compile(r"\b(pin|code|password|passcode|user ?code)\b", re.IGNORECASE)
#: luup request ids whose bare `{"status": N}` reply means "Luup is reloading" (pyvera #86).
#: `jobstatus` answers exactly `{"status": N}` when all is well (mios.md §2.4).
_DATA_IDS = frozenset({"sdata", "lu_sdata", "status", "lu_status", "lu_status2", "user_data"})


@dataclass(frozen=True)
class _Outcome:
    """One luup action's fate; `sent` is False only when nothing reached the Vera."""

    result: CommandResult
    sent: bool = True
    wrong_code: bool = False
    reason: ProviderError | None = None
    refused: bool = False
    """Not sent because the partition could not arm (open zones): the other partitions still were."""


class LuupProvider(Provider):
    """A Vera with an alarm-panel plugin, over some `LuupTransport`."""

    kind: ClassVar[str] = "luup"

    long_poll_max: float = 60.0
    """Longest `lu_sdata` timeout we ask the Vera for, seconds."""
    relay_margin: float = 10.0
    """HTTP read timeout beyond the long-poll window."""
    relay_timeout: float = 15.0
    """HTTP timeout for ordinary requests."""
    minimum_delay_ms: int = 200
    """`minimumdelay` of the long poll: lets a cascade of variable changes settle (pyvera's value)."""
    job_timeout: float = 30.0
    """How long a command's job is followed before its outcome is reported unknown."""
    job_poll_interval: float = 0.25
    read_retries: int = 2
    retry_delay: float = 0.3
    photo_timeout: float = 30.0
    snapshot_cache_ttl: float | None = None
    """How long a plain `snapshot()` may answer from the device cache the long poll keeps current
    (default: the poll interval, at least 2 s)."""
    command_cache_ttl: float = 1.0
    """An arm uses the device cache without re-reading `sdata` when it is this fresh (or a long poll holds it current)."""
    session_check_after: float = 30.0
    """Before a command, a transport unused for this long is checked with a cheap read
    (`alive`), so an expired session is renewed by a read rather than refusing the command."""

    transport: LuupTransport

    def __init__(self, config: Any, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(config)
        self.clock = clock
        """Monotonic seconds for caches, sessions and identities (a fake clock in tests)."""
        self.transport = self._make_transport()
        self._devices: dict[str, dict[str, Any]] = {}
        self._model = ""
        self._loadtime: int | None = None
        self._dataversion: int | None = None
        self._cache_time: float | None = None
        self._long_polling = False
        if config.code is not None:
            register_secrets(config.code.get_secret_value())

    def _make_transport(self) -> LuupTransport:
        raise NotImplementedError

    @property
    def needs_code(self) -> bool:
        return True

    @property
    def pk_device(self) -> str | None:
        return self.transport.pk_device

    # ------------------------------------------------------------------ lifecycle

    async def connect(self) -> None:
        async with self._guard(f"connecting to {self.transport.label}"):
            await self.transport.connect()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.transport.close(), 5)

    @contextlib.asynccontextmanager
    async def _guard(self, what: str) -> AsyncIterator[None]:
        """`translate_errors`, plus the failures it does not know (a reply nested too deep)."""
        try:
            async with translate_errors(self.name, what):
                yield
        except RecursionError:
            raise ProtocolError(f"a reply nested too deeply while {what}", provider=self.name) from None

    # ------------------------------------------------------------------ requests

    async def _send_once(self, params: dict[str, Any], what: str, timeout: float) -> httpx.Response:
        response = await self.transport.send({**params, "output_format": "json"}, what, timeout)
        if response.status_code == 200:
            self.transport.mark_ok()
        return response

    async def _read(
        self,
        params: dict[str, Any],
        what: str,
        *,
        timeout: float | None = None,
        retries: int | None = None,
        text: bool = False,
    ) -> Any:
        """A luup read: renew on auth trouble, retry reload glitches (500, empty body, {status:0})."""
        retries = self.read_retries if retries is None else retries
        auth_failures = glitches = 0
        while True:
            await self.transport.ready()
            generation = self.transport.generation
            try:
                response = await self._send_once(params, what, timeout or self.relay_timeout)
            except LuupAuthRejected as exc:
                auth_failures += 1
                if auth_failures > 2:
                    raise SessionExpired(
                        f"{self.transport.label} keeps refusing the session while {what} ({exc.error})"
                    ) from None
                log.info("%s: %s said %s; renewing", self.name, self.transport.label, exc.error)
                if self.transport.renew_needs_login(exc.error, auth_failures):
                    await self.transport.renew(generation, exc.error)
                continue
            except ReplyLost as exc:  # a read may be repeated: the reply was lost, not the state
                problem: ProviderError | None = exc
                data = None
            else:
                problem, data = await self._payload(response, what, str(params.get("id", "")), text)
            if problem is None:
                return data
            glitches += 1
            if glitches > retries:
                raise problem
            log.info("%s: %s while %s; retrying", self.name, problem.message, what)
            await asyncio.sleep(self.retry_delay * glitches)

    async def _payload(
        self, response: httpx.Response, what: str, request_id: str, want_text: bool = False
    ) -> tuple[ProviderError | None, Any]:
        """(problem, data): a problem is a reload glitch worth a retry (raised once retries run out).

        The body is looked at only by its head on the loop and decoded by `decode_reply` (off the loop
        when large): a 16 MB reply never freezes the views."""
        if response.status_code != 200:
            # The core's status table (5xx → ConnectionFailed, 503 + Retry-After → RateLimited, …).
            reply = HttpReply(response.status_code, response.headers, b"")
            error = error_for_status(reply, provider=self.name, what=f"{what} ({self.transport.label})") or ProtocolError(
                f"{self.transport.label} answered HTTP {response.status_code} while {what}"
            )
            if isinstance(error, ConnectionFailed) and response.status_code >= 500:
                error.message += " (the Vera may be reloading)"
                return error, None  # a reload glitch: worth a retry
            raise error
        body = response.content
        head = body[:4096].decode("utf-8", "replace").strip()
        if not head and (len(body) <= 4096 or not body.strip()):
            return ProtocolError(f"the Vera sent an empty reply while {what} (it may be reloading)"), None
        if head[:5].upper() == "ERROR":
            raise ProtocolError(f"the Vera said {clean_text(head[:400], 120)!r} while {what}")
        if want_text:
            return None, clean_text(head[:400], 200)
        data = await decode_reply(body, what, provider=self.name)
        if request_id in _DATA_IDS and isinstance(data, Mapping) and set(data) == {"status"}:
            status = as_text(data["status"])
            return ProtocolError(f"the Vera answered {{status: {status}}} while {what} (Luup is reloading)"), None
        return None, data

    async def _refresh_sdata(self) -> None:
        data = await self._read({"id": "sdata"}, "reading the Vera's devices")
        self._merge(await _parse_sdata(data))

    def _merge(self, sdata: SData) -> bool:
        before = self._devices
        if not sdata.full and sdata.loadtime == self._loadtime and sdata.dataversion < (self._dataversion or 0):
            return False  # a delta older than what a concurrent full read already gave us
        if sdata.full:
            devices = sdata.devices
            changed = devices != before
        else:
            devices = dict(before)
            changed = False
            for device_id, update in sdata.devices.items():
                merged = {**devices.get(device_id, {}), **update}
                if merged != devices.get(device_id):
                    changed = True
                devices[device_id] = merged
        self._observe(before, devices)
        self._devices = devices
        if sdata.model:
            self._model = sdata.model
        self._loadtime, self._dataversion = sdata.loadtime, sdata.dataversion
        self._cache_time = self.clock()
        return changed

    def _observe(self, before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]) -> None:
        """Hook: a transport without an event log turns changes into events here."""

    def _reset_long_poll(self) -> None:
        self._loadtime = self._dataversion = None
        self._long_polling = False

    def _cache_is_current(self) -> bool:
        """Whether the device cache is the Vera's state now, so an arm need not read `sdata` first.

        True while a long poll is waiting on the Vera (any change would have answered it, and its
        answer is merged before anything else runs) or just after a read. A stale "ready" costs
        nothing: the Vera refuses the arm with its own reason, and the open zones are read then.
        """
        if self._cache_time is None or not self._devices:
            return False
        return self._long_polling or self.clock() - self._cache_time < self.command_cache_ttl

    # ------------------------------------------------------------------ reads

    def _panel_name(self) -> str:
        return self.transport.controller_name or self._model or "Vera"

    def _panel_detail(self) -> str:
        return f"Vera {self.pk_device}" if self.pk_device else "Vera"

    async def snapshot(self, *, refresh: bool = False) -> Snapshot:
        async with self._guard("reading the Vera"):
            ttl = self.snapshot_cache_ttl
            if ttl is None:
                ttl = max(2.0, min(self.config.poll_interval, self.long_poll_max))
            fresh = self._cache_time is not None and self.clock() - self._cache_time < ttl
            if refresh or not fresh or not self._devices:
                try:
                    await self._refresh_sdata()
                except ProviderError:
                    self._reset_long_poll()
                    raise
            devices, name, detail = self._devices, self._panel_name(), self._panel_detail()
            if len(devices) > OFF_LOOP_RECORDS:  # `_merge` replaces the dict, never changes it: safe in a thread
                return await asyncio.to_thread(build_snapshot, devices, panel_name=name, detail=detail)
            return build_snapshot(devices, panel_name=name, detail=detail)

    async def wait_for_change(self, timeout: float) -> bool:
        """Long-poll `lu_sdata` until something changes or `timeout` passes (True if it changed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        try:
            async with self._guard("waiting for changes"):
                while True:
                    left = deadline - loop.time()
                    if left <= 0.05:
                        return False
                    window = max(1, math.ceil(min(left, self.long_poll_max)))
                    params = {
                        "id": "lu_sdata",
                        "loadtime": self._loadtime or 0,
                        "dataversion": self._dataversion or 0,
                        "timeout": window,
                        "minimumdelay": self.minimum_delay_ms,
                    }
                    self._long_polling = self._loadtime is not None  # waiting on a delta of what we hold
                    try:
                        data = await self._read(params, "long-polling the Vera", timeout=window + self.relay_margin, retries=0)
                    finally:
                        self._long_polling = False
                    if self._merge(await _parse_sdata(data)):
                        return True
        except ProviderError as exc:
            log.info("%s: long poll failed (%s); plain polling until the next round", self.name, exc)
            self._reset_long_poll()
            left = deadline - loop.time()
            if left > 0:
                await asyncio.sleep(left)
            return False

    # ------------------------------------------------------------------ commands

    async def arm(
        self,
        mode: ArmMode,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
        force: bool = False,
    ) -> CommandResult:
        if mode is ArmMode.PERIMETER:
            raise NotSupported("Vera alarm partitions have no perimeter mode", provider=self.name)
        return await self._arm_mode(_ARM_STATE[mode], f"arm {mode.value}", partition, code, progress, force=force)

    async def disarm(
        self,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult:
        return await self._arm_mode("Disarmed", "disarm", partition, code, progress)

    async def _arm_mode(
        self,
        state: str,
        what: str,
        partition: str | None,
        code: str | None,
        progress: ProgressCallback | None,
        *,
        force: bool = False,
    ) -> CommandResult:
        pin = self.code_for(code)
        if not pin:
            raise WrongCode(f"a PIN is needed to {what} this Vera panel", provider=self.name, hint="Enter the panel's user code.")
        register_secrets(pin)
        timer = CommandTimeline(what, progress, provider=self.name)
        arming = state != "Disarmed"
        async with self._guard(f"sending {what}"), timer:
            fresh = self._cache_is_current()
            try:
                targets = await self._partitions(partition)
                if arming and not fresh:
                    await self._refresh_sdata()  # readiness as the Vera sees it now (also checks the session)
            except (ConnectionFailed, SessionExpired) as exc:
                exc.message = f"{exc.message}; {what} was not sent"
                raise
            outcomes: list[tuple[str, _Outcome]] = []  # partitions, and zones bypassed first
            partitions: list[PartitionOutcome] = []
            attempted: list[str] = []
            for index, device_id in enumerate(targets):
                label = self._name_of(device_id)
                attempted.append(device_id)
                try:
                    if arming:
                        outcomes.extend(await self._clear_open_zones(device_id, label, what, force, timer))
                        if outcomes and not outcomes[-1][1].result.ok:
                            break
                    outcome = await self._command(
                        device_id,
                        AP2,
                        "RequestArmMode",
                        {"State": state, "PINCode": pin},
                        what,
                        timer,
                        checked=(arming and not fresh) or index > 0,
                    )
                except OpenZones as exc:
                    if len(targets) == 1:
                        raise
                    # This partition cannot arm; the others still may (a partial result, reported per partition).
                    refused = _Outcome(
                        CommandResult(CommandPhase.FAILED, f"{label} refused: zone open ({', '.join(exc.zones)})"),
                        sent=False,
                        reason=exc,
                        refused=True,
                    )
                    outcomes.append((label, refused))
                    partitions.append(PartitionOutcome(device_id, CommandPhase.FAILED, refused.result.message))
                    continue
                except ProviderError as exc:
                    if not any(o.sent for _, o in outcomes):
                        raise  # nothing reached the Vera: the error says so
                    outcome = _Outcome(
                        CommandResult(CommandPhase.FAILED, f"{what} not sent ({exc.message})"), sent=False, reason=exc
                    )
                if arming and outcome.result.phase is CommandPhase.FAILED and outcome.sent and not outcome.wrong_code:
                    outcome = await self._explain_failed_arm(device_id, outcome)
                outcomes.append((label, outcome))
                partitions.append(_partition_outcome(device_id, outcome))
                if not outcome.sent or outcome.wrong_code:
                    break  # the same PIN or the same fault would meet the rest; say so instead
            skipped = [t for t in targets if t not in attempted]
            partitions.extend(
                PartitionOutcome(t, CommandPhase.NOT_SENT, "not sent: stopped after the failure above") for t in skipped
            )
            fresh_read = False
            if any(o.sent for _, o in outcomes):
                # The devices cached before the command are not the panel's state after it: read again,
                # so the result says what the panel does now (an exit delay, not "disarmed").
                self._cache_time = None
                with contextlib.suppress(ProviderError):
                    await self._refresh_sdata()
                    fresh_read = True
            result = self._conclude(outcomes, [self._name_of(t) for t in skipped], what, timer, tuple(partitions))
            # Without a fresh read the result carries no state: never words from the cache of before.
            return self._with_fresh_state(result, attempted, arming) if fresh_read else result

    def _with_fresh_state(self, result: CommandResult, targets: list[str], arming: bool) -> CommandResult:
        """The result with the state the fresh read shows; an arm still in its exit delay is not settled."""
        if not result.ok or not self._devices:
            return result
        words = []
        delays = []
        confirmed = {p.partition for p in result.partitions if p.phase is CommandPhase.CONFIRMED} or set(targets)
        for device_id in targets:
            if device_id not in confirmed:
                continue
            device = self._devices.get(device_id, {})
            state, _ = partition_state(
                as_text(device.get("armmode")), as_text(device.get("detailedarmmode")), as_text(device.get("alarm"))
            )
            label = self._name_of(device_id)
            if arming and state is PartitionState.ARMING:
                seconds = _delay_seconds(device.get("vendorstatusdata"))
                delay = f"exit delay {seconds} s" if seconds else "exit delay running"
                delays.append(f"{label} arming, {delay}" if len(targets) > 1 else f"arming, {delay}")
                words.append(f"{label}: arming, {delay}" if len(targets) > 1 else f"arming, {delay}")
            else:
                text = state.value.replace("_", " ")
                words.append(f"{label}: {text}" if len(targets) > 1 else text)
        if not words:
            return result
        state_words = "; ".join(words)
        if delays and not result.partial:
            message = f"accepted — {'; '.join(delays)}"
            return dataclasses.replace(result, message=message, state=state_words, settled=False)
        return dataclasses.replace(result, state=result.state or state_words, settled=not delays)

    def _conclude(
        self,
        outcomes: list[tuple[str, _Outcome]],
        skipped: list[str],
        what: str,
        timer: CommandTimeline,
        partitions: tuple[PartitionOutcome, ...],
    ) -> CommandResult:
        """One result from per-partition outcomes (raising the panel's reason when it was the only one)."""
        sent = [o for _, o in outcomes if o.sent]
        if len(outcomes) == 1 and not skipped:
            outcome = outcomes[0][1]
            if outcome.wrong_code:
                raise WrongCode(outcome.result.message, provider=self.name)
            if isinstance(outcome.reason, OpenZones):
                raise outcome.reason
            return timer.result(
                outcome.result.phase, outcome.result.message, partitions=partitions, error=self._reason(outcome.result, [outcome])
            )
        if not any(o.result.ok for _, o in outcomes) and all(o.wrong_code for o in sent) and sent:
            raise WrongCode(sent[0].result.message, provider=self.name)
        phases = [o.result.phase for _, o in outcomes]
        done = [label for label, o in outcomes if o.result.ok]
        if CommandPhase.UNKNOWN in phases:
            phase = CommandPhase.UNKNOWN
        elif done and not skipped and all(o.result.ok or o.refused or (o.sent and not o.wrong_code) for _, o in outcomes):
            # Some partitions did it and the panel (or its open zones) refused the others: a partial
            # result, reported per partition ("House armed; Garage refused: zone open"), not "failed".
            past = "disarmed" if what == "disarm" else "armed"
            parts = [
                f"{label} {past}"
                if o.result.ok
                else (o.result.message if o.refused else f"{label} refused: {_reason_of(o.result.message)}")
                for label, o in outcomes
            ]
            message = "; ".join(parts)
            refusals = [o for _, o in outcomes if not o.result.ok]
            error = next((o.reason for o in refusals if o.reason is not None), None) or CommandRejected(
                "; ".join(o.result.message for o in refusals), provider=self.name
            )
            return timer.result(CommandPhase.CONFIRMED, message, partitions=partitions, error=error)
        elif any(p is not CommandPhase.CONFIRMED for p in phases) or skipped:
            phase = CommandPhase.FAILED
        else:
            phase = CommandPhase.CONFIRMED
        parts = [f"{label}: {o.result.message}" for label, o in outcomes]
        parts.extend(f"{label}: {what} not sent (stopped after the failure above)" for label in skipped)
        message = "; ".join(parts)
        result = CommandResult(phase, message)
        return timer.result(phase, message, partitions=partitions, error=self._reason(result, [o for _, o in outcomes]))

    def _reason(self, result: CommandResult, outcomes: list[_Outcome]) -> ProviderError | None:
        """The typed error behind a FAILED result (`result.error`): the panel's own, else its words."""
        if result.phase is not CommandPhase.FAILED:
            return None
        reason = next((o.reason for o in outcomes if o.reason is not None), None)
        return reason or CommandRejected(result.message, provider=self.name)

    async def _clear_open_zones(
        self, device_id: str, label: str, what: str, force: bool, timer: CommandTimeline
    ) -> list[tuple[str, _Outcome]]:
        """Before arming: refuse with the open zones' names, or (force) bypass them first."""
        device = self._devices.get(device_id, {})
        if as_text(device.get("detailedarmmode")).strip().lower() != "notready":
            return []
        blocking = open_zones_of(self._devices, device_id)
        if not blocking:
            return []  # not ready for a reason we cannot see: let the Vera say why
        names = tuple(self._name_of(z) for z in blocking)
        if not force:
            raise OpenZones(
                f"{label}: cannot {what} with open zones: {', '.join(names)}",
                zones=names,
                can_force=True,
                provider=self.name,
            )
        outcomes = []
        for zone_id in blocking:
            outcome = await self._command(
                zone_id, SS1, "SetArmed", {"newArmedValue": "0"}, f"bypass {self._name_of(zone_id)}", timer, checked=True
            )
            outcomes.append((self._name_of(zone_id), outcome))
            if not outcome.result.ok:
                break
        return outcomes

    async def _explain_failed_arm(self, device_id: str, outcome: _Outcome) -> _Outcome:
        """A failed arm job on a partition that is now NotReady: name the open zones."""
        with contextlib.suppress(ProviderError):
            await self._refresh_sdata()
        detail = as_text(self._devices.get(device_id, {}).get("detailedarmmode")).strip().lower()
        blocking = open_zones_of(self._devices, device_id) if detail in ("notready", "failedtoarm") else []
        if not blocking:
            return outcome
        names = tuple(self._name_of(z) for z in blocking)
        reason = OpenZones(
            f"{outcome.result.message} (open: {', '.join(names)})", zones=names, can_force=True, provider=self.name
        )
        return _Outcome(CommandResult(CommandPhase.FAILED, reason.message), sent=True, reason=reason)

    async def bypass(
        self,
        zone: str,
        on: bool = True,
        *,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult:
        what = "bypass" if on else "unbypass"
        timer = CommandTimeline(what, progress, provider=self.name)
        async with self._guard(f"sending {what}"), timer:
            device_id = await self._device_of(zone, CATEGORY_SENSOR, "zone")
            outcome = await self._command(device_id, SS1, "SetArmed", {"newArmedValue": "0" if on else "1"}, what, timer)
            return timer.result(outcome.result.phase, outcome.result.message)

    async def panic(
        self, kind: str = "police", *, partition: str | None = None, progress: ProgressCallback | None = None
    ) -> CommandResult:
        state = _PANIC_STATE.get(kind.lower())
        if state is None:
            raise NotSupported(f"no {clean_text(kind, 20)!r} panic on Vera (police, fire, medical)", provider=self.name)
        timer = CommandTimeline(f"{kind} panic", progress, provider=self.name)
        async with self._guard("sending a panic alarm"), timer:
            targets = await self._partitions(partition)
            outcome = await self._command(targets[0], AP2, "RequestPanicMode", {"State": state}, f"{kind} panic", timer)
            return timer.result(outcome.result.phase, outcome.result.message)

    async def request_photo(self, zone: str, *, progress: ProgressCallback | None = None) -> CommandResult:
        timer = CommandTimeline("a photo request", progress, provider=self.name)
        async with self._guard("requesting a photo"), timer:
            device_id = await self._device_of(zone, CATEGORY_CAMERA, "camera")
            timer.sending("asking the camera for a picture")
            self._command_sent()
            await self.transport.ready()
            params = {"id": "request_image", "cam": device_id, "res": self.config.photo_quality or "medium"}
            try:
                response = await self._send_once(params, "requesting a photo", self.photo_timeout)
            except LuupAuthRejected as exc:
                await self.transport.renew(self.transport.generation, exc.error)
                raise SessionExpired(
                    f"{self.transport.label} refused the session ({exc.error}); logged in again, ask again"
                ) from None
            except ReplyLost:
                return timer.result(CommandPhase.UNKNOWN, "the camera did not answer in time")
            if response.status_code != 200:
                raise ProtocolError(f"the Vera answered HTTP {response.status_code} to the photo request")
            if not response.content.startswith(b"\xff\xd8"):
                raise CommandRejected(
                    f"the camera sent no picture: {clean_text(response.content[:400].decode('utf-8', 'replace'), 120)}"
                )
            name = as_text(self._devices.get(device_id, {}).get("name")) or "camera"
            photo = Photo(zone=name, time=datetime.now(UTC), jpeg=response.content, provider=self.name)
            return timer.result(CommandPhase.CONFIRMED, "photo received", (photo,))

    def _command_sent(self) -> None:
        """Hook: a command may have changed what the Vera logs (MiOS drops its event cache)."""

    def _name_of(self, device_id: str) -> str:
        return as_text(self._devices.get(device_id, {}).get("name")) or f"device {device_id}"

    async def _partitions(self, partition: str | None) -> list[str]:
        if not self._devices:
            await self._refresh_sdata()
        if partition is not None:
            return [await self._device_of(partition, CATEGORY_PARTITION, "partition")]
        found = [k for k, v in self._devices.items() if _category(v) == CATEGORY_PARTITION]
        if not found:
            raise NotSupported("this Vera has no alarm partition", provider=self.name)
        return sorted(found, key=lambda k: (len(k), k))

    async def _device_of(self, device_id: str, category: int, what: str) -> str:
        """The luup device number for `device_id`: the number itself, the plugin's own
        number (altid "Partition1" / "Zone3" answers to "1" / "3"), or the device's name."""
        if not self._devices:
            await self._refresh_sdata()
        wanted = str(device_id).strip()
        candidates = {k: v for k, v in self._devices.items() if _category(v) == category}
        if wanted in candidates:
            return wanted
        for matches in (
            [k for k, v in candidates.items() if re.sub(r"^[A-Za-z]+", "", as_text(v.get("altid"))) == wanted],
            [k for k, v in candidates.items() if as_text(v.get("name")).casefold() == wanted.casefold()],
        ):
            if len(matches) == 1:
                return matches[0]
        raise CommandRejected(f"this Vera has no {what} {clean_text(device_id, 30)!r}", provider=self.name)

    async def _command(
        self,
        device_id: str,
        service: str,
        action: str,
        arguments: dict[str, str],
        what: str,
        timer: CommandTimeline,
        *,
        checked: bool = False,
    ) -> _Outcome:
        """Send one luup action once, then follow its job to done, failed or unknown.

        Raises only while nothing has reached the Vera (the message says "not sent").
        `checked`: the transport was just used, skip the session check.
        """
        params = {"id": "action", "DeviceNum": device_id, "serviceId": service, "action": action, **arguments}
        self._command_sent()
        await self.transport.ready()
        if not checked and self.clock() - self.transport.last_ok > self.session_check_after:
            await self._read({"id": "alive"}, "checking the session", text=True)
        timer.sending(f"{what}: sent to the Vera")
        try:
            response = await self._send_once(params, what, self.relay_timeout)
        except LuupAuthRejected as exc:
            # The relay turned the request away: nothing reached the Vera.
            with contextlib.suppress(ProviderError):
                await self.transport.renew(self.transport.generation, exc.error)
            raise SessionExpired(f"{self.transport.label} refused the session ({exc.error}); {what} was not sent") from None
        except NotSent as exc:
            exc.message = f"could not reach {self.transport.label}; {what} was not sent ({exc.message})"
            raise
        except ReplyLost:
            self._reset_long_poll()
            return _Outcome(CommandResult(CommandPhase.UNKNOWN, f"{what}: no answer from {self.transport.label}; {_REREAD}"))
        except ProtocolError as exc:  # e.g. an oversized reply: the action was delivered
            return _Outcome(CommandResult(CommandPhase.UNKNOWN, f"{what}: {exc.message}; {_REREAD}"))
        if response.status_code >= 500:
            return _Outcome(
                CommandResult(CommandPhase.UNKNOWN, f"{what}: the Vera answered HTTP {response.status_code}; {_REREAD}")
            )
        if response.status_code != 200:
            return _Outcome(
                CommandResult(
                    CommandPhase.UNKNOWN, f"{what}: {self.transport.label} answered HTTP {response.status_code}; {_REREAD}"
                )
            )
        try:
            job = parse_action_reply(response.text)
        except CommandRejected as exc:  # "ERROR: ..." from luup: the Vera refused it outright
            return _Outcome(
                CommandResult(CommandPhase.FAILED, f"{what} refused: {exc.message}"),
                wrong_code=bool(_PIN_WORDS.search(exc.message)),
            )
        except ProviderError as exc:
            return _Outcome(CommandResult(CommandPhase.UNKNOWN, f"{what}: unreadable answer ({exc.message}); {_REREAD}"))
        if job is None:
            return _Outcome(CommandResult(CommandPhase.CONFIRMED, f"{what}: accepted"))
        return await self._follow_job(job, device_id, what, timer)

    async def _follow_job(self, job: str, device_id: str, what: str, timer: CommandTimeline) -> _Outcome:
        """Follow the luup job on the core's `CommandTimeline.follow` (never re-sending the action)."""
        timer.accepted(f"{what}: job {job} running")
        refusal: list[str] = []

        async def check() -> CommandResult | None:
            status = parse_jobstatus(await self._read({"id": "jobstatus", "job": job}, "following the job", retries=0))
            if status == JOB_NONE:  # the Vera forgot the job: the device's own job state tells
                await self._refresh_sdata()
                status = _as_job_state(self._devices.get(device_id, {}).get("state"))
            if status == JOB_DONE:
                return CommandResult(CommandPhase.CONFIRMED, f"{what}: done")
            if status in (JOB_ERROR, JOB_ABORTED):
                comment = await self._device_comment(device_id)
                refusal.append(comment or "the panel reported an error")
                return CommandResult(CommandPhase.FAILED, f"{what} failed: {refusal[0]}")
            return None

        result = await timer.follow(
            check,
            deadline=self.job_timeout,
            interval=self.job_poll_interval,
            what=what,
            transient=(ProviderError,),  # a failed poll is only a missed look; the job goes on
        )
        if result.phase is CommandPhase.UNKNOWN:
            return _Outcome(
                CommandResult(CommandPhase.UNKNOWN, f"{what}: no confirmation within {self.job_timeout:.0f} s; {_REREAD}")
            )
        return _Outcome(result, wrong_code=bool(refusal and _PIN_WORDS.search(refusal[0])))

    async def _device_comment(self, device_id: str) -> str:
        try:
            await self._refresh_sdata()
        except ProviderError:
            return ""
        return as_text(self._devices.get(device_id, {}).get("comment"))


def _reason_of(message: str) -> str:
    """ "arm away failed: Not ready (open: Garage Door)" → "Not ready (open: Garage Door)"."""
    return message.split(": ", 1)[1] if " failed: " in message or " refused: " in message else message


def _delay_seconds(value: object) -> int | None:
    """Seconds left in a delay, where a plugin puts them in VendorStatusData; None otherwise."""
    text = as_text(value).strip()
    return int(text) if text.isdigit() and 0 < int(text) < 3600 else None


def _partition_outcome(device_id: str, outcome: _Outcome) -> PartitionOutcome:
    phase = outcome.result.phase if outcome.sent else CommandPhase.NOT_SENT
    return PartitionOutcome(device_id, phase, outcome.result.message)


def _as_job_state(value: object) -> int:
    try:
        return as_int(value, "state")
    except ProtocolError:
        return JOB_NONE
