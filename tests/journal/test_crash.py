"""`kill -9` while the journal writes: nothing committed is lost, nothing is doubled after a restart."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("crash_child.py")
COUNT = 3000


def start_child(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(path), str(COUNT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )


@pytest.mark.e2e  # a real subprocess smoke test
def test_sigkill_during_writes_loses_nothing_committed_and_doubles_nothing(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    child = start_child(path)
    committed = 0
    assert child.stdout is not None
    for line in child.stdout:
        committed = int(line.split()[1])
        if committed >= 500:
            break
    child.send_signal(signal.SIGKILL)  # in the middle of a stream of writes
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert committed >= 500

    with sqlite3.connect(path) as conn:
        ids = {row[0] for row in conn.execute("SELECT key FROM entries WHERE category = 'event'")}
        assert {f"v:e{n}" for n in range(committed)} <= ids  # every event reported committed is there
        assert len(ids) < COUNT

    # A restart journals the same events again (the vendor log re-read): nothing doubles.
    again = start_child(path)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert out.strip().endswith("done")
    with sqlite3.connect(path) as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM entries")]
        assert len(keys) == len(set(keys))
        assert sorted(k for k in keys if k.startswith("v:")) == sorted(f"v:e{n}" for n in range(COUNT))
        states = [row[0] for row in conn.execute("SELECT text FROM entries WHERE category = 'state'")]
        assert states == ["House: armed away"]  # the restart saw the same state: no second transition
        conn.execute("INSERT INTO entries_fts(entries_fts, rank) VALUES ('integrity-check', 1)")
        assert conn.execute("SELECT count(*) FROM entries_fts WHERE entries_fts MATCH '\"door 2999\"'").fetchone()[0] == 1
