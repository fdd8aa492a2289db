"""The back-fill contract (`Provider.events_since`), the same for every vendor's simulator.

Whatever a vendor can give back, `events_since` returns the same events with the same ids
as `events()`, newest first, none older than `since` (which is included), at most `limit`.
"""

from __future__ import annotations

from alarmtui.providers.base import ProviderError

from .vendors import VendorFixture


def happen(vendor: VendorFixture) -> None:
    """Someone disarms and leaves a door open: something every vendor logs (or a LAN Vera sees) in its own words."""
    panel = vendor.panel
    door = next(z.id for z in panel.zones.values() if z.kind == "contact")
    panel.open_zone(door)
    panel.log("disarm", "Disarmed", partition=next(iter(panel.partitions)), user="Ana")


async def test_events_since_returns_what_events_returns_newest_first_from_since_on(vendor: VendorFixture) -> None:
    vendor.panel.seed_history()
    provider = vendor.provider()
    await provider.connect()
    await provider.snapshot()  # a LAN Vera's events are the changes it sees between reads
    happen(vendor)
    await provider.snapshot()
    recent = await provider.events()
    assert recent, "the vendor logged something"
    everything = await provider.events_since(None)
    ids = [e.id for e in everything]
    assert len(ids) == len(set(ids))
    assert {e.id for e in recent} <= set(ids)
    assert [e.time for e in everything] == sorted((e.time for e in everything), reverse=True)

    newest = recent[0]
    since = await provider.events_since(newest.time)
    assert newest.id in {e.id for e in since}  # `since` itself is included
    assert all(e.time >= newest.time for e in since)
    assert len(await provider.events_since(None, limit=1)) == 1


async def test_a_failing_back_fill_is_a_typed_error(vendor: VendorFixture) -> None:
    provider = vendor.provider()
    await provider.connect()
    await provider.snapshot()
    vendor.cloud.faults.add(None, status=500, times=10)  # every route
    try:
        await provider.events_since(None)
    except ProviderError:
        pass  # typed, as every read's failure
    else:  # only a provider with no history to read may answer from memory
        assert vendor.kind == "vera"
    finally:
        vendor.cloud.faults.clear()
