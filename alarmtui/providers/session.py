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
  (`allow_login()`: the `r` key, a CLI run, a config change) or
  `auto_interval` (one hour) has passed, which allows exactly one automatic
  attempt. Vendors lock accounts after a few refused passwords.

Usage in a provider::

    self.gate = LoginGate(self._login, provider=self.name)
    await self.gate.ensure()                         # before a request
    reply = await self.gate.call(lambda: self._get("/status"))   # a read
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from alarmtui.providers.errors import AuthenticationFailed, LoginPaused, SessionExpired, TwoFactorRequired

log = logging.getLogger(__name__)

T = TypeVar("T")


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
        self._user_asked = True  # the first login of a process is the user's (start-up, CLI run)

    # -- the budget

    @property
    def paused(self) -> bool:
        """True while automatic logins are paused after a refusal."""
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
            f"alarmtui will not try again by itself for {minutes} min — press r or fix the config to try now"
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
            # A challenge, not a refusal: the provider holds it and sends nothing until the code is typed.
            self._user_asked = True
            raise
        except AuthenticationFailed as exc:
            if not isinstance(exc, LoginPaused):
                self._refusal = exc
                self._refused_at = self._clock()
                self._refused_wall = datetime.now().astimezone()
                log.warning("%s: login refused; automatic logins paused", self.provider or "provider")
            raise
        self._logged_in_now()

    def adopt(self) -> None:
        """A session was set up outside the gate (a two-factor validation that returned one): it is the session now."""
        self._logged_in_now()

    def _logged_in_now(self) -> None:
        self._refusal = None
        self._refused_at = None
        self.logged_in = True
        self.generation += 1
        self.logins += 1


__all__ = ["LoginGate"]
