"""The watch service: `status --json` answered by it, vendor requests with views attached, its idle cost.

- `alarmtui status --json` (a fresh process each time) answered by `alarmtui serve`: wall time from
  process start to exit, and the vendor requests it caused (the service runs with hour-long intervals
  here, so any request during the runs would be the views'; the MiOS relay long poll goes on by itself).
- Vendor requests of the service at default intervals over a window alone, then over a window of the
  same length with three attached engines (what a dashboard uses) and `status --json` every 10 s.
- Idle CPU (utime+stime from /proc over the alone window) and resident memory of the service with
  the three simulated providers at default intervals (the simulators run in another process).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_idle import cpu_seconds, memory_mb, start_simulators
from benchlib import REPO, Metric, arguments, finish, log

sys.path.insert(0, str(REPO))

from alarmtui.engine.attached.quick import get_json  # noqa: E402
from alarmtui.settings import write_config  # noqa: E402


class Service:
    def __init__(self, config: Path, socket: Path, log_path: Path) -> None:
        self.env = {**os.environ, "ALARMTUI_SOCKET": str(socket)}
        self.socket = socket
        self.log_path = log_path
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alarmtui", "serve", "--config", str(config)],
            stdout=subprocess.DEVNULL, stderr=log_path.open("wb"), stdin=subprocess.DEVNULL, env=self.env, cwd=REPO,
        )
        deadline = time.monotonic() + 60
        while "listening on" not in log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the service did not start: {log_path.read_text()}")
            time.sleep(0.1)

    def requests(self) -> dict[str, int]:
        """Each provider's vendor requests so far (the service is younger than the budget's hour)."""
        answer = get_json(self.socket, "/v1/state")
        assert answer is not None and answer[0] == 200, answer
        counts = {}
        for update in answer[1]["updates"]:
            if update["type"] == "status":
                counts[update["provider"]] = update["status"]["requests_last_hour"] or 0
        return counts

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(20)


CPU_MS: list[float] = []
"""user+sys CPU of each `status` process (less sensitive than wall time to a loaded machine)."""


def status_json(env: dict[str, str], config: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "alarmtui", "status", "--json", "--config", str(config)],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_MS.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    if result.returncode != 0 or not all(p["online"] for p in json.loads(result.stdout)["providers"]):
        raise RuntimeError(f"status failed: {result.stderr}")
    return elapsed * 1000


def settled(service: Service, quiet_for: float = 4.0, timeout: float = 60.0) -> dict[str, int]:
    """The request counts once they have not moved for `quiet_for` seconds."""
    deadline = time.monotonic() + timeout
    counts, since = service.requests(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = service.requests()
        if now != counts:
            counts, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_for:
            break
    return counts


def write_quiet_config(source: Path, target: Path) -> None:
    tables = tomllib.loads(source.read_text())["providers"]
    for table in tables:
        table["poll_interval"] = 3600.0
        table["refresh_interval"] = 86400.0
    write_config(target, tables)


async def attached_window(service: Service, config: Path, seconds: float) -> None:
    from alarmtui.engine.attached.engine import AttachedEngine
    from alarmtui.engine.attached.find import find_service

    os.environ["ALARMTUI_SOCKET"] = str(service.socket)
    target = find_service(config)
    assert target is not None, "no service for the config"
    engines = [AttachedEngine.from_hello(target.socket, target.hello) for _ in range(3)]
    for engine in engines:
        await engine.start()
    try:
        assert all([await e.wait_attached(10) for e in engines])
        began = time.monotonic()
        while time.monotonic() - began < seconds:
            await asyncio.to_thread(status_json, service.env, config)
            await asyncio.sleep(max(0.0, min(10.0, seconds - (time.monotonic() - began))))
        assert all(e.attached for e in engines)
    finally:
        for engine in engines:
            await engine.close()


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs=15)
    window = 30.0 if args.quick else 120.0
    wall = Metric("status --json answered by the service (process start to exit)", 250.0)
    wall_cpu = Metric("  … its CPU time (user+sys)", None)
    load = Metric("machine load average (1 min) meanwhile", None, unit="")
    views_requests = Metric("vendor requests caused by those status runs (Verisure+Visonic)", 0.0, unit="req", judge="max")
    alone = Metric(f"service alone: vendor requests/hour ({window:.0f} s window)", None, unit="req/h")
    with_views = Metric("3 attached engines + status every 10 s: requests/hour", None, unit="req/h",
                        note="equal to the service alone within one poll round")
    cpu = Metric(f"service idle CPU, 3 providers, default intervals ({window:.0f} s avg)", 0.5, unit="%")
    rss = Metric("service resident memory", 80.0, unit="MB")
    with tempfile.TemporaryDirectory(prefix="atui-bench-", dir="/tmp") as tmp:
        directory = Path(tmp)
        sim, config = start_simulators(directory)
        try:
            quiet = directory / "quiet.toml"
            write_quiet_config(config, quiet)
            service = Service(quiet, directory / "q" / "alarmtui.sock", directory / "quiet.log")
            try:
                status_json(service.env, quiet)  # waits for the first state
                before = settled(service)  # the start-up refresh (Verisure: several requests) is over
                CPU_MS.clear()
                for _ in range(args.runs):
                    wall.add(status_json(service.env, quiet))
                for value in CPU_MS:
                    wall_cpu.add(value)
                load.add(os.getloadavg()[0])
                after = service.requests()
                names = tomllib.loads(quiet.read_text())["providers"]
                counted = [t["name"] for t in names if t["kind"] in ("verisure", "visonic")]
                views_requests.add(sum(after[n] - before[n] for n in counted))
                log(f"status --json: median {statistics.median(wall.samples):.0f} ms over {args.runs} runs; "
                    f"requests during the runs: {({n: after[n] - before[n] for n in after})}")
            finally:
                service.stop()

            service = Service(config, directory / "d" / "alarmtui.sock", directory / "default.log")
            try:
                status_json(service.env, config)
                time.sleep(15.0)  # start-up logins and the first refreshes settle
                before, cpu_before, began = service.requests(), cpu_seconds(service.process.pid), time.monotonic()
                time.sleep(window)
                elapsed = time.monotonic() - began
                mid = service.requests()
                cpu.add((cpu_seconds(service.process.pid) - cpu_before) / elapsed * 100)
                rss.add(memory_mb(service.process.pid))
                alone.add(sum(mid[n] - before[n] for n in mid) * 3600 / elapsed)
                began = time.monotonic()
                asyncio.run(attached_window(service, config, window))
                elapsed = time.monotonic() - began
                end = service.requests()
                with_views.add(sum(end[n] - mid[n] for n in end) * 3600 / elapsed)
                log(f"alone {({n: mid[n] - before[n] for n in mid})}; with views {({n: end[n] - mid[n] for n in end})}")
            finally:
                service.stop()
        finally:
            sim.terminate()
            sim.wait(10)
    finish([wall, wall_cpu, load, views_requests, alone, with_views, cpu, rss])


if __name__ == "__main__":
    main()
