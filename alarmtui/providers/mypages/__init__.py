"""Verisure My Pages (Sweden, Norway, Denmark, Finland, Belgium, the Netherlands) through its GraphQL API.

The protocol is in `shared/protocols/verisure-mypages.md`. One batched
`/graphql` request per poll reads the arm state, doors and windows, smart
locks, climate sensors, broadband and the newest alarm rows of the event log
(armState has no triggered state, §4.2), plus the event log's first page when
it is due and the cameras on the slow refresh, so a quiet installation costs
about 45 requests an hour with the access-cookie renewals. Commands are sent
once: the mutation's transaction id is polled (`pollArmState` /
`pollLockState`) to a bounded deadline; `STATE_CHANGE_FAILED` with a door or
window open raises `OpenZones` naming them, and `force=True` sends `forceArm`.
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
from alarmtui.domain.command import Command, CommandAction
from alarmtui.domain.text import clean_text
from alarmtui.providers.base import (
    CommandRejected,
    CommandTimeline,
    LoginGate,
    NotSupported,
    OpenZones,
    ProgressCallback,
    Provider,
    ProviderError,
    TwoFactorRequired,
    WrongCode,
    events_since,
    translate_errors,
)
from alarmtui.providers.mypages import mapping, parse
from alarmtui.providers.mypages.client import JarStore, MyPagesClient
from alarmtui.providers.mypages.mapping import AccountBlocked, TooManyCodes

if TYPE_CHECKING:
    from alarmtui.settings import MyPagesConfig

log = logging.getLogger(__name__)

ALARM_ROWS = 5
"""Rows of the alarm-category event-log query every poll carries (in the same batched request)."""
PAGE_ROWS = 15
"""Event-log rows per page: what vsure asks for (§4.4); whether the server allows more is [?]."""
BACKFILL_MAX_PAGES = 40
"""A back-fill reads at most this many pages (600 rows), once per start."""


@dataclass(frozen=True, slots=True)
class Timing:
    """How long commands are followed, and how often (tests shorten these)."""

    poll_interval: float = 1.0
    command_deadline: float = 60.0
    """Arming can take 15–20 s (core PR #90577); past this the outcome is UNKNOWN."""
    photo_deadline: float = 30.0


class MyPagesProvider(Provider):
    """One My Pages account and one of its installations (the config's giid, else the first)."""

    kind = "mypages"

    def __init__(
        self,
        config: MyPagesConfig,
        *,
        state_directory: Path | None = None,
        timing: Timing | None = None,
        http_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(config)
        self.config: MyPagesConfig = config
        self._clock = clock
        self.timing = timing or Timing()
        self.store = JarStore.for_provider(config.name, config.username, state_directory)
        self.client = MyPagesClient(config, self.requests, self.store, http_timeout_s=http_timeout, clock=clock, wall=wall)
        self.gate = LoginGate(self.client.ensure_session, provider=config.name, clock=clock)
        self.login_gate = self.gate
        self.installation: parse.Installation | None = None
        self._arm: parse.ArmState | None = None
        self._doors: list[parse.DoorWindow] = []
        self._locks: list[parse.SmartLock] = []
        self._climates: list[parse.Climate] = []
        self._cameras: list[parse.Camera] = []
        self._cameras_read = False
        self._broadband: parse.Broadband | None = None
        self._log: dict[str, parse.LogRow] = {}
        self._log_at = -1e18
        self._lock = asyncio.Lock()
        """One command at a time for this installation."""

    def __repr__(self) -> str:
        return f"<MyPagesProvider {self.name!r} installation={self.config.installation or '?'}>"

    # ------------------------------------------------------------------ lifecycle

    async def connect(self) -> None:
        async with translate_errors(self.name, "connecting"):
            challenge = self.client.pending_challenge()
            if challenge is not None:
                raise challenge  # waiting for the code: a new login would void it, and costs a request
            try:
                await self.gate.ensure()
            except TwoFactorRequired:
                self.gate.allow_login()  # a challenge is no refused password: no login pause
                raise
            items = await self.client.graphql(
                [parse.operation("fetchAllInstallations", parse.INSTALLATIONS, {"email": self.config.username})],
                what="listing the installations",
            )
            found = parse.parse_installations(items[0])
            if not found:
                raise CommandRejected("this account has no installations", provider=self.name)
            chosen = found[0]
            if self.config.installation:
                match = next((i for i in found if i.giid == self.config.installation), None)
                if match is None:
                    raise CommandRejected(
                        f"installation {self.config.installation} is not on this account (it has "
                        f"{', '.join(i.giid for i in found)})",
                        provider=self.name,
                        hint="Fix `installation` (the giid) in the config file, or leave it out for the first one.",
                    )
                chosen = match
            self.installation = chosen
            code = self.code_for(None)
            if code and chosen.pin_length and len(code) != chosen.pin_length:
                log.warning(
                    "%s: the configured code has %d digits; this installation's have %d", self.name, len(code), chosen.pin_length
                )
            self._connected = True

    def allow_login(self) -> None:
        """The user asked (r, a CLI run): a daily block or a refused password may be tried again now."""
        self.client.allow()
        super().allow_login()

    async def close(self) -> None:
        # No logout: it would end the trusted session the next start relies on (§2.5 revokes the trust).
        self._connected = False
        await self.client.aclose()

    # ------------------------------------------------------------------ two-factor (the same dialog as Securitas)

    @property
    def two_factor_phones(self) -> tuple[tuple[str, str], ...]:
        from alarmtui.providers.mypages.client import PHONES

        return PHONES

    async def send_verification_code(self, phone_id: str) -> str:
        """Ask for a 6-digit code by SMS (`phone`) or e-mail (`email`); never a second one while one is pending."""
        async with translate_errors(self.name, "asking for a verification code"):
            return clean_text(await self.client.request_code(phone_id))

    async def verify_device(self, code: str) -> None:
        """Validate with the typed code and trust this device: later starts log in without a code."""
        async with translate_errors(self.name, "validating this device"):
            await self.client.validate_code(code)
            self.gate.allow_login()

    # ------------------------------------------------------------------ reads

    @property
    def giid(self) -> str:
        assert self.installation is not None
        return self.installation.giid

    def _read_ops(self, *, refresh: bool) -> list[tuple[str, dict[str, Any]]]:
        giid = {"giid": self.giid}
        ops = [
            ("ArmState", parse.operation("ArmState", parse.ARM_STATE, giid)),
            ("DoorWindow", parse.operation("DoorWindow", parse.DOOR_WINDOW, giid)),
            ("SmartLock", parse.operation("SmartLock", parse.SMART_LOCK, giid)),
            ("Climate", parse.operation("Climate", parse.CLIMATE, giid)),
            ("Broadband", parse.operation("Broadband", parse.BROADBAND, giid)),
            ("AlarmLog", self._log_op(0, rows=ALARM_ROWS, categories=mapping.ALARM_CATEGORIES)),
        ]
        if self._clock() - self._log_at >= self.config.events_interval:
            ops.append(("EventLog", self._log_op(0)))
        if refresh or not self._cameras_read:
            ops.append(("Camera", parse.operation("Camera", parse.CAMERA, {**giid, "all": True})))
        return ops

    def _log_op(
        self, offset: int, *, rows: int = PAGE_ROWS, categories: tuple[str, ...] = parse.EVENT_CATEGORIES
    ) -> dict[str, Any]:
        variables = {
            "giid": self.giid,
            "offset": offset,
            "pagesize": rows,
            "eventCategories": list(categories),
            "eventContactIds": [],
            "eventDeviceLabels": [],
            "fromDate": None,
            "toDate": None,
        }
        return parse.operation("EventLog", parse.EVENT_LOG, variables)

    async def snapshot(self, *, refresh: bool = False) -> Snapshot:
        """One batched request: arm state, doors/windows, locks, climate, broadband, the latest alarm events
        (+ the event log, cameras when due)."""
        async with translate_errors(self.name, "reading the status"):
            await self._ensure_connected()
            ops = self._read_ops(refresh=refresh)
            # Only the arm state and the doors are essential; the rest keep their last values if they fail alone.
            optional = frozenset(i for i, (name, _) in enumerate(ops) if name not in ("ArmState", "DoorWindow"))
            items = await self.client.graphql([op for _, op in ops], what="reading the status", optional=optional)
            for index, ((name, _), item) in enumerate(zip(ops, items, strict=True)):
                if index in optional and item.get("errors"):
                    continue  # failed on its own: its last value stays
                self._take(name, item)
            return self._snapshot()

    def _take(self, name: str, item: dict[str, Any]) -> None:
        if name == "ArmState":
            self._arm = parse.parse_arm_state(item)
        elif name == "DoorWindow":
            self._doors = parse.parse_door_windows(item)
        elif name == "SmartLock":
            self._locks = parse.parse_smart_locks(item)
        elif name == "Climate":
            self._climates = parse.parse_climates(item)
        elif name == "Broadband":
            self._broadband = parse.parse_broadband(item)
        elif name == "Camera":
            self._cameras = parse.parse_cameras(item)
            self._cameras_read = True
        elif name == "EventLog":
            self._remember(parse.parse_event_log(item).rows)
            self._log_at = self._clock()
        elif name == "AlarmLog":
            self._remember(parse.parse_event_log(item).rows)  # not the full log: `_log_at` stays

    def _snapshot(self) -> Snapshot:
        offline = self._broadband is not None and self._broadband.connected is False
        detail = ""
        if offline:
            detail = "the panel's broadband connection is down: the state shown is the cloud's last"
        return Snapshot(
            partitions=(self._partition(),),
            zones=self._zones(),
            troubles=self._troubles(),
            capabilities=self.capabilities,
            panel_name=clean_text(self.installation.alias if self.installation else ""),
            online=not offline,
            detail=detail,
            fetched_at=datetime.now(UTC),
            unavailable=self._unavailable(),
        )

    def _open_doors(self) -> list[parse.DoorWindow]:
        return [d for d in self._doors if d.open]

    def _partition(self) -> Partition:
        arm = self._arm
        state, words = mapping.arm_state(arm.status) if arm is not None else (PartitionState.UNKNOWN, "not read yet")
        if arm is not None and arm.name:
            words = f"{words} by {arm.name}" + (f" ({arm.changed_via.lower()})" if arm.changed_via else "")
        alarm = mapping.alarm_in_force(arm.status, arm.date, self._log.values()) if arm is not None else None
        alarm_zones: tuple[str, ...] = ()
        if alarm is not None:
            state = PartitionState.TRIGGERED
            alarm_zones = tuple(clean_text(z) for z in alarm.zones)
            what = ", ".join(mapping.EVENT_WORDS.get(c, c) for c in alarm.categories)
            words = f"alarm: {what} ({words})"
        opened = self._open_doors()
        return Partition(
            id=self.giid,
            name=clean_text(self.installation.alias if self.installation and self.installation.alias else self.giid),
            state=state,
            detail=words,
            ready=(not opened) if self._doors else None,
            open_zones=tuple(_door_name(d) for d in opened),
            alarm_zone=alarm_zones[0] if alarm_zones else None,
            alarm_zones=alarm_zones,
        )

    def _zones(self) -> tuple[Zone, ...]:
        zones: dict[str, Zone] = {}
        parts = (self.giid,)
        for door in self._doors:
            words = " ".join(x for x in (door.kind.lower().replace("_", " "), "wired" if door.wired else "") if x)
            zones[door.label] = Zone(
                id=door.label, name=_door_name(door), kind=ZoneKind.CONTACT, open=door.open, partitions=parts,
                detail=words, reported_at=door.reported,
            )  # fmt: skip
        for lock in self._locks:
            locked = True if lock.status == "LOCKED" else False if lock.status == "UNLOCKED" else None
            by = f" by {lock.user}" if lock.user else ""
            how = f" ({lock.method.lower()})" if lock.method else ""
            state = {True: "locked", False: "unlocked", None: lock.status.lower() or "unknown"}[locked]
            door_open = True if lock.door_state == "OPEN" else False if lock.door_state == "CLOSE" else None
            zones[lock.label] = Zone(
                id=lock.label, name=clean_text(lock.area or lock.label), kind=ZoneKind.LOCK, open=door_open, locked=locked,
                partitions=parts, detail=f"{state}{by}{how}", reported_at=lock.time,
            )  # fmt: skip
        for camera in self._cameras:
            zones.setdefault(
                camera.label,
                Zone(
                    id=camera.label,
                    name=clean_text(camera.area or camera.label),
                    kind=ZoneKind.CAMERA,
                    camera=True,
                    partitions=parts,
                    detail="camera",
                ),
            )
        for climate in self._climates:
            known = zones.get(climate.label)
            if known is not None:  # a door sensor or camera that also measures: one zone
                zones[climate.label] = _with_climate(known, climate)
            else:
                zones[climate.label] = _with_climate(
                    Zone(
                        id=climate.label,
                        name=clean_text(climate.area or climate.label),
                        kind=ZoneKind.CLIMATE,
                        partitions=parts,
                        detail=climate.kind.lower(),
                    ),
                    climate,
                )
        return tuple(zones.values())

    def _troubles(self) -> tuple[Trouble, ...]:
        band = self._broadband
        if band is None or band.connected is not False:
            return ()
        return (Trouble("broadband", TroubleKind.COMMUNICATION, "Broadband connection down", since=band.tested),)

    def _unavailable(self) -> dict[Capability, str]:
        status = self._arm.status if self._arm is not None else ""
        if status == "ARMED_HOME":
            return {Capability.ARM_AWAY: "armed home: Verisure arms away only from disarmed — disarm first, then arm away"}
        if status == "ARMED_AWAY":
            return {Capability.ARM_HOME: "armed away: disarm first, then arm home"}
        return {}

    @property
    def capabilities(self) -> frozenset[Capability]:
        caps = {Capability.ARM_AWAY, Capability.ARM_HOME, Capability.DISARM, Capability.EVENTS}
        if self._locks:
            caps.add(Capability.LOCK)
        if any(c.capture_allowed for c in self._cameras):
            caps.add(Capability.PHOTO)
        return frozenset(caps)

    @property
    def needs_code(self) -> bool:
        return True

    @property
    def code_length(self) -> int | None:
        """The installation's own `pinCodeLength` (verisure-mypages.md §4.1), once it is known."""
        return self.installation.pin_length if self.installation else None

    # ------------------------------------------------------------------ event log

    def _remember(self, rows: tuple[parse.LogRow, ...] | list[parse.LogRow]) -> int:
        """Keep rows by id (a content key when the id is missing, §4.4); returns how many were already known."""
        known = 0
        for row in rows:
            key = _row_key(row)
            if key in self._log:
                known += 1
            self._log[key] = row
        if len(self._log) > 2000:
            for stale in sorted(self._log, key=lambda k: self._log[k].time or datetime.min.replace(tzinfo=UTC))[:500]:
                del self._log[stale]
        return known

    async def _page(self, offset: int) -> parse.LogPage:
        items = await self.client.graphql([self._log_op(offset)], what="reading the event log")
        return parse.parse_event_log(items[0])

    async def events(self, limit: int = 100) -> list[Event]:
        """The event log; read only when the poll's batch has not brought it within `events_interval`."""
        async with translate_errors(self.name, "reading the event log"):
            await self._ensure_connected()
            if self._clock() - self._log_at >= self.config.events_interval:
                offset = 0
                while True:
                    page = await self._page(offset)
                    known = self._remember(page.rows)
                    if not page.more or known or len(page.rows) < PAGE_ROWS or offset + PAGE_ROWS >= limit:
                        break
                    offset += PAGE_ROWS
                self._log_at = self._clock()
            return self._events(self._log.values())[:limit]

    async def events_since(self, since: datetime | None, limit: int = 1000) -> list[Event]:
        """Pages of `PAGE_ROWS` back to `since` (newest first assumed, [?]), at most `BACKFILL_MAX_PAGES`."""
        async with translate_errors(self.name, "reading the event log"):
            await self._ensure_connected()
            start = since.replace(tzinfo=UTC) if since is not None and since.tzinfo is None else since
            rows: list[parse.LogRow] = []
            for index in range(min(BACKFILL_MAX_PAGES, -(-max(1, limit) // PAGE_ROWS) + 1)):
                page = await self._page(index * PAGE_ROWS)
                rows.extend(page.rows)
                times = [r.time for r in page.rows if r.time is not None]
                if not page.more or len(page.rows) < PAGE_ROWS or (start is not None and times and min(times) < start):
                    break
            self._remember(rows)
            return events_since(self._events(rows), since, limit)

    def _events(self, rows: Any) -> list[Event]:
        events = {}
        for row in rows:
            event = self._event(row)
            if event is not None:
                events[event.id] = event
        return sorted(events.values(), key=lambda e: e.time, reverse=True)

    def _event(self, row: parse.LogRow) -> Event | None:
        if row.time is None:
            return None
        kind = mapping.EVENT_KINDS.get(row.category, EventKind.SYSTEM)
        if row.category == "ARM":
            state, words = mapping.arm_state(row.arm_state or "ARMED_AWAY")
            text = words.capitalize() if state is not PartitionState.UNKNOWN else "Armed"
        else:
            text = mapping.EVENT_WORDS.get(row.category) or row.event_type or row.category or "event"
        if row.category == "CLIMATE" and row.climate_value:
            text = f"{text}: {row.climate_value}"
        place = row.area or row.device_label
        if place and kind not in (EventKind.ARM, EventKind.DISARM):
            text = f"{text}: {place}"
        who = row.user
        if row.source and who:
            who = f"{who} ({row.source.lower()})"
        return Event(
            id=_row_key(row),
            time=row.time,
            kind=kind,
            text=clean_text(text),
            who=clean_text(who),
            zone=clean_text(place),
            partition=self.giid,
            provider=self.name,
            photo_ref=row.device_label if row.category == "PICTURE" and row.device_label else "",
        )

    # ------------------------------------------------------------------ commands

    def _code(self, code: str | None, what: str) -> str:
        value = self.code_for(code)
        if not value:
            raise WrongCode(f"{what} needs the alarm code: type it, or set `code` in the config file", provider=self.name)
        length = self.installation.pin_length if self.installation else None
        if length and len(value) != length and what != "locking":
            raise WrongCode(f"the code has {len(value)} digits; this installation's codes have {length}", provider=self.name)
        return value

    def _check_partition(self, partition: str | None) -> None:
        if partition is not None and partition != self.giid:
            raise CommandRejected(f"no partition {partition!r}: a My Pages installation is one partition", provider=self.name)

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
        async with translate_errors(self.name, f"arming {mode}"):
            await self._ensure_connected()
            self._check_partition(partition)
            if mode not in mapping.FUTURE_STATE:
                raise NotSupported(f"My Pages arms away or home only, not {mode}", provider=self.name)
            value = self._code(code, "arming")
            variables = {"giid": self.giid, "code": value, "forceArm": bool(force)}
            op = parse.operation(
                mapping.ARM_OPERATION[mode], parse.ARM_AWAY if mode is ArmMode.AWAY else parse.ARM_HOME, variables
            )
            try:
                return await self._arm_command(timeline, op, mapping.ARM_ROOT[mode], mapping.FUTURE_STATE[mode], force=force)
            except CommandRejected as exc:
                if exc.vendor_code == "VAL_00818":  # the panel's rule, in its words and ours (§5.1, hb#56)
                    exc.message = _already_set(self._arm.status if self._arm is not None else "", mapping.FUTURE_STATE[mode])
                    exc.args = (exc.message,)
                raise

    async def disarm(
        self,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult:
        timeline = CommandTimeline("disarm", progress, provider=self.name, clock=self._clock)
        async with translate_errors(self.name, "disarming"):
            await self._ensure_connected()
            self._check_partition(partition)
            value = self._code(code, "disarming")
            op = parse.operation("disarm", parse.DISARM, {"giid": self.giid, "code": value})
            return await self._arm_command(timeline, op, "armStateDisarm", "DISARMED")

    async def _arm_command(
        self, timeline: CommandTimeline, op: dict[str, Any], root: str, future: str, *, force: bool = False
    ) -> CommandResult:
        async with self._lock:
            try:
                async with timeline:
                    timeline.sending()
                    items = await self.client.graphql([op], what=timeline.what, command=True)
                    transaction = parse.parse_transaction(items[0], root)
                    timeline.accepted("sent; waiting for the panel")
                    self._log_at = -1e18  # the command leaves a log row

                    async def check() -> CommandResult | None:
                        poll = parse.operation(
                            "pollArmState",
                            parse.POLL_ARM_STATE,
                            {"giid": self.giid, "transactionId": transaction, "futureState": future},
                        )
                        result = parse.parse_poll_result(
                            (await self.client.graphql([poll], what="following the command"))[0], "armStateChangePollResult"
                        )
                        if not result:
                            return None
                        if result == "OK":
                            state, words = mapping.arm_state(future)
                            self._arm = parse.ArmState(future, datetime.now(UTC), "", "")
                            return timeline.confirmed(words, state=words + (" (forced)" if force else ""))
                        return await self._state_change_failed(timeline, result, future)

                    return await timeline.follow(check, deadline=self.timing.command_deadline, interval=self.timing.poll_interval)
            except ProviderError as exc:
                return timeline.settle(exc)

    async def _state_change_failed(self, timeline: CommandTimeline, result: str, future: str) -> CommandResult:
        """STATE_CHANGE_FAILED: re-read the doors and windows; open ones → OpenZones (force can arm anyway)."""
        opened: list[str] = []
        if future != "DISARMED":
            try:
                items = await self.client.graphql(
                    [parse.operation("DoorWindow", parse.DOOR_WINDOW, {"giid": self.giid})], what="reading the doors and windows"
                )
                self._doors = parse.parse_door_windows(items[0])
                opened = [_door_name(d) for d in self._open_doors()]
            except ProviderError as exc:
                log.info("%s: could not read the doors after a refused arm (%s)", self.name, exc)
        if opened:
            raise OpenZones(
                f"the panel did not arm: {', '.join(opened)} open",
                zones=tuple(opened),
                can_force=True,
                provider=self.name,
                vendor_code=result,
            )
        return timeline.failed(f"the panel refused the change ({result.lower().replace('_', ' ')})")

    # -- locks

    def _lock_device(self, zone: str) -> parse.SmartLock:
        found = next((lock for lock in self._locks if zone in (lock.label, lock.area)), None)
        if found is None:
            raise CommandRejected(f"no smart lock {zone!r} in this installation", provider=self.name)
        return found

    async def lock(self, zone: str, *, code: str | None = None, progress: ProgressCallback | None = None) -> CommandResult:
        return await self._lock_command(zone, True, code, progress)

    async def unlock(self, zone: str, *, code: str | None = None, progress: ProgressCallback | None = None) -> CommandResult:
        return await self._lock_command(zone, False, code, progress)

    async def _lock_command(self, zone: str, locked: bool, code: str | None, progress: ProgressCallback | None) -> CommandResult:
        verb = "lock" if locked else "unlock"
        timeline = CommandTimeline(verb, progress, provider=self.name, clock=self._clock)
        async with translate_errors(self.name, f"{verb}ing"):
            await self._ensure_connected()
            if not self._locks:
                await self.snapshot()
            device = self._lock_device(zone)
            # Lock codes may have another length than the alarm code (HA's lock_code_digits): no length check.
            value = self.code_for(code)
            if not value:
                raise WrongCode(f"{verb}ing needs the code: type it, or set `code` in the config file", provider=self.name)
            name, document, root = (
                ("DoorLock", parse.DOOR_LOCK, "DoorLock") if locked else ("DoorUnlock", parse.DOOR_UNLOCK, "DoorUnlock")
            )
            op = parse.operation(name, document, {"giid": self.giid, "deviceLabel": device.label, "input": {"code": value}})
            future = "LOCKED" if locked else "UNLOCKED"
            async with self._lock:
                try:
                    async with timeline:
                        timeline.sending()
                        items = await self.client.graphql([op], what=f"{verb}ing {device.area or device.label}", command=True)
                        transaction = parse.parse_transaction(items[0], root)
                        timeline.accepted()
                        self._log_at = -1e18

                        async def check() -> CommandResult | None:
                            poll = parse.operation(
                                "pollLockState",
                                parse.POLL_LOCK_STATE,
                                {
                                    "giid": self.giid,
                                    "transactionId": transaction,
                                    "deviceLabel": device.label,
                                    "futureState": future,
                                },
                            )
                            reply = await self.client.graphql([poll], what=f"following the {verb}")
                            result = parse.parse_poll_result(reply[0], "doorLockStateChangePollResult")
                            if not result:
                                return None
                            if result == "OK":
                                self._locks = [
                                    parse.SmartLock(lk.label, lk.area, future, lk.door_state, "REMOTE", lk.user, datetime.now(UTC))
                                    if lk.label == device.label else lk
                                    for lk in self._locks
                                ]  # fmt: skip
                                return timeline.confirmed(f"{device.area or device.label} {verb}ed", state=f"{verb}ed")
                            return timeline.failed(f"the lock refused ({result.lower().replace('_', ' ')})")

                        return await timeline.follow(
                            check, deadline=self.timing.command_deadline, interval=self.timing.poll_interval
                        )
                except ProviderError as exc:
                    return timeline.settle(exc)

    async def execute(self, command: Command, progress: ProgressCallback | None = None) -> CommandResult:
        """Every command action this provider takes, smart locks included (the poller's dispatch reaches here)."""
        if command.action in (CommandAction.LOCK, CommandAction.UNLOCK):
            if not command.zone:
                raise CommandRejected(f"{command.action} needs a lock", provider=self.name)
            method = self.lock if command.action is CommandAction.LOCK else self.unlock
            return await method(command.zone, code=command.code, progress=progress)
        if command.action is CommandAction.ARM:
            assert command.mode is not None
            return await self.arm(
                command.mode, partition=command.partition, code=command.code, progress=progress, force=command.force
            )
        if command.action is CommandAction.DISARM:
            return await self.disarm(partition=command.partition, code=command.code, progress=progress)
        if command.action is CommandAction.PHOTO and command.zone:
            return await self.request_photo(command.zone, progress=progress)
        raise NotSupported(f"My Pages cannot {command.describe()}", provider=self.name)

    # ------------------------------------------------------------------ cameras

    def _camera(self, zone: str) -> parse.Camera:
        found = next((c for c in self._cameras if zone in (c.label, c.area)), None)
        if found is None:
            raise NotSupported(f"{zone!r} is not a camera of this installation", provider=self.name)
        return found

    async def _read_cameras(self) -> None:
        items = await self.client.graphql(
            [parse.operation("Camera", parse.CAMERA, {"giid": self.giid, "all": True})], what="reading the cameras"
        )
        self._cameras = parse.parse_cameras(items[0])
        self._cameras_read = True

    async def _images(self, camera: parse.Camera) -> list[Photo]:
        photos = []
        for index, image in enumerate(i for i in camera.images if i.url):
            jpeg = await self.client.download(image.url, what="fetching an image")
            photos.append(Photo(camera.label, image.time or datetime.now(UTC), jpeg, index, self.name))
        return photos

    async def request_photo(self, zone: str, *, progress: ProgressCallback | None = None) -> CommandResult:
        """Capture (`cccp`), poll the request to AVAILABLE, then the camera's latest images (§5.5)."""
        timeline = CommandTimeline("photo", progress, provider=self.name, clock=self._clock)
        async with translate_errors(self.name, "requesting a photo"):
            await self._ensure_connected()
            if not self._cameras_read:
                await self._read_cameras()
            camera = self._camera(zone)
            variables = {"giid": self.giid, "deviceLabel": camera.label, "resolution": "high", "deviceIdentifier": "alarmtui"}
            async with self._lock:
                try:
                    async with timeline:
                        timeline.sending("asking the camera")
                        items = await self.client.graphql(
                            [parse.operation(None, parse.CAPTURE, variables)], what="asking the camera", command=True
                        )
                        request_id = parse.parse_capture_request(items[0])
                        timeline.accepted("the camera is taking a picture")

                        async def check() -> CommandResult | None:
                            poll = parse.operation(
                                None,
                                parse.CAPTURE_STATUS,
                                {"giid": self.giid, "deviceLabel": camera.label, "requestId": request_id},
                            )
                            status = parse.parse_capture_status(
                                (await self.client.graphql([poll], what="following the capture"))[0]
                            )
                            if status != "AVAILABLE":
                                return None
                            await self._read_cameras()
                            photos = await self._images(self._camera(camera.label))
                            self._log_at = -1e18
                            return timeline.result(CommandPhase.CONFIRMED, f"{len(photos)} photo(s)", tuple(photos))

                        return await timeline.follow(
                            check, deadline=self.timing.photo_deadline, interval=self.timing.poll_interval
                        )
                except ProviderError as exc:
                    return timeline.settle(exc)

    async def photos(self, event: Event) -> list[Photo]:
        """The latest images of the camera a picture event names."""
        if not event.photo_ref:
            raise NotSupported("this event has no photos", provider=self.name)
        async with translate_errors(self.name, "fetching photos"):
            await self._ensure_connected()
            await self._read_cameras()
            return await self._images(self._camera(event.photo_ref))


def _already_set(current: str, future: str) -> str:
    """What VAL_00818 means, given the state we last read: already there, or away/home need a disarm first."""
    if current == future:
        return f"the panel is already {mapping.arm_state(future)[1]}"
    if current in ("ARMED_HOME", "ARMED_AWAY"):
        now = mapping.arm_state(current)[1]
        return f"{now}: Verisure changes between home and away only through disarmed — disarm first, then arm again"
    return "the panel refused: it is already in that state, or must be disarmed first (VAL_00818)"


def _door_name(door: parse.DoorWindow) -> str:
    return clean_text(door.area or door.label)


def _row_key(row: parse.LogRow) -> str:
    if row.event_id:
        return row.event_id
    stamp = row.time.isoformat() if row.time else ""
    return f"{stamp}|{row.category}|{row.device_label}|{row.user}"


def _with_climate(zone: Zone, climate: parse.Climate) -> Zone:
    from dataclasses import replace

    return replace(zone, temperature=climate.temperature, humidity=climate.humidity, reported_at=zone.reported_at or climate.time)


__all__ = ["AccountBlocked", "MyPagesClient", "MyPagesProvider", "Timing", "TooManyCodes", "TwoFactorRequired"]
