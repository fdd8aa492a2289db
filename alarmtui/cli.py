"""Command line: the dashboard, the simulators, and headless commands for scripts and cron.

alarmtui [--demo] [--config FILE]            the dashboard
alarmtui sim [--tls] [--write-config FILE]   serve the simulated clouds on loopback
alarmtui status [--json]                     every configured provider's state
alarmtui arm MODE | disarm | bypass ZONE [--off] | lock ZONE | unlock ZONE | events [--json] | photo ZONE --out DIR
alarmtui events [--since 2d] [--until WHEN] [--grep TEXT] [--kind arm,alarm]   the journal
alarmtui notify test                         a test message to every notification target
alarmtui serve                               the engine as a service; views attach to it
alarmtui listen [--json] [--since 2d]        state changes, events, alarms, commands as they happen
alarmtui init                                a first config, guided (kind, login, mode 0600)
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alarmtui import __version__
from alarmtui.domain.text import terminal_text
from alarmtui.engine.trust import UntrustedService
from alarmtui.headless import (
    EVENT_KINDS,
    Exit,
    InertText,
    UsageError,
    shown,
)
from alarmtui.logging_setup import quiet_term_image, setup_logging

# Providers (httpx and every vendor), settings (pydantic), even the domain model (its dataclasses) load
# where they are needed: a `status` answered by the service must start, ask and print within a quarter second.
if TYPE_CHECKING:
    from alarmtui.demo import DemoClouds
    from alarmtui.settings import Settings
    from alarmtui.simulators.base import SimCloud
    from alarmtui.ui.app import Starting


ARM_MODES = ("away", "home", "night", "perimeter")
"""`ArmMode`'s values (a test keeps them equal), spelled out so parsing arguments needs no domain import."""


# ---------------------------------------------------------------------- arguments


def _common_options(parser: argparse.ArgumentParser, *, defaults: bool) -> argparse.ArgumentParser:
    # Sub-commands repeat these so they may come after the command name; their
    # defaults are suppressed there, or they would overwrite the top level's.
    extra: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    parser.add_argument(
        "--config", metavar="FILE", help="config file (default: $ALARMTUI_CONFIG or ~/.config/alarmtui/config.toml)", **extra
    )
    parser.add_argument("--demo", action="store_true", help="use the embedded simulated clouds instead of the config", **extra)
    parser.add_argument("--log-file", metavar="FILE", type=Path, help="write a debug log here (secrets are redacted)", **extra)
    parser.add_argument(
        "--standalone", action="store_true", help="work in-process even when `alarmtui serve` is running", **extra
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    common = _common_options(argparse.ArgumentParser(add_help=False), defaults=False)

    targeted = argparse.ArgumentParser(add_help=False)
    targeted.add_argument(
        "--provider", metavar="NAME", help="which configured provider (default: every one for reads, the only one for commands)"
    )
    targeted.add_argument("--partition", metavar="ID", help="which partition (default: the whole panel)")

    parser = argparse.ArgumentParser(
        prog="alarmtui",
        description="Watch and control home alarm systems (Verisure, Visonic, MiOS/Vera) from the terminal.",
    )
    _common_options(parser, defaults=True)
    parser.add_argument("--version", action="version", version=f"alarmtui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sim = sub.add_parser("sim", help="serve the simulated vendor clouds on loopback")
    sim.add_argument(
        "--tls", action="store_true", help="serve HTTPS with a throw-away CA (its file is printed and written next to the config)"
    )
    sim.add_argument("--write-config", metavar="FILE", type=Path, help="write a ready config file pointing at the simulators")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback only is sensible)")
    sim.add_argument(
        "--port",
        type=int,
        default=0,
        help="first port (verisure), then +1 visonic, +2 mios, +3 securitas, +4 mypages, then the Vera's LAN port; 0 = random free ports",
    )
    sim.add_argument(
        "--kinds",
        default="verisure,visonic,mios,securitas,mypages",
        help="which clouds to serve (comma separated); add vera to put the MiOS Vera's LAN port in the written config",
    )
    sim.add_argument("--life", action="store_true", help="make things happen in the houses now and then, as the demo does")
    sim.add_argument("--fast", action="store_true", help="short exit/entry delays and command latencies (for tests)")
    sim.add_argument(
        "--control-port",
        type=int,
        default=0,
        help="port of the scenario control API on 127.0.0.1 (0 = a random free port; printed)",
    )

    status = sub.add_parser(
        "status", help="show each provider's partitions, zones, troubles and users", parents=[common, targeted]
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument(
        "--quick", action="store_true", help="cheap read that does not wake the panel (Verisure: activity log only)"
    )

    arm = sub.add_parser("arm", help="arm the panel or a partition", parents=[common, targeted])
    arm.add_argument("mode", choices=ARM_MODES, help="away, home (Verisure: day), night or perimeter")
    arm.add_argument("--force", action="store_true", help="arm even if zones are open (where the panel allows it)")
    arm.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="wait for the final state (follows the exit delay) and exit 0 only once the panel says armed "
        "(default: on when stdout is a terminal)",
    )

    login = sub.add_parser(
        "login",
        help="log in once interactively (Securitas, My Pages: validate this device with a code sent by SMS or e-mail)",
        parents=[common],
    )
    login.add_argument("name", help="the provider's name in the config")

    sub.add_parser("disarm", help="disarm the panel or a partition", parents=[common, targeted])

    bypass = sub.add_parser("bypass", help="bypass a zone (or stop bypassing it with --off)", parents=[common, targeted])
    bypass.add_argument("zone", help="zone id or name")
    bypass.add_argument("--off", action="store_true", help="stop bypassing the zone")
    for verb in ("lock", "unlock"):  # smart locks (My Pages): the code as for arm/disarm
        locker = sub.add_parser(verb, help=f"{verb} a smart lock", parents=[common, targeted])
        locker.add_argument("zone", help="lock id or name")

    events = sub.add_parser(
        "events", help="events from the journal (or the vendors when there is none), newest first", parents=[common, targeted]
    )
    events.add_argument("--json", action="store_true", help="machine-readable output")
    events.add_argument("--limit", type=int, default=50, help="how many events (default 50)")
    events.add_argument("--since", metavar="WHEN", help="only events after WHEN: 2d, 12h, 30m, or a date/time (2026-11-27T03:00)")
    events.add_argument("--until", metavar="WHEN", help="only events before WHEN (same forms as --since)")
    events.add_argument("--grep", metavar="TEXT", help="only events whose text, user, zone or partition contains TEXT")
    events.add_argument(
        "--kind",
        metavar="KINDS",
        help=f"comma-separated: {', '.join(EVENT_KINDS)}",
    )

    notify = sub.add_parser("notify", help="notifications ([[notify]] in the config)", parents=[common])
    notify_sub = notify.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    notify_sub.add_parser("test", help="send a test message to every target and report each result", parents=[common])

    serve = sub.add_parser(
        "serve", help="run the engine as a service (foreground, for systemd); views attach to it", parents=[common]
    )
    serve.add_argument("--print-unit", action="store_true", help="print a systemd user unit for this installation and exit")

    listen = sub.add_parser(
        "listen", help="print state changes, events, alarms, troubles and command outcomes as they happen", parents=[common]
    )
    listen.add_argument(
        "--json", action="store_true", help="JSON Lines (keys: type, time, provider, partition, zone, state, text, who)"
    )
    listen.add_argument("--since", metavar="WHEN", help="first replay the journal from WHEN (2d, 12h, 30m, or a date/time)")
    listen.add_argument("--provider", metavar="NAME", help="only this provider")

    init = sub.add_parser("init", help="write a first config: kind, credentials, a test login, mode 0600", parents=[common])
    init.add_argument(
        "--path",
        metavar="FILE",
        type=Path,
        help="where to write it (default: --config, $ALARMTUI_CONFIG or ~/.config/alarmtui/config.toml)",
    )

    photo = sub.add_parser("photo", help="ask a camera zone for photos and save them", parents=[common, targeted])
    photo.add_argument("zone", help="zone id or name of a camera zone")
    photo.add_argument("--out", metavar="DIR", type=Path, required=True, help="directory to write the JPEGs to")
    return parser


# ---------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    quiet_term_image()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "arm" and args.wait is None:
        args.wait = sys.stdout.isatty()  # a person watching waits for "armed"; a script gets "accepted" at once
    if args.command in (None, "sim", "serve"):
        return run(args)
    # Headless output carries vendor text: nothing in it may act on the terminal (each field is made
    # inert where it is printed; the streams are the last line of defence).
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = InertText(stdout), InertText(stderr)  # type: ignore[assignment]
    try:
        return run(args)
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "sim":
            return run_sim(args)
        if args.command == "serve":
            return run_serve(args)
        if args.command == "listen":
            from alarmtui.listen import run_listen

            return run_listen(args)
        if args.command == "init":
            from alarmtui.setup_wizard import run_init

            return run_init(args)
        service = find_service(args)
        if args.command is None:
            return run_dashboard_command(args, service)
        if service is not None:
            from alarmtui.headless import run_attached

            if args.command != "status" or args.log_file:  # an answered `status` has nothing to log
                setup_logging(args.log_file)
            return run_attached(args, service)
        import asyncio  # here, not at the top: see the note above on start-up time

        if args.command == "notify":
            return asyncio.run(run_notify_test(args))
        return asyncio.run(run_headless(args))

    except UsageError as exc:
        print(f"alarmtui: {shown(exc, 2000)}", file=sys.stderr)
        return Exit.USAGE
    except UntrustedService as exc:  # another user's socket, or a folder others can write: nothing was sent
        print(f"alarmtui: {shown(exc, 2000)}", file=sys.stderr)
        return Exit.USAGE
    except Exception as exc:
        settings_module = sys.modules.get("alarmtui.settings")  # raised from there, so loaded
        if settings_module is None or not isinstance(exc, settings_module.SettingsError):
            raise
        print(f"alarmtui: {terminal_text(exc, multiline=True)}", file=sys.stderr)
        return Exit.USAGE
    except KeyboardInterrupt:
        return 130


async def run_headless(args: argparse.Namespace) -> int:
    from alarmtui.headless import run_in_process

    setup_logging(args.log_file)
    with settings_for(args) as settings:
        return await run_in_process(args, settings)


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
    from alarmtui.engine.attached.find import find_service as find

    return find(args.config)


ATTACHABLE = frozenset({None, "status", "arm", "disarm", "bypass", "lock", "unlock", "photo", "login"})
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


@contextlib.contextmanager
def collections_held() -> Iterator[None]:
    """No cyclic garbage collection while the dashboard starts: its imports, engine and first reads set off ~70 ms
    of collections. The app collects once and turns them back on when it is drawn whole (`ui.app`)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def run_dashboard_command(args: argparse.Namespace, service: Any = None) -> int:
    with collections_held():
        return _run_dashboard_command(args, service)


def _run_dashboard_command(args: argparse.Namespace, service: Any = None) -> int:
    if args.demo:
        from alarmtui.demo import DemoClouds

        # The clouds start in their own process first, on another core while the dashboard draws its first frame;
        # nothing lands in the user's folders (the demo's journal scrolls back).
        clouds = DemoClouds(life=True)
        try:
            from alarmtui.ui.app import run_dashboard

            setup_logging(args.log_file)
            return run_dashboard(starting=demo_starting(clouds))
        finally:
            clouds.stop()

    from alarmtui.settings import load_settings
    from alarmtui.ui.app import Started, Starting, run_dashboard

    loaded = load_settings(args.config, required=True)  # before the first frame: a bad config is told in the shell
    if service is not None:
        from alarmtui.engine.attached.engine import AttachedEngine

        setup_logging(args.log_file or loaded.settings.log_file)  # theme, keymap, confirmations: the view's own
        return run_dashboard(
            loaded.settings, warnings=loaded.warnings, engine=AttachedEngine.from_hello(service.socket, service.hello)
        )
    settings = loaded.settings
    if not settings.providers:
        raise UsageError(f"{loaded.path}: no [[providers]] configured")
    setup_logging(args.log_file or settings.log_file)

    def build_engine() -> Started:
        from alarmtui.engine.inprocess import engine_for

        # No service: this dashboard journals and notifies itself while it runs.
        return Started(settings, engine_for(settings), warnings=loaded.warnings)

    names = ", ".join(provider.name for provider in settings.providers if provider.enabled)
    return run_dashboard(starting=Starting(shown(names, 200), build_engine))


def demo_starting(clouds: DemoClouds) -> Starting:
    """The `--demo` dashboard's start: its first frame at once, then the clouds' settings and the engine."""
    from alarmtui.ui.app import Started, Starting

    def build() -> Started:
        from alarmtui.engine.inprocess import engine_for

        settings = clouds.settings()  # waits for the clouds' process to listen
        return Started(settings, engine_for(settings, journal=True, notify=False), scenarios=clouds.scenarios)

    return Starting("the simulated clouds", build)


# ---------------------------------------------------------------------- sim


def _say(line: str) -> None:
    print(line, flush=True)


def sim_clouds(kinds: Iterable[str], *, fast: bool, lan: bool = False, say: Callable[[str], None] = _say) -> list[SimCloud]:
    """What `alarmtui sim` serves: each kind's cloud with its history seeded (fast delays with `fast`; the MiOS
    Vera's LAN face in the config with `lan`); the codes the simulators "send" (Securitas SMS, My Pages step-up
    codes) are said through `say`, a printed line each."""
    from alarmtui.simulators.host import create_cloud

    clouds = [create_cloud(k, **({"lan_provider": True} if k == "mios" and lan else {})) for k in kinds]
    for cloud in clouds:
        for panel in cloud.panels:
            panel.seed_history()
        if fast:
            cloud.use_fast_timing()
        if hasattr(cloud, "on_otp"):  # the Securitas simulator "sends" SMS codes: show them here
            cloud.on_otp = lambda phone, code: say(f"securitas: SMS to {phone}: code {code}")
        if hasattr(cloud, "on_code"):  # the My Pages simulator's step-up codes (SMS or e-mail)
            cloud.on_code = lambda channel, code: say(f"mypages: {channel} code {code}")
    return clouds


def run_sim(args: argparse.Namespace) -> int:
    import asyncio

    from alarmtui.settings import write_config
    from alarmtui.simulators.host import CLOUD_CLASSES, SimHost

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
        # Ctrl-C or SIGTERM ends it, even when started from a background shell (which starts it with SIGINT
        # ignored: Python then installs no KeyboardInterrupt handler, and Ctrl-C from a supervisor did nothing).
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        clouds = sim_clouds(kinds, fast=args.fast, lan=lan)
        host = SimHost(
            clouds, tls=args.tls, host=args.host, ports=ports, cert_dir=cert_dir, control=True, control_port=args.control_port
        )
        await host.start()
        life = None
        if args.life:
            from alarmtui.demo import DemoLife

            life = DemoLife([cloud.panels[0] for cloud in host.clouds.values()])
            life.start()
        try:
            print("alarmtui simulators (demo credentials; Ctrl-C to stop):", flush=True)
            for line in host.describe():
                print("  " + line, flush=True)
            if args.write_config:
                write_config(args.write_config, host.provider_tables())
                print(f"config written to {args.write_config}", flush=True)
            await stop.wait()
        finally:
            if life is not None:
                life.stop()
            await host.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    return Exit.OK


# ---------------------------------------------------------------------- headless


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
        print(f"{shown(result.target)}: {'sent' if result.ok else 'FAILED: ' + (shown(result.detail, 500) or 'not delivered')}")
    return Exit.OK if all(r.ok for r in results) else Exit.FAILED


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
