"""`alarmtui serve`: foreground, for systemd `Type=simple`; logs to stderr; SIGTERM logs out and exits 0."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

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


def serve(settings: Settings, config_file: Path | None, *, log_file: Path | None = None) -> int:
    log_to_stderr(log_file)
    path = socket_path(settings.socket)

    async def main() -> None:
        engine = engine_for(settings)
        await run_service(engine, config=config_fingerprint(config_file), socket_path=path)

    try:
        asyncio.run(main())
    except ServiceError as exc:
        print(f"alarmtui: {exc}", file=sys.stderr)
        return 1
    return 0
