"""A link failure the user must act on is pushed by its error kind, not by its hint text: My Pages' daily block
and its step-up limit have hints of their own and still notify as what they are, not as "Offline"."""

from __future__ import annotations

import pytest

from alarmtui.domain.updates import LinkState, ProviderStatus, StatusUpdate
from alarmtui.notify.notifier import Notifier, Target
from alarmtui.providers.errors import AuthenticationFailed, ConnectionFailed, LoginPaused, ProviderError, TwoFactorRequired
from alarmtui.providers.mypages.mapping import error_for
from tests.notify.test_notifier import Receiver, notifier_for, receiver  # noqa: F401  (fixture)


def failing(error: ProviderError) -> StatusUpdate:
    """The status the poller emits for `error` (its class names, most specific first, as `Poller` builds them)."""
    kinds = tuple(c.__name__ for c in type(error).__mro__ if issubclass(c, ProviderError))
    status = ProviderStatus("hus", "mypages", LinkState.OFFLINE, reason=error.message, hint=error.hint, error_kinds=kinds)
    return StatusUpdate("hus", status)


def online() -> StatusUpdate:
    return StatusUpdate("hus", ProviderStatus("hus", "mypages", LinkState.ONLINE))


def blocked() -> ProviderError:
    found = error_for(403, "AUT_00021", "user blocked", what="reading the state", provider="hus")
    assert found is not None
    return found


def too_many_codes() -> ProviderError:
    found = error_for(400, "ACC_00002", "too many step up tokens", what="logging in", provider="hus")
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("error", "kind", "headline"),
    [
        (blocked, "login_refused", "Blocked by the vendor"),
        (too_many_codes, "login_refused", "Too many verification codes"),
        (lambda: AuthenticationFailed("login refused: wrong password", provider="hus"), "login_refused", "Login refused"),
        (lambda: LoginPaused("login paused after a refusal", provider="hus"), "login_refused", "Login refused"),
        (lambda: TwoFactorRequired("a code is needed", provider="hus"), "login_refused", "Verification code needed"),
        (lambda: ConnectionFailed("cannot reach the server", provider="hus"), "offline", "Offline"),
    ],
)
async def test_a_link_failure_is_pushed_as_its_kind(
    receiver: Receiver,  # noqa: F811
    error: object,
    kind: str,
    headline: str,
) -> None:
    other = "offline" if kind == "login_refused" else "login_refused"
    wanted = await notifier_for(Target(receiver.url("wanted"), frozenset({kind})))
    notifier: Notifier = wanted
    notifier.feed(online())
    notifier.feed(failing(error()))  # type: ignore[operator]
    await notifier.idle()
    posts = await receiver.wait_posts(1)
    assert posts[0]["title"] == f"{headline} — hus"
    await notifier.close()
    # A target that asked only for the other kind hears nothing of it.
    quiet = await notifier_for(Target(receiver.url("quiet"), frozenset({other})))
    quiet.feed(online())
    quiet.feed(failing(error()))  # type: ignore[operator]
    await quiet.idle()
    assert len(receiver.posts) == 1
    await quiet.close()
