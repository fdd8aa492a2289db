"""The login gate, the command timeline and the wire accessors."""

from __future__ import annotations

import asyncio

import pytest

from alarmtui.domain import CommandPhase, CommandProgress, PartitionOutcome
from alarmtui.providers.commands import CommandTimeline, combine, result_for_error
from alarmtui.providers.errors import (
    AuthenticationFailed,
    CommandRejected,
    LoginPaused,
    NotSent,
    OpenZones,
    ProtocolError,
    RateLimited,
    ReplyLost,
    SessionExpired,
)
from alarmtui.providers.session import LoginGate
from alarmtui.providers.wire import as_bool, as_int, as_list, as_text, require_list, require_mapping

# --------------------------------------------------------------------------- login gate


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_concurrent_callers_log_in_once() -> None:
    calls = 0

    async def login() -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)

    gate = LoginGate(login, provider="t")
    generations = await asyncio.gather(*(gate.ensure() for _ in range(10)))
    assert calls == 1 and set(generations) == {1}
    # Ten requests fail with the same expired session: one re-login.
    await asyncio.gather(*(gate.relogin(1) for _ in range(10)))
    assert calls == 2 and gate.generation == 2


async def test_call_relogs_once_per_request() -> None:
    logins = 0
    expiries = [True, False]

    async def login() -> None:
        nonlocal logins
        logins += 1

    async def read() -> str:
        if expiries.pop(0):
            raise SessionExpired("gone")
        return "data"

    gate = LoginGate(login)
    assert await gate.call(read) == "data"
    assert logins == 2

    async def always_expired() -> str:
        raise SessionExpired("gone")

    with pytest.raises(SessionExpired, match="again right after"):
        await gate.call(always_expired)
    assert logins == 3  # one re-login, not a loop


async def test_login_budget_after_refusal() -> None:
    clock = FakeClock()
    attempts = 0
    refuse = True

    async def login() -> None:
        nonlocal attempts
        attempts += 1
        if refuse:
            raise AuthenticationFailed("wrong password")

    gate = LoginGate(login, provider="t", clock=clock)
    with pytest.raises(AuthenticationFailed):
        await gate.ensure()  # the first login of the process is the user's
    for _ in range(5):  # the poller keeps asking: no request reaches the vendor
        with pytest.raises(LoginPaused) as paused:
            await gate.ensure()
    assert attempts == 1
    assert "will not try again by itself" in paused.value.message and paused.value.retry_after == 3600
    assert gate.paused and "press r" in gate.pause_reason
    clock.now += 3600  # one automatic attempt per hour
    with pytest.raises(AuthenticationFailed) as again:
        await gate.ensure()
    assert not isinstance(again.value, LoginPaused) and attempts == 2
    with pytest.raises(LoginPaused):
        await gate.ensure()
    gate.allow_login()  # the user pressed r after fixing the password
    refuse = False
    assert await gate.ensure() == 1 and attempts == 3 and not gate.paused


# --------------------------------------------------------------------------- command timeline


async def test_error_before_sending_is_not_sent() -> None:
    with pytest.raises(NotSent) as caught:
        async with CommandTimeline("arm away", provider="t"):
            raise NotSent("refused")
    result = result_for_error(caught.value)
    assert result.phase is CommandPhase.NOT_SENT and not result.sent


async def test_connection_refused_while_sending_stays_not_sent() -> None:
    with pytest.raises(NotSent) as caught:
        async with CommandTimeline("arm away") as timeline:
            timeline.sending()
            raise NotSent("connection refused")
    assert result_for_error(caught.value).phase is CommandPhase.NOT_SENT


@pytest.mark.parametrize("error", [ReplyLost("timeout"), ProtocolError("garbled"), ValueError("bug")])
async def test_lost_reply_after_sending_is_unknown(error: Exception) -> None:
    with pytest.raises(Exception) as caught:
        async with CommandTimeline("arm away") as timeline:
            timeline.sending()
            raise error
    assert caught.value.may_have_left  # type: ignore[attr-defined]
    result = result_for_error(caught.value)  # type: ignore[arg-type]
    assert result.phase is CommandPhase.UNKNOWN and "re-read" in result.message


async def test_session_expiry_after_acceptance_is_unknown_not_login_failure() -> None:
    with pytest.raises(SessionExpired) as caught:
        async with CommandTimeline("arm away") as timeline:
            timeline.sending()
            timeline.accepted()
            raise SessionExpired("hash expired")
    assert result_for_error(caught.value).phase is CommandPhase.UNKNOWN


async def test_rate_limited_at_sending_is_not_sent_and_refusal_is_failed() -> None:
    with pytest.raises(RateLimited) as limited:
        async with CommandTimeline("arm") as timeline:
            timeline.sending()
            raise RateLimited("429")
    assert result_for_error(limited.value).phase is CommandPhase.NOT_SENT
    with pytest.raises(OpenZones) as refused:
        async with CommandTimeline("arm") as timeline:
            timeline.sending()
            raise OpenZones("Front door open", zones=("Front door",), can_force=True)
    result = result_for_error(refused.value)
    assert result.phase is CommandPhase.FAILED and result.error is refused.value


async def test_follow_until_deadline_and_progress() -> None:
    seen: list[CommandProgress] = []
    clock = FakeClock()  # each poll takes 0.02 s of its time: no real-clock window under load
    timeline = CommandTimeline("arm away", seen.append, clock=clock)
    timeline.sending()
    answers = iter([None, ProtocolError("garbled"), None])

    async def check() -> None:
        clock.now += 0.02
        answer = next(answers, None)
        if isinstance(answer, Exception):
            raise answer

    result = await timeline.follow(check, deadline=0.05, interval=0.001)
    assert result.phase is CommandPhase.UNKNOWN and "garbled" in result.message
    assert [p.phase for p in seen][:2] == [CommandPhase.SENT, CommandPhase.WAITING]
    assert seen[-1].elapsed > 0.04  # real elapsed time, not 0.0
    # Once it may have left, NOT_SENT is never reported.
    assert timeline.result(CommandPhase.NOT_SENT, "x").phase is CommandPhase.UNKNOWN


def test_combine_partition_outcomes() -> None:
    both = combine([PartitionOutcome("1", CommandPhase.CONFIRMED), PartitionOutcome("2", CommandPhase.CONFIRMED)])
    assert both.phase is CommandPhase.CONFIRMED
    mixed = combine(
        [PartitionOutcome("1", CommandPhase.CONFIRMED), PartitionOutcome("2", CommandPhase.FAILED, "not ready")],
        names={"1": "House", "2": "Garage"},
    )
    assert mixed.phase is CommandPhase.FAILED
    assert mixed.message == "House: done; Garage: refused (not ready)"
    assert len(mixed.partitions) == 2


def test_phase_aliases_stay_compatible() -> None:
    assert CommandPhase.DONE is CommandPhase.CONFIRMED and CommandPhase.DONE.value == "done"
    assert CommandPhase.NOT_SENT.finished and not CommandPhase.NOT_SENT.may_have_left
    assert isinstance(CommandRejected("x"), Exception)


# --------------------------------------------------------------------------- wire


def test_wire_accessors() -> None:
    assert as_text(7, "x") == "7" and as_text(None, "x") == "" and as_text({"#text": "a\x00b"}, "x") == "ab"
    assert as_int("12", "x") == 12 and as_int(None, "x", default=None) is None
    assert as_bool("true", "x") is True and as_bool(0, "x") is False
    assert as_list(None) == [] and as_list({"a": 1}) == [{"a": 1}]
    for bad in (
        lambda: as_int("x", "f"),
        lambda: as_int(True, "f"),
        lambda: as_text([], "f"),
        lambda: require_mapping([], "f"),
        lambda: require_list({}, "f"),
        lambda: as_bool("maybe", "f"),
        lambda: as_int(None, "f"),
        lambda: as_text("", "f", required=True),
    ):
        with pytest.raises(ProtocolError, match="f"):
            bad()


# --------------------------------------------------------------------------- the settled rule


def test_an_exit_delay_is_accepted_not_settled() -> None:
    from datetime import UTC, datetime, timedelta

    from alarmtui.domain import Partition, PartitionState

    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    arming = Partition("1", "House", PartitionState.ARMING, exit_delay_until=now + timedelta(seconds=30))
    result = CommandTimeline("arm away").confirmed_by(arming, now=now)
    assert result.phase is CommandPhase.CONFIRMED and not result.settled
    assert result.message == "accepted — House arming, exit delay 30 s"
    entry = Partition("1", "House", PartitionState.PENDING, entry_delay=True)
    assert CommandTimeline("disarm").confirmed_by(entry).settled  # an entry delay is no exit delay
    armed = Partition("1", "House", PartitionState.ARMED_HOME, detail="home + perimeter")
    done = CommandTimeline("arm home").confirmed_by(armed)
    assert done.settled and done.ok and done.state == "home + perimeter"
    assert CommandTimeline("arm").arming("Garage", None).message == "accepted — Garage arming"
