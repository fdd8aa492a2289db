"""The scenario control API drives every vendor's simulator the same way, and each real provider sees it.

Scenarios go through HTTP (`simulators/control.py`), never through simulator internals.
"""

from __future__ import annotations

import pytest

from alarmtui.domain import PartitionState, TroubleKind
from alarmtui.providers.errors import PanelOffline, ProviderError
from alarmtui.simulators.control import ScenarioError, read_panels, run_scenario

from .vendors import VendorFixture


def _partition(vendor: VendorFixture, snapshot: object) -> object:
    partitions = snapshot.partitions  # type: ignore[attr-defined]
    if vendor.partition is None:
        return partitions[0]
    return next(p for p in partitions if p.id.endswith(vendor.partition) or p.id == vendor.partition)


async def test_alarm_partition_is_seen_triggered_by_the_provider(vendor: VendorFixture) -> None:
    provider = vendor.provider()
    await provider.connect()
    before = await provider.snapshot()
    assert _partition(vendor, before).state is not PartitionState.TRIGGERED  # type: ignore[attr-defined]
    reply = await run_scenario(vendor.control_url, vendor.cloud.kind, "alarm_partition", partition=vendor.panel_partition)
    assert reply["ok"]
    part = next(p for p in reply["panel"]["partitions"] if p["id"] == vendor.panel_partition)
    assert part["phase"] == "alarm"
    await provider.events(20)  # Securitas learns of an alarm from its timeline, as the poller reads it
    after = await provider.snapshot(refresh=True)
    assert _partition(vendor, after).state is PartitionState.TRIGGERED  # type: ignore[attr-defined]


async def test_two_zones_alarm_at_once_and_disarm_clears_them(vendor: VendorFixture) -> None:
    panels = await read_panels(vendor.control_url, vendor.cloud.kind)
    zones = [z["id"] for z in panels[0]["zones"] if vendor.panel_partition in z["partitions"]][:2]
    assert len(zones) == 2
    for zone in zones:
        await run_scenario(vendor.control_url, vendor.cloud.kind, "alarm_partition", partition=vendor.panel_partition, zone=zone)
    panels = await read_panels(vendor.control_url, vendor.cloud.kind)
    part = next(p for p in panels[0]["partitions"] if p["id"] == vendor.panel_partition)
    assert part["alarm_zones"] == zones
    assert {z["id"] for z in panels[0]["zones"] if z["alarm"]} == set(zones)
    await run_scenario(vendor.control_url, vendor.cloud.kind, "disarm", partition=vendor.panel_partition)
    panels = await read_panels(vendor.control_url, vendor.cloud.kind)
    assert not any(z["alarm"] for z in panels[0]["zones"])
    assert all(p["alarm_zones"] == [] for p in panels[0]["partitions"])


async def test_an_outage_takes_the_panel_away_and_its_end_brings_it_back(vendor: VendorFixture) -> None:
    provider = vendor.provider()
    await provider.connect()
    await provider.snapshot()
    await run_scenario(vendor.control_url, vendor.cloud.kind, "outage_start")
    try:
        snapshot = await provider.snapshot(refresh=True)
    except ProviderError as exc:  # vendors that refuse the read while the panel is away
        assert isinstance(exc, PanelOffline), type(exc).__name__
    else:  # vendors that answer with the panel marked unreachable
        assert not snapshot.online or any(t.kind is TroubleKind.COMMUNICATION for t in snapshot.troubles), snapshot
    await run_scenario(vendor.control_url, vendor.cloud.kind, "outage_end")
    snapshot = await provider.snapshot(refresh=True)
    assert _partition(vendor, snapshot).state is not PartitionState.UNKNOWN  # type: ignore[attr-defined]


async def test_mains_cut_is_a_trouble_and_restore_clears_it(vendor: VendorFixture) -> None:
    provider = vendor.provider()
    await provider.connect()
    await provider.snapshot()
    reply = await run_scenario(vendor.control_url, vendor.cloud.kind, "cut_mains")
    assert reply["panel"]["mains"] is False
    assert [t["kind"] for t in reply["panel"]["troubles"]] == ["power_cut"]
    reply = await run_scenario(vendor.control_url, vendor.cloud.kind, "restore_mains")
    assert reply["panel"]["mains"] is True and reply["panel"]["troubles"] == []


async def test_refusals_are_reasons_not_crashes(vendor: VendorFixture) -> None:
    with pytest.raises(ScenarioError) as caught:
        await run_scenario(vendor.control_url, vendor.cloud.kind, "no_such_op")
    assert caught.value.status == 400 and "trip_zone" in caught.value.message
    with pytest.raises(ScenarioError) as caught:
        await run_scenario(vendor.control_url, vendor.cloud.kind, "trip_zone", zone="999")
    assert caught.value.status == 404 and caught.value.reason == "unknown_zone"
    with pytest.raises(ScenarioError) as caught:
        await run_scenario(vendor.control_url, "nowhere", "trip_zone")
    assert caught.value.status == 404 and caught.value.reason == "unknown_cloud"
    await run_scenario(vendor.control_url, vendor.cloud.kind, "outage_start")
    with pytest.raises(ScenarioError) as caught:
        await run_scenario(vendor.control_url, vendor.cloud.kind, "alarm_partition")
    assert caught.value.status == 409 and caught.value.reason == "offline"


async def test_two_zones_in_alarm_reach_the_provider_as_alarm_episodes(vendor: VendorFixture) -> None:
    """Each zone in alarm is an episode of its own where the vendor's reply names zones (Visonic: one
    ALARM_IN_MEMORY entry per zone); every vendor shows at least the partition's alarm."""
    from alarmtui.domain.alarms import open_alarms

    provider = vendor.provider()
    await provider.connect()
    panels = await read_panels(vendor.control_url, vendor.cloud.kind)
    zones = [z for z in panels[0]["zones"] if vendor.panel_partition in z["partitions"]][:2]
    for zone in zones:
        await run_scenario(vendor.control_url, vendor.cloud.kind, "alarm_partition", partition=vendor.panel_partition, zone=zone["id"])
    await provider.events(20)
    snapshot = await provider.snapshot(refresh=True)
    partition = _partition(vendor, snapshot)
    episodes = [e for e in open_alarms("p", snapshot) if e.partition == partition.id]  # type: ignore[attr-defined]
    assert episodes, "the alarm reached the provider"
    if vendor.cloud.kind == "visonic":
        assert {e.zone for e in episodes} == {z["name"] for z in zones}
