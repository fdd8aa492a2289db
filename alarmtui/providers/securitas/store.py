"""The refresh token and device identity of one Securitas account, kept across runs.

One JSON file per provider in `$XDG_STATE_HOME/alarmtui/` (default
`~/.local/state/alarmtui/`), mode 0600, replaced atomically on every write so a
rotated refresh token is never lost halfway (§2.5: replaying an old one fails).
The auth hash and the password are never stored. Nothing here logs a value.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

OWN_CHECKS_KEPT = 10


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "alarmtui"


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What the server remembers once the device is validated (§1.5). Generated once, then kept."""

    id_device: str
    uuid: str
    id_device_indigitall: str = ""

    @classmethod
    def new(cls) -> DeviceIdentity:
        value = uuid.uuid4().hex[:16]  # the config-flow shape: 16 hex chars, same for both
        return cls(value, value, "")


@dataclass
class AccountState:
    device: DeviceIdentity
    refresh_token: str = field(default="", repr=False)
    own_checks: list[str] = field(default_factory=list)
    """When alarmtui's latest CheckAlarms were sent (ISO times): their timeline rows are not news, even after a restart."""


class TokenStore:
    """Load and save one account's state; `path=None` keeps it in memory only."""

    def __init__(self, path: Path | None, username: str) -> None:
        self.path = path
        # Only a digest of the login: a refresh token for another user is ignored, not used.
        self._owner = hashlib.sha256(username.encode()).hexdigest()[:16]

    @classmethod
    def for_provider(cls, name: str, username: str, directory: Path | None = None) -> TokenStore:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        return cls((directory or state_dir()) / f"securitas-{safe}.json", username)

    def load(self, *, create: bool = True) -> AccountState | None:
        """The saved state; when there is none, a new device identity (saved at once), or None if not `create`."""
        if self.path is not None:
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                device = raw["device"]
                identity = DeviceIdentity(str(device["idDevice"]), str(device["uuid"]), str(device.get("idDeviceIndigitall", "")))
                token = str(raw.get("refreshToken") or "") if raw.get("owner") == self._owner else ""
                checks = raw.get("ownChecks")
                checks = [str(c) for c in checks[-OWN_CHECKS_KEPT:]] if isinstance(checks, list) else []
                return AccountState(identity, token, checks)
            except FileNotFoundError:
                pass
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("ignoring unreadable token file %s (%s)", self.path, type(exc).__name__)
        if not create:
            return None
        state = AccountState(DeviceIdentity.new())
        self.save(state)  # the device identity must survive even if the first login fails
        return state

    def save(self, state: AccountState) -> None:
        if self.path is None:
            return
        data = {
            "owner": self._owner,
            "device": {
                "idDevice": state.device.id_device,
                "uuid": state.device.uuid,
                "idDeviceIndigitall": state.device.id_device_indigitall,
            },
            "refreshToken": state.refresh_token,
            "ownChecks": state.own_checks[-OWN_CHECKS_KEPT:],
        }
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(prefix=".securitas-", dir=directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with _suppress():
                os.unlink(temp)
            raise


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


def new_operation_id() -> str:
    """X-APOLLO-OPERATION-ID: 128 hex chars, constant per client instance (§1.3)."""
    return secrets.token_hex(64)
