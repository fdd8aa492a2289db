"""Visonic PowerManage REST (the cloud behind PowerMaster panels and the Visonic-Go app).

Wire protocol: `shared/protocols/visonic.md`. The flow is

1. `GET /rest_api/version` (no auth) and pick a REST version: 9.0 when offered,
   else the newest of 10.0-14.0 (or the configured `rest_version`);
2. `POST /auth {email, password, app_id}` -> user token;
3. `POST /panel/login {user_code, app_type, app_id, panel_serial}` -> session token
   (the user code is the panel code from the config: Visonic needs it to log in);
4. reads with both tokens; commands return a process token that is polled on
   `/process_status?process_tokens=` until handled/succeeded/failed.

This module holds only the provider's public methods: the transport is
`client.py`, the parsers `parse.py`, wire → domain `mapping.py`. Zone ids are
`TYPE-NUMBER` ("ZONE-1"): device numbers repeat across device types.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from alarmtui.domain import ArmMode, Capability, CommandPhase, CommandResult, Event, Photo, Snapshot, User, Zone
from alarmtui.providers.base import Provider
from alarmtui.providers.commands import CommandTimeline, ProgressCallback
from alarmtui.providers.errors import (
    CommandRejected,
    ConnectionFailed,
    NotSupported,
    OpenZones,
    PanelOffline,
    ProtocolError,
    ProviderError,
    RateLimited,
    SessionExpired,
)
from alarmtui.providers.http import translate_errors
from alarmtui.providers.visonic import mapping
from alarmtui.providers.visonic.client import CommandMaybeSent, VisonicClient, WrongUserCode, error_for_response
from alarmtui.providers.visonic.parse import (
    WHOLE_PANEL,
    PanelFacts,
    RawCamera,
    RawStatus,
    _opt_dict,
    _text,
    choose_version,
    decode_json,
    parse_alarms,
    parse_cameras,
    parse_devices,
    parse_events,
    parse_off_loop,
    parse_panel_facts,
    parse_process,
    parse_status,
    parse_token,
    parse_troubles,
    parse_users,
    parse_versions,
)
from alarmtui.settings import OFFLINE_GRACE_SECONDS, VisonicConfig

log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 5_000_000
OFFLINE_GRACE = OFFLINE_GRACE_SECONDS
"""Seconds every transport must stay down before the panel is said to be offline (§9.2); `offline_grace` in the config."""
SLOW_READ_INTERVAL = 300.0
"""Users and cameras change rarely and the API is rate sensitive: read them at most this often (§9.8)."""


class VisonicProvider(Provider):
    """One PowerManage account and one of its panels.

    `command_timeout` bounds how long a command's process token is followed before
    the outcome is reported unknown; `command_poll` is the longest pause between polls.
    """

    kind = "visonic"

    def __init__(
        self,
        config: VisonicConfig,
        *,
        command_timeout: float = 30.0,
        command_poll: float = 1.0,
        max_reply_bytes: int | None = None,
        http_timeout: float = 15.0,
        clock: Callable[[], float] | None = None,
        offline_grace: float | None = None,
        slow_read_interval: float = SLOW_READ_INTERVAL,
    ) -> None:
        super().__init__(config)
        self.config: VisonicConfig = config
        self.command_timeout = command_timeout
        self.command_poll = command_poll
        options: dict[str, Any] = {"clock": clock, "http_timeout": http_timeout}
        if max_reply_bytes:
            options["max_reply_bytes"] = max_reply_bytes
        self.client = VisonicClient(config, self.requests, provider=self.name, **options)
        self.login_gate = self.client.gate
        self.clock = clock or time.monotonic
        self.offline_grace = config.offline_grace if offline_grace is None else offline_grace
        self.slow_read_interval = slow_read_interval
        self._slow_read_at: float | None = None
        self._unreachable_since: float | None = None
        self._last_good: Snapshot | None = None
        self.facts: PanelFacts | None = None
        self._cameras: tuple[RawCamera, ...] = ()
        self._users: tuple[User, ...] = ()
        self._zones: tuple[Zone, ...] = ()
        self._exit_started: dict[str, float] = {}

    @property
    def version(self) -> str | None:
        return self.client.version

    @property
    def serial(self) -> str | None:
        return self.client.serial

    @serial.setter
    def serial(self, value: str | None) -> None:
        self.client.serial = value

    @property
    def _user_token(self) -> str | None:  # for the tests that look for leaked secrets
        return self.client.user_token

    @property
    def _session_token(self) -> str | None:
        return self.client.session_token

    # -- lifecycle

    async def connect(self) -> None:
        async with translate_errors(self.name, "connecting"):
            await self.client.negotiate()
            await self.client.login()
            panel_info = await self.client.read("panel_info", "reading the panel information")
            feature_set = await self.client.read("feature_set", "reading the feature set")
            self.facts = parse_panel_facts(panel_info, feature_set)
            await self._refresh_slow_reads()

    async def _refresh_slow_reads(self, *, only_if_stale: bool = False) -> None:
        """Users and cameras: read at connect and on a slow cycle, never twice per `status` (§9.8)."""
        now = self.clock()
        if only_if_stale and self._slow_read_at is not None and now - self._slow_read_at < self.slow_read_interval:
            return
        self._users = parse_users(await self.client.read("users", "reading the users"))
        self._cameras = parse_cameras(await self.client.read("cameras", "reading the cameras"))
        self._slow_read_at = now

    async def close(self) -> None:
        await self.client.aclose()

    def _require_connected(self) -> PanelFacts:
        if self.facts is None or self.client.version is None:
            raise SessionExpired("not connected yet", provider=self.name)
        return self.facts

    # -- reads

    def capabilities(self) -> frozenset[Capability]:
        return mapping.capabilities(self._require_connected(), self._cameras)

    async def snapshot(self, *, refresh: bool = False) -> Snapshot:
        async with translate_errors(self.name, "reading the panel state"):
            if self.facts is None:
                await self.connect()
            facts = self._require_connected()
            if refresh:
                await self._refresh_slow_reads(only_if_stale=True)
            status = parse_status(await self.client.read("status", "reading the status"))
            if not status.reachable:
                return self._unreachable(status)
            self._unreachable_since = None
            zones = await parse_off_loop(parse_devices, await self.client.read("devices", "reading the devices"))
            alarms = await parse_off_loop(parse_alarms, await self.client.read("alarms", "reading the alarms"))
            troubles = await parse_off_loop(parse_troubles, await self.client.read("troubles", "reading the troubles"))
            partitions = []
            for raw in status.partitions:
                if mapping.in_exit_delay(raw):
                    started: float | None = self._exit_started.setdefault(raw.id, time.time())
                else:
                    self._exit_started.pop(raw.id, None)
                    started = None
                partitions.append(mapping.partition(raw, zones, alarms, facts, started))
            zones = mapping.mark_alarm_zones(zones, tuple(partitions), alarms)
            self._zones = zones
            snapshot = Snapshot(
                partitions=tuple(partitions),
                zones=zones,
                troubles=troubles + mapping.memory_notices(status.partitions, alarms),
                users=self._users,
                capabilities=self.capabilities(),
                panel_name=facts.model or (self.serial or ""),
                online=True,
                detail=status.detail,
                fetched_at=datetime.now(UTC),
            )
            self._last_good = snapshot
            return snapshot

    def _unreachable(self, status: RawStatus) -> Snapshot:
        """Every transport is down. Within the grace period the last good state stands (marked with its
        own age and the reply's words); past it, or with nothing to show, the panel is offline."""
        now = self.clock()
        if self._unreachable_since is None:
            self._unreachable_since = now
        down_for = now - self._unreachable_since
        said = f" ({status.detail})" if status.detail else ""
        if self._last_good is None or down_for >= self.offline_grace:
            # The cloud still answers, but with stale state and empty device traits:
            # never show that as the panel's current state.
            raise PanelOffline(f"the panel is not connected to the PowerManage cloud{said}", provider=self.name)
        log.info("%s: panel link down for %.0f s%s; within the grace period", self.name, down_for, said)
        return replace(
            self._last_good,
            detail=f"panel link down for {down_for:.0f} s{said}; state as last read",
        )

    async def events(self, limit: int = 100) -> list[Event]:
        async with translate_errors(self.name, "reading the events"):
            if self.facts is None:
                await self.connect()
            return (await parse_off_loop(parse_events, await self.client.read("events", "reading the events")))[:limit]

    async def photos(self, event: Event) -> list[Photo]:
        async with translate_errors(self.name, "fetching photos"):
            if not event.photo_ref:
                raise NotSupported("this event has no photos", provider=self.name)
            count_text, _, path = event.photo_ref.partition("|")
            count = int(count_text) if count_text.isdigit() else 1
            return await self._fetch_frames(path, count, event.zone, event.time)

    async def _fetch_frames(self, path: str, count: int, zone: str, when: datetime) -> list[Photo]:
        """Fetch the preview JPEG and, where the cloud says there are more, its sibling frames."""
        paths = [path]
        if count > 1 and path.rsplit("/", 1)[-1] == "0":
            prefix = path.rsplit("/", 1)[0]
            paths = [f"{prefix}/{i}" for i in range(count)]
        photos = []
        for index, frame_path in enumerate(paths):
            jpeg = await self.client.send("GET", f"{self.config.url}{frame_path}", what="fetching a photo", raw=True)
            if not jpeg.startswith(b"\xff\xd8") or len(jpeg) > MAX_PHOTO_BYTES:
                raise ProtocolError("the camera preview is not a JPEG image", provider=self.name)
            photos.append(Photo(zone=zone, time=when, jpeg=jpeg, index=index, provider=self.name))
        return photos

    # -- commands

    def _partition_arg(self, partition: str | None) -> int:
        facts = self._require_connected()
        if partition is None or partition == WHOLE_PANEL:
            return -1
        if not facts.partitions_enabled:
            raise NotSupported("this panel has no partitions; arm or disarm the whole panel", provider=self.name)
        try:
            return int(partition)
        except ValueError:
            raise NotSupported(f"no partition {partition!r} on this panel", provider=self.name) from None

    async def _command(
        self,
        path: str,
        body: dict[str, Any],
        what: str,
        progress: ProgressCallback | None,
        *,
        partition: str | None = None,
    ) -> CommandResult:
        """Send a command once, then follow its process token to an outcome (see `CommandTimeline`)."""
        timeline = CommandTimeline(what, progress, provider=self.name)
        try:
            async with timeline:
                return await self._send_and_follow(timeline, path, body, what, partition)
        except ProviderError as exc:
            return timeline.settle(exc)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_and_follow(
        self, timeline: CommandTimeline, path: str, body: dict[str, Any], what: str, partition: str | None
    ) -> CommandResult:
        generation = self.client.gate.generation
        timeline.sending(what)
        try:
            data = await self.client.send("POST", path, body=body, what=what, command=True)
        except SessionExpired:
            # The server refused it before doing anything; log in again for next
            # time, but never re-send a command on the user's behalf.
            with contextlib.suppress(ProviderError):
                await self.client.relogin(generation)
            raise SessionExpired(
                "the session had expired; logged in again, but the command was not carried out. Try again.",
                provider=self.name,
            ) from None
        token = _text(_opt_dict(data).get("process_token"))
        if not token:
            return timeline.unknown("the cloud accepted the command but gave no process token; check the state")
        timeline.accepted("waiting for the panel")

        async def check() -> CommandResult | None:
            state = parse_process(
                await self.client.read(f"process_status?process_tokens={token}", "following the command"), token
            )
            if state.status in ("handled", "succeeded", "success", "done"):
                return timeline.confirmed(state.message)
            if state.status in ("failed", "failure", "error", "rejected"):
                reason = state.message or "the panel refused the command"
                error: ProviderError = CommandRejected(reason, provider=self.name)
                if mapping.is_not_ready(state.error, state.message):
                    zones = mapping.open_zones_in(state.message, self._zones, partition)
                    facts = self.facts
                    error = OpenZones(reason, zones=zones, can_force=bool(facts and facts.bypass), provider=self.name)
                return timeline.failed(reason, error=error)
            timeline.report(CommandPhase.WAITING, "waiting for the panel")
            return None

        return await timeline.follow(
            check,
            deadline=self.command_timeout,
            interval=min(0.25, self.command_poll),
            max_interval=self.command_poll,
            transient=(ConnectionFailed, ProtocolError, SessionExpired, PanelOffline, RateLimited),
        )

    def _code_body(self, code: str | None) -> dict[str, Any]:
        chosen = self.code_for(code)
        return {"user_code": chosen} if chosen else {}

    async def arm(
        self,
        mode: ArmMode,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
        force: bool = False,
    ) -> CommandResult:
        """Arm away or home. `force=True` first bypasses the open zones (each sent once), then arms."""
        async with translate_errors(self.name, "arming"):
            if mode not in (ArmMode.AWAY, ArmMode.HOME):
                raise NotSupported(f"Visonic panels arm only away or home; {mode.value} is not available", provider=self.name)
            facts = self._require_connected()
            if not facts.can_set_state:
                raise NotSupported("this account may not change the arm state", provider=self.name)
            target = self._partition_arg(partition)
            if force:
                bypassed = await self._bypass_open_zones(partition, code, progress)
                if bypassed is not None:
                    return bypassed
        body = {"partition": target, "state": "AWAY" if mode is ArmMode.AWAY else "HOME"}
        body.update(self._code_body(code))
        result = await self._command("set_state", body, f"arm {mode.value}", progress, partition=partition)
        if result.ok:
            # The exit delay runs from about now; a later snapshot only sees "EXIT".
            now = time.time()
            targets = [str(target)] if target != -1 else [WHOLE_PANEL, *facts.exit_delay]
            for pid in targets:
                self._exit_started[pid] = now
            result = await self._settled(result, None if target == -1 else str(target), facts)
        return result

    async def _settled(self, result: CommandResult, partition: str | None, facts: PanelFacts) -> CommandResult:
        """The handled process says the panel took the arm, not that it is armed: during its exit delay
        the result is "accepted — arming, exit delay N s" and not settled (a read of `status` tells)."""
        try:
            async with translate_errors(self.name, "reading the state after the command"):
                status = parse_status(await self.client.read("status", "reading the state after the command"))
        except ProviderError:
            return result  # the result stays what the process said; the next poll shows the state
        arming = [raw for raw in status.partitions if mapping.in_exit_delay(raw) and partition in (None, raw.id)]
        if not arming:
            return result
        delays = [facts.exit_delay.get(raw.id, facts.exit_delay.get(WHOLE_PANEL)) for raw in arming]
        known = [d for d in delays if d]
        words = f"arming, exit delay {max(known):.0f} s" if known else "arming, exit delay running"
        return replace(result, message=f"accepted — {words}", state=words, settled=False)

    async def _bypass_open_zones(
        self, partition: str | None, code: str | None, progress: ProgressCallback | None
    ) -> CommandResult | None:
        """Bypass every open zone of the partition; None when all are bypassed, else the result that stopped us."""
        facts = self._require_connected()
        zones = await parse_off_loop(parse_devices, await self.client.read("devices", "reading the devices"))
        self._zones = zones
        members = [z for z in zones if partition in (None, WHOLE_PANEL) or not z.partitions or partition in z.partitions]
        open_zones = [z for z in members if z.open and not z.bypassed]
        if not open_zones:
            return None
        if not facts.bypass:
            raise OpenZones(
                f"cannot arm anyway: this panel does not allow remote bypass ({', '.join(z.name for z in open_zones)} open)",
                zones=tuple(z.name for z in open_zones),
                can_force=False,
                provider=self.name,
            )
        for zone in open_zones:
            result = await self._command(
                "set_bypass_zone", {"zone": mapping.zone_number(zone), "set": True}, f"bypass {zone.name}", progress
            )
            if not result.ok:
                return result
        return None

    async def disarm(
        self, *, partition: str | None = None, code: str | None = None, progress: ProgressCallback | None = None
    ) -> CommandResult:
        async with translate_errors(self.name, "disarming"):
            self._require_connected()
            body = {"partition": self._partition_arg(partition), "state": "DISARM"}
            body.update(self._code_body(code))
        return await self._command("set_state", body, "disarm", progress, partition=partition)

    async def _zone(self, wanted: str) -> Zone:
        if not self._zones:
            self._zones = await parse_off_loop(parse_devices, await self.client.read("devices", "reading the devices"))
        zone = mapping.resolve_zone(wanted, self._zones)
        if zone is None:
            matches = [z.id for z in self._zones if z.id.endswith(f"-{wanted}") or z.name.casefold() == wanted.casefold()]
            if len(matches) > 1:
                raise CommandRejected(f"{wanted!r} is ambiguous: it could be {', '.join(matches)}", provider=self.name)
            raise NotSupported(f"{wanted!r} is not a zone of this panel", provider=self.name)
        return zone

    async def bypass(
        self, zone: str, on: bool = True, *, code: str | None = None, progress: ProgressCallback | None = None
    ) -> CommandResult:
        """Bypass a zone given by id ("ZONE-3"), unambiguous number ("3") or name."""
        async with translate_errors(self.name, "bypassing a zone"):
            facts = self._require_connected()
            if not facts.bypass:
                raise NotSupported("this panel does not allow remote bypass", provider=self.name)
            target = await self._zone(zone)
            number = mapping.zone_number(target)
        body: dict[str, Any] = {"zone": number, "set": on}
        return await self._command("set_bypass_zone", body, f"{'bypass' if on else 'restore'} {target.name}", progress)

    async def siren(self, on: bool, *, partition: str | None = None, progress: ProgressCallback | None = None) -> CommandResult:
        async with translate_errors(self.name, "switching the siren"):
            facts = self._require_connected()
            if on and not facts.siren_on:
                raise NotSupported("this panel does not allow sounding the siren remotely", provider=self.name)
            if not on and not facts.siren_off:
                raise NotSupported("this panel does not allow silencing the siren remotely", provider=self.name)
        if on:
            return await self._command("activate_siren", {}, "sound the siren", progress)
        return await self._command("disable_siren", {"mode": "all"}, "silence the siren", progress)

    async def request_photo(self, zone: str, *, progress: ProgressCallback | None = None) -> CommandResult:
        async with translate_errors(self.name, "requesting photos"):
            self._require_connected()
            camera = next((c for c in self._cameras if c.zone == zone or c.zone == f"ZONE-{zone}"), None)
            if camera is None:
                raise NotSupported(f"zone {zone} has no camera", provider=self.name)
            before = camera.time
            number = mapping.zone_number(camera.zone)
        result = await self._command("make_video", {"camera_id": number}, f"ask {camera.name or zone} for photos", progress)
        if not result.ok:
            return result
        async with translate_errors(self.name, "fetching the new photos"):
            self._cameras = parse_cameras(await self.client.read("cameras", "reading the cameras"))
            fresh = next((c for c in self._cameras if c.zone == camera.zone), None)
            if fresh is None or not fresh.preview_path or (before is not None and fresh.time == before):
                return CommandResult(CommandPhase.UNKNOWN, "the camera finished but no new preview is available", result.elapsed)
            when = fresh.time or datetime.now(UTC)
            photos = await self._fetch_frames(fresh.preview_path, fresh.frames, fresh.name or zone, when)
        return CommandResult(CommandPhase.CONFIRMED, result.message, result.elapsed, tuple(photos))

    @property
    def needs_code(self) -> bool:
        # The code is given once, at panel login (from the config), not per command.
        return False

    @property
    def code_length(self) -> int | None:
        """PowerMaster user/master codes are 4 digits (visonic.md §7: "the master code (4 digits; minLength:4)")."""
        return 4


__all__ = [
    "CommandMaybeSent",
    "VisonicProvider",
    "WrongUserCode",
    "choose_version",
    "decode_json",
    "error_for_response",
    "parse_alarms",
    "parse_cameras",
    "parse_devices",
    "parse_events",
    "parse_panel_facts",
    "parse_process",
    "parse_status",
    "parse_token",
    "parse_troubles",
    "parse_users",
    "parse_versions",
]
