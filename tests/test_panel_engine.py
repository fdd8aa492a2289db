"""The shared simulated panel: delays, readiness, alarms, troubles, photos."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from alarmtui.simulators.houses import vera_house, verisure_house, visonic_house
from alarmtui.simulators.panel import Mode, Phase, SimError
from tests.helpers import FakeClock


def test_exit_delay_then_armed() -> None:
    clock = FakeClock()
    panel = visonic_house(exit_delay=30, clock=clock)
    panel.arm(Mode.AWAY, ["1"], user="Ana")
    house = panel.partitions["1"]
    assert house.phase is Phase.EXIT_DELAY and panel.remaining(house) == 30
    assert panel.partitions["2"].phase is Phase.DISARMED
    clock.now += 30
    panel.advance()
    assert house.phase is Phase.ARMED and house.mode is Mode.AWAY and house.last_user == "Ana"


def test_open_zone_blocks_arming_unless_bypassed() -> None:
    panel = visonic_house(exit_delay=0)
    panel.open_zone("4")  # back door
    assert not panel.ready("1")
    with pytest.raises(SimError) as info:
        panel.arm(Mode.HOME, ["1"])
    assert info.value.reason == "not_ready" and "Back door" in info.value.message
    assert panel.partitions["1"].failed_to_arm
    panel.bypass("4", True)
    panel.arm(Mode.HOME, ["1"])
    assert panel.partitions["1"].phase is Phase.ARMED


def test_entry_delay_then_alarm_and_disarm_in_time() -> None:
    clock = FakeClock()
    panel = verisure_house(exit_delay=0, entry_delay=20, clock=clock)
    panel.arm(Mode.AWAY)
    panel.open_zone("5")  # front door: an entry zone
    part = panel.partitions["1"]
    assert part.phase is Phase.ENTRY_DELAY
    clock.now += 21
    panel.advance()
    assert part.phase is Phase.ALARM and part.alarm_zone == "5" and panel.siren_on
    panel.disarm(user="Ana")
    assert part.phase is Phase.DISARMED and part.alarm_memory and not panel.siren_on


def test_motion_in_armed_zone_is_instant_alarm_but_not_in_unwatched_mode() -> None:
    panel = verisure_house(exit_delay=0)
    panel.arm(Mode.HOME)  # day mode watches only the bedroom
    panel.trip_zone("2")
    assert panel.partitions["1"].phase is Phase.ARMED
    panel.trip_zone("4")
    assert panel.partitions["1"].phase is Phase.ALARM
    assert panel.recent_events(1)[0].kind == "alarm"


def test_perimeter_is_independent_of_interior() -> None:
    panel = verisure_house(exit_delay=0)
    panel.arm(None, perimeter=True)
    part = panel.partitions["1"]
    assert part.perimeter and part.mode is None and part.phase is Phase.ARMED
    panel.arm(Mode.NIGHT)
    assert part.perimeter and part.mode is Mode.NIGHT
    panel.disarm()
    assert not part.perimeter and part.mode is None


def test_faults_offline_busy_and_failure() -> None:
    panel = vera_house()
    panel.set_offline()
    with pytest.raises(SimError, match="not connected"):
        panel.arm(Mode.AWAY)
    panel.set_offline(False)
    panel.set_busy(60)
    with pytest.raises(SimError) as info:
        panel.disarm()
    assert info.value.reason == "busy"
    panel.faults.busy_until = 0
    panel.faults.fail_next_command = "Keypad locked"
    with pytest.raises(SimError, match="Keypad locked"):
        panel.disarm()
    panel.disarm()
    assert panel.commands_received == 2  # offline/busy never reach the panel; the failed one and the last did


def test_troubles_flag_zones_and_clear() -> None:
    panel = visonic_house()
    panel.raise_trouble("low_battery", "2")
    panel.raise_trouble("power_cut")
    assert panel.zones["2"].battery_low and not panel.power_ok
    assert [t.kind for t in panel.troubles] == ["low_battery", "power_cut"]
    panel.clear_trouble("low_battery", "2")
    panel.clear_trouble("power_cut")
    assert not panel.troubles and panel.power_ok and not panel.zones["2"].battery_low
    kinds = [e.kind for e in panel.recent_events(10)]
    assert kinds[:2] == ["power_restore", "trouble_restore"]


def test_photos_are_real_jpegs_from_camera_zones_only() -> None:
    panel = verisure_house()
    photos = panel.take_photos("1")
    assert len(photos.jpegs) == 3 and photos.id in panel.photos
    image = Image.open(io.BytesIO(photos.jpegs[0]))
    assert image.format == "JPEG" and image.size == (640, 480)
    assert photos.jpegs[0] != photos.jpegs[1]  # the figure moves between frames
    with pytest.raises(SimError, match="no camera"):
        panel.take_photos("5")


async def test_wait_changed_wakes_on_change_and_on_delay_end() -> None:
    panel = vera_house(exit_delay=0.2)
    version = panel.version
    assert not await panel.wait_changed(version, 0.05)
    asyncio.get_running_loop().call_later(0.05, panel.open_zone, "2")
    assert await panel.wait_changed(version, 2)
    panel.close_zone("2")
    panel.arm(Mode.AWAY, ["1"])
    version = panel.version
    # Nobody touches the panel: the end of the exit delay is itself a change.
    assert await panel.wait_changed(version, 2)
    assert panel.partitions["1"].phase is Phase.ARMED


def test_entry_delay_scenario_runs_out_into_an_alarm_on_the_fake_clock(fake_clock: FakeClock) -> None:
    panel = vera_house(entry_delay=20, clock=fake_clock, wall=fake_clock.wall)
    panel.start_entry_delay("2")  # arms the garage first, then someone comes in through its door
    garage = panel.partitions["2"]
    assert garage.phase is Phase.ENTRY_DELAY and garage.alarm_zone == "5" and panel.remaining(garage) == 20
    fake_clock.advance(19.9)
    panel.advance()
    assert garage.phase is Phase.ENTRY_DELAY
    fake_clock.advance(0.1)
    panel.advance()
    assert garage.phase is Phase.ALARM and garage.alarm_zones == ["5"] and panel.zones["5"].alarm
    assert panel.events[-1].time == fake_clock.wall()  # the panel's own time is the fake wall clock
    assert panel.partitions["1"].phase is Phase.DISARMED


def test_several_zones_in_alarm_and_disarm_clears_them(fake_clock: FakeClock) -> None:
    panel = visonic_house(clock=fake_clock)
    panel.alarm_partition("1", "3")
    panel.alarm_partition("1", "2")
    house = panel.partitions["1"]
    assert house.phase is Phase.ALARM and house.alarm_zones == ["3", "2"]
    assert {z.id for z in panel.zones.values() if z.alarm} == {"2", "3"}
    panel.disarm(["1"])
    assert house.alarm_zones == [] and not any(z.alarm for z in panel.zones.values())
    assert house.alarm_zone == "2"  # the alarm memory stays


def test_checkin_gap_and_mains_are_not_outages() -> None:
    panel = visonic_house()
    version = panel.version
    panel.set_checkin_gap(True)
    panel.cut_mains()
    assert panel.faults.checkin_gap and not panel.faults.offline and panel.version > version
    assert [t.kind for t in panel.troubles] == ["power_cut"]
    panel.restore_mains()
    panel.set_checkin_gap(False)
    assert not panel.troubles and not panel.faults.checkin_gap
