"""End to end: the Securitas provider against the OWA simulator (login, 2FA, renewal, status, commands, faults)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import stat

import pytest

from alarmtui.domain import ArmMode, Capability, CommandPhase, EventKind, PartitionState
from alarmtui.providers.base import (
    AuthenticationFailed,
    CommandRejected,
    OpenZones,
    PanelBusy,
    RateLimited,
    TwoFactorRequired,
)
from alarmtui.providers.securitas import AccountBlocked, WrongOneTimeCode

# ---------------------------------------------------------------- login and two-factor


async def test_new_device_needs_sms_code_once_then_refresh_token_is_used(otp_sim) -> None:
    provider = otp_sim.provider()
    with pytest.raises(TwoFactorRequired) as caught:
        await provider.connect()
    assert caught.value.phones == (("1", "***456"), ("2", "***789"))
    # A second attempt while waiting for the code sends nothing new.
    before = dict(otp_sim.cloud.request_counts)
    with pytest.raises(TwoFactorRequired):
        await provider.connect()
    assert otp_sim.cloud.request_counts == before
    await provider.send_verification_code("2")
    assert len(otp_sim.cloud.sent_codes) == 1
    await provider.verify_device(otp_sim.cloud.sent_codes[-1])
    await provider.connect()
    assert (await provider.snapshot()).partitions[0].state is PartitionState.DISARMED
    await provider.close()

    # A new process: same state directory, so the same device and a refresh token — no code, no password.
    logins = otp_sim.count("mkLoginToken")
    again = otp_sim.provider()
    await again.connect()
    assert otp_sim.count("mkLoginToken") == logins
    assert otp_sim.count("RefreshLogin") == 1
    assert len(otp_sim.cloud.sent_codes) == 1
    await again.close()


async def test_wrong_code_gets_a_fresh_challenge_and_a_new_code_works(otp_sim) -> None:
    provider = otp_sim.provider()
    with pytest.raises(TwoFactorRequired):
        await provider.connect()
    await provider.send_verification_code("1")
    wrong = "000000" if otp_sim.cloud.sent_codes[-1] != "000000" else "111111"
    with pytest.raises(WrongOneTimeCode) as caught:
        await provider.verify_device(wrong)
    assert caught.value.phones
    await provider.send_verification_code("1")
    await provider.verify_device(otp_sim.cloud.sent_codes[-1])
    await provider.connect()
    await provider.close()


async def test_expired_code_restarts_from_the_phone_list(sim_with) -> None:
    async with sim_with(require_otp=True, otp_lifetime=0.0) as sim:
        provider = sim.provider()
        with pytest.raises(TwoFactorRequired):
            await provider.connect()
        await provider.send_verification_code("1")
        await asyncio.sleep(0.01)
        with pytest.raises(TwoFactorRequired) as caught:
            await provider.verify_device(sim.cloud.sent_codes[-1])
        assert "expired" in caught.value.message
        assert caught.value.phones
        await provider.close()


async def test_device_identity_and_refresh_token_are_kept_in_a_private_file(sim, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    provider = sim.provider()
    await provider.connect()
    await provider.snapshot()
    files = list(sim.state.glob("securitas-*.json"))
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    saved = json.loads(files[0].read_text())
    assert saved["refreshToken"] == sim.cloud.account.refresh_token
    assert len(saved["device"]["idDevice"]) == 16
    assert sim.cloud.password not in files[0].read_text()
    assert provider.client._hash not in files[0].read_text()
    for secret in (sim.cloud.password, sim.cloud.account.refresh_token, provider.client._hash):
        assert secret not in caplog.text
    await provider.close()


async def test_request_shapes_follow_the_real_app(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    await provider.snapshot()
    ((login_vars, login_headers),) = sim.seen("mkLoginToken")
    assert "auth" not in login_headers  # no hash held yet
    assert login_vars["callby"] == "OWA_10" and login_vars["idDevice"] == login_vars["uuid"]
    ((inst_vars, inst_headers),) = sim.seen("mkInstallationList")
    assert inst_vars == {} and "numinst" not in inst_headers
    ((status_vars, status_headers),) = sim.seen("Status")
    assert status_vars == {"numinst": provider.numinst}
    assert status_headers["numinst"] == provider.numinst and status_headers["panel"] == "SDVFAST"
    assert status_headers["x-capabilities"].count(".") == 2
    assert status_headers["x-apollo-operation-name"] == "Status"
    assert len(status_headers["x-apollo-operation-id"]) == 128
    auth = json.loads(status_headers["auth"])
    assert list(auth) == ["loginTimestamp", "user", "id", "country", "lang", "callby", "hash"]
    assert auth["id"].startswith("OWA_______________demo@example.com_______________")
    await provider.close()


# ---------------------------------------------------------------- renewal


async def test_hash_is_renewed_with_the_refresh_token_before_it_expires(sim_with, fake_clock) -> None:
    async with sim_with(hash_lifetime=3, clock=fake_clock, wall=fake_clock.wall) as sim:
        provider = sim.provider(clock=fake_clock)
        await provider.connect()
        first_token = sim.cloud.account.refresh_token
        fake_clock.advance(2.2)  # within renew_margin (1 s) of exp; still valid at the server
        await provider.snapshot()
        assert sim.count("RefreshLogin") == 1
        assert sim.count("mkLoginToken") == 1
        rotated = sim.cloud.account.refresh_token
        assert rotated != first_token
        saved = json.loads(next(sim.state.glob("securitas-*.json")).read_text())
        assert saved["refreshToken"] == rotated  # saved at once
        ((refresh_vars, refresh_headers),) = sim.seen("RefreshLogin")
        pre_auth = json.loads(refresh_headers["auth"])
        assert pre_auth["hash"] == "" and pre_auth["refreshToken"] == "" and pre_auth["loginTimestamp"] == 0
        assert refresh_vars["refreshToken"] == first_token
        await provider.close()


async def test_parallel_callers_share_one_renewal(sim_with, fake_clock) -> None:
    async with sim_with(hash_lifetime=3, clock=fake_clock, wall=fake_clock.wall) as sim:
        provider = sim.provider(clock=fake_clock)
        await provider.connect()
        fake_clock.advance(2.2)
        await asyncio.gather(provider.snapshot(), provider.events(), provider.snapshot())
        assert sim.count("RefreshLogin") == 1
        await provider.close()


async def test_session_expiry_renews_once_and_retries(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    sim.cloud.expire_sessions()
    snapshot = await provider.snapshot()
    assert snapshot.partitions[0].state is PartitionState.DISARMED
    assert sim.count("RefreshLogin") == 1
    assert sim.count("Status") == 2
    await provider.close()


async def test_dead_refresh_token_falls_back_to_the_password(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    sim.cloud.account.refresh_token = "revoked"
    sim.cloud.expire_sessions()
    await provider.snapshot()
    assert sim.count("RefreshLogin") == 1
    assert sim.count("mkLoginToken") == 2
    await provider.close()


async def test_refresh_crash_is_transient_and_does_not_burn_a_password_attempt(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    sim.cloud.expire_sessions()
    sim.cloud.inject("refresh_crash", operation="RefreshLogin")
    with pytest.raises(Exception) as caught:
        await provider.snapshot()
    assert not isinstance(caught.value, AuthenticationFailed)
    assert sim.count("mkLoginToken") == 1
    await provider.snapshot()  # next poll: the refresh works
    await provider.close()


async def test_wrong_password_is_not_retried_at_once(sim) -> None:
    provider = sim.provider(sim.config(password="wrong"))
    with pytest.raises(AuthenticationFailed):
        await provider.connect()
    with pytest.raises(AuthenticationFailed):
        await provider.connect()
    assert sim.count("mkLoginToken") == 1
    assert sim.cloud.account.failures == 1
    await provider.close()


async def test_blocked_account_has_its_own_message(sim) -> None:
    sim.cloud.account.blocked = True
    provider = sim.provider()
    with pytest.raises(AccountBlocked) as caught:
        await provider.connect()
    assert "blocked" in str(caught.value)
    assert "reset the password" in caught.value.hint.lower()
    await provider.close()


# ---------------------------------------------------------------- status


async def test_routine_poll_reads_the_cached_status_and_refresh_wakes_the_panel(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    sim.panel.arm(None, perimeter=True)
    snapshot = await provider.snapshot()
    assert sim.count("CheckAlarm") == 0
    part = snapshot.partitions[0]
    assert part.state is PartitionState.ARMED_CUSTOM_BYPASS and part.detail == "perimeter"
    assert Capability.ARM_PERIMETER in snapshot.capabilities and Capability.PHOTO in snapshot.capabilities
    refreshed = await provider.snapshot(refresh=True)
    assert sim.count("CheckAlarm") == 1 and sim.count("CheckAlarmStatus") == 2  # one WAIT, then OK
    assert refreshed.partitions[0].detail == "perimeter"
    ((check_vars, _),) = sim.seen("CheckAlarmStatus")[:1]
    assert check_vars["idService"] == "11" and "counter" not in check_vars
    await provider.close()


async def test_panel_offline_on_refresh_keeps_the_cached_state_and_says_why(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    sim.panel.set_offline(True)
    snapshot = await provider.snapshot(refresh=True)
    assert snapshot.partitions[0].state is PartitionState.DISARMED
    assert "did not answer" in snapshot.detail or "could not" in snapshot.detail
    await provider.close()


async def test_unknown_proto_letter_is_unknown_and_blocks_arming_but_not_disarm(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    original = sim.cloud.proto
    sim.cloud.proto = lambda inst: "N"  # type: ignore[method-assign]
    snapshot = await provider.snapshot()
    assert snapshot.partitions[0].state is PartitionState.UNKNOWN
    with pytest.raises(CommandRejected):
        await provider.arm(ArmMode.AWAY)
    sim.cloud.proto = original  # type: ignore[method-assign]
    assert (await provider.disarm()).phase is CommandPhase.DONE
    await provider.close()


# ---------------------------------------------------------------- commands


@pytest.mark.parametrize(
    ("mode", "request_code", "letter", "state"),
    [
        (ArmMode.AWAY, "ARM1", "T", PartitionState.ARMED_AWAY),
        (ArmMode.HOME, "ARMDAY1", "P", PartitionState.ARMED_HOME),
        (ArmMode.NIGHT, "ARMNIGHT1", "Q", PartitionState.ARMED_NIGHT),
        (ArmMode.PERIMETER, "PERI1", "E", PartitionState.ARMED_CUSTOM_BYPASS),
    ],
)
async def test_every_arm_mode(sim, mode, request_code, letter, state) -> None:
    provider = sim.provider()
    await provider.connect()
    await provider.snapshot()
    phases = []
    result = await provider.arm(mode, progress=lambda p: phases.append(p.phase))
    assert result.phase is CommandPhase.DONE, result
    assert [v["request"] for v, _ in sim.seen("xSArmPanel")] == [request_code]
    assert sim.cloud.proto(sim.cloud.main) == letter
    assert CommandPhase.SENT in phases and CommandPhase.WAITING in phases
    assert (await provider.snapshot()).partitions[0].state is state
    polls = [v["counter"] for v, _ in sim.seen("ArmStatus")]
    assert polls == [1, 2]
    await provider.close()


@pytest.mark.parametrize(
    ("first", "second", "request_code", "words", "state"),
    [
        (ArmMode.HOME, ArmMode.PERIMETER, "ARMDAY1PERI1", "home + perimeter", PartitionState.ARMED_HOME),
        (ArmMode.PERIMETER, ArmMode.NIGHT, "ARMNIGHT1PERI1", "night + perimeter", PartitionState.ARMED_NIGHT),
        (ArmMode.PERIMETER, ArmMode.AWAY, "ARMINTEXT1", "away + perimeter", PartitionState.ARMED_AWAY),
    ],
)
async def test_combinations_keep_the_other_axis(sim, first, second, request_code, words, state) -> None:
    provider = sim.provider()
    await provider.connect()
    await provider.snapshot()
    assert (await provider.arm(first)).ok
    result = await provider.arm(second)
    assert result.ok and result.message == words
    assert sim.seen("xSArmPanel")[-1][0]["request"] == request_code
    part = (await provider.snapshot()).partitions[0]
    assert part.state is state and part.detail == words
    disarm = await provider.disarm()
    assert disarm.ok
    assert (await provider.snapshot()).partitions[0].state is PartitionState.DISARMED
    await provider.close()


async def test_open_zones_are_named_and_arm_anyway_forces(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    await provider.snapshot()
    sim.panel.open_zone("3")
    with pytest.raises(OpenZones) as caught:
        await provider.arm(ArmMode.AWAY)
    assert caught.value.zones == ("Puerta de la cocina",)
    assert caught.value.can_force
    assert (await provider.snapshot()).partitions[0].state is PartitionState.DISARMED
    result = await provider.arm(ArmMode.AWAY, force=True)
    assert result.ok
    forced_submit = sim.seen("xSArmPanel")[-1][0]
    assert forced_submit["forceArmingRemoteId"] and forced_submit["suid"]
    assert sim.seen("ArmStatus")[-1][0]["forceArmingRemoteId"] == forced_submit["forceArmingRemoteId"]
    assert [v["counter"] for v, _ in sim.seen("xSGetExceptions")] == [1, 2]
    assert (await provider.snapshot()).partitions[0].state is PartitionState.ARMED_AWAY
    events = await provider.events()
    forced = next(e for e in events if "exceptions" in e.text)
    assert forced.kind is EventKind.ARM and "Puerta de la cocina" in forced.text
    await provider.close()


async def test_force_in_one_call_when_zones_turn_out_open(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    await provider.snapshot()
    sim.panel.open_zone("3")
    result = await provider.arm(ArmMode.AWAY, force=True)
    assert result.ok
    assert len(sim.seen("xSArmPanel")) == 2
    await provider.close()


async def test_french_zone_error_is_forceable_too(sim_with) -> None:
    async with sim_with(country="FR") as sim:
        provider = sim.provider(sim.config(country="FR"))
        await provider.connect()
        await provider.snapshot()
        sim.panel.open_zone("4")
        with pytest.raises(OpenZones) as caught:
            await provider.arm(ArmMode.HOME)
        assert caught.value.zones == ("Ventana del dormitorio",)
        await provider.close()


async def test_no_confirmation_in_time_is_unknown_and_never_resent(sim_with, fast_pacing) -> None:
    async with sim_with(waits=10_000) as sim:
        provider = sim.provider(pacing=dataclasses.replace(fast_pacing, poll_timeout=0.3))
        await provider.connect()
        result = await provider.arm(ArmMode.AWAY)
        assert result.phase is CommandPhase.UNKNOWN
        assert "re-read" in result.message
        assert sim.count("xSArmPanel") == 1
        assert sim.panel.commands_received == 1
        await provider.close()


async def test_offline_panel_outcome_is_unknown_not_failed(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    sim.panel.set_offline(True)
    result = await provider.arm(ArmMode.AWAY)
    assert result.phase is CommandPhase.UNKNOWN
    await provider.close()


@pytest.mark.parametrize("fault", ["busy", "busy_409", "busy_status"])
async def test_busy_answers_are_panel_busy_with_the_wait(sim, fault) -> None:
    provider = sim.provider()
    await provider.connect()
    sim.cloud.inject(fault, operation="xSArmPanel")
    with pytest.raises(PanelBusy) as caught:
        await provider.arm(ArmMode.AWAY)
    assert "wait 90 s" in caught.value.message
    assert sim.panel.commands_received == 0
    assert sim.count("xSArmPanel") == 1
    await provider.close()


async def test_second_operation_while_one_runs_is_busy(sim_with) -> None:
    async with sim_with(waits=10_000) as sim:
        other = sim.provider()
        await other.connect()
        submit_only = await other.client.call(
            "xSArmPanel",
            {"request": "ARM1", "numinst": other.numinst, "panel": "SDVFAST", "currentStatus": "D", "armAndLock": False},
        )
        assert submit_only["res"] == "OK"
        provider = sim.provider()
        await provider.connect()
        with pytest.raises(PanelBusy):
            await provider.disarm()
        await other.close()
        await provider.close()


async def test_firewall_block_backs_off_without_sending(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    sim.cloud.inject("firewall")
    with pytest.raises(RateLimited) as caught:
        await provider.snapshot()
    assert caught.value.retry_after == 900.0
    sent = sum(sim.cloud.request_counts.values())
    with pytest.raises(RateLimited):
        await provider.snapshot()
    assert sum(sim.cloud.request_counts.values()) == sent
    await provider.close()


async def test_request_rate_firewall_of_the_simulator(sim_with) -> None:
    async with sim_with(waf_limit=5) as sim:
        provider = sim.provider()
        await provider.connect()
        with pytest.raises(RateLimited):
            for _ in range(5):
                await provider.snapshot()
        await provider.close()


async def test_requests_are_spaced_by_the_minimum_gap(sim, fast_pacing) -> None:
    arrivals: list[float] = []
    original = sim.cloud.handle

    async def timed(request):
        arrivals.append(asyncio.get_running_loop().time())
        return await original(request)

    sim.cloud.handle = timed  # type: ignore[method-assign]
    app_router = sim.host._runners[0].app.router  # re-route the live app to the timing wrapper
    for route in app_router.routes():
        if route.method == "POST":
            route._handler = timed  # type: ignore[attr-defined]
    provider = sim.provider(pacing=dataclasses.replace(fast_pacing, min_gap=0.15))
    await provider.connect()
    await provider.snapshot()
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert len(gaps) >= 4
    assert min(gaps) >= 0.12
    await provider.close()


# ---------------------------------------------------------------- events and photos


async def test_timeline_is_paged_and_deduplicated(sim) -> None:
    for index in range(40):
        sim.panel.log("disarm" if index % 2 else "alarm", f"event {index}")
    provider = sim.provider(activity_cache=0.0)
    await provider.connect()
    events = await provider.events(limit=100)
    assert len(events) == 40
    assert len({e.id for e in events}) == 40
    assert [e.time for e in events] == sorted((e.time for e in events), reverse=True)
    pages = [v["offset"] for v, _ in sim.seen("ActV2Timeline")]
    assert pages == [0, 30]
    sim.panel.log("disarm", "one more")
    again = await provider.events(limit=100)
    assert len(again) == 41
    assert [v["offset"] for v, _ in sim.seen("ActV2Timeline")][2:] == [0]  # the known rest is not fetched again
    await provider.close()


async def test_alarm_in_the_timeline_shows_triggered(sim) -> None:
    provider = sim.provider(activity_cache=0.0)
    await provider.connect()
    assert (await provider.arm(ArmMode.AWAY)).ok
    sim.panel.trip_zone("1")
    await provider.events()
    part = (await provider.snapshot()).partitions[0]
    assert part.state is PartitionState.TRIGGERED
    await provider.close()


async def test_photo_request_returns_the_new_pictures(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    result = await provider.request_photo("1")
    assert result.ok, result
    assert len(result.photos) == 3
    assert all(p.jpeg[:2] == b"\xff\xd8" for p in result.photos)
    ((submit, _),) = sim.seen("RequestImages")
    assert submit["devices"] == [1] and submit["deviceType"] == 106
    events = await provider.events()
    photo_event = next(e for e in events if e.photo_ref)
    assert photo_event.kind is EventKind.PHOTO
    photos = await provider.photos(photo_event)
    assert [p.jpeg for p in photos] == [p.jpeg for p in result.photos]
    await provider.close()


async def test_commands_after_a_photo_wait_for_the_cool_down(sim_with) -> None:
    async with sim_with(photo_cooldown=300.0) as sim:
        provider = sim.provider()
        await provider.connect()
        assert (await provider.request_photo("2")).ok
        with pytest.raises(PanelBusy) as caught:
            await provider.arm(ArmMode.AWAY)
        assert "300 s" in caught.value.message
        await provider.close()


async def test_a_failure_while_following_a_sent_command_is_unknown_and_nothing_else_is_sent(sim) -> None:
    provider = sim.provider()
    await provider.connect()
    await provider.snapshot()
    assert (await provider.arm(ArmMode.NIGHT)).ok
    assert (await provider.arm(ArmMode.PERIMETER)).ok  # night + perimeter
    sim.cloud.inject("firewall", operation="DisarmStatus")
    result = await provider.disarm()
    assert result.phase is CommandPhase.UNKNOWN
    assert sim.count("xSDisarmPanel") == 1  # no alternative disarm code after the first left


async def test_a_refresh_token_rotated_by_another_process_is_adopted(sim_with, fake_clock) -> None:
    async with sim_with(hash_lifetime=3, clock=fake_clock, wall=fake_clock.wall) as sim:
        dashboard = sim.provider(clock=fake_clock)
        await dashboard.connect()
        cron = sim.provider(clock=fake_clock)  # same state directory: same device, same refresh token
        await cron.connect()  # refreshes: the token on disk rotates, the dashboard's copy is now dead
        assert sim.count("RefreshLogin") == 1
        await cron.close()
        fake_clock.advance(2.2)
        await dashboard.snapshot()
        assert sim.count("RefreshLogin") == 2
        assert sim.count("mkLoginToken") == 1  # no password login needed
        await dashboard.close()
