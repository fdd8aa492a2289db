"""What many tests share: waiting for a condition, a fake clock, and the processes they start.

- `until` / `until_sync`: poll a condition (never a fixed sleep); with a Textual `pilot` the app
  keeps running between polls. `until_quiet`: a count that has stopped changing (nothing more happens).
- `FakeClock`: one clock for the simulators' panels, the providers and `LoginGate` (they all take
  `clock=`); `advance()` moves time without waiting.
- In this process (the default; real loopback HTTP, real Unix socket, real SQLite): `cli` / `acli` run
  `alarmtui …` (`alarmtui.cli.main`), exit code and output captured as a child's would be; `CliThread` one
  that waits for typed answers; `ServiceThread` is `alarmtui serve` (engine, socket, journal) in a thread,
  stopped as SIGTERM stops it; `ListenThread` is `alarmtui listen`, stopped as Ctrl-C stops it; `SimThread`
  serves what `alarmtui sim --fast --write-config` serves.
- `run_cli`, `spawn_cli`, `SimProcess`: `python -m alarmtui …` in a child process (the ~6 `e2e`
  smoke tests and what needs a process: signals, SIGKILL, another uid; everything else runs in-process).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parents[1]
POLL = 0.02
"""Seconds between two looks at a condition."""


def _describe(what: str, predicate: object) -> str:
    return what or getattr(predicate, "__name__", repr(predicate))


async def until(
    predicate: Callable[[], object],
    timeout: float = 10.0,
    what: str = "",
    *,
    pilot: Any = None,
    step: float = POLL,
    context: Callable[[], object] | None = None,
) -> Any:
    """Wait until `predicate()` is truthy (returns it); a `pilot` keeps the app processing meanwhile.

    The timeout is a safety net for a hung test, not a measurement: keep it generous. `context()`
    is added to the failure message (what the test was looking at).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            extra = f": {context()}" if context is not None else ""
            raise AssertionError(f"timed out after {timeout:g} s waiting for {_describe(what, predicate)}{extra}")
        if pilot is not None:
            await pilot.pause(step)
        else:
            await asyncio.sleep(step)


async def until_pilot(pilot: Any, predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> Any:
    """`until` for a Textual app under test; on a timeout it names each provider view's state."""
    return await until(predicate, timeout, what, pilot=pilot, context=lambda: _views_of(pilot.app))


def _views_of(app: Any) -> object:
    views = getattr(app, "views", None)
    if not views:
        return "no provider views"
    return {
        name: (view.status.state, view.status.reason, view.snapshot and [(p.id, p.state) for p in view.snapshot.partitions])
        for name, view in views.items()
    }


def until_sync(predicate: Callable[[], object], timeout: float = 10.0, what: str = "", *, step: float = POLL) -> Any:
    """`until` for code without an event loop (threads, child processes)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {_describe(what, predicate)}")
        time.sleep(step)


def until_quiet(count: Callable[[], int], calm: float = 0.3, timeout: float = 20.0, what: str = "") -> int:
    """`count()` once it has stopped changing for `calm` seconds (a burst of requests or journal rows is
    over): for "nothing more happens", where no event marks the end. Returns the settled count."""
    seen = [count(), time.monotonic()]

    def settled() -> bool:
        now = count()
        if now != seen[0]:
            seen[:] = [now, time.monotonic()]
        return time.monotonic() - seen[1] >= calm

    until_sync(settled, timeout, what or "the count to settle")
    return int(seen[0])


class FakeClock:
    """A monotonic clock (and a wall clock riding along) that moves only when told.

    Pass `clock` (or `clock.monotonic`) where a `clock=` is taken and `clock.wall` where a
    `wall=` is; `advance(seconds)` moves both.
    """

    def __init__(self, start: float = 1000.0, wall: float = 1_780_000_000.0) -> None:
        self.now = start
        self._wall_offset = wall - start

    def __call__(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + self._wall_offset

    def advance(self, seconds: float) -> float:
        assert seconds >= 0, "time does not run backwards"
        self.now += seconds
        return self.now


# ---------------------------------------------------------------------- processes


def child_env(extra: dict[str, str] | None = None, *, inherit: bool = True) -> dict[str, str]:
    """The test's environment (its private XDG folders) plus `extra`, or exactly `extra` (`inherit=False`),
    with this checkout first on the path."""
    env = {**(os.environ if inherit else {}), **(extra or {})}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 90, inherit: bool = True
) -> subprocess.CompletedProcess[str]:
    """`python -m alarmtui ARGS` to completion, output captured, no terminal (`env` adds to the test's, or replaces it)."""
    return subprocess.run(
        [sys.executable, "-m", "alarmtui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(env, inherit=inherit),
        stdin=subprocess.DEVNULL,
        cwd=REPO,
    )


def spawn_cli(*args: str, env: dict[str, str] | None = None, **options: Any) -> subprocess.Popen[str]:
    """`python -m alarmtui ARGS` running in the background (stdout/stderr piped, text)."""
    options.setdefault("stdout", subprocess.PIPE)
    options.setdefault("stderr", subprocess.PIPE)
    options.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen([sys.executable, "-m", "alarmtui", *args], text=True, env=child_env(env), cwd=REPO, **options)


def stop_process(process: subprocess.Popen[Any], sig: int = signal.SIGINT, timeout: float = 10.0) -> int:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    return process.returncode


CONTROL_LINE = re.compile(r"scenario control: (http://127\.0\.0\.1:\d+)/_control")


class SimProcess:
    """`alarmtui sim --fast --write-config FILE` in a child process, as a user runs it."""

    def __init__(self, config: Path, *args: str) -> None:
        self.config = config
        self.args = args
        self.process: subprocess.Popen[str] | None = None
        self.control_url = ""
        self.lines: list[str] = []

    def start(self, timeout: float = 30.0) -> SimProcess:
        self.process = spawn_cli("sim", "--fast", "--write-config", str(self.config), *self.args)
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"alarmtui sim exited ({self.process.wait()}): {self.process.stderr.read()}")  # type: ignore[union-attr]
            self.lines.append(line)
            if match := CONTROL_LINE.search(line):
                self.control_url = match.group(1)
            if line.startswith("config written to"):
                assert self.control_url, "alarmtui sim printed no control URL"
                return self
        raise AssertionError(f"alarmtui sim did not write its config: {''.join(self.lines)}")

    def scenario(self, cloud: str, op: str, **args: Any) -> dict[str, Any]:
        from alarmtui.simulators.control import run_scenario_sync

        return run_scenario_sync(self.control_url, cloud, op, **args)

    def panels(self, cloud: str) -> list[dict[str, Any]]:
        import urllib.request

        with urllib.request.urlopen(f"{self.control_url}/_control/{cloud}", timeout=5) as reply:  # noqa: S310 - loopback
            return json.load(reply)["panels"]  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


def sim_process(config: Path, *args: str) -> Iterator[SimProcess]:
    """A generator for fixtures: `yield from sim_process(path)`."""
    sim = SimProcess(config, *args).start()
    try:
        yield sim
    finally:
        sim.stop()


# ---------------------------------------------------------------------- in-process commands and service


@dataclass
class CliResult:
    """What `cli` gives back: the fields of a `subprocess.CompletedProcess` that tests read."""

    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def environment(env: dict[str, str] | None) -> Iterator[None]:
    """`os.environ` as a child started with `env` would see it, for the duration: `env`'s keys set, and any
    `ALARMTUI_*` key that `env` leaves out removed (a service test's environment names only its socket)."""
    if env is None:
        yield
        return
    wanted = {k: v for k, v in env.items() if os.environ.get(k) != v}
    wanted.update({k: None for k in os.environ if k.startswith("ALARMTUI_") and k not in env})  # type: ignore[misc]
    saved = {k: os.environ.get(k) for k in wanted}
    try:  # only the keys that differ: threads of this process (simulators, a service) read the rest meanwhile
        _set_environ(wanted)
        yield
    finally:
        _set_environ(saved)


def _set_environ(values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def cli(*args: str, env: dict[str, str] | None = None, stdin: str | TextIO = "") -> CliResult:
    """`alarmtui ARGS` in this process: `alarmtui.cli.main`, with its own stdin (not a terminal), stdout and
    stderr, and `environment(env)`. A usage error from argparse (SystemExit) becomes its exit code; any
    other exception propagates (a child would have printed a traceback and exited 1: a test failure either way).

    `main` calls `asyncio.run`: call this from a sync test, or `await asyncio.to_thread(cli, ...)` from an
    async one. Log handlers the command adds to the root logger are removed afterwards."""
    from alarmtui.cli import main

    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin) if isinstance(stdin, str) else stdin, out, err
    try:
        with environment(env):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if not isinstance(exc.code, int) and exc.code is not None:
                    print(exc.code, file=sys.stderr)  # as the interpreter prints `sys.exit("message")`
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
    return CliResult(int(code), out.getvalue(), err.getvalue())


class CliThread:
    """`cli(ARGS)` in a thread, for a command that waits for what a person types: `type(line)` feeds its stdin
    (a pipe, not a terminal); `wait()` gives its result. It takes over this process's `sys.stdin`, `sys.stdout`
    and `sys.stderr` while it runs: run no other `cli` meanwhile."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        read, write = os.pipe()
        self._stdin = os.fdopen(read, "r")
        self._typed = os.fdopen(write, "w")
        self.result: CliResult | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(args, env), name="alarmtui-cli", daemon=True)
        self._thread.start()

    def _run(self, args: tuple[str, ...], env: dict[str, str] | None) -> None:
        try:
            self.result = cli(*args, env=env, stdin=self._stdin)
        except BaseException as exc:  # noqa: BLE001  (raised again by wait)
            self.error = exc
        finally:
            self._stdin.close()

    def type(self, line: str) -> None:
        self._typed.write(line + "\n")
        self._typed.flush()

    def poll(self) -> int | None:
        """Its exit code once it has ended (None while it runs)."""
        if self._thread.is_alive():
            return None
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result.returncode

    def wait(self, timeout: float = 60.0) -> CliResult:
        """Its result; stdin is closed first (end of input, as `communicate` does)."""
        with contextlib.suppress(OSError):
            self._typed.close()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the command did not end within {timeout:g} s"
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


async def acli(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> CliResult:
    """`cli` from an async test (in a worker thread: `main` runs its own event loop)."""
    return await asyncio.to_thread(cli, *args, env=env, stdin=stdin)


class ServiceThread:
    """`alarmtui serve --config FILE`, in a thread of this process: the same engine, bridges, socket claim,
    journal claim and shutdown as the service process (`alarmtui.service.main.serve` → `run_service`), on a
    real Unix socket. The service's log records (and the command's, in this process) go to `log`.

    Signal handlers belong to the main thread: the service runs `serve_async` with a stop event instead, and
    `terminate()` sets it, as its SIGTERM handler does. `returncode` is `serve`'s: 0 after a clean stop, 1 when
    the service refused to start (`error` says why)."""

    def __init__(self, config: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.log = log
        self.env = dict(env if env is not None else os.environ)
        self.returncode: int | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._handler: logging.Handler | None = None
        self._level = logging.WARNING
        self._socket: Path | None = None

    @property
    def socket(self) -> Path:
        """The socket it claimed (read once it has started)."""
        assert self._socket is not None, "not started"
        return self._socket

    @property
    def process(self) -> ServiceThread:
        """What the process-based tests read (`process.poll()`): this object itself."""
        return self

    def poll(self) -> int | None:
        return None if self.running() else self.returncode

    def start(self, timeout: float = 30.0) -> ServiceThread:
        from alarmtui.redaction import install_log_filter

        self.returncode, self.error = None, None
        self._ready.clear()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._handler = logging.FileHandler(self.log, encoding="utf-8")
        self._handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(self._handler)
        self._level = root.level
        root.setLevel(logging.INFO)  # as `serve` logs
        install_log_filter(root)
        self._thread = threading.Thread(target=self._run, name="alarmtui-serve", daemon=True)
        with environment(self.env):  # what it reads while it starts (settings, socket path): the service's environment
            self._thread.start()
            deadline = time.monotonic() + timeout
            while not self._ready.wait(0.02):
                if not self._thread.is_alive():
                    self._detach_log()
                    raise AssertionError(f"the service exited ({self.returncode}): {self.error!r}\n{self.log.read_text()}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"the service did not start: {self.log.read_text()}")
        return self

    def wait_first_state(self, provider: str | None = None) -> ServiceThread:
        """Until every provider (or this one) has its first state (read, or failed): what `status` waits for.
        A child process's ~1 s start-up used to give the service this time before a command arrived."""
        from alarmtui.engine.attached.quick import get_json

        answer = get_json(self.socket, "/v1/status", {"provider": provider} if provider else None, timeout=30)
        assert answer is not None and answer[0] == 200, answer
        return self

    def _run(self) -> None:
        from alarmtui.engine.endpoint import socket_path
        from alarmtui.service.main import run_on_new_loop, serve_async
        from alarmtui.service.server import ServiceError
        from alarmtui.settings import load_settings

        async def main() -> None:  # as `alarmtui.service.main.serve`
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            settings = load_settings(self.config, required=True).settings
            self._socket = socket_path(settings.socket)
            await serve_async(settings, self.config, ready=self._ready.set, stop=self._stop)

        try:
            run_on_new_loop(main())  # the service's own loop handling (`run_bounded` without its process exit)
            self.returncode = 0
        except ServiceError as exc:
            self.error, self.returncode = exc, 1
        except BaseException as exc:  # noqa: BLE001  (reported by start/terminate)
            self.error, self.returncode = exc, 1
            logging.getLogger(__name__).exception("the in-process service failed")

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, as systemd stops the service; waits for `run_service` to finish and returns the exit code."""
        assert self._thread is not None and self._loop is not None
        if self._thread.is_alive():
            assert self._stop is not None
            self._loop.call_soon_threadsafe(self._stop.set)  # what its SIGTERM handler does in a process
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise subprocess.TimeoutExpired(["alarmtui", "serve"], timeout)
        self._detach_log()
        assert self.returncode is not None
        return self.returncode

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _detach_log(self) -> None:
        if self._handler is not None:
            root = logging.getLogger()
            root.removeHandler(self._handler)
            root.setLevel(self._level)
            self._handler.close()
            self._handler = None

    def stop(self) -> None:
        """Fixture teardown: terminate if still running (a test may have stopped it already)."""
        if self.running():
            self.terminate()
        self._detach_log()


class LineStream(io.TextIOBase):
    """A text stream whose whole lines land in a queue (one writer thread)."""

    def __init__(self) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._partial += text
        *done, self._partial = self._partial.split("\n")
        for whole in done:
            self.lines.put(whole + "\n")
        return len(text)


class ListenThread:
    """`alarmtui listen ARGS` in a thread of this process: the command's own `listen` coroutine with the
    arguments `alarmtui.cli` parses, its lines in `lines`; `stop()` is its Ctrl-C (signal handlers belong to
    the main thread: it runs with a stop event, which its Ctrl-C handler sets in a process)."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        from alarmtui.cli import build_parser

        self.args = build_parser().parse_args(["listen", *args])
        self.env = env
        self.out = LineStream()
        self.err = LineStream()
        self.seen_errors: list[str] = []
        self.returncode: int | None = None
        self.error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="alarmtui-listen", daemon=True)

    def _run(self) -> None:
        from alarmtui.listen import listen

        loop = asyncio.new_event_loop()
        self._loop = loop
        self._stop = asyncio.Event()
        try:
            self.returncode = loop.run_until_complete(listen(self.args, self.out, self._stop))  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001  (reported by wait_listening/stop)
            self.error = exc
        finally:
            loop.close()

    def start(self, timeout: float = 30.0) -> ListenThread:
        """Start, and return once it says it is listening (its stderr line, as a person would see it)."""
        saved = sys.stderr
        sys.stderr = self.err  # type: ignore[assignment]  # only while it starts: later commands print their own
        try:
            with environment(self.env):
                self._thread.start()
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    try:
                        said = self.err.lines.get(timeout=0.02)
                    except queue.Empty:
                        if not self._thread.is_alive():
                            raise AssertionError(f"listen ended ({self.returncode}): {self.error!r} {self.seen_errors}") from None
                        continue
                    self.seen_errors.append(said)
                    if "listening" in said:
                        return self
        finally:
            sys.stderr = saved
        raise AssertionError(f"listen never said it was listening: {self.seen_errors}")

    def until_line(self, wanted: Callable[[dict[str, str]], object], timeout: float = 30.0) -> list[dict[str, str]]:
        """Every JSON line (parsed) up to the first that `wanted` accepts."""
        from alarmtui.listen import KEYS

        seen: list[dict[str, str]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                text = self.out.lines.get(timeout=0.02)
            except queue.Empty:
                assert self.error is None, self.error
                continue
            entry = json.loads(text)
            assert tuple(entry) == KEYS, entry
            seen.append(entry)
            if wanted(entry):
                return seen
        raise AssertionError(f"no such line; saw {seen}")

    def stop(self, timeout: float = 15.0) -> int:
        """Ctrl-C; its exit code."""
        if self._thread.is_alive():
            assert self._loop is not None
            assert self._stop is not None
            self._loop.call_soon_threadsafe(self._stop.set)  # what its Ctrl-C handler does in a process
            self._thread.join(timeout)
            assert not self._thread.is_alive(), "listen did not stop on Ctrl-C"
        if self.error is not None:
            raise self.error
        assert self.returncode is not None
        return self.returncode


class SimThread:
    """What `alarmtui sim --fast --kinds KINDS --write-config FILE` serves, in a thread of this process: the same
    clouds (`cli.sim_clouds`) and the same config file (mode 0600). The codes the simulators "send" (Securitas SMS,
    My Pages step-up) land in `lines` as the lines `sim` prints for them."""

    def __init__(self, config: Path, *kinds: str) -> None:
        self.config = config
        self.kinds = kinds
        self.lines: queue.Queue[str] = queue.Queue()
        self.host: Any = None

    def start(self) -> SimThread:
        from alarmtui.cli import sim_clouds
        from alarmtui.settings import write_config
        from alarmtui.simulators.host import ThreadedSimHost

        clouds = sim_clouds(self.kinds, fast=True, say=lambda line: self.lines.put(line + "\n"))
        self.host = ThreadedSimHost(clouds, control=True).start()
        write_config(self.config, self.host.provider_tables())
        return self

    def stop(self) -> None:
        if self.host is not None:
            self.host.stop()


def fuzz_examples(default: int) -> int:
    """Examples for a `@given` run built inside a test (tests/conftest.py bounds only collected tests): the
    loaded hypothesis profile's (small by default, at least `default` under HYPOTHESIS_PROFILE=fuzz), or
    `ALARMTUI_FUZZ_EXAMPLES`."""
    from hypothesis import settings

    active = settings.default.max_examples
    fuzz = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
    return int(os.environ.get("ALARMTUI_FUZZ_EXAMPLES", max(default, active) if fuzz else min(default, active)))
