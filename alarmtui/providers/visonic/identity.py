"""The stable `app_id` of this installation (shared/protocols/visonic.md §9.7).

PowerManage registers the app id sent with `auth` and `panel/login`; a new random id on every run
registers a new app each time. Unless the config names one, the id is created once and kept in the
state folder (`$XDG_STATE_HOME/alarmtui/visonic-<provider>.app_id`, 0600).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

_UUID = re.compile(r"^[0-9a-fA-F-]{8,64}$")


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "alarmtui"


def _path(provider: str, directory: Path | None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", provider) or "visonic"
    return (directory or state_dir()) / f"visonic-{safe}.app_id"


def stable_app_id(provider: str, *, directory: Path | None = None) -> str:
    """The app id kept for `provider`, created on first use; a fresh one (logged) if the folder cannot be written."""
    path = _path(provider, directory)
    with contextlib.suppress(OSError):
        text = path.read_text(encoding="ascii").strip()
        if _UUID.match(text):
            return text
    app_id = str(uuid.uuid4())
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(app_id + "\n")
    except OSError as exc:
        log.warning("%s: cannot keep the Visonic app id in %s (%s); using one for this run only", provider, path, exc)
    return app_id


__all__ = ["stable_app_id", "state_dir"]
