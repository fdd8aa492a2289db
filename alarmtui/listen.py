"""`alarmtui listen [--json] [--since WHEN]`: one line per state change, event, alarm, trouble and command outcome.

Attached to the running service (or in-process when none runs), until interrupted. With `--json`,
JSON Lines with a stable schema, every key always present ("" where it does not apply):

    {"type": "state" | "event" | "alarm" | "trouble" | "command" | "link" | "acknowledgement",
     "time": ISO 8601 UTC, "provider", "partition", "zone", "state", "text", "who"}

`--since` prints the journal's entries from then on first (oldest first), then goes live. Vendor
text is data: plain output strips control characters; JSON escapes them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import signal
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from alarmtui.domain import CommandResult, EventKind
from alarmtui.domain.alarms import open_alarms
from alarmtui.domain.changes import (
    OUTCOME_WORDS,
    STATE_WORDS,
    AlarmAcknowledged,
    Change,
    ChangeTracker,
    CommandFinished,
    CommandSent,
    LinkChanged,
    PartitionChanged,
    TroubleChanged,
    VendorEvent,
    as_utc,
)
from alarmtui.domain.changes import (
    command_outcome_state as outcome_state,  # "accepted" while the exit delay runs, never "done"
)
from alarmtui.domain.changes import (
    command_outcome_text as outcome_sentence,
)
from alarmtui.domain.text import clean_text
from alarmtui.domain.updates import CommandUpdate, EventsUpdate, PollerUpdate, SnapshotUpdate

KEYS = ("type", "time", "provider", "partition", "zone", "state", "text", "who")
"""The JSON Lines schema: these keys, always, in this order."""
REPLAY_LIMIT = 100_000


def line(
    kind: str,
    time: datetime,
    provider: str,
    *,
    partition: str = "",
    zone: str = "",
    state: str = "",
    text: str = "",
    who: str = "",
) -> dict[str, str]:
    return {
        "type": kind,
        "time": as_utc(time).isoformat(),
        "provider": provider,
        "partition": partition,
        "zone": zone,
        "state": state,
        "text": text,
        "who": who,
    }


def _named_outcome(result: CommandResult, name: str) -> CommandResult:
    """An accepted result that says "arming, exit delay 30 s" as "House arming, exit delay 30 s"."""
    detail = (result.message or result.state).removeprefix("accepted — ")
    if not detail or detail.casefold().startswith(name.casefold()):
        return result
    return dataclasses.replace(result, message=f"{name} {detail}")


def change_lines(change: Change) -> list[dict[str, str]]:
    """The lines one change prints (none for what a listener need not hear)."""
    match change:
        case VendorEvent(provider, event):
            kind = "alarm" if event.kind is EventKind.ALARM else "event"
            return [
                line(
                    kind,
                    event.time,
                    provider,
                    partition=event.partition,
                    zone=event.zone,
                    state=event.kind.value,
                    text=event.text,
                    who=event.who,
                )
            ]
        case PartitionChanged():
            was = f" (was {STATE_WORDS[change.old]})" if change.old is not None else ""
            return [
                line(
                    "state",
                    change.time,
                    change.provider,
                    partition=change.name,
                    zone=change.zone,
                    state=change.new.value,
                    text=f"{change.name}: {STATE_WORDS[change.new]}{was}",
                )
            ]
        case TroubleChanged():
            what = change.text or change.kind.value.replace("_", " ")
            text = f"trouble: {what}" if change.appeared else f"trouble cleared: {what}"
            return [
                line(
                    "trouble",
                    change.time,
                    change.provider,
                    zone=change.zone,
                    state="appeared" if change.appeared else "cleared",
                    text=text,
                )
            ]
        case LinkChanged():
            text = change.new.value + (f": {change.reason}" if change.reason and change.new.value != "online" else "")
            return [line("link", change.time, change.provider, state=change.new.value, text=text)]
        case CommandSent():
            command = change.command
            return [
                line(
                    "command",
                    change.time,
                    change.provider,
                    partition=command.label if command.partition else "",
                    zone=command.label if command.zone else "",
                    state="sent",
                    text=f"{command.describe()}: sent",
                    who=change.origin,
                )
            ]
        case CommandFinished():
            command, result = change.command, change.result
            return [
                line(
                    "command",
                    change.time,
                    change.provider,
                    partition=command.label if command.partition else "",
                    zone=command.label if command.zone else "",
                    state=outcome_state(result),
                    text=f"{command.describe()}: {outcome_sentence(result)}",
                    who=change.origin,
                )
            ]
        case AlarmAcknowledged():
            return [
                line(
                    "acknowledgement",
                    change.time,
                    change.provider,
                    partition=change.name,
                    zone=change.zone,
                    state="acknowledged",
                    text=f"{change.name}: alarm acknowledged",
                    who=change.who,
                )
            ]
    return []


class Listener:
    """Turns the engine's updates into lines. `primed()` says whether an update is live (not a replay of the state)."""

    def __init__(self, emit: Callable[[dict[str, str]], None], *, primed: Callable[[], bool] | None = None) -> None:
        self.emit = emit
        self.primed = primed or (lambda: True)
        self.skip_first_events = primed is None
        """In-process there is no replay to tell history by: each provider's first events read is history."""
        self.tracker = ChangeTracker()
        self._alarms: dict[str, set[tuple[str, str, str]]] = {}
        self._first_events: set[str] = set()
        self._in_flight: set[str] = set()
        """Providers with a command under way (its "sent" line printed)."""
        self._names: dict[str, dict[str, str]] = {}
        """provider -> partition id -> name, from its last snapshot: a command from another view names its
        partition by id only, and its outcome reads "House arming", not "1" or nothing."""

    def feed(self, update: PollerUpdate) -> None:
        live = self.primed()
        if self.skip_first_events and isinstance(update, EventsUpdate) and update.provider not in self._first_events:
            self._first_events.add(update.provider)
            live = False  # the first events read is history (`--since` shows history)
        if isinstance(update, CommandUpdate):
            # By provider, not by the command object: a command from the service arrives as a new object each time.
            lines = self._command(update)
            if live:
                for entry in lines:
                    self.emit(entry)
            return
        changes = self.tracker.changes(update)
        alarms: list[dict[str, str]] = []
        if isinstance(update, SnapshotUpdate):
            if update.snapshot.online:
                self._names[update.provider] = {p.id: p.name for p in update.snapshot.partitions if p.name}
            alarms = self._new_alarms(update)
        if not live:
            return
        for change in changes:
            if isinstance(change, PartitionChanged | TroubleChanged) and change.first:
                continue  # the state at start, not a change
            for entry in change_lines(change):
                self.emit(entry)
        for entry in alarms:
            self.emit(entry)

    def _command(self, update: CommandUpdate) -> list[dict[str, str]]:
        now = datetime.now(UTC)
        out: list[Change] = []
        command, result = update.command, update.result
        name = self._names.get(update.provider, {}).get(command.partition or "", "")
        if name and not command.label:
            command = dataclasses.replace(command, label=name)
        if update.provider not in self._in_flight:
            self._in_flight.add(update.provider)
            out.append(CommandSent(update.provider, "", command, "", now))
        if result is not None:
            self._in_flight.discard(update.provider)
            if name and result.ok and not result.settled:
                result = _named_outcome(result, name)
            out.append(CommandFinished(update.provider, "", command, result, "", now))
        return [entry for change in out for entry in change_lines(change)]

    def _new_alarms(self, update: SnapshotUpdate) -> list[dict[str, str]]:
        episodes = {e.key: e for e in open_alarms(update.provider, update.snapshot)} if update.snapshot.online else {}
        known = self._alarms.get(update.provider)
        self._alarms[update.provider] = set(episodes)
        if known is None:
            return []  # alarms already on at start are the state, not news
        when = update.snapshot.fetched_at or datetime.now(UTC)
        return [
            line(
                "alarm",
                when,
                update.provider,
                partition=e.partition_name or e.partition,
                zone=e.zone,
                state="triggered",
                text=f"ALARM: {e.describe()}",
            )
            for key, e in episodes.items()
            if key not in known
        ]


def journal_lines(entries: Iterable[Any]) -> list[dict[str, str]]:
    """Journal entries (newest first, as searched) as lines, oldest first."""
    out = []
    for entry in reversed(list(entries)):
        category, kind = entry.category, entry.kind
        if category == "event":
            out.append(
                line(
                    "alarm" if kind == "alarm" else "event",
                    entry.time,
                    entry.provider,
                    partition=entry.partition,
                    zone=entry.zone,
                    state=kind,
                    text=entry.text,
                    who=entry.who,
                )
            )
        elif category == "state" and kind == "trouble":
            out.append(
                line(
                    "trouble",
                    entry.time,
                    entry.provider,
                    zone=entry.zone,
                    state="cleared" if entry.text.startswith("trouble cleared") else "appeared",
                    text=entry.text,
                )
            )
        elif category == "state":
            out.append(
                line(
                    "state",
                    entry.time,
                    entry.provider,
                    partition=entry.partition,
                    zone=entry.zone,
                    state=_named(entry.text, STATE_WORDS),
                    text=entry.text,
                )
            )
        elif category == "command":
            outcome = _named(entry.text, OUTCOME_WORDS) or ("sent" if entry.text.endswith(": sent") else "")
            out.append(
                line(
                    "command",
                    entry.time,
                    entry.provider,
                    partition=entry.partition,
                    zone=entry.zone,
                    state=outcome,
                    text=entry.text,
                    who=entry.who,
                )
            )
        elif category == "connectivity":
            out.append(
                line(
                    "link",
                    entry.time,
                    entry.provider,
                    state="offline" if entry.text.startswith("offline") else "online",
                    text=entry.text,
                )
            )
        else:
            out.append(
                line(
                    category,
                    entry.time,
                    entry.provider,
                    partition=entry.partition,
                    zone=entry.zone,
                    state="acknowledged",
                    text=entry.text,
                    who=entry.who,
                )
            )
    return out


def _named(text: str, words: Mapping[Any, str]) -> str:
    """The key whose words the journal's text names after ": " (the longest match: "armed away" over "armed")."""
    found = [(len(w), getattr(k, "value", k)) for k, w in words.items() if f": {w}" in text]
    return str(max(found)[1]) if found else ""


def printer(as_json: bool, stream: TextIO) -> Callable[[dict[str, str]], None]:
    def emit(entry: dict[str, str]) -> None:
        if as_json:
            stream.write(json.dumps(entry, ensure_ascii=False) + "\n")
        else:
            when = datetime.fromisoformat(entry["time"]).astimezone()
            where = " ".join(clean_text(x, 80) for x in (entry["partition"], entry["zone"] and f"[{entry['zone']}]") if x)
            who = f" — {clean_text(entry['who'], 80)}" if entry["who"] else ""
            text = clean_text(entry["text"], 300)
            stream.write(
                f"{when:%Y-%m-%d %H:%M:%S} {clean_text(entry['provider'], 40)} {entry['type']:<8} {where + ': ' if where and where not in text else ''}{text}{who}\n"
            )
        stream.flush()

    return emit


async def listen(args: argparse.Namespace, stream: TextIO | None = None, stop: asyncio.Event | None = None) -> int:
    """Until Ctrl-C or SIGTERM (or `stop` is set: then no signal handlers, the caller ends it): exit 0.

    `stream` defaults to `sys.stdout` as it is when called (the CLI's inert wrapper, a redirection)."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM) if stop is None else ()
    stop = stop or asyncio.Event()
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        return await _listen(args, stream or sys.stdout, stop)
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


async def _listen(args: argparse.Namespace, stream: TextIO, stop: asyncio.Event) -> int:
    from alarmtui.headless import Exit, UsageError
    from alarmtui.settings import load_settings
    from alarmtui.timespec import parse_time

    since = None
    if args.since:
        try:
            since = parse_time(args.since)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    emit = printer(args.json, stream)
    loaded = None if args.demo else load_settings(args.config, required=True)
    if since is not None and loaded is not None:
        from alarmtui.journal.store import JournalError, JournalReader, default_journal_path

        path = loaded.settings.journal or default_journal_path()
        try:
            reader = JournalReader(path)
        except JournalError as exc:
            print(f"alarmtui: no journal to replay: {exc}", file=sys.stderr)
        else:
            try:
                providers = [args.provider] if args.provider else None
                for entry in journal_lines(reader.search(since=since, providers=providers, limit=REPLAY_LIMIT)):
                    emit(entry)
            finally:
                reader.close()
    engine, cleanup = await _engine(args, loaded)
    if args.provider and args.provider not in engine.providers:
        await engine.close()
        cleanup()
        raise UsageError(f"no provider named {args.provider!r}; configured: {', '.join(engine.providers) or 'none'}")
    attached = getattr(engine, "attached_event", None)
    listener = Listener(
        (lambda entry: emit(entry) if entry["provider"] == args.provider else None) if args.provider else emit,
        primed=attached.is_set if attached is not None else None,
    )
    engine.subscribe(listener.feed)
    try:
        await engine.start()
        if attached is not None:
            await engine.wait_attached(10.0)
        print(f"alarmtui: listening ({engine.describe()}); Ctrl-C to stop", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        await engine.close(timeout=2.0)
        cleanup()
    return Exit.OK


async def _engine(args: argparse.Namespace, loaded: Any) -> tuple[Any, Callable[[], None]]:
    """The service's engine when one serves this config; else the pollers here (with the journal, no notifications)."""
    if not args.standalone and not args.demo:
        from alarmtui.engine.attached.find import find_service

        service = find_service(args.config)
        if service is not None:
            from alarmtui.engine.attached.engine import AttachedEngine

            return AttachedEngine.from_hello(service.socket, service.hello), lambda: None
    if args.demo:
        from alarmtui.demo import DemoEnvironment

        env = DemoEnvironment.start(life=True, otp=False, private=True)  # never the user's own folders
        return env.engine(), env.stop
    from alarmtui.engine.inprocess import engine_for

    return engine_for(loaded.settings, notify=False), lambda: None


def run_listen(args: argparse.Namespace) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(listen(args))
    return 130
