"""`alarmtui listen --json` says what the panel did: an arm the panel took into its exit delay is
"accepted — House arming, exit delay N s" (state `accepted`), never "done", and "armed" only from the panel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alarmtui.demo import DemoEnvironment
from alarmtui.domain import CommandPhase, CommandResult
from alarmtui.listen import outcome_sentence, outcome_state
from alarmtui.settings import write_config
from tests.helpers import ListenThread, ServiceThread, cli
from tests.service.conftest import service_env, short_dir  # noqa: F401  (fixtures)

EXIT_DELAY = 3.0
"""Long enough that the read right after the command sees the exit delay."""


@pytest.fixture
def slow_exit() -> Iterator[DemoEnvironment]:
    env = DemoEnvironment.start(kinds=("visonic",), life=False, fast=True, otp=False)

    def set_delay() -> None:
        for panel in env.host.cloud("visonic").panels:  # type: ignore[attr-defined]
            panel.exit_delay = EXIT_DELAY

    env.host.call(set_delay)
    try:
        yield env
    finally:
        env.stop()


def test_an_arm_in_its_exit_delay_is_accepted_then_armed_by_the_panel(
    slow_exit: DemoEnvironment, short_dir: Path, service_env: dict[str, str]
) -> None:
    tables = slow_exit.host.provider_tables()
    for table in tables:
        table["poll_interval"] = 300.0
    config = short_dir / "config.toml"
    write_config(config, tables)
    service = ServiceThread(config, short_dir / "service.log", service_env).start().wait_first_state()
    try:
        listener = ListenThread("--json", "--config", str(config), env=service_env).start()
    except BaseException:
        service.stop()
        raise
    try:
        armed = cli(
            "arm", "away", "--provider", "powermaster", "--partition", "1", "--no-wait", "--config", str(config), env=service_env
        )
        assert armed.returncode == 0, armed
        seen = listener.until_line(lambda e: e["type"] == "command" and e["state"] != "sent")
        outcome = seen[-1]
        assert outcome["state"] == "accepted", outcome
        assert "accepted — House arming, exit delay" in outcome["text"], outcome
        assert "done" not in outcome["text"] and "armed away" not in outcome["text"]
        assert not any(e["type"] == "state" and e["state"] == "armed_away" for e in seen)
        # The panel's own "armed" comes after the delay, from the read the engine schedules for its end.
        later = listener.until_line(lambda e: e["type"] == "state" and e["state"] == "armed_away", timeout=EXIT_DELAY + 20)
        assert later[-1]["partition"] == "House"
    finally:
        assert listener.stop() == 0
        assert service.terminate() == 0


def test_outcome_words_for_each_phase() -> None:
    accepted = CommandResult(CommandPhase.CONFIRMED, "House arming, exit delay 30 s", 0.9, settled=False)
    assert (outcome_state(accepted), outcome_sentence(accepted)) == ("accepted", "accepted — House arming, exit delay 30 s")
    done = CommandResult(CommandPhase.CONFIRMED, "", 0.9, state="armed away")
    assert (outcome_state(done), outcome_sentence(done)) == ("done", "done — armed away")
    refused = CommandResult(CommandPhase.FAILED, "failed: zone open: Kitchen door", 1.0)
    assert (outcome_state(refused), outcome_sentence(refused)) == ("failed", "failed: zone open: Kitchen door")
