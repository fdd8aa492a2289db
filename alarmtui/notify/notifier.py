"""Notifications through Apprise: what happened, where, when and who, to any of Apprise's services.

The notifier is fed the same poller updates as the journal. `feed()` is cheap and synchronous: it
works out which changes deserve a message (a new alarm episode, an entry delay, a tamper, a panel
that went offline, a refused login, a failed command, arming and disarming), drops repeats inside a
per-kind window, and queues each message for every target that asked for its kind. Alarms are
per episode (`domain.alarms.open_alarms`: provider, partition, zone): two partitions, or a second
zone, are messages of their own; an alarm after an entry delay is always sent. One task per
target delivers in a worker thread (Apprise's senders block), retrying with backoff; a target that
is down delays only its own messages, never polling and never the other targets.

Apprise URLs carry tokens: they are never logged. Targets are named in logs by number and scheme
("target 2 (ntfys)"), and what Apprise itself logs is captured and scrubbed of every part of the URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from alarmtui.domain import EventKind, PartitionState, Snapshot, TroubleKind
from alarmtui.domain.alarms import AlarmEpisode, open_alarms
from alarmtui.domain.changes import (
    ChangeTracker,
    CommandFinished,
    LinkChanged,
    PartitionChanged,
    TroubleChanged,
    VendorEvent,
    as_utc,
    utc_now,
)
from alarmtui.domain.updates import CommandUpdate, LinkState, PollerUpdate, SnapshotUpdate, StatusUpdate
from alarmtui.providers.base import AuthenticationFailed, TwoFactorRequired

log = logging.getLogger(__name__)

NOTIFY_EVENTS = (
    "alarm",
    "entry_delay",
    "tamper",
    "power",
    "offline",
    "login_refused",
    "command_failed",
    "armed",
    "disarmed",
)
"""Every kind of message a target can ask for (`events = [...]` in a `[[notify]]` table)."""

REPEAT_WINDOW = {
    "alarm": 600.0,  # per episode (provider, partition, zone): a flapping zone, not a second partition
    "entry_delay": 120.0,
    "tamper": 3600.0,
    "power": 3600.0,
    "offline": 1800.0,
    "login_refused": 3600.0,
}
"""Seconds during which the same message (same kind, provider and subject) is not sent again."""

DELIVERY_DEADLINE = 30.0
"""Seconds one delivery attempt may take; then it is abandoned (logged) and counts as a failed attempt."""
QUEUE_LIMIT = 100
"""Messages waiting per target; beyond it the oldest non-alarm message is dropped (logged and journaled)."""
CLOSE_TIMEOUT = 5.0
"""Seconds `aclose()` gives the deliveries under way when the service stops."""
TEST_DEADLINE = 15.0
"""Seconds `notify test` waits for each target."""

RETRY_DELAYS = (5.0, 15.0, 60.0, 300.0, 900.0)
"""Seconds between delivery attempts to a target that failed; then the message is given up (logged)."""

LOGIN_HEADLINES = {
    "AccountBlocked": "Blocked by the vendor",
    "TooManyCodes": "Too many verification codes",
    TwoFactorRequired.__name__: "Verification code needed",
    AuthenticationFailed.__name__: "Login refused",
}
"""By the error's class name (`ProviderStatus.error_kinds`, most specific first): the link failures the user must
act on, pushed as `login_refused` under these headlines. The vendors' own classes (My Pages' daily block, its
step-up limit) are named, not imported: notify never imports a vendor."""
ARMED_WORDS = {
    PartitionState.ARMED_AWAY: "Armed away",
    PartitionState.ARMED_HOME: "Armed home",
    PartitionState.ARMED_NIGHT: "Armed night",
    PartitionState.ARMED_CUSTOM_BYPASS: "Armed (custom)",
}
POWER_WORDS = ("power", "mains", "ac fail", "ac loss", "230v", "battery backup")

NOTIFY_TYPES = {
    "alarm": "failure",
    "entry_delay": "warning",
    "tamper": "warning",
    "power": "warning",
    "offline": "warning",
    "login_refused": "warning",
    "command_failed": "warning",
}
"""Apprise's notify type per kind (its `type` field, its icon colour); anything else is "info"."""

URGENT_PRIORITY = {
    "ntfy": "max",
    "ntfys": "max",
    "pover": "high",
    "gotify": "high",
    "gotifys": "high",
}
"""Apprise expresses priority per service as a URL parameter, `?priority=`: for an alarm we add it to
the targets that have one (ntfy "max" = urgent, 5; Pushover "high" = 1, which breaks quiet hours
without Pushover's emergency acknowledgement loop; Gotify "high" = 8). A `priority=` the user put
in the URL wins. Other services have no priority; they get the failure type only."""


def urgent_url(url: str) -> str:
    """`url` with the service's high priority added, where the service has one and the URL sets none."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    priority = URGENT_PRIORITY.get(scheme)
    if priority is None:
        return url
    try:
        query = urlsplit(url).query
    except ValueError:
        return url
    if any(key.lower() == "priority" for key, _ in parse_qsl(query, keep_blank_values=True)):
        return url
    return f"{url}{'&' if '?' in url else '?'}priority={priority}"


# --------------------------------------------------------------------------- targets and messages


@dataclass(frozen=True)
class Target:
    """One Apprise URL and the kinds of message it wants."""

    url: str = field(repr=False)
    events: frozenset[str] = frozenset(NOTIFY_EVENTS)
    number: int = 1

    @property
    def label(self) -> str:
        """How logs and `notify test` name the target: never the URL (it holds tokens)."""
        scheme = self.url.split("://", 1)[0] if "://" in self.url else "?"
        return f"target {self.number} ({scheme[:20]})"


@dataclass(eq=False)
class Message:
    kind: str
    """One of NOTIFY_EVENTS, or "test"."""
    provider: str
    headline: str
    where: str
    """ "House, zone Hall PIR" — the partition and zone, or a reason."""
    when: datetime
    """The panel's own time for what happened, where it says (the event's or the zone's report time)."""
    who: str = ""

    @property
    def notify_type(self) -> str:
        return NOTIFY_TYPES.get(self.kind, "info") if self.headline != "Back online" else "success"

    @property
    def urgent(self) -> bool:
        """Sent at the target's high priority (an alarm)."""
        return self.kind == "alarm"

    @property
    def title(self) -> str:
        return f"{self.headline} — {self.provider}" if self.provider else self.headline

    @property
    def body(self) -> str:
        """ "ALARM — powermaster · House, zone Hall PIR, 03:12:05" """
        parts = [self.where] if self.where else []
        if self.who:
            parts.append(f"by {self.who}")
        local = self.when.astimezone()
        stamp = f"{local:%H:%M:%S}" if abs(datetime.now(UTC) - self.when) < timedelta(hours=12) else f"{local:%Y-%m-%d %H:%M:%S}"
        parts.append(stamp)
        head = f"{self.headline} — {self.provider}" if self.provider else self.headline
        return f"{head} · {', '.join(parts)}" if self.provider else f"{head}: {', '.join(parts)}"


@dataclass(frozen=True)
class DeliveryResult:
    target: str
    ok: bool
    detail: str = ""


# --------------------------------------------------------------------------- Apprise, kept at arm's length


class _AppriseLogTap(logging.Handler):
    """Collects what Apprise logs, per thread, so it reaches our log only scrubbed of URL parts."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: dict[int, list[str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        lines = self.lines.get(threading.get_ident())
        if lines is not None and record.levelno >= logging.WARNING:
            with contextlib.suppress(Exception):
                lines.append(record.getMessage())

    def listen(self) -> None:
        self.lines[threading.get_ident()] = []

    def take(self) -> list[str]:
        return self.lines.pop(threading.get_ident(), [])


_TAP: _AppriseLogTap | None = None
_TAP_LOCK = threading.Lock()


def _apprise_log_tap() -> _AppriseLogTap:
    global _TAP
    with _TAP_LOCK:
        if _TAP is None:
            _TAP = _AppriseLogTap()
            # Their lines name the full URL, tokens and all (urllib3 is Apprise's HTTP client).
            for name in ("apprise", "urllib3"):
                logger = logging.getLogger(name)
                logger.addHandler(_TAP)
                logger.setLevel(logging.WARNING)
                logger.propagate = False
        return _TAP


def url_secrets(url: str) -> list[str]:
    """Every piece of an Apprise URL that may be a secret (user, password, host, path, query values)."""
    pieces = [url]
    try:
        parts = urlsplit(url)
        pieces += [parts.netloc, parts.username or "", parts.password or "", parts.hostname or ""]
        pieces += [unquote(p) for p in parts.path.split("/")]
        pieces += [v for _, v in parse_qsl(parts.query, keep_blank_values=True)]
        pieces += [parts.path, parts.query]
    except ValueError:
        pass
    return sorted({p for p in pieces if p and len(p) >= 3}, key=len, reverse=True)


def scrub_url_parts(text: str, url: str) -> str:
    for piece in url_secrets(url):
        text = text.replace(piece, "***")
    return text


class AppriseSender:
    """Sends one message to one target (blocking: run it in a thread)."""

    def __init__(self, target: Target) -> None:
        import apprise  # imported here: only the notifier pays for it

        self.target = target
        self._tap = _apprise_log_tap()
        # Sequential mode: Apprise sends in the calling thread, so its log lines can be told apart per target.
        self._apprise = apprise.Apprise(asset=self._asset(apprise))
        self.valid = bool(self._apprise.add(target.url))
        self._urgent = self._apprise
        if self.valid and urgent_url(target.url) != target.url:
            self._urgent = apprise.Apprise(asset=self._asset(apprise))
            if not self._urgent.add(urgent_url(target.url)):
                self._urgent = self._apprise

    @staticmethod
    def _asset(apprise: Any) -> Any:
        """Send in the calling thread. Apprise 2 with a `service_timeout` (60 s by default) hands each send to
        its own pool, whose threads the interpreter joins at exit: a target that never answers then holds
        `notify test` and the service's exit. Our `DeliveryThread` (a daemon) and its deadline do that job."""
        try:
            return apprise.AppriseAsset(async_mode=False, service_timeout=0)
        except TypeError:  # an Apprise without service_timeout sends in the calling thread anyway
            return apprise.AppriseAsset(async_mode=False)

    def send(self, title: str, body: str, *, notify_type: str = "info", urgent: bool = False) -> DeliveryResult:
        if not self.valid:
            return DeliveryResult(self.target.label, False, "not a valid Apprise URL")
        self._tap.listen()
        try:
            sender = self._urgent if urgent else self._apprise
            result = sender.notify(body=body, title=title, notify_type=notify_type)
            ok = bool(result)
            lines = self._tap.take()
            logs = getattr(result, "logs", None)
            if callable(logs):  # Apprise 2 keeps each call's log lines (it sends from its own threads)
                lines += [e.message for e in logs() if getattr(e, "level", "") in ("WARNING", "ERROR", "CRITICAL")]
        except Exception as exc:  # noqa: BLE001  (a sender's bug must not kill delivery)
            ok = False
            lines = [*self._tap.take(), f"{type(exc).__name__}: {exc}"]
        detail = "" if ok else scrub_url_parts(lines[-1] if lines else "the service refused the message", self.target.url)
        return DeliveryResult(self.target.label, ok, detail[:300])


SenderFactory = Callable[[Target], Any]


class DeliveryThread:
    """One daemon thread per target, running that target's blocking sends one at a time.

    A target whose server drips its reply or never answers holds only its own thread: the other
    targets' messages go out from theirs. A send abandoned at its deadline keeps the thread until it
    ends (a blocking socket read cannot be interrupted), but no second send starts beside it, so a bad
    target costs one thread whatever it does; and being a daemon, the thread never holds up the exit.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], asyncio.Future[Any], asyncio.AbstractEventLoop] | None] = (
            queue.SimpleQueue()
        )
        self.running: asyncio.Future[Any] | None = None
        """The send under way (or abandoned but not yet ended), if any."""
        self._thread = threading.Thread(target=self._run, name=f"alarmtui-notify:{label}", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self.running is not None and not self.running.done()

    def submit(self, work: Callable[[], Any]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.running = future
        self._jobs.put((work, future, loop))
        return future

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            work, future, loop = job
            try:
                result, error = work(), None
            except BaseException as exc:  # noqa: BLE001  (handed to the loop; a sender's bug must not kill the thread)
                result, error = None, exc
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_resolve, future, result, error)


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


@dataclass(eq=False)
class _Outbox:
    """What waits for one target: a bounded list, its delivery task, its thread."""

    target: Target
    messages: deque[Message] = field(default_factory=deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    current: Message | None = None
    thread: DeliveryThread | None = None
    dropped: int = 0


# --------------------------------------------------------------------------- the notifier


class Notifier:
    """Turns poller updates into messages and delivers them to every interested target."""

    def __init__(
        self,
        targets: Sequence[Target],
        *,
        now: Callable[[], datetime] = utc_now,
        clock: Callable[[], float] = time.monotonic,
        repeat_window: dict[str, float] | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        settle: float = 1.0,
        sender: SenderFactory = AppriseSender,
        deadline: float = DELIVERY_DEADLINE,
        queue_limit: int = QUEUE_LIMIT,
        on_drop: Callable[[Message, Target, str], None] | None = None,
    ) -> None:
        self.targets = list(targets)
        self._now = now
        self._clock = clock
        self.repeat_window = {**REPEAT_WINDOW, **(repeat_window or {})}
        self.retry_delays = tuple(retry_delays)
        self.settle = settle
        """Seconds an armed/disarmed message waits for the vendor event that says who did it."""
        self._sender_factory = sender
        self._tracker = ChangeTracker(now=now)
        self._started_at = now()
        self._last_sent: dict[tuple[str, ...], float] = {}
        self._suppressed: dict[tuple[str, ...], int] = {}
        self._episodes: dict[str, dict[tuple[str, str, str], AlarmEpisode]] = {}
        """provider -> the alarm episodes open in its last snapshot (each pushed once)."""
        self._vendor_told: dict[str, list[tuple[float, str, str]]] = {}
        """provider -> (clock, partition id or "", zone or "") of alarms pushed from the vendor log that
        no snapshot has shown yet: the episode the snapshot then opens is the same alarm."""
        self._after_entry_delay: set[tuple[str, str]] = set()
        """(provider, partition id) whose entry delay ran: the alarm that follows is pushed whatever the windows say."""
        self._names: dict[str, dict[str, str]] = {}
        """provider -> partition id -> name, from its last snapshot (vendor events may name a partition by id)."""
        self._offline_told: set[str] = set()
        self._error_kinds: dict[str, tuple[str, ...]] = {}
        """provider -> class names of the error behind its last status (a refused login is told apart by its kind)."""
        self._recent_who: dict[str, tuple[float, str, str]] = {}
        """provider -> (clock, "arm"/"disarm", who) from a vendor event or a command of ours."""
        self._settling: list[Message] = []
        self.deadline = deadline
        """Seconds one delivery attempt may take before it is abandoned."""
        self.queue_limit = max(1, queue_limit)
        self._on_drop = on_drop
        """Told (message, target, reason) of every message that will not go out: dropped from a full queue,
        given up after its retries or abandoned at shutdown (the engine journals it)."""
        self._outboxes: dict[int, _Outbox] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self.abandoned: list[tuple[str, Message]] = []
        """(target label, message) given up at a deadline or at close, newest last (capped)."""
        self._senders: dict[int, Any] = {}
        self.sent: list[tuple[str, Message]] = []
        """(target label, message) delivered, newest last (capped): for the service's status."""
        self.outcomes: dict[tuple[str, str], int] = {}
        """(target label, "sent" | "given_up" | "dropped") -> messages so far (the metrics bridge reads it)."""

    @classmethod
    def from_settings(cls, settings: Any, **kw: Any) -> Notifier:
        """A notifier for the config's `[[notify]]` targets (none: it does nothing)."""
        return cls(targets_from_settings(settings.notify), **kw)

    # -- life cycle

    def start(self) -> None:
        """Start one delivery task (and thread) per target (call inside the running loop)."""
        if self._tasks or self._closing:
            return
        loop = asyncio.get_running_loop()
        for target in self.targets:
            outbox = _Outbox(target)
            self._outboxes[target.number] = outbox
            self._tasks.append(loop.create_task(self._deliver_forever(outbox), name=f"notify:{target.number}"))

    async def aclose(self, timeout: float = CLOSE_TIMEOUT) -> list[tuple[str, Message]]:
        """Stop accepting messages, give what is queued or under way `timeout` seconds, then stop.

        What could not be delivered in time is logged (kind and target, never the URL) and returned as
        (target label, message). Returns within `timeout` plus a moment whatever the targets do: a send
        stuck in a thread is left to its daemon thread. The service calls this on SIGTERM.
        """
        self._closing = True
        for message in list(self._settling):  # held for "who": send it now, as it is
            self._settling.remove(message)
            self._dispatch(message, closing=True)
        if self._tasks and timeout > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained(), timeout)
        left: list[tuple[Target, Message]] = []
        for outbox in self._outboxes.values():
            if outbox.current is not None:
                left.append((outbox.target, outbox.current))
            left += [(outbox.target, m) for m in outbox.messages]
            outbox.messages.clear()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for outbox in self._outboxes.values():
            if outbox.thread is not None:
                outbox.thread.stop()
        for target, message in left:
            log.warning("notify: abandoned %s to %s at shutdown (not delivered within %g s)", message.kind, target.label, timeout)
            self._abandon(target, message, "abandoned at shutdown")
        return [(target.label, message) for target, message in left]

    async def close(self) -> None:
        """Stop at once (what is queued is abandoned and logged); `aclose()` gives deliveries time first."""
        await self.aclose(timeout=0.0)

    async def _drained(self) -> None:
        while self._settling or any(o.messages or o.current is not None for o in self._outboxes.values()):
            await asyncio.sleep(0.01)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until every queued message has been delivered or given up (tests)."""
        await asyncio.wait_for(self._drained(), timeout)

    def _abandon(self, target: Target, message: Message, reason: str) -> None:
        """Given up: after its retries, or unsent at shutdown."""
        self.abandoned.append((target.label, message))
        del self.abandoned[:-100]
        self._count(target, "given_up")
        self._tell_dropped(message, target, reason)

    def _count(self, target: Target, outcome: str) -> None:
        self.outcomes[(target.label, outcome)] = self.outcomes.get((target.label, outcome), 0) + 1

    def _tell_dropped(self, message: Message, target: Target, reason: str) -> None:
        if self._on_drop is not None:
            try:
                self._on_drop(message, target, reason)
            except Exception:
                log.exception("notify: could not record a message that was not sent")

    # -- feeding (on the loop; never blocks)

    def feed(self, update: PollerUpdate, *, origin: str = "") -> None:
        try:
            for message in self._messages(update, origin):
                self._offer(message)
        except Exception:  # a message we could not build must not disturb polling
            log.exception("notify: could not handle an update")

    def _messages(self, update: PollerUpdate, origin: str) -> Iterable[tuple[Message, tuple[str, ...]]]:
        if isinstance(update, StatusUpdate):
            self._error_kinds[update.provider] = update.status.error_kinds  # what the link change below is about
        if isinstance(update, SnapshotUpdate) and update.snapshot.online:
            self._names[update.provider] = {p.id: p.name for p in update.snapshot.partitions if p.name}
        for change in self._tracker.changes(update, origin):
            match change:
                case PartitionChanged():
                    yield from self._partition(change)
                case TroubleChanged() if change.appeared and not change.first:
                    kind = {TroubleKind.TAMPER: "tamper", TroubleKind.POWER: "power"}.get(change.kind)
                    if kind:
                        where = ", ".join(p for p in (change.panel, change.text or kind) if p)
                        yield (
                            Message(kind, change.provider, kind.capitalize(), where, change.time),
                            (kind, change.provider, change.trouble_id),
                        )
                case LinkChanged():
                    yield from self._link(change)
                case CommandFinished():
                    yield from self._command(change)
                case VendorEvent():
                    yield from self._vendor(change)
        if isinstance(update, SnapshotUpdate) and update.snapshot.online:
            yield from self._alarms(update.provider, update.snapshot)
        if isinstance(update, CommandUpdate) and update.result is not None and update.result.ok:
            action = update.command.action.value
            if action in ("arm", "disarm") and origin:
                self._recent_who[update.provider] = (self._clock(), action, origin)

    # -- alarms: one message per episode (provider, partition, zone)

    def _alarms(self, provider: str, snapshot: Snapshot) -> Iterable[tuple[Message, tuple[str, ...]]]:
        before = self._episodes.get(provider, {})
        unknown = {p.id for p in snapshot.partitions if p.state is PartitionState.UNKNOWN}
        # A partition read as "unknown" keeps its episodes: not knowing is not the alarm clearing.
        now_open = {key: e for key, e in before.items() if e.partition in unknown}
        when = as_utc(snapshot.fetched_at) if snapshot.fetched_at else self._now()
        for episode in open_alarms(provider, snapshot):
            now_open[episode.key] = episode
            if episode.key in before:
                continue  # the same alarm, read again
            forced = (provider, episode.partition) in self._after_entry_delay
            self._after_entry_delay.discard((provider, episode.partition))
            if self._told_by_vendor(provider, episode.partition, episode.zone):
                continue  # pushed from the vendor log a moment ago
            zone = next((z for z in snapshot.zones if z.name == episode.zone), None) if episode.zone else None
            stamp = as_utc(zone.reported_at) if zone is not None and zone.reported_at else when
            message = Message("alarm", provider, "ALARM", self._where(provider, episode.partition, episode.zone), stamp)
            yield message, ("alarm", provider, episode.partition, episode.zone, "!" if forced else "")
        self._episodes[provider] = now_open

    def _told_by_vendor(self, provider: str, partition: str, zone: str) -> bool:
        """Consume a vendor-log alarm that this episode is (one vendor alarm covers one episode)."""
        told = self._vendor_told.get(provider, [])
        now = self._clock()
        told[:] = [t for t in told if now - t[0] < self.repeat_window["alarm"]]
        for item in told:
            _, told_partition, told_zone = item
            if told_partition in ("", partition) and told_zone in ("", zone):
                told.remove(item)
                return True
        return False

    def _partition_id(self, provider: str, given: str) -> str:
        """The partition a vendor event names, by id or by name ("" when it names none we know)."""
        names = self._names.get(provider, {})
        if given in names:
            return given
        folded = given.casefold()
        return next((pid for pid, name in names.items() if name.casefold() == folded), "")

    def _where(self, provider: str, partition: str, zone: str) -> str:
        """ "House, zone Hall PIR": the partition by its name, never its number, where the panel names it."""
        name = self._names.get(provider, {}).get(partition, partition)
        return ", ".join(p for p in (name, f"zone {zone}" if zone else "") if p)

    def _partition(self, change: PartitionChanged) -> Iterable[tuple[Message, tuple[str, ...]]]:
        provider = change.provider
        where = change.name if not change.zone else f"{change.name}, zone {change.zone}"
        if change.new is PartitionState.TRIGGERED:
            return  # alarms are pushed per episode (`_alarms`), from the same snapshot
        if change.new is PartitionState.DISARMED:
            # A new alarm after a disarm is news at once, whatever the repeat window says.
            for key in [k for k in self._last_sent if k[:3] == ("alarm", provider, change.partition)]:
                del self._last_sent[key]
            self._after_entry_delay.discard((provider, change.partition))
        if change.new is PartitionState.PENDING:
            self._after_entry_delay.add((provider, change.partition))
            yield Message("entry_delay", provider, "Entry delay", where, change.time), ("entry_delay", provider, change.partition)
        if change.old is None:
            return  # the state found at start is not news (an alarm or entry delay is)
        if change.new.is_armed:
            message = Message("armed", provider, ARMED_WORDS.get(change.new, "Armed"), where, change.time)
            yield message, ("armed", provider, change.partition, change.time.isoformat())
        elif change.new is PartitionState.DISARMED and (
            change.old.is_armed or change.old in (PartitionState.TRIGGERED, PartitionState.PENDING)
        ):
            yield (
                Message("disarmed", provider, "Disarmed", where, change.time),
                ("disarmed", provider, change.partition, change.time.isoformat()),
            )

    def _link(self, change: LinkChanged) -> Iterable[tuple[Message, tuple[str, ...]]]:
        provider = change.provider
        if change.new is LinkState.OFFLINE:
            kinds = self._error_kinds.get(provider, ())
            headline = next((LOGIN_HEADLINES[k] for k in kinds if k in LOGIN_HEADLINES), "")
            kind = "login_refused" if headline else "offline"
            headline = headline or "Offline"
            self._offline_told.add(provider)
            yield Message(kind, provider, headline, change.reason, change.time), (kind, provider)
        elif change.new is LinkState.ONLINE and provider in self._offline_told:
            self._offline_told.discard(provider)
            yield Message("offline", provider, "Back online", "", change.time), ("online", provider, change.time.isoformat())

    def _command(self, change: CommandFinished) -> Iterable[tuple[Message, tuple[str, ...]]]:
        result = change.result
        if result.ok:
            return
        headline = {"unknown": "Command outcome unknown", "not_sent": "Command not sent"}.get(
            result.phase.value, "Command failed"
        )
        where = change.command.describe() + (f": {result.message}" if result.message else "")
        yield (
            Message("command_failed", change.provider, headline, where, change.time, who=change.origin),
            ("command_failed", change.provider, change.token),
        )

    def _vendor(self, change: VendorEvent) -> Iterable[tuple[Message, tuple[str, ...]]]:
        event = change.event
        provider = change.provider
        when = as_utc(event.time)
        if event.kind in (EventKind.ARM, EventKind.DISARM) and event.who:
            self._recent_who[provider] = (self._clock(), event.kind.value, event.who)
            self._fill_who(provider, event.kind.value, event.who)
        # Only what happened while we watch: the vendor log re-read at start is history, not news.
        if when < self._started_at - timedelta(minutes=2) or self._now() - when > timedelta(hours=1):
            return
        text = event.text.casefold()
        partition = self._partition_id(provider, event.partition)
        name = self._names.get(provider, {}).get(partition, "") if partition else event.partition
        where = ", ".join(p for p in (name, f"zone {event.zone}" if event.zone else "", event.text) if p)
        if event.kind is EventKind.ALARM:
            open_now = self._episodes.get(provider, {}).values()
            if any(partition in ("", e.partition) and event.zone in ("", e.zone) for e in open_now):
                return  # the snapshot showed this alarm first and it was pushed then
            forced = (provider, partition) in self._after_entry_delay if partition else False
            self._vendor_told.setdefault(provider, []).append((self._clock(), partition, event.zone))
            alarm_key = ("alarm", provider, partition, event.zone, "!" if forced else "")
            yield Message("alarm", provider, "ALARM", where, when, who=event.who), alarm_key
        elif event.kind is EventKind.ENTRY_DELAY:
            if partition:
                self._after_entry_delay.add((provider, partition))
            delay_key = ("entry_delay", provider, partition or event.partition)
            yield Message("entry_delay", provider, "Entry delay", where, when, who=event.who), delay_key
        elif event.kind is EventKind.TROUBLE and "tamper" in text:
            yield Message("tamper", provider, "Tamper", where, when), ("tamper", provider, event.zone or event.text)
        elif event.kind is EventKind.TROUBLE and any(word in text for word in POWER_WORDS):
            yield Message("power", provider, "Power", where, when), ("power", provider, event.zone or event.text)

    # -- rate limits and who

    def _offer(self, item: tuple[Message, tuple[str, ...]]) -> None:
        message, key = item
        forced = key[-1] == "!"
        if key[0] == "alarm":
            key = key[:-1]  # the episode; "!" marks an alarm after an entry delay, pushed whatever the window
        window = self.repeat_window.get(key[0] if key[0] in self.repeat_window else message.kind, 0.0)
        now = self._clock()
        last = self._last_sent.get(key)
        if window and last is not None and now - last < window and not forced:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            log.info("notify: %s for %s not repeated (sent %.0f s ago)", message.kind, message.provider, now - last)
            return
        self._last_sent[key] = now
        if len(self._last_sent) > 2000:  # forget the oldest keys; windows are minutes long
            for old in sorted(self._last_sent, key=self._last_sent.__getitem__)[:1000]:
                del self._last_sent[old]
        skipped = self._suppressed.pop(key, 0)
        if skipped:
            message.where = f"{message.where} ({skipped} repeat{'s' if skipped > 1 else ''} not sent)".strip()
        if message.kind in ("armed", "disarmed") and not message.who:
            recent = self._recent_who.get(message.provider)
            action = "arm" if message.kind == "armed" else "disarm"
            if recent and now - recent[0] < 120 and recent[1] == action:
                message.who = recent[2]
            elif self.settle > 0:
                self._settle(message)
                return
        self._dispatch(message)

    def _settle(self, message: Message) -> None:
        """Hold an armed/disarmed message briefly: the vendor event naming who did it usually follows."""
        self._settling.append(message)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._settled(message)
            return
        loop.call_later(self.settle, self._settled, message)

    def _settled(self, message: Message) -> None:
        if message in self._settling:
            self._settling.remove(message)
            self._dispatch(message)

    def _fill_who(self, provider: str, action: str, who: str) -> None:
        for message in self._settling:
            if message.provider == provider and message.kind == ("armed" if action == "arm" else "disarmed") and not message.who:
                message.who = who

    def _dispatch(self, message: Message, *, closing: bool = False) -> None:
        if self._closing and not closing:
            log.info("notify: %s not sent: the notifier is shutting down", message.kind)
            return
        for target in self.targets:
            if message.kind in target.events or message.kind == "test":
                if not self._tasks and not self._closing:
                    with contextlib.suppress(RuntimeError):  # fed before start(), inside the loop: start now
                        self.start()
                outbox = self._outboxes.get(target.number)
                if outbox is None:
                    log.warning("notify: %s dropped for %s: the notifier is not started", message.kind, target.label)
                    continue
                self._enqueue(outbox, message)

    def _enqueue(self, outbox: _Outbox, message: Message) -> None:
        """Queue `message`; a full queue drops its oldest non-alarm message (an alarm only if all are alarms)."""
        if len(outbox.messages) >= self.queue_limit:
            victim = next((m for m in outbox.messages if m.kind != "alarm"), outbox.messages[0])
            outbox.messages.remove(victim)
            outbox.dropped += 1
            log.warning(
                "notify: queue for %s full (%d waiting): dropped the oldest %s message (%s)",
                outbox.target.label,
                self.queue_limit,
                victim.kind,
                victim.title,
            )
            self._count(outbox.target, "dropped")
            self._tell_dropped(victim, outbox.target, "dropped: the target's queue was full")
        outbox.messages.append(message)
        outbox.ready.set()

    # -- delivery

    def _sender(self, target: Target) -> Any:
        sender = self._senders.get(target.number)
        if sender is None:
            sender = self._sender_factory(target)
            self._senders[target.number] = sender
            if not getattr(sender, "valid", True):
                log.error("notify: %s is not a valid Apprise URL; nothing will be sent there", target.label)
        return sender

    async def _deliver_forever(self, outbox: _Outbox) -> None:
        while True:
            if not outbox.messages:
                outbox.ready.clear()
                await outbox.ready.wait()
                continue
            message = outbox.messages.popleft()
            outbox.current = message
            try:
                await self._deliver(outbox, message)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notify: delivery to %s crashed", outbox.target.label)
            finally:
                outbox.current = None

    async def _attempt(self, outbox: _Outbox, work: Callable[[], Any], deadline: float) -> Any:
        """Run `work` on the target's own thread within `deadline` seconds; TimeoutError when abandoned.

        A send abandoned earlier that is still stuck is waited for within the same deadline: never two
        sends to one target at once, so a target that never answers holds one thread, not one per message.
        """
        if outbox.thread is None:
            outbox.thread = DeliveryThread(outbox.target.label)
        thread = outbox.thread
        loop = asyncio.get_running_loop()
        ends = loop.time() + deadline
        if thread.busy:
            assert thread.running is not None
            await asyncio.wait({thread.running}, timeout=max(0.0, ends - loop.time()))
            if thread.busy:
                raise TimeoutError("the previous delivery to this target is still under way")
        future = thread.submit(work)
        done, _ = await asyncio.wait({future}, timeout=max(0.0, ends - loop.time()))
        if not done:
            raise TimeoutError(f"no answer within {deadline:g} s")
        return future.result()

    async def _deliver(self, outbox: _Outbox, message: Message) -> bool:
        target = outbox.target
        for attempt in range(len(self.retry_delays) + 1):
            try:
                sender = await self._attempt(outbox, lambda: self._sender(target), self.deadline)
                result: DeliveryResult = await self._attempt(
                    outbox,
                    functools.partial(
                        sender.send, message.title, message.body, notify_type=message.notify_type, urgent=message.urgent
                    ),
                    self.deadline,
                )
            except TimeoutError as exc:
                log.warning("notify: abandoned a delivery of %s to %s: %s", message.kind, target.label, exc)
                result = DeliveryResult(target.label, False, f"abandoned: {exc}")
                sender = None
            if result.ok:
                log.info("notify: %s sent to %s", message.kind, target.label)
                self.sent.append((target.label, message))
                self._count(target, "sent")
                del self.sent[:-100]
                return True
            invalid = sender is not None and not getattr(sender, "valid", True)
            if invalid or attempt == len(self.retry_delays) or self._closing:
                log.error("notify: gave up sending %s to %s: %s", message.kind, target.label, result.detail)
                self._abandon(target, message, f"gave up: {result.detail}" if result.detail else "gave up")
                return False
            delay = self.retry_delays[attempt]
            log.warning("notify: %s to %s failed (%s); retrying in %.0f s", message.kind, target.label, result.detail, delay)
            await asyncio.sleep(delay)
        return False

    async def send_test(self, deadline: float = TEST_DEADLINE) -> list[DeliveryResult]:
        """Send a test message to every target at once (no retries); one result per target, each within `deadline`."""
        message = Message("test", "", "alarmtui test", "notifications reach this target", self._now())

        async def one(target: Target) -> DeliveryResult:
            outbox = _Outbox(target)
            loop = asyncio.get_running_loop()
            ends = loop.time() + deadline
            try:
                sender = await self._attempt(outbox, lambda: self._sender(target), deadline)
                left = max(0.0, ends - loop.time())
                return await self._attempt(outbox, lambda: sender.send(message.title, message.body), left)  # type: ignore[no-any-return]
            except TimeoutError:
                return DeliveryResult(target.label, False, f"no answer within {deadline:g} s")
            except Exception as exc:  # noqa: BLE001  (reported per target)
                return DeliveryResult(target.label, False, scrub_url_parts(f"{type(exc).__name__}: {exc}", target.url)[:300])
            finally:
                if outbox.thread is not None:
                    outbox.thread.stop()

        return list(await asyncio.gather(*(one(t) for t in self.targets)))


def targets_from_settings(entries: Iterable[Any]) -> list[Target]:
    """`[[notify]]` tables (url as SecretStr, events) -> targets, numbered from 1 in config order."""
    targets = []
    for number, entry in enumerate(entries, start=1):
        url = entry.url.get_secret_value() if hasattr(entry.url, "get_secret_value") else str(entry.url)
        targets.append(Target(url, frozenset(entry.events), number))
    return targets
