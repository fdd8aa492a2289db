"""Headless commands against real simulators and real config files: in-process (`alarmtui.cli.main`, simulators
in a thread), and two `e2e` smoke tests with real `python -m alarmtui` processes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alarmtui import __version__
from alarmtui.cli import Exit, main
from alarmtui.demo import DemoEnvironment
from alarmtui.settings import write_config
from tests.helpers import SimProcess, cli, run_cli

KINDS = ("verisure", "visonic", "mios")
DEMO_NAMES = {"verisure": "casa", "visonic": "powermaster", "mios": "vera"}


@pytest.fixture(scope="module")
def sim_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The three clouds in a thread of this process, fast, and their config file (as `sim --write-config` writes it)."""
    env = DemoEnvironment.start(kinds=KINDS, life=False, fast=True)
    try:
        config = tmp_path_factory.mktemp("sim") / "sim.toml"
        write_config(config, env.host.provider_tables())
        yield config
    finally:
        env.stop()


def assert_status_body(body: dict[str, Any]) -> None:
    """What `status --json` prints for the three freshly started clouds."""
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


@pytest.mark.e2e  # a real subprocess smoke test: `alarmtui sim` and the commands as a user runs them
def test_sim_process_writes_a_private_config_that_status_arm_and_disarm_processes_use(tmp_path: Path) -> None:
    config = tmp_path / "sim.toml"
    sim = SimProcess(config, "--tls", "--kinds", ",".join(KINDS)).start()  # TLS: its CA file is part of the config
    try:
        text = config.read_text()
        assert config.stat().st_mode & 0o777 == 0o600
        assert text.count("[[providers]]") == 3
        assert "ca_file" in text and "https://127.0.0.1:" in text
        assert (config.parent / "alarmtui-sim-ca.pem").exists()

        status = run_cli("status", "--json", "--config", str(config))
        assert status.returncode == 0, status.stderr
        assert_status_body(json.loads(status.stdout))

        armed = run_cli("arm", "away", "--provider", "powermaster", "--partition", "1", "--config", str(config))
        assert armed.returncode == 0, armed.stderr
        assert "powermaster: accepted" in armed.stdout or "powermaster: done" in armed.stdout
        disarmed = run_cli("disarm", "--provider", "powermaster", "--partition", "1", "--config", str(config))
        assert disarmed.returncode == 0, disarmed.stderr
        house = next(p for p in sim.panels("visonic")[0]["partitions"] if p["id"] == "1")
        assert house["phase"] == "disarmed"
    finally:
        sim.stop()


def test_status_json_against_the_simulators(sim_config: Path) -> None:
    result = cli("status", "--json", "--config", str(sim_config))
    assert result.returncode == 0, result.stderr
    assert_status_body(json.loads(result.stdout))


@pytest.mark.parametrize("kind", KINDS)
def test_arm_then_status_then_disarm_against_the_simulators(sim_config: Path, kind: str) -> None:
    name = DEMO_NAMES[kind]
    # A Verisure installation is one partition: address the whole panel there.
    target = () if kind == "verisure" else ("--partition", "1")
    armed = cli("arm", "away", "--provider", name, *target, "--config", str(sim_config))
    assert armed.returncode == 0, armed.stderr
    assert "done" in armed.stdout or "accepted" in armed.stdout  # accepted: still in its exit delay
    status = json.loads(cli("status", "--json", "--provider", name, "--config", str(sim_config)).stdout)
    state = status["providers"][0]["partitions"][0]["state"]
    assert state in ("arming", "armed_away"), state
    disarmed = cli("disarm", "--provider", name, *target, "--config", str(sim_config))
    assert disarmed.returncode == 0, disarmed.stderr
    status = json.loads(cli("status", "--json", "--provider", name, "--config", str(sim_config)).stdout)
    assert status["providers"][0]["partitions"][0]["state"] == "disarmed"


@pytest.mark.e2e  # a real subprocess smoke test
def test_status_json_demo() -> None:
    result = run_cli("status", "--json", "--demo")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert sorted(p["kind"] for p in body["providers"]) == sorted((*KINDS, "securitas", "mypages"))


@pytest.mark.e2e  # a real subprocess smoke test: the installed entry point answers without any config
def test_version_and_help_processes() -> None:
    version = run_cli("--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"alarmtui {__version__}"
    helped = run_cli("--help")
    assert helped.returncode == 0, helped.stderr
    assert all(word in helped.stdout for word in ("status", "arm", "disarm", "serve", "listen", "sim"))


def test_version_and_help_in_process() -> None:
    assert cli("--version").stdout.strip() == f"alarmtui {__version__}"
    helped = cli("--help")
    assert helped.returncode == 0
    assert all(word in helped.stdout for word in ("status", "arm", "disarm", "serve", "listen", "sim"))
    unknown = cli("frobnicate")
    assert unknown.returncode == Exit.USAGE and "invalid choice" in unknown.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_photo_demo_writes_jpegs(tmp_path: Path, kind: str) -> None:
    status = json.loads(cli("status", "--json", "--demo", "--provider", DEMO_NAMES[kind]).stdout)
    camera = next(z for z in status["providers"][0]["zones"] if z["camera"])
    result = cli("photo", camera["id"], "--out", str(tmp_path), "--demo", "--provider", DEMO_NAMES[kind])
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.split()]
    assert paths and all(p.read_bytes()[:3] == b"\xff\xd8\xff" for p in paths)


def test_bypass_demo_by_zone_name() -> None:
    result = cli("bypass", "Back door", "--demo", "--provider", "powermaster")
    assert result.returncode == 0, result.stderr


def test_unsupported_mode_is_refused_clearly() -> None:
    result = cli("arm", "perimeter", "--demo", "--provider", "powermaster")
    assert result.returncode == Exit.FAILED
    assert "perimeter" in result.stderr.lower()


def test_command_needs_a_provider_when_several_are_configured() -> None:
    result = cli("disarm", "--demo")
    assert result.returncode == Exit.USAGE
    assert "--provider" in result.stderr


def test_events_json_demo() -> None:
    result = cli("events", "--json", "--demo", "--limit", "20")
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout)["events"]
    assert all({"id", "time", "kind", "text", "who", "provider"} <= e.keys() for e in events)


def test_wrong_password_exit_code_and_message(sim_config: Path, tmp_path: Path) -> None:
    text = sim_config.read_text()
    assert 'password = "demo-pass"' in text
    text = text.replace('password = "demo-pass"', 'password = "wrong-pass"', 1)
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    bad.chmod(0o600)
    result = cli("status", "--config", str(bad), "--provider", "casa")
    assert result.returncode == Exit.AUTH, result.stderr
    assert "wrong-pass" not in result.stderr + result.stdout


def test_unreachable_server(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[[providers]]\nname="x"\nkind="visonic"\nurl="https://127.0.0.1:9"\nusername="u"\npassword="p"\ncode="1"\n'
    )
    config.chmod(0o600)
    result = cli("status", "--config", str(config))
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
