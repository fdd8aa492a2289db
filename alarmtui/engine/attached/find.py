"""Finding a running service for this config, cheaply: no socket file means no service, at once."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any, NamedTuple

from alarmtui.engine.attached.quick import get_json
from alarmtui.engine.endpoint import config_fingerprint, configured_socket, socket_path

CONFIG_ENV = "ALARMTUI_CONFIG"
HELLO_TIMEOUT = 5.0
"""A service that exists (its socket does) but is busy starting its providers may take a moment to say hello."""


class ServiceTarget(NamedTuple):  # not a dataclass: `status` answered by the service skips importing dataclasses
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
    if not socket_exists(path):
        return None
    answer = get_json(path, "/v1/hello", timeout=HELLO_TIMEOUT)
    if answer is None or answer[0] != 200:
        return None
    hello = answer[1]
    if hello.get("config") != config_fingerprint(config_file):
        if not quiet:
            print(
                f"alarmtui: the service on {path} watches another config; working standalone",
                file=sys.stderr,
            )
        return None
    return ServiceTarget(path, hello)


def socket_exists(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(path.stat().st_mode)
    except OSError:
        return False


def quick_status(
    target: ServiceTarget, config: str | Path | None, provider: str | None, partition: str | None
) -> tuple[int, dict[str, Any]] | None:
    """`status --json` as the service renders it: (HTTP status, body), or None if it stopped answering."""
    params = {"provider": provider, "partition": partition, "config": config_fingerprint(resolve_config_file(config))}
    return get_json(target.socket, "/v1/status", params, timeout=40.0)
