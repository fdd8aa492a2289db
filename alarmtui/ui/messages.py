"""Messages from the pollers to the app: one per kind of news, coalescing floods.

The poller callback runs on the app's event loop and turns each
`PollerUpdate` into one of these, so widgets never touch the poller and tests
can watch the flow with `message_hook`.
"""

from __future__ import annotations

from textual.message import Message

from alarmtui.domain import Event, Photo, Snapshot
from alarmtui.domain.updates import (
    CommandUpdate,
    EventsUpdate,
    PhotosUpdate,
    PollerUpdate,
    ProviderStatus,
    SnapshotUpdate,
    StatusUpdate,
)


class ProviderMessage(Message):
    def __init__(self, provider: str) -> None:
        super().__init__()
        self.provider = provider


class SnapshotReceived(ProviderMessage):
    """A provider's fresh state; only the newest one per provider matters."""

    def __init__(self, provider: str, snapshot: Snapshot) -> None:
        super().__init__(provider)
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReceived) and message.provider == self.provider


class EventsReceived(ProviderMessage):
    def __init__(self, provider: str, events: tuple[Event, ...]) -> None:
        super().__init__(provider)
        self.events = events


class StatusChanged(ProviderMessage):
    def __init__(self, provider: str, status: ProviderStatus) -> None:
        super().__init__(provider)
        self.status = status

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StatusChanged) and message.provider == self.provider


class CommandProgressed(ProviderMessage):
    def __init__(self, provider: str, update: CommandUpdate) -> None:
        super().__init__(provider)
        self.update = update


class PhotosReceived(ProviderMessage):
    def __init__(self, provider: str, photos: tuple[Photo, ...]) -> None:
        super().__init__(provider)
        self.photos = photos


def message_for(update: PollerUpdate) -> ProviderMessage:
    match update:
        case SnapshotUpdate():
            return SnapshotReceived(update.provider, update.snapshot)
        case EventsUpdate():
            return EventsReceived(update.provider, update.events)
        case StatusUpdate():
            return StatusChanged(update.provider, update.status)
        case CommandUpdate():
            return CommandProgressed(update.provider, update)
        case PhotosUpdate():
            return PhotosReceived(update.provider, update.photos)
    raise TypeError(f"unknown poller update {update!r}")
