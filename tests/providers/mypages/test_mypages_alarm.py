"""An alarm on My Pages shows only in the event log (verisure-mypages.md §4.2): every poll reads its alarm rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alarmtui.domain import PartitionState
from alarmtui.providers.mypages import mapping, parse

from .conftest import make_sim

ARMED_AT = "2026-12-06T21:00:00.000Z"


def _arm(status: str, date: str | None = ARMED_AT) -> parse.ArmState:
    """A minimal ArmState reply: the note's fields only."""
    node = {"type": None, "statusType": status, "date": date, "name": "Alex Poe", "changedVia": "CODE"}
    return parse.parse_arm_state({"data": {"installation": {"armState": node}}})


def _rows(*events: tuple[str, str, str]) -> tuple[parse.LogRow, ...]:
    """A minimal EventLog reply of (category, time, device label) rows."""
    listed: list[dict[str, Any]] = [
        {
            "device": {"deviceLabel": label, "area": None, "gui": {"label": "SMOKE"}},
            "arloDevice": None,
            "gatewayArea": None,
            "eventType": category,
            "eventCategory": category,
            "eventSource": "SYSTEM",
            "eventId": f"{category}-{when}",
            "eventTime": when,
            "userName": None,
            "armState": None,
            "userType": None,
            "climateValue": None,
            "sensorType": None,
            "eventCount": 1,
        }
        for category, when, label in events
    ]
    reply = {"data": {"installation": {"eventLog": {"moreDataAvailable": False, "pagedList": listed}}}}
    return parse.parse_event_log(reply).rows


def _verdict(arm: parse.ArmState, rows: tuple[parse.LogRow, ...]) -> mapping.AlarmInForce | None:
    return mapping.alarm_in_force(arm.status, arm.date, rows)


def test_an_intrusion_after_arming_is_an_alarm_in_its_zones() -> None:
    rows = _rows(("INTRUSION", "2026-12-06T21:05:00.000Z", "ABCD EFGH"), ("INTRUSION", "2026-12-06T21:06:00.000Z", "IJKL MNOP"))
    found = _verdict(_arm("ARMED_AWAY"), rows)
    assert found is not None
    assert found.zones == ("ABCD EFGH", "IJKL MNOP")  # the first to trip first
    assert found.categories == ("INTRUSION",)
    assert found.since == datetime(2026, 12, 6, 21, 5, tzinfo=UTC)


def test_an_intrusion_in_the_same_instant_as_the_arm_counts() -> None:
    assert _verdict(_arm("ARMED_HOME"), _rows(("INTRUSION", ARMED_AT, "ABCD EFGH"))) is not None


def test_an_intrusion_before_the_last_arm_is_history() -> None:
    assert _verdict(_arm("ARMED_AWAY"), _rows(("INTRUSION", "2026-12-06T20:59:59.000Z", "ABCD EFGH"))) is None


def test_a_disarm_after_the_alarm_clears_it() -> None:
    rows = _rows(("INTRUSION", "2026-12-06T20:30:00.000Z", "ABCD EFGH"), ("FIRE", "2026-12-06T20:40:00.000Z", "SMOK E001"))
    assert _verdict(_arm("DISARMED"), rows) is None
    assert _verdict(_arm("DISARMED"), _rows(("FIRE", ARMED_AT, "SMOK E001"))) is None  # a tie goes to the disarm


def test_an_intrusion_while_disarmed_is_no_alarm() -> None:
    assert _verdict(_arm("DISARMED"), _rows(("INTRUSION", "2026-12-06T21:05:00.000Z", "ABCD EFGH"))) is None


def test_fire_water_and_sos_are_alarms_while_disarmed() -> None:
    for category in ("FIRE", "WATER", "SOS"):
        found = _verdict(_arm("DISARMED"), _rows((category, "2026-12-06T21:05:00.000Z", "SMOK E001")))
        assert found is not None and found.categories == (category,) and found.zones == ("SMOK E001",)


def test_other_categories_are_no_alarm() -> None:
    rows = _rows(("TECHNICAL", "2026-12-06T21:05:00.000Z", "ABCD EFGH"), ("ARM", "2026-12-06T21:06:00.000Z", ""))
    assert _verdict(_arm("ARMED_AWAY"), rows) is None


def test_without_an_arm_date_nothing_can_be_ordered() -> None:
    assert _verdict(_arm("ARMED_AWAY", None), _rows(("INTRUSION", "2026-12-06T21:05:00.000Z", "ABCD EFGH"))) is None


async def test_the_poll_sees_an_alarm_at_once_in_one_request_and_a_disarm_clears_it(tmp_path: Path) -> None:
    """The regression: the event log was read every 600 s, so an alarm stayed `armed_away` for up to 10 minutes."""
    async for sim in make_sim(tmp_path, mfa=False):
        provider = sim.provider(sim.config(events_interval=600.0))
        await provider.connect()
        await provider.snapshot()  # the first poll also reads the full log page: the next ones must not need it
        door = next(z for z in sim.panel.zones.values() if z.kind == "contact")
        sim.panel.alarm_partition(None, door.id)
        before = len(sim.cloud.requests_seen)
        part = (await provider.snapshot()).partitions[0]
        assert len(sim.cloud.requests_seen) == before + 1  # the alarm rows ride in the poll's own batch
        assert part.state is PartitionState.TRIGGERED
        assert part.alarm_zone == door.name and part.alarm_zones == (door.name,)
        assert "Intrusion alarm" in part.detail
        result = await provider.disarm()  # the configured code
        assert result.ok, result
        part = (await provider.snapshot()).partitions[0]
        assert part.state is PartitionState.DISARMED and part.alarm_zones == ()
        await provider.close()


async def test_the_simulator_answers_the_alarm_category_filter(tmp_path: Path) -> None:
    async for sim in make_sim(tmp_path, mfa=False):
        door = next(z for z in sim.panel.zones.values() if z.kind == "contact")
        sim.panel.alarm_partition(None, door.id)
        rows = sim.cloud.log_rows()
        assert any(r["eventCategory"] == "ARM" for r in rows)
        intrusion = next(r for r in rows if r["eventCategory"] == "INTRUSION")
        assert intrusion["device"]["deviceLabel"] == door.id and intrusion["device"]["area"] == door.name
        assert intrusion["eventTime"]
        provider = sim.provider()
        await provider.connect()
        page = await provider.client.graphql(
            [provider._log_op(0, rows=5, categories=mapping.ALARM_CATEGORIES)], what="reading the alarm rows"
        )
        listed = parse.parse_event_log(page[0]).rows
        assert listed and {r.category for r in listed} == {"INTRUSION"}
        await provider.close()
