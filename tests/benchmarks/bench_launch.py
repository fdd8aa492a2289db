"""Launch -> first frame and complete frame with all five demo providers' data, against a bare Textual app (from process start, imports included).

Each run starts `launch_child.py` in a fresh Python process (what `alarmtui --demo`
does, headless at 160x48) and reads its `MARK` lines; times are CLOCK_MONOTONIC,
shared by parent and child, measured from just before the process is spawned.

Then the real thing in a real terminal: `alarmtui --demo` in a 160x48 tmux
window, its screen read every 20 ms with `tmux capture-pane` until all five
providers are online and a partition of each is drawn, against a bare Textual
app's first frame read the same way (both figures include tmux's own start and
work, and up to ~25 ms of polling).
"""

from __future__ import annotations

import compileall
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO, SIZE, Metric, arguments, finish, log

CHILD = Path(__file__).resolve().parent / "launch_child.py"
PARTITION_HEADS = ("casa · Casa", "powermaster · House", "vera · House", "hogar · ", "villa · ")


BARE_APP = (
    "from textual.app import App\nfrom textual.widgets import Static\n"
    "class Bare(App):\n    def compose(self):\n        yield Static('bare textual app')\n"
    "Bare().run()\n"
)


def demo_complete(screen: str) -> bool:
    return screen.count(" online") >= 5 and all(head in screen for head in PARTITION_HEADS)


def tmux_launch(command: str, ready: Callable[[str], bool]) -> float | None:
    """Milliseconds from `tmux new-session` to a screen `ready` accepts; None without tmux."""
    if shutil.which("tmux") is None:
        return None
    session = f"alarmtui-launch-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor", "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(SIZE[0]), "-y", str(SIZE[1]), f"exec {command}"],
        check=True,
        env=env,
        timeout=10,
        cwd=REPO,
    )
    try:
        while time.monotonic() - started < 30:
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, timeout=10, check=False
            ).stdout
            if ready(screen):
                return (time.monotonic() - started) * 1000
            time.sleep(0.02)
        return None
    finally:
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=False, timeout=10)
        time.sleep(1.0)
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False, timeout=10)


def child_marks(*extra: str) -> dict[str, float] | None:
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, str(CHILD), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    marks = {}
    for line in child.stdout.splitlines():
        if line.startswith("MARK "):
            _, name, when = line.split()
            marks[name] = (float(when) - started) * 1000
    if "first_frame" not in marks or (not extra and "complete" not in marks):
        log(f"run failed (exit {child.returncode}):\n{child.stderr[-2000:]}")
        return None
    return marks


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs=5)
    # As installed (pip writes the bytecode): a checkout whose edited modules have stale .pyc files, on a machine
    # with PYTHONDONTWRITEBYTECODE=1, would otherwise compile them on every run.
    compileall.compile_dir(REPO / "alarmtui", quiet=1)
    bare = Metric("bare Textual app → first frame (same machine, same run)", None)
    first = Metric("launch → first frame (--demo)", 500.0)
    complete = Metric("launch → complete frame, all 5 providers (--demo)", 800.0)
    ratio = Metric("complete frame ÷ bare first frame", 4.0, unit="×")
    first_ratio = Metric("first frame ÷ bare first frame", None, unit="×")
    ready = Metric("launch → engine built behind the first frame", None)
    per_provider: dict[str, Metric] = {}
    for run in range(args.runs):
        base = child_marks("--bare")
        marks = child_marks()
        if base is None or marks is None:
            continue
        bare.add(base["first_frame"])
        first.add(marks["first_frame"])
        complete.add(marks["complete"])
        ready.add(marks["engine_ready"])
        ratio.add(marks["complete"] / base["first_frame"])
        first_ratio.add(marks["first_frame"] / base["first_frame"])
        for name, value in marks.items():
            if name.startswith("provider:"):
                per_provider.setdefault(name, Metric(f"launch → {name[9:]} data on screen", None)).add(value)
        log(f"run {run + 1}: bare {base['first_frame']:.0f} ms; " + ", ".join(f"{k} {v:.0f} ms" for k, v in marks.items()))
    terminal_bare = Metric("bare Textual app → first frame on a real terminal (tmux)", None)
    terminal = Metric("launch → all 5 providers on a real terminal (tmux)", None)
    terminal_ratio = Metric("the same, ÷ the bare app's in tmux", 4.0, unit="×")
    keeper = f"alarmtui-launch-keeper-{uuid.uuid4().hex[:8]}"  # one tmux server for every run (not started per run)
    if shutil.which("tmux") is not None:
        subprocess.run(["tmux", "new-session", "-d", "-s", keeper, "sleep 600"], check=True, timeout=10)
    for run in range(max(1, (args.runs + 1) // 2)):
        base_value = tmux_launch(f"{sys.executable} -c {shlex.quote(BARE_APP)}", lambda screen: "bare textual app" in screen)
        value = tmux_launch(f"{sys.executable} -m alarmtui --demo", demo_complete)
        if value is not None and base_value is not None:
            terminal_bare.add(base_value)
            terminal.add(value)
            terminal_ratio.add(value / base_value)
            log(f"tmux run {run + 1}: bare {base_value:.0f} ms, --demo complete {value:.0f} ms")
    if shutil.which("tmux") is not None:
        subprocess.run(["tmux", "kill-session", "-t", keeper], capture_output=True, check=False, timeout=10)
    finish(
        [
            bare,
            first,
            first_ratio,
            ready,
            complete,
            ratio,
            terminal_bare,
            terminal,
            terminal_ratio,
            *sorted(per_provider.values(), key=lambda m: m.name),
        ]
    )


if __name__ == "__main__":
    main()
