"""What changed: turns the stream of poller updates into facts worth keeping or telling.

A poller reports whole snapshots every few seconds; the journal and the notifier care about
what *changed*: a partition that went from disarmed to armed, a trouble that appeared, a link
that went offline, a command that was sent and how it ended. `ChangeTracker` remembers the last
state per provider and hands back those changes. Its memory is a plain dict of strings so the
journal can persist it and a restart does not report the same transition twice.
"""

from __future__ import annotations

import enum
import hashlib
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from alarmtui.domain import (
    Command,
    CommandAction,
    CommandResult,
    Event,
    EventKind,
    PartitionState,
    Trouble,
    TroubleKind,
)
from alarmtui.domain.text import clean_text
from alarmtui.domain.updates import CommandUpdate, EventsUpdate, LinkState, PollerUpdate, SnapshotUpdate, StatusUpdate

WallClock = Callable[[], datetime]
E = TypeVar("E", bound=enum.Enum)


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(when: datetime) -> datetime:
    """Vendor times without an offset are taken as UTC (every provider parses to UTC)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


STATE_WORDS = {
    PartitionState.DISARMED: "disarmed",
    PartitionState.ARMED_HOME: "armed home",
    PartitionState.ARMED_AWAY: "armed away",
    PartitionState.ARMED_NIGHT: "armed night",
    PartitionState.ARMED_CUSTOM_BYPASS: "armed (custom)",
    PartitionState.ARMING: "arming (exit delay)",
    PartitionState.PENDING: "entry delay",
    PartitionState.DISARMING: "disarming",
    PartitionState.TRIGGERED: "ALARM",
    PartitionState.UNKNOWN: "unknown",
}


def state_kind(state: PartitionState) -> EventKind:
    """The event kind a partition state belongs to, so `--kind arm` finds both vendor and observed arming."""
    if state is PartitionState.TRIGGERED:
        return EventKind.ALARM
    if state is PartitionState.PENDING:
        return EventKind.ENTRY_DELAY  # its own event, never an alarm
    if state.is_armed:
        return EventKind.ARM
    if state is PartitionState.DISARMED:
        return EventKind.DISARM
    return EventKind.SYSTEM


COMMAND_KINDS = {
    CommandAction.ARM: EventKind.ARM,
    CommandAction.DISARM: EventKind.DISARM,
    CommandAction.BYPASS: EventKind.ZONE,
    CommandAction.PHOTO: EventKind.PHOTO,
    CommandAction.LOCK: EventKind.ZONE,
    CommandAction.UNLOCK: EventKind.ZONE,
}


# --------------------------------------------------------------------------- the facts


@dataclass(frozen=True, slots=True)
class VendorEvent:
    provider: str
    event: Event


@dataclass(frozen=True, slots=True)
class PartitionChanged:
    provider: str
    panel: str
    partition: str
    name: str
    old: PartitionState | None
    """None the first time this partition is seen."""
    new: PartitionState
    zone: str
    """The zone that triggered the alarm, when `new` is TRIGGERED and the vendor says."""
    time: datetime
    first: bool
    """The tracker knew nothing of this provider before this snapshot (a fresh start)."""


@dataclass(frozen=True, slots=True)
class TroubleChanged:
    provider: str
    panel: str
    trouble_id: str
    kind: TroubleKind
    text: str
    zone: str
    appeared: bool
    time: datetime
    first: bool


@dataclass(frozen=True, slots=True)
class LinkChanged:
    provider: str
    old: LinkState | None
    new: LinkState
    """Only ONLINE or OFFLINE: connecting and one-off retries are not changes worth keeping."""
    reason: str
    hint: str
    time: datetime


@dataclass(frozen=True, slots=True)
class CommandSent:
    provider: str
    token: str
    """Unique across restarts; the journal's key for this command."""
    command: Command
    origin: str
    time: datetime


@dataclass(frozen=True, slots=True)
class CommandFinished:
    provider: str
    token: str
    command: Command
    result: CommandResult
    origin: str
    time: datetime


@dataclass(frozen=True, slots=True)
class AlarmAcknowledged:
    provider: str
    partition: str
    name: str
    who: str
    time: datetime
    zone: str = ""
    """The alarmed zone's name, where the view knew it."""


@dataclass(frozen=True, slots=True)
class NotificationDropped:
    """A notification that never went out: dropped from a full queue, or abandoned (deadline, shutdown)."""

    provider: str
    target: str
    """The target's label ("target 2 (ntfys)"): never its URL."""
    kind: str
    title: str
    reason: str
    time: datetime


Change = (
    VendorEvent
    | PartitionChanged
    | TroubleChanged
    | LinkChanged
    | CommandSent
    | CommandFinished
    | AlarmAcknowledged
    | NotificationDropped
)


class Category(enum.StrEnum):
    """Where a journal entry comes from: the vendor's own log, or what alarmtui saw and did."""

    EVENT = "event"
    COMMAND = "command"
    STATE = "state"
    CONNECTIVITY = "connectivity"
    ACKNOWLEDGEMENT = "acknowledgement"
    NOTIFICATION = "notification"

    @property
    def source(self) -> str:
        return "vendor" if self is Category.EVENT else "alarmtui"


# --------------------------------------------------------------------------- the tracker


_process_tokens = itertools.count(1)
_PROCESS_STAMP = f"{time.time_ns() // 1000:x}"


def command_origin(command: Command, origin: str) -> str:
    """Who asked: given by the caller (the view), or carried by the command itself if it knows."""
    return clean_text(origin or getattr(command, "origin", "") or "", limit=120)


class ChangeTracker:
    """Remembers the last state of every provider and reports what changed.

    `memory` maps (provider, subject) to a short string: `partition:<id>` -> state,
    `trouble:<id>` -> kind, `link` -> link state. `dirty` collects the keys changed since the
    last `take_dirty()` so the journal can persist them in the same transaction as the entries.
    """

    def __init__(self, memory: Mapping[tuple[str, str], str] | None = None, *, now: WallClock = utc_now) -> None:
        self.memory: dict[tuple[str, str], str] = dict(memory or {})
        self._dirty: dict[tuple[str, str], str | None] = {}
        self._now = now
        self._commands: dict[int, tuple[Command, str, str]] = {}
        """id(command) -> (command, token, origin) while in flight (the command is kept so its id stays unique)."""

    def known(self, provider: str) -> bool:
        return any(p == provider for p, _ in self.memory)

    def take_dirty(self) -> dict[tuple[str, str], str | None]:
        dirty, self._dirty = self._dirty, {}
        return dirty

    def _set(self, key: tuple[str, str], value: str | None) -> None:
        if value is None:
            if self.memory.pop(key, None) is not None:
                self._dirty[key] = None
        elif self.memory.get(key) != value:
            self.memory[key] = value
            self._dirty[key] = value

    def changes(self, update: PollerUpdate, origin: str = "") -> list[Change]:
        if isinstance(update, SnapshotUpdate):
            return self._snapshot(update)
        if isinstance(update, EventsUpdate):
            # Oldest first, so entries with equal times keep the vendor's order.
            return [VendorEvent(update.provider, e) for e in reversed(update.events)]
        if isinstance(update, StatusUpdate):
            return self._status(update)
        if isinstance(update, CommandUpdate):
            return self._command(update, origin)
        return []  # photos are kept by the UI, not the journal

    def _snapshot(self, update: SnapshotUpdate) -> list[Change]:
        provider, snapshot = update.provider, update.snapshot
        when = as_utc(snapshot.fetched_at) if snapshot.fetched_at else self._now()
        first = not self.known(provider)
        out: list[Change] = []
        if not snapshot.online:
            return out  # a panel the cloud cannot reach says nothing about its partitions
        for partition in snapshot.partitions:
            if partition.state is PartitionState.UNKNOWN:
                continue  # not knowing is not a change; the next known state is compared with the last known one
            key = (provider, f"partition:{partition.id}")
            previous = self.memory.get(key)
            old = _member(PartitionState, previous)
            if old is partition.state:
                continue
            self._set(key, partition.state.value)
            out.append(
                PartitionChanged(
                    provider,
                    clean_text(snapshot.panel_name, 80),
                    partition.id,
                    clean_text(partition.name, 80) or partition.id,
                    old,
                    partition.state,
                    clean_text(partition.alarm_zone or "", 80),
                    when,
                    first,
                )
            )
        current = {t.id: t for t in snapshot.troubles}
        for trouble in snapshot.troubles:
            key = (provider, f"trouble:{trouble.id}")
            if key not in self.memory:
                self._set(key, trouble.kind.value)
                out.append(self._trouble(provider, snapshot.panel_name, trouble, True, when, first))
        for key in [k for k in self.memory if k[0] == provider and k[1].startswith("trouble:")]:
            trouble_id = key[1].removeprefix("trouble:")
            if trouble_id not in current:
                kind = self.memory[key]
                self._set(key, None)
                gone = Trouble(
                    trouble_id, TroubleKind(kind) if kind in TroubleKind.__members__.values() else TroubleKind.OTHER, ""
                )
                out.append(self._trouble(provider, snapshot.panel_name, gone, False, when, first))
        return out

    @staticmethod
    def _trouble(provider: str, panel: str, trouble: Trouble, appeared: bool, when: datetime, first: bool) -> TroubleChanged:
        return TroubleChanged(
            provider,
            clean_text(panel, 80),
            trouble.id,
            trouble.kind,
            clean_text(trouble.text, 200),
            clean_text(trouble.zone or "", 80),
            appeared,
            when,
            first,
        )

    def _status(self, update: StatusUpdate) -> list[Change]:
        status = update.status
        if status.state not in (LinkState.ONLINE, LinkState.OFFLINE):
            return []
        key = (update.provider, "link")
        previous = self.memory.get(key)
        if previous == status.state.value:
            return []
        self._set(key, status.state.value)
        old = _member(LinkState, previous)
        return [
            LinkChanged(
                update.provider, old, status.state, clean_text(status.reason, 200), clean_text(status.hint, 200), self._now()
            )
        ]

    def _command(self, update: CommandUpdate, origin: str) -> list[Change]:
        command = update.command
        slot = self._commands.get(id(command))
        out: list[Change] = []
        if slot is None or slot[0] is not command:
            token = f"{_PROCESS_STAMP}-{next(_process_tokens)}"
            slot = (command, token, command_origin(command, origin))
            self._commands[id(command)] = slot
            out.append(CommandSent(update.provider, token, command, slot[2], self._now()))
        if update.result is not None:
            del self._commands[id(command)]
            out.append(CommandFinished(update.provider, slot[1], command, update.result, slot[2], self._now()))
        return out


def content_key(event: Event) -> str:
    """A stable key for an event whose vendor gives it no id."""
    text = "\x1f".join((as_utc(event.time).isoformat(), event.kind.value, event.text, event.zone, event.partition, event.who))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


OUTCOME_WORDS = {
    "done": "done",
    "accepted": "accepted",  # confirmed by the panel but still in its exit delay (`CommandResult.settled` False)
    "failed": "failed",
    "unknown": "outcome unknown",
    "not_sent": "not sent",
}


def command_outcome_words(result: CommandResult) -> str:
    """By value, so phases added to the timeline (NOT_SENT, CONFIRMED) read right too.

    A command the panel took but that left it in a timed transition (exit delay) is "accepted", never
    "done": "armed" is what the state entry says once the panel reports it."""
    if result.ok and not result.settled:
        return OUTCOME_WORDS["accepted"]
    return OUTCOME_WORDS.get(result.phase.value, result.phase.value.replace("_", " "))


def command_outcome_state(result: CommandResult) -> str:
    """A command's outcome as a machine word (`listen --json`, MQTT): "accepted" while the panel is still in its
    exit delay, never "done"; else the phase's value (done, failed, unknown, not_sent)."""
    return "accepted" if result.ok and not result.settled else result.phase.value


def command_outcome_text(result: CommandResult, limit: int = 200) -> str:
    """The outcome's word and the provider's words, said once: "accepted — House arming, exit delay 30 s",
    "done — armed away", "failed: zone open". Journal, `listen` and the bridges say it the same way."""
    words = command_outcome_words(result)
    detail = clean_text(result.message or (result.state if result.ok else ""), limit)
    for said in ("outcome unknown: ", "not sent: ", "failed: ", "accepted — ", "done — "):  # said once, not twice
        detail = detail.removeprefix(said)
    if not detail:
        return words
    return f"{words} — {detail}" if result.ok else f"{words}: {detail}"


def _member(kind: type[E], value: str | None) -> E | None:
    """The enum member a remembered value names; None for nothing remembered or a value from an older version."""
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        return None
