"""What the dashboard currently knows, per provider and merged (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from alarmtui.domain import Event, Photo, Snapshot
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

    @property
    def online(self) -> bool:
        return self.status.state is LinkState.ONLINE and self.snapshot is not None

    @property
    def command_pending(self) -> bool:
        return self.command is not None and not self.command.finished


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

    def add(self, photos: tuple[Photo, ...] | list[Photo]) -> None:
        ordered = sorted(photos, key=lambda p: p.index)
        self.photos[:0] = ordered
        del self.photos[self.limit :]


def photo_key(photo: Photo) -> str:
    return f"{photo.provider}/{photo.zone}/{photo.time.isoformat()}/{photo.index}/{len(photo.jpeg)}"
