"""`alarmtui status --json` answered by the service: process start to exit, with and without cached bytecode.

A service (hour-long poll intervals, so nothing else runs meanwhile) watches the
simulated clouds; each sample is a fresh `python -m alarmtui status --json`.
- "bytecode cached": as after `pip install` (which compiles every module): a
  copy of the package, compiled beforehand.
- "no bytecode": alarmtui's modules compiled from source on every run (the
  standard library's stay cached), as in a checkout run with
  PYTHONDONTWRITEBYTECODE=1 (how run.py runs benchmarks).
Also printed: CPU time, and which imports on that path cost most (`-X importtime`, informational).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_idle import start_simulators
from bench_service import Service, write_quiet_config
from benchlib import REPO, Metric, arguments, finish, log

sys.path.insert(0, str(REPO))

from alarmtui.settings import write_config  # noqa: E402


def package_copy(directory: Path, *, compiled: bool) -> Path:
    """A copy of the alarmtui package to run from (`python -m` finds it first in the working folder)."""
    directory.mkdir(parents=True)
    shutil.copytree(REPO / "alarmtui", directory / "alarmtui", ignore=shutil.ignore_patterns("__pycache__"))
    if compiled:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(directory / "alarmtui")], check=True, stdout=subprocess.DEVNULL)
    return directory


def run_status(env: dict[str, str], config: Path, where: Path, *extra: str) -> tuple[float, float, str]:
    """(wall ms, CPU ms, stderr) of one `status --json` in a fresh process, run from the package copy `where`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, *extra, "-m", "alarmtui", "status", "--json", "--config", str(config)],
                            capture_output=True, text=True, env=env, cwd=where, timeout=60)
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"status failed ({result.returncode}): {result.stderr}")
    return wall, (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000, result.stderr


def costliest_imports(stderr: str, count: int = 6) -> str:
    """The imports with the largest cumulative time from `-X importtime` output (top-level ones only)."""
    rows = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit() and not name.startswith("   "):  # one level below the top
                rows.append((int(cumulative), name.strip()))
    rows.sort(reverse=True)
    return ", ".join(f"{name} {micros / 1000:.0f} ms" for micros, name in rows[:count])


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs=20)
    cached = Metric("status --json via the service, bytecode cached (start to exit)", 250.0)
    cached_cpu = Metric("  … its CPU time (user+sys)", None)
    cold = Metric("status --json via the service, no bytecode (start to exit)", 250.0,
                  note="every module compiled on every run")
    cold_cpu = Metric("  … its CPU time (user+sys)", None)
    load = Metric("machine load average (1 min) meanwhile", None, unit="")
    with tempfile.TemporaryDirectory(prefix="atui-bench-", dir="/tmp") as tmp:
        directory = Path(tmp)
        sim, config = start_simulators(directory)
        try:
            quiet = directory / "quiet.toml"
            write_quiet_config(config, quiet)
            # Securitas wants an SMS code for a new device (the status would exit 3): the three other clouds.
            tables = [t for t in tomllib.loads(quiet.read_text())["providers"] if t["kind"] != "securitas"]
            write_config(quiet, tables)
            service = Service(quiet, directory / "s" / "alarmtui.sock", directory / "service.log")
            try:
                env = {**service.env, "PYTHONDONTWRITEBYTECODE": "1"}
                warm, cold_copy = package_copy(directory / "warm", compiled=True), package_copy(directory / "cold", compiled=False)
                run_status(env, quiet, warm)  # waits for the first state
                for _ in range(args.runs):  # in turn, so drift in the machine's load hits both alike
                    wall, cpu, _ = run_status(env, quiet, warm)
                    cached.add(wall)
                    cached_cpu.add(cpu)
                    wall, cpu, _ = run_status(env, quiet, cold_copy)
                    cold.add(wall)
                    cold_cpu.add(cpu)
                load.add(os.getloadavg()[0])
                _, _, imports = run_status(env, quiet, warm, "-X", "importtime")
                log(f"bytecode cached: median {statistics.median(cached.samples):.0f} ms; "
                    f"no bytecode: median {statistics.median(cold.samples):.0f} ms ({args.runs} runs each)")
                log(f"costliest imports (importtime, inflated by its own overhead): {costliest_imports(imports)}")
            finally:
                service.stop()
        finally:
            sim.terminate()
            sim.wait(10)
    finish([cached, cached_cpu, cold, cold_cpu, load])


if __name__ == "__main__":
    main()
