"""The real Verisure client against the real ws.do simulator over loopback HTTP(S)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from alarmtui.domain import ArmMode, Capability, CommandPhase, Event, EventKind, PartitionState, ZoneKind
from alarmtui.providers import (
    AuthenticationFailed,
    CommandRejected,
    ConnectionFailed,
    NotSupported,
    PanelBusy,
    PanelOffline,
    ProtocolError,
    RateLimited,
    SessionExpired,
)
from alarmtui.providers.commands import result_for_error
from alarmtui.providers.errors import NotSent, OpenZones
from alarmtui.providers.verisure import VerisureProvider
from alarmtui.redaction import SECRET_FILTER
from alarmtui.settings import VerisureConfig
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.panel import Mode
from alarmtui.simulators.verisure import VerisureCloud
from tests.helpers import FakeClock

FAST = {"step2_interval": 0.02, "step2_deadline": 3.0, "photo_deadline": 5.0, "activity_cache": 0.05}


class Sim:
    def __init__(self, cloud: VerisureCloud, host: SimHost) -> None:
        self.cloud = cloud
        self.host = host

    @property
    def panel(self):  # the main installation's SimPanel
        return self.cloud.main.panel

    def config(self, **overrides: object) -> VerisureConfig:
        values: dict[str, object] = {
            "kind": "verisure",
            "name": "casa",
            "url": self.host.urls["verisure"],
            "username": "demo",
            "password": "demo-pass",
            "ca_file": self.host.ca_file,
        }
        values.update(overrides)
        return VerisureConfig(**values)  # type: ignore[arg-type]

    def provider(self, config: VerisureConfig | None = None, **options: object) -> VerisureProvider:
        return VerisureProvider(config or self.config(), **{**FAST, **options})  # type: ignore[arg-type]

    def sent(self, name: str) -> list[dict[str, str]]:
        return [p for p in self.cloud.requests_seen if p.get("request") == name]

    def count(self, name: str) -> int:
        return self.cloud.request_counts.get(name, 0)


async def _sim(tls: bool, **options: object) -> AsyncIterator[Sim]:
    cloud = VerisureCloud(exit_delay=0.2, entry_delay=0.2, photo_delay=0.1, **options)  # type: ignore[arg-type]
    async with SimHost([cloud], tls=tls) as host:
        yield Sim(cloud, host)


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    async for value in _sim(True):
        yield value


@pytest.fixture(params=[True, False], ids=["https", "http"])
async def any_sim(request: pytest.FixtureRequest) -> AsyncIterator[Sim]:
    async for value in _sim(request.param):
        yield value


@pytest.fixture
async def provider(sim: Sim) -> AsyncIterator[VerisureProvider]:
    p = sim.provider()
    await p.connect()
    yield p
    await p.close()


# --------------------------------------------------------------------------- connect and read


async def test_end_to_end_over_http_and_https(any_sim: Sim) -> None:
    sim = any_sim
    async with sim.provider() as p:
        assert sim.host.urls["verisure"].startswith("https" if sim.host.tls else "http:")
        snap = await p.snapshot(refresh=True)
        assert snap.partitions[0].state is PartitionState.DISARMED
        result = await p.arm(ArmMode.AWAY)
        assert result.phase is CommandPhase.DONE
        assert (await p.snapshot()).partitions[0].state is PartitionState.ARMED_AWAY
        assert (await p.disarm()).ok
        assert (await p.snapshot()).partitions[0].state is PartitionState.DISARMED
    assert sim.count("CLS") == 1


async def test_connect_reads_installation_zones_and_services_once(sim: Sim, provider: VerisureProvider) -> None:
    assert [sim.count(n) for n in ("LOGIN", "INS", "MYINSTALLATION", "SRV")] == [1, 1, 1, 1]
    assert provider.requests.total == 4
    assert provider.installation is not None
    assert provider.installation.numinst == sim.cloud.main.numinst
    assert provider.panel_type == "SDVFAST"
    assert provider.instibs == sim.cloud.main.instibs
    assert len(provider.installations) == 2
    snap = await provider.snapshot(refresh=True)
    zones = {z.id: z for z in snap.zones}
    assert zones["1"].kind is ZoneKind.CAMERA and zones["1"].camera and zones["1"].name == "Entrada"
    assert zones["5"].kind is ZoneKind.CONTACT and not zones["5"].camera
    assert zones["6"].kind is ZoneKind.MOTION
    assert snap.capabilities >= {
        Capability.ARM_AWAY,
        Capability.ARM_HOME,
        Capability.ARM_NIGHT,
        Capability.ARM_PERIMETER,
        Capability.DISARM,
        Capability.PHOTO,
        Capability.EVENTS,
    }
    assert Capability.USERS not in snap.capabilities and Capability.BYPASS not in snap.capabilities
    assert snap.users == ()
    assert snap.panel_name == "Casa"
    assert not provider.needs_code
    # A second snapshot does not re-read MYINSTALLATION, INS or SRV.
    await provider.snapshot()
    assert [sim.count(n) for n in ("LOGIN", "INS", "MYINSTALLATION", "SRV")] == [1, 1, 1, 1]
    # Login uses POST with a form body: the password never travels in a URL.
    assert sim.sent("LOGIN")[0]["pwd"] == "demo-pass"
    assert all("pwd" not in p for p in sim.cloud.requests_seen if p["request"] != "LOGIN")
    assert all(p.get("callby") == "AND_61" for p in sim.cloud.requests_seen if p["request"] != "LOGIN")


async def test_configured_second_installation(sim: Sim) -> None:
    second = list(sim.cloud.installations.values())[1]
    async with sim.provider(sim.config(installation=second.numinst)) as p:
        assert (await p.arm(ArmMode.NIGHT)).ok
        snap = await p.snapshot()
        assert snap.partitions[0].id == second.numinst
        assert snap.partitions[0].state is PartitionState.ARMED_NIGHT
        assert snap.panel_name == "Apartamento"
    assert sim.panel.partitions["1"].mode is None  # the main installation is untouched
    assert second.panel.partitions["1"].mode is Mode.NIGHT


async def test_unknown_installation_is_an_auth_error(sim: Sim) -> None:
    p = sim.provider(sim.config(installation="999"))
    with pytest.raises(AuthenticationFailed, match="999"):
        await p.connect()
    await p.close()


async def test_refresh_runs_est_and_steady_state_reads_only_the_log(sim: Sim, provider: VerisureProvider) -> None:
    before = provider.requests.total
    await provider.snapshot(refresh=True)
    # EST1 + (2 WAITs + OK) EST2 + ACT_V2
    assert provider.requests.total - before == 5
    assert [sim.count("EST1"), sim.count("EST2"), sim.count("ACT_V2")] == [1, 3, 1]
    assert len({p["ID"] for p in sim.sent("EST1") + sim.sent("EST2")}) == 1
    await asyncio.sleep(provider.activity_cache + 0.01)
    before = provider.requests.total
    await provider.snapshot()
    await provider.events()
    assert provider.requests.total - before == 1  # one ACT_V2 per poll, shared by snapshot and events
    assert sim.count("EST1") == 1
    assert provider.requests_per_hour() > 0
    events = await provider.events()
    # The status check alarmtui itself caused is folded out of the event list (issue 9).
    assert not any("estado" in e.text.lower() for e in events)
    assert any(r.type == "27" for r in provider._activity)


async def test_first_plain_snapshot_uses_the_log_when_it_knows_the_state(sim: Sim, provider: VerisureProvider) -> None:
    # A day of history ending in a disarm (as the demo has): no need to wake the panel.
    sim.panel.seed_history()
    snap = await provider.snapshot()
    assert snap.partitions[0].state is PartitionState.DISARMED
    assert sim.count("EST1") == 0
    assert sim.count("ACT_V2") == 1


async def test_first_plain_snapshot_falls_back_to_est(sim: Sim, provider: VerisureProvider) -> None:
    sim.panel.events.clear()  # a log with no state-type record says nothing about the state
    snap = await provider.snapshot()
    assert snap.partitions[0].state is PartitionState.DISARMED
    assert sim.count("EST1") == 1
    await provider.snapshot()
    assert sim.count("EST1") == 1


@pytest.mark.parametrize(
    ("mode", "perimeter", "code", "state", "detail"),
    [
        (None, False, "0", PartitionState.DISARMED, "disarmed"),
        (Mode.AWAY, False, "1", PartitionState.ARMED_AWAY, "away"),
        (Mode.HOME, False, "P", PartitionState.ARMED_HOME, "home"),
        (Mode.NIGHT, False, "Q", PartitionState.ARMED_NIGHT, "night"),
        (None, True, "3", PartitionState.ARMED_CUSTOM_BYPASS, "perimeter"),
        (Mode.AWAY, True, "4", PartitionState.ARMED_AWAY, "away + perimeter"),
        (Mode.HOME, True, "B", PartitionState.ARMED_HOME, "home + perimeter"),
        (Mode.NIGHT, True, "C", PartitionState.ARMED_NIGHT, "night + perimeter"),
    ],
)
async def test_every_status_combination(sim: Sim, provider: VerisureProvider, mode, perimeter, code, state, detail) -> None:
    if mode is not None or perimeter:
        sim.panel.arm(mode, perimeter=perimeter, instant=True, user="Ana")
    assert VerisureCloud.status_code(sim.panel.partitions["1"]) == code
    part = (await provider.snapshot(refresh=True)).partitions[0]
    assert (part.state, part.detail) == (state, detail)
    # The same state derived from the activity log alone, by a fresh client that folds REGs over a disarmed baseline.
    sim.panel.disarm(user="Ana")
    fresh = sim.provider()
    await fresh.connect()
    assert (await fresh.snapshot(refresh=True)).partitions[0].state is PartitionState.DISARMED
    if mode is not None:
        sim.panel.arm(mode, instant=True, user="Ana")
    if perimeter:
        sim.panel.arm(None, perimeter=True, instant=True, user="Ana")
    await asyncio.sleep(fresh.activity_cache + 0.01)
    before = fresh.requests.total
    part = (await fresh.snapshot()).partitions[0]
    assert fresh.requests.total - before == 1  # ACT_V2 only, the panel is not woken
    assert (part.state, part.detail) == (state, detail)
    await fresh.close()


async def test_log_derived_state_tracks_the_panel_through_a_random_walk(sim: Sim, fake_clock: FakeClock) -> None:
    """Keypad and key-fob changes (not through us) show up from ACT_V2 alone, matching what EST would say."""
    import random

    from alarmtui.providers.verisure import status_state

    rng = random.Random(20201104)
    provider = sim.provider(clock=fake_clock)  # its activity cache runs out when the fake clock says so
    await provider.connect()
    await provider.snapshot(refresh=True)
    est_before = sim.count("EST1")
    for _ in range(40):
        action = rng.choice(["away", "home", "night", "perimeter", "disarm", "disarm", "trouble"])
        if action == "disarm":
            sim.panel.disarm(user="Ana", source="KEYPAD")
        elif action == "perimeter":
            sim.panel.arm(None, perimeter=True, instant=True, force=True, user="Luis", source="KEYPAD")
        elif action == "trouble":
            sim.panel.open_zone("5", not sim.panel.zones["5"].open) if sim.panel.partitions[
                "1"
            ].phase.value == "disarmed" else None
        else:
            sim.panel.arm(Mode(action), instant=True, force=True, user="Luis", source="KEYPAD")
        fake_clock.advance(provider.activity_cache + 0.005)
        part = (await provider.snapshot()).partitions[0]
        expected = status_state(VerisureCloud.status_code(sim.panel.partitions["1"]))
        assert (part.state, part.detail) == expected, action
    assert sim.count("EST1") == est_before  # never woke the panel
    await provider.close()


async def test_each_arm_mode_sends_its_request(sim: Sim, provider: VerisureProvider) -> None:
    for mode, request, code in [
        (ArmMode.AWAY, "ARM", "1"),
        (ArmMode.PERIMETER, "PERI", "4"),
    ]:
        result = await provider.arm(mode)
        assert result.ok, result
        assert sim.count(request + "1") == 1
        assert VerisureCloud.status_code(sim.panel.partitions["1"]) == code
    assert (await provider.disarm(partition=provider.installation.numinst)).ok  # type: ignore[union-attr]
    for mode, request in [(ArmMode.HOME, "ARMDAY"), (ArmMode.NIGHT, "ARMNIGHT")]:
        assert (await provider.arm(mode, partition=None)).ok
        assert sim.count(request + "1") == 1
        assert (await provider.snapshot()).partitions[0].state is mode.armed_state
        assert (await provider.disarm()).ok
    assert sim.count("DARM1") == 3


async def test_step2_reuses_the_step1_id_and_reports_progress(sim: Sim, provider: VerisureProvider) -> None:
    phases: list[CommandPhase] = []
    result = await provider.arm(ArmMode.AWAY, progress=lambda p: phases.append(p.phase))
    assert result.ok and "Total" in result.message
    first, seconds = sim.sent("ARM1"), sim.sent("ARM2")
    assert len(first) == 1 and len(seconds) == 3
    assert {p["ID"] for p in seconds} == {first[0]["ID"]}
    assert first[0]["ID"].startswith("AND" + "_" * 25 + "demo")
    assert phases[0] is CommandPhase.SENT
    assert phases.count(CommandPhase.WAITING) == 3  # step-1 ack + 2 WAITs
    assert phases[-1] is CommandPhase.DONE
    assert sim.panel.commands_received == 1


async def test_wait_past_deadline_is_unknown_and_never_resent(sim: Sim, provider: VerisureProvider) -> None:
    sim.cloud.step2_waits = 10_000
    provider.step2_deadline = 0.4
    phases: list[CommandPhase] = []
    result = await provider.arm(ArmMode.AWAY, progress=lambda p: phases.append(p.phase))
    assert result.phase is CommandPhase.UNKNOWN
    assert "re-read" in result.message
    assert phases[-1] is CommandPhase.UNKNOWN
    assert sim.count("ARM1") == 1 and sim.count("ARM2") >= 3
    assert sim.panel.commands_received == 1


async def test_transport_failure_during_step2_keeps_polling_without_resending(sim: Sim, provider: VerisureProvider) -> None:
    injected = []

    def on_progress(progress) -> None:
        if progress.phase is CommandPhase.WAITING and not injected:
            injected.append(True)
            sim.cloud.inject_http(502, times=1)
            sim.cloud.inject_http(200, times=1, body="<html>oops</html>")

    result = await provider.arm(ArmMode.HOME, progress=on_progress)
    assert result.ok
    assert sim.count("ARM1") == 0 and sim.count("ARMDAY1") == 1
    assert sim.panel.commands_received == 1


async def test_lost_answer_to_step1_is_unknown_and_never_resent(sim: Sim) -> None:
    async with sim.provider(http_timeout=0.2) as p:
        sim.cloud.inject_delay(0.6, request="ARM1")
        phases: list[CommandPhase] = []
        result = await p.arm(ArmMode.AWAY, progress=lambda x: phases.append(x.phase))
        assert result.phase is CommandPhase.UNKNOWN and "re-read" in result.message
        assert phases[-1] is CommandPhase.UNKNOWN
        await asyncio.sleep(0.5)  # let the late answer go (0.6 s after the request)
        assert sim.count("ARM1") == 1 and sim.count("ARM2") == 0
        assert sim.panel.commands_received == 1
        sim.cloud.op_timeout = 0.1  # nobody polls ARM2: let the simulator stop counting it as in flight
        assert (await p.snapshot(refresh=True)).partitions[0].state is PartitionState.ARMED_AWAY


async def test_garbled_answer_to_step1_is_unknown(sim: Sim, provider: VerisureProvider) -> None:
    sim.cloud.inject_http(200, body="<PET><RES>OK")
    result = await provider.arm(ArmMode.NIGHT)
    assert result.phase is CommandPhase.UNKNOWN
    assert sim.count("ARMNIGHT2") == 0  # an unreadable answer is not a reason to send, or poll, again
    assert sim.count("ARMNIGHT1") == 1


async def test_status_request_failure_keeps_the_log_state(sim: Sim, provider: VerisureProvider) -> None:
    assert (await provider.arm(ArmMode.AWAY)).ok
    sim.cloud.inject_error("10005", request="EST2")
    snap = await provider.snapshot(refresh=True)
    assert snap.online and "could not report its status" in snap.detail
    assert snap.partitions[0].state is PartitionState.ARMED_AWAY


async def test_unreachable_server_means_command_not_sent(sim: Sim, provider: VerisureProvider) -> None:
    await sim.host.stop()
    phases: list[CommandPhase] = []
    with pytest.raises(NotSent) as info:
        await provider.arm(ArmMode.AWAY, progress=lambda x: phases.append(x.phase))
    assert phases[-1] is CommandPhase.NOT_SENT  # connection refused: certainly not sent (issue 8 defect 4)
    assert result_for_error(info.value).phase is CommandPhase.NOT_SENT
    assert sim.panel.commands_received == 0


async def test_annex_commands(sim: Sim, provider: VerisureProvider) -> None:
    assert (await provider.arm_annex()).ok
    assert sim.panel.partitions["1"].annex
    assert (await provider.disarm_annex()).ok
    assert not sim.panel.partitions["1"].annex
    assert sim.count("ARMANNEX1") == 1 and sim.count("DARMANNEX1") == 1


async def test_wrong_partition_and_bypass_are_refused(provider: VerisureProvider) -> None:
    with pytest.raises(CommandRejected, match="one partition"):
        await provider.arm(ArmMode.AWAY, partition="garage")
    with pytest.raises(NotSupported, match="bypass"):
        await provider.bypass("5")
    with pytest.raises(NotSupported):
        await provider.siren(True)
    with pytest.raises(NotSupported):
        await provider.arm("vacation")  # type: ignore[arg-type]
    with pytest.raises(NotSupported):
        await provider.photos(Event("x", datetime.now(UTC), EventKind.SYSTEM, "no photos here"))


async def test_triggered_from_activity_log(sim: Sim, provider: VerisureProvider) -> None:
    assert (await provider.arm(ArmMode.AWAY)).ok
    await asyncio.sleep(0.25)  # exit delay
    sim.panel.trip_zone("2")
    await asyncio.sleep(provider.activity_cache + 0.01)
    part = (await provider.snapshot()).partitions[0]
    assert part.state is PartitionState.TRIGGERED
    assert part.alarm_zone == "Comedor"
    events = await provider.events()
    assert events[0].kind is EventKind.ALARM
    assert (await provider.disarm()).ok
    assert (await provider.snapshot()).partitions[0].state is PartitionState.DISARMED


async def test_troubles_and_unknown_activity_types(sim: Sim, provider: VerisureProvider) -> None:
    await provider.snapshot(refresh=True)
    sim.panel.raise_trouble("power_cut")
    sim.panel.raise_trouble("low_battery", "2")  # no known REG type: the simulator uses 9100
    await asyncio.sleep(provider.activity_cache + 0.01)
    snap = await provider.snapshot()
    assert [t.kind.value for t in snap.troubles] == ["power"]
    events = await provider.events()
    unknown = [e for e in events if "9100" in e.text]
    assert unknown and unknown[0].kind is EventKind.SYSTEM and "unknown activity type" in unknown[0].text
    sim.panel.clear_trouble("power_cut")
    await asyncio.sleep(provider.activity_cache + 0.01)
    assert (await provider.snapshot()).troubles == ()


async def test_unknown_status_code_keeps_the_raw_code(sim: Sim, provider: VerisureProvider, monkeypatch) -> None:
    monkeypatch.setattr(VerisureCloud, "status_code", staticmethod(lambda part: "Z"))
    part = (await provider.snapshot(refresh=True)).partitions[0]
    assert part.state is PartitionState.UNKNOWN
    assert "'Z'" in part.detail


# --------------------------------------------------------------------------- photos


async def test_photo_request_flow_returns_three_jpegs(sim: Sim, provider: VerisureProvider) -> None:
    srv_before = sim.count("SRV")
    result = await provider.request_photo("1")
    assert result.ok, result
    assert len(result.photos) == 3
    assert all(p.jpeg.startswith(b"\xff\xd8") and p.zone == "1" for p in result.photos)
    assert sim.count("SRV") == srv_before  # INSTIBS cached from connect
    assert sim.count("IMG1") == 1 and sim.count("INF") == 1
    img1 = sim.sent("IMG1")[0]
    assert (img1["device"], img1["instibs"], img1["idservice"]) == ("1", sim.cloud.main.instibs, "1")
    inf = sim.sent("INF")[0]
    assert inf["signaltype"] == "16"
    # The stored photo event can be fetched again through photos(event).
    await asyncio.sleep(provider.activity_cache + 0.01)
    events = await provider.events()
    photo_event = next(e for e in events if e.kind is EventKind.PHOTO)
    assert photo_event.photo_ref == inf["idsignal"]
    photos = await provider.photos(photo_event)
    assert [p.jpeg for p in photos] == [p.jpeg for p in result.photos]


async def test_photo_of_a_zone_without_camera(provider: VerisureProvider) -> None:
    with pytest.raises(NotSupported, match="camera"):
        await provider.request_photo("5")
    with pytest.raises(CommandRejected):
        await provider.request_photo("nope")


# --------------------------------------------------------------------------- session expiry


@pytest.mark.parametrize("code", ["60022", "60067"])
async def test_read_relogs_in_once_and_retries(sim: Sim, provider: VerisureProvider, code: str) -> None:
    await provider.snapshot(refresh=True)
    sim.cloud.inject_error(code, times=1, request="ACT_V2")
    await asyncio.sleep(provider.activity_cache + 0.01)
    snap = await provider.snapshot()
    assert snap.partitions[0].state is PartitionState.DISARMED
    assert sim.count("LOGIN") == 2
    assert sim.count("ACT_V2") == 3  # the first, the failed one, the retry


async def test_expired_hash_relogs_in(sim: Sim, provider: VerisureProvider) -> None:
    await provider.snapshot(refresh=True)
    sim.cloud.expire_sessions()
    await asyncio.sleep(provider.activity_cache + 0.01)
    await provider.snapshot()
    assert sim.count("LOGIN") == 2


async def test_session_error_twice_is_session_expired(sim: Sim, provider: VerisureProvider) -> None:
    await provider.snapshot(refresh=True)
    sim.cloud.inject_error("60022", times=2, request="ACT_V2")
    await asyncio.sleep(provider.activity_cache + 0.01)
    with pytest.raises(SessionExpired):
        await provider.snapshot()
    assert sim.count("LOGIN") == 2  # exactly one re-login attempt


async def test_command_with_expired_session_is_reported_not_repeated(sim: Sim, provider: VerisureProvider) -> None:
    sim.cloud.expire_sessions()
    with pytest.raises(SessionExpired, match="not sent"):
        await provider.arm(ArmMode.AWAY)
    assert sim.count("ARM1") == 1
    assert sim.panel.commands_received == 0
    # The next read logs in again by itself.
    snap = await provider.snapshot(refresh=True)
    assert snap.partitions[0].state is PartitionState.DISARMED
    assert sim.count("ARM1") == 1


async def test_session_expiry_during_step2_is_confirmed_by_reading_not_failed(sim: Sim, provider: VerisureProvider) -> None:
    # Issue 8 defect 4: the hash expired after step 1 was accepted; the panel armed. Not FAILED / exit 3.
    sim.cloud.inject_error("60067", times=1, request="ARM2")
    phases: list[CommandPhase] = []
    result = await provider.arm(ArmMode.AWAY, progress=lambda p: phases.append(p.phase))
    assert result.phase is CommandPhase.CONFIRMED and "confirmed by reading" in result.message
    assert phases[-1] is CommandPhase.CONFIRMED and CommandPhase.FAILED not in phases
    assert sim.count("ARM1") == 1 and sim.panel.commands_received == 1


async def test_session_expiry_during_step2_with_unreadable_state_is_unknown(sim: Sim, provider: VerisureProvider) -> None:
    sim.cloud.inject_error("60067", times=1, request="ARM2")
    sim.cloud.inject_http(500, times=50)  # nothing readable afterwards
    result = await provider.arm(ArmMode.AWAY)
    assert result.phase is CommandPhase.UNKNOWN and "re-read" in result.message
    sim.cloud.faults.clear()
    assert sim.count("ARM1") == 1


async def test_ok_without_status_is_not_done_without_confirmation(sim: Sim, provider: VerisureProvider) -> None:
    # Issue 8 defect 4: ARM2 `OK` without `STATUS` used to be reported done.
    original = sim.cloud.step2

    def no_status(*args, **kwargs):  # type: ignore[no-untyped-def]
        reply = original(*args, **kwargs)
        return reply.replace("<STATUS>1</STATUS>", "").replace("<STATUS>0</STATUS>", "")

    sim.cloud.step2 = no_status  # type: ignore[method-assign]
    result = await provider.arm(ArmMode.AWAY)
    assert result.phase is CommandPhase.CONFIRMED and "confirmed by reading" in result.message
    assert sim.count("ARM1") == 1


# --------------------------------------------------------------------------- vendor errors


async def test_wrong_password(sim: Sim) -> None:
    p = sim.provider(sim.config(password="not-the-password"))
    with pytest.raises(AuthenticationFailed) as info:
        await p.connect()
    assert "wrong user name or password" in str(info.value)  # plain English, the vendor's words kept
    assert "Usuario o contraseña incorrectos" in info.value.detail
    assert "not-the-password" not in str(info.value)
    await p.close()


async def test_migrated_account(sim: Sim) -> None:
    sim.cloud.migrated = True
    p = sim.provider()
    with pytest.raises(AuthenticationFailed, match="new My Verisure app") as info:
        await p.connect()
    assert "nueva versión" in info.value.detail
    assert info.value.vendor_code == "60161"
    await p.close()


async def test_temporarily_unavailable(sim: Sim, provider: VerisureProvider) -> None:
    sim.cloud.inject_error("3000", request="ACT_V2")
    with pytest.raises(ConnectionFailed, match="temporarily unavailable") as info:
        await provider.events()
    assert info.value.vendor_code == "3000"
    sim.cloud.inject_error("3000", request="LOGIN")
    p = sim.provider()
    with pytest.raises(ConnectionFailed, match="temporarily unavailable"):
        await p.connect()
    await p.close()


async def test_old_app_60060_in_strict_mode(sim: Sim, provider: VerisureProvider) -> None:
    sim.cloud.strict = True
    assert (await provider.arm(ArmMode.AWAY)).ok  # we send callby, so strict mode is fine
    sim.cloud.inject_error("60060", request="DARM1")
    with pytest.raises(CommandRejected, match="app version") as info:
        await provider.disarm()
    assert "última actualización" in info.value.detail
    assert info.value.vendor_code == "60060"


async def test_arming_conflict(sim: Sim, provider: VerisureProvider) -> None:
    assert (await provider.arm(ArmMode.HOME)).ok
    with pytest.raises(CommandRejected, match="disarm first") as info:
        await provider.arm(ArmMode.AWAY)
    assert "tienes otro activado" in info.value.detail
    snap = await provider.snapshot()
    assert "disarm first" in snap.unavailable[Capability.ARM_AWAY]
    assert Capability.ARM_HOME in snap.unavailable and Capability.ARM_PERIMETER not in snap.unavailable
    assert sim.panel.partitions["1"].mode is Mode.HOME


async def test_not_ready(sim: Sim, provider: VerisureProvider) -> None:
    sim.panel.open_zone("5")
    with pytest.raises(OpenZones, match="Puerta principal") as info:
        await provider.arm(ArmMode.AWAY)
    assert info.value.zones == ("Puerta principal",) and not info.value.can_force
    with pytest.raises(NotSupported):
        await provider.arm(ArmMode.AWAY, force=True)


async def test_panel_faults_failed_command_and_slow_panel(sim: Sim, provider: VerisureProvider) -> None:
    sim.panel.faults.fail_next_command = "relay stuck"
    with pytest.raises(CommandRejected, match="failed on the vendor's side") as info:
        await provider.arm(ArmMode.AWAY)
    assert "Ha ocurrido un problema" in info.value.detail
    sim.panel.faults.slow_commands = 0.5  # a slow panel: more WAITs, same single ARM1
    result = await provider.arm(ArmMode.AWAY)
    assert result.ok and sim.count("ARM1") == 2
    assert len(sim.sent("ARM2")) >= 3 + 6


async def test_panel_busy(sim: Sim, provider: VerisureProvider) -> None:
    sim.panel.set_busy(5)
    with pytest.raises(PanelBusy):
        await provider.arm(ArmMode.AWAY)
    assert sim.panel.commands_received == 0


async def test_panel_busy_while_another_client_waits(sim: Sim, provider: VerisureProvider) -> None:
    other = sim.provider()
    sim.cloud.step2_waits = 10
    task = asyncio.create_task(other.arm(ArmMode.AWAY))
    while sim.count("ARM1") == 0:
        await asyncio.sleep(0.01)
    with pytest.raises(PanelBusy, match="busy with an earlier request") as info:
        await provider.disarm()
    assert "solicitud anterior" in info.value.detail
    assert (await task).ok
    await other.close()


async def test_panel_offline(sim: Sim, provider: VerisureProvider) -> None:
    sim.panel.set_offline(True)
    with pytest.raises(PanelOffline):
        await provider.arm(ArmMode.AWAY)
    snap = await provider.snapshot(refresh=True)
    assert not snap.online and snap.detail
    sim.panel.set_offline(False)
    assert (await provider.snapshot(refresh=True)).online


@pytest.mark.parametrize("status", [403, 429])
async def test_http_blocks_are_rate_limited(sim: Sim, provider: VerisureProvider, status: int) -> None:
    sim.cloud.inject_http(status, retry_after=90)
    with pytest.raises(RateLimited) as info:
        await provider.events()
    assert info.value.retry_after == 90
    sim.cloud.inject_http(status)
    with pytest.raises(RateLimited):
        await provider.arm(ArmMode.AWAY)
    assert sim.panel.commands_received == 0


async def test_non_xml_reply_is_a_protocol_error(sim: Sim, provider: VerisureProvider) -> None:
    sim.cloud.inject_http(200, body="<html><body>Service Unavailable</body></html>")
    with pytest.raises(ProtocolError):
        await provider.events()
    sim.cloud.inject_http(200, body="this is not xml at all")
    with pytest.raises(ProtocolError):
        await provider.events()
    sim.cloud.inject_http(200, body="<!DOCTYPE x [<!ENTITY a 'aaaa'>]><PET><RES>&a;</RES></PET>")
    with pytest.raises(ProtocolError):
        await provider.events()


async def test_oversized_reply_is_a_protocol_error(sim: Sim) -> None:
    provider = sim.provider(max_reply_bytes=10_000)
    await provider.connect()
    sim.cloud.inject_http(200, body="<PET><RES>OK</RES><MSG>" + "x" * 50_000 + "</MSG></PET>")
    with pytest.raises(ProtocolError, match="larger than"):
        await provider.events()
    assert (await provider.events()) == []  # the next, normal reply is fine
    await provider.close()


async def test_english_messages(sim: Sim) -> None:
    async with sim.provider(sim.config(language="EN", country="gb")) as p:
        assert p.config.language == "en" and p.config.country == "GB"
        result = await p.arm(ArmMode.AWAY)
        assert result.message == "Your Alarm is activated in Total mode"
    assert sim.sent("LOGIN")[0]["Country"] == "GB" and sim.sent("LOGIN")[0]["lang"] == "en"


async def test_logout_sends_cls_with_null_numinst(sim: Sim) -> None:
    p = sim.provider()
    await p.connect()
    await p.close()
    cls = sim.sent("CLS")
    assert len(cls) == 1 and cls[0]["numinst"] == "(null)"
    assert not sim.cloud.sessions


# --------------------------------------------------------------------------- secrets


async def test_secrets_never_in_logs_repr_or_errors(sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    # httpx's own INFO lines print full URLs; the app silences them (as every test here does): only ours count.
    caplog.set_level(logging.DEBUG, logger="alarmtui")
    p = sim.provider()
    await p.connect()
    token = p._hash
    assert token
    await p.snapshot(refresh=True)
    assert (await p.arm(ArmMode.AWAY)).ok
    assert (await p.request_photo("1")).ok
    raw = "\n".join(r.getMessage() for r in caplog.records)
    assert "ws.do?" in raw  # URLs are logged, redacted
    assert "hash=***" in raw and "user=***" in raw
    for secret in ("demo-pass", token):
        assert secret not in raw
        assert secret not in repr(p)
    # The login also hides inside the ID parameter; the global log filter scrubs it.
    caplog.clear()
    caplog.handler.addFilter(SECRET_FILTER)
    try:
        await asyncio.sleep(p.activity_cache + 0.01)
        await p.events()
        assert caplog.records and all("demo" not in r.getMessage() for r in caplog.records)
    finally:
        caplog.handler.removeFilter(SECRET_FILTER)
    # A connection failure's message never carries the query string.
    await sim.host.stop()
    with pytest.raises(ConnectionFailed) as info:
        await p.snapshot(refresh=True)
    message = str(info.value) + repr(info.value) + str(info.value.__cause__)
    assert "demo-pass" not in message and token not in message and "hash=" not in message
    await p.close()


async def test_untrusted_certificate_says_it_is_a_tls_certificate_problem(sim: Sim) -> None:
    # Issue 8 defect 8: it used to say only "could not connect … (ConnectError)".
    from alarmtui.providers.errors import CertificateError

    p = sim.provider(sim.config(ca_file=None))
    with pytest.raises(CertificateError, match="TLS certificate") as info:
        await p.connect()
    assert "certificate" in info.value.hint and info.value.unprocessed  # nothing was sent
    await p.close()


async def test_unknown_xml_encoding_is_a_protocol_error_and_the_next_read_works(sim: Sim, provider: VerisureProvider) -> None:
    # Issue 8 defect 1: `encoding='YR'` raised LookupError, which escaped and stopped polling for good.
    sim.cloud.inject_http(200, body="<?xml version='1.0' encoding='YR'?><PET><RES>OK</RES></PET>")
    with pytest.raises(ProtocolError):
        await provider.events()
    assert isinstance(await provider.events(), list)
