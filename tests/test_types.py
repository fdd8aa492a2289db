"""mypy keeps the whole package type-clean (its configuration is in pyproject.toml: strict for the provider core)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_mypy_finds_nothing() -> None:
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent)) or shutil.which("mypy")
    if mypy is None:
        pytest.skip("mypy is not installed (it comes with the test extra)")
    done = subprocess.run(
        # The checkout's own cache (mypy's default place): a warm run checks only what changed, ~20 s -> a few s.
        [mypy, "--cache-dir", str(REPO / ".mypy_cache"), "alarmtui"], cwd=REPO, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout + done.stderr
