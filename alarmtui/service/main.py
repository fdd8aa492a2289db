"""`alarmtui serve`: foreground, for systemd `Type=simple`; logs to stderr; SIGTERM logs out and exits 0."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from alarmtui.bridges import bridges_for
from alarmtui.engine.endpoint import config_fingerprint, socket_path
from alarmtui.engine.inprocess import engine_for
from alarmtui.logging_setup import setup_logging
from alarmtui.redaction import install_log_filter
from alarmtui.service.server import ServiceError, run_service
from alarmtui.settings import Settings

log = logging.getLogger(__name__)


def log_to_stderr(log_file: Path | None, *, debug: bool = False) -> None:
    setup_logging(log_file, debug=debug)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))  # journald adds the time
    logging.getLogger().addHandler(handler)
    install_log_filter(logging.getLogger())


UNIT = """\
[Unit]
Description=alarmtui: keep watch over the alarm panels
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart={command} serve{config}
Restart=on-failure
RestartSec=30

[Install]
WantedBy=default.target
"""


def systemd_unit(config: str | None) -> str:
    """A systemd user unit that runs this very installation's `alarmtui serve`."""
    import shlex

    script = Path(sys.argv[0])
    executable = script.absolute() if script.name == "alarmtui" else None  # not resolved: a venv's python is a symlink
    command = shlex.quote(str(executable)) if executable else f"{shlex.quote(str(Path(sys.executable).absolute()))} -m alarmtui"
    option = f" --config {shlex.quote(str(Path(config).expanduser().resolve()))}" if config else ""
    return UNIT.format(command=command, config=option)


def serve(settings: Settings, config_file: Path | None, *, log_file: Path | None = None) -> int:
    log_to_stderr(log_file)
    try:
        run_bounded(serve_async(settings, config_file))
    except ServiceError as exc:
        print(f"alarmtui: {exc}", file=sys.stderr)
        return 1
    return 0


async def serve_async(
    settings: Settings,
    config_file: Path | None,
    *,
    ready: Callable[[], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """The service's life (what `serve` runs; tests run it in a thread with their own `stop`): the engine, the
    bridges, the socket, until SIGTERM/SIGINT or `stop`."""
    engine = engine_for(settings)
    bridges = bridges_for(engine, settings)  # MQTT, metrics: only those configured

    def started() -> None:  # once the socket is ours (a second service must not speak for the first)
        bridges.start()
        if ready is not None:
            ready()

    try:
        await run_service(
            engine, config=config_fingerprint(config_file), socket_path=socket_path(settings.socket), ready=started, stop=stop
        )
    finally:
        await bridges.close()


def run_on_new_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run `main` on a loop of its own; then cancel what is left (0.5 s) and close it without joining the
    default executor's threads (`shutdown_default_executor()` joins them, however long they are stuck)."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main)
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=0.5))
        loop.close()  # shuts the default executor down without waiting: idle workers leave at once


def run_bounded(main: Coroutine[Any, Any, None]) -> None:
    """`asyncio.run`, except that a worker thread still stuck in a call (a notification target that never
    answers holds one for as long as its socket allows) cannot keep the process alive once `main` is done:
    `asyncio.run` and the interpreter would both wait for it, and systemd would kill us mid-write."""
    run_on_new_loop(main)
    deadline = time.monotonic() + 0.5
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    for thread in others:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t for t in others if t.is_alive()]
    if stuck:
        # The interpreter would join them at exit (and systemd would kill us mid-write): leave now, flushed.
        log.warning("abandoning %d worker thread(s) still blocked (a notification target that never answered)", len(stuck))
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
