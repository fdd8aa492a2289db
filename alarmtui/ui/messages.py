"""Messages from the engine to the main screen: one dataclass per kind of update, floods coalesced.

The engine's callback runs on the app's event loop and turns each `PollerUpdate`
into one of these (`message_for`), so widgets never touch the engine and tests
can watch the flow with `message_hook`. A newer snapshot or status of a provider
replaces one still queued (`can_replace`): only the newest matters.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass
class SnapshotReceived(Message):
    """A provider's fresh state."""

    provider: str
    snapshot: Snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReceived) and message.provider == self.provider


@dataclass
class EventsReceived(Message):
    provider: str
    events: tuple[Event, ...]


@dataclass
class StatusChanged(Message):
    provider: str
    status: ProviderStatus

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StatusChanged) and message.provider == self.provider


@dataclass
class CommandProgressed(Message):
    provider: str
    update: CommandUpdate


@dataclass
class PhotosReceived(Message):
    provider: str
    photos: tuple[Photo, ...]


ProviderMessage = SnapshotReceived | EventsReceived | StatusChanged | CommandProgressed | PhotosReceived


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
