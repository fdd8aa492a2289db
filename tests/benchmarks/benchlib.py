"""Shared plumbing for the benchmark scripts (not a test module: pytest never collects it).

Every `bench_*.py` script measures one or more metrics and prints one
`RESULT {json}` line per metric; `run.py` runs the scripts in fresh processes,
collects those lines and prints one table. A script run on its own prints the
same table for its own metrics.

How "on screen" is detected: `FrameProbe` wraps `App._display`, which Textual
calls once per frame with the compositor update it has just rendered (headless
mode skips only the final write to the terminal). A predicate over the widgets'
content is checked on every frame, so the time recorded is the end of the first
frame that shows the thing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SIZE = (160, 48)
RESULT_PREFIX = "RESULT "


# --------------------------------------------------------------------------- results


@dataclass
class Metric:
    name: str
    target: float | None
    """Upper bound in `unit`; None: reported for information only."""
    unit: str = "ms"
    samples: list[float] = field(default_factory=list)
    judge: str = "median"
    """Which statistic is held against the target: "median" or "max" (worst case)."""
    note: str = ""

    def add(self, value: float) -> None:
        self.samples.append(value)

    @property
    def value(self) -> float | None:
        if not self.samples:
            return None
        return max(self.samples) if self.judge == "max" else statistics.median(self.samples)

    @property
    def verdict(self) -> str:
        if not self.samples:
            return "NO DATA"
        if self.target is None:
            return "info"
        return "pass" if self.value <= self.target else "MISS"  # type: ignore[operator]

    def emit(self) -> None:
        print(RESULT_PREFIX + json.dumps(asdict(self)), flush=True)

    @classmethod
    def parse(cls, line: str) -> Metric | None:
        if not line.startswith(RESULT_PREFIX):
            return None
        return cls(**json.loads(line[len(RESULT_PREFIX) :]))


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "%":
        return f"{value:.2f}%"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "ms":
        return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"
    return f"{value:.3g} {unit}"


def table(metrics: Sequence[Metric]) -> str:
    header = ("metric", "target", "median", "min", "max", "runs", "result")
    rows = [header]
    for m in metrics:
        s = m.samples
        target = "-" if m.target is None else f"≤ {fmt(m.target, m.unit)}" + (" (max)" if m.judge == "max" else "")
        rows.append(
            (
                m.name,
                target,
                fmt(statistics.median(s) if s else None, m.unit),
                fmt(min(s) if s else None, m.unit),
                fmt(max(s) if s else None, m.unit),
                str(len(s)),
                m.verdict,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"  * {m.name}: {m.note}" for m in metrics if m.note]
    return "\n".join(lines + ([""] + notes if notes else []))


def arguments(description: str, runs: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=None, help=f"repetitions (default {runs}; --quick: fewer)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, shorter windows")
    args = parser.parse_args()
    if args.runs is None:
        args.runs = max(1, (runs + 1) // 2) if args.quick else runs
    return args


def finish(metrics: Sequence[Metric]) -> None:
    """Emit the machine-readable lines (for run.py) and, when run alone, the table."""
    for metric in metrics:
        metric.emit()
    if not os.environ.get("ALARMTUI_BENCH_QUIET_TABLE"):
        print(table(metrics), file=sys.stderr)


def log(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- frames


class FrameProbe:
    """Hooks an app's frames; `await probe.until(predicate)` returns the time of the first frame that satisfies it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.frames: list[float] = []
        self._watch: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            now = time.monotonic()
            self.frames.append(now)
            for item in list(self._watch):
                predicate, future = item
                if future.done():
                    self._watch.remove(item)
                    continue
                try:
                    hit = predicate()
                except Exception:  # widgets not mounted yet, data not there yet
                    hit = False
                if hit:
                    future.set_result(now)
                    self._watch.remove(item)

        app._display = display

    def watch(self, predicate: Callable[[], bool]) -> asyncio.Future[float]:
        """Start watching now (before causing the change); the future gets the frame time."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._watch.append((predicate, future))
        return future

    async def until(self, predicate: Callable[[], bool], timeout: float = 30.0) -> float:
        return await asyncio.wait_for(self.watch(predicate), timeout)


def option_texts(option_list: Any) -> list[str]:
    """The plain text of every option of an OptionList (the partitions panel)."""
    return [str(getattr(option_list.get_option_at_index(i).prompt, "plain", "")) for i in range(option_list.option_count)]


def partition_shows(app: Any, provider: str, partition_name: str, word: str) -> bool:
    """The partitions panel's row for provider · partition contains `word` (e.g. "ARMING")."""
    head = f"{provider} · {partition_name}"
    # Rows start with the selection mark (or blanks), and compact rows with the state badge: look inside.
    return any(head in text and word in text for text in option_texts(app.partitions))


class LoopLag:
    """A coroutine that ticks every `period` seconds and records how late each tick was."""

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.lags: list[tuple[float, float]] = []  # (time, lag seconds)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.period)
            now = time.monotonic()
            self.lags.append((now, now - before - self.period))

    def worst(self, start: float, end: float) -> float:
        return max((lag for when, lag in self.lags if start <= when <= end + self.period * 2), default=0.0)

    def stop(self) -> None:
        if self._task:
            self._task.cancel()


def quiet_logging() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    for noisy in ("aiohttp.access", "httpx", "httpcore", "alarmtui"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


class RequestLog:
    """Every HTTP request an in-process simulator receives: (monotonic time, method, path with query).

    Patches aiohttp's `Application._handle`, the first code that sees a parsed request
    (on the simulator's own thread), so this is the moment the simulated cloud has it.
    """

    def __init__(self) -> None:
        from aiohttp import web_app

        self.requests: list[tuple[float, str, str]] = []
        original = web_app.Application._handle
        log_list = self.requests

        async def handle(app, request):  # type: ignore[no-untyped-def]
            log_list.append((time.monotonic(), request.method, request.path_qs))
            return await original(app, request)

        web_app.Application._handle = handle  # type: ignore[method-assign]

    def first(self, after: float, match: Callable[[str, str], bool]) -> float | None:
        for when, method, path in list(self.requests):
            if when >= after and match(method, path):
                return when
        return None


def header_text(app: Any) -> str:
    content = app.header.content
    return str(getattr(content, "plain", content))
