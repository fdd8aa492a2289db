"""Run the alarmtui benchmarks and print one table: metric, target, median, min, max, runs, result.

    .venv/bin/python tests/benchmarks/run.py              # everything (about 5 minutes)
    .venv/bin/python tests/benchmarks/run.py --quick      # fewer repetitions, 20 s idle window
    .venv/bin/python tests/benchmarks/run.py launch photos --runs 3

These are measurements, not tests: pytest does not collect them (no `test_`
files here, and conftest.py ignores the folder). Each benchmark runs in a fresh
Python process; its progress goes to stderr, its numbers come back as `RESULT`
lines. The machine is noisy: compare medians and ratios, not single runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchlib import REPO, Metric, table

BENCHMARKS = {
    "launch": ("bench_launch.py", "launch to the first complete frame (--demo, from process start)"),
    "command": ("bench_command.py", "key press to the simulator receiving arm, and to ARMING on screen"),
    "state": ("bench_state_change.py", "a change inside each simulator to the screen"),
    "filter": ("bench_filter.py", "10,000 events: a filter keystroke to the repaint"),
    "photos": ("bench_photos.py", "three 640x480 JPEGs decoded and drawn; event-loop stalls meanwhile"),
    "idle": ("bench_idle.py", "idle CPU and memory of the real dashboard in tmux"),
    "status": ("bench_status.py", "status --json answered by the service, bytecode cached and not"),
    "service": ("bench_service.py", "status answered by the service; requests with views attached; service idle cost"),
    "history": ("bench_history.py", "1,000,000 journal events: the events panel filter and scroll-back, in-process and attached"),
}


def run_one(name: str, args: argparse.Namespace) -> tuple[list[Metric], str | None]:
    script, what = BENCHMARKS[name]
    command = [sys.executable, str(HERE / script)]
    if args.quick:
        command.append("--quick")
    if args.runs:
        command += ["--runs", str(args.runs)]
    print(f"== {name}: {what}", file=sys.stderr, flush=True)
    env = {**os.environ, "ALARMTUI_BENCH_QUIET_TABLE": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                                   env=env)
        assert process.stdout is not None and process.stderr is not None
        # Progress lines (indented) are shown live; everything else is kept in case of failure.
        for line in process.stderr:
            errors.write(line)
            if line.startswith("  "):
                print(line, end="", file=sys.stderr, flush=True)
        output = process.stdout.read()
        code = process.wait()
        metrics = [m for m in (Metric.parse(line) for line in output.splitlines()) if m is not None]
        if code != 0 or not metrics:
            errors.seek(0)
            tail = "".join(errors.readlines()[-30:])
            return metrics, f"{name}: exit {code}\n{tail}"
    return metrics, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmarks", nargs="*", metavar="NAME",
                        help=f"which to run (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and a 20 s idle window")
    parser.add_argument("--runs", type=int, help="repetitions for every selected benchmark")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every sample here")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any target is missed")
    args = parser.parse_args()
    unknown = [name for name in args.benchmarks if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = args.benchmarks or list(BENCHMARKS)
    began = time.monotonic()
    metrics: list[Metric] = []
    failures: list[str] = []
    for name in names:
        found, failure = run_one(name, args)
        metrics += found
        if failure:
            failures.append(failure)
    elapsed = time.monotonic() - began
    print()
    print(table(metrics))
    print(f"\n{len(metrics)} metrics from {len(names)} benchmark(s) in {elapsed:.0f} s on {os.cpu_count()} CPU(s); "
          f"missed: {sum(m.verdict == 'MISS' for m in metrics)}")
    if args.json:
        args.json.write_text(json.dumps([m.__dict__ for m in metrics], indent=2))
    for failure in failures:
        print(f"\nFAILED {failure}", file=sys.stderr)
    if failures:
        return 2
    return 1 if args.strict and any(m.verdict == "MISS" for m in metrics) else 0


if __name__ == "__main__":
    sys.exit(main())
