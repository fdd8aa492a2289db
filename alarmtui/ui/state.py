"""What the dashboard currently knows, per provider and merged (no Textual here)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from alarmtui.domain import Event, Partition, PartitionState, Photo, Snapshot
from alarmtui.poller import CommandUpdate, LinkState, ProviderStatus


@dataclass
class ProviderView:
    """One provider as the dashboard sees it."""

    name: str
    kind: str
    status: ProviderStatus
    snapshot: Snapshot | None = None
    command: CommandUpdate | None = None
    """The command in flight, or the last one to finish."""
    command_seen_at: datetime | None = None
    """When `command` last changed (to tick elapsed time and to let results fade)."""
    pending: PendingChange | None = None
    """An arm/disarm sent but not yet confirmed by a snapshot: shown marked as pending, never as fact."""

    @property
    def online(self) -> bool:
        return self.status.state is LinkState.ONLINE and self.snapshot is not None

    @property
    def command_pending(self) -> bool:
        return self.command is not None and not self.command.finished


@dataclass(frozen=True)
class PendingChange:
    """What the dashboard shows between sending an arm/disarm and the panel's next snapshot."""

    words: str
    """ "ARMING…" or "DISARMING…"."""
    partition: str | None
    """The partition commanded, or None for the whole panel."""
    before: tuple[tuple[str, str], ...]
    """(partition id, state) when it was sent: a snapshot showing another state replaces the pending mark."""
    finished: bool = False
    """The command was confirmed; the next snapshot replaces the mark whatever it says."""

    @property
    def arming(self) -> bool:
        return self.words.startswith("ARMING")

    def covers(self, partition_id: str) -> bool:
        return self.partition is None or self.partition == partition_id

    def shown_on(self, partition: Partition) -> bool:
        """Whether this partition shows the pending mark: not once the panel already reports the change under way."""
        if not self.covers(partition.id):
            return False
        if self.arming:
            return partition.state in (PartitionState.DISARMED, PartitionState.UNKNOWN)
        return partition.state not in (PartitionState.DISARMED, PartitionState.DISARMING)


@dataclass
class EventLog:
    """Every provider's events merged, newest first, de-duplicated, capped."""

    limit: int = 2000
    events: list[Event] = field(default_factory=list)
    _keys: set[tuple[str, str]] = field(default_factory=set)

    def add(self, new: list[Event] | tuple[Event, ...]) -> tuple[list[Event], list[Event]]:
        """Merge `new`; return (added, dropped) so a view can update incrementally."""
        added = []
        for event in new:
            key = (event.provider, event.id)
            if key not in self._keys:
                self._keys.add(key)
                added.append(event)
        if not added:
            return [], []
        self.events.extend(added)
        self.events.sort(key=_newest_first)  # stable, and cheap: n is capped
        dropped = self.events[self.limit :]
        del self.events[self.limit :]
        for event in dropped:
            self._keys.discard((event.provider, event.id))
        dropped_keys = {(e.provider, e.id) for e in dropped}
        return [e for e in added if (e.provider, e.id) not in dropped_keys], dropped


def _newest_first(event: Event) -> float:
    when = event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)
    return -when.timestamp()


@dataclass
class PhotoAlbum:
    """The latest photos, newest first."""

    limit: int = 12
    photos: list[Photo] = field(default_factory=list)

    def add(self, photos: tuple[Photo, ...] | list[Photo]) -> list[Photo]:
        """Add the photos not already here (same provider and JPEG bytes); return those added."""
        have = {photo_identity(p) for p in self.photos}
        fresh: list[Photo] = []
        for photo in sorted(photos, key=lambda p: p.index):
            identity = photo_identity(photo)
            if identity not in have:
                have.add(identity)
                fresh.append(photo)
        self.photos[:0] = fresh
        del self.photos[self.limit :]
        return fresh


def photo_identity(photo: Photo) -> tuple[str, str]:
    return photo.provider, hashlib.blake2b(photo.jpeg, digest_size=16).hexdigest()


def photo_key(photo: Photo) -> str:
    return f"{photo.provider}/{photo.zone}/{photo.time.isoformat()}/{photo.index}/{len(photo.jpeg)}"
