"""The command timeline every vendor follows, and how its errors become outcomes.

    NOT_SENT ──sending()──▶ SENT ──accepted()──▶ WAITING ──▶ CONFIRMED | FAILED(reason) | UNKNOWN

A provider method wraps a command in `async with CommandTimeline(...) as tl:`.
Before `tl.sending()` nothing has left the machine: any error keeps the command
NOT_SENT. From `sending()` on, an error that does not prove the vendor refused
the request unprocessed (`ProviderError.unprocessed`: session refused, rate
limited, connection refused …) marks it `may_have_left`; after `accepted()`
*every* error except the panel's own refusal (`CommandRejected`) does. Errors
that are not `ProviderError`s (bugs, LookupError from a parser …) become
`InternalError` / `ProtocolError` with the same rule, so nothing else escapes.

The poller and the CLI turn an escaped error into a result with
`result_for_error()`: `CommandRejected` → FAILED with the panel's reason,
`may_have_left` → UNKNOWN (re-read the state, never re-send), else NOT_SENT.

`follow()` polls for the outcome until a deadline (UNKNOWN past it), and
`combine()` folds per-partition outcomes into one result.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Literal, TypeVar

from alarmtui.domain import CommandPhase, CommandProgress, CommandResult, PartitionOutcome, Photo
from alarmtui.providers.errors import (
    CommandRejected,
    ConnectionFailed,
    InternalError,
    ProtocolError,
    ProviderError,
)

log = logging.getLogger(__name__)

ProgressCallback = Callable[[CommandProgress], None]
T = TypeVar("T")


class CommandTimeline:
    """One command's way from NOT_SENT to its outcome, reported to an optional progress callback.

    Also usable without `async with` as a plain timer (`report`, `result`),
    which is what the old `CommandTimer` was.
    """

    def __init__(
        self,
        what: str = "",
        progress: ProgressCallback | None = None,
        *,
        provider: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.provider = provider
        self._progress = progress
        self._clock = clock
        self._start = clock()
        self.phase = CommandPhase.NOT_SENT

    @property
    def elapsed(self) -> float:
        return self._clock() - self._start

    @property
    def may_have_left(self) -> bool:
        return self.phase is not CommandPhase.NOT_SENT

    # -- progress

    def report(self, phase: CommandPhase, message: str = "") -> None:
        """Tell the progress callback; SENT/WAITING also move the timeline forward."""
        if phase in (CommandPhase.SENT, CommandPhase.WAITING) and self.phase in (CommandPhase.NOT_SENT, CommandPhase.SENT):
            self.phase = phase
        if self._progress is not None:
            try:
                self._progress(CommandProgress(phase, message, self.elapsed))
            except Exception:  # a UI callback must never break a command in flight
                log.exception("progress callback failed")

    def sending(self, message: str = "") -> None:
        """The request that carries the command is about to go out: from now on it may have left."""
        self.report(CommandPhase.SENT, message or f"sending {self.what}".strip())

    def accepted(self, message: str = "") -> None:
        """The vendor took the command and the panel is working on it."""
        self.report(CommandPhase.WAITING, message or "sent, waiting for the panel")

    # -- outcomes

    def result(
        self,
        phase: CommandPhase,
        message: str = "",
        photos: tuple[Photo, ...] = (),
        *,
        state: str = "",
        partitions: tuple[PartitionOutcome, ...] = (),
        error: Exception | None = None,
    ) -> CommandResult:
        if phase is CommandPhase.NOT_SENT and self.may_have_left:
            # Truth first: once it may have left, "not sent" would invite a second send.
            phase = CommandPhase.UNKNOWN
        self.phase = phase
        self.report(phase, message)
        return CommandResult(phase, message, self.elapsed, photos, partitions, state, error)

    def confirmed(self, message: str = "", *, state: str = "", photos: tuple[Photo, ...] = ()) -> CommandResult:
        return self.result(CommandPhase.CONFIRMED, message or state or "done", photos, state=state)

    def failed(self, reason: str, *, error: Exception | None = None) -> CommandResult:
        """The panel refused it; `reason` is the panel's (translated) reason."""
        return self.result(CommandPhase.FAILED, reason, error=error)

    def unknown(self, why: str, *, error: Exception | None = None) -> CommandResult:
        text = why if "re-read" in why or "unknown" in why else f"{why}; outcome unknown — re-read the state"
        return self.result(CommandPhase.UNKNOWN, text, error=error)

    # -- errors

    def stamp(self, exc: ProviderError) -> ProviderError:
        """Mark `exc` as possibly having left, according to where the timeline stands."""
        if not exc.provider:
            exc.provider = self.provider
        if exc.may_have_left is not None:  # the provider (or an inner timeline) already knows
            return exc
        if self.phase is CommandPhase.WAITING:
            exc.may_have_left = not isinstance(exc, CommandRejected)
        elif self.phase is CommandPhase.SENT:
            exc.may_have_left = not exc.unprocessed
        else:
            exc.may_have_left = False
        return exc

    async def __aenter__(self) -> CommandTimeline:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:  # never swallows: a failure leaves as a ProviderError
        if exc is None or isinstance(exc, asyncio.CancelledError) or not isinstance(exc, Exception):
            return False
        if isinstance(exc, ProviderError):
            self.stamp(exc)
            self.report(CommandPhase.UNKNOWN if exc.may_have_left else _error_phase(exc), exc.message)
            return False
        log.error("%s: %s crashed", self.provider or "provider", self.what, exc_info=exc)
        wrapped: ProviderError
        if isinstance(exc, ValueError | KeyError | TypeError | IndexError | LookupError | UnicodeError | RecursionError):
            wrapped = ProtocolError(f"unexpected reply ({type(exc).__name__})", provider=self.provider)
        else:
            wrapped = InternalError(f"internal error ({type(exc).__name__})", provider=self.provider)
        self.stamp(wrapped)
        if self.phase is CommandPhase.SENT:
            wrapped.may_have_left = True
        raise wrapped from exc

    def settle(self, exc: ProviderError) -> CommandResult:
        """For a provider method that caught `exc` from its timeline: return UNKNOWN when the command
        may have left (the caller must never re-send), else re-raise `exc` (a refusal, or not sent).

        Usage::

            try:
                async with timeline: ...
            except ProviderError as exc:
                return timeline.settle(exc)
        """
        self.stamp(exc)
        if exc.may_have_left and not isinstance(exc, CommandRejected):
            return self.unknown(
                f"outcome unknown: {exc.message} — the panel may have carried it out; re-read the state", error=exc
            )
        raise exc

    # -- following

    async def follow(
        self,
        check: Callable[[], Awaitable[CommandResult | None]],
        *,
        deadline: float,
        interval: float,
        what: str = "",
        max_interval: float | None = None,
        transient: tuple[type[ProviderError], ...] = (ConnectionFailed, ProtocolError),
    ) -> CommandResult:
        """Poll `check` every `interval` s until it returns a result or `deadline` s have passed.

        `check` returns None while the panel is still working. Transient
        failures (`transient`: by default `ConnectionFailed`, `ProtocolError`) are
        remembered and polling goes on — polling the outcome never re-sends the
        command. With `max_interval` the pause doubles up to it after each poll.
        Past the deadline the outcome is UNKNOWN, naming the last problem.
        """
        if self.phase is not CommandPhase.WAITING:
            self.accepted()
        stop = self._clock() + deadline
        last_problem = ""
        pause = interval
        while True:
            await asyncio.sleep(max(0.0, min(pause, stop - self._clock())) if max_interval else pause)
            if max_interval:
                pause = min(pause * 2, max_interval)
            try:
                outcome = await check()
            except transient as exc:
                last_problem = exc.message
                outcome = None
            if outcome is not None:
                return outcome
            if self._clock() >= stop:
                why = f" (last problem: {last_problem})" if last_problem else ""
                target = what or self.what
                return self.unknown(
                    f"the panel did not confirm {target} within {deadline:.0f} s{why}; outcome unknown — re-read the state"
                )


def _error_phase(exc: ProviderError) -> CommandPhase:
    return CommandPhase.FAILED if isinstance(exc, CommandRejected) else CommandPhase.NOT_SENT


def result_for_error(exc: ProviderError, elapsed: float = 0.0) -> CommandResult:
    """The truthful outcome of a command that ended with `exc` (the error is kept in `result.error`).

    The panel's refusal → FAILED with its reason; anything after the command may
    have left → UNKNOWN; otherwise NOT_SENT (safe to try again). An error no
    timeline stamped is judged by its type: `unprocessed` ones (NotSent,
    RateLimited, SessionExpired, AuthenticationFailed, PanelUnavailable) → NOT_SENT,
    others (ReplyLost, ProtocolError, InternalError …) → UNKNOWN.
    """
    if isinstance(exc, CommandRejected):
        return CommandResult(CommandPhase.FAILED, exc.message, elapsed, error=exc)
    # Not stamped by a timeline: judge by the type (a lost reply or a garbled one may follow a send).
    left = exc.may_have_left if exc.may_have_left is not None else not exc.unprocessed
    if left:
        return CommandResult(
            CommandPhase.UNKNOWN,
            f"outcome unknown: {exc.message} — the panel may have carried it out; re-read the state",
            elapsed,
            error=exc,
        )
    return CommandResult(CommandPhase.NOT_SENT, f"not sent: {exc.message}", elapsed, error=exc)


def combine(outcomes: list[PartitionOutcome], elapsed: float = 0.0, *, names: dict[str, str] | None = None) -> CommandResult:
    """One result for a command over several partitions.

    CONFIRMED only if every partition confirmed; otherwise the worst outcome
    (UNKNOWN > FAILED > NOT_SENT) with a message naming each partition's outcome.
    """
    names = names or {}
    if not outcomes:
        return CommandResult(CommandPhase.UNKNOWN, "no partition answered", elapsed)
    phases = {o.phase for o in outcomes}
    if phases == {CommandPhase.CONFIRMED}:
        phase = CommandPhase.CONFIRMED
    elif CommandPhase.UNKNOWN in phases or phases & {CommandPhase.SENT, CommandPhase.WAITING}:
        phase = CommandPhase.UNKNOWN
    elif CommandPhase.FAILED in phases:
        phase = CommandPhase.FAILED
    else:
        phase = CommandPhase.NOT_SENT
    words = {
        CommandPhase.CONFIRMED: "done",
        CommandPhase.FAILED: "refused",
        CommandPhase.UNKNOWN: "outcome unknown",
        CommandPhase.NOT_SENT: "not sent",
    }
    if len(outcomes) == 1:
        message = outcomes[0].message or words.get(outcomes[0].phase, outcomes[0].phase.value)
    else:
        message = "; ".join(
            f"{names.get(o.partition, o.partition)}: {words.get(o.phase, o.phase.value)}"
            + (f" ({o.message})" if o.message and o.phase is not CommandPhase.CONFIRMED else "")
            for o in outcomes
        )
    return CommandResult(phase, message, elapsed, partitions=tuple(outcomes))


class CommandTimer(CommandTimeline):
    """Old name of the plain progress timer of `providers.base`: `CommandTimer(progress)`."""

    def __init__(self, progress: ProgressCallback | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__("", progress, clock=clock)


__all__ = ["CommandTimeline", "CommandTimer", "ProgressCallback", "combine", "result_for_error"]
