"""`alarmtui serve`: foreground, for systemd `Type=simple`; logs to stderr; SIGTERM logs out and exits 0."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from alarmtui.bridges import bridges_for
from alarmtui.engine.inprocess import engine_for
from alarmtui.logging_setup import setup_logging
from alarmtui.redaction import install_log_filter
from alarmtui.service.paths import config_fingerprint, socket_path
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
    path = socket_path(settings.socket)

    async def main() -> None:
        engine = engine_for(settings)
        bridges = bridges_for(engine, settings)  # MQTT, metrics: only those configured
        try:  # started once the socket is ours (a second service must not speak for the first)
            await run_service(engine, config=config_fingerprint(config_file), socket_path=path, ready=bridges.start)
        finally:
            await bridges.close()

    try:
        asyncio.run(main())
    except ServiceError as exc:
        print(f"alarmtui: {exc}", file=sys.stderr)
        return 1
    return 0
