"""Notifications delivered by Apprise to a real loopback receiver (an aiohttp server taking `json://` posts)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from alarmtui.domain import (
    ArmMode,
    Command,
    CommandAction,
    CommandPhase,
    CommandProgress,
    CommandResult,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Snapshot,
    Trouble,
    TroubleKind,
)
from alarmtui.domain.updates import CommandUpdate, EventsUpdate, LinkState, ProviderStatus, SnapshotUpdate, StatusUpdate
from alarmtui.notify.notifier import NOTIFY_EVENTS, Notifier, Target
from alarmtui.providers.base import AuthenticationFailed

NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)  # old on purpose: the notifier must judge by its own clock


@dataclass
class Receiver:
    """A webhook endpoint: records every JSON post; can fail or stall on demand."""

    port: int = 0
    posts: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    fail_next: int = 0
    stall: float = 0.0
    attempts: int = 0
    got: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    """Ends a stall early."""

    def url(self, path: str = "hook", auth: str = "") -> str:
        return f"json://{auth}127.0.0.1:{self.port}/{path}"

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.json()
        if self.stall:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), self.stall)
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.Response(status=500, text="try later")
        self.posts.append(body)
        self.headers.append(dict(request.headers))
        self.got.set()
        return web.Response(text="ok")

    async def wait_posts(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        async def until() -> None:
            while len(self.posts) < count:
                self.got.clear()
                await self.got.wait()

        await asyncio.wait_for(until(), timeout)
        return self.posts


async def start_receiver() -> tuple[Receiver, web.AppRunner]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return receiver, runner


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver, runner = await start_receiver()
    yield receiver
    await runner.cleanup()


def snap(
    *states: PartitionState, zone: str = "", troubles: tuple[Trouble, ...] = (), zones: tuple[tuple[str, ...], ...] = ()
) -> SnapshotUpdate:
    """Partitions "1" House and "2" Garage in `states`; `zones[i]`: the zones in alarm on partition i (else `zone`)."""
    partitions = tuple(
        Partition(
            str(i + 1),
            ["House", "Garage"][i],
            s,
            alarm_zone=(zones[i][0] if i < len(zones) and zones[i] else zone or None),
            alarm_zones=zones[i] if i < len(zones) else (),
        )
        for i, s in enumerate(states)
    )
    return SnapshotUpdate("powermaster", Snapshot(partitions=partitions, troubles=troubles, panel_name="Home", fetched_at=NOW))


def link(state: LinkState, reason: str = "", hint: str = "", kinds: tuple[str, ...] = ()) -> StatusUpdate:
    return StatusUpdate(
        "powermaster", ProviderStatus("powermaster", "visonic", state, reason=reason, hint=hint, error_kinds=kinds)
    )


async def notifier_for(*targets: Target, **kw: Any) -> Notifier:
    kw.setdefault("retry_delays", (0.05, 0.05, 0.05))
    kw.setdefault("settle", 0.0)
    # The notifier ignores vendor events from before its start: its wall clock is the tests' NOW, which is taken
    # at import and may be minutes old by the time a test runs in a long parallel suite.
    kw.setdefault("now", lambda: NOW)
    notifier = Notifier(list(targets), **kw)
    notifier.start()
    return notifier


async def test_an_alarm_says_what_where_and_when_and_is_sent_once(receiver: Receiver) -> None:
    notifier = await notifier_for(Target(receiver.url()))
    notifier.feed(snap(PartitionState.ARMED_AWAY, PartitionState.DISARMED))  # the state at start: not news
    notifier.feed(snap(PartitionState.TRIGGERED, PartitionState.DISARMED, zone="Hall PIR"))
    notifier.feed(snap(PartitionState.TRIGGERED, PartitionState.DISARMED, zone="Hall PIR"))  # still the same alarm
    notifier.feed(EventsUpdate("powermaster", (Event("a1", NOW, EventKind.ALARM, "Burglary", zone="Hall PIR"),)))
    await notifier.idle()
    (post,) = await receiver.wait_posts(1)
    local = NOW.astimezone()
    assert post["title"] == "ALARM — powermaster"
    assert post["message"] == f"ALARM — powermaster · House, zone Hall PIR, {local:%H:%M:%S}"
    await notifier.close()


async def test_the_vendor_log_first_then_the_state_is_still_one_alarm(receiver: Receiver) -> None:
    notifier = await notifier_for(Target(receiver.url(), frozenset({"alarm"})))
    notifier.feed(snap(PartitionState.ARMED_AWAY))
    notifier.feed(EventsUpdate("powermaster", (Event("a1", NOW, EventKind.ALARM, "Burglary", zone="Hall PIR"),)))
    notifier.feed(snap(PartitionState.TRIGGERED, zone="Hall PIR"))
    await notifier.idle()
    (post,) = await receiver.wait_posts(1)
    assert "Burglary" in post["message"]
    await asyncio.sleep(0.1)
    assert len(receiver.posts) == 1
    await notifier.close()


async def test_a_new_alarm_after_a_disarm_is_sent_at_once(receiver: Receiver) -> None:
    notifier = await notifier_for(Target(receiver.url(), frozenset({"alarm"})))
    notifier.feed(snap(PartitionState.ARMED_AWAY))
    notifier.feed(snap(PartitionState.TRIGGERED, zone="Hall PIR"))
    notifier.feed(snap(PartitionState.DISARMED))
    notifier.feed(snap(PartitionState.ARMED_AWAY))
    notifier.feed(snap(PartitionState.TRIGGERED, zone="Kitchen door"))
    await notifier.idle()
    posts = await receiver.wait_posts(2)
    assert ["Hall PIR" in posts[0]["message"], "Kitchen door" in posts[1]["message"]] == [True, True]
    await notifier.close()


async def test_targets_get_only_the_kinds_they_asked_for(receiver: Receiver) -> None:
    notifier = await notifier_for(
        Target(receiver.url("armed"), frozenset({"armed", "disarmed"}), 1), Target(receiver.url("alarm"), frozenset({"alarm"}), 2)
    )
    notifier.feed(snap(PartitionState.DISARMED))
    notifier.feed(snap(PartitionState.ARMED_HOME))
    notifier.feed(snap(PartitionState.TRIGGERED))
    notifier.feed(snap(PartitionState.DISARMED))
    await notifier.idle()
    titles = sorted(p["title"] for p in await receiver.wait_posts(3))
    assert titles == ["ALARM — powermaster", "Armed home — powermaster", "Disarmed — powermaster"]
    await notifier.close()


async def test_who_armed_comes_from_the_vendor_event_that_follows(receiver: Receiver) -> None:
    notifier = await notifier_for(Target(receiver.url(), frozenset({"armed"})), settle=0.2)
    notifier.feed(snap(PartitionState.DISARMED))
    notifier.feed(snap(PartitionState.ARMED_AWAY))  # the poller reports the snapshot first ...
    notifier.feed(EventsUpdate("powermaster", (Event("e9", NOW, EventKind.ARM, "Armed away", who="Alice"),)))  # ... then the log
    await notifier.idle()
    (post,) = await receiver.wait_posts(1)
    assert post["message"].startswith("Armed away — powermaster · House, by Alice, ")
    await notifier.close()


async def test_a_failed_delivery_is_retried_and_secrets_never_logged(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.fail_next = 2
    url = receiver.url("t0ps3cret-topic", auth="bob:hunter2secret@")
    notifier = await notifier_for(Target(url, number=1))
    notifier.feed(link(LinkState.ONLINE))
    notifier.feed(link(LinkState.OFFLINE, "the server does not answer"))
    await notifier.idle()
    (post,) = await receiver.wait_posts(1)
    assert post["title"] == "Offline — powermaster"
    assert "the server does not answer" in post["message"]
    assert receiver.attempts == 3
    text = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")  # that one is the test's receiver
    assert "retrying" in text and "target 1 (json)" in text
    for secret in ("hunter2secret", "t0ps3cret-topic", "bob:"):
        assert secret not in text
    await notifier.close()


async def test_a_target_that_never_answers_is_given_up_after_the_retries(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.fail_next = 100
    notifier = await notifier_for(Target(receiver.url()), retry_delays=(0.01, 0.01))
    notifier.feed(snap(PartitionState.ARMED_AWAY))
    notifier.feed(snap(PartitionState.TRIGGERED))
    await notifier.idle()
    assert receiver.attempts == 3
    assert "gave up" in caplog.text
    await notifier.close()


async def test_a_stalled_target_delays_nobody_else(receiver: Receiver) -> None:
    slow, slow_runner = await start_receiver()
    slow.stall = 30.0
    try:
        notifier = await notifier_for(Target(slow.url(), number=1), Target(receiver.url(), number=2))
        notifier.feed(snap(PartitionState.ARMED_AWAY))
        notifier.feed(snap(PartitionState.TRIGGERED))  # returns at once: delivery is in the background
        assert receiver.posts == [] and slow.posts == []
        await receiver.wait_posts(1, timeout=20)  # the healthy target has it while the slow one still waits
        for _ in range(200):  # the slow target's request may reach it a moment after the healthy one answered
            if slow.attempts:
                break
            await asyncio.sleep(0.05)
        assert slow.posts == [] and slow.attempts == 1
        slow.release.set()
        await slow.wait_posts(1)
        await notifier.close()
    finally:
        await slow_runner.cleanup()


async def test_login_refused_offline_back_online_and_failed_commands(receiver: Receiver) -> None:
    notifier = await notifier_for(Target(receiver.url()))
    notifier.feed(link(LinkState.CONNECTING))
    notifier.feed(
        link(
            LinkState.OFFLINE,
            "login refused: wrong password",
            AuthenticationFailed.hint,
            ("AuthenticationFailed", "ProviderError"),
        )
    )
    notifier.feed(link(LinkState.ONLINE))
    command = Command(CommandAction.ARM, mode=ArmMode.AWAY, label="House", code="4321")
    notifier.feed(CommandUpdate("powermaster", command, CommandProgress(CommandPhase.SENT)), origin="dashboard")
    failed = CommandResult(CommandPhase.FAILED, "zones open: Kitchen door", 1.0)
    notifier.feed(CommandUpdate("powermaster", command, CommandProgress(CommandPhase.FAILED), failed), origin="dashboard")
    await notifier.idle()
    posts = await receiver.wait_posts(3)
    assert [p["title"] for p in posts] == [
        "Login refused — powermaster",
        "Back online — powermaster",
        "Command failed — powermaster",
    ]
    assert "arm away House: zones open: Kitchen door, by dashboard" in posts[2]["message"]
    assert all("4321" not in p["message"] for p in posts)
    await notifier.close()


async def test_history_read_at_start_is_not_news_and_repeats_are_rate_limited(receiver: Receiver) -> None:
    ticks = [0.0]
    notifier = await notifier_for(Target(receiver.url(), frozenset({"alarm", "tamper"})), clock=lambda: ticks[0])
    old = Event("old", NOW - timedelta(days=3), EventKind.ALARM, "Burglary", zone="Hall PIR")
    notifier.feed(EventsUpdate("powermaster", (old,)))
    tamper = Trouble("t1", TroubleKind.TAMPER, "Tamper: Hall PIR", zone="Hall PIR")
    notifier.feed(snap(PartitionState.DISARMED))
    for _ in range(3):  # a flapping tamper switch
        notifier.feed(snap(PartitionState.DISARMED, troubles=(tamper,)))
        notifier.feed(snap(PartitionState.DISARMED))
        ticks[0] += 60
    ticks[0] += 3600
    notifier.feed(snap(PartitionState.DISARMED, troubles=(tamper,)))
    await notifier.idle()
    posts = await receiver.wait_posts(2)
    await asyncio.sleep(0.1)
    assert len(receiver.posts) == 2
    assert [p["title"] for p in posts] == ["Tamper — powermaster"] * 2
    assert "(2 repeats not sent)" in posts[1]["message"]
    await notifier.close()


async def test_send_test_reports_each_target(receiver: Receiver) -> None:
    refused = Target("json://127.0.0.1:9/nobody-listens", number=2)
    notifier = Notifier([Target(receiver.url(), number=1), refused, Target("notaservice://x", number=3)])
    results = await notifier.send_test()
    assert [(r.target, r.ok) for r in results] == [
        ("target 1 (json)", True),
        ("target 2 (json)", False),
        ("target 3 (notaservice)", False),
    ]
    assert "nobody-listens" not in results[1].detail
    assert results[2].detail == "not a valid Apprise URL"
    assert receiver.posts[0]["title"] == "alarmtui test"


def test_every_documented_kind_is_known() -> None:
    assert set(NOTIFY_EVENTS) == {
        "alarm",
        "entry_delay",
        "tamper",
        "power",
        "offline",
        "login_refused",
        "command_failed",
        "armed",
        "disarmed",
    }


async def test_fed_before_start_it_starts_itself(receiver: Receiver) -> None:
    notifier = Notifier([Target(receiver.url(), frozenset({"entry_delay"}))], settle=0)
    notifier.feed(snap(PartitionState.ARMED_AWAY))
    notifier.feed(snap(PartitionState.PENDING))  # an entry delay: someone came in
    await notifier.idle()
    (post,) = await receiver.wait_posts(1)
    assert post["title"] == "Entry delay — powermaster"
    await notifier.close()


# --------------------------------------------------------------------------- alarms per episode (issue 17)


async def test_two_partitions_alarming_a_minute_apart_are_two_pushes_each_naming_its_partition(receiver: Receiver) -> None:
    ticks = [0.0]
    notifier = await notifier_for(Target(receiver.url(), frozenset({"alarm"})), clock=lambda: ticks[0])
    notifier.feed(snap(PartitionState.ARMED_AWAY, PartitionState.ARMED_AWAY))
    notifier.feed(snap(PartitionState.TRIGGERED, PartitionState.ARMED_AWAY, zones=(("Hall PIR",), ())))
    ticks[0] += 60
    notifier.feed(snap(PartitionState.TRIGGERED, PartitionState.TRIGGERED, zones=(("Hall PIR",), ("Garage door",))))
    notifier.feed(snap(PartitionState.TRIGGERED, PartitionState.TRIGGERED, zones=(("Hall PIR",), ("Garage door",))))
    await notifier.idle()
    posts = await receiver.wait_posts(2)
    await asyncio.sleep(0.05)
    assert len(receiver.posts) == 2
    assert "House, zone Hall PIR" in posts[0]["message"] and "Garage" not in posts[0]["message"]
    assert "Garage, zone Garage door" in posts[1]["message"]
    assert [p["type"] for p in posts] == ["failure", "failure"]  # Apprise's failure type for an alarm
    await notifier.close()


async def test_a_second_zone_in_the_same_partition_is_one_more_push_and_a_flapping_zone_is_not(receiver: Receiver) -> None:
    ticks = [0.0]
    notifier = await notifier_for(Target(receiver.url(), frozenset({"alarm"})), clock=lambda: ticks[0])
    notifier.feed(snap(PartitionState.ARMED_AWAY))
    notifier.feed(snap(PartitionState.TRIGGERED, zones=(("Hall PIR",),)))
    ticks[0] += 5
    notifier.feed(snap(PartitionState.TRIGGERED, zones=(("Hall PIR", "Kitchen door"),)))
    ticks[0] += 5
    notifier.feed(snap(PartitionState.ARMED_AWAY))  # the alarm clears without a disarm ...
    ticks[0] += 5
    notifier.feed(snap(PartitionState.TRIGGERED, zones=(("Hall PIR",),)))  # ... and the same zone trips again
    await notifier.idle()
    posts = await receiver.wait_posts(2)
    await asyncio.sleep(0.05)
    assert [p["message"].split(" · ")[1].rsplit(",", 1)[0] for p in receiver.posts] == [
        "House, zone Hall PIR",
        "House, zone Kitchen door",
    ]
    ticks[0] += 600  # after the repeat window the same episode is news again, with the count of repeats held back
    notifier.feed(snap(PartitionState.ARMED_AWAY))
    notifier.feed(snap(PartitionState.TRIGGERED, zones=(("Hall PIR",),)))
    await notifier.idle()
    posts = await receiver.wait_posts(3)
    assert "House, zone Hall PIR" in posts[2]["message"] and "(1 repeat not sent)" in posts[2]["message"]
    assert len(posts) == 3
    await notifier.close()


async def test_an_entry_delay_is_its_own_message_and_the_alarm_20_s_later_is_pushed(receiver: Receiver) -> None:
    """MiOS/Vera: the vendor log says "entry delay" for partition 41 by id; the alarm follows 20 s later."""
    ticks = [0.0]
    notifier = await notifier_for(Target(receiver.url(), frozenset({"alarm", "entry_delay"})), clock=lambda: ticks[0])
    house = lambda state, **kw: SnapshotUpdate(  # noqa: E731
        "vera", Snapshot(partitions=(Partition("41", "House", state, **kw),), fetched_at=NOW)
    )
    notifier.feed(house(PartitionState.ARMED_AWAY))
    ticks[0] += 30
    notifier.feed(
        EventsUpdate("vera", (Event("e1", NOW, EventKind.ENTRY_DELAY, "Entry delay", zone="Front door", partition="41"),))
    )
    notifier.feed(house(PartitionState.PENDING, entry_delay=True))
    ticks[0] += 20
    notifier.feed(house(PartitionState.TRIGGERED, alarm_zone="Front door"))
    await notifier.idle()
    posts = await receiver.wait_posts(2)
    await asyncio.sleep(0.05)
    assert [p["title"] for p in receiver.posts] == ["Entry delay — vera", "ALARM — vera"]
    assert posts[0]["message"].split(" · ")[1].rsplit(", ", 1)[0] == "House, zone Front door, Entry delay"
    assert posts[0]["type"] == "warning" and posts[1]["type"] == "failure"
    assert "House, zone Front door" in posts[1]["message"]
    await notifier.close()


async def test_an_alarm_after_an_entry_delay_is_pushed_even_inside_the_repeat_window(receiver: Receiver) -> None:
    ticks = [0.0]
    notifier = await notifier_for(Target(receiver.url(), frozenset({"alarm"})), clock=lambda: ticks[0])
    notifier.feed(snap(PartitionState.ARMED_AWAY))
    notifier.feed(snap(PartitionState.TRIGGERED, zone="Front door"))
    notifier.feed(snap(PartitionState.ARMED_AWAY))  # cleared by the panel, not disarmed
    ticks[0] += 120
    notifier.feed(snap(PartitionState.PENDING))  # someone comes in again ...
    ticks[0] += 20
    notifier.feed(snap(PartitionState.TRIGGERED, zone="Front door"))  # ... and does not disarm
    await notifier.idle()
    await receiver.wait_posts(2)
    assert [p["title"] for p in receiver.posts] == ["ALARM — powermaster"] * 2
    await notifier.close()


async def test_the_vendor_log_naming_a_second_partition_is_not_taken_for_the_first(receiver: Receiver) -> None:
    notifier = await notifier_for(Target(receiver.url(), frozenset({"alarm"})))
    notifier.feed(snap(PartitionState.ARMED_AWAY, PartitionState.ARMED_AWAY))
    notifier.feed(snap(PartitionState.TRIGGERED, PartitionState.ARMED_AWAY, zones=(("Hall PIR",), ())))
    notifier.feed(
        EventsUpdate("powermaster", (Event("a2", NOW, EventKind.ALARM, "Burglary", zone="Garage door", partition="Garage"),))
    )
    notifier.feed(snap(PartitionState.TRIGGERED, PartitionState.TRIGGERED, zones=(("Hall PIR",), ("Garage door",))))
    await notifier.idle()
    posts = await receiver.wait_posts(2)
    await asyncio.sleep(0.05)
    assert len(receiver.posts) == 2
    assert "Garage, zone Garage door, Burglary" in posts[1]["message"]
    await notifier.close()


async def test_an_alarm_goes_out_at_high_priority_where_the_service_has_one(receiver: Receiver) -> None:
    """ntfy (self-hosted, here the loopback receiver): an alarm carries X-Priority max; other messages the URL's own."""
    target = Target(f"ntfy://127.0.0.1:{receiver.port}/house-alarm", frozenset({"alarm", "entry_delay"}))
    notifier = await notifier_for(target)
    notifier.feed(snap(PartitionState.ARMED_AWAY))
    notifier.feed(snap(PartitionState.PENDING))
    await notifier.idle()
    await receiver.wait_posts(1)
    notifier.feed(snap(PartitionState.TRIGGERED, zone="Front door"))
    await notifier.idle()
    posts = await receiver.wait_posts(2)
    assert posts[1]["title"] == "ALARM — powermaster" and posts[1]["topic"] == "house-alarm"
    assert "X-Priority" not in receiver.headers[0]
    assert receiver.headers[1]["X-Priority"] == "max"
    await notifier.close()


def test_urgent_urls_per_service() -> None:
    from alarmtui.notify.notifier import urgent_url

    assert urgent_url("ntfys://ntfy.sh/topic") == "ntfys://ntfy.sh/topic?priority=max"
    assert urgent_url("pover://user@token") == "pover://user@token?priority=high"
    assert urgent_url("gotifys://host/token?format=text") == "gotifys://host/token?format=text&priority=high"
    assert urgent_url("ntfy://host/topic?priority=low") == "ntfy://host/topic?priority=low"  # the user's choice wins
    assert urgent_url("json://host/hook") == "json://host/hook"


# --------------------------------------------------------------------------- bounded, cancellable delivery (issue 18)


@dataclass
class BadTarget:
    """A raw HTTP server that reads each request, then drips its reply one byte at a time or never answers."""

    drip: bool
    port: int = 0
    requests: int = 0
    server: asyncio.base_events.Server | None = None
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def start(self) -> BadTarget:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        with contextlib.suppress(Exception):
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
            )
            await reader.readexactly(length)
            self.requests += 1
            if not self.drip:
                await asyncio.sleep(3600)
            reply = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000
            for byte in reply:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        for writer in self.writers:
            writer.close()
        if self.server is not None:
            self.server.close()


def notify_threads() -> list[str]:
    import threading

    return [t.name for t in threading.enumerate() if t.name.startswith("alarmtui-notify")]


async def test_a_dripping_and_a_hanging_target_delay_nothing_and_close_is_bounded(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    dripping, hanging = await BadTarget(drip=True).start(), await BadTarget(drip=False).start()
    earlier = len(notify_threads())  # other tests' notifiers in this worker may still be winding down
    try:
        notifier = await notifier_for(
            Target(dripping.url(), number=1), Target(hanging.url(), number=2), Target(receiver.url(), number=3), deadline=0.5
        )
        notifier.feed(snap(PartitionState.ARMED_AWAY, PartitionState.ARMED_AWAY))
        notifier.feed(snap(PartitionState.TRIGGERED, PartitionState.ARMED_AWAY, zones=(("Hall PIR",), ())))
        notifier.feed(snap(PartitionState.TRIGGERED, PartitionState.TRIGGERED, zones=(("Hall PIR",), ("Garage door",))))
        notifier.feed(snap(PartitionState.DISARMED, PartitionState.DISARMED))
        # The healthy target has every message while the other two still hold their first request.
        posts = await receiver.wait_posts(4, timeout=10)
        assert [p["title"].split(" — ")[0] for p in posts] == ["ALARM", "ALARM", "Disarmed", "Disarmed"]
        assert dripping.requests == 1 and hanging.requests == 1
        assert len(notify_threads()) - earlier <= 3  # one per target, however many messages wait
        closed = await asyncio.wait_for(notifier.aclose(timeout=0.5), 3.0)  # SIGTERM: ≤ its deadline, not the drip's
        assert {label for label, _ in closed} == {"target 1 (json)", "target 2 (json)"}
        assert "abandoned" in caplog.text and "127.0.0.1" not in "".join(
            r.getMessage() for r in caplog.records if r.name.startswith("alarmtui")
        )
    finally:
        await dripping.stop()
        await hanging.stop()


async def test_a_full_queue_drops_the_oldest_non_alarm_message_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    hanging = await BadTarget(drip=False).start()
    dropped: list[tuple[str, str, str]] = []
    try:
        notifier = await notifier_for(
            Target(hanging.url(), number=1),
            deadline=30,
            queue_limit=3,
            on_drop=lambda message, target, reason: dropped.append((message.kind, target.label, reason)),
        )
        notifier.feed(snap(PartitionState.DISARMED))
        notifier.feed(snap(PartitionState.ARMED_AWAY))  # in flight: the hanging target holds it
        for _ in range(100):
            if hanging.requests:
                break
            await asyncio.sleep(0.02)
        notifier.feed(snap(PartitionState.TRIGGERED, zone="Hall PIR"))  # queued: alarm
        notifier.feed(snap(PartitionState.DISARMED))  # queued: disarmed
        notifier.feed(snap(PartitionState.ARMED_HOME))  # queued: armed (the queue is full now)
        notifier.feed(snap(PartitionState.TRIGGERED, zone="Kitchen"))  # a fourth: the oldest non-alarm goes
        outbox = notifier._outboxes[1]
        assert [m.kind for m in outbox.messages] == ["alarm", "armed", "alarm"]
        assert dropped == [("disarmed", "target 1 (json)", "dropped: the target's queue was full")]
        assert "dropped the oldest disarmed message" in caplog.text
        await notifier.aclose(timeout=0.1)
        assert [d[0] for d in dropped[1:]] == ["armed", "alarm", "armed", "alarm"]  # in flight + queued: abandoned, told
        assert {d[2] for d in dropped[1:]} == {"abandoned at shutdown"}
    finally:
        await hanging.stop()


async def test_send_test_answers_within_its_deadline_for_a_target_that_never_answers(receiver: Receiver) -> None:
    hanging = await BadTarget(drip=True).start()
    try:
        notifier = Notifier([Target(receiver.url(), number=1), Target(hanging.url(), number=2)])
        results = await asyncio.wait_for(notifier.send_test(deadline=0.5), 5.0)
        assert [(r.target, r.ok) for r in results] == [("target 1 (json)", True), ("target 2 (json)", False)]
        assert results[1].detail == "no answer within 0.5 s"
    finally:
        await hanging.stop()


def test_a_process_whose_delivery_hangs_still_exits(tmp_path: Any) -> None:
    """`notify test` (and the service after SIGTERM) must exit although a send never returns: no thread of
    ours or Apprise's is joined at interpreter exit (Apprise 2's own pool was, for its 60 s service timeout)."""
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "hang.py"
    script.write_text(
        """
import asyncio, socket, sys, threading
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
held = []
threading.Thread(target=lambda: [held.append(server.accept()) for _ in iter(int, 1)], daemon=True).start()
import apprise
from alarmtui.notify.notifier import Notifier, Target
url = f"json://127.0.0.1:{server.getsockname()[1]}/hook?rto=300"
apprise.Apprise().add(url)  # plugins loaded first: within the deadline the request is under way, not still being set up
results = asyncio.run(Notifier([Target(url)]).send_test(deadline=1.0))
print(results[0].ok, results[0].detail, len(held))
"""
    )
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    assert done.stdout.strip() == "False no answer within 1 s 1", done.stderr
