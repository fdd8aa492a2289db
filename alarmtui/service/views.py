"""Headless commands answered by a running service: no vendor request for a read, commands through it.

They print exactly what their in-process versions print (the same helpers in
`alarmtui.cli` build the output) and must not import Textual or Pillow.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

from alarmtui.domain import ArmMode, Command, CommandAction, CommandResult, Snapshot
from alarmtui.engine.attached import AttachedEngine
from alarmtui.engine.base import ProviderInfo
from alarmtui.poller import CommandBusy, CommandUpdate, LinkState, PollerUpdate
from alarmtui.service.attach import ServiceTarget

FIRST_STATE_TIMEOUT = 30.0
"""How long `status` waits for a provider the service is still connecting to."""


async def run_attached(args: argparse.Namespace, target: ServiceTarget) -> int:
    from alarmtui import cli

    engine = AttachedEngine.from_hello(target.socket, target.hello)
    await engine.start()
    try:
        if not await engine.wait_attached(5.0):
            print(f"alarmtui: the service on {target.socket} stopped answering", file=sys.stderr)
            return cli.Exit.UNAVAILABLE
        if args.command == "status":
            return await _status(args, engine)
        return await _command(args, engine)
    finally:
        await engine.close()


def _pick(args: argparse.Namespace, engine: AttachedEngine, *, single: bool) -> list[ProviderInfo]:
    from alarmtui import cli

    if args.provider:
        if args.provider not in engine.providers:
            known = ", ".join(engine.providers) or "none"
            raise cli.UsageError(f"no provider named {args.provider!r}; configured: {known}")
        return [engine.providers[args.provider]]
    infos = list(engine.providers.values())
    if single and len(infos) > 1:
        raise cli.UsageError(
            f"several providers are configured ({', '.join(engine.providers)}); choose one with --provider NAME"
        )
    if not infos:
        raise cli.UsageError("every configured provider is disabled")
    return infos


def _settled(engine: AttachedEngine, name: str) -> bool:
    state = engine.states[name]
    return state.snapshot is not None or (state.status.state is LinkState.OFFLINE and state.status.failures > 0)


async def _status(args: argparse.Namespace, engine: AttachedEngine) -> int:
    from alarmtui import cli

    infos = _pick(args, engine, single=False)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FIRST_STATE_TIMEOUT
    while not all(_settled(engine, i.name) for i in infos) and loop.time() < deadline and engine.attached:
        await asyncio.sleep(0.05)
    worst = cli.Exit.OK
    out: list[dict[str, Any]] = []
    for info in infos:
        state = engine.states[info.name]
        error = None
        if state.snapshot is None:
            error = state.status.reason or "the service has not reached this provider yet"
            if worst == cli.Exit.OK:
                worst = cli.Exit.UNAVAILABLE
            if not args.json:
                print(f"alarmtui: {info.name}: {error}", file=sys.stderr)
        out.append(cli.status_entry(args, info.name, info.kind, state.snapshot, error))
    if args.json:
        print(json.dumps({"providers": out}, indent=2, ensure_ascii=False))
    else:
        cli.print_status(out)
    return worst


def _code(args: argparse.Namespace, info: ProviderInfo) -> str | None:
    """The PIN for this command only: the service's config, $ALARMTUI_CODE, or asked (never echoed)."""
    from alarmtui import cli

    if args.command == "photo" or info.code_configured:
        return None
    env = os.environ.get("ALARMTUI_CODE")
    if env:
        return env
    if not info.needs_code:
        return None
    if not sys.stdin.isatty():
        raise cli.UsageError(f"{info.name} needs a user code; set `code` in the config or ALARMTUI_CODE")
    import getpass

    code = getpass.getpass(f"{info.name} user code: ")
    if not code.isdigit():
        raise cli.UsageError("the user code must be digits only")
    return code


async def _command(args: argparse.Namespace, engine: AttachedEngine) -> int:
    from alarmtui import cli

    (info,) = _pick(args, engine, single=True)
    state = engine.states[info.name]
    if args.command in ("bypass", "photo"):
        while state.snapshot is None and engine.attached:
            await asyncio.sleep(0.05)  # the zone names come with the first snapshot
        if state.snapshot is None:
            print(f"alarmtui: {info.name}: {state.status.reason or 'not connected'}", file=sys.stderr)
            return cli.Exit.UNAVAILABLE
    command = _build(args, info, state.snapshot)
    code = _code(args, info)
    progress = cli._progress_printer()

    def show(update: PollerUpdate) -> None:
        if isinstance(update, CommandUpdate) and update.provider == info.name and not update.finished:
            progress(update.progress)

    engine.subscribe(show)
    try:
        result: CommandResult = await engine.submit(info.name, _with_code(command, code))
    except CommandBusy as exc:
        print(f"alarmtui: {exc}", file=sys.stderr)
        return cli.Exit.UNAVAILABLE
    finally:
        del code
    return cli.report_result(args, info.name, result)


def _with_code(command: Command, code: str | None) -> Command:
    import dataclasses

    return dataclasses.replace(command, code=code) if code else command


def _build(args: argparse.Namespace, info: ProviderInfo, snapshot: Snapshot | None) -> Command:
    from alarmtui import cli

    if args.command == "arm":
        return Command(CommandAction.ARM, mode=ArmMode(args.mode), partition=args.partition)
    if args.command == "disarm":
        return Command(CommandAction.DISARM, partition=args.partition)
    assert snapshot is not None
    zone_id = cli.zone_id_in(snapshot, args.zone, info.name)
    label = next((z.name for z in snapshot.zones if z.id == zone_id), "")
    if args.command == "bypass":
        return Command(CommandAction.BYPASS, zone=zone_id, on=not args.off, label=label)
    return Command(CommandAction.PHOTO, zone=zone_id, label=label)

