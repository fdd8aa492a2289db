"""One suite over every vendor's simulator: the same faults, the same promises.

Each cell asserts, where it applies: a typed `ProviderError` with a clear
message; a poller over the provider recovers by itself once the fault is gone;
the command reached the server exactly once (counted by the simulator's fault
middleware); and the reported outcome is true at the panel (CONFIRMED only if
it acted, FAILED / NOT_SENT only if it did not, UNKNOWN is honest either way).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from alarmtui.domain import CommandPhase, CommandResult
from alarmtui.domain.updates import LinkState
from alarmtui.engine.poller import Poller, PollTiming
from alarmtui.providers.commands import result_for_error
from alarmtui.providers.errors import (
    ConnectionFailed,
    NotSent,
    PanelOffline,
    ProtocolError,
    ProviderError,
    RateLimited,
    ReplyLost,
    WrongCode,
)

from .conftest import record
from .vendors import HTTP_TIMEOUT, VendorFixture

HANG = 4 * HTTP_TIMEOUT
"""How long a hung reply is held: well past the client's timeout (server and client share one event loop, so a
stalled loop delays both alike), short enough that stopping the simulator does not wait long for it."""
FAST = PollTiming(
    poll_interval=0.1, refresh_interval=3600, fast_interval=0.05, backoff_initial=0.05, backoff_max=0.2, min_gap=0.0
)


def _skip_unsupported(vendor: VendorFixture, cell: str) -> None:
    reason = vendor.unsupported.get(cell)
    if reason:
        record(vendor.kind, cell, typed="skipped", outcome=reason)
        pytest.skip(f"{vendor.kind}: {reason}")


async def expect_error(call: Awaitable[Any], kinds: type[ProviderError] | tuple[type[ProviderError], ...]) -> ProviderError:
    """`call` must raise a ProviderError of `kinds` with a clear, one-line, traceback-free message."""
    with pytest.raises(ProviderError) as caught:
        await call
    error = caught.value
    assert isinstance(error, kinds), f"{type(error).__name__}: {error}"
    assert error.message and "\n" not in error.message and "Traceback" not in error.message
    assert "demo-pass" not in str(error)
    return error


async def outcome(call: Awaitable[CommandResult]) -> CommandResult:
    """What the poller and CLI report for a command: its result, or the result its error means."""
    try:
        return await call
    except ProviderError as exc:
        return result_for_error(exc)


async def truth(vendor: VendorFixture, result: CommandResult) -> str:
    """Check the reported outcome against the panel; returns a word for the matrix."""
    await asyncio.sleep(0.05)
    acted = vendor.acted()
    if result.phase is CommandPhase.CONFIRMED:
        assert acted, f"reported confirmed but the panel did not act: {result.message}"
    elif result.phase in (CommandPhase.FAILED, CommandPhase.NOT_SENT):
        assert not acted, f"reported {result.phase} but the panel acted: {result.message}"
    else:
        assert result.phase is CommandPhase.UNKNOWN, result.phase
        assert "re-read" in result.message or "unknown" in result.message
    return f"{result.phase.value}{' (acted)' if acted else ''}"


async def recovers(
    vendor: VendorFixture, inject: Callable[[], None] | None = None, *, heal: Callable[[], Awaitable[None] | None] | None = None
) -> bool:
    """A poller over a fresh provider meets the fault, says so, and is online again once it is gone."""
    provider = vendor.provider()
    statuses: list[Any] = []
    poller = Poller(provider, lambda u: statuses.append(u), timing=FAST)
    if inject is not None:
        inject()
    task = asyncio.get_running_loop().create_task(poller.run())
    try:
        if inject is not None or heal is not None:
            async with asyncio.timeout(8):
                while poller.status.state is LinkState.ONLINE or not poller.status.reason:
                    await asyncio.sleep(0.02)
            assert poller.status.reason  # the fault is shown in plain words
        if heal is not None:
            healed = heal()
            if healed is not None:
                await healed
        vendor.cloud.faults.clear()
        async with asyncio.timeout(10):
            while not (poller.status.state is LinkState.ONLINE and poller.snapshot is not None):
                await asyncio.sleep(0.02)
        return not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _connected(vendor: VendorFixture) -> Any:
    provider = vendor.provider()
    await provider.connect()
    await provider.snapshot()
    return provider


def _arm(vendor: VendorFixture, provider: Any, **kwargs: Any) -> Awaitable[CommandResult]:
    return provider.arm(vendor.arm_mode, partition=vendor.partition, **kwargs)


# --------------------------------------------------------------------------- read faults


READ_FAULTS: dict[str, tuple[Callable[[VendorFixture], None], type[ProviderError] | tuple[type[ProviderError], ...]]] = {
    "http_500": (lambda v: v.cloud.faults.add(v.read_route, status=500, times=3), ConnectionFailed),
    "hang": (lambda v: v.cloud.faults.add(v.read_route, delay=HANG, times=2), ReplyLost),
    "malformed": (
        lambda v: v.cloud.faults.add(v.read_route, body=v.malformed_body, content_type=v.content_type, times=3),
        ProtocolError,
    ),
    "wrong_types": (
        lambda v: v.cloud.faults.add(v.read_route, body=v.wrong_types_body, content_type=v.content_type, times=3),
        ProtocolError,
    ),
    "truncated": (lambda v: v.cloud.faults.add(v.read_route, forward=True, truncate=20, times=3), (ReplyLost, ProtocolError)),
    "rate_limited_429": (
        lambda v: v.cloud.faults.add(v.read_route, status=429, headers={"Retry-After": "1"}, times=3),
        RateLimited,
    ),
    "rate_limited_vendor": (lambda v: v.rate_limit_vendor(), RateLimited),
}


@pytest.mark.parametrize("cell", list(READ_FAULTS))
async def test_read_fault_is_typed_and_the_poller_recovers(vendor: VendorFixture, cell: str) -> None:
    _skip_unsupported(vendor, cell)
    inject, kinds = READ_FAULTS[cell]
    provider = await _connected(vendor)
    inject(vendor)
    error = await expect_error(provider.snapshot(), kinds)
    if isinstance(error, RateLimited) and cell.startswith("rate"):
        assert error.retry_after is not None  # Retry-After / the vendor's own wait is passed on
    vendor.cloud.faults.clear()
    assert (await provider.snapshot()).partitions  # the same provider reads again once the fault is gone
    recovered = await recovers(vendor, lambda: inject(vendor))
    record(vendor.kind, cell, typed=type(error).__name__, recovered=recovered, sends="-", outcome="-")
    assert recovered


# --------------------------------------------------------------------------- connection refused


async def test_connection_refused_is_not_sent_and_recovers(vendor: VendorFixture) -> None:
    provider = await _connected(vendor)
    before = vendor.commands_sent()
    assert vendor.host is not None
    await vendor.host.stop()
    error = await expect_error(provider.snapshot(), NotSent)
    result = await outcome(_arm(vendor, provider))
    assert result.phase is CommandPhase.NOT_SENT and isinstance(result.error, NotSent), result
    sends = vendor.commands_sent() - before
    assert sends == 0
    said = await truth(vendor, result)

    async def restart() -> None:
        await vendor.host.start()  # type: ignore[union-attr]

    async def down_then_up() -> bool:
        return await recovers(vendor, None, heal=restart)

    recovered = await down_then_up()
    record(vendor.kind, "refused", typed=type(error).__name__, recovered=recovered, sends=sends, outcome=said)
    assert recovered


# --------------------------------------------------------------------------- command faults


async def _command_cell(
    vendor: VendorFixture,
    cell: str,
    inject: Callable[[], None],
    *,
    expect: set[CommandPhase],
    sends: int = 1,
    **arm: Any,
) -> CommandResult:
    _skip_unsupported(vendor, cell)
    provider = await _connected(vendor)
    before = vendor.commands_sent()
    inject()
    result = await outcome(_arm(vendor, provider, **arm))
    seen = vendor.commands_sent() - before
    said = await truth(vendor, result)
    assert seen == sends, f"the command reached the server {seen} times"
    assert result.phase in expect, f"{result.phase}: {result.message}"
    vendor.cloud.faults.clear()
    recovered = await recovers(vendor)
    typed = type(result.error).__name__ if result.error is not None else "-"
    record(vendor.kind, cell, typed=typed, recovered=recovered, sends=seen, outcome=said)
    assert recovered
    return result


async def test_session_expired_before_the_command(vendor: VendorFixture) -> None:
    # The server refuses the expired session before acting: not sent, and never re-sent by itself.
    await _command_cell(
        vendor, "expired_before_command", vendor.expire_sessions, expect={CommandPhase.NOT_SENT, CommandPhase.CONFIRMED}
    )


async def test_session_expired_in_the_middle_of_the_command(vendor: VendorFixture) -> None:
    # Issue 8 defect 4: after the panel took the command this is never "failed" / "login failed".
    result = await _command_cell(
        vendor, "expired_mid_command", vendor.expire_mid_command, expect={CommandPhase.CONFIRMED, CommandPhase.UNKNOWN}
    )
    assert result.phase is not CommandPhase.NOT_SENT


async def test_command_outcome_never_arrives(vendor: VendorFixture) -> None:
    result = await _command_cell(vendor, "never_finishes", vendor.never_finish, expect={CommandPhase.UNKNOWN})
    assert "re-read" in result.message


async def test_panel_acted_but_the_reply_was_lost(vendor: VendorFixture) -> None:
    def lose_reply() -> None:
        vendor.cloud.faults.add(vendor.command_route, forward=True, drop=True)

    await _command_cell(vendor, "reply_lost", lose_reply, expect={CommandPhase.UNKNOWN})
    assert vendor.acted()  # it did act: "unknown" is the truth, "not sent" would invite a second arm


async def test_wrong_code(vendor: VendorFixture) -> None:
    _skip_unsupported(vendor, "wrong_code")
    result = await _command_cell(
        vendor, "wrong_code", lambda: None, expect={CommandPhase.FAILED, CommandPhase.NOT_SENT}, sends=1, code=vendor.wrong_code()
    )
    assert isinstance(result.error, WrongCode)


async def test_panel_offline(vendor: VendorFixture) -> None:
    provider = await _connected(vendor)
    before = vendor.commands_sent()
    vendor.set_offline(True)
    try:
        snap = await provider.snapshot(refresh=True)
        assert not snap.online and snap.detail
        typed = "Snapshot(online=False)"
    except PanelOffline as exc:
        assert exc.message
        typed = "PanelOffline"
    result = await outcome(_arm(vendor, provider))
    said = await truth(vendor, result)
    assert result.phase in (CommandPhase.FAILED, CommandPhase.NOT_SENT, CommandPhase.UNKNOWN)
    seen = vendor.commands_sent() - before
    assert seen <= 1
    recovered = await recovers(vendor, lambda: None, heal=lambda: vendor.set_offline(False))  # type: ignore[func-returns-value]
    record(vendor.kind, "panel_offline", typed=typed, recovered=recovered, sends=seen, outcome=said)
    assert recovered
