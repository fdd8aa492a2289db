"""What the headless commands print and how they exit.

Shared by the commands that talk to the vendors themselves (`alarmtui.cli`) and
those a running service answers (`alarmtui.service.views`), so both say the
same sentences and end with the same exit codes (the README's table). Heavy
modules (the providers, the domain model) load only inside the functions that
need them: `status` answered by the service must start within a quarter second.
"""

from __future__ import annotations

import argparse
import enum
import sys
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from alarmtui.domain.text import terminal_text

if TYPE_CHECKING:
    from alarmtui.domain import CommandProgress, CommandResult, Snapshot
    from alarmtui.providers import Provider, ProviderError
    from alarmtui.providers.errors import TwoFactorRequired


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

    if result.phase is CommandPhase.CONFIRMED:
        return Exit.OK
    if result.phase is CommandPhase.FAILED:
        return Exit.FAILED
    if result.phase is CommandPhase.NOT_SENT:
        from alarmtui.providers import ProviderError

        error = result.error
        return exit_code_for(error) if isinstance(error, ProviderError) else Exit.UNAVAILABLE
    return Exit.UNKNOWN_OUTCOME


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


def report_error(error: ProviderError, stream: TextIO = sys.stderr) -> None:
    from alarmtui.providers.errors import OpenZones, TwoFactorRequired

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


def describe_state(snapshot: Snapshot, partition: str | None) -> str:
    """The state of `partition` (or every partition) in plain words, for a command's last line."""
    parts = [p for p in snapshot.partitions if partition is None or p.id == partition]
    if not parts:
        return ""
    described = []
    for part in parts:
        words = part.state.value.replace("_", " ")
        if part.exit_delay_until is not None:
            left = (part.exit_delay_until - datetime.now(UTC)).total_seconds()
            if left > 0:
                words += f" — exit delay {left:.0f} s"
        described.append(words if len(parts) == 1 else f"{shown(part.name)}: {words}")
    return "; ".join(described)


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
            outcome = shown(result.state or result.message)
            print(f"{name}: done{' — ' + outcome if outcome else ''} ({result.elapsed:.1f} s)")
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
    choice = (await asyncio.to_thread(input, "phone number [1]: ")).strip() or "1"
    if not choice.isdigit() or not 1 <= int(choice) <= len(challenge.phones):
        raise UsageError(f"choose a number from 1 to {len(challenge.phones)}")
    said = await send(challenge.phones[int(choice) - 1][0])
    if said:
        print(f"{shown(provider.name)}: {shown(said)}")
    code = (await asyncio.to_thread(input, "code from the SMS: ")).strip()
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
