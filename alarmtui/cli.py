"""Command line: the dashboard, the simulators, and headless commands for scripts and cron.

    alarmtui [--demo] [--config FILE]            the dashboard
    alarmtui sim [--tls] [--write-config FILE]   serve the simulated clouds on loopback
    alarmtui status [--json]                     every configured provider's state
    alarmtui arm MODE | disarm | bypass ZONE [--off] | events [--json] | photo ZONE --out DIR
    alarmtui events [--since 2d] [--until WHEN] [--grep TEXT] [--kind arm,alarm]   the journal
    alarmtui notify test                         a test message to every notification target
    alarmtui serve                               the engine as a service; views attach to it
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from alarmtui import __version__
from alarmtui.headless import (
    Exit,
    UsageError,
    answer_challenge,
    describe_state,
    exit_code_for,
    print_status,
    progress_printer,
    report_error,
    report_result,
    zone_id_in,
)
from alarmtui.logging_setup import quiet_term_image, setup_logging

# Providers (httpx and every vendor), settings (pydantic), even the domain model (its dataclasses) load
# where they are needed: a `status` answered by the service must start, ask and print within a quarter second.
if TYPE_CHECKING:
    from alarmtui.domain import CommandProgress, CommandResult, Event, Snapshot
    from alarmtui.providers import Provider, ProviderError
    from alarmtui.settings import Settings


ARM_MODES = ("away", "home", "night", "perimeter")
"""`ArmMode`'s values (a test keeps them equal), spelled out so parsing arguments needs no domain import."""


# ---------------------------------------------------------------------- arguments


def _common_options(parser: argparse.ArgumentParser, *, defaults: bool) -> argparse.ArgumentParser:
    # Sub-commands repeat these so they may come after the command name; their
    # defaults are suppressed there, or they would overwrite the top level's.
    extra: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    parser.add_argument("--config", metavar="FILE", help="config file (default: $ALARMTUI_CONFIG or ~/.config/alarmtui/config.toml)", **extra)
    parser.add_argument("--demo", action="store_true", help="use the embedded simulated clouds instead of the config", **extra)
    parser.add_argument("--log-file", metavar="FILE", type=Path, help="write a debug log here (secrets are redacted)", **extra)
    parser.add_argument("--standalone", action="store_true", help="work in-process even when `alarmtui serve` is running", **extra)
    return parser


def build_parser() -> argparse.ArgumentParser:
    common = _common_options(argparse.ArgumentParser(add_help=False), defaults=False)

    targeted = argparse.ArgumentParser(add_help=False)
    targeted.add_argument("--provider", metavar="NAME", help="which configured provider (default: every one for reads, the only one for commands)")
    targeted.add_argument("--partition", metavar="ID", help="which partition (default: the whole panel)")

    parser = argparse.ArgumentParser(
        prog="alarmtui",
        description="Watch and control home alarm systems (Verisure, Visonic, MiOS/Vera) from the terminal.",
    )
    _common_options(parser, defaults=True)
    parser.add_argument("--version", action="version", version=f"alarmtui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sim = sub.add_parser("sim", help="serve the simulated vendor clouds on loopback")
    sim.add_argument("--tls", action="store_true", help="serve HTTPS with a throw-away CA (its file is printed and written next to the config)")
    sim.add_argument("--write-config", metavar="FILE", type=Path, help="write a ready config file pointing at the simulators")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback only is sensible)")
    sim.add_argument("--port", type=int, default=0, help="first port (verisure), then +1 visonic, +2 mios, +3 securitas, then the Vera's LAN port; 0 = random free ports")
    sim.add_argument("--kinds", default="verisure,visonic,mios,securitas", help="which clouds to serve (comma separated); add vera to put the MiOS Vera's LAN port in the written config")
    sim.add_argument("--life", action="store_true", help="make things happen in the houses now and then, as the demo does")
    sim.add_argument("--fast", action="store_true", help="short exit/entry delays and command latencies (for tests)")
    sim.add_argument("--control-port", type=int, default=0, help="port of the scenario control API on 127.0.0.1 (0 = a random free port; printed)")

    status = sub.add_parser("status", help="show each provider's partitions, zones, troubles and users", parents=[common, targeted])
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--quick", action="store_true", help="cheap read that does not wake the panel (Verisure: activity log only)")

    arm = sub.add_parser("arm", help="arm the panel or a partition", parents=[common, targeted])
    arm.add_argument("mode", choices=ARM_MODES, help="away, home (Verisure: day), night or perimeter")
    arm.add_argument("--force", action="store_true", help="arm even if zones are open (where the panel allows it)")

    login = sub.add_parser("login", help="log in once interactively (Securitas: validate this device with an SMS code)", parents=[common])
    login.add_argument("name", help="the provider's name in the config")

    sub.add_parser("disarm", help="disarm the panel or a partition", parents=[common, targeted])

    bypass = sub.add_parser("bypass", help="bypass a zone (or stop bypassing it with --off)", parents=[common, targeted])
    bypass.add_argument("zone", help="zone id or name")
    bypass.add_argument("--off", action="store_true", help="stop bypassing the zone")

    events = sub.add_parser("events", help="events from the journal (or the vendors when there is none), newest first", parents=[common, targeted])
    events.add_argument("--json", action="store_true", help="machine-readable output")
    events.add_argument("--limit", type=int, default=50, help="how many events (default 50)")
    events.add_argument("--since", metavar="WHEN", help="only events after WHEN: 2d, 12h, 30m, or a date/time (2026-11-27T03:00)")
    events.add_argument("--until", metavar="WHEN", help="only events before WHEN (same forms as --since)")
    events.add_argument("--grep", metavar="TEXT", help="only events whose text, user, zone or partition contains TEXT")
    events.add_argument("--kind", metavar="KINDS", help="comma-separated: alarm, arm, disarm, trouble, photo, zone, system, command, state, connectivity, acknowledgement")

    notify = sub.add_parser("notify", help="notifications ([[notify]] in the config)", parents=[common])
    notify_sub = notify.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    notify_sub.add_parser("test", help="send a test message to every target and report each result", parents=[common])

    serve = sub.add_parser("serve", help="run the engine as a service (foreground, for systemd); views attach to it", parents=[common])
    serve.add_argument("--print-unit", action="store_true", help="print a systemd user unit for this installation and exit")

    photo = sub.add_parser("photo", help="ask a camera zone for photos and save them", parents=[common, targeted])
    photo.add_argument("zone", help="zone id or name of a camera zone")
    photo.add_argument("--out", metavar="DIR", type=Path, required=True, help="directory to write the JPEGs to")
    return parser


# ---------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    quiet_term_image()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "sim":
            return run_sim(args)
        if args.command == "serve":
            return run_serve(args)
        service = find_service(args)
        if args.command is None:
            return run_dashboard_command(args, service)
        if service is not None:
            from alarmtui.service.views import run_attached

            if args.command != "status" or args.log_file:  # an answered `status` has nothing to log
                setup_logging(args.log_file)
            return run_attached(args, service)
        import asyncio  # here, not at the top: see the note above on start-up time

        if args.command == "notify":
            return asyncio.run(run_notify_test(args))
        return asyncio.run(run_headless(args))
    except UsageError as exc:
        print(f"alarmtui: {exc}", file=sys.stderr)
        return Exit.USAGE
    except Exception as exc:
        settings_module = sys.modules.get("alarmtui.settings")  # raised from there, so loaded
        if settings_module is None or not isinstance(exc, settings_module.SettingsError):
            raise
        print(f"alarmtui: {exc}", file=sys.stderr)
        return Exit.USAGE
    except KeyboardInterrupt:
        return 130


@contextlib.contextmanager
def settings_for(args: argparse.Namespace) -> Iterator[Settings]:
    """The settings to use: the config file, or the embedded simulators with `--demo`."""
    if args.demo:
        from alarmtui.demo import DemoEnvironment

        # A quiet house (headless commands cannot type a code); nothing in the user's folders.
        env = DemoEnvironment.start(life=False, otp=False, private=True)
        try:
            yield env.settings
        finally:
            env.stop()
        return
    from alarmtui.settings import load_settings

    loaded = load_settings(args.config, required=True)
    for warning in loaded.warnings:
        print(f"alarmtui: warning: {warning}", file=sys.stderr)
    yield loaded.settings


def find_service(args: argparse.Namespace) -> Any:
    """The running service for this config (views attach to it), or None: work in-process."""
    if args.standalone or args.demo or args.command not in ATTACHABLE:
        return None
    from alarmtui.service.attach import find_service as find

    return find(args.config)


ATTACHABLE = frozenset({None, "status", "arm", "disarm", "bypass", "photo", "login"})
"""`login` too: the device must be validated for the service's own session, not a second one beside it."""


def run_serve(args: argparse.Namespace) -> int:
    from alarmtui.service.main import serve, systemd_unit
    from alarmtui.settings import load_settings

    if args.print_unit:
        print(systemd_unit(args.config), end="")
        return Exit.OK

    if args.demo:
        raise UsageError("serve watches the configured providers; start `alarmtui sim --write-config FILE` for a demo config")
    loaded = load_settings(args.config, required=True)
    for warning in loaded.warnings:
        print(f"alarmtui: warning: {warning}", file=sys.stderr)
    if not loaded.settings.providers:
        raise UsageError(f"{loaded.path}: no [[providers]] configured")
    return serve(loaded.settings, loaded.path, log_file=args.log_file or loaded.settings.log_file)


def run_dashboard_command(args: argparse.Namespace, service: Any = None) -> int:
    from alarmtui.settings import load_settings
    from alarmtui.ui.app import run_dashboard

    if service is not None:
        from alarmtui.engine.attached import AttachedEngine

        loaded = load_settings(args.config, required=True)  # theme, keymap, confirmations: the view's own
        setup_logging(args.log_file or loaded.settings.log_file)
        run_dashboard(
            loaded.settings, warnings=loaded.warnings, engine=AttachedEngine.from_hello(service.socket, service.hello)
        )
        return Exit.OK

    if args.demo:
        from alarmtui.demo import DemoEnvironment

        # Scroll-back works; nothing lands in the user's folders; the first frame does not wait for the simulators.
        env = DemoEnvironment.start(life=True, journal=True, private=True, wait=False)
        setup_logging(args.log_file)
        try:
            run_dashboard(env.settings, scenarios=env.scenarios, engine=env.engine())
        finally:
            env.stop()
        return Exit.OK
    loaded = load_settings(args.config, required=True)
    if not loaded.settings.providers:
        raise UsageError(f"{loaded.path}: no [[providers]] configured")
    setup_logging(args.log_file or loaded.settings.log_file)
    from alarmtui.engine.inprocess import engine_for

    # No service: this dashboard journals and notifies itself while it runs.
    run_dashboard(loaded.settings, warnings=loaded.warnings, engine=engine_for(loaded.settings))
    return Exit.OK


# ---------------------------------------------------------------------- sim


def run_sim(args: argparse.Namespace) -> int:
    import asyncio

    from alarmtui.settings import write_config
    from alarmtui.simulators.host import CLOUD_CLASSES, SimHost, create_cloud

    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    # "vera" is the MiOS simulator's Vera on its LAN port (always served): ask for it in the config.
    lan = "vera" in kinds
    kinds = [k for k in kinds if k != "vera"] + (["mios"] if lan and "mios" not in kinds else [])
    unknown = [k for k in kinds if k not in CLOUD_CLASSES]
    if unknown:
        raise UsageError(f"unknown simulator kind(s): {', '.join(unknown)}; choose from {', '.join(CLOUD_CLASSES)}")
    ports = {kind: args.port + i for i, kind in enumerate(kinds)} if args.port else {}
    if args.port and "mios" in kinds:
        ports["vera"] = args.port + len(kinds)  # the MiOS Vera's LAN face comes last
    cert_dir = args.write_config.expanduser().resolve().parent if args.write_config else None

    async def serve() -> None:
        clouds = [create_cloud(k, **({"lan_provider": True} if k == "mios" and lan else {})) for k in kinds]
        for cloud in clouds:
            for panel in cloud.panels:
                panel.seed_history()
            if args.fast:
                cloud.use_fast_timing()
            if hasattr(cloud, "on_otp"):  # the Securitas simulator "sends" SMS codes: show them here
                cloud.on_otp = lambda phone, code: print(f"securitas: SMS to {phone}: code {code}", flush=True)
        host = SimHost(clouds, tls=args.tls, host=args.host, ports=ports, cert_dir=cert_dir, control=True, control_port=args.control_port)
        await host.start()
        life_task = None
        if args.life:
            from alarmtui.demo import DemoLife

            life = DemoLife([cloud.panels[0] for cloud in host.clouds.values()])
            life_task = asyncio.get_running_loop().create_task(life.run())
        try:
            print("alarmtui simulators (demo credentials; Ctrl-C to stop):", flush=True)
            for line in host.describe():
                print("  " + line, flush=True)
            if args.write_config:
                write_config(args.write_config, host.provider_tables())
                print(f"config written to {args.write_config}", flush=True)
            await asyncio.Event().wait()
        finally:
            if life_task is not None:
                life_task.cancel()
            await host.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    return Exit.OK


# ---------------------------------------------------------------------- headless


async def run_headless(args: argparse.Namespace) -> int:
    setup_logging(args.log_file)
    with settings_for(args) as settings:
        if not settings.providers:
            raise UsageError("no providers configured")
        handler: Callable[[argparse.Namespace, Settings], Awaitable[int]] = {
            "status": cmd_status,
            "events": cmd_events,
            "arm": cmd_command,
            "disarm": cmd_command,
            "bypass": cmd_command,
            "photo": cmd_command,
            "login": cmd_login,
        }[args.command]
        return await handler(args, settings)


def pick_configs(args: argparse.Namespace, settings: Settings, *, single: bool) -> list[Any]:
    enabled = [p for p in settings.providers if p.enabled]
    if args.provider:
        return [settings.provider(args.provider)]
    if single and len(enabled) > 1:
        names = ", ".join(p.name for p in enabled)
        raise UsageError(f"several providers are configured ({names}); choose one with --provider NAME")
    if not enabled:
        raise UsageError("every configured provider is disabled")
    return enabled


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

    configs = pick_configs(args, settings, single=False)
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
                print(f"alarmtui: {config.name}: the panel is offline: {entry['error']}", file=sys.stderr)
        out.append(entry)
    if args.json:
        print(json.dumps({"providers": out}, indent=2, ensure_ascii=False))
    else:
        print_status(out)
    return worst


EVENT_KINDS = ("alarm", "arm", "disarm", "trouble", "photo", "zone", "system", "command", "state", "connectivity", "acknowledgement")


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
    print(f"{when.astimezone():%Y-%m-%d %H:%M:%S} {provider:<12} {kind:<8} {text}{where}{by}")


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
        print(f"alarmtui: a --grep of one or two characters searches only the newest {SHORT_GREP_WINDOW:,} entries", file=sys.stderr)
    try:
        providers = [p.strip() for p in args.provider.split(",")] if args.provider else None
        entries = reader.search(
            since=wanted.since, until=wanted.until, grep=wanted.grep, providers=providers, kinds=wanted.kinds, limit=args.limit
        )
    except JournalError as exc:
        print(f"alarmtui: {exc}", file=sys.stderr)
        return Exit.FAILED
    finally:
        reader.close()
    if args.json:
        print(json.dumps({"events": [e.as_json() for e in entries]}, indent=2, ensure_ascii=False))
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
    configs = pick_configs(args, settings, single=False)

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
    merged: list[Event] = sorted((e for events, _ in results for e in events if wanted.keeps(e)), key=lambda e: e.time, reverse=True)[: args.limit]
    code = Exit.OK
    for _, error in results:
        if error is not None:
            report_error(error)
            code = exit_code_for(error)
    if args.json:
        print(json.dumps({"events": [{**event_json(e), "source": "vendor"} for e in merged]}, indent=2, ensure_ascii=False))
    else:
        for e in merged:
            print_event_line(e.time, e.provider, e.kind.value, e.text, e.zone, e.who)
    return code


async def run_notify_test(args: argparse.Namespace) -> int:
    """`alarmtui notify test`: one test message to every [[notify]] target, one line per result."""
    from alarmtui.notify.notifier import Notifier, targets_from_settings
    from alarmtui.settings import load_settings

    setup_logging(args.log_file)
    loaded = load_settings(args.config, required=True)
    targets = targets_from_settings(loaded.settings.notify)
    if not targets:
        raise UsageError(f"{loaded.path}: no [[notify]] targets configured")
    results = await Notifier(targets).send_test()
    for result in results:
        print(f"{result.target}: {'sent' if result.ok else 'FAILED: ' + (result.detail or 'not delivered')}")
    return Exit.OK if all(r.ok for r in results) else Exit.FAILED


def _with_provider(event: Event, name: str) -> Event:
    import dataclasses

    return dataclasses.replace(event, provider=name)


def ask_code(provider: Provider) -> str | None:
    """The code for a command: config, $ALARMTUI_CODE, or asked on the terminal (never echoed)."""
    configured = provider.code_for(None)
    if configured:
        return configured
    env = os.environ.get("ALARMTUI_CODE")
    if env:
        return env
    if not provider.needs_code:
        return None
    if not sys.stdin.isatty():
        raise UsageError(f"{provider.name} needs a user code; set `code` in the config or ALARMTUI_CODE")
    code = getpass.getpass(f"{provider.name} user code: ")
    if not code.isdigit():
        raise UsageError("the user code must be digits only")
    return code


async def cmd_command(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    from alarmtui.providers import ProviderError, create_provider
    from alarmtui.providers.commands import result_for_error
    from alarmtui.providers.errors import OpenZones

    (config,) = pick_configs(args, settings, single=True)
    provider = create_provider(config)
    progress = progress_printer()
    started = time.monotonic()
    state = ""
    forceable = False
    try:
        await provider.connect()
        code = ask_code(provider) if args.command != "photo" else None
        try:
            result = await _send(args, provider, code, progress)
        except ProviderError as exc:
            forceable = isinstance(exc, OpenZones) and exc.can_force
            result = result_for_error(exc, time.monotonic() - started)
        if result.ok and args.command in ("arm", "disarm"):
            state = result.state or await _resulting_state(provider, args.partition)
    except ProviderError as exc:  # connecting or asking for the code: nothing was sent
        report_error(exc)
        return exit_code_for(exc)
    finally:
        await provider.close()
    if state and not result.state:
        result = dataclasses.replace(result, state=state)
    exit_code = report_result(args, config.name, result)
    if forceable:
        print("  Close them, or arm anyway with --force.", file=sys.stderr)
    return exit_code


async def _resulting_state(provider: Provider, partition: str | None) -> str:
    """The confirmed state in plain words ("armed away — exit delay 15 s"), from one cheap read."""
    from alarmtui.providers import ProviderError

    try:
        snapshot = await provider.snapshot()
    except ProviderError:
        return ""
    return describe_state(snapshot, partition)


async def _send(args: argparse.Namespace, provider: Provider, code: str | None, progress: Callable[[CommandProgress], None]) -> CommandResult:
    from alarmtui.domain import ArmMode

    if args.command == "arm":
        # Only when asked: providers not yet taking `force` keep working.
        force = {"force": True} if args.force else {}
        return await provider.arm(ArmMode(args.mode), partition=args.partition, code=code, progress=progress, **force)
    if args.command == "disarm":
        return await provider.disarm(partition=args.partition, code=code, progress=progress)
    zone = await resolve_zone(provider, args.zone)
    if args.command == "bypass":
        return await provider.bypass(zone, not args.off, code=code, progress=progress)
    return await provider.request_photo(zone, progress=progress)


async def resolve_zone(provider: Provider, wanted: str) -> str:
    """Accept a zone id or (case-insensitively) its name."""
    return zone_id_in(await provider.snapshot(), wanted, provider.name)


async def cmd_login(args: argparse.Namespace, settings: Settings) -> int:
    """Log in once, answering a two-factor challenge on the terminal; the device is then remembered."""
    from alarmtui.providers import ProviderError, create_provider
    from alarmtui.providers.errors import TwoFactorRequired
    config = settings.provider(args.name)
    provider = create_provider(config)
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
                    raise UsageError(f"{config.name}: no answer typed (`alarmtui login` asks for the SMS code)") from None
        print(f"alarmtui: {config.name}: too many failed attempts", file=sys.stderr)
        return Exit.AUTH
    except ProviderError as exc:
        report_error(exc)
        return exit_code_for(exc)
    finally:
        await provider.close()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
