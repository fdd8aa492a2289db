"""Securitas Direct / Verisure Europe through the live OWA GraphQL API.

The protocol is in `shared/protocols/securitas-owa.md`. Routine polls read the
cloud's cached status (`xSStatus`, one request); `snapshot(refresh=True)` wakes
the panel (`CheckAlarm` + polls), which Securitas only wants on request. A
command is submitted once and polled every 2 s to its deadline; past it the
outcome is UNKNOWN and nothing is sent again. Open zones raise `OpenZones`
with their names; `arm(..., force=True)` arms anyway (`forceArmingRemoteId`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from alarmtui.providers.base import Provider, events_since
from alarmtui.providers.commands import CommandTimeline, ProgressCallback
from alarmtui.providers.errors import (
    AuthenticationFailed,
    CommandRejected,
    ConnectionFailed,
    NotSent,
    NotSupported,
    OpenZones,
    PanelBusy,
    PanelOffline,
    PanelUnavailable,
    ProtocolError,
    ProviderError,
    RateLimited,
    SessionExpired,
    TwoFactorRequired,
)
from alarmtui.providers.http import translate_errors
from alarmtui.providers.securitas import mapping, parse
from alarmtui.providers.securitas.client import (
    AccountBlocked,
    OwaClient,
    Pacing,
    WrongOneTimeCode,
)
from alarmtui.providers.securitas.mapping import Axes, humanize
from alarmtui.providers.securitas.store import OWN_CHECKS_KEPT, TokenStore

if TYPE_CHECKING:
    from alarmtui.settings import SecuritasConfig

log = logging.getLogger(__name__)

BASE_CAPABILITIES = frozenset(
    {Capability.ARM_AWAY, Capability.ARM_HOME, Capability.ARM_NIGHT, Capability.DISARM, Capability.EVENTS}
)
FORCE_CONTEXT_TTL = 180.0  # the primary client's _FORCE_ARM_TTL; server-side validity unknown (§13.11)
PAGE_ROWS = 30
"""Timeline rows per page: what the primary client asks for (§6)."""
BACKFILL_MAX_PAGES = 34
"""A back-fill reads at most this many pages (about 1,000 rows, 68 s at the default 2 s gap), once per start."""
FOLLOW_TRANSIENT: tuple[type[ProviderError], ...] = (ConnectionFailed, PanelBusy, ProtocolError, SessionExpired)
"""Failures of one poll that do not end following an operation: the panel has it, poll again (never re-send)."""


@dataclass(frozen=True, slots=True)
class _ForceContext:
    request: str
    reference_id: str
    suid: str
    zones: tuple[str, ...]
    at: float


class SecuritasProvider(Provider):
    """One Securitas/Verisure OWA account and one of its installations (the config's, else the first)."""

    kind = "securitas"

    def __init__(
        self,
        config: SecuritasConfig,
        *,
        pacing: Pacing | None = None,
        state_directory: Path | None = None,
        store: TokenStore | None = None,
        activity_cache: float = 55.0,
        http_timeout: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(config)
        self.config: SecuritasConfig = config
        self.state_directory = state_directory
        self._clock = clock
        self.store = store or TokenStore.for_provider(config.name, config.username, state_directory)
        if pacing is None:
            gap = config.request_gap
            pacing = Pacing(min_gap=gap, poll_interval=gap, photo_interval=max(2.5 * gap, 0.5))
        self.client = OwaClient(config, self.requests, self.store, pacing=pacing, http_timeout_s=http_timeout, clock=clock)
        self.login_gate = self.client.gate
        self.activity_cache = activity_cache
        """events() and snapshot() share one timeline read within this many seconds (§9: 60 s)."""
        self.installation: parse.Installation | None = None
        self.installations: list[parse.Installation] = []
        self.devices: list[parse.Device] = []
        self.devices_problem = ""
        """Why the (optional) device list could not be read, "" when it could: zones and cameras are off meanwhile."""
        self.alias = ""
        self._connected = False
        self._proto = ""
        self._proto_words = ""
        self._open_zones: tuple[str, ...] = ()
        self._activity: dict[str, parse.ActivityRow] = {}
        self._activity_at = -1e18
        self._activity_complete = False
        self._force: _ForceContext | None = None
        self._zone = mapping.country_zone(config.country)
        self._lock = asyncio.Lock()
        """One panel operation at a time for this installation (pitfall 2)."""

    def __repr__(self) -> str:
        return f"<SecuritasProvider {self.name!r} country={self.config.country} installation={self.config.installation or '?'}>"

    @property
    def pacing(self) -> Pacing:
        return self.client.pacing

    # ------------------------------------------------------------------ lifecycle

    async def connect(self) -> None:
        """Log in (or renew), pick the installation, load its services and devices."""
        async with translate_errors(self.name, "connecting"):
            await self.client.ensure_session()
            installations = await self.client.installations()
            if not installations:
                raise CommandRejected("this account has no installations", provider=self.name)
            self.installations = installations
            wanted = self.config.installation
            chosen = installations[0]
            if wanted:
                match = next((i for i in installations if i.numinst == wanted), None)
                if match is None:
                    numbers = ", ".join(i.numinst for i in installations)
                    raise CommandRejected(
                        f"installation {wanted} is not on this account (it has {numbers})",
                        provider=self.name,
                        hint="Fix `installation` in the config file.",
                    )
                chosen = match
            self.installation = chosen
            self.client.select(chosen)
            services = await self.client.load_services()
            self.alias = services.alias or chosen.alias
            await self._read_devices()
            self._connected = True

    async def _read_devices(self) -> None:
        """The device list is optional (zones, cameras): a failure turns those off with a notice (§14.6)."""
        try:
            self.devices = parse.parse_devices(
                await self.client.call("xSDeviceList", {"numinst": self.numinst, "panel": self.client.panel})
            )
            self.devices_problem = ""
        except NotSupported:
            self.devices, self.devices_problem = [], ""  # err 6: no device rights on this installation
        except (AuthenticationFailed, RateLimited, NotSent):
            raise  # not about the device list: the account or the network
        except ProviderError as exc:
            log.info("%s: the device list could not be read (%s); zones and cameras are off for now", self.name, exc)
            self.devices_problem = exc.message

    async def close(self) -> None:
        # No Logout: the real app never sends it and it may revoke the refresh token (§13.3).
        self._connected = False
        await self.client.aclose()

    # ------------------------------------------------------------------ two-factor device validation

    @property
    def two_factor_phones(self) -> tuple[tuple[str, str], ...]:
        return self.client.phones

    async def send_verification_code(self, phone_id: str) -> str:
        """Text a one-time code to the phone `phone_id` (from `TwoFactorRequired.phones`); returns the server's words."""
        async with translate_errors(self.name, "sending the verification code"):
            return clean_text(await self.client.send_code(phone_id))

    async def verify_device(self, code: str) -> None:
        """Validate this device with the code the person typed; it is not asked again afterwards."""
        async with translate_errors(self.name, "validating this device"):
            await self.client.validate_code(code)

    # ------------------------------------------------------------------ reads

    @property
    def numinst(self) -> str:
        assert self.installation is not None
        return self.installation.numinst

    @property
    def _own_checks(self) -> list[datetime]:
        """When alarmtui's own CheckAlarms were sent (kept with the device identity, so a back-fill
        after a restart still knows the previous run's): their "Alarm Status Request" rows are not news."""
        checks = []
        for value in self.client.state.own_checks:
            try:
                when = datetime.fromisoformat(value)
            except ValueError:
                continue
            checks.append(when if when.tzinfo is not None else when.replace(tzinfo=UTC))
        return checks

    def _note_own_check(self, when: datetime) -> None:
        state = self.client.state
        state.own_checks = [*state.own_checks[-(OWN_CHECKS_KEPT - 1) :], when.isoformat()]
        try:
            self.store.save(state)
        except OSError as exc:  # the check itself matters more than remembering it
            log.warning("%s: could not save the state file (%s)", self.name, type(exc).__name__)

    def _note_proto(self, letter: str) -> None:
        self._proto = letter
        self._proto_words = mapping.proto_state(letter)[1]

    async def check_panel(self) -> str:
        """CheckAlarm + CheckAlarmStatus: the panel's own answer (wakes it; leaves an activity row)."""
        async with self._lock:
            await self.client.ensure_session(self.pacing.operation_margin)
            self._note_own_check(datetime.now(UTC))
            submit = parse.parse_submit(
                await self.client.call("CheckAlarm", {"numinst": self.numinst, "panel": self.client.panel})
            )
            if submit.res not in ("OK", "WAIT") or not submit.reference_id:
                raise PanelUnavailable(f"the status request was refused ({submit.msg or submit.res})", provider=self.name)
            reply = await self._follow_read(
                "CheckAlarmStatus",
                {"numinst": self.numinst, "panel": self.client.panel, "referenceId": submit.reference_id, "idService": "11"},
                done=lambda v: not parse.parse_poll(v).waiting,
                counter=False,
            )
        if reply is None:
            raise PanelUnavailable(f"the panel did not answer within {self.pacing.poll_timeout:.0f} s", provider=self.name)
        poll = parse.parse_poll(reply)
        if "no_response" in poll.msg:
            raise PanelOffline(f"the panel does not answer ({humanize(poll.msg)})", provider=self.name)
        if poll.res != "OK" or not poll.proto:
            raise PanelUnavailable(f"the panel could not report its state ({humanize(poll.msg) or poll.res})", provider=self.name)
        self._note_proto(poll.proto)
        self._activity_at = -1e18  # its own activity row is new
        return poll.proto

    async def _follow_read(
        self,
        operation: str,
        variables: dict[str, Any],
        *,
        done: Callable[[Any], bool],
        counter: bool = True,
        interval: float | None = None,
        timeout: float | None = None,
    ) -> Any | None:
        """Poll the second step of a two-step read on the shared follow loop; its reply, or None past the deadline."""
        follower = CommandTimeline(f"waiting for {operation}", provider=self.name, clock=self._clock)
        replies: list[Any] = []
        count = 0

        async def check() -> CommandResult | None:
            nonlocal count
            count += 1
            payload = {**variables, "counter": count} if counter else dict(variables)
            async with translate_errors(self.name, f"waiting for {operation}"):
                value = await self.client.call(operation, payload, margin=0.0)
                if not done(value):
                    return None
            replies.append(value)
            return follower.confirmed()

        await follower.follow(
            check,
            deadline=self.pacing.poll_timeout if timeout is None else timeout,
            interval=self.pacing.poll_interval if interval is None else interval,
            transient=FOLLOW_TRANSIENT,
        )
        return replies[0] if replies else None

    async def cached_status(self) -> parse.CachedStatus:
        status = parse.parse_status(await self.client.call("Status", {"numinst": self.numinst}))
        self._note_proto(status.status)
        self._open_zones = tuple(e.alias for e in status.exceptions if e.status == "0" and e.alias)
        return status

    async def snapshot(self, *, refresh: bool = False) -> Snapshot:
        async with translate_errors(self.name, "reading the status"):
            await self._ensure_connected()
            online, note = True, ""
            if refresh:
                try:
                    await self.check_panel()
                except PanelUnavailable as exc:
                    note = exc.message
                    online = not isinstance(exc, PanelOffline)
                    await self.cached_status()  # show what the cloud knows, and say why the panel did not answer
            else:
                await self.cached_status()
            if refresh and self.devices_problem:
                await self._read_devices()  # an explicit refresh tries the optional device list again
            return Snapshot(
                partitions=(self._partition(),),
                zones=self._zones(),
                troubles=self._troubles(),
                capabilities=self.capabilities,
                panel_name=self.alias,
                online=online,
                detail=note,
                fetched_at=datetime.now(UTC),
            )

    def _partition(self) -> Partition:
        state, words = mapping.proto_state(self._proto)
        latest = self._latest(mapping.ALARM_TYPES | mapping.DISARM_TYPES | mapping.ARM_TYPES)
        alarm_zone = None
        if latest is not None and latest.type in mapping.ALARM_TYPES and state.is_armed:
            state, alarm_zone = PartitionState.TRIGGERED, latest.device_name or None
            words = f"alarm: {clean_text(latest.alias)} ({words})"
        return Partition(
            id=self.numinst,
            name=clean_text(self.alias or self.numinst),
            state=state,
            detail=words,
            ready=None if not self._open_zones else False,
            open_zones=tuple(clean_text(z) for z in self._open_zones),
            alarm_zone=alarm_zone,
        )

    def _latest(self, types: frozenset[int]) -> parse.ActivityRow | None:
        rows = [r for r in self._activity.values() if r.type in types]
        if not rows:
            return None
        return max(rows, key=lambda r: (r.time, _signal_order(r.id_signal)))

    def _troubles(self) -> tuple[Trouble, ...]:
        troubles = []
        pairs = (
            (frozenset({mapping.POWER_CUT}), frozenset({mapping.POWER_BACK}), TroubleKind.POWER, "Mains power lost"),
            (mapping.COMM_FAILED, frozenset({mapping.COMM_BACK}), TroubleKind.COMMUNICATION, "Communication failure"),
        )
        for raised, cleared, kind, words in pairs:
            latest = self._latest(raised | cleared)
            if latest is not None and latest.type in raised:
                since = self._time(latest.time)
                troubles.append(Trouble(f"{kind.value}:{latest.id_signal}", kind, clean_text(latest.alias or words), since=since))
        if self.devices_problem:
            troubles.append(
                Trouble(
                    "securitas:device-list",
                    TroubleKind.OTHER,
                    f"the device list could not be read ({self.devices_problem}); zones and cameras are not shown",
                )
            )
        return tuple(troubles)

    def _zones(self) -> tuple[Zone, ...]:
        zones = []
        for device in self.devices:
            kind = mapping.zone_kind(device.type)
            zones.append(
                Zone(
                    id=device.id,
                    name=clean_text(device.name or f"{device.type} {device.code}"),
                    kind=kind,
                    camera=kind is ZoneKind.CAMERA,
                    partitions=(self.numinst,),
                    detail=clean_text(device.type),
                )
            )
        return tuple(zones)

    @property
    def capabilities(self) -> frozenset[Capability]:
        caps = set(BASE_CAPABILITIES)
        codes = set(self.client.capability_codes)
        services = self.client.services
        if "PERI" in codes or (services is not None and services.has_perimeter):
            caps.add(Capability.ARM_PERIMETER)
        if any(d.type in parse.CAMERA_TYPES and d.active for d in self.devices):
            caps.add(Capability.PHOTO)
        return frozenset(caps)

    # ------------------------------------------------------------------ activity timeline

    async def _read_activity(self, limit: int) -> list[parse.ActivityRow]:
        """Newest page first; older pages only until `limit` rows are known (de-duplicated by idSignal)."""
        if self._clock() - self._activity_at < self.activity_cache and (self._activity_complete or len(self._activity) >= limit):
            return self._sorted_activity()
        offset = 0
        while True:
            rows = await self._timeline_page(offset)
            known = sum(1 for r in rows if r.id_signal in self._activity)
            for row in rows:
                self._activity[row.id_signal] = row
            if len(rows) < PAGE_ROWS:
                self._activity_complete = True
                break
            if known or len(self._activity) >= limit:
                break  # the rest is already known, or enough for the caller
            offset += PAGE_ROWS
        self._activity_at = self._clock()
        ordered = self._sorted_activity()
        for stale in ordered[max(limit, 500) :]:
            self._activity.pop(stale.id_signal, None)
        return self._sorted_activity()

    def _sorted_activity(self) -> list[parse.ActivityRow]:
        # No source settles the server's order (§13.13): sort ourselves, newest first.
        return sorted(self._activity.values(), key=lambda r: (r.time, _signal_order(r.id_signal)), reverse=True)

    async def events(self, limit: int = 100) -> list[Event]:
        async with translate_errors(self.name, "reading the activity log"):
            await self._ensure_connected()
            return self._events(await self._read_activity(limit))[:limit]

    async def events_since(self, since: datetime | None, limit: int = 1000) -> list[Event]:
        """The timeline back to `since`: pages of `PAGE_ROWS`, paced like every request, at most `limit` rows.

        Stops at the first page that reaches back before `since`, at a short page, or after
        `BACKFILL_MAX_PAGES`. The server's row order is unknown (§13.13): a page "reaches back"
        when its oldest row is older than `since`.
        """
        async with translate_errors(self.name, "reading the activity log"):
            await self._ensure_connected()
            start = since.replace(tzinfo=UTC) if since is not None and since.tzinfo is None else since
            rows: dict[str, parse.ActivityRow] = {}
            pages = min(BACKFILL_MAX_PAGES, -(-max(1, limit) // PAGE_ROWS) + 1)
            for page in range(pages):
                found = await self._timeline_page(page * PAGE_ROWS)
                for row in found:
                    rows.setdefault(row.id_signal, row)
                times = [t for r in found if (t := self._time(r.time)) is not None]
                if len(found) < PAGE_ROWS or (start is not None and times and min(times) < start):
                    break
            ordered = sorted(rows.values(), key=lambda r: (r.time, _signal_order(r.id_signal)), reverse=True)
            return events_since(self._events(ordered), since, limit)

    async def _timeline_page(self, offset: int) -> list[parse.ActivityRow]:
        return parse.parse_activity(
            await self.client.call(
                "ActV2Timeline",
                {
                    "numinst": self.numinst,
                    "panel": self.client.panel,
                    "numRows": PAGE_ROWS,
                    "offset": offset,
                    "timeFilter": "LASTMONTH",
                },
            )
        )

    def _events(self, rows: list[parse.ActivityRow]) -> list[Event]:
        """Rows as events, in their order; the status requests alarmtui itself caused are left out."""
        pairs = [(row, self._event(row)) for row in rows]
        own = mapping.own_status_checks(((r.id_signal, r.type, e.time if e else None) for r, e in pairs), self._own_checks)
        return [event for row, event in pairs if event is not None and row.id_signal not in own]

    def _time(self, value: str) -> datetime | None:
        try:
            return mapping.parse_time(value, self._zone)
        except ValueError:
            return None

    def _event(self, row: parse.ActivityRow) -> Event | None:
        when = self._time(row.time)
        if when is None:
            return None
        kind = mapping.activity_kind(row.type)
        text = row.alias or f"activity {row.type}"
        if kind is None:
            kind = EventKind.SYSTEM
            text = f"{text} (activity type {row.type})"
        if row.exceptions:
            names = ", ".join(f"{e.alias} ({mapping.exception_words(e.status)})" for e in row.exceptions if e.alias)
            if names:
                text = f"{text}: {names}"
        who = row.user
        if row.source:
            who = f"{who} ({row.source})" if who else row.source
        photo_ref = f"{row.id_signal}:{row.signal_type or row.type}" if row.img else ""
        return Event(
            id=row.id_signal,
            time=when,
            kind=kind,
            text=clean_text(text),
            who=clean_text(who),
            zone=clean_text(row.device_name),
            partition=self.numinst,
            provider=self.name,
            photo_ref=photo_ref,
        )

    # ------------------------------------------------------------------ commands

    def _check_partition(self, partition: str | None) -> None:
        if partition is None or partition == self.numinst:
            return
        raise CommandRejected(f"no partition {partition!r}: a Securitas installation is one partition", provider=self.name)

    async def arm(
        self,
        mode: ArmMode,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
        force: bool = False,
    ) -> CommandResult:
        timeline = CommandTimeline(f"arm {mode}", progress, provider=self.name, clock=self._clock)
        try:
            async with timeline:
                async with translate_errors(self.name, f"arming {mode}"):
                    await self._ensure_connected()
                    self._check_partition(partition)
                    if mode is ArmMode.PERIMETER and Capability.ARM_PERIMETER not in self.capabilities:
                        raise NotSupported("this installation has no perimeter", provider=self.name)
                    current = mapping.proto_axes(self._proto)
                    if current is None and self._proto:
                        raise CommandRejected(
                            f"the panel reports an unknown state ({self._proto!r}); disarm first or refresh", provider=self.name
                        )
                target = mapping.arm_target(mode, current)
                requests = mapping.arm_requests(target)
                context = self._force if force else None
                if context is not None and (context.request not in requests or self._clock() - context.at > FORCE_CONTEXT_TTL):
                    context = None
                if context is not None:
                    return await self._operate("arm", context.request, target, timeline, force=context)
                try:
                    return await self._with_alternatives("arm", requests, target, timeline)
                except OpenZones as exc:
                    if not (force and exc.can_force and self._force is not None):
                        raise
                    timeline.report(CommandPhase.SENT, f"arming anyway with {', '.join(exc.zones) or 'zones'} open")
                    return await self._operate("arm", self._force.request, target, timeline, force=self._force)
        except ProviderError as exc:
            return timeline.settle(exc)
        raise AssertionError("unreachable")  # pragma: no cover  (the timeline re-raises)

    async def disarm(
        self,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult:
        timeline = CommandTimeline("disarm", progress, provider=self.name, clock=self._clock)
        try:
            async with timeline:
                async with translate_errors(self.name, "disarming"):
                    await self._ensure_connected()
                    self._check_partition(partition)
                requests = mapping.disarm_requests(mapping.proto_axes(self._proto), self.client.panel)
                return await self._with_alternatives("disarm", requests, Axes(), timeline)
        except ProviderError as exc:
            return timeline.settle(exc)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _with_alternatives(
        self, action: str, requests: tuple[str, ...], target: Axes, timeline: CommandTimeline
    ) -> CommandResult:
        """Try request codes in order; only a refusal at submit (never reached the panel) moves to the next."""
        for index, request in enumerate(requests):
            try:
                return await self._operate(action, request, target, timeline)
            except NotSupported:
                if index == len(requests) - 1:
                    raise
                log.info("%s: %s not accepted by this panel; trying %s", self.name, request, requests[index + 1])
        raise NotSupported(f"no way to {action} on this panel", provider=self.name)

    async def _operate(
        self, action: str, request: str, target: Axes, timeline: CommandTimeline, *, force: _ForceContext | None = None
    ) -> CommandResult:
        """Submit `request` once, then follow it on the shared timeline (`CommandTimeline.follow`)."""
        submit_op, poll_op = ("xSArmPanel", "ArmStatus") if action == "arm" else ("xSDisarmPanel", "DisarmStatus")
        base = {"request": request, "numinst": self.numinst, "panel": self.client.panel}
        submit_vars: dict[str, Any] = {**base, "currentStatus": self._proto}
        poll_vars: dict[str, Any] = (
            {**base, "currentStatus": self._proto} if action == "disarm" else {**base, "armAndLock": False}
        )
        if action == "arm":
            submit_vars["armAndLock"] = False
        if force is not None:
            submit_vars.update(forceArmingRemoteId=force.reference_id, suid=force.suid)
            poll_vars["forceArmingRemoteId"] = force.reference_id
            self._force = None  # used once
        async with self._lock:
            async with translate_errors(self.name, f"preparing {request}"):
                await self.client.ensure_session(self.pacing.operation_margin)
            timeline.sending(f"sending {request}")
            self._activity_at = -1e18  # from now on the timeline may hold news
            async with translate_errors(self.name, f"sending {request}"):
                submit = parse.parse_submit(await self.client.call(submit_op, submit_vars, retry_expired=False))
            if submit.res != "OK":
                raise CommandRejected(humanize(submit.msg) or f"{request} refused ({submit.res})", provider=self.name)
            if not submit.reference_id:
                # Taken, but nothing to follow it by: never "failed" — say so and read the panel's state.
                return await self._unknown_then_state(timeline, f"the server took {request} without a reference to follow it")
            timeline.accepted(humanize(submit.msg) or "waiting for the panel")
            poll_vars["referenceId"] = submit.reference_id
            counter = 0

            async def check() -> CommandResult | None:
                nonlocal counter
                counter += 1
                async with translate_errors(self.name, f"waiting for {poll_op}"):
                    poll = parse.parse_poll(await self.client.call(poll_op, {**poll_vars, "counter": counter}, margin=0.0))
                if poll.waiting:
                    timeline.report(CommandPhase.WAITING, humanize(poll.msg) or "waiting for the panel")
                    return None
                return await self._outcome(action, request, target, timeline, poll, submit.reference_id)

            return await timeline.follow(
                check,
                deadline=self.pacing.poll_timeout,
                interval=self.pacing.poll_interval,
                what=request,
                transient=FOLLOW_TRANSIENT,
            )

    async def _outcome(
        self, action: str, request: str, target: Axes, timeline: CommandTimeline, poll: parse.PollReply, reference_id: str
    ) -> CommandResult:
        if poll.res == "OK":
            if poll.proto:
                self._note_proto(poll.proto)
            _, words = mapping.proto_state(poll.proto)
            if poll.proto and not mapping.reached(target, poll.proto):
                return timeline.failed(f"{request}: the panel reports {words}")
            if action == "arm":
                delay = self._exit_delay()
                if delay:  # armed by the vendor's word, but the panel is still counting down
                    return timeline.arming(clean_text(self.alias or self.numinst), delay)
                return timeline.confirmed(mapping.describe(target))
            return timeline.confirmed("disarmed")
        error = poll.error
        if action == "arm" and error is not None and error.type in ("NON_BLOCKING", "ZONE"):
            zones = await self._exceptions(error)
            if error.allow_forcing:
                self._force = _ForceContext(request, error.reference_id or reference_id, error.suid, zones, self._clock())
            names = ", ".join(zones) or f"{error.exceptions_number} zone(s)"
            raise OpenZones(
                f"cannot arm: {names} open" + ("" if error.allow_forcing else " (cannot be forced)"),
                zones=zones,
                can_force=error.allow_forcing,
                provider=self.name,
                vendor_code=error.code or None,
            )
        message = humanize(poll.msg) or poll.res or "no answer"
        if (error is not None and error.type == "TECHNICAL_ERROR") or "no_response" in poll.msg:
            return timeline.unknown(f"{message}; the command may still have been carried out — re-read the state")
        return timeline.failed(message)

    def _exit_delay(self) -> int:
        """The panel's exit delay in seconds from its services' timing options (§3.2), 0 when unknown."""
        services = self.client.services
        return services.exit_delay if services is not None else 0

    async def _unknown_then_state(self, timeline: CommandTimeline, why: str) -> CommandResult:
        """The command may have been carried out but cannot be followed: UNKNOWN, with the state the cloud reports now."""
        try:
            async with translate_errors(self.name, "reading the state"):
                await self.cached_status()
        except ProviderError as exc:
            return timeline.unknown(f"{why}; outcome unknown — re-reading (the state could not be read: {exc.message})")
        _, words = mapping.proto_state(self._proto)
        return timeline.unknown(f"{why}; outcome unknown — re-reading: the panel reports {words} for now")

    async def _exceptions(self, error: parse.OperationError) -> tuple[str, ...]:
        """xSGetExceptions (WAIT, then the list): the names of the open zones."""
        try:
            reply = await self._follow_read(
                "xSGetExceptions",
                {"numinst": self.numinst, "panel": self.client.panel, "referenceId": error.reference_id, "suid": error.suid},
                done=lambda v: parse.parse_exceptions(v).res != "WAIT",
                timeout=min(self.pacing.poll_timeout, 30.0),
            )
        except ProviderError as exc:
            log.info("%s: could not list the open zones (%s)", self.name, exc)
            return ()
        if reply is None:
            return ()
        return tuple(clean_text(e.alias) for e in parse.parse_exceptions(reply).exceptions if e.alias)

    # ------------------------------------------------------------------ photos

    def _camera(self, zone: str) -> parse.Device:
        device = next((d for d in self.devices if zone in (d.id, d.name)), None)
        if device is None:
            raise CommandRejected(f"no device {zone!r} in this installation", provider=self.name)
        if device.type not in parse.CAMERA_TYPES:
            raise NotSupported(f"{device.name or zone} has no camera", provider=self.name)
        return device

    def _zone_id(self, device: parse.Device) -> str:
        return device.zone_id or f"{device.type}{int(device.code):02d}" if device.code.isdigit() else device.zone_id

    async def _thumbnail(self, device: parse.Device) -> parse.Thumbnail:
        return await asyncio.to_thread(  # a base64 picture: decoded off the loop (see `_full_images`)
            parse.parse_thumbnail,
            await self.client.call(
                "mkGetThumbnail",
                {
                    "numinst": self.numinst,
                    "panel": self.client.panel,
                    "device": device.type,
                    "zoneId": self._zone_id(device),
                    "idSignal": None,
                },
            ),
        )

    async def request_photo(self, zone: str, *, progress: ProgressCallback | None = None) -> CommandResult:
        """Baseline thumbnail, RequestImages, follow its status, then the new thumbnail's full images."""
        timeline = CommandTimeline("photo", progress, provider=self.name, clock=self._clock)
        try:
            async with timeline:
                return await self._run_photo(timeline, zone)
        except ProviderError as exc:
            return timeline.settle(exc)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _run_photo(self, timeline: CommandTimeline, zone: str) -> CommandResult:
        async with translate_errors(self.name, "requesting photos"):
            await self._ensure_connected()
            device = self._camera(zone)
        async with self._lock:
            async with translate_errors(self.name, "requesting photos"):
                await self.client.ensure_session(self.pacing.operation_margin)
                baseline = await self._thumbnail(device)
            devices = [int(device.code)] if device.code.isdigit() else []
            variables = {
                "numinst": self.numinst,
                "panel": self.client.panel,
                "devices": devices,
                "resolution": 0,
                "mediaType": 1,
                "deviceType": parse.CAMERA_TYPES[device.type],
            }
            timeline.sending("asking the camera")
            async with translate_errors(self.name, "sending RequestImages"):
                submit = parse.parse_submit(await self.client.call("RequestImages", variables, retry_expired=False))
            self.client.note_photo()
            if submit.res != "OK":
                raise CommandRejected(humanize(submit.msg) or "photo request refused", provider=self.name)
            timeline.accepted("the camera is taking pictures")
            reply = await self._follow_read(
                "RequestImagesStatus",
                {"numinst": self.numinst, "panel": self.client.panel, "devices": devices, "referenceId": submit.reference_id},
                done=lambda v: not _photo_waiting(v),
                interval=self.pacing.photo_interval,
                timeout=self.pacing.photo_timeout,
            )
            if reply is None:
                return timeline.unknown("the camera did not finish in time; the photos may still arrive")
            row = parse.require_mapping(reply, "xSRequestImagesStatus")
            if parse.text(row.get("res")) == "ERROR":
                return timeline.failed(humanize(parse.text(row.get("msg"))) or "the camera failed")

            # The thumbnail lags the capture (§7.3): re-read until it is newer than the baseline.
            async def newer() -> CommandResult | None:
                async with translate_errors(self.name, "reading the new thumbnail"):
                    thumbnail = await self._thumbnail(device)
                    if not _newer(thumbnail, baseline):
                        return None
                    photos = await self._full_images(
                        thumbnail.id_signal, thumbnail.signal_type or "16", device.id, thumbnail.timestamp
                    )
                if not photos and thumbnail.image:
                    when = self._time(thumbnail.timestamp) or datetime.now(UTC)
                    photos = [Photo(device.id, when, thumbnail.image, 0, self.name)]
                self._activity_at = -1e18
                return timeline.confirmed(f"{len(photos)} photo(s)", photos=tuple(photos))

            if (early := await newer()) is not None:
                return early
            result = await timeline.follow(newer, deadline=30.0, interval=self.pacing.photo_interval, what="the photos")
            if result.phase is CommandPhase.UNKNOWN:
                return timeline.unknown("the photos were taken but are not available yet")
            return result

    async def _full_images(self, id_signal: str, signal_type: str, zone: str, stamp: str) -> list[Photo]:
        value = await self.client.call(
            "mkGetPhotoImages",
            {"numinst": self.numinst, "idSignal": id_signal, "signalType": signal_type, "panel": self.client.panel},
        )
        when = self._time(stamp) or datetime.now(UTC)
        photos = []
        # Up to 16 MB of base64: decoded in a worker thread, in steps (`parse.decode_image`), never on the loop.
        for photo_set in await asyncio.to_thread(parse.parse_photo_images, value):
            device = next((d for d in self.devices if d.code == photo_set.device_code), None)
            zone_id = device.id if device is not None else zone
            for index, image in enumerate(photo_set.images):
                photos.append(Photo(zone_id, when, image, index, self.name))
        return photos

    async def photos(self, event: Event) -> list[Photo]:
        if not event.photo_ref:
            raise NotSupported("this event has no photos", provider=self.name)
        async with translate_errors(self.name, "fetching photos"):
            await self._ensure_connected()
            id_signal, _, signal_type = event.photo_ref.partition(":")
            zone = next((d.id for d in self.devices if d.name == event.zone), event.zone)
            photos = await self._full_images(id_signal, signal_type or "16", zone, "")
            return [Photo(p.zone, event.time, p.jpeg, p.index, p.provider) for p in photos]


def _newer(thumbnail: parse.Thumbnail, baseline: parse.Thumbnail) -> bool:
    """A new capture: another signal than the baseline's, or a later timestamp (string order, §7.5)."""
    if not thumbnail.id_signal or not thumbnail.timestamp:
        return False
    return thumbnail.id_signal != baseline.id_signal or thumbnail.timestamp > baseline.timestamp


def _photo_waiting(value: Any) -> bool:
    row = parse.require_mapping(value, "xSRequestImagesStatus")
    return parse.text(row.get("res")) == "WAIT" or "processing" in parse.text(row.get("msg")).lower()


def _signal_order(id_signal: str) -> int:
    return int(id_signal) if id_signal.isdigit() else 0


__all__ = ["AccountBlocked", "OwaClient", "Pacing", "SecuritasProvider", "TwoFactorRequired", "WrongOneTimeCode"]
