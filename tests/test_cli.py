"""Headless commands, end to end: real processes, real simulators, real config files."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alarmtui.cli import Exit, main
from tests.helpers import run_cli

KINDS = ("verisure", "visonic", "mios")
DEMO_NAMES = {"verisure": "casa", "visonic": "powermaster", "mios": "vera"}


@pytest.fixture(scope="module")
def sim_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`alarmtui sim --tls --write-config` in another process, as a user would run it."""
    directory = tmp_path_factory.mktemp("sim")
    config = directory / "sim.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "alarmtui", "sim", "--tls", "--write-config", str(config), "--kinds", ",".join(KINDS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not config.exists() and time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"alarmtui sim exited: {process.stderr.read()}")  # type: ignore[union-attr]
            time.sleep(0.1)
        assert config.exists(), "alarmtui sim did not write its config"
        time.sleep(0.2)
        yield config
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_sim_writes_private_config_with_ca(sim_config: Path) -> None:
    text = sim_config.read_text()
    assert sim_config.stat().st_mode & 0o777 == 0o600
    assert text.count("[[providers]]") == 3
    assert "ca_file" in text and "https://127.0.0.1:" in text
    assert (sim_config.parent / "alarmtui-sim-ca.pem").exists()


@pytest.mark.e2e  # a real subprocess smoke test
def test_status_json_against_sim_process(sim_config: Path) -> None:
    result = run_cli("status", "--json", "--config", str(sim_config))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    by_kind = {p["kind"]: p for p in body["providers"]}
    assert set(by_kind) == set(KINDS)
    for entry in body["providers"]:
        assert entry["online"] is True and entry["error"] is None
        assert {"partitions", "zones", "troubles", "users"} <= entry.keys()
        for partition in entry["partitions"]:
            assert {"id", "name", "state", "detail", "ready"} <= partition.keys()
            assert partition["state"] == "disarmed"
        for zone in entry["zones"]:
            assert {"id", "name", "kind", "open", "bypassed", "camera"} <= zone.keys()
    assert len(by_kind["visonic"]["partitions"]) == 3
    assert len(by_kind["mios"]["partitions"]) == 2
    assert any(z["camera"] for z in by_kind["verisure"]["zones"])


@pytest.mark.parametrize("kind", KINDS)
def test_arm_then_status_then_disarm_against_sim_process(sim_config: Path, kind: str) -> None:
    name = DEMO_NAMES[kind]
    # A Verisure installation is one partition: address the whole panel there.
    target = () if kind == "verisure" else ("--partition", "1")
    armed = run_cli("arm", "away", "--provider", name, *target, "--config", str(sim_config))
    assert armed.returncode == 0, armed.stderr
    assert "done" in armed.stdout or "accepted" in armed.stdout  # accepted: still in its exit delay
    status = json.loads(run_cli("status", "--json", "--provider", name, "--config", str(sim_config)).stdout)
    state = status["providers"][0]["partitions"][0]["state"]
    assert state in ("arming", "armed_away"), state
    disarmed = run_cli("disarm", "--provider", name, *target, "--config", str(sim_config))
    assert disarmed.returncode == 0, disarmed.stderr
    status = json.loads(run_cli("status", "--json", "--provider", name, "--config", str(sim_config)).stdout)
    assert status["providers"][0]["partitions"][0]["state"] == "disarmed"


@pytest.mark.e2e  # a real subprocess smoke test
def test_status_json_demo() -> None:
    result = run_cli("status", "--json", "--demo")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert sorted(p["kind"] for p in body["providers"]) == sorted((*KINDS, "securitas", "mypages"))


@pytest.mark.parametrize("kind", KINDS)
def test_photo_demo_writes_jpegs(tmp_path: Path, kind: str) -> None:
    status = json.loads(run_cli("status", "--json", "--demo", "--provider", DEMO_NAMES[kind]).stdout)
    camera = next(z for z in status["providers"][0]["zones"] if z["camera"])
    result = run_cli("photo", camera["id"], "--out", str(tmp_path), "--demo", "--provider", DEMO_NAMES[kind])
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.split()]
    assert paths and all(p.read_bytes()[:3] == b"\xff\xd8\xff" for p in paths)


def test_bypass_demo_by_zone_name() -> None:
    result = run_cli("bypass", "Back door", "--demo", "--provider", "powermaster")
    assert result.returncode == 0, result.stderr


def test_unsupported_mode_is_refused_clearly() -> None:
    result = run_cli("arm", "perimeter", "--demo", "--provider", "powermaster")
    assert result.returncode == Exit.FAILED
    assert "perimeter" in result.stderr.lower()


def test_command_needs_a_provider_when_several_are_configured() -> None:
    result = run_cli("disarm", "--demo")
    assert result.returncode == Exit.USAGE
    assert "--provider" in result.stderr


def test_events_json_demo() -> None:
    result = run_cli("events", "--json", "--demo", "--limit", "20")
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout)["events"]
    assert all({"id", "time", "kind", "text", "who", "provider"} <= e.keys() for e in events)


def test_wrong_password_exit_code_and_message(sim_config: Path, tmp_path: Path) -> None:
    text = sim_config.read_text().replace('password = "demo-pass"', 'password = "wrong-pass"', 1)
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    bad.chmod(0o600)
    result = run_cli("status", "--config", str(bad), "--provider", "casa")
    assert result.returncode == Exit.AUTH, result.stderr
    assert "wrong-pass" not in result.stderr + result.stdout


def test_unreachable_server(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[[providers]]\nname="x"\nkind="visonic"\nurl="https://127.0.0.1:9"\nusername="u"\npassword="p"\ncode="1"\n'
    )
    config.chmod(0o600)
    result = run_cli("status", "--config", str(config))
    assert result.returncode == Exit.UNAVAILABLE
    assert "x:" in result.stderr


def test_missing_config_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["status", "--config", str(tmp_path / "none.toml")])
    assert code == Exit.USAGE
    assert "config file not found" in capsys.readouterr().err


def test_unknown_provider_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[[providers]]\nname="x"\nkind="visonic"\nurl="https://127.0.0.1:9"\nusername="u"\npassword="p"\n')
    config.chmod(0o600)
    assert main(["status", "--config", str(config), "--provider", "nope"]) == Exit.USAGE
    assert "no provider named 'nope'" in capsys.readouterr().err
