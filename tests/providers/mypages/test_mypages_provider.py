"""End to end: the My Pages provider against the My Pages simulator (login, MFA, trust, renewal, failover,
status, doors, locks, climate, commands, events, photos, limits)."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
from pathlib import Path

import pytest

from alarmtui.domain import ArmMode, Capability, CommandPhase, EventKind, PartitionState, ZoneKind
from alarmtui.domain.command import Command, CommandAction
from alarmtui.providers.base import AuthenticationFailed, CommandRejected, OpenZones, RateLimited, TwoFactorRequired, WrongCode
from alarmtui.providers.mypages import AccountBlocked, Timing, TooManyCodes
from alarmtui.settings import MyPagesConfig

from .conftest import FakeClock, make_sim

# ---------------------------------------------------------------- login, MFA, trust


async def test_login_without_mfa_reads_everything_in_one_request(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    before = sim.count("ArmState")
    snap = await provider.snapshot()
    assert sim.count("ArmState") == before + 1  # the whole poll is one batched /graphql request
    part = snap.partitions[0]
    assert part.id == sim.cloud.giid and part.state is PartitionState.DISARMED and part.ready is True
    kinds = {z.id: z.kind for z in snap.zones}
    assert kinds["2BC4 7XKQ"] is ZoneKind.CONTACT and kinds["7LCK 4JKL"] is ZoneKind.LOCK
    assert kinds["6CLM 3GHI"] is ZoneKind.CLIMATE and kinds["4CAM 1ABC"] is ZoneKind.CAMERA
    basement = snap.zone("6CLM 3GHI")
    assert basement is not None and basement.temperature == 14.0 and basement.humidity == 63.0
    door = snap.zone("2BC4 7XKQ")
    assert door is not None and door.open is False and door.reported_at is not None
    lock = snap.zone("7LCK 4JKL")
    assert lock is not None and lock.locked is True and "Anna" in lock.detail
    assert {Capability.ARM_AWAY, Capability.ARM_HOME, Capability.DISARM, Capability.LOCK, Capability.PHOTO} <= snap.capabilities
    await provider.close()


async def test_mfa_once_then_the_trusted_device_never_asks_again(mfa_sim, tmp_path: Path) -> None:
    provider = mfa_sim.provider()
    with pytest.raises(TwoFactorRequired) as caught:
        await provider.connect()
    assert [p[0] for p in caught.value.phones] == ["phone", "email"]
    assert mfa_sim.cloud.sent_codes == []  # logging in never requests a code by itself (headless never waits)
    logins = mfa_sim.count("auth/login")
    with pytest.raises(TwoFactorRequired):
        await provider.connect()  # still waiting: nothing is sent
    assert mfa_sim.count("auth/login") == logins
    said = await provider.send_verification_code("phone")
    assert "sent" in said and len(mfa_sim.cloud.sent_codes) == 1
    again = await provider.send_verification_code("email")
    assert "already" in again and len(mfa_sim.cloud.sent_codes) == 1  # never a second code while one is pending
    assert mfa_sim.count("auth/login") == logins  # asking for the code did not log in again (pv#183)
    wrong = "000000" if mfa_sim.cloud.sent_codes[-1] != "000000" else "111111"
    with pytest.raises(TwoFactorRequired):
        await provider.verify_device(wrong)
    await provider.verify_device(mfa_sim.cloud.sent_codes[-1])
    await provider.connect()
    assert (await provider.snapshot()).partitions
    await provider.close()

    state_file = mfa_sim.state / "mypages-villa.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert mfa_sim.cloud.password not in state_file.read_text()
    assert any(k.startswith("vs-trust") for k in json.loads(state_file.read_text())["cookies"])

    # A restart uses the saved session; after every session died, the trust cookie logs in without a code.
    restarted = mfa_sim.provider()
    await restarted.connect()
    assert restarted.client.logins == 0
    await restarted.close()
    mfa_sim.cloud.expire_sessions()
    again_started = mfa_sim.provider()
    await again_started.connect()
    await again_started.snapshot()
    assert len(mfa_sim.cloud.sent_codes) == 1 and mfa_sim.cloud.step_ups == {}
    await again_started.close()


async def test_a_step_up_ended_by_wrong_codes_starts_again_with_one_new_code(mfa_sim) -> None:
    provider = mfa_sim.provider()
    with pytest.raises(TwoFactorRequired):
        await provider.connect()
    await provider.send_verification_code("phone")
    wrong = "000000" if mfa_sim.cloud.sent_codes[-1] != "000000" else "111111"
    for _ in range(3):  # the simulator ends the step-up after three wrong codes
        with pytest.raises(TwoFactorRequired):
            await provider.verify_device(wrong)
    with pytest.raises(TwoFactorRequired) as caught:
        await provider.verify_device(wrong)
    assert "expired" in caught.value.message
    assert "sent" in await provider.send_verification_code("phone")
    assert len(mfa_sim.cloud.sent_codes) == 2
    await provider.verify_device(mfa_sim.cloud.sent_codes[-1])
    await provider.connect()
    await provider.close()


async def test_too_many_codes_stops_and_says_so(tmp_path: Path) -> None:
    async for sim in make_sim(tmp_path, mfa=True, max_code_sends=0):
        provider = sim.provider()
        with pytest.raises(TwoFactorRequired):
            await provider.connect()
        with pytest.raises(TooManyCodes) as caught:
            await provider.send_verification_code("phone")
        assert caught.value.vendor_code == "ACC_00002" and "alarmtui login" in caught.value.hint
        await provider.close()


async def test_wrong_password_is_refused_with_which_kind_advice(sim) -> None:
    provider = sim.provider(sim.config(password="nope"))
    with pytest.raises(AuthenticationFailed) as caught:
        await provider.connect()
    assert caught.value.vendor_code == "AUT_00001" and "kind = securitas" in caught.value.message
    assert caught.value.hint == AuthenticationFailed.hint  # notifications tell a refused login by its hint
    assert "nope" not in str(caught.value)
    await provider.close()


# ---------------------------------------------------------------- renewal


async def test_access_cookie_is_renewed_before_it_expires_and_only_once(tmp_path: Path) -> None:
    clock = FakeClock()
    async for sim in make_sim(tmp_path, mfa=False, clock=clock):
        provider = sim.provider(wall=clock)
        await provider.connect()
        await provider.snapshot()
        clock.advance(850)  # inside the renewal margin, not yet expired
        await asyncio.gather(provider.snapshot(), provider.snapshot(), provider.events())
        assert sim.count("auth/token") == 1 and provider.client.renewals == 1
        clock.advance(3 * 900)  # long expired: renewed once, no second login
        await provider.snapshot()
        assert sim.count("auth/token") == 2 and sim.count("auth/login") == 1
        await provider.close()
        clock.advance(2 * 3600)  # a restart two hours later: the saved refresh cookie renews, no login
        restarted = sim.provider(wall=clock)
        await restarted.connect()
        await restarted.snapshot()
        assert sim.count("auth/token") == 3 and sim.count("auth/login") == 1
        await restarted.close()


async def test_refused_session_renews_once_and_a_dead_refresh_falls_back_to_a_login(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    sim.cloud.access.expire()  # the server forgot the access cookie: AUT_00011
    await provider.snapshot()
    assert sim.count("auth/token") == 1
    sim.cloud.expire_sessions()  # the refresh cookie is dead too: a login (with trust) instead
    await provider.snapshot()
    assert sim.count("auth/login") == 2
    await provider.close()


# ---------------------------------------------------------------- failover


@pytest.mark.parametrize("fault", ["sys_503", "sys_200", "gateway_504", "reset"])
async def test_failover_to_the_other_host_and_stay_there(sim, fault: str) -> None:
    provider = sim.provider()
    await provider.connect()
    sim.cloud.fail_host(1, fault, times=5)
    snap = await provider.snapshot()
    assert snap.partitions and provider.client.failovers == 1
    first, second = sim.host_count(1), sim.host_count(2)
    await provider.snapshot()
    assert sim.host_count(1) == first and sim.host_count(2) == second + 1  # the host that works is remembered
    await provider.close()


async def test_a_command_lost_on_one_host_is_never_sent_to_the_other(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    await provider.snapshot()
    sim.cloud.host_faults["automation01"].add("armAway", forward=True, drop=True)
    result = await provider.arm(ArmMode.AWAY)
    assert result.phase is CommandPhase.UNKNOWN and sim.count("armAway") == 1
    await provider.close()


# ---------------------------------------------------------------- commands


async def test_arm_home_away_and_disarm(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    await provider.snapshot()
    result = await provider.arm(ArmMode.HOME)
    assert result.ok and sim.cloud.status_type() == "ARMED_HOME"
    assert (await provider.snapshot()).unavailable.get(Capability.ARM_AWAY)
    with pytest.raises(CommandRejected) as caught:
        await provider.arm(ArmMode.AWAY)  # the panel's rule (VAL_00818): disarm first — its refusal, said plainly
    assert "disarm first" in caught.value.message and caught.value.vendor_code == "VAL_00818"
    assert sim.count("armAway") == 1 and sim.cloud.status_type() == "ARMED_HOME"  # one command, never a silent disarm
    assert sim.count("disarm") == 0
    assert (await provider.disarm()).ok and sim.cloud.status_type() == "DISARMED"
    assert (await provider.arm(ArmMode.AWAY)).ok and sim.cloud.status_type() == "ARMED_AWAY"
    assert sim.count("armAway") == 2
    snap = await provider.snapshot()
    assert snap.partitions[0].state is PartitionState.ARMED_AWAY
    assert (await provider.disarm(code="5678")).ok
    assert sim.cloud.partition.last_user == "Lars"
    await provider.close()


async def test_wrong_code_is_refused_by_the_panel(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    with pytest.raises(WrongCode):
        await provider.arm(ArmMode.AWAY, code="9999")
    assert sim.count("armAway") == 1 and sim.cloud.status_type() == "DISARMED"
    with pytest.raises(WrongCode):
        await provider.arm(ArmMode.AWAY, code="123")  # wrong length: refused before sending
    assert sim.count("armAway") == 1
    await provider.close()


async def test_arm_refused_with_a_door_open_then_forced(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    sim.panel.open_zone("2BC4 9RST")
    snap = await provider.snapshot()
    assert snap.partitions[0].open_zones == ("Balcony door",) and snap.zone("2BC4 9RST").open is True
    with pytest.raises(OpenZones) as caught:
        await provider.arm(ArmMode.AWAY)
    assert caught.value.zones == ("Balcony door",) and caught.value.can_force
    assert sim.count("armAway") == 1 and sim.cloud.status_type() == "DISARMED"
    result = await provider.execute(Command(CommandAction.ARM, ArmMode.AWAY, force=True))
    assert result.ok and sim.count("armAway") == 2 and sim.cloud.status_type() == "ARMED_AWAY"
    await provider.close()


async def test_outcome_unknown_when_the_panel_never_answers(tmp_path: Path) -> None:
    async for sim in make_sim(tmp_path, mfa=False):
        sim.cloud.arm_delay = float("inf")
        provider = sim.provider(timing=Timing(poll_interval=0.01, command_deadline=0.2))
        await provider.connect()
        result = await provider.arm(ArmMode.AWAY)
        assert result.phase is CommandPhase.UNKNOWN and "re-read" in result.message
        assert sim.count("armAway") == 1
        await provider.close()


async def test_lock_and_unlock_with_user_attribution(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    await provider.snapshot()
    result = await provider.execute(Command(CommandAction.UNLOCK, zone="7LCK 4JKL", code="5678"))
    assert result.ok and sim.cloud.locks[0].locked is False
    snap = await provider.snapshot()
    lock = snap.zone("7LCK 4JKL")
    assert lock is not None and lock.locked is False and "Lars" in lock.detail
    assert (await provider.lock("Front door")).ok and sim.cloud.locks[0].locked is True
    events = await provider.events()
    unlocked = next(e for e in events if e.text.startswith("Unlocked"))
    assert unlocked.who.startswith("Lars")
    assert unlocked.kind is EventKind.ZONE  # a lock's change, as alarmtui journals its own lock commands
    await provider.close()


# ---------------------------------------------------------------- events and photos


async def test_event_log_pages_back_and_ids_are_stable(sim) -> None:
    for n in range(40):
        sim.panel.log("arm" if n % 2 else "disarm", "x", partition="1", user="Anna", mode="away")
    provider = sim.provider()
    await provider.connect()
    before = sim.count("EventLog")
    everything = await provider.events_since(None)
    assert len(everything) >= 40 and len({e.id for e in everything}) == len(everything)
    assert sim.count("EventLog") - before >= 3  # 15 rows a page
    recent = await provider.events(10)
    assert {e.id for e in recent} <= {e.id for e in everything}
    assert {e.kind for e in everything} >= {EventKind.ARM, EventKind.DISARM}
    await provider.close()


async def test_camera_capture_and_the_latest_images(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    await provider.snapshot(refresh=True)
    result = await provider.request_photo("Garden")
    assert result.ok and len(result.photos) == 3 and result.photos[0].jpeg[:2] == b"\xff\xd8"
    event = next(e for e in await provider.events_since(None) if e.kind is EventKind.PHOTO)
    photos = await provider.photos(event)
    assert [p.jpeg for p in photos] == [p.jpeg for p in result.photos]
    await provider.close()


# ---------------------------------------------------------------- limits


async def test_rate_limit_says_how_long(tmp_path: Path) -> None:
    async for sim in make_sim(tmp_path, mfa=False, per_minute=3):
        provider = sim.provider()
        await provider.connect()  # login + installations: 2
        await provider.snapshot()
        with pytest.raises(RateLimited) as caught:
            await provider.snapshot()
        assert caught.value.retry_after and caught.value.vendor_code == "AUT_00021"
        await provider.close()


async def test_daily_block_stops_every_request_until_the_user_asks(tmp_path: Path) -> None:
    async for sim in make_sim(tmp_path, mfa=False, per_day=3):
        provider = sim.provider()
        await provider.connect()
        await provider.snapshot()
        with pytest.raises(AccountBlocked) as caught:
            await provider.snapshot()
        assert "blocked" in caught.value.message
        seen = len(sim.cloud.requests_seen)
        with pytest.raises(AccountBlocked):
            await provider.snapshot()
        assert len(sim.cloud.requests_seen) == seen  # nothing sent while blocked
        sim.cloud.unblock()
        provider.allow_login()  # the user asks
        assert (await provider.snapshot()).partitions
        await provider.close()


async def test_a_quiet_installation_costs_at_most_60_requests_an_hour(tmp_path: Path) -> None:
    """An hour of idle polling at the default interval on a fake clock, renewals included (the README's figure)."""
    clock = FakeClock()
    async for sim in make_sim(tmp_path, mfa=False, clock=clock):
        defaults = {
            name: MyPagesConfig.model_fields[name].default for name in ("poll_interval", "events_interval", "request_budget")
        }
        provider = sim.provider(sim.config(**defaults), wall=clock, clock=clock)
        await provider.connect()
        interval = provider.config.poll_interval
        start = len(sim.cloud.requests_seen)
        polls = 0
        while polls * interval < 3600:
            await provider.snapshot(refresh=polls % round(provider.config.refresh_interval / interval) == 0)
            await provider.events()
            polls += 1
            clock.advance(interval)
        per_hour = len(sim.cloud.requests_seen) - start
        assert per_hour <= 60, per_hour
        assert sim.count("auth/token") >= 3  # the renewals are in the count
        await provider.close()


async def test_no_secret_reaches_the_log(mfa_sim, caplog: pytest.LogCaptureFixture) -> None:
    """Cookies, the trust token, the password, the codes and media URLs never reach a log line (as the filter prints it)."""
    from alarmtui.redaction import scrub

    caplog.set_level(logging.DEBUG)
    provider = mfa_sim.provider()
    await mfa_sim.validated(provider)
    await provider.snapshot(refresh=True)
    await provider.arm(ArmMode.HOME, code="5678")
    result = await provider.request_photo("Garden")
    await provider.close()
    secrets = [mfa_sim.cloud.password, "5678", *mfa_sim.cloud.sent_codes, *provider.client.jar.cookies.values()]
    secrets += [f"/media/{token}.jpg" for token in mfa_sim.cloud.images]
    assert result.ok and len(secrets) > 8
    ours = [scrub(r.getMessage()) for r in caplog.records if not r.name.startswith("alarmtui.simulators")]
    assert ours and not [line for line in ours for secret in secrets if secret in line]
