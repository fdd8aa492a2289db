"""The poller against a scripted in-memory provider.

The fault sequences here (a session expiring exactly between two polls, a
command whose reply is lost, a long poll that fails instantly) cannot be
produced on demand from the simulators; the functional UI tests drive the same
poller against the real simulators.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from alarmtui.domain import (
    ArmMode,
    Capability,
    Command,
    CommandAction,
    CommandPhase,
    CommandResult,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Photo,
    Snapshot,
)
from alarmtui.domain.updates import (
    CommandBusy,
    CommandUpdate,
    EventsUpdate,
    LinkState,
    PhotosUpdate,
    PollerUpdate,
    SnapshotUpdate,
    StatusUpdate,
)
from alarmtui.engine.poller import Poller, PollerGroup, PollTiming
from alarmtui.providers.base import (
    AuthenticationFailed,
    CommandTimer,
    ConnectionFailed,
    Provider,
    ProviderError,
    SessionExpired,
    WrongCode,
)
from alarmtui.settings import VisonicConfig

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
FAST = PollTiming(
    poll_interval=0.05, refresh_interval=3600, fast_interval=0.02, backoff_initial=0.02, backoff_max=0.1, min_gap=0.0
)


class ScriptedProvider(Provider):
    """An in-memory panel; `failures` is a queue of errors the next calls raise."""

    kind = "scripted"

    def __init__(self, name: str = "home") -> None:
        super().__init__(VisonicConfig(kind="visonic", name=name, url="http://127.0.0.1:9", username="u", password="secret-pw"))
        self.state = PartitionState.DISARMED
        self.failures: list[ProviderError] = []
        self.command_failure: Exception | None = None
        self.connects = 0
        self.snapshots: list[bool] = []
        self.commands: list[str] = []
        self.closed = False
        self.events_list: list[Event] = []
        self.command_gate: asyncio.Event | None = None
        self.wait_impl: Callable[[float], object] | None = None
        self.panel_online = True

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def connect(self) -> None:
        self.connects += 1
        self._maybe_fail()

    async def close(self) -> None:
        self.closed = True

    async def snapshot(self, *, refresh: bool = False) -> Snapshot:
        self._maybe_fail()
        self.snapshots.append(refresh)
        return Snapshot(
            partitions=(Partition("1", "House", self.state),),
            capabilities=frozenset({Capability.ARM_AWAY, Capability.DISARM}),
            fetched_at=T0,
            online=self.panel_online,
            detail="" if self.panel_online else "panel not connected to the cloud",
        )

    async def events(self, limit: int = 100) -> list[Event]:
        return list(self.events_list[:limit])

    async def wait_for_change(self, timeout: float) -> bool:
        if self.wait_impl is not None:
            return await self.wait_impl(timeout)  # type: ignore[misc]
        return await super().wait_for_change(timeout)

    async def arm(self, mode, *, partition=None, code=None, progress=None) -> CommandResult:  # type: ignore[no-untyped-def]
        timer = CommandTimer(progress)
        self.commands.append(f"arm {mode} code={code}")
        timer.report(CommandPhase.WAITING, "waiting for the panel")
        if self.command_gate is not None:
            await self.command_gate.wait()
        if self.command_failure is not None:
            raise self.command_failure
        self.state = mode.armed_state
        return timer.result(CommandPhase.DONE, "armed")

    async def disarm(self, *, partition=None, code=None, progress=None) -> CommandResult:  # type: ignore[no-untyped-def]
        self.commands.append("disarm")
        self.state = PartitionState.DISARMED
        return CommandTimer(progress).result(CommandPhase.DONE, "disarmed")

    async def request_photo(self, zone: str, *, progress=None) -> CommandResult:  # type: ignore[no-untyped-def]
        photo = Photo(zone=zone, time=T0, jpeg=b"\xff\xd8jpeg")
        return CommandTimer(progress).result(CommandPhase.DONE, "3 photos", (photo,))

    async def photos(self, event: Event) -> list[Photo]:
        return [Photo(zone=event.zone, time=event.time, jpeg=b"\xff\xd8stored")]


class Recorder:
    def __init__(self) -> None:
        self.updates: list[PollerUpdate] = []

    def __call__(self, update: PollerUpdate) -> None:
        self.updates.append(update)

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [u for u in self.updates if isinstance(u, kind)]

    async def until(self, predicate: Callable[[], bool], timeout: float = 3.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.005)


@pytest.fixture
async def running():
    started: list[tuple[Poller, asyncio.Task]] = []

    def start(provider: ScriptedProvider, timing: PollTiming = FAST) -> tuple[Poller, Recorder]:
        recorder = Recorder()
        poller = Poller(provider, recorder, timing=timing)
        started.append((poller, asyncio.get_running_loop().create_task(poller.run())))
        return poller, recorder

    yield start
    for poller, task in started:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await poller.close()


async def test_first_poll_is_cheap_then_refreshes_at_once_then_polls_cheaply(running) -> None:
    # Premise changed on purpose: a cheap first read gives a fast first frame; the panel itself is read right after.
    provider = ScriptedProvider()
    poller, rec = running(provider)
    await rec.until(lambda: len(provider.snapshots) >= 4)
    assert provider.snapshots[:2] == [False, True]
    assert provider.snapshots[2:4] == [False, False]
    statuses = [u.status.state for u in rec.of(StatusUpdate)]
    assert statuses[0] is LinkState.CONNECTING
    assert LinkState.ONLINE in statuses
    assert rec.of(SnapshotUpdate)[0].snapshot.partitions[0].state is PartitionState.DISARMED
    poller.refresh_now()
    await rec.until(lambda: provider.snapshots.count(True) >= 2)


async def test_polls_never_overlap_when_a_poll_is_slow(running) -> None:
    provider = ScriptedProvider()
    in_flight = 0
    overlaps = 0
    original = provider.snapshot

    async def slow_snapshot(*, refresh: bool = False) -> Snapshot:
        nonlocal in_flight, overlaps
        in_flight += 1
        overlaps += in_flight > 1
        await asyncio.sleep(0.08)  # slower than the poll interval
        in_flight -= 1
        return await original(refresh=refresh)

    provider.snapshot = slow_snapshot  # type: ignore[method-assign]
    poller, rec = running(provider)
    poller.wake()
    await rec.until(lambda: len(provider.snapshots) >= 4)
    assert overlaps == 0


async def test_events_are_deduplicated_and_tagged_with_the_provider(running) -> None:
    provider = ScriptedProvider("casa")
    provider.events_list = [Event("2", T0, EventKind.ARM, "armed"), Event("1", T0, EventKind.DISARM, "disarmed")]
    _poller, rec = running(provider)
    await rec.until(lambda: len(rec.of(EventsUpdate)) == 1)
    provider.events_list.insert(0, Event("3", T0, EventKind.ALARM, "intrusion"))
    await rec.until(lambda: len(rec.of(EventsUpdate)) == 2)
    await rec.until(lambda: len(provider.snapshots) >= 5)
    batches = [[e.id for e in u.events] for u in rec.of(EventsUpdate)]
    assert batches == [["2", "1"], ["3"]]
    assert all(e.provider == "casa" for u in rec.of(EventsUpdate) for e in u.events)


async def test_photo_events_fetch_their_photos(running) -> None:
    provider = ScriptedProvider()
    provider.events_list = [
        Event("2", T0, EventKind.PHOTO, "photos", zone="Hall", photo_ref="p2"),
        Event("1", T0, EventKind.PHOTO, "photos", zone="Hall", photo_ref="p1"),
    ]
    _poller, rec = running(provider)
    await rec.until(lambda: len(rec.of(PhotosUpdate)) == 1)
    await rec.until(lambda: len(provider.snapshots) >= 3)
    assert len(rec.of(PhotosUpdate)) == 1  # only the newest stored photo at start-up


async def test_session_expiry_logs_in_again_and_recovers(running) -> None:
    provider = ScriptedProvider()
    poller, rec = running(provider)
    await rec.until(lambda: poller.status.state is LinkState.ONLINE)
    provider.failures = [SessionExpired("session expired")]
    await rec.until(lambda: provider.connects >= 2 and poller.status.state is LinkState.ONLINE)
    reasons = [u.status.reason for u in rec.of(StatusUpdate) if u.status.state is LinkState.RECONNECTING]
    assert reasons == ["session expired"]


async def test_backoff_grows_with_the_reason_and_other_providers_are_unaffected() -> None:
    broken, healthy = ScriptedProvider("broken"), ScriptedProvider("healthy")
    broken.failures = [ConnectionFailed("could not reach the server", provider="broken") for _ in range(4)]
    rec = Recorder()
    group = PollerGroup([broken, healthy], rec, timing=FAST)
    group.start()
    try:
        await rec.until(lambda: group["broken"].status.state is LinkState.ONLINE, timeout=5)
        await rec.until(lambda: len(healthy.snapshots) >= 3)
    finally:
        await group.stop()
    broken_statuses = [u.status for u in rec.of(StatusUpdate) if u.provider == "broken"]
    retries = [s.retry_in for s in broken_statuses if s.retry_in is not None]
    assert retries == [0.02, 0.04, 0.08, 0.1]
    assert [s.state for s in broken_statuses if s.reason][-1] is LinkState.OFFLINE  # after 3 failures
    assert all(s.reason == "could not reach the server" for s in broken_statuses if s.reason)
    assert broken.connects == 5
    assert broken.closed and healthy.closed


async def test_wrong_password_pauses_automatic_logins_until_the_user_asks(running) -> None:
    provider = ScriptedProvider()
    error = AuthenticationFailed("wrong user name or password")
    provider.failures = [error]
    poller, rec = running(provider, PollTiming(poll_interval=0.05, backoff_initial=0.01, backoff_max=120))
    await rec.until(lambda: poller.status.state is LinkState.OFFLINE)
    assert poller.status.reason.startswith(error.message)  # (scrubbed of any registered secret)
    assert "will not try again by itself" in poller.status.reason and "press r" in poller.status.reason
    assert poller.status.login_paused and poller.status.retry_in == Poller.LOGIN_RETRY_INTERVAL
    assert "secret-pw" not in repr(poller.status)
    await asyncio.sleep(0.2)
    assert provider.connects == 1  # no automatic retry of a refused password
    poller.refresh_now()  # the user pressed r
    await rec.until(lambda: poller.status.state is LinkState.ONLINE)
    assert provider.connects == 2 and not poller.status.login_paused


async def test_with_a_login_gate_the_providers_budget_is_the_only_one(running) -> None:
    """A provider with a LoginGate: the poller keeps no pause of its own; the gate refuses automatic logins
    (LoginPaused, which the poller shows) and lets the user's r through."""
    from alarmtui.providers.session import LoginGate

    class Gated(ScriptedProvider):
        def __init__(self) -> None:
            super().__init__()
            self.refuse = True
            self.logins = 0
            self.login_gate = LoginGate(self._login, provider=self.name)
            self.login_gate._user_asked = False  # a long-running watcher, not a start-up the user asked for

        async def _login(self) -> None:
            self.logins += 1
            if self.refuse:
                raise AuthenticationFailed("wrong user name or password")

        async def connect(self) -> None:
            await super().connect()
            await self.login_gate.ensure()

    provider = Gated()
    # A short backoff: were the poller to retry by itself, the gate (not the poller) must be what stops it.
    poller, rec = running(provider, PollTiming(poll_interval=0.05, backoff_initial=0.01, backoff_max=0.02))
    await rec.until(lambda: poller.status.state is LinkState.OFFLINE and poller.status.login_paused)
    assert "will not try again by itself" in poller.status.reason and poller.status.retry_in is not None
    assert poller._login_refused is None  # no budget of the poller's own
    poller.wake()  # a stray wake-up (a long poll): still no login
    await asyncio.sleep(0.05)
    assert provider.logins == 1
    provider.refuse = False
    poller.refresh_now()  # the user pressed r: the gate lets it through
    await rec.until(lambda: poller.status.state is LinkState.ONLINE)
    assert provider.logins == 2 and not poller.status.login_paused


@pytest.mark.parametrize("bug", [LookupError("unknown encoding: YR"), RecursionError("deep"), KeyError("x"), RuntimeError("bug")])
async def test_poller_survives_any_exception_and_recovers(running, bug: Exception, caplog) -> None:
    provider = ScriptedProvider()
    provider.failures = [bug, bug]  # type: ignore[list-item]
    poller, rec = running(provider)
    await rec.until(lambda: poller.status.state is LinkState.RECONNECTING and "internal error" in poller.status.reason)
    assert type(bug).__name__ in poller.status.reason and "log" in poller.status.reason
    await rec.until(lambda: poller.status.state is LinkState.ONLINE)
    assert poller.internal_errors == 2
    assert any(r.exc_info and r.exc_info[1] is bug for r in caplog.records)  # the traceback is in the log


async def test_data_older_than_twice_the_interval_is_stale(running) -> None:
    provider = ScriptedProvider()
    poller, rec = running(provider)
    await rec.until(lambda: poller.status.state is LinkState.ONLINE)
    assert not poller.status.stale
    provider.failures = [ConnectionFailed("down")] * 20
    await rec.until(lambda: poller.status.stale)
    assert poller.status.last_update == T0
    provider.failures = []
    await rec.until(lambda: poller.status.state is LinkState.ONLINE and not poller.status.stale)


async def test_command_refused_before_sending_is_not_sent(running) -> None:
    from alarmtui.providers.base import NotSent

    provider = ScriptedProvider()
    provider.command_failure = NotSent("could not connect")
    poller, rec = running(provider)
    await rec.until(lambda: poller.connected)
    result = await poller.submit(Command(CommandAction.ARM, ArmMode.AWAY))
    assert result.phase is CommandPhase.NOT_SENT and isinstance(result.error, NotSent)


async def test_a_failing_long_poll_does_not_spin(running) -> None:
    provider = ScriptedProvider()
    calls = 0

    async def broken_wait(timeout: float) -> bool:
        nonlocal calls
        calls += 1
        raise ConnectionFailed("long poll dropped")

    provider.wait_impl = broken_wait
    _poller, _rec = running(provider, PollTiming(poll_interval=0.1, min_gap=0.0))
    await asyncio.sleep(0.45)
    assert 2 <= len(provider.snapshots) <= 6
    assert calls <= len(provider.snapshots)


async def test_a_change_reported_by_the_long_poll_triggers_a_poll_at_once(running) -> None:
    provider = ScriptedProvider()
    changed = asyncio.Event()

    async def long_poll(timeout: float) -> bool:
        await asyncio.wait_for(changed.wait(), timeout)
        changed.clear()
        return True

    provider.wait_impl = long_poll
    _poller, rec = running(provider, PollTiming(poll_interval=30, min_gap=0.0))
    await rec.until(lambda: len(provider.snapshots) == 2)  # start-up: the cheap read, then the refresh
    await asyncio.sleep(0.05)
    assert len(provider.snapshots) == 2
    changed.set()
    await rec.until(lambda: len(provider.snapshots) == 3, timeout=1)


async def test_command_progress_flows_and_state_is_reread(running) -> None:
    provider = ScriptedProvider()
    poller, rec = running(provider, PollTiming(poll_interval=30, refresh_interval=3600, fast_interval=0.02, min_gap=0))
    await rec.until(lambda: poller.status.state is LinkState.ONLINE)
    provider.command_gate = asyncio.Event()
    task = poller.submit(Command(CommandAction.ARM, mode=ArmMode.AWAY, code="1234", label="House"))
    with pytest.raises(CommandBusy):
        poller.submit(Command(CommandAction.DISARM))
    polls_before = len(provider.snapshots)
    await rec.until(lambda: len(provider.snapshots) >= polls_before + 3)  # fast polling while pending
    provider.command_gate.set()
    result = await task
    assert result.ok
    await rec.until(lambda: rec.of(SnapshotUpdate)[-1].snapshot.partitions[0].state is PartitionState.ARMED_AWAY)
    phases = [u.progress.phase for u in rec.of(CommandUpdate)]
    assert phases == [CommandPhase.SENT, CommandPhase.WAITING, CommandPhase.DONE]
    assert rec.of(CommandUpdate)[-1].finished
    assert provider.commands == ["arm away code=1234"]
    assert "1234" not in repr(rec.of(CommandUpdate)[0].command)
    # Premise changed on purpose: a confirmed command is followed by a plain (cheap) read, not a refresh.
    assert provider.snapshots[-1] is False
    assert provider.snapshots[polls_before:].count(True) == 0


@pytest.mark.parametrize(
    ("error", "phase"),
    [
        (WrongCode("wrong user code"), CommandPhase.FAILED),
        (ConnectionFailed("timed out while arming"), CommandPhase.UNKNOWN),
        (RuntimeError("provider bug"), CommandPhase.UNKNOWN),
    ],
)
async def test_failed_commands_are_reported_and_never_resent(running, error, phase) -> None:
    provider = ScriptedProvider()
    poller, rec = running(provider)
    await rec.until(lambda: poller.status.state is LinkState.ONLINE)
    provider.command_failure = error
    result = await poller.submit(Command(CommandAction.ARM, mode=ArmMode.AWAY))
    assert result.phase is phase
    await rec.until(lambda: poller.status.state is LinkState.ONLINE and not poller.command_pending)
    await asyncio.sleep(0.1)
    assert provider.commands == ["arm away code=None"]  # exactly once
    if isinstance(error, WrongCode):
        assert result.message == "wrong user code"
    if phase is CommandPhase.UNKNOWN:
        assert result.message.startswith("outcome unknown")


async def test_photo_command_delivers_photos(running) -> None:
    provider = ScriptedProvider()
    poller, rec = running(provider)
    await rec.until(lambda: poller.connected)
    await poller.submit(Command(CommandAction.PHOTO, zone="7"))
    (update,) = rec.of(PhotosUpdate)
    assert update.photos[0].zone == "7" and update.photos[0].provider == "home"


async def test_photos_of_a_photo_request_are_reported_once(running) -> None:
    """The request's own photo event is not fetched again, and the same JPEG never reaches the UI twice."""
    provider = ScriptedProvider()
    poller, rec = running(provider)
    await rec.until(lambda: poller.connected and len(provider.snapshots) >= 2)
    fetched: list[str] = []
    original_photos = provider.photos

    async def photos(event: Event) -> list[Photo]:
        fetched.append(event.id)
        return [Photo(zone="", time=T0, jpeg=b"\xff\xd8jpeg")]  # the same bytes the command delivered

    provider.photos = photos  # type: ignore[method-assign]
    await poller.submit(Command(CommandAction.PHOTO, zone="7", label="Hall camera"))
    provider.events_list.insert(0, Event("p1", T0, EventKind.PHOTO, "photos", zone="Hall camera", photo_ref="r1"))
    await rec.until(lambda: any(e.id == "p1" for u in rec.of(EventsUpdate) for e in u.events))
    provider.events_list.insert(0, Event("p2", T0, EventKind.PHOTO, "photos", zone="Garden", photo_ref="r2"))
    await rec.until(lambda: fetched == ["p2"])
    await asyncio.sleep(0.05)
    assert fetched == ["p2"]  # p1 was the request's own event: its photos came with the reply
    assert [p.jpeg for u in rec.of(PhotosUpdate) for p in u.photos] == [b"\xff\xd8jpeg"]
    provider.photos = original_photos  # type: ignore[method-assign]


async def test_a_failed_command_rereads_the_panel_itself(running) -> None:
    provider = ScriptedProvider()
    poller, rec = running(provider, PollTiming(poll_interval=30, refresh_interval=3600, fast_interval=0.02, min_gap=0))
    await rec.until(lambda: poller.status.state is LinkState.ONLINE and provider.snapshots.count(True) == 1)
    provider.command_failure = WrongCode("wrong user code")
    await poller.submit(Command(CommandAction.ARM, mode=ArmMode.AWAY))
    await rec.until(lambda: provider.snapshots.count(True) == 2)


async def test_commands_wait_for_a_connection(running) -> None:
    provider = ScriptedProvider()
    provider.failures = [ConnectionFailed("down")] * 50
    poller, rec = running(provider)
    await rec.until(lambda: poller.status.failures >= 1)
    with pytest.raises(CommandBusy):
        poller.submit(Command(CommandAction.DISARM))


async def test_group_stop_is_bounded_even_if_logout_hangs() -> None:
    provider = ScriptedProvider()

    async def hanging_close() -> None:
        await asyncio.sleep(30)

    provider.close = hanging_close  # type: ignore[method-assign]
    group = PollerGroup([provider], Recorder(), timing=FAST)
    group.start()
    await asyncio.sleep(0.05)
    async with asyncio.timeout(10):  # the logout hangs for 30 s: returning at all proves the bound
        await group.stop(timeout=0.3)


async def test_a_panel_the_cloud_reports_offline_is_shown_offline_with_its_last_state(running) -> None:
    provider = ScriptedProvider()
    provider.panel_online = False
    poller, rec = running(provider)
    await rec.until(lambda: poller.status.state is LinkState.OFFLINE)
    assert poller.status.reason == "panel not connected to the cloud"
    assert rec.of(SnapshotUpdate)  # the last known state is still handed on
    provider.panel_online = True
    await rec.until(lambda: poller.status.state is LinkState.ONLINE)


# --------------------------------------------------------------------------- transitions followed to their end (issue 17)


async def test_an_arm_with_an_exit_delay_is_followed_to_armed_whatever_the_poll_interval(tmp_path) -> None:
    """Real Visonic simulator (1 s exit delay) and a real notifier: at a 300 s poll interval the armed state and
    its notification still arrive right after the delay ends; the command itself says "accepted", not "armed"."""
    from aiohttp import web

    from alarmtui.domain.changes import command_outcome_words
    from alarmtui.notify.notifier import Notifier, Target
    from alarmtui.providers.visonic import VisonicProvider
    from alarmtui.simulators.host import SimHost
    from alarmtui.simulators.visonic import MAIN_SERIAL, VisonicCloud

    posts: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        posts.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/{tail:.*}", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    cloud = VisonicCloud(exit_delay=1.0, entry_delay=1.0, photo_delay=0.05, process_delay=0.02)
    host = SimHost([cloud], tls=True)
    await host.start()
    table = cloud.provider_tables(host.urls["visonic"])[0]
    table.update(panel_serial=MAIN_SERIAL, ca_file=host.ca_file)
    provider = VisonicProvider(VisonicConfig(**{k: v for k, v in table.items() if v is not None}), command_poll=0.03)
    notifier = Notifier([Target(f"json://127.0.0.1:{port}/hook", frozenset({"armed"}))], settle=0.0)
    notifier.start()
    recorder = Recorder()

    def both(update: PollerUpdate) -> None:
        recorder(update)
        notifier.feed(update, origin="test")

    timing = PollTiming(
        poll_interval=300, refresh_interval=3600, fast_interval=0.05, min_gap=0, follow_margin=0.2, follow_step=0.2
    )
    poller = Poller(provider, both, timing=timing)
    task = asyncio.get_running_loop().create_task(poller.run())
    try:
        await recorder.until(lambda: poller.status.state is LinkState.ONLINE and poller.polls >= 2, timeout=10)
        result = await poller.submit(Command(CommandAction.ARM, mode=ArmMode.AWAY, label="panel"))
        assert result.ok and not result.settled
        assert result.message.startswith("accepted — ") and "arming, exit delay " in result.message
        assert command_outcome_words(result) == "accepted"
        assert [p["title"] for p in posts] == []  # nothing says "armed" during the exit delay
        polls_at_command = poller.polls

        def armed() -> bool:
            last = recorder.of(SnapshotUpdate)[-1].snapshot
            return all(p.state is PartitionState.ARMED_AWAY for p in last.partitions)

        # A 300 s poll interval: only following the transition gets here inside the timeout.
        await recorder.until(armed, timeout=10)
        await recorder.until(lambda: len(posts) >= 3, timeout=10)
        assert sorted(p["message"].split(" · ")[1].split(",")[0] for p in posts) == ["Garage", "House", "Office"]
        assert all(p["title"] == f"Armed away — {provider.name}" for p in posts)
        assert poller.follow_reads >= 1
        assert poller.polls - polls_at_command <= 15  # followed, not a busy loop
        await recorder.until(lambda: poller._follow_at is None)  # armed: back to the steady interval
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await poller.close()
        await notifier.close()
        await host.stop()
        await runner.cleanup()


async def test_a_keypad_arm_seen_by_a_poll_is_followed_to_its_end_and_while_it_lasts(running) -> None:
    """A poll finds the panel arming (armed at its keypad): re-read at the countdown's end, and again while it still
    says arming, although the poll interval is 300 s."""
    from datetime import timedelta

    class Countdown(ScriptedProvider):
        exit_until: datetime | None = None

        async def snapshot(self, *, refresh: bool = False) -> Snapshot:
            snap = await super().snapshot(refresh=refresh)
            part = Partition("1", "House", self.state, exit_delay_until=self.exit_until)
            return Snapshot(partitions=(part,), capabilities=snap.capabilities, fetched_at=snap.fetched_at)

    provider = Countdown()
    timing = PollTiming(poll_interval=300, refresh_interval=3600, min_gap=0, follow_margin=0.05, follow_step=0.05)
    poller, rec = running(provider, timing)
    await rec.until(lambda: poller.polls >= 2)
    provider.state = PartitionState.ARMING
    provider.exit_until = datetime.now(UTC) + timedelta(seconds=0.2)
    poller.wake()  # the long poll's "changed"
    await rec.until(lambda: rec.of(SnapshotUpdate)[-1].snapshot.partitions[0].state is PartitionState.ARMING)
    await rec.until(lambda: poller.follow_reads >= 3)  # past its countdown and still arming: followed on
    provider.state = PartitionState.ARMED_AWAY
    provider.exit_until = None
    await rec.until(lambda: rec.of(SnapshotUpdate)[-1].snapshot.partitions[0].state is PartitionState.ARMED_AWAY)
    await rec.until(lambda: poller._follow_at is None)


async def test_no_room_in_the_request_budget_means_no_extra_reads(running) -> None:
    provider = ScriptedProvider()
    provider.state = PartitionState.ARMING
    timing = PollTiming(poll_interval=300, refresh_interval=3600, min_gap=0, follow_margin=0.01, follow_step=0.01)
    poller, rec = running(provider, timing)
    poller.may_follow = lambda: False
    await rec.until(lambda: poller.polls >= 2)
    assert poller._follow_at is None and poller.follow_reads == 0


# --------------------------------------------------------------------------- partial failures degrade (issue 17)


@pytest.mark.parametrize(
    "error", [ConnectionFailed("event log: 502 Bad Gateway"), SessionExpired("session expired"), RuntimeError("parser bug")]
)
async def test_a_failing_event_log_read_keeps_the_good_state_of_the_same_poll(running, error: Exception) -> None:
    """A keypad arm read in the same poll as a failing event-log read is shown; the provider stays online,
    its events marked late, and they arrive with a later poll."""

    class LogFails(ScriptedProvider):
        log_failures: list[Exception] = []

        async def events(self, limit: int = 100) -> list[Event]:
            if self.log_failures:
                raise self.log_failures.pop(0)
            return await super().events(limit)

    provider = LogFails()
    timing = PollTiming(poll_interval=0.05, refresh_interval=3600, min_gap=0)
    poller, rec = running(provider, timing)
    await rec.until(lambda: poller.status.state is LinkState.ONLINE)
    provider.log_failures = [error, error]
    provider.state = PartitionState.ARMED_AWAY  # armed at the keypad
    provider.events_list = [Event("k1", T0, EventKind.ARM, "Armed away", who="keypad")]
    await rec.until(lambda: poller.status.events_late != "")
    late = poller.status
    assert late.state is LinkState.ONLINE and "event log could not be read" in late.events_late
    assert rec.of(SnapshotUpdate)[-1].snapshot.partitions[0].state is PartitionState.ARMED_AWAY
    offline = [
        u for u in rec.of(StatusUpdate) if u.status.state is not LinkState.ONLINE and u.status.state is not LinkState.CONNECTING
    ]
    assert offline == []
    await rec.until(lambda: bool(rec.of(EventsUpdate)) and poller.status.events_late == "")
    assert [e.id for u in rec.of(EventsUpdate) for e in u.events] == ["k1"]
