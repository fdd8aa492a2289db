"""VeraProvider (kind = "vera") against the simulator's LAN face: the same Vera's luup port, no account."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from alarmtui.domain import ArmMode, CommandPhase, EventKind, PartitionState
from alarmtui.providers import create_provider
from alarmtui.providers.base import ConnectionFailed, OpenZones, WrongCode
from alarmtui.providers.vera import VeraProvider
from alarmtui.settings import Settings, VeraConfig
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.houses import vera_house
from alarmtui.simulators.mios import MiosCloud

HOUSE, GARAGE = "41", "42"
FRONT_DOOR, KITCHEN, CAMERA = "51", "52", "67"


@dataclass
class Lan:
    cloud: MiosCloud
    host: SimHost
    provider: VeraProvider

    @property
    def panel(self):  # type: ignore[no-untyped-def]
        return self.cloud.panels[0]


def _fast(provider: VeraProvider) -> VeraProvider:
    provider.job_poll_interval = 0.05
    provider.retry_delay = 0.05
    provider.job_timeout = 3.0
    return provider


@pytest.fixture
async def lan() -> AsyncIterator[Lan]:
    cloud = MiosCloud(panel=vera_house(exit_delay=0.3, entry_delay=0.3, photo_delay=0), lan_provider=True)
    async with SimHost([cloud], tls=True) as host:
        table = next(t for t in host.provider_tables() if t["kind"] == "vera")
        config = Settings(providers=[table]).providers[0]
        assert isinstance(config, VeraConfig)
        provider = create_provider(config)
        assert isinstance(provider, VeraProvider)
        _fast(provider)
        await provider.connect()
        try:
            yield Lan(cloud, host, provider)
        finally:
            await provider.close()


async def test_the_sim_serves_the_lan_face_over_plain_http_with_no_account(lan: Lan) -> None:
    assert lan.host.urls["mios"].startswith("https://")  # the cloud is TLS...
    assert lan.cloud.lan_url == lan.host.urls["vera"] and lan.cloud.lan_url.startswith("http://")  # ...the Vera is not
    assert any("LAN luup port" in line and lan.cloud.lan_url in line for line in lan.host.describe())
    assert lan.cloud.logins == 0 and lan.cloud.sessions == {}  # no MiOS account involved
    assert lan.cloud.lan_count >= 1


async def test_status_is_the_same_panel_as_through_the_relay(lan: Lan) -> None:
    snap = await lan.provider.snapshot()
    assert [(p.id, p.name, p.state, p.ready) for p in snap.partitions] == [
        (HOUSE, "House", PartitionState.DISARMED, True),
        (GARAGE, "Garage", PartitionState.DISARMED, True),
    ]
    assert {z.id for z in snap.zones} >= {FRONT_DOOR, KITCHEN, CAMERA}
    lan.panel.open_zone("2")
    snap = await lan.provider.snapshot(refresh=True)
    assert snap.zone(KITCHEN).open is True  # type: ignore[union-attr]
    assert snap.partition(HOUSE).ready is False  # type: ignore[union-attr]
    assert snap.partition(HOUSE).open_zones == ("Kitchen Window",)  # type: ignore[union-attr]


async def test_arm_and_disarm_with_pin(lan: Lan) -> None:
    result = await lan.provider.arm(ArmMode.AWAY, partition=HOUSE)
    assert result.phase is CommandPhase.DONE, result.message
    assert lan.panel.partitions["1"].mode is not None
    snap = await lan.provider.snapshot(refresh=True)
    assert snap.partition(HOUSE).state in (PartitionState.ARMING, PartitionState.ARMED_AWAY)  # type: ignore[union-attr]
    result = await lan.provider.disarm(partition=HOUSE)
    assert result.ok, result.message
    snap = await lan.provider.snapshot(refresh=True)
    assert snap.partition(HOUSE).state is PartitionState.DISARMED  # type: ignore[union-attr]
    assert lan.cloud.vera().actions_received == ["41 RequestArmMode Armed", "41 RequestArmMode Disarmed"]


async def test_wrong_pin_is_the_plugins_refusal(lan: Lan) -> None:
    with pytest.raises(WrongCode, match="Invalid PIN"):
        await lan.provider.arm(ArmMode.AWAY, partition=HOUSE, code="9999")
    assert len(lan.cloud.vera().actions_received) == 1  # sent once, never again


async def test_bypass_then_arm_then_unbypass(lan: Lan) -> None:
    lan.panel.open_zone("2")
    with pytest.raises(OpenZones) as refused:
        await lan.provider.arm(ArmMode.HOME, partition=HOUSE)
    assert refused.value.zones == ("Kitchen Window",)
    assert (await lan.provider.bypass(KITCHEN, True)).ok
    snap = await lan.provider.snapshot(refresh=True)
    assert snap.zone(KITCHEN).bypassed  # type: ignore[union-attr]
    assert (await lan.provider.arm(ArmMode.HOME, partition=HOUSE)).ok
    assert (await lan.provider.disarm(partition=HOUSE)).ok
    assert (await lan.provider.bypass(KITCHEN, False)).ok
    snap = await lan.provider.snapshot(refresh=True)
    assert not snap.zone(KITCHEN).bypassed  # type: ignore[union-attr]


async def test_force_arm_bypasses_the_open_zones_first(lan: Lan) -> None:
    lan.panel.open_zone("2")
    result = await lan.provider.arm(ArmMode.AWAY, partition=HOUSE, force=True)
    assert result.ok, result.message
    assert lan.cloud.vera().actions_received == ["52 SetArmed 0", "41 RequestArmMode Armed"]
    assert lan.panel.zones["2"].bypassed


async def test_long_poll_sees_a_change_and_events_name_it(lan: Lan) -> None:
    await lan.provider.snapshot()
    waiter = asyncio.create_task(lan.provider.wait_for_change(5))
    await asyncio.sleep(0.2)
    lan.panel.open_zone("1")
    assert await asyncio.wait_for(waiter, 5) is True
    events = await lan.provider.events()
    assert any(e.kind is EventKind.ZONE and e.text == "Front Door opened" and e.zone == FRONT_DOOR for e in events)


async def test_photo_from_the_camera(lan: Lan) -> None:
    result = await lan.provider.request_photo(CAMERA)
    assert result.ok and result.photos and result.photos[0].jpeg[:2] == b"\xff\xd8"


async def test_a_vera_that_is_not_there_is_a_connection_failure() -> None:
    config = VeraConfig(kind="vera", name="gone", url="http://127.0.0.1:9", code="1234")
    provider = VeraProvider(config)
    try:
        with pytest.raises(ConnectionFailed):
            await provider.connect()
    finally:
        await provider.close()


def test_a_vera_config_needs_no_account(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alarmtui.settings import load_settings

    path = tmp_path / "config.toml"
    path.write_text('[[providers]]\nname = "home"\nkind = "vera"\nurl = "http://192.168.1.50:3480/"\n')
    (config,) = load_settings(path).settings.providers
    assert isinstance(config, VeraConfig) and config.url == "http://192.168.1.50:3480" and config.code is None
    path.write_text('[[providers]]\nname = "home"\nkind = "vera"\nurl = "http://192.168.1.50:3480"\ncode = "12ab"\n')
    with pytest.raises(Exception, match="code"):
        load_settings(path)


def test_alarmtui_sim_prints_the_lan_url_and_writes_a_vera_provider(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`alarmtui sim` as a user runs it: the Vera's LAN URL is printed, `--kinds ...,vera` configures it."""
    import os
    import signal
    import subprocess
    import sys
    import time

    config = tmp_path / "sim.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "alarmtui", "sim", "--kinds", "mios,vera", "--write-config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not config.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert config.exists(), process.stderr.read() if process.stderr else ""
        time.sleep(0.2)
        status = subprocess.run(
            [sys.executable, "-m", "alarmtui", "status", "--json", "--provider", "vera-lan", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ},
        )
        assert status.returncode == 0, status.stderr
        (entry,) = json.loads(status.stdout)["providers"]
        assert entry["kind"] == "vera" and entry["online"] and len(entry["partitions"]) == 2
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
    lan_lines = [line for line in out.splitlines() if line.strip().startswith("vera ")]
    assert lan_lines and "http://127.0.0.1:" in lan_lines[0] and "LAN" in lan_lines[0]
    text = config.read_text()
    assert 'kind = "vera"' in text and 'kind = "mios"' in text
