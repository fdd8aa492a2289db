"""Launch -> first complete frame with all three demo providers' data (from process start, imports included).

Each run starts `launch_child.py` in a fresh Python process (what `alarmtui --demo`
does, headless at 160x48) and reads its `MARK` lines; times are CLOCK_MONOTONIC,
shared by parent and child, measured from just before the process is spawned.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO, Metric, arguments, finish, log  # noqa: E402

CHILD = Path(__file__).resolve().parent / "launch_child.py"


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs=5)
    complete = Metric("launch → complete frame, all 3 providers (--demo)", 1500.0)
    imported = Metric("launch → imports done", None)
    first = Metric("launch → first frame", None)
    per_provider: dict[str, Metric] = {}
    for run in range(args.runs):
        started = time.monotonic()
        child = subprocess.run([sys.executable, str(CHILD)], capture_output=True, text=True, timeout=60, cwd=REPO,
                               env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        marks = {}
        for line in child.stdout.splitlines():
            if line.startswith("MARK "):
                _, name, when = line.split()
                marks[name] = (float(when) - started) * 1000
        if "complete" not in marks:
            log(f"run {run + 1} failed (exit {child.returncode}):\n{child.stderr[-2000:]}")
            continue
        complete.add(marks["complete"])
        imported.add(marks["imported"])
        first.add(marks["first_frame"])
        for name, value in marks.items():
            if name.startswith("provider:"):
                per_provider.setdefault(name, Metric(f"launch → {name[9:]} data on screen", None)).add(value)
        log(f"run {run + 1}: " + ", ".join(f"{k} {v:.0f} ms" for k, v in marks.items()))
    finish([complete, imported, first, *sorted(per_provider.values(), key=lambda m: m.name)])


if __name__ == "__main__":
    main()
