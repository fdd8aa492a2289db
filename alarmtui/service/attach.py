"""Finding a running service for this config, cheaply: no socket file means no service, at once."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alarmtui.service.paths import config_fingerprint, configured_socket, socket_path

CONFIG_ENV = "ALARMTUI_CONFIG"


@dataclass(frozen=True)
class ServiceTarget:
    socket: Path
    hello: dict[str, Any]


def resolve_config_file(explicit: str | Path | None) -> Path:
    """The config file the settings would load (same rule as `alarmtui.settings.resolve_config_path`)."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "alarmtui" / "config.toml"


def find_service(config: str | Path | None, *, quiet: bool = False) -> ServiceTarget | None:
    """The service serving this config, or None (then the caller works in-process)."""
    config_file = resolve_config_file(config)
    path = socket_path(configured_socket(config_file))
    from alarmtui.service.client import socket_exists

    if not socket_exists(path):
        return None
    hello = asyncio.run(_hello(path))
    if hello is None:
        return None
    if hello.get("config") != config_fingerprint(config_file):
        if not quiet:
            print(
                f"alarmtui: the service on {path} watches another config; working standalone",
                file=sys.stderr,
            )
        return None
    return ServiceTarget(path, hello)


async def _hello(path: Path) -> dict[str, Any] | None:
    from alarmtui.service.client import ServiceClient, ServiceUnavailable

    async with ServiceClient(path, timeout=2.0) as client:
        try:
            return await client.hello()
        except ServiceUnavailable:
            return None
