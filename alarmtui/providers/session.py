"""The login gate every provider puts in front of its vendor's login.

- **One login at a time.** A lock and a generation number: concurrent callers
  that find no session wait for one login; a caller whose request failed with
  `SessionExpired` asks `relogin(generation)`, and only the first such caller
  for that generation logs in again.
- **One re-login per request.** `call(op)` runs `op`, and on `SessionExpired`
  logs in again once and runs it once more; a second expiry is raised.
  Commands must not use `call` for the request that carries the command (it
  would send it twice): they use `ensure()` before sending and let the
  `CommandTimeline` decide what an expiry means.
- **The login budget.** When the vendor refuses the credentials
  (`AuthenticationFailed`), automatic logins stop: the next automatic `ensure()`
  raises `LoginPaused` (a message the screen can show) until the user asks
  (`allow_login()`: the `r` key, `alarmtui login NAME`, a config change) or
  `auto_interval` (one hour) has passed, which allows exactly one automatic
  attempt. Vendors lock accounts after a few refused passwords.
- **The pause outlives the process.** With a `LoginPauseFile` (the `Provider`
  base class attaches one to every provider's gate) the refusal is kept in the
  state folder, so the service, the dashboard and every cron `status` honour it
  — none of them re-sends a refused password. The file (0600) holds no secret:
  a digest of the account's identity and a salted scrypt check of the password,
  so a changed password in the config lifts the pause by itself.

Usage in a provider::

    self.gate = LoginGate(self._login, provider=self.name)
    await self.gate.ensure()                         # before a request
    reply = await self.gate.call(lambda: self._get("/status"))   # a read
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from alarmtui.providers.errors import AuthenticationFailed, LoginPaused, SessionExpired, TwoFactorRequired, finite_seconds

if TYPE_CHECKING:
    from alarmtui.settings import ProviderConfig

log = logging.getLogger(__name__)

T = TypeVar("T")


def state_dir() -> Path:
    """alarmtui's state folder: `$XDG_STATE_HOME/alarmtui` (default `~/.local/state/alarmtui`)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "alarmtui"


@dataclass(frozen=True, slots=True)
class PausedLogin:
    """A refusal read back from the state folder."""

    refused_at: float
    """Wall-clock epoch seconds of the refusal."""
    reason: str


class LoginPauseFile:
    """One provider's login pause in the state folder, shared by every process that runs the provider.

    It records *which* credentials were refused without storing them: `identity` is a
    digest of (kind, name, url, username) and `check` a salted scrypt of the password,
    so a config change (another password or account) no longer matches and the pause
    is lifted without anyone deleting the file.
    """

    VERSION = 1

    def __init__(self, path: Path, *, identity: str, secret: str) -> None:
        self.path = path
        self.identity = identity
        self._secret = secret
        self._cache: tuple[tuple[int, int], PausedLogin | None] | None = None

    @classmethod
    def for_config(cls, config: ProviderConfig, directory: Path | None = None) -> LoginPauseFile:
        parts = [config.kind, config.name, config.url, getattr(config, "username", "") or ""]
        identity = hashlib.sha256("\0".join(parts).encode()).hexdigest()
        password = getattr(config, "password", None)
        secret = password.get_secret_value() if password is not None else ""
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", config.name)
        return cls((directory or state_dir()) / f"login-pause-{config.kind}-{safe}.json", identity=identity, secret=secret)

    def _check(self, salt: bytes) -> str:
        # Salted and slow: the file must not let anyone test password guesses cheaply.
        return hashlib.scrypt(self._secret.encode(), salt=salt, n=2**13, r=8, p=1, dklen=16).hex()

    def load(self) -> PausedLogin | None:
        """The pause recorded for these very credentials, or None (no file, another config, unreadable)."""
        try:
            info = os.stat(self.path, follow_symlinks=False)
        except OSError:
            self._cache = None
            return None
        key = (info.st_mtime_ns, info.st_size)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        found: PausedLogin | None = None
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as handle:
                raw = json.loads(handle.read(65536))
            if (
                raw.get("version") == self.VERSION
                and raw.get("identity") == self.identity
                and raw.get("check") == self._check(bytes.fromhex(str(raw.get("salt", ""))))
            ):
                refused_at = finite_seconds(raw.get("refusedAt"), None, maximum=float("inf"))
                if refused_at is not None:
                    found = PausedLogin(refused_at, str(raw.get("reason") or "the login was refused")[:300])
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            log.warning("ignoring an unreadable login pause file %s (%s)", self.path, type(exc).__name__)
        self._cache = (key, found)
        return found

    def save(self, refused_at: float, reason: str) -> None:
        salt = secrets.token_bytes(16)
        data = {
            "version": self.VERSION,
            "identity": self.identity,
            "salt": salt.hex(),
            "check": self._check(salt),
            "refusedAt": refused_at,
            "reason": reason[:300],
        }
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(prefix=".login-pause-", dir=directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(temp, self.path)  # replaces a planted symlink instead of writing through it
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        self._cache = None

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self._cache = None


class LoginGate:
    """Serialises logins, counts session generations and keeps the login budget."""

    AUTO_INTERVAL = 3600.0

    def __init__(
        self,
        login: Callable[[], Awaitable[None]],
        *,
        provider: str = "",
        auto_interval: float = AUTO_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._login = login
        self.provider = provider
        self.auto_interval = auto_interval
        self._clock = clock
        self._lock = asyncio.Lock()
        self.generation = 0
        """Bumped by every successful login; 0 means never logged in."""
        self.logged_in = False
        self.logins = 0
        """Successful logins so far (for tests and cost figures)."""
        self.attempts = 0
        self._refused_at: float | None = None
        self._refused_wall: datetime | None = None
        self._refusal: AuthenticationFailed | None = None
        self._user_asked = False
        """The user asked since the last attempt (`allow_login`). A refusal can only be known after an
        attempt, except one another process recorded (`pause_file`): starting a process is no ask."""
        self.pause_file: LoginPauseFile | None = None

    def persist(self, pause_file: LoginPauseFile) -> None:
        """Keep the pause in `pause_file` and honour the one other processes recorded there."""
        self.pause_file = pause_file
        self._sync_pause()

    def _sync_pause(self) -> None:
        """Take the shared file as the truth: a pause recorded there applies here; none there lifts ours."""
        if self.pause_file is None:
            return
        try:
            record = self.pause_file.load()
        except Exception:  # noqa: BLE001  (a broken state folder must not stop logins: logged, ignored)
            log.exception("%s: could not read the login pause file", self.provider or "provider")
            return
        if record is None:
            if self._refusal is not None:
                log.info("%s: the login pause was lifted elsewhere (a login succeeded or the config changed)", self.provider)
            self._refusal = None
            self._refused_at = None
            return
        age = max(0.0, time.time() - record.refused_at)
        self._refused_at = self._clock() - age
        self._refused_wall = datetime.fromtimestamp(record.refused_at).astimezone()
        if self._refusal is None or self._refusal.message != record.reason:
            self._refusal = AuthenticationFailed(record.reason, provider=self.provider)

    # -- the budget

    @property
    def paused(self) -> bool:
        """True while automatic logins are paused after a refusal (this process's or one recorded in the state folder)."""
        self._sync_pause()
        return self._refusal is not None and not self._user_asked and not self._hour_passed()

    @property
    def pause_reason(self) -> str:
        """What the screen shows while paused ("" when not paused)."""
        if not self.paused or self._refusal is None:
            return ""
        at = self._refused_wall.strftime("%H:%M") if self._refused_wall else "earlier"
        minutes = max(1, round(self.retry_after / 60))
        return (
            f"the vendor refused the login at {at} ({self._refusal.message}); "
            f"alarmtui will not try again by itself for {minutes} min — press r, run `alarmtui login "
            f"{self.provider or 'NAME'}` or fix the config to try now"
        )

    @property
    def retry_after(self) -> float:
        """Seconds until the next automatic attempt is allowed (0 when not paused)."""
        if self._refused_at is None:
            return 0.0
        return max(0.0, self._refused_at + self.auto_interval - self._clock())

    def _hour_passed(self) -> bool:
        return self._refused_at is not None and self._clock() - self._refused_at >= self.auto_interval

    def allow_login(self) -> None:
        """The user asked (r key, CLI run, config change): the next login may go ahead now."""
        self._user_asked = True

    # -- sessions

    def invalidate(self) -> None:
        """Forget the session (logout, or the vendor said it is gone); the next `ensure()` logs in."""
        self.logged_in = False

    async def ensure(self) -> int:
        """Log in unless a session exists; returns the session's generation.

        Raises `LoginPaused` while the budget forbids an automatic login, and
        whatever the login raises (`AuthenticationFailed` starts the pause).
        """
        if self.logged_in:
            return self.generation
        async with self._lock:
            if not self.logged_in:
                await self._login_locked()
            return self.generation

    async def relogin(self, failed_generation: int) -> int:
        """After `SessionExpired` on a request made in `failed_generation`: log in again once.

        If another caller already logged in since, its session is used.
        """
        async with self._lock:
            if self.logged_in and self.generation != failed_generation:
                return self.generation
            self.logged_in = False
            await self._login_locked()
            return self.generation

    async def call(self, op: Callable[[], Awaitable[T]]) -> T:
        """Run a read `op` in a session; on `SessionExpired` log in again once and retry it once."""
        generation = await self.ensure()
        try:
            return await op()
        except SessionExpired:
            log.info("%s: session expired; logging in again", self.provider or "provider")
        await self.relogin(generation)
        try:
            return await op()
        except SessionExpired as exc:
            exc.message = f"the session expired again right after logging in ({exc.message})"
            exc.args = (exc.message,)
            raise

    async def _login_locked(self) -> None:
        self._sync_pause()
        if self._refusal is not None and not self._user_asked:
            if not self._hour_passed():
                raise LoginPaused(
                    self.pause_reason, retry_after=self.retry_after, provider=self.provider, detail=self._refusal.detail
                )
        self._user_asked = False
        self.attempts += 1
        try:
            await self._login()
        except TwoFactorRequired:
            raise  # a challenge, not a refusal: the provider holds it and sends nothing until the code is typed
        except AuthenticationFailed as exc:
            if not isinstance(exc, LoginPaused):
                self._refusal = exc
                self._refused_at = self._clock()
                self._refused_wall = datetime.now().astimezone()
                log.warning("%s: login refused; automatic logins paused", self.provider or "provider")
                self._save_pause(exc)
            raise
        self._logged_in_now()

    def _save_pause(self, refusal: AuthenticationFailed) -> None:
        if self.pause_file is None:
            return
        try:
            self.pause_file.save(time.time(), refusal.message)
        except OSError as exc:  # the refusal still pauses this process
            log.warning("%s: could not record the login pause (%s)", self.provider or "provider", type(exc).__name__)

    def adopt(self) -> None:
        """A session was set up outside the gate (a two-factor validation that returned one): it is the session now."""
        self._logged_in_now()

    def _logged_in_now(self) -> None:
        if self.pause_file is not None:
            with contextlib.suppress(OSError):
                self.pause_file.clear()  # every process may log in again
        self._refusal = None
        self._refused_at = None
        self.logged_in = True
        self.generation += 1
        self.logins += 1


__all__ = ["LoginGate", "LoginPauseFile", "PausedLogin", "state_dir"]
