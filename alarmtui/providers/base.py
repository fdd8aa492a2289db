"""The async contract every vendor cloud implements, and its one error tree.

A provider turns its vendor's wire format into `alarmtui.domain` objects. Only
`ProviderError` subclasses may escape its public methods: transport failures,
malformed replies and vendor errors are all translated here or in the
provider itself, so the poller, CLI and UI need exactly one `except`.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, ClassVar

import httpx

from alarmtui.domain import (
    ArmMode,
    CommandPhase,
    CommandProgress,
    CommandResult,
    Event,
    Photo,
    Snapshot,
)
from alarmtui.redaction import redact_url, scrub

if TYPE_CHECKING:
    from alarmtui.settings import ProviderConfig

log = logging.getLogger(__name__)

ProgressCallback = Callable[[CommandProgress], None]


# --------------------------------------------------------------------------- errors


class ProviderError(Exception):
    """Base of every error a provider may raise.

    `message` says what went wrong in the user's terms; `hint` says what to do.
    Neither may contain a secret.
    """

    hint: ClassVar[str] = ""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        vendor_code: str | None = None,
        hint: str | None = None,
    ) -> None:
        message = scrub(message)
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.vendor_code = vendor_code
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        prefix = f"{self.provider}: " if self.provider else ""
        code = f" [{self.vendor_code}]" if self.vendor_code else ""
        return f"{prefix}{self.message}{code}"


class AuthenticationFailed(ProviderError):
    hint = "Check the username and password for this provider in the config file."


class TwoFactorRequired(AuthenticationFailed):
    """The vendor wants this device validated with a one-time code (SMS) before it may log in.

    `phones` lists (id, masked number) pairs the code can be sent to. Headless
    commands never wait for a code: they exit 3 and point at `alarmtui login NAME`.
    """

    hint = "Two-factor verification is needed for this device: run `alarmtui login NAME`."

    def __init__(self, message: str, *, phones: tuple[tuple[str, str], ...] = (), **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.phones = tuple(phones)


class SessionExpired(ProviderError):
    hint = "The session expired; alarmtui logs in again by itself."


class RateLimited(ProviderError):
    """The vendor throttled or blocked us (too many requests, login blocked)."""

    hint = "Wait before trying again, and consider a longer poll interval."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class PanelUnavailable(ProviderError):
    """The cloud is reachable but the panel is not answering (offline or busy)."""

    hint = "The panel is not reachable through the cloud right now; alarmtui keeps retrying."


class PanelOffline(PanelUnavailable):
    pass


class PanelBusy(PanelUnavailable):
    hint = "The panel is handling another request; try again in a moment."


class CommandRejected(ProviderError):
    """The vendor refused a command and said why (`message` is its reason)."""

    hint = "The panel refused the command; see its reason."


class WrongCode(CommandRejected):
    hint = "Check the user code (PIN) for this provider."


class NotSupported(CommandRejected):
    hint = "This panel does not offer that operation."


class OpenZones(CommandRejected):
    """Arming refused because zones are open; `zones` names them (the user's words).

    `can_force` says whether this provider can arm anyway (`arm(..., force=True)`:
    the vendor's force-arm, or bypassing exactly these zones first).
    """

    hint = "Close the open zones, or arm anyway with them bypassed."

    def __init__(self, message: str, *, zones: tuple[str, ...] = (), can_force: bool = False, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.zones = tuple(zones)
        self.can_force = can_force


class ProtocolError(ProviderError):
    """The reply did not look like the vendor's protocol; `message` says what was wrong."""

    hint = "The server sent something alarmtui does not understand; it will retry."


class ConnectionFailed(ProviderError):
    """The server could not be reached or did not answer in time."""

    hint = "Check the URL and the network; alarmtui keeps retrying."


# --------------------------------------------------------------------------- helpers


class RequestCounter:
    """Counts HTTP requests in a sliding one-hour window (for the cost figures)."""

    WINDOW = 3600.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._times: deque[float] = deque()
        self.total = 0
        self.started = clock()

    def add(self) -> None:
        now = self._clock()
        self._times.append(now)
        self.total += 1
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self.WINDOW:
            self._times.popleft()

    def per_hour(self) -> float:
        """Requests per hour: the last hour's count, extrapolated while younger than an hour."""
        now = self._clock()
        self._trim(now)
        age = max(now - self.started, 1.0)
        if age >= self.WINDOW:
            return float(len(self._times))
        return len(self._times) * self.WINDOW / age


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a `Retry-After` header (the numeric form), or None."""
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def http_timeout(total: float = 15.0) -> httpx.Timeout:
    return httpx.Timeout(total, connect=min(total, 10.0))


def build_http_client(config: ProviderConfig, counter: RequestCounter, **kwargs: object) -> httpx.AsyncClient:
    """An httpx client honouring `verify_tls` / `ca_file`, counting every request.

    Request URLs are logged redacted; httpx's own INFO logging (which prints
    full URLs, secrets included) is silenced in `alarmtui.logging_setup`.
    """
    verify: bool | str = config.verify_tls
    if config.verify_tls and config.ca_file:
        verify = str(config.ca_file)
    if isinstance(verify, str):
        import ssl

        verify = ssl.create_default_context(cafile=verify)  # type: ignore[assignment]

    async def on_request(request: httpx.Request) -> None:
        counter.add()
        log.debug("%s %s", request.method, redact_url(request.url))

    kwargs.setdefault("timeout", http_timeout())
    return httpx.AsyncClient(verify=verify, event_hooks={"request": [on_request]}, **kwargs)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def translate_errors(provider: str, what: str) -> AsyncIterator[None]:
    """Turn anything that is not a `ProviderError` into one, without leaking secrets.

    `what` names the operation ("logging in", "reading the status") so the
    message says where it happened.
    """
    try:
        yield
    except ProviderError as exc:
        if not exc.provider:
            exc.provider = provider
        raise
    except asyncio.CancelledError:
        raise
    except httpx.TimeoutException as exc:
        raise ConnectionFailed(f"timed out while {what}", provider=provider) from _scrubbed(exc)
    except httpx.TransportError as exc:
        reason = type(exc).__name__
        detail = _first_line(exc)
        raise ConnectionFailed(
            f"could not reach the server while {what} ({reason}{': ' + detail if detail else ''})", provider=provider
        ) from _scrubbed(exc)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, json.JSONDecodeError, UnicodeError) as exc:
        raise ProtocolError(
            f"unexpected reply while {what}: {type(exc).__name__}: {_first_line(exc)}", provider=provider
        ) from _scrubbed(exc)


def _first_line(exc: BaseException) -> str:
    text = scrub(str(exc)).splitlines()
    line = text[0] if text else ""
    # httpx messages may quote the URL; never show query strings.
    return " ".join(redact_url(w) if "://" in w else w for w in line.split(" "))[:200]


def _scrubbed(exc: BaseException) -> BaseException:
    """Chained causes end up in tracebacks; give them a redacted message only."""
    cause = RuntimeError(f"{type(exc).__name__}: {_first_line(exc)}")
    return cause


class CommandTimer:
    """Reports command progress with elapsed time to an optional callback."""

    def __init__(self, progress: ProgressCallback | None) -> None:
        self._progress = progress
        self._start = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def report(self, phase: CommandPhase, message: str = "") -> None:
        if self._progress is not None:
            try:
                self._progress(CommandProgress(phase, message, self.elapsed))
            except Exception:  # a UI callback must never break a command in flight
                log.exception("progress callback failed")

    def result(self, phase: CommandPhase, message: str = "", photos: tuple[Photo, ...] = ()) -> CommandResult:
        self.report(phase, message)
        return CommandResult(phase, message, self.elapsed, photos)


# --------------------------------------------------------------------------- the contract


class Provider(abc.ABC):
    """One vendor cloud account and the panel (installation) it controls."""

    kind: ClassVar[str]

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.name = config.name
        self.requests = RequestCounter()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {redact_url(self.config.url)}>"

    # -- lifecycle

    @abc.abstractmethod
    async def connect(self) -> None:
        """Log in and find the panel. Safe to call again after a failure."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Log out (best effort, bounded in time) and release the HTTP client."""

    async def __aenter__(self) -> Provider:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- reads

    @abc.abstractmethod
    async def snapshot(self, *, refresh: bool = False) -> Snapshot:
        """The panel's state.

        `refresh=False` is the cheap steady-state read (for Verisure: the
        activity log, which does not wake the panel); `refresh=True` asks the
        panel itself (an explicit refresh, start-up, the long safety interval).
        """

    @abc.abstractmethod
    async def events(self, limit: int = 100) -> list[Event]:
        """Recent events, newest first. Ids are stable so callers can de-duplicate."""

    async def wait_for_change(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the vendor to report a change.

        Providers with a long poll (MiOS `lu_sdata`) override this; the default
        just sleeps and returns False ("no news, poll as usual").
        """
        await asyncio.sleep(timeout)
        return False

    async def photos(self, event: Event) -> list[Photo]:
        """The photos an event points to (`event.photo_ref`)."""
        raise NotSupported("this provider has no stored photos", provider=self.name)

    # -- commands (each sent at most once; never retried after it may have reached the vendor)

    @abc.abstractmethod
    async def arm(
        self,
        mode: ArmMode,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult:
        """Arm the whole panel (`partition=None`) or one partition."""

    @abc.abstractmethod
    async def disarm(
        self,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult: ...

    async def bypass(
        self,
        zone: str,
        on: bool = True,
        *,
        code: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CommandResult:
        raise NotSupported("this panel cannot bypass zones", provider=self.name)

    async def request_photo(self, zone: str, *, progress: ProgressCallback | None = None) -> CommandResult:
        """Ask a camera zone for new photos; the result carries them."""
        raise NotSupported("this panel has no cameras", provider=self.name)

    async def siren(
        self, on: bool, *, partition: str | None = None, progress: ProgressCallback | None = None
    ) -> CommandResult:
        raise NotSupported("this panel cannot switch its siren remotely", provider=self.name)

    async def panic(
        self, kind: str = "police", *, partition: str | None = None, progress: ProgressCallback | None = None
    ) -> CommandResult:
        raise NotSupported("this panel has no remote panic", provider=self.name)

    # -- costs

    def requests_per_hour(self) -> float:
        return self.requests.per_hour()

    @property
    def needs_code(self) -> bool:
        """Whether arm/disarm/bypass need a user code (PIN) on this panel."""
        return False

    def code_for(self, code: str | None) -> str | None:
        """The code to use: the one given, else the configured one."""
        if code:
            return code
        secret = self.config.code
        return secret.get_secret_value() if secret is not None else None
