"""The one error tree every provider raises.

Only `ProviderError` subclasses may escape a provider's public methods, so the
poller, CLI and UI need exactly one `except`. Every error says, in the user's
terms, what went wrong (`message`), what to do (`hint`), the vendor's own words
when they were translated (`detail`) and — for commands — whether the command
may have left this machine (`may_have_left`, set by `commands.CommandTimeline`).

    ProviderError
    ├── AuthenticationFailed ── TwoFactorRequired, LoginPaused
    ├── SessionExpired
    ├── RateLimited                      (.retry_after seconds)
    ├── PanelUnavailable ── PanelOffline, PanelBusy
    ├── CommandRejected ── WrongCode, NotSupported, OpenZones (.zones, .can_force)
    ├── ProtocolError ── TooManyRecords  (.cap, .limit)
    ├── ConnectionFailed ── NotSent ── CertificateError
    │                    └─ ReplyLost
    └── InternalError                    (a bug of ours, caught so nothing dies of it)

Messages pass through `redaction.scrub`, so a secret registered with the log
filter never reaches a screen even if a vendor echoes it.
"""

from __future__ import annotations

import math
from typing import ClassVar

from alarmtui.redaction import scrub

MAX_WAIT = 86400.0
"""No wait a vendor asks for is taken longer than a day."""


def finite_seconds(value: object, default: float | None = None, *, maximum: float = MAX_WAIT) -> float | None:
    """A wait in seconds that is always a finite number in [0, maximum]: nan, inf, negative,
    unreadable → `default` (so nothing is ever scheduled "in nan s")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    try:
        seconds = float(value)
    except (OverflowError, ValueError):
        return default
    if not math.isfinite(seconds) or seconds < 0:
        return default
    return min(seconds, maximum)


class ProviderError(Exception):
    """Base of every error a provider may raise.

    `message` says what went wrong in the user's terms; `hint` what to do;
    `detail` keeps the vendor's own words when `message` translates them.
    None of them may contain a secret.
    """

    hint: ClassVar[str] = ""
    unprocessed: ClassVar[bool] = False
    """True for errors that prove the vendor did not act on the request (refused before processing it).

    A command request that fails with such an error was NOT carried out even
    though it reached the server; any other failure after sending leaves the
    outcome unknown."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        vendor_code: str | None = None,
        hint: str | None = None,
        detail: str = "",
    ) -> None:
        message = scrub(message)
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.vendor_code = vendor_code
        self.detail = scrub(detail)
        self.may_have_left: bool | None = None
        """Whether the command this error ended may have reached the vendor: set by `CommandTimeline`.

        None (not stamped, e.g. a provider not yet on the timeline) means "judge by
        the type": see `commands.result_for_error`."""
        if hint is not None:
            self.hint = hint  # type: ignore[misc]

    def __str__(self) -> str:
        prefix = f"{self.provider}: " if self.provider else ""
        code = f" [{self.vendor_code}]" if self.vendor_code else ""
        return f"{prefix}{self.message}{code}"


class AuthenticationFailed(ProviderError):
    """The vendor refused the credentials (or the account cannot be used)."""

    hint = "Check the username and password for this provider in the config file."
    unprocessed = True


class TwoFactorRequired(AuthenticationFailed):
    """The vendor wants this device validated with a one-time code (SMS) before it may log in.

    `phones` lists (id, masked number) pairs the code can be sent to. Headless
    commands never wait for a code: they exit 3 and point at `alarmtui login NAME`.
    """

    hint = "Two-factor verification is needed for this device: run `alarmtui login NAME`."

    def __init__(self, message: str, *, phones: tuple[tuple[str, str], ...] = (), **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.phones = tuple(phones)


class LoginPaused(AuthenticationFailed):
    """No automatic login now: the vendor refused these credentials recently (the login budget).

    Vendors lock accounts after a few refused passwords, so after a refusal
    alarmtui logs in again by itself at most once per `session.LoginGate.auto_interval`
    (an hour); the user lifts the pause at once with `r`, a CLI run or a config
    change. `retry_after` is the seconds until the next automatic attempt.
    """

    hint = "Fix the password in the config file, or press r to try again now."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = finite_seconds(retry_after)


class SessionExpired(ProviderError):
    """The vendor no longer accepts our session; logging in again helps."""

    hint = "The session expired; alarmtui logs in again by itself."
    unprocessed = True


class RateLimited(ProviderError):
    """The vendor throttled or blocked us (too many requests, login blocked)."""

    hint = "Wait before trying again, and consider a longer poll interval."
    unprocessed = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = finite_seconds(retry_after)


class PanelUnavailable(ProviderError):
    """The cloud is reachable but the panel is not answering (offline or busy)."""

    hint = "The panel is not reachable through the cloud right now; alarmtui keeps retrying."
    unprocessed = True


class PanelOffline(PanelUnavailable):
    """The cloud says the panel is not connected to it."""


class PanelBusy(PanelUnavailable):
    hint = "The panel is handling another request; try again in a moment."


class CommandRejected(ProviderError):
    """The vendor refused a command and said why (`message` is its reason, translated; `detail` its words)."""

    hint = "The panel refused the command; see its reason."
    unprocessed = True


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


class TooManyRecords(ProtocolError):
    """A reply holds more records of one kind than alarmtui accepts (`wire.RECORD_CAPS`).

    `cap` names the kind ("partitions", "zones", "events", "users", "photos" …) and
    `limit` the most accepted: a reply that large is garbage or hostile, and parsing it
    would stall every view.
    """

    def __init__(self, message: str, *, cap: str = "", limit: int = 0, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.cap = cap
        self.limit = limit


class ConnectionFailed(ProviderError):
    """The server could not be reached, or did not answer in time."""

    hint = "Check the URL and the network; alarmtui keeps retrying."


class NotSent(ConnectionFailed):
    """No connection could be made, so the request certainly never left this machine."""

    unprocessed = True


class CertificateError(NotSent):
    """The server's TLS certificate could not be verified (the request was never sent)."""

    hint = (
        "The server's TLS certificate is not trusted: check the URL, set `ca_file` for a private CA, "
        "or (only for a server you control) `verify_tls = false` for this provider."
    )


class ReplyLost(ConnectionFailed):
    """The request was sent (or partly sent) but no usable reply came back."""


class InternalError(ProviderError):
    """A bug in alarmtui (an exception that is not a `ProviderError`), caught so that nothing dies of it."""

    hint = "This is a bug in alarmtui; the log file has the details. alarmtui keeps going."


# Old name (Verisure's module had it): no connection could be made.
ServerUnreachable = NotSent

__all__ = [
    "MAX_WAIT",
    "AuthenticationFailed",
    "CertificateError",
    "CommandRejected",
    "ConnectionFailed",
    "InternalError",
    "LoginPaused",
    "NotSent",
    "NotSupported",
    "OpenZones",
    "PanelBusy",
    "PanelOffline",
    "PanelUnavailable",
    "ProtocolError",
    "ProviderError",
    "RateLimited",
    "ReplyLost",
    "ServerUnreachable",
    "SessionExpired",
    "TooManyRecords",
    "TwoFactorRequired",
    "WrongCode",
    "finite_seconds",
]
