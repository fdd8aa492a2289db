"""`alarmtui sim` stops on Ctrl-C and SIGTERM even when its parent started it with SIGINT ignored (a background
shell, nohup, some supervisors): Python then installs no KeyboardInterrupt handler of its own."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.helpers import spawn_cli


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sim_stops_on_the_signal_even_when_started_with_sigint_ignored(tmp_path: Path, sig: signal.Signals) -> None:
    config = tmp_path / "sim.toml"
    process = spawn_cli(
        "sim",
        "--fast",
        "--kinds",
        "visonic",
        "--write-config",
        str(config),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509 - the point of the test
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "config written" in line:
                break
        process.send_signal(sig)
        assert process.wait(timeout=8) == 0  # it used to ignore SIGINT until it was killed
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
