"""What the dashboard currently knows, per provider and merged (no Textual here)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from alarmtui.domain import (
    Command,
    CommandAction,
    CommandPhase,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Photo,
    Snapshot,
    Zone,
)
from alarmtui.domain.alarms import open_alarms
from alarmtui.domain.updates import CommandUpdate, LinkState, ProviderStatus

STALE_FLOOR = 5.0
"""Seconds: never call data stale sooner (a sub-second test interval must not make the screen flicker)."""
SETTLE_SECONDS = 15.0
SETTLE_SNAPSHOTS = 2
"""After a confirmed command, how many snapshots may still not show it before the same key is allowed again."""
"""After a confirmed command, how long the same key stays refused while the panel's state has not caught up."""


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
    pending_zones: dict[str, PendingBypass] = field(default_factory=dict)
    """Zone id -> a bypass sent whose result the panel's zone list does not show yet."""
    poll_interval: float = 0.0
    """Seconds between polls: data older than twice this is marked stale."""
    last_changes: dict[str, Event] = field(default_factory=dict)
    """Partition id -> the newest arm/disarm event naming it (who, and since when)."""
    offline_since: datetime | None = None
    """When the dashboard saw the link leave `online` (None while online): "offline 6 min"."""

    @property
    def online(self) -> bool:
        return self.status.state is LinkState.ONLINE and self.snapshot is not None

    def stale(self, now: datetime) -> bool:
        """No good update for twice the poll interval (or the poller says so)."""
        if getattr(self.status, "stale", False):
            return True
        last = self.status.last_update
        if last is None or self.poll_interval <= 0:
            return False
        return (now - last).total_seconds() > max(2 * self.poll_interval, STALE_FLOOR)

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
    """The command was confirmed; the mark stays until a snapshot shows the change (or `SETTLE_SECONDS` pass)."""
    finished_at: datetime | None = None
    unreflected: int = 0
    """Snapshots since confirmation that did not show the change (after `SETTLE_SNAPSHOTS` the panel's word wins)."""

    @property
    def arming(self) -> bool:
        return self.words.startswith("ARMING")

    def covers(self, partition_id: str) -> bool:
        return self.partition is None or self.partition == partition_id

    def shown_on(self, partition: Partition) -> bool:
        """Whether this partition shows the pending mark: not once the panel already reports the change under way.

        Once the command has finished the panel's own state is shown, whatever it says (someone may have
        disarmed at the keypad meanwhile); the same key stays refused until `answered_by`.
        """
        if not self.covers(partition.id) or self.finished:
            return False
        if self.arming:
            return partition.state in (PartitionState.DISARMED, PartitionState.UNKNOWN)
        return partition.state not in (PartitionState.DISARMED, PartitionState.DISARMING)

    def reflected_by(self, partition: Partition) -> bool:
        """Whether the panel's state shows this change carried out (or under way)."""
        if self.arming:
            return partition.state not in (PartitionState.DISARMED, PartitionState.UNKNOWN)
        return partition.state is PartitionState.DISARMED

    def answered_by(self, snapshot: Snapshot, now: datetime) -> bool:
        """Whether `snapshot` replaces the pending mark.

        Before confirmation: if any partition it covers moved. After: only once the panel shows the change —
        a confirmed command whose effect is not visible yet must not invite the same key again (an echo).
        """
        covered = [p for p in snapshot.partitions if self.covers(p.id)]
        if not self.finished:
            before = dict(self.before)
            return any(p.state.value != before.get(p.id) for p in covered)
        if self.finished_at is not None and (now - self.finished_at).total_seconds() > SETTLE_SECONDS:
            return True
        if self.unreflected + 1 >= SETTLE_SNAPSHOTS:
            return True  # read again and still not there: someone else changed it meanwhile; trust the panel
        return not covered or all(self.reflected_by(p) for p in covered)


@dataclass(frozen=True)
class PendingBypass:
    """A change sent for one zone: a bypass (on) or restore (off), or a lock (on) or unlock (off)."""

    on: bool
    finished_at: datetime | None = None
    attribute: str = "bypassed"
    """The `Zone` field the panel's answer shows it in ("bypassed", "locked")."""

    def answered_by(self, zone: Zone | None, now: datetime) -> bool:
        if self.finished_at is None:
            return False
        if zone is None or getattr(zone, self.attribute) == self.on:
            return True
        return (now - self.finished_at).total_seconds() > SETTLE_SECONDS


ZONE_COMMANDS = {CommandAction.BYPASS: "bypassed", CommandAction.LOCK: "locked", CommandAction.UNLOCK: "locked"}
"""Zone commands the pending marks follow, and the `Zone` field that shows each done."""


def zone_mark(command: Command, finished_at: datetime | None = None) -> PendingBypass:
    on = command.action is CommandAction.LOCK or (command.action is CommandAction.BYPASS and command.on)
    return PendingBypass(on, finished_at, ZONE_COMMANDS[command.action])


class PendingMarks:
    """The echo guard, in one place: what a sent command marks on screen, and when the mark goes.

    `submit` marks the target as soon as a command is handed to the engine; `update` follows the
    command's progress; `snapshot` lets the panel's own state replace the mark; `expire` drops a
    confirmed command's mark after `SETTLE_SECONDS` when no snapshot comes. The marks live on each
    `ProviderView` (`pending`, `pending_zones`) for the panels to read; only this class changes them.
    """

    def __init__(self, views: dict[str, ProviderView]) -> None:
        self.views = views

    def submit(self, provider: str, command: Command) -> bool:
        """A command was handed to the engine; True if what the partitions show changed."""
        view = self.views[provider]
        if command.action in (CommandAction.ARM, CommandAction.DISARM) and view.snapshot is not None:
            view.pending = pending_for(view, command)
            return True
        if command.action in ZONE_COMMANDS and command.zone is not None:
            view.pending_zones[command.zone] = zone_mark(command)
        return False

    def update(self, provider: str, update: CommandUpdate, now: datetime) -> bool:
        """Keep the marks in step with a command's progress; True if what the partitions show changed."""
        view = self.views[provider]
        command = update.command
        if command.action in ZONE_COMMANDS and command.zone is not None:
            if update.result is None:
                view.pending_zones.setdefault(command.zone, zone_mark(command))
            elif update.result.phase is CommandPhase.DONE:
                done = zone_mark(command, finished_at=now)
                zone = view.snapshot.zone(command.zone) if view.snapshot is not None else None
                if zone is not None and done.answered_by(zone, now):
                    view.pending_zones.pop(command.zone, None)  # the snapshot already shows it
                else:
                    view.pending_zones[command.zone] = done
            else:
                view.pending_zones.pop(command.zone, None)
            return False
        if command.action not in (CommandAction.ARM, CommandAction.DISARM):
            return False
        if update.result is not None:
            if view.pending is None:
                return False
            if update.result.phase in (CommandPhase.DONE, CommandPhase.UNKNOWN):
                # Confirmed, or it may have reached the panel: shown as pending (and the same key refused)
                # until a snapshot shows the change or the re-read answers.
                view.pending = replace(view.pending, finished=True, finished_at=now)
                return False
            view.pending = None  # refused: back to the last state the panel reported
            return True
        if view.pending is not None or view.snapshot is None:
            return False
        view.pending = pending_for(view, command)
        return True

    def snapshot(self, provider: str, snapshot: Snapshot, now: datetime) -> None:
        """A fresh snapshot: marks it answers go (the panel's real state from now on)."""
        view = self.views[provider]
        if view.pending is not None and view.pending.answered_by(snapshot, now):
            view.pending = None
        elif view.pending is not None and view.pending.finished:
            view.pending = replace(view.pending, unreflected=view.pending.unreflected + 1)
        for zone_id, pending in list(view.pending_zones.items()):
            if pending.answered_by(snapshot.zone(zone_id), now):
                del view.pending_zones[zone_id]

    def expire(self, now: datetime) -> bool:
        """A confirmed command's guard ends after `SETTLE_SECONDS` even when no snapshot arrives (long polls).

        True if a mark was dropped (the keys it held back may act again)."""
        changed = False
        for view in self.views.values():
            pending = view.pending
            if pending is not None and pending.finished and pending.finished_at is not None:
                if (now - pending.finished_at).total_seconds() > SETTLE_SECONDS:
                    view.pending = None
                    changed = True
            for zone_id, bypass in list(view.pending_zones.items()):
                if bypass.finished_at is not None and (now - bypass.finished_at).total_seconds() > SETTLE_SECONDS:
                    del view.pending_zones[zone_id]
                    changed = True
        return changed


def pending_for(view: ProviderView, command: Command) -> PendingChange:
    assert view.snapshot is not None
    return PendingChange(
        "ARMING…" if command.action is CommandAction.ARM else "DISARMING…",
        command.partition,
        tuple((p.id, p.state.value) for p in view.snapshot.partitions),
    )


ALERT_ALARM = "alarm"
ALERT_ENTRY = "entry delay"


@dataclass(frozen=True)
class Alert:
    """One line on the alarm banner: an alarm in one partition and zone, or an entry delay running."""

    provider: str
    partition_id: str
    partition: str
    zone: str | None
    kind: str
    since: datetime | None
    """The panel's own time for it (its alarm event) where known, else when the dashboard first saw it."""
    until: datetime | None = None
    """For an entry delay: when it runs out."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.provider, self.partition_id, self.kind, self.zone or "")


class AlertTracker:
    """Which alarm episodes and entry delays are on the banner; each is announced once.

    An alarm episode is one (provider, partition, zone) from `open_alarms`. It stays listed
    until it is acknowledged (each episode on its own) or its partition is no longer triggered
    (disarmed, or the alarm cleared); once acknowledged it stays quiet while its partition is
    still triggered, and a new zone there (or another partition) is announced again. An entry
    delay is shown while the partition is pending.
    """

    def __init__(self) -> None:
        self.active: dict[tuple[str, str, str, str], Alert] = {}
        self.acknowledged: set[tuple[str, str, str, str]] = set()

    def update(self, provider: str, snapshot: Snapshot, events: Sequence[Event], now: datetime) -> list[Alert]:
        """Take a provider's new snapshot; return the alerts seen for the first time (to ring for)."""
        current: dict[tuple[str, str, str, str], Alert] = {}
        for episode in open_alarms(provider, snapshot):
            alert = Alert(provider, episode.partition, episode.partition_name, episode.zone or None, ALERT_ALARM, None)
            current[alert.key] = alert
        for partition in snapshot.partitions:
            if partition.state is PartitionState.PENDING:
                alert = Alert(provider, partition.id, partition.name, None, ALERT_ENTRY, None, partition.exit_delay_until)
                current[alert.key] = alert
        triggered = {p.id for p in snapshot.partitions if p.state is PartitionState.TRIGGERED}

        def still_open(key: tuple[str, str, str, str]) -> bool:
            return key in current or (key[2] == ALERT_ALARM and key[1] in triggered)

        # An episode ends when its partition is no longer triggered (or its zone's alarm cleared): forget it,
        # acknowledged or not, so the next alarm there is announced again.
        self.acknowledged = {k for k in self.acknowledged if k[0] != provider or still_open(k)}
        for key in [k for k in self.active if k[0] == provider and not still_open(k)]:
            del self.active[key]
        fresh: list[Alert] = []
        for key, alert in current.items():
            if key in self.acknowledged:
                continue
            known = self.active.get(key)
            if known is None:
                since = alarm_time(alert, events) if alert.kind == ALERT_ALARM else None
                alert = replace(alert, since=since or snapshot.fetched_at or now)
                self.active[key] = alert
                fresh.append(alert)
            elif alert.until != known.until:
                self.active[key] = replace(known, until=alert.until)
        return fresh

    def forget(self, provider: str) -> None:
        """The provider is gone from the configuration: nothing of it stays on the banner."""
        self.active = {k: a for k, a in self.active.items() if k[0] != provider}

    def refine_times(self, events: Sequence[Event]) -> bool:
        """Alarm events arriving after the snapshot give the panel's own time; True if a time changed."""
        changed = False
        for key, alert in list(self.active.items()):
            if alert.kind != ALERT_ALARM:
                continue
            when = alarm_time(alert, events)
            if when is not None and when != alert.since:
                self.active[key] = replace(alert, since=when)
                changed = True
        return changed

    def acknowledge(self, alerts: Iterable[Alert] | None = None) -> list[Alert]:
        """Acknowledge these alarm episodes (all listed alarms when None); return those acknowledged.

        Entry delays are not acknowledged: they end by themselves (disarmed, or they become an alarm)."""
        chosen = self.lines() if alerts is None else list(alerts)
        done = [a for a in chosen if a.kind == ALERT_ALARM and a.key in self.active]
        for alert in done:
            self.acknowledged.add(alert.key)
            del self.active[alert.key]
        return done

    def lines(self) -> list[Alert]:
        """Alarms first (oldest first), then entry delays."""
        oldest = datetime.min.replace(tzinfo=UTC)
        return sorted(self.active.values(), key=lambda a: (a.kind != ALERT_ALARM, _aware(a.since) or oldest))


def alarm_time(alert: Alert, events: Iterable[Event]) -> datetime | None:
    """The panel's own time of this alarm: the newest alarm event naming its zone or partition."""
    best: datetime | None = None
    for event in events:
        if event.kind is not EventKind.ALARM or event.provider != alert.provider:
            continue
        names = {n.strip() for n in event.partition.split(",")} if event.partition else set()
        if alert.zone and event.zone:
            if event.zone != alert.zone:
                continue
        elif names and not names & {alert.partition, alert.partition_id}:
            continue
        when = _aware(event.time)
        if best is None or (when is not None and when > best):
            best = when
    return best


def _aware(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def last_changes(events: Iterable[Event], snapshot: Snapshot | None) -> dict[str, Event]:
    """Partition id -> the newest arm/disarm event naming it by id or name (events are newest first)."""
    if snapshot is None:
        return {}
    found: dict[str, Event] = {}
    for event in events:
        if event.kind not in (EventKind.ARM, EventKind.DISARM):
            continue
        names = {n.strip() for n in event.partition.split(",")} if event.partition else set()
        for partition in snapshot.partitions:
            if partition.id in found:
                continue
            if not names or names & {partition.id, partition.name}:
                found[partition.id] = event
    return found


def event_age(event: Event, now: datetime) -> timedelta:
    return now - (_aware(event.time) or now)


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
