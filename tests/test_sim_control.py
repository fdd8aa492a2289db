"""The scenario control API: the demo's palette, tests and `alarmtui sim` users drive the same operations."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from alarmtui.demo import DemoEnvironment
from alarmtui.providers.errors import TwoFactorRequired
from alarmtui.simulators.control import ScenarioError, run_scenario_sync
from alarmtui.simulators.host import SimHost, create_cloud
from tests.helpers import SimProcess, sim_process, until, until_sync


def _scenario(env: DemoEnvironment, title: str) -> None:
    entry = next(s for s in env.scenarios if s.title.startswith(f"Demo: {title}"))
    entry.callback()


def _panels(url: str, cloud: str) -> list[dict]:  # type: ignore[type-arg]
    import json

    with urllib.request.urlopen(f"{url}/_control/{cloud}", timeout=5) as reply:  # noqa: S310 - loopback
        return json.load(reply)["panels"]  # type: ignore[no-any-return]


@pytest.fixture
def visonic_demo() -> Iterator[DemoEnvironment]:
    env = DemoEnvironment.start(kinds=("visonic",), life=False, fast=True)
    yield env
    env.stop()


def test_palette_scenarios_are_control_operations(visonic_demo: DemoEnvironment) -> None:
    url = visonic_demo.control_url
    _scenario(visonic_demo, "Intrusion (visonic")
    house = until_sync(
        lambda: next((p for p in _panels(url, "visonic")[0]["partitions"] if p["id"] == "1" and p["phase"] == "alarm"), None),
        what="an alarm",
    )
    assert house["alarm_zones"] == ["2"]  # the hall PIR camera
    _scenario(visonic_demo, "Check-in gap start / end (visonic")
    until_sync(lambda: _panels(url, "visonic")[0]["checkin_gap"], what="the check-in gap")
    _scenario(visonic_demo, "Power cut / restore (visonic")
    until_sync(lambda: not _panels(url, "visonic")[0]["mains"], what="mains cut")
    _scenario(visonic_demo, "Power cut / restore (visonic")
    until_sync(lambda: _panels(url, "visonic")[0]["mains"], what="mains back")


def test_entry_delay_runs_out_into_an_alarm_unless_disarmed(visonic_demo: DemoEnvironment) -> None:
    reply = visonic_demo.scenario("visonic", "entry_delay", partition="2")
    garage = reply["panel"]["partitions"][1]
    assert garage["phase"] == "entry_delay" and 0 < garage["remaining"] <= 0.6  # fast timing
    until_sync(lambda: _panels(visonic_demo.control_url, "visonic")[0]["partitions"][1]["phase"] == "alarm", what="the alarm")
    reply = visonic_demo.scenario("visonic", "entry_delay", partition="3")
    reply = visonic_demo.scenario("visonic", "disarm", partition="3")
    assert reply["panel"]["partitions"][2]["phase"] == "disarmed"
    assert reply["panel"]["partitions"][2]["alarm_zones"] == []


async def test_the_control_api_listens_on_loopback_only_whatever_the_clouds_use() -> None:
    host = SimHost([create_cloud("verisure")], host="0.0.0.0", control=True)  # noqa: S104 - the point of the test
    await host.start()
    try:
        assert host.control_url is not None and host.control_url.startswith("http://127.0.0.1:")
        assert host.urls["verisure"].startswith("http://0.0.0.0:")
        assert any("scenario control: http://127.0.0.1:" in line for line in host.describe())
    finally:
        await host.stop()


async def test_untrusting_the_device_makes_securitas_ask_for_two_factor_again() -> None:
    from alarmtui.providers import create_provider

    env = DemoEnvironment.start(kinds=("securitas",), life=False, fast=True)
    try:
        provider = create_provider(env.settings.providers[0])
        try:
            await provider.connect()  # the demo trusts this device at launch: no SMS
            await provider.snapshot()
            _scenario(env, "Two-factor: forget this device")
            cloud = env.host.cloud("securitas")
            await until(lambda: cloud.require_otp, what="the scenario to land")  # type: ignore[attr-defined]
            with pytest.raises(TwoFactorRequired):
                await provider.snapshot(refresh=True)
        finally:
            await provider.close()
    finally:
        env.stop()


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    yield from sim_process(tmp_path / "sim.toml", "--kinds", "visonic,mios")


@pytest.mark.e2e
def test_alarmtui_sim_serves_the_control_api(sim: SimProcess) -> None:
    reply = sim.scenario("mios", "entry_delay")
    assert reply["panel"]["partitions"][0]["remaining"] <= 0.6  # --fast
    until_sync(lambda: sim.panels("mios")[0]["partitions"][0]["phase"] == "alarm", what="the alarm after the entry delay")
    with pytest.raises(ScenarioError) as caught:
        run_scenario_sync(sim.control_url, "verisure", "trip_zone")  # not served
    assert caught.value.status == 404
