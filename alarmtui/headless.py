"""The headless commands (`status`, `arm`, `disarm`, `bypass`, `photo`, `events`, `login`): one path.

Each command runs the same code whether it talks to the vendors itself or a
running service answers it: only the `CommandTarget` differs (a provider here, or
the service's engine), so both say the same sentences and end with the same exit
codes (the README's table). Heavy modules (the providers, the domain model) load
only inside the functions that need them: `status` answered by the service must
start within a quarter second.
"""

from __future__ import annotations

import argparse
import enum
import os
import sys
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TextIO

from alarmtui.domain.text import terminal_text

if TYPE_CHECKING:
    from alarmtui.domain import Command, CommandProgress, CommandResult, Event, Snapshot
    from alarmtui.engine.attached.engine import AttachedEngine
    from alarmtui.engine.attached.find import ServiceTarget
    from alarmtui.providers import Provider, ProviderError
    from alarmtui.providers.errors import TwoFactorRequired
    from alarmtui.settings import Settings


class Exit(enum.IntEnum):
    """Exit codes of the headless commands (documented in the README); they follow the command timeline."""

    OK = 0  # done: the panel confirmed the command (or the read succeeded and every panel is online)
    FAILED = 1  # the panel refused the command and said why (reason on stderr)
    USAGE = 2  # bad arguments or configuration
    AUTH = 3  # login failed (nothing was sent)
    UNAVAILABLE = 4  # not sent: server unreachable, panel offline or busy (status: a panel is offline)
    UNKNOWN_OUTCOME = 5  # the command may or may not have been carried out: check the status, do not resend blindly
    PROTOCOL = 6  # the server's reply made no sense (nothing was sent)
    RATE_LIMITED = 7  # the vendor throttled or blocked us (nothing was sent)
    PARTIAL = 8  # a multi-partition command: some partitions done, the others refused or not sent (each on stderr)


def exit_code_for(error: ProviderError) -> Exit:
    """The exit code for an error that ended a read, or a command before it was sent."""
    return exit_code_for_kinds([kind.__name__ for kind in type(error).__mro__], may_have_left=error.may_have_left)


def exit_code_for_kinds(kinds: Collection[str], *, may_have_left: bool | None = None) -> Exit:
    """`exit_code_for` by the error's class names (`ProviderStatus.error_kinds`): how a view answered by
    the service exits exactly as an in-process read would, without importing the providers."""
    if "CommandRejected" in kinds:
        return Exit.FAILED
    if may_have_left:
        return Exit.UNKNOWN_OUTCOME
    if "AuthenticationFailed" in kinds or "SessionExpired" in kinds:
        return Exit.AUTH
    if "RateLimited" in kinds:
        return Exit.RATE_LIMITED
    if "ConnectionFailed" in kinds or "PanelUnavailable" in kinds:
        return Exit.UNAVAILABLE
    if "ProtocolError" in kinds:
        return Exit.PROTOCOL
    return Exit.FAILED


def exit_code_for_result(result: CommandResult) -> Exit:
    """The exit code of a command's outcome: 0 confirmed, 1 refused, 5 unknown; not sent → by its cause."""
    from alarmtui.domain import CommandPhase

    if partial(result):
        phases = {o.phase for o in result.partitions}
        return Exit.UNKNOWN_OUTCOME if CommandPhase.UNKNOWN in phases else Exit.PARTIAL
    if result.phase is CommandPhase.CONFIRMED:
        return Exit.OK
    if result.phase is CommandPhase.FAILED:
        return Exit.FAILED
    if result.phase is CommandPhase.NOT_SENT:
        from alarmtui.providers import ProviderError

        error = result.error
        return exit_code_for(error) if isinstance(error, ProviderError) else Exit.UNAVAILABLE
    return Exit.UNKNOWN_OUTCOME


def partial(result: CommandResult) -> bool:
    """Some partitions of a multi-partition command done, others not (refused, not sent or unknown)."""
    from alarmtui.domain import CommandPhase

    phases = [o.phase for o in result.partitions]
    return CommandPhase.CONFIRMED in phases and any(p is not CommandPhase.CONFIRMED for p in phases)


class UsageError(Exception):
    pass


NAME_LIMIT = 200
"""The most characters of one vendor-supplied name or message a headless line shows."""


def shown(value: object, limit: int = NAME_LIMIT) -> str:
    """Vendor text for one line of terminal output: inert (no escape, control, bidi or invisible character), capped."""
    return terminal_text(value, limit)


class InertText:
    """A text stream that lets nothing act on the terminal: every write goes through `terminal_text`
    (line breaks kept). Headless commands print through it, behind the per-field `shown`."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(terminal_text(text, multiline=True))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def dump_json(value: Any) -> str:
    """JSON for stdout: every non-ASCII character escaped (`\u202e`, not a raw right-to-left override)."""
    import json

    return json.dumps(value, indent=2, ensure_ascii=True)


ONE_SHOT_HINTS: dict[str, str] = {
    # The errors' own hints describe the dashboard, which keeps retrying; a one-shot command does not.
    # (By class name: the provider classes load only when a command talks to a vendor.)
    "PanelUnavailable": "The panel is not reachable through the cloud right now; try again later.",
    "ConnectionFailed": "Check the URL and the network, then run the command again.",
    "ProtocolError": "The server sent something alarmtui does not understand; try again later.",
    "SessionExpired": "The session expired; run the command again.",
}


def one_shot_hint(error: ProviderError) -> str:
    """The error's hint, worded for a command that runs once."""
    kinds = type(error).__mro__
    return one_shot_hint_for(
        [kind.__name__ for kind in kinds],
        error.hint,
        [kind.__name__ for kind in kinds if getattr(kind, "hint", None) == error.hint],
    )


def one_shot_hint_for(kinds: Collection[str], hint: str, default_hint_of: Collection[str]) -> str:
    """`one_shot_hint` by class names (a failure the service reports): `default_hint_of` names the
    classes whose own hint the error carries unchanged."""
    for kind in kinds:
        if kind in ONE_SHOT_HINTS and kind in default_hint_of:
            return ONE_SHOT_HINTS[kind]
    if "alarmtui keeps retrying" in hint or "it will retry" in hint or "by itself" in hint:
        return ""
    return hint


def report_error(error: ProviderError, stream: TextIO | None = None) -> None:
    from alarmtui.providers.errors import OpenZones, TwoFactorRequired

    stream = stream or sys.stderr  # looked up now: the headless streams are wrapped (`InertText`)
    if isinstance(error, TwoFactorRequired):
        # Headless commands never wait for a code.
        name = error.provider or "NAME"
        print(
            f"alarmtui: {shown(name)}: two-factor verification needed for this device: run `alarmtui login {shown(name)}`",
            file=stream,
        )
        return
    print(f"alarmtui: {shown(error, 2 * NAME_LIMIT)}", file=stream)
    if isinstance(error, OpenZones) and error.can_force:
        print("  Close them, or arm anyway with --force.", file=stream)
        return
    hint = one_shot_hint(error)
    if hint:
        print(f"  {shown(hint, 2 * NAME_LIMIT)}", file=stream)


def print_status(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        state = "online" if entry["online"] else ("error" if entry["error"] else "offline")
        print(f"{shown(entry['name'])} ({shown(entry['kind'])}) — {state}")
        for p in entry.get("partitions", []):
            ready = {True: "ready", False: "NOT READY", None: ""}.get(p["ready"], "")
            opened = f" (open: {', '.join(shown(z) for z in p['open_zones'])})" if p["open_zones"] else ""
            detail = f" — {shown(p['detail'])}" if p["detail"] else ""
            print(
                f"  partition {shown(p['id'])} {shown(p['name'])}: {shown(p['state']).upper()}{detail} {ready}{opened}".rstrip()
            )
        for z in entry.get("zones", []):
            flags = [
                "OPEN" if z["open"] else ("closed" if z["open"] is False else "?"),
                *(["bypassed"] if z["bypassed"] else []),
                *(["battery low"] if z["battery_low"] else []),
                *(["tamper"] if z["tamper"] else []),
                *(["camera"] if z["camera"] else []),
            ]
            print(f"  zone {shown(z['id']):>3} {shown(z['name']):<24} {shown(z['kind']):<8} {', '.join(flags)}")
        for t in entry.get("troubles", []):
            print(f"  trouble: {shown(t['text'])}")


def progress_printer(
    stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
) -> Callable[[CommandProgress], None]:
    """Print each new step of a command with the real time since the command started."""
    from alarmtui.domain import CommandPhase

    started = clock()
    last: list[tuple[CommandPhase, str]] = []

    def show(progress: CommandProgress) -> None:
        if progress.phase.finished:
            return
        step = (progress.phase, progress.message)
        if last and last[-1] == step:
            return
        last.append(step)
        words = {CommandPhase.SENT: "sending", CommandPhase.WAITING: "waiting for the panel"}.get(
            progress.phase, progress.phase.value
        )
        message = shown(progress.message)
        if message and not message.lower().startswith(words.split()[0]):
            words = f"{words}: {message}"
        elif message:
            words = message
        print(f"… {words} ({clock() - started:.1f} s)", file=stream or sys.stderr, flush=True)

    return show


def describe_state(snapshot: Snapshot, partition: str | None, *, named: bool = False) -> str:
    """The state of `partition` (or every partition) in plain words, for a command's last line
    ("arming — exit delay 30 s"; `named`, or several partitions: "House arming, exit delay 30 s")."""
    parts = [p for p in snapshot.partitions if partition is None or p.id == partition]
    if not parts:
        return ""
    described = []
    for part in parts:
        words = part.state.value.replace("_", " ")
        left = exit_delay_left(part)
        if left is not None:
            words += f"{', ' if named or len(parts) > 1 else ' — '}exit delay {left:.0f} s"
        described.append(
            words if len(parts) == 1 and not named else f"{shown(part.name)} {words}" if named else f"{shown(part.name)}: {words}"
        )
    return "; ".join(described)


def exit_delay_left(part: Any) -> float | None:
    """Seconds of exit delay the panel says are left (None: none runs); always a finite number."""
    from alarmtui.domain.inputs import finite_delay

    if part.exit_delay_until is None:
        return None
    left = finite_delay((part.exit_delay_until - datetime.now(UTC)).total_seconds())
    return left if left else None


def in_transition(snapshot: Snapshot, partition: str | None) -> bool:
    """Whether a partition the command addressed is still between states (arming, an exit delay)."""
    from alarmtui.domain import PartitionState

    moving = (PartitionState.ARMING, PartitionState.DISARMING)
    parts = [p for p in snapshot.partitions if partition is None or p.id == partition]
    return any(p.state in moving or exit_delay_left(p) is not None for p in parts)


def all_armed(snapshot: Snapshot, partition: str | None) -> bool:
    parts = [p for p in snapshot.partitions if partition is None or p.id == partition]
    return bool(parts) and all(p.state.is_armed and exit_delay_left(p) is None for p in parts)


def zone_id_in(snapshot: Snapshot, wanted: str, provider: str) -> str:
    for zone in snapshot.zones:
        if zone.id == wanted:
            return zone.id
    matches = [z for z in snapshot.zones if z.name.casefold() == wanted.casefold()]
    if len(matches) == 1:
        return matches[0].id
    # A bare number where ids carry the device type ("ZONE-3"): only when it names one zone.
    numbered = [z for z in snapshot.zones if z.id.rpartition("-")[2] == wanted and z.id.rpartition("-")[0]]
    zones_only = [z for z in numbered if z.id.rpartition("-")[0].upper() == "ZONE"]
    for candidates in (zones_only, numbered):
        if len(candidates) == 1:
            return candidates[0].id
    known = ", ".join(f"{shown(z.id)} ({shown(z.name)})" for z in snapshot.zones)
    raise UsageError(f"{provider} has no zone {shown(wanted)!r}; zones: {known}")


def report_result(args: argparse.Namespace, name: str, result: CommandResult) -> int:
    """Print one clean sentence for the outcome and return its exit code (see `Exit`)."""
    from alarmtui.domain import CommandPhase

    if partial(result):
        done = [o for o in result.partitions if o.phase is CommandPhase.CONFIRMED]
        others = [o for o in result.partitions if o.phase is not CommandPhase.CONFIRMED]
        words = {CommandPhase.FAILED: "refused", CommandPhase.NOT_SENT: "not sent", CommandPhase.UNKNOWN: "outcome unknown"}
        # Still in its exit delay: "accepted for", never "done for" (the panel has not said armed yet).
        word = "done" if result.settled else "accepted"
        print(
            f"{name}: {word} for {', '.join(shown(o.partition) for o in done)}{' — ' + shown(result.state) if result.state else ''}"
        )
        for outcome in others:
            reason = shown(_strip_prefix(outcome.message, ("outcome unknown: ", "not sent: ", "failed: ")))
            print(
                f"alarmtui: {name}: partition {shown(outcome.partition)}: {words.get(outcome.phase, outcome.phase.value)}"
                f"{': ' + reason if reason else ''}",
                file=sys.stderr,
            )
        return exit_code_for_result(result)
    if result.phase is CommandPhase.CONFIRMED and not result.settled:
        # The panel took it and is still in transition: not "done", and never "armed" yet.
        print(f"{name}: accepted{' — ' + shown(result.state) if result.state else ''} ({result.elapsed:.1f} s)")
        return Exit.OK
    if result.phase is CommandPhase.CONFIRMED:
        if args.command == "photo":
            args.out.mkdir(parents=True, exist_ok=True)
            for photo in result.photos:
                stamp = photo.time.astimezone().strftime("%Y%m%d-%H%M%S")
                path = args.out / f"{name}-{_safe(photo.zone)}-{stamp}-{photo.index + 1}.jpg"
                path.write_bytes(photo.jpeg)
                print(path)
            if not result.photos:
                print(f"alarmtui: {name}: the camera answered but sent no photos", file=sys.stderr)
                return Exit.FAILED
        else:
            said = shown(result.state or result.message)
            print(f"{name}: done{' — ' + said if said else ''} ({result.elapsed:.1f} s)")
        return Exit.OK
    message = shown(_strip_prefix(result.message, ("outcome unknown: ", "not sent: ", "failed: ")), 2 * NAME_LIMIT)
    if result.phase is CommandPhase.UNKNOWN:
        print(
            f"alarmtui: {name}: outcome unknown: {message or 'no confirmation'}. "
            "The command was sent once and not repeated; run `alarmtui status` to see what the panel did.",
            file=sys.stderr,
        )
        return Exit.UNKNOWN_OUTCOME
    if result.phase is CommandPhase.NOT_SENT:
        print(f"alarmtui: {name}: not sent: {message}", file=sys.stderr)
        from alarmtui.providers import ProviderError

        error = result.error
        if isinstance(error, ProviderError):
            hint = one_shot_hint(error)
            if hint:
                print(f"  {shown(hint, 2 * NAME_LIMIT)}", file=sys.stderr)
        return exit_code_for_result(result)
    print(f"alarmtui: {name}: refused: {message or 'the panel refused the command'}", file=sys.stderr)
    return Exit.FAILED


async def answer_challenge(provider: Provider | Any, challenge: TwoFactorRequired) -> bool:
    """Ask on the terminal for the phone and the code; True once the device is validated."""
    import asyncio

    from alarmtui.providers.errors import TwoFactorRequired

    send = getattr(provider, "send_verification_code", None)
    verify = getattr(provider, "verify_device", None)
    if send is None or verify is None or not challenge.phones:
        raise challenge
    print(f"{shown(provider.name)}: {shown(challenge.message)}. Where should the code be sent?")
    for index, (_, masked) in enumerate(challenge.phones, 1):
        print(f"  {index}. {shown(masked, 60)}")
    choice = (await asyncio.to_thread(input, "send it to [1]: ")).strip() or "1"
    if not choice.isdigit() or not 1 <= int(choice) <= len(challenge.phones):
        raise UsageError(f"choose a number from 1 to {len(challenge.phones)}")
    phone_id, channel = challenge.phones[int(choice) - 1]
    said = await send(phone_id)
    if said:
        print(f"{shown(provider.name)}: {shown(said)}")
    # The channel as the vendor words it: a masked phone number (Securitas), "e-mail to the account's address" (My Pages).
    code = (await asyncio.to_thread(input, f"the code ({shown(channel, 60)}): ")).strip()
    try:
        await verify(code)
    except TwoFactorRequired as again:
        print(f"alarmtui: {shown(provider.name)}: {shown(again.message)}", file=sys.stderr)
        return False
    return True


def _strip_prefix(text: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:40] or "zone"


# ---------------------------------------------------------------------- choosing providers, codes, commands


class Choice(NamedTuple):
    """A configured provider as a command needs to know it (from the config, or from the service)."""

    name: str
    kind: str
    needs_code: bool = False
    code_configured: bool = False
    enabled: bool = True
    code_length: int | None = None
    """The panel's user code length where the provider knows it (`Provider.code_length`)."""


def pick(args: argparse.Namespace, choices: list[Choice], *, single: bool) -> list[Choice]:
    """The providers a command acts on: `--provider NAME`, else every enabled one (`single`: the only one)."""
    if args.provider:
        found = [c for c in choices if c.name == args.provider]
        if not found:
            known = ", ".join(c.name for c in choices) or "none"
            raise UsageError(f"no provider named {shown(args.provider)!r}; configured: {known}")
        return found
    enabled = [c for c in choices if c.enabled]
    if single and len(enabled) > 1:
        raise UsageError(
            f"several providers are configured ({', '.join(c.name for c in enabled)}); choose one with --provider NAME"
        )
    if not enabled:
        raise UsageError("every configured provider is disabled")
    return enabled


def ask_code(choice: Choice, configured: str | None = None) -> str | None:
    """The PIN for this command only: the config's, $ALARMTUI_CODE, or asked on the terminal (never echoed).

    ASCII digits at the vendor's length only: anything else is refused here, before anything is sent."""
    from alarmtui.domain.inputs import code_problem

    if configured:
        return configured
    if choice.code_configured:
        return None  # the service holds it
    env = os.environ.get("ALARMTUI_CODE")
    if env:
        problem = code_problem(env, choice.kind, length=choice.code_length)
        if problem is not None:
            raise UsageError(f"ALARMTUI_CODE: {problem}; nothing was sent")
        return env
    if not choice.needs_code:
        return None
    if not sys.stdin.isatty():
        raise UsageError(f"{choice.name} needs a user code; set `code` in the config or ALARMTUI_CODE")
    import getpass

    code = getpass.getpass(f"{choice.name} user code: ")
    problem = code_problem(code, choice.kind, length=choice.code_length)
    if problem is not None:
        raise UsageError(f"{problem}; nothing was sent")
    return code


def build_command(args: argparse.Namespace, provider: str, snapshot: Snapshot | None) -> Command:
    """The command the arguments ask for (zones by id or name, from `snapshot`)."""
    from alarmtui.domain import ArmMode, Command, CommandAction

    if args.command == "arm":
        return Command(
            CommandAction.ARM, mode=ArmMode(args.mode), partition=args.partition, force=bool(getattr(args, "force", False))
        )
    if args.command == "disarm":
        return Command(CommandAction.DISARM, partition=args.partition)
    assert snapshot is not None
    zone_id = zone_id_in(snapshot, args.zone, provider)
    label = next((z.name for z in snapshot.zones if z.id == zone_id), "")
    if args.command == "bypass":
        return Command(CommandAction.BYPASS, zone=zone_id, on=not args.off, label=label)
    if args.command in ("lock", "unlock"):
        return Command(CommandAction(args.command), zone=zone_id, label=label)
    return Command(CommandAction.PHOTO, zone=zone_id, label=label)


class CommandTarget(Protocol):
    """Where a command goes: a provider this process talks to, or the service's."""

    choice: Choice

    async def snapshot(self) -> Snapshot | None:
        """The panel's current state (zone names for bypass/photo); None: not reachable (already reported)."""
        ...

    def configured_code(self) -> str | None: ...

    async def execute(self, command: Command, progress: Callable[[CommandProgress], None]) -> CommandResult: ...

    async def read_state(self, partition: str | None) -> Snapshot | None:
        """A fresh read after the command (None: none came)."""
        ...


async def cmd_command(args: argparse.Namespace, target: CommandTarget) -> int:
    """`arm`, `disarm`, `bypass`, `photo`: the same steps, in-process or through the service."""
    import dataclasses

    from alarmtui.providers.errors import OpenZones

    name = target.choice.name
    snapshot = None
    if args.command in ("bypass", "photo", "lock", "unlock"):
        snapshot = await target.snapshot()  # the zone names
        if snapshot is None:
            return Exit.UNAVAILABLE
    command = build_command(args, name, snapshot)
    code = ask_code(target.choice, target.configured_code()) if args.command != "photo" else None
    try:
        result = await target.execute(dataclasses.replace(command, code=code) if code else command, progress_printer())
    finally:
        del code
    after = None
    if result.ok and args.command in ("arm", "disarm"):
        after = await target.read_state(args.partition)
        if after is not None and in_transition(after, args.partition):
            result = dataclasses.replace(result, settled=False, state=describe_state(after, args.partition, named=True))
        elif after is not None and not result.state:
            result = dataclasses.replace(result, state=describe_state(after, args.partition))
    if args.command == "arm" and getattr(args, "wait", False) and result.ok and not result.settled and after is not None:
        return await wait_until_armed(args, target, result, after)
    exit_code = report_result(args, name, result)
    error = result.error
    if isinstance(error, OpenZones) and error.can_force:
        print("  Close them, or arm anyway with --force.", file=sys.stderr)
    return exit_code


WAIT_MARGIN = 1.0
"""Seconds after the panel's countdown ends before reading it again."""
WAIT_REREAD = 3.0
"""Seconds between reads while the panel still says it is in transition after its countdown."""
WAIT_AFTER_DELAY = 60.0
"""How long past the announced end of the exit delay `--wait` keeps following before it gives up."""


async def wait_until_armed(args: argparse.Namespace, target: CommandTarget, result: CommandResult, snapshot: Snapshot) -> int:
    """`arm --wait`: follow the exit delay to its end; 0 only once the panel says armed."""
    import asyncio

    name = target.choice.name
    print(
        f"{name}: accepted — {shown(describe_state(snapshot, args.partition, named=True))}; waiting for the panel",
        file=sys.stderr,
    )
    loop = asyncio.get_running_loop()
    lefts = [exit_delay_left(p) for p in snapshot.partitions if args.partition is None or p.id == args.partition]
    give_up = loop.time() + max((x for x in lefts if x is not None), default=0.0) + WAIT_AFTER_DELAY
    while in_transition(snapshot, args.partition) and loop.time() < give_up:
        left = max(
            (
                x
                for x in (exit_delay_left(p) for p in snapshot.partitions if args.partition is None or p.id == args.partition)
                if x is not None
            ),
            default=0.0,
        )
        await asyncio.sleep(min(left + WAIT_MARGIN, 30.0) if left else WAIT_REREAD)
        snapshot = await target.read_state(args.partition) or snapshot
    described = describe_state(snapshot, args.partition)
    if all_armed(snapshot, args.partition):
        print(f"{name}: armed — {shown(described)} ({result.elapsed:.1f} s to accept)")
        return Exit.OK
    if in_transition(snapshot, args.partition):
        print(
            f"alarmtui: {name}: outcome unknown: the panel still says {shown(described)}; run `alarmtui status`", file=sys.stderr
        )
        return Exit.UNKNOWN_OUTCOME
    print(f"alarmtui: {name}: not armed: the panel says {shown(described) or 'nothing'}", file=sys.stderr)
    return Exit.FAILED


# ---------------------------------------------------------------------- in-process: this process talks to the vendors


async def run_in_process(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.providers:
        raise UsageError("no providers configured")
    if args.command == "status":
        return await cmd_status(args, settings)
    if args.command == "events":
        return await cmd_events(args, settings)
    if args.command == "login":
        return await cmd_login(args, settings)
    (choice,) = pick(args, config_choices(settings), single=True)
    from alarmtui.providers import ProviderError, create_provider

    provider = create_provider(settings.provider(choice.name))
    try:
        await provider.connect()
        return await cmd_command(args, LocalTarget(provider, choice))
    except ProviderError as exc:  # connecting (or reading the zones): nothing was sent
        report_error(exc)
        return exit_code_for(exc)
    finally:
        await provider.close()


async def _read_one(config: Any, quick: bool) -> tuple[Any, Snapshot | None, ProviderError | None]:
    from alarmtui.providers import ProviderError, create_provider

    provider = create_provider(config)
    try:
        await provider.connect()
        snapshot = await provider.snapshot(refresh=not quick)
        return config, snapshot, None
    except ProviderError as exc:
        return config, None, exc
    finally:
        await provider.close()


async def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from alarmtui.domain.serialize import status_entry

    names = {c.name for c in pick(args, config_choices(settings), single=False)}
    configs = [p for p in settings.providers if p.name in names]
    import asyncio

    results = await asyncio.gather(*(_read_one(c, args.quick) for c in configs))
    worst = Exit.OK
    out: list[dict[str, Any]] = []
    for config, snapshot, error in results:
        if error is not None:
            if worst == Exit.OK:
                worst = exit_code_for(error)
            if not args.json:
                report_error(error)
        entry = status_entry(config.name, config.kind, snapshot, None if error is None else str(error), args.partition)
        if snapshot is not None and not snapshot.online:
            if worst == Exit.OK:
                worst = Exit.UNAVAILABLE
            if not args.json:
                print(f"alarmtui: {config.name}: the panel is offline: {shown(entry['error'])}", file=sys.stderr)
        out.append(entry)
    if args.json:
        print(dump_json({"providers": out}))
    else:
        print_status(out)
    return worst


EVENT_KINDS = (
    "alarm",
    "entry_delay",
    "arm",
    "disarm",
    "trouble",
    "photo",
    "zone",
    "system",
    "command",
    "state",
    "connectivity",
    "acknowledgement",
    "notification",
)
"""What `events --kind` matches: every `EventKind` the journal writes, then every `Category` but the vendor's
own (`event`). Literal, so a headless start imports no more (a test keeps it equal to the two enums)."""


class EventFilter(NamedTuple):
    """`events --since/--until/--grep/--kind`, applied by the journal or (without one) to the vendors' logs."""

    since: datetime | None
    until: datetime | None
    grep: str
    kinds: tuple[str, ...]

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> EventFilter:
        from alarmtui.timespec import parse_time

        try:
            since = parse_time(args.since) if args.since else None
            until = parse_time(args.until) if args.until else None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        kinds = tuple(k.strip().lower() for k in (args.kind or "").split(",") if k.strip())
        unknown = [k for k in kinds if k not in EVENT_KINDS]
        if unknown:
            raise UsageError(f"unknown event kind(s): {', '.join(unknown)}; choose from {', '.join(EVENT_KINDS)}")
        if args.limit < 1:
            raise UsageError("--limit must be at least 1")
        return cls(since, until, (args.grep or "").strip(), kinds)

    def keeps(self, event: Event) -> bool:
        """The journal's meaning, for events read from a vendor (which are all `source: vendor`)."""
        when = event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)
        needle = self.grep.casefold()
        return (
            (self.since is None or when >= self.since)
            and (self.until is None or when <= self.until)
            and (not self.kinds or event.kind.value in self.kinds)
            and (not needle or any(needle in f.casefold() for f in (event.text, event.who, event.zone, event.partition)))
        )


def print_event_line(when: datetime, provider: str, kind: str, text: str, zone: str, who: str) -> None:
    where = f" [{zone}]" if zone and zone not in text else ""
    by = f" by {who}" if who else ""
    print(
        f"{when.astimezone():%Y-%m-%d %H:%M:%S} {shown(provider):<12} {shown(kind):<8} {shown(text, 500)}{shown(where)}{shown(by)}"
    )


def events_from_journal(args: argparse.Namespace, settings: Settings, wanted: EventFilter) -> int | None:
    """`events` answered by the journal; None when there is no journal file (then the vendors answer)."""
    from alarmtui.journal.store import SHORT_GREP_WINDOW, JournalError, JournalReader, default_journal_path

    path = settings.journal or default_journal_path()
    if args.demo or not path.is_file():
        return None
    try:
        reader = JournalReader(path)
    except JournalError as exc:
        print(f"alarmtui: {exc}; asking the vendors instead", file=sys.stderr)
        return None
    if 0 < len(wanted.grep) < 3:
        print(
            f"alarmtui: a --grep of one or two characters searches only the newest {SHORT_GREP_WINDOW:,} entries", file=sys.stderr
        )
    try:
        providers = [p.strip() for p in args.provider.split(",")] if args.provider else None
        entries = reader.search(
            since=wanted.since, until=wanted.until, grep=wanted.grep, providers=providers, kinds=wanted.kinds, limit=args.limit
        )
    except JournalError as exc:
        print(f"alarmtui: {shown(exc, 2000)}", file=sys.stderr)
        return Exit.FAILED
    finally:
        reader.close()
    if args.json:
        print(dump_json({"events": [e.as_json() for e in entries]}))
    else:
        for e in entries:
            print_event_line(e.time, e.provider, e.kind, e.text, e.zone, e.who)
    return Exit.OK


async def cmd_events(args: argparse.Namespace, settings: Settings) -> int:
    from alarmtui.domain.serialize import event_json
    from alarmtui.providers import ProviderError, create_provider

    wanted = EventFilter.from_args(args)
    answered = events_from_journal(args, settings, wanted)
    if answered is not None:
        return answered
    names = {c.name for c in pick(args, config_choices(settings), single=False)}
    configs = [p for p in settings.providers if p.name in names]

    async def read(config: Any) -> tuple[list[Event], ProviderError | None]:
        provider = create_provider(config)
        try:
            await provider.connect()
            events = await provider.events(limit=args.limit)
            return [_with_provider(e, config.name) for e in events], None
        except ProviderError as exc:
            return [], exc
        finally:
            await provider.close()

    import asyncio

    results = await asyncio.gather(*(read(c) for c in configs))
    merged: list[Event] = sorted(
        (e for events, _ in results for e in events if wanted.keeps(e)), key=lambda e: e.time, reverse=True
    )[: args.limit]
    code = Exit.OK
    for _, error in results:
        if error is not None:
            report_error(error)
            code = exit_code_for(error)
    if args.json:
        print(dump_json({"events": [{**event_json(e), "source": "vendor"} for e in merged]}))
    else:
        for e in merged:
            print_event_line(e.time, e.provider, e.kind.value, e.text, e.zone, e.who)
    return code


#####
def _with_provider(event: Event, name: str) -> Event:
    import dataclasses

    return dataclasses.replace(event, provider=name)


async def cmd_login(args: argparse.Namespace, settings: Settings) -> int:
    """Log in once, answering a two-factor challenge on the terminal; the device is then remembered."""
    from alarmtui.providers import ProviderError, create_provider
    from alarmtui.providers.errors import TwoFactorRequired

    config = settings.provider(args.name)
    provider = create_provider(config)
    provider.allow_login()  # the user asks: lift a login pause (kept in the state folder for every process)
    try:
        for _attempt in range(3):
            try:
                await provider.connect()
                print(f"{config.name}: logged in; this device is validated and the code will not be asked again.")
                return Exit.OK
            except TwoFactorRequired as challenge:
                try:
                    await answer_challenge(provider, challenge)
                except EOFError:
                    raise UsageError(
                        f"{config.name}: no answer typed (`alarmtui login` asks for the verification code)"
                    ) from None
        print(f"alarmtui: {config.name}: too many failed attempts", file=sys.stderr)
        return Exit.AUTH
    except ProviderError as exc:
        report_error(exc)
        return exit_code_for(exc)
    finally:
        await provider.close()


def config_choices(settings: Settings) -> list[Choice]:
    return [Choice(p.name, p.kind, enabled=p.enabled) for p in settings.providers]


class LocalTarget:
    """A provider this process logged in to."""

    def __init__(self, provider: Provider, choice: Choice) -> None:
        self.provider = provider
        self.choice = choice._replace(needs_code=provider.needs_code, code_length=provider.code_length)

    def configured_code(self) -> str | None:
        return self.provider.code_for(None)

    async def snapshot(self) -> Snapshot | None:
        return await self.provider.snapshot()  # a ProviderError is reported by the caller

    async def execute(self, command: Command, progress: Callable[[CommandProgress], None]) -> CommandResult:
        import time

        from alarmtui.providers import ProviderError
        from alarmtui.providers.commands import result_for_error

        started = time.monotonic()
        try:
            return await self.provider.execute(command, progress)  # the one dispatch, as the poller's
        except ProviderError as exc:
            return result_for_error(exc, time.monotonic() - started)

    async def read_state(self, partition: str | None) -> Snapshot | None:
        from alarmtui.providers import ProviderError

        try:
            return await self.provider.snapshot()
        except ProviderError:
            return None


# ---------------------------------------------------------------------- attached: a running service answers


def run_attached(args: argparse.Namespace, target: ServiceTarget) -> int:
    if args.command == "status":
        return _status(args, target)
    import asyncio

    return asyncio.run(_run_command(args, target))


def _status(args: argparse.Namespace, target: ServiceTarget) -> int:
    """Answered by the service from what it knows: no vendor request, no heavy import."""
    from alarmtui.engine.attached.find import quick_status

    answer = quick_status(target, args.config, args.provider, args.partition)
    if answer is None:
        print(f"alarmtui: the service on {target.socket} stopped answering; try again or use --standalone", file=sys.stderr)
        return Exit.UNAVAILABLE
    code, body = answer
    if code != 200:
        message = body.get("message") or f"the service refused ({code})"
        raise (
            UsageError(str(message)) if body.get("error") == "unknown_provider" else UsageError(f"{message}; use --standalone")
        )
    entries: list[dict[str, Any]] = body.get("providers", [])
    problems: dict[str, Any] = body.get("problems") or {}
    worst = Exit.OK
    for entry in entries:
        if not entry.get("error"):
            continue
        problem = problems.get(entry["name"])
        # As in-process: the first provider in trouble decides; an error by its kind, a panel offline is 4.
        if problem is None:
            code = Exit.UNAVAILABLE
        elif problem.get("kinds"):
            code = exit_code_for_kinds(problem["kinds"])
        else:
            code = Exit.UNAVAILABLE  # never connected, no error yet: nothing to read
        if worst == Exit.OK:
            worst = code
        if not args.json:
            _report_problem(entry, problem)
    if args.json:
        print(dump_json({"providers": entries}))
    else:
        print_status(entries)
    return worst


def _report_problem(entry: dict[str, Any], problem: dict[str, Any] | None) -> None:
    """The stderr lines an in-process `status` prints for the same trouble (`report_error`)."""
    name = entry["name"]
    if problem is None:
        print(f"alarmtui: {name}: the panel is offline: {shown(entry['error'])}", file=sys.stderr)
        return
    if problem.get("two_factor"):
        print(f"alarmtui: {name}: two-factor verification needed for this device: run `alarmtui login {name}`", file=sys.stderr)
        return
    print(f"alarmtui: {shown(_for_one_shot(entry['error']))}", file=sys.stderr)
    hint = one_shot_hint_for(problem.get("kinds") or (), str(problem.get("hint") or ""), problem.get("default_hint_of") or ())
    if hint:
        print(f"  {shown(hint)}", file=sys.stderr)


async def _run_command(args: argparse.Namespace, target: ServiceTarget) -> int:
    from alarmtui.engine.attached.engine import AttachedEngine

    engine = AttachedEngine.from_hello(target.socket, target.hello)
    await engine.start()
    try:
        if not await engine.wait_attached(5.0):
            print(f"alarmtui: the service on {target.socket} stopped answering", file=sys.stderr)
            return Exit.UNAVAILABLE
        if args.command == "login":
            return await _login(args, engine)
        infos = list(engine.providers.values())
        choices = [
            Choice(i.name, i.kind, needs_code=i.needs_code, code_configured=i.code_configured, code_length=i.code_length)
            for i in infos
        ]
        (choice,) = pick(args, choices, single=True)
        return await cmd_command(args, ServiceCommandTarget(engine, choice))
    finally:
        await engine.close()


async def _login(args: argparse.Namespace, engine: AttachedEngine) -> int:
    """`alarmtui login NAME` with a service running: the service's own session logs in and, where the vendor
    asks, validates this device with the code (SMS or e-mail) typed here (a second session beside it would not help it)."""
    import asyncio

    from alarmtui.domain.updates import LinkState, ProviderStatus, StatusUpdate
    from alarmtui.providers.errors import ProviderError, TwoFactorRequired

    name = args.name
    if name not in engine.providers:
        raise UsageError(f"no provider named {name!r}; configured: {', '.join(engine.providers) or 'none'}")
    statuses: asyncio.Queue[ProviderStatus] = asyncio.Queue()
    engine.subscribe(lambda u: statuses.put_nowait(u.status) if isinstance(u, StatusUpdate) and u.provider == name else None)

    def settled(status: ProviderStatus) -> bool:
        """It has read the panel or failed (and is not about to log in again at once)."""
        return status.state is LinkState.ONLINE or bool(status.failures and status.retry_in != 0)

    async def next_answer(status: ProviderStatus | None, timeout: float = 60.0) -> ProviderStatus:
        """The first settled state from `status` (None: only what the service reports from now on)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while status is None or not settled(status):
            try:
                status = await asyncio.wait_for(statuses.get(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                break
        return status or engine.states[name].status

    status = await next_answer(engine.states[name].status)
    for attempt in range(3):
        if status.state is LinkState.ONLINE:
            print(f"{name}: logged in; this device is validated and the code will not be asked again.")
            return Exit.OK
        if status.two_factor:
            verifier = engine.device_verifier(name)
            assert verifier is not None
            challenge = TwoFactorRequired(
                status.reason or "two-factor verification needed", phones=status.two_factor, provider=name
            )
            try:
                verified = await answer_challenge(verifier, challenge)
            except EOFError:
                raise UsageError(f"{name}: no answer typed (`alarmtui login` asks for the verification code)") from None
            except ProviderError as exc:
                report_error(exc)
                return exit_code_for(exc)
            if not verified:
                continue  # a wrong code: the vendor sent a new challenge
        elif attempt == 0:
            engine.refresh_now(name)  # lifts the service's login pause after a refused password: one try now
        else:
            break
        # What the service reported while the user typed (its retries still met the SMS step) is no answer:
        # only what comes after the code was accepted (or the refresh was asked for) counts.
        while not statuses.empty():
            statuses.get_nowait()
        status = await next_answer(None)  # the service reads the panel once the device is validated
    if status.two_factor:
        print(f"alarmtui: {name}: too many failed attempts", file=sys.stderr)
        return Exit.AUTH
    print(f"alarmtui: {name}: {shown(_for_one_shot(status.reason)) or 'not logged in'}", file=sys.stderr)
    hint = one_shot_hint_for(status.error_kinds, status.hint, ())
    if hint:
        print(f"  {shown(hint)}", file=sys.stderr)
    return exit_code_for_kinds(status.error_kinds) if status.error_kinds else Exit.UNAVAILABLE


LOGIN_PAUSE_NOTE = " — alarmtui will not try again by itself"
"""How the poller's reason for a paused login goes on (with "press r"): words for the dashboard, not a command."""


def _for_one_shot(reason: str) -> str:
    return reason.partition(LOGIN_PAUSE_NOTE)[0]


class ServiceCommandTarget:
    """The service's provider: the command goes through the service, which sends it exactly once."""

    def __init__(self, engine: AttachedEngine, choice: Choice) -> None:
        self.engine = engine
        self.choice = choice
        self._finished = False
        self._after: list[Snapshot] = []
        self._read_once = False

    def configured_code(self) -> str | None:
        return None  # the service's config holds it, or the view sends one with the command

    async def snapshot(self) -> Snapshot | None:
        import asyncio

        state = self.engine.states[self.choice.name]
        while state.snapshot is None and self.engine.attached:
            await asyncio.sleep(0.05)  # the zone names come with the first snapshot
        if state.snapshot is None:
            print(f"alarmtui: {self.choice.name}: {shown(state.status.reason) or 'not connected'}", file=sys.stderr)
        return state.snapshot

    async def execute(self, command: Command, progress: Callable[[CommandProgress], None]) -> CommandResult:
        from alarmtui.domain import CommandPhase
        from alarmtui.domain import CommandResult as Result
        from alarmtui.domain.updates import CommandBusy, CommandUpdate, PollerUpdate, SnapshotUpdate
        from alarmtui.engine.base import view_origin

        name = self.choice.name

        def show(update: PollerUpdate) -> None:
            if isinstance(update, CommandUpdate) and update.provider == name and not update.finished:
                progress(update.progress)
            elif isinstance(update, CommandUpdate) and update.provider == name:
                self._finished = True
            elif isinstance(update, SnapshotUpdate) and update.provider == name and self._finished:
                self._after.append(update.snapshot)  # the read the service makes once the panel confirmed

        self.engine.subscribe(show)
        try:
            return await self.engine.submit(name, command, origin=view_origin(f"alarmtui {command.action.value}"))
        except CommandBusy as exc:
            return Result(CommandPhase.NOT_SENT, f"not sent: {exc}")

    async def read_state(self, partition: str | None) -> Snapshot | None:
        """The service's next read of the panel (it reads once a command is confirmed; asked for one otherwise)."""
        import asyncio

        loop = asyncio.get_running_loop()
        seen = len(self._after) if self._read_once else 0
        self._read_once = True
        deadline = loop.time() + 10.0
        asked = False
        while len(self._after) <= seen and loop.time() < deadline and self.engine.attached:
            if not asked and loop.time() > deadline - 8.0:
                self.engine.refresh_now(self.choice.name)  # shared with every view; the budget allows it
                asked = True
            await asyncio.sleep(0.05)
        return self._after[-1] if len(self._after) > seen else None
