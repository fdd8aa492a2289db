"""`alarmtui events` reads the journal; `alarmtui notify test` reaches every target."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alarmtui.cli import Exit, main
from alarmtui.domain import ArmMode, Command, CommandAction, CommandPhase, CommandProgress, CommandResult, Event, EventKind
from alarmtui.domain.updates import CommandUpdate, EventsUpdate
from alarmtui.journal.store import Journal
from tests.helpers import acli
from tests.notify.test_notifier import start_receiver

NOW = datetime.now(UTC).replace(microsecond=0)


def write_config(path: Path, journal: Path, extra: str = "") -> Path:
    path.write_text(
        f"""journal = "{journal}"
{extra}
[[providers]]
name = "house"
kind = "visonic"
url = "http://127.0.0.1:9"
username = "someone"
password = "never-used"

[[providers]]
name = "office"
kind = "mios"
url = "http://127.0.0.1:9"
username = "someone"
password = "never-used"
"""
    )
    path.chmod(0o600)
    return path


@pytest.fixture
async def journaled(tmp_path: Path) -> Path:
    journal_path = tmp_path / "journal.sqlite3"
    journal = Journal(journal_path)
    journal.start()
    await journal.started()
    journal.record(
        EventsUpdate(
            "house",
            (
                Event("h3", NOW - timedelta(hours=1), EventKind.ALARM, "Burglary alarm", zone="Hall PIR", partition="House"),
                Event("h2", NOW - timedelta(days=3), EventKind.ARM, "Armed away", who="Alice"),
                Event("h1", NOW - timedelta(days=10), EventKind.DISARM, "Disarmed", who="Bob"),
            ),
        )
    )
    journal.record(EventsUpdate("office", (Event("o1", NOW - timedelta(hours=2), EventKind.ZONE, "Hall door opened", zone="Hall door"),)))
    command = Command(CommandAction.ARM, mode=ArmMode.HOME, code="5555", label="House")
    journal.record(CommandUpdate("house", command, CommandProgress(CommandPhase.SENT)), origin="cli")
    journal.record(CommandUpdate("house", command, CommandProgress(CommandPhase.DONE), CommandResult(CommandPhase.DONE, "", 1.5)))
    assert await journal.flush()
    await journal.close()
    return write_config(tmp_path / "config.toml", journal_path)


def run_events(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> list[dict[str, object]]:
    assert main(["events", "--config", str(config), "--json", *args]) == Exit.OK
    return json.loads(capsys.readouterr().out)["events"]


def test_events_json_from_the_journal(journaled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = run_events(capsys, journaled)
    assert [e["id"] for e in events][1:] == ["h3", "o1", "h2", "h1"]
    assert events[0]["text"] == "arm home House: done (1.5 s)" and events[0]["who"] == "cli"
    assert set(events[1]) == {"id", "time", "kind", "text", "who", "zone", "partition", "provider", "source"}
    assert [e["source"] for e in events] == ["alarmtui", "vendor", "vendor", "vendor", "vendor"]
    assert events[1]["kind"] == "alarm" and events[1]["zone"] == "Hall PIR" and events[1]["partition"] == "House"


def test_events_filters(journaled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def ids(*args: str) -> list[object]:
        return [e["id"] for e in run_events(capsys, journaled, *args)]

    assert ids("--grep", "hall") == ["h3", "o1"]
    assert ids("--grep", "hall", "--provider", "office") == ["o1"]
    assert ids("--kind", "arm,alarm", "--since", "5d") == [ids("--kind", "command")[0], "h3", "h2"]
    assert ids("--until", "2d", "--limit", "1") == ["h2"]
    assert ids("--since", (NOW - timedelta(days=4)).date().isoformat(), "--until", "2d") == ["h2"]
    assert ids("--grep", "nothing at all") == []


def test_events_text_output(journaled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--config", str(journaled), "--grep", "alice"]) == Exit.OK
    (line,) = capsys.readouterr().out.splitlines()
    assert line.endswith("house        arm      Armed away by Alice")


def test_events_usage_errors(journaled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--config", str(journaled), "--kind", "arms"]) == Exit.USAGE
    assert "unknown event kind" in capsys.readouterr().err
    assert main(["events", "--config", str(journaled), "--since", "last tuesday"]) == Exit.USAGE
    assert "not a time" in capsys.readouterr().err


def test_without_a_journal_the_vendors_answer_with_the_same_filters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--demo", "--json", "--kind", "arm,disarm", "--limit", "5"]) == Exit.OK
    events = json.loads(capsys.readouterr().out)["events"]
    assert events and all(e["source"] == "vendor" and e["kind"] in ("arm", "disarm") for e in events)


async def test_notify_test_reports_each_target(tmp_path: Path) -> None:
    receiver, runner = await start_receiver()
    try:
        extra = f"""
[[notify]]
url = "{receiver.url('s3cret-topic')}"
events = ["alarm"]

[[notify]]
url = "json://127.0.0.1:9/n0body-here"
"""
        config = write_config(tmp_path / "config.toml", tmp_path / "journal.sqlite3", extra)
        result = await acli("notify", "test", "--config", str(config))
        out, err = result.stdout, result.stderr
        assert result.returncode == Exit.FAILED, err
        lines = out.splitlines()
        assert lines[0] == "target 1 (json): sent"
        assert lines[1].startswith("target 2 (json): FAILED")
        assert "s3cret-topic" not in out + err and "n0body-here" not in out + err
        assert receiver.posts[0]["title"] == "alarmtui test"
    finally:
        await runner.cleanup()


def test_events_and_the_journal_import_neither_textual_nor_pillow(journaled: Path) -> None:
    script = (
        "import sys\n"
        "import alarmtui.journal.store, alarmtui.notify.notifier\n"
        "from alarmtui.cli import main\n"
        f"code = main(['events', '--config', {str(journaled)!r}, '--grep', 'hall'])\n"
        "heavy = sorted(m for m in ('textual', 'PIL', 'term_image') if m in sys.modules)\n"
        "assert code == 0 and not heavy, (code, heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)  # fresh imports
    assert result.returncode == 0, result.stderr
    assert "Burglary alarm" in result.stdout
