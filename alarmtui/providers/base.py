"""The async contract every vendor cloud implements.

A provider turns its vendor's wire format into `alarmtui.domain` objects. Only
`ProviderError` subclasses may escape its public methods. The shared core
lives next to this module and is re-exported here, so older imports keep
working:

- `errors`   — the one error tree (`ProviderError` … `OpenZones`, `NotSent`, `LoginPaused`);
- `http`     — client factory, streamed size limit, JSON/XML decode, status→error table;
- `session`  — the login gate (one login at a time, one re-login per request, login budget);
- `commands` — the command timeline NOT_SENT → SENT → CONFIRMED | FAILED | UNKNOWN;
- `wire`     — typed accessors for decoded replies.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from alarmtui.domain import ArmMode, Command, CommandAction, CommandResult, Event, Photo, Snapshot
from alarmtui.providers.commands import CommandTimeline, CommandTimer, ProgressCallback, result_for_error
from alarmtui.providers.errors import (
    AuthenticationFailed,
    CertificateError,
    CommandRejected,
    ConnectionFailed,
    InternalError,
    LoginPaused,
    NotSent,
    NotSupported,
    OpenZones,
    PanelBusy,
    PanelOffline,
    PanelUnavailable,
    ProtocolError,
    ProviderError,
    RateLimited,
    ReplyLost,
    SessionExpired,
    TwoFactorRequired,
    WrongCode,
)
from alarmtui.providers.http import (
    RequestCounter,
    build_http_client,
    http_timeout,
    make_client,
    retry_after,
    translate_errors,
)
from alarmtui.providers.session import LoginGate, LoginPauseFile
from alarmtui.redaction import redact_url

if TYPE_CHECKING:
    from alarmtui.settings import ProviderConfig


# --------------------------------------------------------------------------- the contract


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def events_since(events: Iterable[Event], since: datetime | None, limit: int) -> list[Event]:
    """`events` at or after `since`, newest first, at most `limit` (naive times are taken as UTC)."""
    start = _aware(since) if since is not None else None
    kept = [e for e in events if start is None or _aware(e.time) >= start]
    kept.sort(key=lambda e: _aware(e.time), reverse=True)  # stable: the vendor's order among equal times stays
    return kept[: max(0, limit)]


class Provider(abc.ABC):
    """One vendor cloud account and the panel (installation) it controls."""

    kind: ClassVar[str]

    state_directory: Path | None = None
    """Where this provider keeps its state (the login pause, tokens); None: `session.state_dir()`."""

    @property
    def login_gate(self) -> LoginGate | None:
        """The provider's login gate (`session.LoginGate`), when it uses one.

        Assigning one attaches the provider's `LoginPauseFile`, so a refused password
        pauses automatic logins in every process that runs this provider, not only this one.
        """
        return self.__dict__.get("_login_gate")

    @login_gate.setter
    def login_gate(self, gate: LoginGate | None) -> None:
        self.__dict__["_login_gate"] = gate
        if gate is not None and gate.pause_file is None:
            gate.persist(LoginPauseFile.for_config(self.config, self.state_directory))

    _connected: bool = False
    """Set by `connect()` once the panel is found, cleared by `close()` (for `_ensure_connected`)."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.name = config.name
        self.requests = RequestCounter()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {redact_url(self.config.url)}>"

    @property
    def requests(self) -> RequestCounter:
        """Every request this provider sends to its vendor (the cost figures, the request budget)."""
        return self._requests

    @requests.setter
    def requests(self, counter: RequestCounter) -> None:
        # The transport counts into the same counter (tests swap in one on a fake clock).
        self._requests = counter
        for name in ("client", "transport"):
            transport = self.__dict__.get(name)
            if transport is not None and hasattr(transport, "counter"):
                transport.counter = counter

    # -- lifecycle

    @abc.abstractmethod
    async def connect(self) -> None:
        """Log in and find the panel. Safe to call again after a failure."""

    async def _ensure_connected(self) -> None:
        if not self._connected:
            await self.connect()

    def allow_login(self) -> None:
        """The user asked to connect (the `r` key, a CLI run, a config change): lift the login budget's pause.

        After the vendor refused the credentials, providers log in again by
        themselves at most once an hour; this lets the next attempt go at once.
        """
        if self.login_gate is not None:
            self.login_gate.allow_login()

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

    async def events_since(self, since: datetime | None, limit: int = 1000) -> list[Event]:
        """Every event at or after `since` (None: the vendor's whole recent log), newest first, at most `limit`.

        The back-fill after a restart: the same events, with the same ids, as `events()`.
        `since` itself is included (another event may share its second; callers de-duplicate
        by id). Vendors whose API can page override this with a bounded paged read; the
        default is one `events(limit)` read, filtered.
        """
        return events_since(await self.events(limit), since, limit)

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
    #
    # The command contract, the same for every vendor (see `commands.CommandTimeline`):
    # - before anything left the machine, errors are raised as they are (NotSent,
    #   AuthenticationFailed, LoginPaused, PanelBusy …): the caller reports NOT_SENT;
    # - the panel's refusal is raised as `CommandRejected` (`OpenZones`, `WrongCode` …) or
    #   returned as a FAILED result with `result.error` set;
    # - once the command may have left, the method returns CONFIRMED or UNKNOWN (never
    #   "not sent"); an UNKNOWN outcome is never retried — the caller re-reads the state.
    # Callers turn any raised error into its truthful result with `commands.result_for_error`.

    @abc.abstractmethod
    async def arm(
        self,
        mode: ArmMode,
        *,
        partition: str | None = None,
        code: str | None = None,
        progress: ProgressCallback | None = None,
        force: bool = False,
    ) -> CommandResult:
        """Arm the whole panel (`partition=None`) or one partition.

        Raises `OpenZones` (with the zones' names) when the panel refuses because
        zones are open. `force=True` arms anyway: the vendor's force-arm, or
        bypassing the open zones first; a provider that cannot raises
        `OpenZones(can_force=False)`.
        """

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

    async def lock(self, zone: str, *, code: str | None = None, progress: ProgressCallback | None = None) -> CommandResult:
        """Lock a smart lock (a `ZoneKind.LOCK` zone); providers with `Capability.LOCK` override this."""
        raise NotSupported("this panel has no smart locks", provider=self.name)

    async def unlock(self, zone: str, *, code: str | None = None, progress: ProgressCallback | None = None) -> CommandResult:
        """Unlock a smart lock (a `ZoneKind.LOCK` zone); providers with `Capability.LOCK` override this."""
        raise NotSupported("this panel has no smart locks", provider=self.name)

    async def execute(self, command: Command, progress: ProgressCallback | None = None) -> CommandResult:
        """Carry out `command`: the one dispatch the poller, the CLI and the service use.

        The same contract as the methods it calls (see above): errors before the
        command may have left are raised, the panel's refusal is raised or returned
        as FAILED, and once it may have left the result is CONFIRMED or UNKNOWN.
        Callers turn a raised error into its result with `commands.result_for_error`.
        Vendors override the per-action methods, not this; one that needs to see the
        whole `Command` may override this and fall back to `super().execute`.
        """
        match command.action:
            case CommandAction.ARM:
                if command.mode is None:
                    raise NotSupported("arm needs a mode (away, home, night, perimeter)", provider=self.name)
                if command.force:
                    return await self.arm(
                        command.mode, partition=command.partition, code=command.code, progress=progress, force=True
                    )
                # Only when asked: vendor packages whose `arm` predates `force` keep working.
                return await self.arm(command.mode, partition=command.partition, code=command.code, progress=progress)
            case CommandAction.DISARM:
                return await self.disarm(partition=command.partition, code=command.code, progress=progress)
            case CommandAction.BYPASS:
                return await self.bypass(self._command_zone(command), command.on, code=command.code, progress=progress)
            case CommandAction.PHOTO:
                return await self.request_photo(self._command_zone(command), progress=progress)
            case CommandAction.LOCK:
                return await self.lock(self._command_zone(command), code=command.code, progress=progress)
            case CommandAction.UNLOCK:
                return await self.unlock(self._command_zone(command), code=command.code, progress=progress)
        raise NotSupported(f"unknown command {command.action!r}", provider=self.name)

    def _command_zone(self, command: Command) -> str:
        if not command.zone:
            raise NotSupported(f"{command.action} needs a zone", provider=self.name)
        return command.zone

    async def siren(self, on: bool, *, partition: str | None = None, progress: ProgressCallback | None = None) -> CommandResult:
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

    @property
    def code_length(self) -> int | None:
        """How many digits this panel's user codes have, where the protocol says (None: not known, the
        vendor's range in `domain.inputs.CODE_LENGTHS` applies). The PIN dialog and every code check use it."""
        return None

    def code_for(self, code: str | None) -> str | None:
        """The code to use: the one given, else the configured one."""
        if code:
            return code
        secret = self.config.code
        return secret.get_secret_value() if secret is not None else None


__all__ = [
    "AuthenticationFailed",
    "CertificateError",
    "CommandRejected",
    "CommandTimeline",
    "CommandTimer",
    "ConnectionFailed",
    "InternalError",
    "LoginGate",
    "LoginPaused",
    "NotSent",
    "NotSupported",
    "OpenZones",
    "PanelBusy",
    "PanelOffline",
    "PanelUnavailable",
    "ProgressCallback",
    "ProtocolError",
    "Provider",
    "ProviderError",
    "RateLimited",
    "ReplyLost",
    "RequestCounter",
    "SessionExpired",
    "TwoFactorRequired",
    "WrongCode",
    "build_http_client",
    "events_since",
    "http_timeout",
    "make_client",
    "result_for_error",
    "retry_after",
    "translate_errors",
]
