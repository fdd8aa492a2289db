"""The engine interface every view uses: the pollers of every provider, wherever they run.

Two implementations: `InProcessEngine` runs the pollers (and the journal and the
notifier, as update subscribers) in this process; `AttachedEngine` is a client
of `alarmtui serve` over its Unix socket. Both deliver the same `PollerUpdate`s
to their subscribers and take commands the same way, so a view cannot tell them
apart (only `describe()` says which one it is, for the header).
"""

from __future__ import annotations

import abc
import asyncio
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from alarmtui.domain import Command, CommandResult, Event, Photo, Snapshot
from alarmtui.domain.updates import (
    CommandUpdate,
    EventsUpdate,
    LinkState,
    PhotosUpdate,
    PollerUpdate,
    ProviderStatus,
    SnapshotUpdate,
    StatusUpdate,
)
from alarmtui.engine.verify import DeviceVerifier

log = logging.getLogger(__name__)

UpdateCallback = Callable[[PollerUpdate], None]
RECENT_EVENTS = 500
"""Events per provider an engine keeps for views that attach later."""


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """What a view may know about a provider: no credentials, no code."""

    name: str
    kind: str
    needs_code: bool = False
    """Whether arm/disarm/bypass need a user code on this panel."""
    code_configured: bool = False
    """Whether the config holds that code (then nobody is asked for it)."""
    poll_interval: float = 0.0
    """The configured seconds between polls (the request budget may stretch them)."""
    code_length: int | None = None
    """The panel's user code length where the provider knows it (`Provider.code_length`)."""

    @property
    def asks_for_code(self) -> bool:
        return self.needs_code and not self.code_configured


@dataclass(slots=True)
class ProviderState:
    """The newest of everything one provider reported: what a view attaching now must see at once."""

    status: ProviderStatus
    snapshot: Snapshot | None = None
    events: deque[Event] = field(default_factory=lambda: deque(maxlen=RECENT_EVENTS))
    """Newest first."""
    command: CommandUpdate | None = None
    photos: tuple[Photo, ...] = ()

    def take(self, update: PollerUpdate) -> None:
        match update:
            case StatusUpdate():
                self.status = update.status
            case SnapshotUpdate():
                self.snapshot = update.snapshot
            case EventsUpdate():
                self.events.extendleft(reversed(update.events))
            case CommandUpdate():
                self.command = update
            case PhotosUpdate():
                self.photos = update.photos

    def replay(self) -> list[PollerUpdate]:
        """Updates that bring a fresh view to this state, in a sensible order."""
        name = self.status.provider
        updates: list[PollerUpdate] = [StatusUpdate(name, self.status)]
        if self.snapshot is not None:
            updates.append(SnapshotUpdate(name, self.snapshot))
        if self.events:
            updates.append(EventsUpdate(name, tuple(self.events)))
        if self.command is not None:
            updates.append(self.command)
        if self.photos:
            updates.append(PhotosUpdate(name, self.photos))
        return updates


HISTORY_PAGE = 200
"""Journal events a view asks for at a time (scrolling back, or a filter's matches)."""


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """Vendor events from the journal, newest first, for a view scrolling back or searching."""

    events: tuple[Event, ...]
    cursor: int | None = None
    """Pass as `before=` for the next (older) page; None when this page is empty."""
    more: bool = False
    """Whether the journal may hold older matches (this page was full)."""
    error: str = ""
    """Why the journal could not answer ("" when it did)."""


def view_origin(view: str) -> str:
    """Who asks, for the journal: "dashboard on /dev/pts/3", "alarmtui arm (pid 4242)"."""
    for stream in (0, 1, 2):
        try:
            return f"{view} on {os.ttyname(stream)}"
        except OSError:
            continue
    return f"{view} (pid {os.getpid()})"


class Engine(abc.ABC):
    """The pollers of every provider, seen from a view."""

    def __init__(self, providers: Iterable[ProviderInfo]) -> None:
        self.providers: dict[str, ProviderInfo] = {p.name: p for p in providers}
        self.states: dict[str, ProviderState] = {
            p.name: ProviderState(ProviderStatus(p.name, p.kind, LinkState.CONNECTING)) for p in self.providers.values()
        }
        self._subscribers: list[UpdateCallback] = []

    # -- for views

    def subscribe(self, callback: UpdateCallback) -> Callable[[], None]:
        """Call `callback` with every update from now on; returns the way to stop."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    @abc.abstractmethod
    async def start(self) -> None:
        """Start watching (in-process: the pollers; attached: the service's feed)."""

    @abc.abstractmethod
    def submit(self, provider: str, command: Command, *, origin: str = "") -> asyncio.Future[CommandResult]:
        """Send `command` to `provider`'s panel exactly once; `origin` says who asked (for the journal).

        Raises `CommandBusy` at once when it is known it cannot start now; the
        future may also fail with `CommandBusy` (a command from another view won)
        and otherwise ends with the command's result.
        """

    @abc.abstractmethod
    def refresh_now(self, provider: str | None = None) -> None:
        """Read the panel itself (one provider, or all) on the next poll: one read, shared by every view."""

    async def history(
        self, *, grep: str | None = None, provider: str | None = None, before: int | None = None, limit: int = HISTORY_PAGE
    ) -> HistoryPage | None:
        """The journal's vendor events (category `event`), newest first, older than cursor `before`, matching
        `grep` (text, who, zone, partition) and `provider`. None: there is no journal (views show what is in memory)."""
        return None

    def acknowledge(self, provider: str, partition: str, zone: str | None, *, origin: str) -> None:
        """Someone (`origin`) acknowledged the alarm of `partition` (its id; `zone` the alarmed zone's name):
        journaled once, never blocks. Without a journal it is only seen on screen."""
        return None

    @abc.abstractmethod
    async def close(self, timeout: float = 1.0) -> None:
        """Stop; in-process this logs out of every vendor within `timeout` seconds."""

    @abc.abstractmethod
    def describe(self) -> str:
        """One line for the header: "in-process", "attached to service", "service lost …"."""

    def device_verifier(self, provider: str) -> DeviceVerifier | None:
        """Who validates this device by SMS for `provider` when its vendor asks (`ProviderStatus.two_factor`);
        None where the vendor has no such step. A success is followed by one read of the panel."""
        return None

    # -- for implementations

    def _publish(self, update: PollerUpdate) -> None:
        state = self.states.get(update.provider)
        if state is not None:
            state.take(update)
        for callback in list(self._subscribers):
            try:
                callback(update)
            except Exception:  # one subscriber's failure must not starve the others
                log.exception("engine subscriber %r failed", callback)
