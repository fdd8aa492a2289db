"""Issue 8's MiOS defects, each against the real client and the simulator over loopback."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from alarmtui.domain import ArmMode, CommandPhase
from alarmtui.providers.base import ConnectionFailed, ProtocolError, RateLimited
from alarmtui.providers.mios import MiosProvider
from alarmtui.settings import MiosConfig
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.houses import vera_house
from alarmtui.simulators.mios import MiosCloud
from tests.helpers import FakeClock

HOUSE, GARAGE = "41", "42"


@dataclass
class Rig:
    cloud: MiosCloud
    host: SimHost
    provider: MiosProvider

    @property
    def panel(self):  # type: ignore[no-untyped-def]
        return self.cloud.panels[0]

    def new_provider(self, *, clock: FakeClock | None = None) -> MiosProvider:
        config = MiosConfig(
            kind="mios",
            name="vera",
            url=self.host.urls["mios"],
            username="demo",
            password="demo-pass",
            code="1234",
        )
        return _fast(MiosProvider(config, **({"clock": clock} if clock else {})))


def _fast(provider: MiosProvider) -> MiosProvider:
    provider.job_poll_interval = 0.05
    provider.retry_delay = 0.05
    provider.job_timeout = 3.0
    return provider


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    cloud = MiosCloud(panel=vera_house(exit_delay=0.3, entry_delay=0.3, photo_delay=0))
    async with SimHost([cloud]) as host:
        rig = Rig(cloud, host, None)  # type: ignore[arg-type]
        rig.provider = rig.new_provider()
        await rig.provider.connect()
        try:
            yield rig
        finally:
            await rig.provider.close()


# ------------------------------------------------------------------ 2: jobstatus {"status": 4}


async def test_jobstatus_with_exactly_the_documented_fields_is_done_not_a_reload(rig: Rig) -> None:
    rig.cloud.vera().minimal_jobstatus = True  # {"status": 4}, nothing else (mios.md §2.4)
    started = time.monotonic()
    result = await rig.provider.arm(ArmMode.AWAY, partition=HOUSE)
    assert result.phase is CommandPhase.DONE, result.message
    assert time.monotonic() - started < 2.0  # not the job timeout
    assert (await rig.provider.disarm(partition=HOUSE)).ok


async def test_a_reload_reply_to_sdata_is_still_a_glitch(rig: Rig) -> None:
    rig.cloud.inject_glitch("status0", count=1)  # {"status": 0} where sdata was asked: Luup reloading
    snap = await rig.provider.snapshot(refresh=True)  # retried, then the real answer
    assert len(snap.partitions) == 2


# ------------------------------------------------------------------ 4: true outcomes


async def test_two_partitions_first_armed_second_refused_reports_each(rig: Rig) -> None:
    rig.cloud.vera().refuse_jobs[int(GARAGE)] = "Arming failed: keypad lockout"
    result = await rig.provider.arm(ArmMode.AWAY)  # the whole panel: both partitions
    # Issue 17: a partial result, reported per partition, not "failed" (exit 1) and not "not sent" (exit 3).
    assert result.phase is not CommandPhase.FAILED and result.partial
    assert result.message == "House armed; Garage refused: Arming failed: keypad lockout"
    assert "not sent" not in result.message and "send it again" not in result.message
    assert rig.cloud.vera().actions_received == ["41 RequestArmMode Armed", "42 RequestArmMode Armed"]


async def test_second_partition_turned_away_by_the_relay_is_not_a_login_failure(rig: Rig) -> None:
    rig.cloud.vera().refuse_requests[int(GARAGE)] = (401, 'MMSAuth error="invalid token"')
    result = await rig.provider.arm(ArmMode.AWAY)
    assert result.phase is CommandPhase.FAILED
    assert result.message.startswith("House: arm away: done; Garage: arm away not sent")
    assert "send it again" not in result.message
    assert rig.cloud.vera().actions_received == ["41 RequestArmMode Armed"]


async def test_connection_refused_before_anything_was_sent_is_not_sent(rig: Rig) -> None:
    await rig.host.stop()  # nothing listens any more: connection refused
    for command in (rig.provider.disarm(partition=HOUSE), rig.provider.arm(ArmMode.AWAY, partition=HOUSE)):
        with pytest.raises(ConnectionFailed, match="not sent"):
            await command
    assert rig.cloud.vera().actions_received == []


async def test_relay_429_is_rate_limited_with_retry_after(rig: Rig) -> None:
    rig.cloud.inject_reply(429, b"Too Many Requests", headers={"Retry-After": "42", "Content-Type": "text/plain"})
    with pytest.raises(RateLimited) as throttled:
        await rig.provider.snapshot(refresh=True)
    assert throttled.value.retry_after == 42.0
    # A command the relay throttles never reached the Vera.
    rig.cloud.inject_reply(429, b"Too Many Requests", headers={"Retry-After": "7", "Content-Type": "text/plain"})
    with pytest.raises(RateLimited) as throttled:
        await rig.provider.disarm(partition=HOUSE)
    assert throttled.value.retry_after == 7.0
    assert rig.cloud.vera().actions_received == []


# ------------------------------------------------------------------ 5: reply size limit


def _sdata_with_comment(size: int) -> bytes:
    return json.dumps({"full": 1, "loadtime": 1, "dataversion": 2, "devices": [], "comment": "x" * size}).encode()


async def test_an_oversized_reply_is_refused_not_parsed(rig: Rig) -> None:
    rig.cloud.inject_reply(200, _sdata_with_comment(20 * 1024 * 1024))
    with pytest.raises(ProtocolError, match="larger than"):
        await rig.provider.snapshot(refresh=True)


async def test_a_gzip_bomb_is_refused_while_inflating(rig: Rig) -> None:
    bomb = gzip.compress(_sdata_with_comment(24 * 1024 * 1024), compresslevel=6)
    assert len(bomb) < 1024 * 1024
    rig.cloud.inject_reply(200, bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    with pytest.raises(ProtocolError, match="larger than"):
        await rig.provider.snapshot(refresh=True)


async def test_a_large_but_allowed_reply_is_read(rig: Rig) -> None:
    rig.cloud.inject_reply(200, _sdata_with_comment(2 * 1024 * 1024))
    snap = await rig.provider.snapshot(refresh=True)
    assert snap.partitions == ()  # that reply listed no devices


# ------------------------------------------------------------------ 7: identity expiry and the local clock


async def test_a_local_clock_two_days_ahead_does_not_loop_logins(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 2 * 86400)
    for _ in range(5):
        await rig.provider.snapshot(refresh=True)
    await rig.provider.events()
    assert rig.cloud.logins == 1


async def test_the_identity_is_renewed_near_the_end_of_its_own_life(rig: Rig, fake_clock: FakeClock) -> None:
    rig.cloud.identity_lifetime = 2.4  # renewal margin: 1/24 of the life = 0.1 s
    provider = rig.new_provider(clock=fake_clock)
    try:
        await provider.connect()
        await provider.snapshot(refresh=True)
        assert rig.cloud.logins == 2  # the rig's own, and this provider's
        fake_clock.advance(1.8)
        await provider.snapshot(refresh=True)
        assert rig.cloud.logins == 2  # well within its life: no renewal yet
        fake_clock.advance(0.6)
        await provider.snapshot(refresh=True)
        assert rig.cloud.logins == 3
    finally:
        await provider.close()


# ------------------------------------------------------------------ 1: a reply nested 100,000 deep


async def test_a_reply_nested_100000_deep_is_a_protocol_error(rig: Rig) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    rig.cloud.inject_reply(200, deep)
    with pytest.raises(ProtocolError):
        await rig.provider.snapshot(refresh=True)
    rig.cloud.inject_reply(200, b'{"Identity": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", count=1)
    # The long poll swallows it (plain polling until next round) instead of dying.
    assert await rig.provider.wait_for_change(0.3) is False
    snap = await rig.provider.snapshot(refresh=True)  # and the provider carries on
    assert len(snap.partitions) == 2


async def test_deep_values_inside_a_device_do_not_break_the_mapping(rig: Rig) -> None:
    nested: object = "x"
    for _ in range(900):
        nested = [nested]
    body = json.dumps(
        {
            "full": 1,
            "loadtime": 5,
            "dataversion": 6,
            "devices": [{"id": 41, "category": 23, "name": nested, "armmode": nested, "detailedarmmode": "Ready"}],
        }
    ).encode()
    rig.cloud.inject_reply(200, body)
    snap = await rig.provider.snapshot(refresh=True)
    assert snap.partitions[0].id == HOUSE


# ------------------------------------------------------------------ 6: a refused password is not retried forever


async def test_a_refused_password_pauses_automatic_logins(rig: Rig) -> None:
    from alarmtui.providers.base import AuthenticationFailed
    from alarmtui.providers.errors import LoginPaused

    rig.cloud.users["demo"].password = "changed-elsewhere"
    provider = rig.new_provider()
    try:
        with pytest.raises(AuthenticationFailed):
            await provider.connect()
        attempts = sum(1 for p in rig.cloud.requests if p.startswith("/autha/"))
        for _ in range(3):  # the poller retrying by itself
            with pytest.raises(LoginPaused):
                await provider.connect()
        assert sum(1 for p in rig.cloud.requests if p.startswith("/autha/")) == attempts
        provider.allow_login()  # the user pressed r
        with pytest.raises(AuthenticationFailed):
            await provider.connect()
        assert sum(1 for p in rig.cloud.requests if p.startswith("/autha/")) == attempts + 1
    finally:
        await provider.close()


async def test_per_partition_outcomes_are_in_the_result(rig: Rig) -> None:
    rig.cloud.vera().refuse_jobs[int(GARAGE)] = "Arming failed: keypad lockout"
    result = await rig.provider.arm(ArmMode.AWAY)
    assert [(p.partition, p.phase) for p in result.partitions] == [
        (HOUSE, CommandPhase.CONFIRMED),
        (GARAGE, CommandPhase.FAILED),
    ]
    assert result.error is not None and "keypad lockout" in str(result.error)
