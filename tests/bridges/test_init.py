"""`alarmtui init` with scripted answers on standard input, against the simulated clouds."""

from __future__ import annotations

import queue
import stat
import sys
from pathlib import Path

import pytest

from alarmtui.cli import main
from alarmtui.demo import DemoEnvironment
from alarmtui.settings import load_settings


class ScriptedStdin:
    """Answers one line at a time; a callable answer is asked when its prompt comes (an SMS code not yet sent)."""

    def __init__(self, answers: list[object]) -> None:
        self.answers = list(answers)

    def readline(self) -> str:
        if not self.answers:
            return ""
        answer = self.answers.pop(0)
        return f"{answer() if callable(answer) else answer}\n"

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("not a terminal")


@pytest.fixture
def securitas_with_sms() -> DemoEnvironment:
    env = DemoEnvironment.start(kinds=("securitas",), life=False, fast=True, otp=True)
    yield env
    env.stop()


def run_init(monkeypatch: pytest.MonkeyPatch, answers: list[object], *args: str) -> int:
    stdin = ScriptedStdin(answers)
    monkeypatch.setattr(sys, "stdin", stdin)
    return main(["init", *args])


def test_init_writes_a_private_config_after_a_login_with_two_factor_and_installs_the_unit(
    securitas_with_sms: DemoEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cloud = securitas_with_sms.host.cloud("securitas")
    codes: queue.Queue[str] = queue.Queue()
    cloud.on_otp = lambda phone, code: codes.put(code)  # type: ignore[attr-defined]
    table = securitas_with_sms.host.provider_tables()[0]
    path = tmp_path / "xdg-config" / "alarmtui" / "config.toml"  # where the README says it goes
    answers = [
        "securitas", "hogar", "ES", table["url"], table["username"], table["password"], "",  # no code: asked each time
        "1", lambda: codes.get(timeout=20),  # the phone, then the code the SMS carried
        "y",  # the systemd unit
    ]  # fmt: skip
    assert run_init(monkeypatch, answers) == 0
    out = capsys.readouterr().out
    assert "My Verisure" in out and "Logged in." in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = load_settings(path).settings
    (provider,) = settings.providers
    assert (provider.name, provider.kind, provider.username) == ("hogar", "securitas", table["username"])
    assert provider.password.get_secret_value() == table["password"] and provider.code is None
    unit = tmp_path / "xdg-config" / "systemd" / "user" / "alarmtui.service"
    assert f"serve --config {path}" in unit.read_text()
    assert table["password"] not in out


def test_init_never_overwrites_without_asking_and_a_refused_login_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = DemoEnvironment.start(kinds=("visonic",), life=False, fast=True)
    try:
        table = env.host.provider_tables()[0]
        path = tmp_path / "mine.toml"
        path.write_text("# my own config\n")
        path.chmod(0o600)
        wrong = ["visonic", "pm", table["url"], table["username"], "wrong-password", "1234", "n"]
        assert run_init(monkeypatch, wrong, "--path", str(path)) == 3
        assert path.read_text() == "# my own config\n"

        cancel = ["visonic", "pm", table["url"], table["username"], table["password"], "1234", "c"]
        assert run_init(monkeypatch, cancel, "--path", str(path)) == 0
        assert path.read_text() == "# my own config\n"

        add = ["visonic", "pm", table["url"], table["username"], table["password"], "1234", "a", "n"]
        assert run_init(monkeypatch, add, "--path", str(path)) == 0
        assert path.read_text().startswith("# my own config\n")
        (provider,) = load_settings(path).settings.providers
        assert provider.name == "pm" and provider.code is not None and provider.code.get_secret_value() == "1234"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "wrong-password" not in capsys.readouterr().out
    finally:
        env.stop()
