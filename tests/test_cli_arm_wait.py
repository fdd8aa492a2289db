"""`alarmtui arm` says "armed" only once the panel does: `--wait` follows the exit delay, `--no-wait` says
"accepted", and a multi-partition command with some partitions done and others refused exits 8.

In-process, standalone and through a real service (in a thread of this process, on a real socket), against the
real simulators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alarmtui.cli import main
from alarmtui.demo import DemoEnvironment
from alarmtui.headless import Exit
from alarmtui.settings import write_config
from tests.helpers import ServiceThread, cli
from tests.service.conftest import service_env, short_dir  # noqa: F401  (fixtures)

EXIT_DELAY = 1.5
"""Long enough that the first read after the command sees the exit delay, short enough for a test."""


@pytest.fixture
def clouds() -> Iterator[DemoEnvironment]:
    env = DemoEnvironment.start(kinds=("visonic", "mios"), life=False, fast=True, otp=False)

    def slow_exit() -> None:
        for kind in ("visonic", "mios"):
            for panel in env.host.cloud(kind).panels:  # type: ignore[attr-defined]
                panel.exit_delay = EXIT_DELAY

    env.host.call(slow_exit)
    try:
        yield env
    finally:
        env.stop()


@pytest.fixture
def config(clouds: DemoEnvironment, short_dir: Path, service_env: dict[str, str]) -> Path:
    tables = clouds.host.provider_tables()
    for table in tables:
        table["poll_interval"] = 300.0  # the service would not look again by itself for minutes
    path = short_dir / "config.toml"
    write_config(path, tables)
    return path


def house(clouds: DemoEnvironment) -> object:
    return clouds.host.cloud("visonic").panels[0].partitions["1"]  # type: ignore[attr-defined]


def arm_in_process(config: Path, *options: str) -> int:
    return main(
        ["arm", "away", "--provider", "powermaster", "--partition", "1", *options, "--standalone", "--config", str(config)]
    )


def test_without_waiting_an_arm_in_its_exit_delay_is_accepted_not_done(
    clouds: DemoEnvironment, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert arm_in_process(config, "--no-wait") == Exit.OK
    out = capsys.readouterr().out
    assert "accepted — House arming, exit delay" in out
    assert "done" not in out and "armed away" not in out


def test_waiting_follows_the_exit_delay_and_exits_0_once_armed(
    clouds: DemoEnvironment, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert arm_in_process(config, "--wait") == Exit.OK
    captured = capsys.readouterr()
    assert "waiting for the panel" in captured.err
    assert "armed — armed away" in captured.out
    assert clouds.host.call(lambda: house(clouds).phase.value) == "armed"  # type: ignore[attr-defined]


def test_waiting_exits_1_when_the_panel_never_arms(
    clouds: DemoEnvironment, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    panel = clouds.host.cloud("visonic").panels[0]  # type: ignore[attr-defined]
    original = panel.advance
    done: list[bool] = []

    def disarm_at_the_end() -> None:  # someone disarms at the keypad as the exit delay ends
        original()
        if panel.partitions["1"].phase.value == "armed" and not done:
            done.append(True)
            panel.disarm(["1"], user="Keypad")

    clouds.host.call(lambda: setattr(panel, "advance", disarm_at_the_end))
    code = arm_in_process(config, "--wait")
    captured = capsys.readouterr()
    assert code == Exit.FAILED, captured
    assert "not armed" in captured.err


def test_a_partial_multi_partition_arm_exits_8_in_process(
    clouds: DemoEnvironment, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garage_door_open(clouds)
    code = main(["arm", "away", "--provider", "vera", "--no-wait", "--standalone", "--config", str(config)])
    captured = capsys.readouterr()
    assert code == Exit.PARTIAL == 8, captured
    assert "accepted for 41 — House arming" in captured.out  # its exit delay runs: not "done" yet
    assert "done" not in captured.out
    assert "Garage Door" in captured.err


def test_a_partial_multi_partition_arm_exits_8_through_the_service(
    clouds: DemoEnvironment, config: Path, service_env: dict[str, str], short_dir: Path
) -> None:
    proc = ServiceThread(config, short_dir / "service.log", service_env).start().wait_first_state()
    try:
        garage_door_open(clouds)
        result = cli("arm", "away", "--provider", "vera", "--no-wait", "--config", str(config), env=service_env)
        assert result.returncode == 8, (result, proc.log.read_text())
        assert "accepted for 41 — House arming" in result.stdout and "Garage Door" in result.stderr
    finally:
        assert proc.terminate() == 0


def test_arm_wait_through_the_service_is_armed_after_the_exit_delay(
    clouds: DemoEnvironment, config: Path, service_env: dict[str, str], short_dir: Path
) -> None:
    """The service polls every 300 s: the view still sees "armed" right after the delay (it asks for a read)."""
    proc = ServiceThread(config, short_dir / "service.log", service_env).start().wait_first_state()
    try:
        env = {**service_env}
        result = cli("arm", "away", "--provider", "powermaster", "--partition", "1", "--wait", "--config", str(config), env=env)
        assert result.returncode == 0, result
        assert "armed — armed away" in result.stdout
        accepted = cli("disarm", "--provider", "powermaster", "--partition", "1", "--config", str(config), env=env)
        assert accepted.returncode == 0, accepted
        no_wait = cli("arm", "away", "--provider", "powermaster", "--partition", "1", "--config", str(config), env=env)
        assert no_wait.returncode == 0, no_wait  # not a terminal: no waiting by default
        assert "accepted — House arming, exit delay" in no_wait.stdout
    finally:
        assert proc.terminate() == 0


def garage_door_open(clouds: DemoEnvironment) -> None:
    panel = clouds.host.cloud("mios").panels[0]  # type: ignore[attr-defined]
    clouds.host.call(lambda: setattr(panel.zones["5"], "open", True))


def test_the_exit_codes_are_documented() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for code in Exit:
        assert f"| {int(code)} |" in readme, f"exit code {int(code)} ({code.name}) is not in the README's table"
