"""Vendor text is inert in every headless output: a hostile corpus through every command that prints it.

The simulated clouds are given hostile names, troubles, event texts and phone masks
(the simulators' own state, served over their real HTTP APIs); each command runs as a
user runs it (`alarmtui.cli.main`, real clients over loopback) and nothing of the
corpus's escape, control, bidi or invisible characters may reach stdout or stderr.
"""

from __future__ import annotations

import builtins
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from alarmtui.cli import main
from alarmtui.demo import DemoEnvironment
from alarmtui.domain.text import clean_text, terminal_text
from alarmtui.settings import write_config

CSI = "\x1b[2J\x1b[31;1m"
OSC8 = "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\"
OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
C1 = "\x9b2J\x9d0;title\x9c"
BIDI = "\u202egnp.exe\u202c \u2066iso\u2069 \u200f"
ZERO_WIDTH = "in\u200bvis\u200dible\ufeff"
MARKUP = "[@click=app.quit]press[/] [link=https://evil.example]x[/link] [bold red]"
LONG = "L" * 3000

CORPUS = [CSI, OSC8, OSC52, C1, BIDI, ZERO_WIDTH, MARKUP, LONG]
HOSTILE = " ".join(CORPUS[:-1])


def inert(output: str) -> bool:
    """No escape sequence introducer, control (but the line feed), bidi, zero-width or other format character."""
    return all(c == "\n" or unicodedata.category(c) not in ("Cc", "Cf") for c in output)


def assert_inert(output: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in output if c != "\n" and unicodedata.category(c) in ("Cc", "Cf")})
    assert not bad, f"raw characters reached the terminal: {bad}"
    assert all(len(line) < 3000 for line in output.splitlines()), "a 3,000-character name went out whole"


@pytest.mark.parametrize("hostile", CORPUS, ids=["csi", "osc8", "osc52", "c1", "bidi", "zero-width", "markup", "long"])
def test_terminal_text_leaves_nothing_that_acts(hostile: str) -> None:
    for multiline in (False, True):
        assert inert(terminal_text(f"a{hostile}b\nc", multiline=multiline))
    assert inert(clean_text(hostile))


def test_terminal_text_removes_whole_sequences_and_keeps_the_words() -> None:
    assert terminal_text(f"Front{CSI} door") == "Front door"
    assert terminal_text(f"see {OSC8} now") == "see click me now"
    assert terminal_text(f"x{OSC52}y") == "xy"
    assert terminal_text("Ca\u0301lle\u202e\u200b") == "Cálle"  # NFC, then the override and the zero-width space go
    assert terminal_text("two\nlines") == "two lines"
    assert terminal_text("two\nlines", multiline=True) == "two\nlines"
    assert terminal_text("x" * 10, 5) == "xxxx…"


@pytest.fixture(scope="module")
def hostile_clouds() -> Iterator[DemoEnvironment]:
    env = DemoEnvironment.start(kinds=("visonic", "securitas"), life=False, fast=True, otp=True)
    visonic = env.host.cloud("visonic")
    securitas = env.host.cloud("securitas")

    def poison() -> None:
        panel = visonic.panels[0]
        for index, zone in enumerate(panel.zones.values()):
            zone.name = CORPUS[index % len(CORPUS)] + f" zone {index}"
        for index, partition in enumerate(panel.partitions.values()):
            partition.name = f"part{index} {HOSTILE}"
        panel.log("trouble", f"mains lost {HOSTILE}", zone="", user=f"user {OSC52}")
        panel.log("alarm", f"alarm {CSI}{LONG}", zone=next(iter(panel.zones)))
        panel._touch()
        account = securitas.accounts[securitas.username]
        account.phones = [(1, f"***456 {OSC52}{BIDI}"), (2, f"{CSI}***789{MARKUP}")]

    env.host.call(poison)
    try:
        yield env
    finally:
        env.stop()


@pytest.fixture
def config(hostile_clouds: DemoEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # no journal: `events` asks the vendors
    monkeypatch.setenv("ALARMTUI_SOCKET", str(tmp_path / "no-service.sock"))
    monkeypatch.delenv("ALARMTUI_CODE", raising=False)
    path = tmp_path / "config.toml"
    write_config(path, hostile_clouds.host.provider_tables())
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert_inert(out)
    assert_inert(err)
    return code, out, err


def test_status_prints_hostile_names_inert(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status", "--provider", "powermaster", "--config", str(config))
    assert code == 0
    assert "zone 0" in out and "part0" in out


def test_status_json_escapes_what_it_keeps(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status", "--json", "--provider", "powermaster", "--config", str(config))
    assert code == 0
    assert out.isascii()  # \u202e, \u001b … escaped, not raw
    names = {z["name"] for z in json.loads(out)["providers"][0]["zones"]}
    assert any("zone" in n for n in names)


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_events_from_the_vendor_are_inert(config: Path, capsys: pytest.CaptureFixture[str], as_json: bool) -> None:
    code, out, _ = run(capsys, "events", *(["--json"] if as_json else []), "--provider", "powermaster", "--config", str(config))
    assert code == 0
    assert "mains lost" in out


def test_an_unknown_zone_lists_hostile_zone_names_inert(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "bypass", f"no such {OSC52}", "--provider", "powermaster", "--config", str(config))
    assert code == 2
    assert "has no zone" in err


def test_arm_prints_progress_and_result_inert(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALARMTUI_CODE", "1234")
    code, out, err = run(capsys, "arm", "away", "--provider", "powermaster", "--config", str(config))
    assert code in (0, 1, 5), err
    run(capsys, "disarm", "--provider", "powermaster", "--config", str(config))


def test_login_shows_hostile_phone_masks_inert(
    hostile_clouds: DemoEnvironment, config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    securitas = hostile_clouds.host.cloud("securitas")
    codes: list[str] = []
    hostile_clouds.host.call(lambda: setattr(securitas, "on_otp", lambda phone, code: codes.append(code)))
    answers = iter(["2"])

    def typed(prompt: str = "") -> str:
        assert inert(prompt)
        return next(answers, None) or codes[-1]

    monkeypatch.setattr(builtins, "input", typed)
    code, out, err = run(capsys, "login", "hogar", "--config", str(config))
    assert code == 0, err
    assert "***456" in out and "***789" in out
    assert "[@click=app.quit]" in out  # markup is only text on a terminal
