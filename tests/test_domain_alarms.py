"""Alarm episodes are per partition and zone: two partitions alarming are two episodes."""

from alarmtui.domain import Partition, PartitionState, Snapshot, Zone
from alarmtui.domain.alarms import open_alarms


def test_two_partitions_and_a_second_zone_are_separate_episodes() -> None:
    snapshot = Snapshot(
        partitions=(
            Partition("1", "House", PartitionState.TRIGGERED, alarm_zone="Front door"),
            Partition("2", "Garage", PartitionState.TRIGGERED),
            Partition("3", "Flat", PartitionState.PENDING, entry_delay=True),
        ),
        zones=(Zone("z9", "Hall smoke", alarm=True, partitions=("1",)),),
    )
    episodes = open_alarms("home", snapshot)
    assert [(e.partition, e.zone) for e in episodes] == [("1", "Front door"), ("1", "Hall smoke"), ("2", "")]
    assert episodes[2].describe() == "Garage"


def test_an_entry_delay_and_a_quiet_panel_have_no_episode() -> None:
    snapshot = Snapshot(partitions=(Partition("1", "House", PartitionState.PENDING, entry_delay=True),))
    assert open_alarms("home", snapshot) == ()


def test_a_24_hour_zone_on_a_disarmed_panel_is_an_episode_of_its_partition() -> None:
    snapshot = Snapshot(
        partitions=(Partition("1", "House", PartitionState.DISARMED),),
        zones=(Zone("z1", "Kitchen water", alarm=True, partitions=("1",)), Zone("z2", "Loft smoke", alarm=True)),
    )
    assert [(e.partition, e.partition_name, e.zone) for e in open_alarms("home", snapshot)] == [
        ("1", "House", "Kitchen water"),
        ("", "", "Loft smoke"),
    ]
