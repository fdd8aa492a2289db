"""One background poller per provider, and the group the dashboard owns.

A poller loops `poll -> callback -> wait(interval or wake-up)`, so polls never
overlap and a slow poll is never cancelled by the next tick. Between polls it
waits on `provider.wait_for_change()` (the MiOS long poll; a plain sleep
elsewhere) or an explicit wake-up (refresh key, finished command).

It backs off on errors, logs in again after `SessionExpired` /
`ConnectionFailed`, polls fast only while a command is pending, and is the only
way commands reach a provider: one command per panel in flight, sent exactly
once, never retried. Everything it learns goes to one plain callback as a
`PollerUpdate`; no UI code lives here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterable, Iterator
from datetime import datetime

from alarmtui.domain import (
    Command,
    CommandAction,
    CommandPhase,
    CommandProgress,
    CommandResult,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Photo,
    Snapshot,
)
from alarmtui.domain.updates import (
    Clock,
    CommandBusy,
    CommandUpdate,
    EventsUpdate,
    LinkState,
    PhotosUpdate,
    PollerUpdate,
    ProviderStatus,
    SnapshotUpdate,
    StatusUpdate,
    UpdateCallback,
    WallClock,
    utc_now,
)
from alarmtui.engine.timing import PollTiming  # noqa: F401  (re-exported: callers configure the poller with it)
from alarmtui.providers.base import (
    AuthenticationFailed,
    ConnectionFailed,
    InternalError,
    LoginPaused,
    PanelBusy,
    PanelOffline,
    ProtocolError,
    Provider,
    ProviderError,
    RateLimited,
    SessionExpired,
    TwoFactorRequired,
)
from alarmtui.providers.commands import result_for_error

log = logging.getLogger(__name__)


TRANSITIONS = frozenset({PartitionState.ARMING, PartitionState.PENDING, PartitionState.DISARMING})
"""Timed transitions the poller follows to their end, whatever its poll interval."""
EXPECT_WINDOW = 120.0
"""Seconds an accepted command's partitions are followed while they read neither in transition nor arrived."""


# --------------------------------------------------------------------------- the poller


class Poller:
    """Keeps one provider's state fresh and carries its commands."""

    OFFLINE_AFTER = 3
    """Consecutive failures after which a transient problem is shown as offline."""
    LOGIN_RETRY_INTERVAL = 3600.0
    """After the vendor refused the credentials: at most one automatic login attempt per this many seconds.
    Only for providers without a `LoginGate` (Securitas, at the time of writing); where the provider has
    one, its budget is the only one and the poller just shows its pause."""
    CONNECT_WAIT = 60.0
    """Seconds a command submitted during the login waits for it (then: not sent, the login's reason)."""
    PHOTO_EVENT_WINDOW = 120.0
    """Seconds after a photo request during which its own photo event is expected."""

    def __init__(
        self,
        provider: Provider,
        callback: UpdateCallback,
        *,
        timing: PollTiming | None = None,
        clock: Clock = time.monotonic,
        now: WallClock = utc_now,
    ) -> None:
        timing = timing or PollTiming()
        self.provider = provider
        self.name = provider.name
        self._callback = callback
        self._clock = clock
        self._now = now
        self.poll_interval = timing.poll_interval or provider.config.poll_interval
        self.refresh_interval = timing.refresh_interval or provider.config.refresh_interval
        self.timing = timing
        self._wake = asyncio.Event()
        # Start-up: a cheap read first (a fast first frame), then at once a read of the panel itself.
        self._refresh_requested = False
        self._first_poll = True
        self._next_refresh = 0.0
        self._connected = False
        self._connect_attempt: asyncio.Future[BaseException | None] | None = None
        """The login under way, if any: commands submitted meanwhile wait for its outcome."""
        self._failures = 0
        self._seen_events: OrderedDict[str, None] = OrderedDict()
        self._seen_photos: OrderedDict[str, None] = OrderedDict()
        self._photo_commands: dict[str, float] = {}
        """Camera zone (id and name) -> when our own photo request for it started: its photos come with the reply."""
        self._first_events = True
        self._command_task: asyncio.Task[CommandResult] | None = None
        self._refresh_done: asyncio.Event | None = None
        """Set while no read of the panel itself is under way (commands wait for one: the panel takes one at a time)."""
        self._background: set[asyncio.Task[object]] = set()
        self.status = ProviderStatus(self.name, provider.kind, LinkState.CONNECTING)
        self.snapshot: Snapshot | None = None
        self.polls = 0
        self._last_good: float | None = None
        """Monotonic time of the last good snapshot (for staleness)."""
        self._login_refused: AuthenticationFailed | None = None
        self._login_refused_at = 0.0
        self.internal_errors = 0
        self.backfill_from: datetime | None = None
        """Set before `run()`: the first events read asks for everything since then (what was missed while down)."""
        self.backfill_requests: int | None = None
        """Vendor requests the back-fill cost, once it ran (None: not run)."""
        self.backfill_events: int | None = None
        """Events the back-fill returned, once it ran."""
        self.may_follow: Callable[[], bool] = lambda: True
        """Whether the request budget has room for an extra read to follow a transition (set by `RequestBudget`)."""
        self._follow_at: float | None = None
        """Monotonic time of the next read that follows a transition to its end (None: not following)."""
        self._following_since: float | None = None
        self._expect: tuple[frozenset[str], CommandAction, float] | None = None
        """After a command accepted but not settled: (partition ids, action, until) still to reach their end state."""
        self.follow_reads = 0
        """Reads made to follow transitions (tests, status)."""

    # -- public API

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def command_pending(self) -> bool:
        return self._command_task is not None and not self._command_task.done()

    def refresh_now(self) -> None:
        """The user asked (r key, palette, service request): read the panel itself now.

        Also lifts the login budget's pause after a refused password, so a
        corrected config or a vendor-side unlock is tried at once.
        """
        self._login_refused = None
        with contextlib.suppress(Exception):
            self.provider.allow_login()
        self._request_refresh()

    def _request_refresh(self) -> None:
        """Read the panel itself on the next poll, which starts at once (internal: not a user request)."""
        self._refresh_requested = True
        self.wake()

    @property
    def stale(self) -> bool:
        """No good update for more than twice the poll interval."""
        if self._last_good is None:
            return self.snapshot is not None
        return self._clock() - self._last_good > 2 * self.poll_interval

    def wake(self) -> None:
        self._wake.set()

    def submit(self, command: Command) -> asyncio.Task[CommandResult]:
        """Start `command` (sent exactly once). Raises `CommandBusy` if it cannot start now."""
        if self.command_pending:
            raise CommandBusy(f"{self.name}: another command is still in flight")
        if self._connected:
            work = self._run_command(command)
        elif self._connect_attempt is not None:  # a service just started: the command waits for its login
            work = self._run_command_once_connected(command, self._connect_attempt)
        else:
            raise CommandBusy(f"{self.name}: not connected yet")
        task = asyncio.get_running_loop().create_task(work, name=f"command:{self.name}")
        self._command_task = task
        self.wake()  # switch to fast polling now
        return task

    async def run(self) -> None:
        """Poll until cancelled. Nothing a provider does stops this loop; only cancellation does."""
        self._emit_status()
        while True:
            try:
                delay = await self._poll_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001  (a bug anywhere below must not end polling)
                delay = self._internal_error(exc)
            try:
                await self._wait(delay)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: waiting between polls failed", self.name)
                await asyncio.sleep(max(delay, self.timing.backoff_initial))

    async def close(self) -> None:
        """Stop background work and close the provider (log out)."""
        tasks = [t for t in (self._command_task, *self._background) if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.provider.close()

    # -- one round

    async def _poll_once(self) -> float:
        """Connect if needed, read state and events; return how long to wait before the next round."""
        if self._login_refused is not None:
            wait = self._login_refused_at + self.LOGIN_RETRY_INTERVAL - self._clock()
            if wait > 0:
                return self._login_paused(wait)
            self._login_refused = None  # the hourly automatic attempt
        try:
            if not self._connected:
                await self._connect()
            following = self._follow_at is not None and self._clock() >= self._follow_at - 0.01
            if self._first_poll:
                refresh = False
            else:
                # A transition's end is read from the panel itself: a cloud's cached state may lag it.
                refresh = self._refresh_requested or following or self._clock() >= self._next_refresh
                self._refresh_requested = False
            if following:
                self.follow_reads += 1
            if refresh:
                self._refresh_done = asyncio.Event()
            try:
                snapshot = await self.provider.snapshot(refresh=refresh)
            finally:
                if refresh and self._refresh_done is not None:
                    self._refresh_done.set()
            if self._first_poll:
                self._first_poll = False
                self._refresh_requested = True  # the panel itself next, without waiting
                self._wake.set()
            if refresh:
                self._next_refresh = self._clock() + self.refresh_interval
        except ProviderError as exc:
            return self._failed(exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001  (a provider bug: log it, say so, back off, keep polling)
            return self._internal_error(exc)
        backfill = self.backfill_from is not None and self.backfill_requests is None
        events, events_late = ([], "") if backfill else await self._read_events()
        self.polls += 1
        self._failures = 0
        self._take_snapshot(snapshot)
        if backfill:  # after the snapshot: a long paged read must not hold back the first frame
            events = await self._backfill()
        self._take_events(events)
        if snapshot.online:
            self._set_status(LinkState.ONLINE, last_update=snapshot.fetched_at or self._now(), events_late=events_late)
        else:  # the cloud answered for a panel that is not there: show why, keep its last known state
            self._set_status(
                LinkState.OFFLINE,
                reason=snapshot.detail or "the panel is offline",
                hint=PanelOffline.hint,
                last_update=snapshot.fetched_at or self._now(),
                events_late=events_late,
            )
        delay = self.timing.fast_interval if self.command_pending else self.poll_interval
        if self._follow_at is not None:
            delay = min(delay, max(self._follow_at - self._clock(), 0.0))
        return delay

    def _take_snapshot(self, snapshot: Snapshot) -> None:
        """A good read: keep it, report it, and plan the read that follows a transition to its end."""
        self._last_good = self._clock()
        self.snapshot = snapshot
        self._emit(SnapshotUpdate(self.name, snapshot))
        self._plan_follow(snapshot)

    def _moving(self, snapshot: Snapshot) -> list[Partition]:
        """Partitions still on their way: in a timed transition, or not yet where an accepted command sends them."""
        if not snapshot.online:
            return []
        expect = self._expect
        if expect is not None and self._clock() > expect[2]:
            self._expect = expect = None
        moving = []
        for partition in snapshot.partitions:
            if partition.state in TRANSITIONS:
                moving.append(partition)
            elif expect is not None and (not expect[0] or partition.id in expect[0]):
                arrived = (
                    partition.state.is_armed if expect[1] is CommandAction.ARM else partition.state is PartitionState.DISARMED
                )
                if not arrived and partition.state is not PartitionState.TRIGGERED:
                    moving.append(partition)
        if expect is not None and not any(not expect[0] or p.id in expect[0] for p in moving):
            self._expect = None  # every addressed partition arrived
        return moving

    def _plan_follow(self, snapshot: Snapshot) -> None:
        """Re-read when the vendor's countdown ends (plus a margin), whatever the poll interval; again while it still moves."""
        moving = self._moving(snapshot)
        now = self._clock()
        if not moving:
            self._follow_at = self._following_since = None
            return
        if self._following_since is None:
            self._following_since = now
        if now - self._following_since > self.timing.follow_limit:
            if self._follow_at is not None:
                log.warning(
                    "%s: still in transition after %.0f s; back to the steady poll interval",
                    self.name,
                    now - self._following_since,
                )
            self._follow_at = None
            return
        if not self.may_follow():
            log.info(
                "%s: the request budget has no room to follow the transition; the next steady poll will show its end", self.name
            )
            self._follow_at = None
            return
        wall = self._now()
        ends = [(p.exit_delay_until - wall).total_seconds() for p in moving if p.exit_delay_until is not None]
        ahead = [left for left in ends if left > 0]
        wait = min(ahead) + self.timing.follow_margin if ahead else self.timing.follow_step
        self._follow_at = now + wait

    def _accepted(self, command: Command, result: CommandResult, snapshot: Snapshot) -> CommandResult:
        """The command's result as the snapshot read right after it shows it: not settled, "House arming, exit delay 30 s"."""
        wanted = {command.partition} if command.partition else {p.id for p in snapshot.partitions}
        moving = [p for p in self._moving(snapshot) if p.id in wanted]
        if not moving:
            return result
        wall = self._now()
        words = []
        for partition in moving:
            name = partition.name or partition.id
            if partition.state is PartitionState.ARMING:
                what = "arming"
            elif partition.state is PartitionState.DISARMING:
                what = "disarming"
            elif partition.state is PartitionState.PENDING:
                what = "entry delay"
            else:
                what = f"not {'armed' if command.action is CommandAction.ARM else 'disarmed'} yet (the panel says {partition.state.value.replace('_', ' ')})"
            if partition.exit_delay_until is not None:
                left = (partition.exit_delay_until - wall).total_seconds()
                if left > 0:
                    what += f", exit delay {left:.0f} s" if partition.state is PartitionState.ARMING else f", {left:.0f} s left"
            words.append(f"{name} {what}")
        state = "; ".join(words)
        return dataclasses.replace(result, settled=False, message=f"accepted — {state}", state=state)

    async def _read_events(self) -> tuple[list[Event], str]:
        """The event log after a good state read. Its failure costs only the events (they come with a later
        poll, marked late in the status); the state read stands and the provider stays online."""
        try:
            return await self.provider.events(self.timing.event_limit), ""
        except asyncio.CancelledError:
            raise
        except ProviderError as exc:
            if isinstance(exc, SessionExpired | ConnectionFailed):
                self._connected = False  # the next poll logs in again before it reads
            log.info("%s: the event log could not be read (%s); the state read stands", self.name, exc)
            return [], f"events late: the event log could not be read ({exc.message})"
        except Exception:
            self.internal_errors += 1
            log.exception("%s: internal error while reading the event log", self.name)
            return [], "events late: the event log could not be read (internal error; see the log file)"

    async def _backfill(self) -> list[Event]:
        """Once, after a start: every event since `backfill_from`. A failure only costs the back-fill."""
        since = self.backfill_from
        before = self.provider.requests.total
        try:
            events = await self.provider.events_since(since, self.timing.backfill_limit)
        except asyncio.CancelledError:
            raise
        except ProviderError as exc:
            log.warning("%s: the back-fill since %s failed (%s); events missed while down may be lost", self.name, since, exc)
            events = []
        except Exception:
            log.exception("%s: the back-fill since %s crashed", self.name, since)
            events = []
        self.backfill_requests = self.provider.requests.total - before
        self.backfill_events = len(events)
        log.info("%s: back-filled %d event(s) since %s with %d request(s)", self.name, len(events), since, self.backfill_requests)
        return events

    def _internal_error(self, exc: Exception) -> float:
        """Anything that is not a ProviderError: a bug. Logged with its traceback, shown in plain words."""
        self.internal_errors += 1
        log.error("%s: internal error while polling", self.name, exc_info=exc)
        return self._failed(
            InternalError(
                f"internal error in alarmtui ({type(exc).__name__}); the details are in the log file — still retrying",
                provider=self.name,
            )
        )

    def _login_paused(self, wait: float) -> float:
        refusal = self._login_refused
        reason = refusal.message if refusal is not None else "the login was refused"
        minutes = max(1, round(wait / 60))
        self._set_status(
            LinkState.OFFLINE,
            reason=f"{reason} — alarmtui will not try again by itself for {minutes} min (press r to try now)",
            hint=refusal.hint if refusal is not None else AuthenticationFailed.hint,
            retry_in=wait,
            login_paused=True,
            error=refusal or AuthenticationFailed("the login was refused", provider=self.name),
        )
        return wait

    def _failed(self, exc: ProviderError) -> float:
        gate = getattr(self.provider, "login_gate", None)
        if gate is not None and isinstance(exc, AuthenticationFailed) and not isinstance(exc, LoginPaused | TwoFactorRequired):
            # The provider's LoginGate keeps the login budget (the only one): it refuses automatic logins
            # (LoginPaused) until the user asks or its interval passes. Show its pause; keep none here.
            self._failures += 1
            self._connected = False
            wait = gate.retry_after or self.LOGIN_RETRY_INTERVAL
            minutes = max(1, round(wait / 60))
            log.warning("%s: login refused (%s); automatic logins paused by the provider", self.name, exc.message)
            self._set_status(
                LinkState.OFFLINE,
                reason=f"{exc.message} — alarmtui will not try again by itself for {minutes} min (press r to try now)",
                hint=exc.hint,
                retry_in=wait,
                login_paused=True,
                error=exc,
            )
            return wait
        if isinstance(exc, AuthenticationFailed) and not isinstance(exc, LoginPaused | TwoFactorRequired):
            # Vendors lock accounts after a few refused passwords: no automatic retry for an hour.
            # (A two-factor challenge is no refusal: the dashboard asks for the SMS code instead.)
            self._failures += 1
            self._connected = False
            self._login_refused = exc
            self._login_refused_at = self._clock()
            log.warning("%s: login refused (%s); automatic logins paused", self.name, exc.message)
            return self._login_paused(self.LOGIN_RETRY_INTERVAL)
        if isinstance(exc, LoginPaused):
            self._failures += 1
            self._connected = False
            wait = exc.retry_after if exc.retry_after else self.LOGIN_RETRY_INTERVAL
            self._set_status(LinkState.OFFLINE, reason=exc.message, hint=exc.hint, retry_in=wait, login_paused=True, error=exc)
            return wait
        self._failures += 1
        if isinstance(exc, SessionExpired | ConnectionFailed | AuthenticationFailed):
            self._connected = False
        if isinstance(exc, SessionExpired) and self._failures == 1:
            delay = 0.0  # log in again at once; only repeated expiry backs off
        elif isinstance(exc, RateLimited) and exc.retry_after:
            delay = min(max(exc.retry_after, self.timing.backoff_initial), self.timing.backoff_max)
        else:
            delay = min(self.timing.backoff_initial * 2 ** (self._failures - 1), self.timing.backoff_max)
        offline = isinstance(exc, TwoFactorRequired | PanelOffline) or self._failures >= self.OFFLINE_AFTER
        if isinstance(exc, PanelBusy | SessionExpired | RateLimited | ProtocolError) and self._failures < self.OFFLINE_AFTER:
            offline = False
        log.info("%s: poll failed (%s); next try in %.1fs", self.name, exc, delay)
        self._set_status(
            LinkState.OFFLINE if offline else LinkState.RECONNECTING,
            reason=exc.message,
            hint=exc.hint,
            retry_in=delay,
            two_factor=exc.phones if isinstance(exc, TwoFactorRequired) else (),
            error=exc,
        )
        return delay

    def _take_events(self, events: Iterable[Event]) -> None:
        fresh: list[Event] = []
        # Oldest first, so trimming the memory below forgets the oldest ids, never the newest.
        for event in sorted(events, key=lambda e: e.time):
            if event.id in self._seen_events:
                continue
            self._seen_events[event.id] = None
            fresh.append(dataclasses.replace(event, provider=self.name) if event.provider != self.name else event)
        limit = max(4 * self.timing.event_limit, 500, len(fresh))
        while len(self._seen_events) > limit:
            self._seen_events.popitem(last=False)
        if not fresh:
            self._first_events = False
            return
        fresh.sort(key=lambda e: e.time, reverse=True)
        self._emit(EventsUpdate(self.name, tuple(fresh)))
        photo_events = [e for e in fresh if e.kind is EventKind.PHOTO and e.photo_ref and not self._photos_come_with_command(e)]
        # At start-up only the newest stored photo is worth fetching.
        for event in photo_events[: 1 if self._first_events else 3]:
            self._spawn(self._fetch_photos(event))
        self._first_events = False

    def _photos_come_with_command(self, event: Event) -> bool:
        """The photo event our own photo request created: its photos arrive with the command's result.

        Only the first such event per request is skipped; anything else is fetched (and de-duplicated).
        """
        now = self._clock()
        for key in [k for k, started in self._photo_commands.items() if now - started > self.PHOTO_EVENT_WINDOW]:
            del self._photo_commands[key]
        if event.zone:
            started = self._photo_commands.get(event.zone)
        else:  # a vendor whose photo events do not name the camera: the newest request's
            started = max(self._photo_commands.values(), default=None)
        if started is None:
            return False
        for key in [k for k, when in self._photo_commands.items() if when == started]:
            del self._photo_commands[key]
        return True

    async def _fetch_photos(self, event: Event) -> None:
        try:
            photos = await self.provider.photos(event)
        except ProviderError as exc:
            log.info("%s: could not fetch the photos of event %s: %s", self.name, event.id, exc)
            return
        self._emit_photos(photos)

    def _emit_photos(self, photos: Iterable[Photo]) -> None:
        """Report photos not reported before (the same JPEG can reach us by a command and by its event)."""
        fresh = []
        for photo in photos:
            digest = hashlib.blake2b(photo.jpeg, digest_size=16).hexdigest()
            if digest in self._seen_photos:
                continue
            self._seen_photos[digest] = None
            fresh.append(photo if photo.provider == self.name else dataclasses.replace(photo, provider=self.name))
        while len(self._seen_photos) > 200:
            self._seen_photos.popitem(last=False)
        if fresh:
            self._emit(PhotosUpdate(self.name, tuple(fresh)))

    # -- waiting

    async def _wait(self, delay: float) -> None:
        """Wait `delay` seconds, or less if the vendor reports a change or someone wakes us."""
        if self._wake.is_set():
            self._wake.clear()
            if self._failures == 0 or self._refresh_requested:
                return
        # While a command is pending its outcome is what the user is watching: no extra gap.
        min_gap = 0.0 if self.command_pending else self.timing.min_gap
        delay = max(delay, min_gap if self._failures == 0 else 0.0)
        started = self._clock()
        waiters: list[asyncio.Task[object]] = [asyncio.ensure_future(self._wake.wait())]
        if self._connected and self._failures == 0 and delay > 0:
            waiters.append(asyncio.ensure_future(self.provider.wait_for_change(delay)))
        try:
            # With a long poll, its own timeout ends the wait; ours is only a guard against a stuck one.
            guard = delay + 1.0 if len(waiters) > 1 else delay
            done, _ = await asyncio.wait(waiters, timeout=guard, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            # asyncio.wait never raises the waiters' errors, but does pass on our own cancellation.
            await asyncio.wait(waiters)
        self._wake.clear()
        for task in done:
            if task is not waiters[0] and not task.cancelled() and task.exception() is not None:
                # A failing long poll must not turn into a busy loop: sleep out the rest.
                log.debug("%s: wait_for_change failed: %s", self.name, task.exception())
                rest = delay - (self._clock() - started)
                if rest > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), rest)
                    self._wake.clear()
        gap = min_gap - (self._clock() - started)
        if gap > 0 and not self._refresh_requested and not self.command_pending:
            await asyncio.sleep(gap)

    # -- commands

    async def _connect(self) -> None:
        """Log in; a command submitted meanwhile learns how it went (`_connect_attempt`: None, or the error)."""
        attempt: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self._connect_attempt = attempt
        try:
            await self.provider.connect()
        except BaseException as exc:
            attempt.set_result(exc)
            raise
        finally:
            self._connect_attempt = None
        self._connected = True
        attempt.set_result(None)

    async def _run_command_once_connected(self, command: Command, attempt: asyncio.Future[BaseException | None]) -> CommandResult:
        """Wait (bounded) for the login under way, then send; if it fails, nothing was sent, and why."""
        start = self._clock()
        try:
            failure = await asyncio.wait_for(asyncio.shield(attempt), self.CONNECT_WAIT)
        except TimeoutError:
            failure = ConnectionFailed(f"still logging in after {self.CONNECT_WAIT:g} s", provider=self.name)
        if failure is None and self._connected:
            return await self._run_command(command)
        if not isinstance(failure, ProviderError):
            failure = ConnectionFailed("could not log in", provider=self.name)
        # The login failed before this command was ever sent: not sent, whatever the login's error may mean.
        result = CommandResult(CommandPhase.NOT_SENT, f"not sent: {failure.message}", self._clock() - start, error=failure)
        self._emit(CommandUpdate(self.name, command, CommandProgress(result.phase, result.message, result.elapsed), result))
        return result

    async def _run_command(self, command: Command) -> CommandResult:
        start = self._clock()
        if command.action is CommandAction.PHOTO:
            for zone in (command.zone, command.label):
                if zone:
                    self._photo_commands[zone] = start

        def progress(update: CommandProgress) -> None:
            if not update.phase.finished:
                self._emit(CommandUpdate(self.name, command, update))

        self._emit(CommandUpdate(self.name, command, CommandProgress(CommandPhase.SENT, "sending", 0.0)))
        try:
            if self._refresh_done is not None and not self._refresh_done.is_set():
                # A read of the panel itself is under way; a command now would be refused as "busy".
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._refresh_done.wait(), 30.0)
            result = await self._send(command, progress)
            if result.ok and command.action in (CommandAction.ARM, CommandAction.DISARM):
                result = await self._settle(command, result)
        except asyncio.CancelledError:
            raise
        except ProviderError as exc:
            # The panel's refusal → FAILED; may have left → UNKNOWN (re-read, never re-send); else NOT_SENT.
            result = result_for_error(exc, self._clock() - start)
            if isinstance(exc, ConnectionFailed | SessionExpired | AuthenticationFailed):
                self._connected = False
        except Exception as exc:
            log.exception("%s: command %s crashed", self.name, command.describe())
            result = CommandResult(
                CommandPhase.UNKNOWN, f"outcome unknown: internal error ({type(exc).__name__})", self._clock() - start
            )
        self._emit(CommandUpdate(self.name, command, CommandProgress(result.phase, result.message, result.elapsed), result))
        if result.photos:
            # Some vendors' replies do not name the camera; the user asked for this one.
            where = command.label or command.zone or ""
            self._emit_photos(p if p.zone else dataclasses.replace(p, zone=where) for p in result.photos)
        if result.phase is CommandPhase.DONE:
            self.wake()  # the panel confirmed it: a plain read shows the new state
        else:
            self._request_refresh()  # refused or unknown: read the panel itself to show its real state
        return result

    async def _settle(self, command: Command, result: CommandResult) -> CommandResult:
        """Read the panel once after a confirmed arm/disarm: "armed" only if it says so; else follow it to its end.

        The provider may already have said "not settled"; either way the transition is followed. A failing
        read changes nothing: the result stands and the next poll shows the state.
        """
        # A partition that reads neither moving nor arrived (a cloud's cache from before the command) is
        # looked at for a short while only; one in a transition the panel reports is followed to its end.
        until = self._clock() + min(self.timing.follow_limit, EXPECT_WINDOW)
        self._expect = (frozenset({command.partition} if command.partition else ()), command.action, until)
        if not result.settled:
            return result  # the provider said so itself: the fast poll after the command starts the following
        try:
            snapshot = await asyncio.wait_for(self.provider.snapshot(refresh=False), 15.0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001  (the command's own result still stands)
            log.info("%s: could not read the state after %s: %s", self.name, command.describe(), exc)
            return result
        checked = self._accepted(command, result, snapshot)
        self._take_snapshot(snapshot)
        if checked.settled:
            self._expect = None
        return checked

    async def _send(self, command: Command, progress: Callable[[CommandProgress], None]) -> CommandResult:
        return await self.provider.execute(command, progress)  # the one dispatch, shared with the CLI and the service

    # -- plumbing

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _set_status(
        self,
        state: LinkState,
        *,
        reason: str = "",
        hint: str = "",
        retry_in: float | None = None,
        last_update: datetime | None = None,
        login_paused: bool = False,
        two_factor: tuple[tuple[str, str], ...] = (),
        error: ProviderError | None = None,
        events_late: str = "",
    ) -> None:
        self.status = ProviderStatus(
            self.name,
            self.provider.kind,
            state,
            reason=reason,
            hint=hint,
            last_update=last_update or self.status.last_update,
            retry_in=retry_in,
            failures=self._failures,
            stale=self.stale,
            login_paused=login_paused,
            two_factor=two_factor,
            error_kinds=() if error is None else tuple(c.__name__ for c in type(error).__mro__ if issubclass(c, ProviderError)),
            events_late=events_late,
        )
        self._emit_status()

    def _emit_status(self) -> None:
        self._emit(StatusUpdate(self.name, self.status))

    def _emit(self, update: PollerUpdate) -> None:
        try:
            self._callback(update)
        except Exception:  # the UI's problem must not stop polling
            log.exception("%s: update callback failed", self.name)


# --------------------------------------------------------------------------- the group


class PollerGroup:
    """The pollers of every configured provider, started and stopped together."""

    def __init__(
        self,
        providers: Iterable[Provider],
        callback: UpdateCallback,
        *,
        timing: PollTiming | Callable[[Provider], PollTiming] | None = None,
        clock: Clock = time.monotonic,
        now: WallClock = utc_now,
    ) -> None:
        self.pollers: dict[str, Poller] = {}
        for provider in providers:
            provider_timing = timing(provider) if callable(timing) else timing
            self.pollers[provider.name] = Poller(provider, callback, timing=provider_timing, clock=clock, now=now)
        self._tasks: list[asyncio.Task[None]] = []

    def __getitem__(self, name: str) -> Poller:
        return self.pollers[name]

    def __iter__(self) -> Iterator[Poller]:
        return iter(self.pollers.values())

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        for poller in self.pollers.values():
            self._tasks.append(loop.create_task(poller.run(), name=f"poller:{poller.name}"))

    async def stop(self, timeout: float = 1.0) -> None:
        """Cancel the polls and close every provider (log out), all within `timeout` seconds."""
        for task in self._tasks:
            task.cancel()
        closes = [asyncio.ensure_future(self._stop_one(p)) for p in self.pollers.values()]
        all_work = [*self._tasks, *closes]
        if all_work:
            _, pending = await asyncio.wait(all_work, timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("gave up waiting for %d provider(s) to close", len(pending))
                await asyncio.wait(pending, timeout=0.2)
        self._tasks.clear()

    @staticmethod
    async def _stop_one(poller: Poller) -> None:
        try:
            await poller.close()
        except Exception as exc:  # noqa: BLE001  (best effort: logging out must not block quitting)
            log.info("%s: close failed: %s", poller.name, exc)
