"""Alarm episodes: what the banner lists, the journal records and the notifier pushes.

An episode is one (provider, partition, zone-or-cause) in alarm, from the first snapshot that
shows it until the partition is disarmed or the alarm clears. Two partitions alarming are two
episodes; a second zone tripping in the same partition is a new episode too. Every view acts on
episodes, never on "the first alarm of a provider".
"""

from __future__ import annotations

from dataclasses import dataclass

from alarmtui.domain.model import PartitionState, Snapshot


@dataclass(frozen=True, slots=True)
class AlarmEpisode:
    provider: str
    partition: str
    """Partition id."""
    partition_name: str
    zone: str = ""
    """Name of the zone in alarm ("" when the panel names none: the cause is the partition itself)."""

    @property
    def key(self) -> tuple[str, str, str]:
        """Stable identity of the episode while it lasts."""
        return (self.provider, self.partition, self.zone)

    def describe(self) -> str:
        where = f"{self.partition_name or self.partition}"
        return f"{where} — {self.zone}" if self.zone else where


def open_alarms(provider: str, snapshot: Snapshot) -> tuple[AlarmEpisode, ...]:
    """Every alarm episode the snapshot shows, one per triggered partition and zone, in panel order.

    A partition in its entry delay is not an alarm. A zone flagged `alarm` that belongs to no
    triggered partition (a 24-hour smoke detector on a disarmed panel) still opens an episode on the
    partitions it belongs to, or on the panel as a whole ("" partition) when it names none.
    """
    episodes: list[AlarmEpisode] = []
    seen: set[tuple[str, str, str]] = set()

    def add(episode: AlarmEpisode) -> None:
        if episode.key not in seen:
            seen.add(episode.key)
            episodes.append(episode)

    names = {p.id: p.name for p in snapshot.partitions}
    for partition in snapshot.partitions:
        if partition.state is not PartitionState.TRIGGERED:
            continue
        zones = partition.alarm_zones or ((partition.alarm_zone,) if partition.alarm_zone else ())
        zones += tuple(z.name for z in snapshot.zones if z.alarm and partition.id in z.partitions)
        if not zones:
            add(AlarmEpisode(provider, partition.id, partition.name))
        for zone_name in zones:
            add(AlarmEpisode(provider, partition.id, partition.name, zone_name))
    for zone in snapshot.zones:
        if not zone.alarm:
            continue
        for partition_id in zone.partitions or ("",):
            add(AlarmEpisode(provider, partition_id, names.get(partition_id, ""), zone.name))
    return tuple(episodes)
