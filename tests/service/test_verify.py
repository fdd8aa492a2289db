"""Validating the service's Securitas session by SMS from a view attached to it (dashboard or `alarmtui login`).

The Securitas simulator wants this device validated and "texts" codes into
`sent_codes`; the service holds the provider, the view only relays the phone and
the code, each inside one request. The codes never reach the service's log.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList

from alarmtui.demo import DemoEnvironment
from alarmtui.domain.updates import LinkState
from alarmtui.engine.attached.engine import AttachedEngine
from alarmtui.engine.attached.find import find_service
from alarmtui.settings import load_settings, write_config
from alarmtui.ui.app import create_app
from alarmtui.ui.screens.otp import OtpScreen
from tests.helpers import CliThread, ServiceThread, cli, until_sync
from tests.helpers import until_pilot as until

PATIENT = itertools.count(0.0, 1.0).__next__  # the dialogs' input guard: a second between readings


@pytest.fixture
def securitas() -> Iterator[DemoEnvironment]:
    env = DemoEnvironment.start(kinds=("securitas",), life=False, fast=True, otp=True)
    env.host.call(setattr, env.host.cloud("securitas"), "demo_sms", False)  # the code only in `sent_codes`, as by SMS
    try:
        yield env
    finally:
        env.stop()


@pytest.fixture
def verify_service(
    securitas: DemoEnvironment, short_dir: Path, service_env: dict[str, str]
) -> Iterator[tuple[ServiceThread, Path]]:
    (table,) = securitas.host.provider_tables()
    table.update(poll_interval=2.0, request_budget=20000, request_gap=0.02)
    config = short_dir / "securitas.toml"
    write_config(config, [table])
    proc = ServiceThread(config, short_dir / "service.log", service_env).start()
    try:
        yield proc, config
    finally:
        if proc.running():
            assert proc.terminate() == 0


def service_status(service: ServiceThread, provider: str) -> object:
    """What the service last reported about `provider`'s link (its `/v1/state`)."""
    from alarmtui.engine.attached.quick import get_json

    answer = get_json(service.socket, "/v1/state")
    assert answer is not None and answer[0] == 200, answer
    return [u["status"] for u in answer[1]["updates"] if u["type"] == "status" and u["provider"] == provider]


def sent_codes(env: DemoEnvironment) -> list[str]:
    cloud = env.host.cloud("securitas")
    return env.host.call(lambda: list(cloud.sent_codes))  # type: ignore[attr-defined]


async def test_attached_dashboard_validates_the_service_session_by_sms(
    securitas: DemoEnvironment, verify_service: tuple[ServiceThread, Path]
) -> None:
    service, config = verify_service
    target = await asyncio.to_thread(find_service, config)
    assert target is not None
    engine = AttachedEngine.from_hello(target.socket, target.hello)
    app = create_app(load_settings(config).settings, engine=engine, guard_clock=PATIENT)
    async with app.run_test(size=(120, 40)) as pilot:
        # Pushed is not yet composed: wait for its fields too.
        await until(pilot, lambda: isinstance(app.screen, OtpScreen) and app.screen.query("#otp-code"), what="the SMS dialog")
        assert app.pollers is None  # the provider lives in the service
        screen = app.screen
        code_field = screen.query_one("#otp-code", Input)
        assert "***456" in str(screen.query_one("#otp-phones", OptionList).get_option_at_index(0).prompt)

        await pilot.press("enter")  # text a code to the first phone, through the service
        await until(pilot, lambda: not code_field.disabled, what="the code field")
        first = sent_codes(securitas)[-1]
        wrong = "000000" if first != "000000" else "111111"
        await pilot.press(*wrong, "enter")
        await until(pilot, lambda: code_field.disabled, what="the wrong code to be refused")
        assert "wrong code" in str(screen.query_one("#otp-status").render())  # the vendor's refusal, in the dialog
        assert isinstance(app.screen, OtpScreen)  # still open, asking for a new code

        await pilot.press("enter")  # a new code (the old challenge is spent)
        await until(pilot, lambda: not code_field.disabled, what="the code field again")
        right = sent_codes(securitas)[-1]
        await pilot.press(*right, "enter")
        await until(pilot, lambda: not isinstance(app.screen, OtpScreen), what="the dialog to close")
        await until(
            pilot,
            lambda: app.views["hogar"].status.state is LinkState.ONLINE and app.views["hogar"].snapshot,
            what="online via the service",
        )

    log = service.log.read_text()
    assert "device verification code" in log  # the steps are logged …
    for code in (first, wrong, right):
        assert code not in log  # … the codes never
    cloud = securitas.host.cloud("securitas")
    assert securitas.host.call(lambda: len(cloud.accounts["demo@example.com"].devices)) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("slow_typist", [False, True], ids=["quick", "service-retried-meanwhile"])
def test_login_while_the_service_runs_validates_the_service_session(
    securitas: DemoEnvironment, verify_service: tuple[ServiceThread, Path], service_env: dict[str, str], slow_typist: bool
) -> None:
    service, config = verify_service
    status = cli("status", "--config", str(config), env=service_env)
    assert status.returncode == 3 and "run `alarmtui login hogar`" in status.stderr  # answered by the service
    login = CliThread("login", "hogar", "--config", str(config), env=service_env)
    before = len(sent_codes(securitas))
    login.type("2")
    until_sync(lambda: len(sent_codes(securitas)) > before or login.poll() is not None, 30, "an SMS")
    assert login.poll() is None, "login ended before an SMS was sent"
    code = sent_codes(securitas)[-1]
    if slow_typist:  # meanwhile the service goes on reporting the SMS step (its retries, its request counts)
        reported = service_status(service, "hogar")
        until_sync(lambda: service_status(service, "hogar") != reported, 30, "a new status from the service's retries")
    login.type(code)
    result = login.wait(60)
    out, err = result.stdout, result.stderr
    assert result.returncode == 0, err
    assert "***789" in out and "validated" in out
    log = service.log.read_text()
    assert "a view sent a device verification code" in log  # through the service, not a session of its own
    assert code not in out + err + log
    # The service's own session is the one validated: status answers from it, online.
    status = cli("status", "--json", "--config", str(config), env=service_env)
    assert status.returncode == 0, status.stderr
    assert '"online": true' in status.stdout


def test_verification_route_refuses_what_is_not_a_code(verify_service: tuple[ServiceThread, Path]) -> None:
    from alarmtui.engine.attached.client import ServiceClient

    service, _ = verify_service

    async def ask() -> list[tuple[int, dict[str, Any]]]:
        async with ServiceClient(service.socket) as client:
            return [
                await client.verification("hogar", "code", {"code": "12<b>"}),
                await client.verification("nobody", "send", {"phone": "1"}),
            ]

    (bad, bad_body), (unknown, _) = asyncio.run(ask())
    assert bad == 400 and "digits" in bad_body["message"]
    assert unknown == 400


def test_login_through_the_service_without_sms_retries_its_session_once(short_dir: Path, service_env: dict[str, str]) -> None:
    """No SMS step: `login` says the service is logged in, or has it try once more and reports the refusal (exit 3)."""
    env = DemoEnvironment.start(kinds=("visonic",), life=False, fast=True)
    try:
        (good,) = env.host.provider_tables()
        good.update(poll_interval=2.0, request_budget=20000)
        refused = {**good, "name": "refused", "username": "nobody@example.com"}
        config = short_dir / "visonic.toml"
        write_config(config, [good, refused])
        service = ServiceThread(config, short_dir / "visonic.log", service_env).start()
        try:
            cloud = env.host.cloud("visonic")
            logins = lambda: sum(1 for m, p in env.host.call(lambda: list(cloud.requests)) if p.endswith("/auth"))  # noqa: E731
            ok = cli("login", "powermaster", "--config", str(config), env=service_env)
            assert ok.returncode == 0, ok.stderr
            assert "powermaster: logged in" in ok.stdout
            before = logins()
            again = cli("login", "refused", "--config", str(config), env=service_env)
            assert again.returncode == 3, again.stderr
            assert "alarmtui: refused: wrong email or password" in again.stderr and "press r" not in again.stderr
            assert logins() == before + 1  # the service's session tried once more, as asked; nothing else logged in
        finally:
            assert service.terminate() == 0
    finally:
        env.stop()


async def test_expired_code_and_rate_limit_come_back_as_the_providers_errors(
    securitas: DemoEnvironment, verify_service: tuple[ServiceThread, Path]
) -> None:
    """What the dialog shows: the service's refusal arrives as the same error class, with the vendor's words."""
    from alarmtui.providers.errors import RateLimited, TwoFactorRequired

    service, config = verify_service
    target = await asyncio.to_thread(find_service, config)
    assert target is not None
    engine = AttachedEngine.from_hello(target.socket, target.hello)
    await engine.start()
    cloud = securitas.host.cloud("securitas")
    try:
        assert await engine.wait_attached(10)
        deadline = time.monotonic() + 20
        while not engine.states["hogar"].status.two_factor:
            assert time.monotonic() < deadline, "the service never asked for a code"
            await asyncio.sleep(0.05)
        verifier = engine.device_verifier("hogar")
        assert verifier is not None and verifier.name == "hogar"

        securitas.host.call(lambda: cloud.faults.add("mkSendOTP", status=429, body="slow down", times=1))
        with pytest.raises(RateLimited) as limited:
            await verifier.send_verification_code("1")
        assert "rate limit" in limited.value.message or "too many requests" in limited.value.message

        assert "SMS sent" in await verifier.send_verification_code("1")
        code = sent_codes(securitas)[-1]
        securitas.host.call(setattr, cloud, "otp_lifetime", 0.0)  # the code is stale by the time it is typed
        with pytest.raises(TwoFactorRequired) as expired:
            await verifier.verify_device(code)
        assert "expired" in expired.value.message and expired.value.phones  # the dialog offers the phones again
    finally:
        await engine.close()
    assert code not in service.log.read_text()
