"""The code typed in Home Assistant, checked by the bridge against a real engine over the simulated Visonic cloud."""

from __future__ import annotations

import asyncio
import json
import time

from alarmtui.bridges.mqtt import WRONG_CODES_ALLOWED, MqttBridge
from alarmtui.demo import DemoEnvironment
from alarmtui.engine.inprocess import InProcessEngine


def set_state_posts(demo: DemoEnvironment) -> int:
    return sum(1 for method, path in demo.host.cloud("visonic").requests if method == "POST" and path.endswith("/set_state"))  # type: ignore[attr-defined]


async def until(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        await asyncio.sleep(0.02)


async def test_wrong_codes_lock_out_mqtt_commands_for_a_while_and_nothing_reaches_the_panel() -> None:
    demo = DemoEnvironment.start(kinds=("visonic",), life=False, fast=True)
    engine = InProcessEngine(demo.settings, enforce_budget=False)
    clock = [1000.0]
    bridge = MqttBridge(engine, url="mqtt://127.0.0.1:1", codes={"powermaster": "1234"}, base_topic="t", clock=lambda: clock[0])
    try:
        await engine.start()  # the bridge is not started: no broker is needed to check codes
        await until(lambda: engine.states["powermaster"].snapshot is not None)
        found = bridge.discovery_for("powermaster")
        assert found is not None
        topic = next(t for t, (kind, _) in found.commands.items() if kind == "partition")
        before = set_state_posts(demo)
        for _ in range(WRONG_CODES_ALLOWED):
            bridge.command(topic, json.dumps({"action": "ARM_AWAY", "code": "0000"}))
        bridge.command(topic, json.dumps({"action": "ARM_AWAY", "code": "1234"}))  # right, but too late
        reasons = [json.loads(payload)["message"] for _, payload in bridge.take_results()]
        assert reasons == ["wrong code"] * WRONG_CODES_ALLOWED + [reasons[-1]] and "too many wrong codes" in reasons[-1]
        assert set_state_posts(demo) == before

        clock[0] += 601  # the window has passed: the right code works, once
        bridge.command(topic, json.dumps({"action": "ARM_AWAY", "code": "1234"}))
        await until(
            lambda: (engine.states["powermaster"].command or None) is not None and engine.states["powermaster"].command.finished
        )  # type: ignore[union-attr]
        assert engine.states["powermaster"].command.result.ok  # type: ignore[union-attr]
        assert set_state_posts(demo) == before + 1
    finally:
        await bridge.close()
        await engine.close()
        demo.stop()
