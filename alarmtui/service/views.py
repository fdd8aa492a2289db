"""Headless commands answered by a running service: no vendor request for a read, commands through it.

They print exactly what their in-process versions print (the same helpers in
`alarmtui.headless` build the output) and must not import Textual or Pillow.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from alarmtui import headless
from alarmtui.service.attach import ServiceTarget, quick_status

if TYPE_CHECKING:
    from alarmtui.domain import Command, Snapshot
    from alarmtui.engine.attached import AttachedEngine
    from alarmtui.engine.base import ProviderInfo


def run_attached(args: argparse.Namespace, target: ServiceTarget) -> int:
    if args.command == "status":
        return _status(args, target)
    import asyncio

    return asyncio.run(_run_command(args, target))


def _status(args: argparse.Namespace, target: ServiceTarget) -> int:
    """Answered by the service from what it knows: no vendor request, no heavy import."""
    answer = quick_status(target, args.config, args.provider, args.partition)
    if answer is None:
        print(f"alarmtui: the service on {target.socket} stopped answering; try again or use --standalone", file=sys.stderr)
        return headless.Exit.UNAVAILABLE
    code, body = answer
    if code != 200:
        message = body.get("message") or f"the service refused ({code})"
        raise (
            headless.UsageError(str(message))
            if body.get("error") == "unknown_provider"
            else headless.UsageError(f"{message}; use --standalone")
        )
    entries: list[dict[str, Any]] = body.get("providers", [])
    problems: dict[str, Any] = body.get("problems") or {}
    worst = headless.Exit.OK
    for entry in entries:
        if not entry.get("error"):
            continue
        problem = problems.get(entry["name"])
        # As in-process: the first provider in trouble decides; an error by its kind, a panel offline is 4.
        if problem is None:
            code = headless.Exit.UNAVAILABLE
        elif problem.get("kinds"):
            code = headless.exit_code_for_kinds(problem["kinds"])
        else:
            code = headless.Exit.UNAVAILABLE  # never connected, no error yet: nothing to read
        if worst == headless.Exit.OK:
            worst = code
        if not args.json:
            _report_problem(entry, problem)
    if args.json:
        print(headless.dump_json({"providers": entries}))
    else:
        headless.print_status(entries)
    return worst


def _report_problem(entry: dict[str, Any], problem: dict[str, Any] | None) -> None:
    """The stderr lines an in-process `status` prints for the same trouble (`headless.report_error`)."""
    name = entry["name"]
    if problem is None:
        print(f"alarmtui: {name}: the panel is offline: {headless.shown(entry['error'])}", file=sys.stderr)
        return
    if problem.get("two_factor"):
        print(f"alarmtui: {name}: two-factor verification needed for this device: run `alarmtui login {name}`", file=sys.stderr)
        return
    print(f"alarmtui: {headless.shown(_for_one_shot(entry['error']))}", file=sys.stderr)
    hint = headless.one_shot_hint_for(
        problem.get("kinds") or (), str(problem.get("hint") or ""), problem.get("default_hint_of") or ()
    )
    if hint:
        print(f"  {headless.shown(hint)}", file=sys.stderr)


async def _run_command(args: argparse.Namespace, target: ServiceTarget) -> int:
    from alarmtui.engine.attached import AttachedEngine

    engine = AttachedEngine.from_hello(target.socket, target.hello)
    await engine.start()
    try:
        if not await engine.wait_attached(5.0):
            print(f"alarmtui: the service on {target.socket} stopped answering", file=sys.stderr)
            return headless.Exit.UNAVAILABLE
        if args.command == "login":
            return await _login(args, engine)
        return await _command(args, engine)
    finally:
        await engine.close()


async def _login(args: argparse.Namespace, engine: AttachedEngine) -> int:
    """`alarmtui login NAME` with a service running: the service's own session logs in and, where the vendor
    asks, validates this device with the SMS code typed here (a second session beside it would not help it)."""
    import asyncio

    from alarmtui.domain.updates import LinkState, ProviderStatus, StatusUpdate
    from alarmtui.providers.errors import ProviderError, TwoFactorRequired

    name = args.name
    if name not in engine.providers:
        raise headless.UsageError(f"no provider named {name!r}; configured: {', '.join(engine.providers) or 'none'}")
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
            return headless.Exit.OK
        if status.two_factor:
            verifier = engine.device_verifier(name)
            assert verifier is not None
            challenge = TwoFactorRequired(
                status.reason or "two-factor verification needed", phones=status.two_factor, provider=name
            )
            try:
                verified = await headless.answer_challenge(verifier, challenge)
            except EOFError:
                raise headless.UsageError(f"{name}: no answer typed (`alarmtui login` asks for the SMS code)") from None
            except ProviderError as exc:
                headless.report_error(exc)
                return headless.exit_code_for(exc)
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
        return headless.Exit.AUTH
    print(f"alarmtui: {name}: {headless.shown(_for_one_shot(status.reason)) or 'not logged in'}", file=sys.stderr)
    hint = headless.one_shot_hint_for(status.error_kinds, status.hint, ())
    if hint:
        print(f"  {headless.shown(hint)}", file=sys.stderr)
    return headless.exit_code_for_kinds(status.error_kinds) if status.error_kinds else headless.Exit.UNAVAILABLE


LOGIN_PAUSE_NOTE = " — alarmtui will not try again by itself"
"""How the poller's reason for a paused login goes on (with "press r"): words for the dashboard, not a command."""


def _for_one_shot(reason: str) -> str:
    return reason.partition(LOGIN_PAUSE_NOTE)[0]


def _pick(args: argparse.Namespace, engine: AttachedEngine, *, single: bool) -> list[ProviderInfo]:
    if args.provider:
        if args.provider not in engine.providers:
            known = ", ".join(engine.providers) or "none"
            raise headless.UsageError(f"no provider named {args.provider!r}; configured: {known}")
        return [engine.providers[args.provider]]
    infos = list(engine.providers.values())
    if single and len(infos) > 1:
        raise headless.UsageError(
            f"several providers are configured ({', '.join(engine.providers)}); choose one with --provider NAME"
        )
    if not infos:
        raise headless.UsageError("every configured provider is disabled")
    return infos


def _code(args: argparse.Namespace, info: ProviderInfo) -> str | None:
    """The PIN for this command only: the service's config, $ALARMTUI_CODE, or asked (never echoed)."""
    if args.command == "photo" or info.code_configured:
        return None
    from alarmtui.domain.inputs import code_problem

    env = os.environ.get("ALARMTUI_CODE")
    if env:
        problem = code_problem(env, info.kind)
        if problem is not None:
            raise headless.UsageError(f"ALARMTUI_CODE: {problem}; nothing was sent")
        return env
    if not info.needs_code:
        return None
    if not sys.stdin.isatty():
        raise headless.UsageError(f"{info.name} needs a user code; set `code` in the config or ALARMTUI_CODE")
    import getpass

    code = getpass.getpass(f"{info.name} user code: ")
    problem = code_problem(code, info.kind)
    if problem is not None:
        raise headless.UsageError(f"{problem}; nothing was sent")
    return code


async def _command(args: argparse.Namespace, engine: AttachedEngine) -> int:
    import asyncio
    import dataclasses

    from alarmtui.domain import CommandResult
    from alarmtui.domain.updates import CommandBusy, CommandUpdate, PollerUpdate, SnapshotUpdate
    from alarmtui.engine.base import view_origin

    (info,) = _pick(args, engine, single=True)
    state = engine.states[info.name]
    if args.command in ("bypass", "photo"):
        while state.snapshot is None and engine.attached:
            await asyncio.sleep(0.05)  # the zone names come with the first snapshot
        if state.snapshot is None:
            print(f"alarmtui: {info.name}: {headless.shown(state.status.reason) or 'not connected'}", file=sys.stderr)
            return headless.Exit.UNAVAILABLE
    command = _build(args, info, state.snapshot)
    code = _code(args, info)
    progress = headless.progress_printer()

    finished = asyncio.Event()
    after: list[Snapshot] = []

    def show(update: PollerUpdate) -> None:
        if isinstance(update, CommandUpdate) and update.provider == info.name and not update.finished:
            progress(update.progress)
        elif isinstance(update, CommandUpdate) and update.provider == info.name:
            finished.set()
        elif isinstance(update, SnapshotUpdate) and update.provider == info.name and finished.is_set():
            after.append(update.snapshot)  # the read the poller makes once the panel confirmed

    engine.subscribe(show)
    try:
        result: CommandResult = await engine.submit(
            info.name, _with_code(command, code), origin=view_origin(f"alarmtui {args.command}")
        )
    except CommandBusy as exc:
        print(f"alarmtui: {headless.shown(exc)}", file=sys.stderr)
        return headless.Exit.UNAVAILABLE
    finally:
        del code
    if result.ok and args.command in ("arm", "disarm") and not result.state:
        # As in-process: the resulting state in plain words, from the service's next read.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.0
        while not after and loop.time() < deadline and engine.attached:
            await asyncio.sleep(0.05)
        if after:
            result = dataclasses.replace(result, state=headless.describe_state(after[0], args.partition))
    return headless.report_result(args, info.name, result)


def _with_code(command: Command, code: str | None) -> Command:
    import dataclasses

    return dataclasses.replace(command, code=code) if code else command


def _build(args: argparse.Namespace, info: ProviderInfo, snapshot: Snapshot | None) -> Command:
    from alarmtui.domain import ArmMode, Command, CommandAction

    if args.command == "arm":
        return Command(CommandAction.ARM, mode=ArmMode(args.mode), partition=args.partition)
    if args.command == "disarm":
        return Command(CommandAction.DISARM, partition=args.partition)
    assert snapshot is not None
    zone_id = headless.zone_id_in(snapshot, args.zone, info.name)
    label = next((z.name for z in snapshot.zones if z.id == zone_id), "")
    if args.command == "bypass":
        return Command(CommandAction.BYPASS, zone=zone_id, on=not args.off, label=label)
    return Command(CommandAction.PHOTO, zone=zone_id, label=label)
