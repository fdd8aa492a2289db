"""Where the service's socket lives, and which config a service serves. Standard library only:
headless commands read this before deciding whether to import anything heavy."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

try:
    from _blake2 import blake2b  # what hashlib.blake2b is, without loading hashlib's OpenSSL bindings (start-up time)
except ImportError:  # pragma: no cover  (a Python built without it)
    from hashlib import blake2b

SOCKET_ENV = "ALARMTUI_SOCKET"
SOCKET_NAME = "alarmtui.sock"
SECRET_FIELDS = frozenset({"password", "code"})


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "alarmtui"


def socket_path(configured: Path | str | None = None) -> Path:
    """`$ALARMTUI_SOCKET`, else the config's `socket`, else `$XDG_RUNTIME_DIR/alarmtui/`, else a private state folder."""
    env = os.environ.get(SOCKET_ENV)
    if env:
        return Path(env).expanduser()
    if configured:
        return Path(configured).expanduser()
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "alarmtui" / SOCKET_NAME
    return state_dir() / "run" / SOCKET_NAME


def configured_socket(config_file: Path | None) -> str | None:
    """The `socket = "…"` line of the config file, read without validating the rest."""
    raw = _read_toml(config_file)
    value = raw.get("socket")
    return value if isinstance(value, str) else None


def config_fingerprint(config_file: Path | None) -> str:
    """Names a config without its secrets: a view attaches only to a service of the same config.

    Hashes the file's settings minus every password and code, so no secret (nor a
    hash of one) ever crosses the socket.
    """
    raw = _read_toml(config_file)
    providers = raw.get("providers")
    if isinstance(providers, list):
        raw["providers"] = [
            {k: v for k, v in table.items() if k not in SECRET_FIELDS} if isinstance(table, dict) else table
            for table in providers
        ]
    mqtt = raw.get("mqtt")
    if isinstance(mqtt, dict):  # the broker's password too
        raw["mqtt"] = {k: v for k, v in mqtt.items() if k not in SECRET_FIELDS}
    canonical = json.dumps(raw, sort_keys=True, default=str, separators=(",", ":"))
    return blake2b(canonical.encode(), digest_size=12, person=b"alarmtui-cfg").hexdigest()


def _read_toml(config_file: Path | None) -> dict[str, object]:
    if config_file is None:
        return {}
    try:
        return tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
