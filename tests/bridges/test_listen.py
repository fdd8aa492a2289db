"""`alarmtui listen`: JSON Lines from the running service, the journal first with --since."""

from __future__ import annotations

import io
import json
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from alarmtui.demo import DemoEnvironment
from alarmtui.listen import KEYS, line, printer
from alarmtui.settings import write_config
from tests.service.conftest import REPO, ServiceProcess, run_cli


class ListenProcess:
    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alarmtui", "listen", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=REPO,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: queue.Queue[str] = queue.Queue()
        self.seen_errors: list[str] = []
        threading.Thread(target=self._pump, args=(self.process.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self.errors), daemon=True).start()

    @staticmethod
    def _pump(stream: object, into: queue.Queue[str]) -> None:
        for text in stream:  # type: ignore[attr-defined]
            into.put(text)

    def wait_listening(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                said = self.errors.get(timeout=0.1)
                self.seen_errors.append(said)
                if "listening" in said:
                    return
            except queue.Empty:
                assert self.process.poll() is None, f"listen exited {self.process.returncode}"
        raise AssertionError("listen never said it was listening")

    def until_line(self, wanted: object, timeout: float = 30.0) -> list[dict[str, str]]:
        """Every line (parsed) up to the first that `wanted` accepts."""
        seen: list[dict[str, str]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                text = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            entry = json.loads(text)
            assert tuple(entry) == KEYS, entry
            seen.append(entry)
            if wanted(entry):  # type: ignore[operator]
                return seen
        raise AssertionError(f"no such line; saw {seen}")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(15)


def test_listen_json_names_the_partition_after_an_arm_through_another_view(service: ServiceProcess, config_file: Path) -> None:
    listener = ListenProcess("--json", "--config", str(config_file), env=service.env)
    try:
        listener.wait_listening()
        env = {**service.env, "ALARMTUI_CODE": "1234"}
        armed = run_cli("arm", "away", "--provider", "powermaster", "--config", str(config_file), env=env)
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
    replay = ListenProcess("--json", "--since", "1h", "--provider", "powermaster", "--config", str(config_file), env=service.env)
    try:
        replay.wait_listening()
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
    listener = ListenProcess("--json", "--config", str(config), env=service_env)
    try:
        listener.wait_listening()
        assert "in-process" in "".join(listener.seen_errors)
        armed = run_cli("arm", "away", "--provider", "powermaster", "--config", str(config), env=service_env)
        assert armed.returncode == 0, armed.stderr
        seen = listener.until_line(lambda e: e["type"] == "state" and e["state"] == "armed_away")
        assert seen[-1]["partition"] and seen[-1]["provider"] == "powermaster"
    finally:
        assert listener.stop() == 0
