"""Idle cost of the real dashboard in a real terminal (tmux, 160x48): CPU over a window, and resident memory.

Two dashboards run side by side, both idle:
- `alarmtui --config FILE` against `alarmtui sim --tls --write-config FILE` in a
  separate process, so only the dashboard's own CPU is counted (default poll
  intervals: Verisure 60 s, Visonic 10 s, MiOS 60 s long poll);
- `alarmtui --demo`: the dashboard process, and its simulated clouds (with the demo's
  random "life") in their child process, counted apart and together.
CPU is utime+stime from /proc/<pid>/stat (all threads) over the window, after
the screen shows every provider online and a short settling time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO, SIZE, Metric, arguments, finish, log

TICKS = os.sysconf("SC_CLK_TCK")
SETTLE = 5.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of the whole line)


def memory_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Tmux:
    def __init__(self, command: str) -> None:
        self.name = f"alarmtui-bench-{uuid.uuid4().hex[:8]}"
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", str(SIZE[0]), "-y", str(SIZE[1]), f"exec {command}"],
            check=True,
            env=env,
            timeout=10,
            cwd=REPO,
        )
        self.pid = int(self._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10, check=False).stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def wait_online(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if screen.count(" online") >= 3 and "connecting" not in screen and "starting" not in screen:
                return
            time.sleep(0.2)
        raise TimeoutError(f"{self.name}: providers not online; screen:\n{self.screen()}")

    def close(self) -> None:
        self._tmux("send-keys", "-t", self.name, "C-q")
        for _ in range(30):
            if not Path(f"/proc/{self.pid}").exists():
                break
            time.sleep(0.1)
        self._tmux("kill-session", "-t", self.name)


def child_of(pid: int) -> int:
    """The demo dashboard's clouds process (its only child)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def start_simulators(directory: Path, kinds: str = "verisure,visonic,mios") -> tuple[subprocess.Popen[str], Path]:
    """Three clouds at their default intervals (Securitas is left out: a new device waits for an SMS code)."""
    config = directory / "sim.toml"
    sim = subprocess.Popen(
        [sys.executable, "-m", "alarmtui", "sim", "--tls", "--kinds", kinds, "--write-config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
    )
    assert sim.stdout is not None
    for line in sim.stdout:
        if "config written" in line:
            break
    config.chmod(0o600)
    return sim, config


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs=1)
    window = 20.0 if args.quick else 60.0
    cpu = Metric(f"idle CPU, --config vs sim process ({window:.0f} s avg)", 1.0, unit="%")
    rss = Metric("resident memory, --config dashboard", 150.0, unit="MB")
    demo_cpu = Metric(f"idle CPU, --demo dashboard process ({window:.0f} s avg)", 1.0, unit="%")
    demo_clouds_cpu = Metric(
        f"idle CPU, --demo's clouds process ({window:.0f} s avg)",
        None,
        unit="%",
        note="five simulated clouds and the demo's random life",
    )
    demo_total_cpu = Metric(f"idle CPU, --demo dashboard + clouds ({window:.0f} s avg)", None, unit="%")
    demo_rss = Metric("resident memory, --demo dashboard process", None, unit="MB")
    sim_cpu = Metric(f"idle CPU, the sim process itself ({window:.0f} s avg)", None, unit="%")
    slices = Metric(
        "idle CPU, --config, per 10 s slice",
        None,
        unit="%",
        note="MiOS long polls end every 60 s and Visonic polls every 10 s, so slices vary",
    )
    if shutil.which("tmux") is None:
        log("tmux is not installed: nothing measured")
        cpu.note = "needs tmux"
        finish([cpu, rss])
        return
    with tempfile.TemporaryDirectory() as tmp:
        sim, config = start_simulators(Path(tmp))
        try:
            for run in range(args.runs):
                dashboard = Tmux(f"{sys.executable} -m alarmtui --config {config}")
                demo = Tmux(f"{sys.executable} -m alarmtui --demo")
                try:
                    dashboard.wait_online()
                    demo.wait_online()
                    time.sleep(SETTLE)
                    pids = {"dashboard": dashboard.pid, "demo": demo.pid, "sim": sim.pid, "clouds": child_of(demo.pid)}
                    start = {k: cpu_seconds(p) for k, p in pids.items()}
                    began = time.monotonic()
                    last, last_at = start["dashboard"], began
                    while time.monotonic() - began < window:
                        time.sleep(min(10.0, window - (time.monotonic() - began)))
                        now_cpu, now = cpu_seconds(dashboard.pid), time.monotonic()
                        slices.add((now_cpu - last) / (now - last_at) * 100)
                        last, last_at = now_cpu, now
                    elapsed = time.monotonic() - began
                    used = {k: (cpu_seconds(p) - start[k]) / elapsed * 100 for k, p in pids.items()}
                    cpu.add(used["dashboard"])
                    demo_cpu.add(used["demo"])
                    demo_clouds_cpu.add(used["clouds"])
                    demo_total_cpu.add(used["demo"] + used["clouds"])
                    sim_cpu.add(used["sim"])
                    rss.add(memory_mb(dashboard.pid))
                    demo_rss.add(memory_mb(demo.pid))
                    log(
                        f"run {run + 1}: CPU dashboard {used['dashboard']:.2f}% demo {used['demo']:.2f}% "
                        f"(+ clouds {used['clouds']:.2f}%) sim {used['sim']:.2f}%; RSS dashboard {rss.samples[-1]:.1f} MB "
                        f"(peak {memory_mb(dashboard.pid, 'VmHWM'):.1f}) demo {demo_rss.samples[-1]:.1f} MB"
                    )
                finally:
                    dashboard.close()
                    demo.close()
        finally:
            sim.terminate()
            sim.wait(10)
    finish([cpu, slices, rss, demo_cpu, demo_clouds_cpu, demo_total_cpu, demo_rss, sim_cpu])


if __name__ == "__main__":
    main()
