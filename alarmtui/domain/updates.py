"""The update vocabulary every subscriber of the engine speaks.

A poller (in-process or behind the service) reports everything it learns as one of these
updates; the dashboard, the journal, the notifier, the bridges and the service's wire format all
read the same types. Pure data: no I/O, no textual, no HTTP.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from alarmtui.domain.command import Command
from alarmtui.domain.model import CommandProgress, CommandResult, Event, Photo, Snapshot

Clock = Callable[[], float]
WallClock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- what a poller reports


class LinkState(enum.StrEnum):
    CONNECTING = "connecting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    """How the dashboard's link to one provider is doing."""

    provider: str
    kind: str
    state: LinkState
    reason: str = ""
    """Why it is not online, in the user's terms (a `ProviderError` message)."""
    hint: str = ""
    last_update: datetime | None = None
    """Wall-clock time of the last good snapshot."""
    retry_in: float | None = None
    """Seconds until the next attempt, while backing off."""
    failures: int = 0
    stale: bool = False
    """No good update for more than twice the poll interval: the partitions shown may be out of date."""
    login_paused: bool = False
    """The vendor refused the login; no automatic attempt until the user asks (r) or an hour passes."""
    two_factor: tuple[tuple[str, str], ...] = ()
    """Phones (id, masked number) while the vendor wants this device validated by SMS (`TwoFactorRequired`)."""
    error_kinds: tuple[str, ...] = ()
    """Class names of the error behind a failing link, most specific first ("RateLimited", "ProviderError"):
    what `alarmtui status` answered by the service needs to exit as an in-process read would."""
    requests_last_hour: int | None = None
    """Vendor requests in the last hour, and the ceiling the engine keeps under (None: not counted)."""
    request_ceiling: int | None = None
    events_late: str = ""
    """The last poll read the state but not the event log (why, in plain words): the state is current, its
    events will come with a later poll. Empty when the event log was read."""


class CommandBusy(Exception):
    """A command is already in flight for this panel, or the panel is not connected yet."""


@dataclass(frozen=True, slots=True)
class SnapshotUpdate:
    provider: str
    snapshot: Snapshot


@dataclass(frozen=True, slots=True)
class EventsUpdate:
    provider: str
    events: tuple[Event, ...]
    """Only events not reported before, newest first, `provider` filled in."""


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    provider: str
    status: ProviderStatus


@dataclass(frozen=True, slots=True)
class CommandUpdate:
    provider: str
    command: Command
    progress: CommandProgress
    result: CommandResult | None = None
    """Set once, when the command has finished (done, failed, or outcome unknown)."""

    @property
    def finished(self) -> bool:
        return self.result is not None


@dataclass(frozen=True, slots=True)
class PhotosUpdate:
    provider: str
    photos: tuple[Photo, ...]


PollerUpdate = SnapshotUpdate | EventsUpdate | StatusUpdate | CommandUpdate | PhotosUpdate
UpdateCallback = Callable[[PollerUpdate], None]
