"""`alarmtui listen`: JSON Lines from the running service, the journal first with --since.

The listener, the service and the commands run in this process (threads; real socket, real journal)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from alarmtui.demo import DemoEnvironment
from alarmtui.listen import line, printer
from alarmtui.settings import write_config
from tests.helpers import ListenThread, ServiceThread, cli


def test_listen_json_names_the_partition_after_an_arm_through_another_view(service: ServiceThread, config_file: Path) -> None:
    service.wait_first_state("powermaster")  # (a command during the first login would wait for it)
    listener = ListenThread("--json", "--config", str(config_file), env=service.env).start()
    try:
        env = {**service.env, "ALARMTUI_CODE": "1234"}
        armed = cli("arm", "away", "--provider", "powermaster", "--config", str(config_file), env=env)
        assert armed.returncode == 0, armed.stderr
        seen: list[dict[str, str]] = []

        def armed_and_done(entry: dict[str, str]) -> bool:
            seen.append(entry)
            return any(
                e["type"] == "state" and e["provider"] == "powermaster" and e["state"] == "armed_away" for e in seen
            ) and any(
                e["type"] == "command" and e["provider"] == "powermaster" and e["state"] in ("done", "accepted") for e in seen
            )

        listener.until_line(armed_and_done)
        state = next(e for e in seen if e["type"] == "state" and e["state"] == "armed_away")
        assert state["partition"] and datetime.fromisoformat(state["time"]).tzinfo is not None
        # The demo panel has a short exit delay: the arm is "accepted" (never "done") until the panel says armed.
        commands = [e for e in seen if e["type"] == "command"]
        assert [e["state"] for e in commands][0] == "sent" and commands[1]["state"] in ("done", "accepted")
        if commands[1]["state"] == "accepted":
            assert "accepted — " in commands[1]["text"] and "done" not in commands[1]["text"]
    finally:
        assert listener.stop() == 0

    # Later, with --since: the journal first (the command, with who asked), then live.
    replay = ListenThread(
        "--json", "--since", "1h", "--provider", "powermaster", "--config", str(config_file), env=service.env
    ).start()
    try:
        # The panel took the arm into its exit delay: the journal says "accepted" (the state line says armed).
        seen = replay.until_line(lambda e: e["type"] == "command" and e["state"] in ("done", "accepted"))
        assert "alarmtui arm" in seen[-1]["who"]
        assert all(e["provider"] == "powermaster" for e in seen)
    finally:
        assert replay.stop() == 0


def test_plain_lines_strip_control_characters_and_json_escapes_them() -> None:
    entry = line(
        "event", datetime(2026, 12, 6, 12, 0, tzinfo=UTC), "casa", zone="Hall", text="door \x1b[31mopened\x07\nnow", who="Ana"
    )
    plain = io.StringIO()
    printer(False, plain)(entry)
    assert "\x1b" not in plain.getvalue() and "\x07" not in plain.getvalue()
    assert plain.getvalue().count("\n") == 1 and "door opened now" in plain.getvalue()
    as_json = io.StringIO()
    printer(True, as_json)(entry)
    assert "\x1b" not in as_json.getvalue() and "\\u001b" in as_json.getvalue()
    assert json.loads(as_json.getvalue())["text"] == entry["text"]


def test_listen_in_process_when_no_service_runs(demo: DemoEnvironment, short_dir: Path, service_env: dict[str, str]) -> None:
    tables = [t for t in demo.host.provider_tables() if t["kind"] == "visonic"]
    for table in tables:
        table["poll_interval"] = 2.0
    config = short_dir / "alone.toml"
    write_config(config, tables)
    listener = ListenThread("--json", "--config", str(config), env=service_env).start()
    try:
        assert "in-process" in "".join(listener.seen_errors)
        armed = cli("arm", "away", "--provider", "powermaster", "--config", str(config), env=service_env)
        assert armed.returncode == 0, armed.stderr
        seen = listener.until_line(lambda e: e["type"] == "state" and e["state"] == "armed_away")
        assert seen[-1]["partition"] and seen[-1]["provider"] == "powermaster"
    finally:
        assert listener.stop() == 0
