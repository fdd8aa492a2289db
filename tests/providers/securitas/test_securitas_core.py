"""Securitas on the shared core: the login gate, the follow loop, partial failures (issues 16, 17)."""

from __future__ import annotations

import dataclasses

import pytest

from alarmtui.domain import ArmMode, CommandPhase, PartitionState, TroubleKind
from alarmtui.providers.errors import AuthenticationFailed, LoginPaused
from tests.providers.securitas.conftest import Sim
from tests.providers.securitas.test_securitas_minimal import (  # noqa: F401  (scripted is a fixture)
    ARM_OK,
    ARM_SUBMIT,
    ARM_WAIT,
    STATUS,
    base_replies,
    scripted,
)

GARBLED = [
    b'{"data": {"xSArmStatus": ',  # cut off
    b'{"data": {"xSArmStatus": [1, 2, 3]}}',  # the wrong shape
    b"<html>gateway</html>",  # not JSON at all
]


@pytest.mark.parametrize("body", GARBLED, ids=["truncated", "wrong-shape", "html"])
async def test_a_garbled_reply_while_following_an_arm_is_unknown_not_raised(sim: Sim, fast_pacing, body: bytes) -> None:
    provider = sim.provider(pacing=dataclasses.replace(fast_pacing, poll_timeout=0.3))
    await provider.connect()
    await provider.snapshot()
    sim.cloud.faults.add("ArmStatus", body=body, content_type="application/json", times=10_000)
    result = await provider.arm(ArmMode.AWAY)
    assert result.phase is CommandPhase.UNKNOWN, result
    assert "re-read" in result.message
    assert sim.count("xSArmPanel") == 1  # followed, never re-sent
    await provider.close()


async def test_the_login_gate_holds_a_refused_password_until_the_user_asks(sim: Sim) -> None:
    provider = sim.provider(sim.config(password="wrong"))
    assert provider.login_gate is provider.client.gate
    with pytest.raises(AuthenticationFailed):
        await provider.connect()
    with pytest.raises(LoginPaused):
        await provider.snapshot()
    assert sim.count("mkLoginToken") == 1 and provider.login_gate.paused
    provider.allow_login()  # the r key / `alarmtui login`: exactly one more attempt
    with pytest.raises(AuthenticationFailed) as caught:
        await provider.connect()
    assert not isinstance(caught.value, LoginPaused)
    assert sim.count("mkLoginToken") == 2
    await provider.close()


async def test_a_submit_without_reference_is_unknown_then_the_panels_state(sim: Sim) -> None:
    provider = sim.provider()
    await provider.connect()
    await provider.snapshot()
    sim.cloud.faults.add(
        "xSArmPanel",
        body='{"data":{"xSArmPanel":{"res":"OK","msg":"alarm-manager.processed.request","referenceId":null}}}',
        content_type="application/json",
    )
    result = await provider.arm(ArmMode.AWAY)
    assert result.phase is CommandPhase.UNKNOWN, result  # never "failed": the server took it
    assert "re-reading" in result.message and "disarmed" in result.message
    assert sim.count("ArmStatus") == 0 and sim.count("xSArmPanel") == 1
    await provider.close()


async def test_a_failing_device_list_turns_zones_off_with_a_notice_not_the_provider(sim: Sim) -> None:
    provider = sim.provider()
    sim.cloud.faults.add("xSDeviceList", status=500, times=2)
    await provider.connect()
    snapshot = await provider.snapshot()
    assert snapshot.online and snapshot.partitions[0].state is PartitionState.DISARMED
    assert snapshot.zones == ()
    notice = next(t for t in snapshot.troubles if t.id == "securitas:device-list")
    assert notice.kind is TroubleKind.OTHER and "device list" in notice.text
    assert (await provider.arm(ArmMode.AWAY)).ok  # arm and disarm keep working
    sim.cloud.faults.clear()
    refreshed = await provider.snapshot(refresh=True)  # an explicit refresh tries the list again
    assert refreshed.zones and not any(t.id == "securitas:device-list" for t in refreshed.troubles)
    await provider.close()


async def test_an_arm_in_its_exit_delay_is_accepted_not_settled(scripted) -> None:  # noqa: ANN001
    """The panel's services say it has a 60 s exit delay (§3.2 genericConfig): "armed" is not said yet."""
    replies = base_replies()
    replies["Srv"] = [
        replies["Srv"][0].replace(
            '"genericConfig": null', '"genericConfig": {"total": 1, "attributes": [{"key": "exitTime60", "value": "60"}]}'
        )
    ]
    replies.update({"Status": [STATUS.replace('"T"', '"D"')], "xSArmPanel": [ARM_SUBMIT], "ArmStatus": [ARM_WAIT, ARM_OK]})
    _, provider = await scripted(replies)
    await provider.connect()
    await provider.snapshot()
    result = await provider.arm(ArmMode.AWAY)
    assert result.phase is CommandPhase.CONFIRMED and not result.settled
    assert result.message == "accepted — Home arming, exit delay 60 s"
    assert "armed" not in result.state
    await provider.close()


async def test_an_arm_without_exit_delay_is_settled(scripted) -> None:  # noqa: ANN001
    replies = base_replies()
    replies.update({"Status": [STATUS.replace('"T"', '"D"')], "xSArmPanel": [ARM_SUBMIT], "ArmStatus": [ARM_OK]})
    _, provider = await scripted(replies)
    await provider.connect()
    await provider.snapshot()
    result = await provider.arm(ArmMode.AWAY)
    assert result.ok and result.settled and result.message == "away"
    await provider.close()
