"""`alarmtui status` answered by a real service exits exactly as the in-process `status` does.

Each case puts one provider in one kind of trouble (the simulators' real faults),
starts `alarmtui serve` for it (in a thread of this process: real socket), and runs the same `status`
(in-process, `alarmtui.cli.main`) attached and with `--standalone`. The attached run is checked to have
been answered by the service: the in-process path is made to fail while it runs; and in a fresh
process, answering `status` never even imports the providers (so it cannot have asked a vendor).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import alarmtui.cli as cli_module
from alarmtui.cli import Exit
from alarmtui.demo import DemoEnvironment
from alarmtui.settings import write_config
from tests.helpers import CliResult, ServiceThread, cli, until_sync
from tests.service.conftest import REPO


@pytest.fixture(scope="module")
def clouds() -> Iterator[DemoEnvironment]:
    """Visonic and Securitas, quiet; Securitas wants this device validated by SMS (two-factor)."""
    env = DemoEnvironment.start(kinds=("visonic", "securitas"), life=False, fast=True, otp=True)
    try:
        yield env
    finally:
        env.stop()


@pytest.fixture
def visonic(clouds: DemoEnvironment) -> Iterator[Any]:
    cloud = clouds.host.cloud("visonic")
    yield cloud
    clouds.host.call(lambda: cloud.faults.faults.clear())
    for panel in cloud.panels:
        clouds.host.call(panel.set_offline, False)


def table(env: DemoEnvironment, kind: str, **changes: Any) -> dict[str, Any]:
    found = next(t for t in env.host.provider_tables() if t["kind"] == kind)
    found.update(poll_interval=2.0, request_budget=20000, **changes)
    return found


def attached_status(config: Path, env: dict[str, str], *options: str) -> CliResult:
    """`status` in this process, proven answered by the service: the in-process path fails the test if taken."""

    async def not_the_service(args: object) -> int:
        raise AssertionError("not answered by the service: `status` took the in-process path")

    original = cli_module.run_headless
    cli_module.run_headless = not_the_service  # type: ignore[assignment]
    try:
        return cli("status", *options, "--config", str(config), env=env)
    finally:
        cli_module.run_headless = original


def compare(
    tables: list[dict[str, Any]],
    short_dir: Path,
    service_env: dict[str, str],
    expected: Exit,
    *,
    before_status: Callable[[], None] | None = None,
    same_shape: bool = True,
) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    """Start a service for `tables`, then run `status` attached and standalone: both must exit `expected`."""
    config = short_dir / "parity.toml"
    write_config(config, tables)
    proc = ServiceThread(config, short_dir / "parity.log", service_env).start()
    try:
        if before_status is not None:
            before_status()
        attached_json = attached_status(config, service_env, "--json")
        attached_text = attached_status(config, service_env)
        standalone_json = cli("status", "--json", "--standalone", "--config", str(config), env=service_env)
        standalone_text = cli("status", "--standalone", "--config", str(config), env=service_env)
    finally:
        assert proc.terminate() == 0
    codes = {
        "attached --json": attached_json.returncode,
        "attached": attached_text.returncode,
        "standalone --json": standalone_json.returncode,
        "standalone": standalone_text.returncode,
    }
    assert set(codes.values()) == {expected}, (codes, attached_text.stderr, standalone_text.stderr)
    attached, standalone = json.loads(attached_json.stdout), json.loads(standalone_json.stdout)
    assert attached.keys() == standalone.keys() == {"providers"}
    for mine, theirs in zip(attached["providers"], standalone["providers"], strict=True):
        assert mine.keys() == theirs.keys() or not same_shape
        assert (mine["name"], mine["online"], bool(mine["error"])) == (theirs["name"], theirs["online"], bool(theirs["error"]))
    assert bool(attached_text.stderr.strip()) == bool(standalone_text.stderr.strip())
    return attached["providers"][0], standalone["providers"][0], attached_text.stderr, standalone_text.stderr


def test_online(clouds: DemoEnvironment, visonic: Any, short_dir: Path, service_env: dict[str, str]) -> None:
    mine, theirs, *_ = compare([table(clouds, "visonic")], short_dir, service_env, Exit.OK)
    assert mine == theirs


def test_login_refused_exits_3(clouds: DemoEnvironment, visonic: Any, short_dir: Path, service_env: dict[str, str]) -> None:
    refused = table(clouds, "visonic", username="nobody@example.com")
    _, _, mine, theirs = compare([refused], short_dir, service_env, Exit.AUTH)
    assert "powermaster" in mine and "powermaster" in theirs


def test_two_factor_needed_exits_3_and_points_at_login(
    clouds: DemoEnvironment, short_dir: Path, service_env: dict[str, str]
) -> None:
    _, _, mine, theirs = compare([table(clouds, "securitas")], short_dir, service_env, Exit.AUTH)
    assert (
        mine.strip()
        == theirs.strip()
        == "alarmtui: hogar: two-factor verification needed for this device: run `alarmtui login hogar`"
    )


def test_cloud_unreachable_exits_4(clouds: DemoEnvironment, short_dir: Path, service_env: dict[str, str]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nobody listens there once this block ends
    nowhere = table(clouds, "visonic", url=f"http://127.0.0.1:{port}")
    _, _, mine, theirs = compare([nowhere], short_dir, service_env, Exit.UNAVAILABLE)
    assert mine.splitlines()[1:] == theirs.splitlines()[1:]  # the same one-shot hint


def test_panel_offline_exits_4(clouds: DemoEnvironment, visonic: Any, short_dir: Path, service_env: dict[str, str]) -> None:
    for panel in visonic.panels:
        clouds.host.call(panel.set_offline, True)
    compare([table(clouds, "visonic")], short_dir, service_env, Exit.UNAVAILABLE)


def test_rate_limited_exits_7(clouds: DemoEnvironment, visonic: Any, short_dir: Path, service_env: dict[str, str]) -> None:
    clouds.host.call(lambda: visonic.faults.add("status", status=429, headers={"Retry-After": "60"}, times=10**6))
    _, _, mine, theirs = compare([table(clouds, "visonic")], short_dir, service_env, Exit.RATE_LIMITED)
    assert mine.splitlines()[1:] == theirs.splitlines()[1:]


def test_nonsense_reply_exits_6(clouds: DemoEnvironment, visonic: Any, short_dir: Path, service_env: dict[str, str]) -> None:
    clouds.host.call(
        lambda: visonic.faults.add("status", body=b'{"connected": tru', content_type="application/json", times=10**6)
    )
    compare([table(clouds, "visonic")], short_dir, service_env, Exit.PROTOCOL)


def test_stale_state_while_the_cloud_fails_is_marked_and_exits_4(
    clouds: DemoEnvironment, visonic: Any, short_dir: Path, service_env: dict[str, str]
) -> None:
    """The service read the panel, then the cloud broke: the last state is shown, marked, and the exit is 4."""
    config_socket = Path(service_env["ALARMTUI_SOCKET"])

    def break_the_cloud_after_a_good_read() -> None:
        from alarmtui.engine.attached.quick import get_json

        def answer() -> dict[str, Any]:
            found = get_json(config_socket, "/v1/status")
            return found[1] if found is not None else {"providers": [{"online": False}], "problems": {}}

        until_sync(lambda: answer()["providers"][0]["online"], 20, "a good read by the service")
        clouds.host.call(lambda: visonic.faults.add(None, status=503, times=10**6))
        until_sync(lambda: answer()["problems"], 20, "the service to call its state stale")

    mine, theirs, _, _ = compare(
        [table(clouds, "visonic")],
        short_dir,
        service_env,
        Exit.UNAVAILABLE,
        before_status=break_the_cloud_after_a_good_read,
        same_shape=False,
    )
    assert mine["partitions"] and not theirs["partitions"]  # the last good read, kept …
    assert mine["online"] is False and "showing the last good read" in mine["error"]  # … and marked


def test_exit_codes_by_name_follow_the_error_tree() -> None:
    """The names the service reports map to the codes the error classes themselves get."""
    from alarmtui.headless import exit_code_for, exit_code_for_kinds
    from alarmtui.providers import errors

    for kind in vars(errors).values():
        if isinstance(kind, type) and issubclass(kind, errors.ProviderError):
            error = kind("x") if kind is not errors.OpenZones else kind("x", zones=("door",))
            names = [c.__name__ for c in kind.__mro__ if issubclass(c, errors.ProviderError)]
            assert exit_code_for_kinds(names) == exit_code_for(error), kind


def test_arm_modes_spelled_out_in_the_cli_are_the_domains() -> None:
    from alarmtui.cli import ARM_MODES
    from alarmtui.domain import ArmMode

    assert ARM_MODES == tuple(m.value for m in ArmMode)


def test_status_answered_by_the_service_loads_nothing_heavy(
    clouds: DemoEnvironment, short_dir: Path, service_env: dict[str, str]
) -> None:
    """What keeps it within a quarter second: no httpx, no settings model, no provider, no domain model, no asyncio."""
    config = short_dir / "light.toml"
    write_config(config, [table(clouds, "visonic")])
    proc = ServiceThread(config, short_dir / "light.log", service_env).start()
    # `alarmtui.domain` itself loads (its names are lazy; `domain.text` makes vendor text inert), not its model.
    heavy = ("httpx", "aiohttp", "pydantic", "alarmtui.providers", "alarmtui.settings", "alarmtui.domain.model", "asyncio")
    probe = (
        "import sys, io, contextlib\n"
        "from alarmtui.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()): code = main(['status', '--json', '--config', {str(config)!r}])\n"
        f"print(code, [m for m in {heavy!r} if m in sys.modules])\n"
    )
    try:
        result = subprocess.run(  # a fresh interpreter: what it imports is the point
            [sys.executable, "-c", probe], capture_output=True, text=True, env=service_env, timeout=60, cwd=REPO
        )
    finally:
        assert proc.terminate() == 0
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 []"


class OneReply:
    """A Unix socket that answers any request with fixed bytes, then closes (what no aiohttp server would send)."""

    def __init__(self, path: Path, reply: bytes) -> None:
        import threading

        self.path, self.reply = path, reply
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        connection, _ = self.server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(self.reply)
        self.server.close()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"a": true}', (200, {"a": True})),
        (
            b'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n5;x=y\r\n: 1}\n\r\n0\r\n\r\n',
            (404, {"a": 1}),
        ),
        (b'HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n{"a": true}', None),  # cut off
        (b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"', None),  # cut off inside a chunk
        (b'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n{"a": ', None),  # not JSON
        (b'SSH-2.0-OpenSSH_9.6\r\n\r\n{"a": 1}', None),  # not HTTP
        (b"", None),  # closed without a word
    ],
)
def test_quick_client_takes_only_whole_http_json_replies(short_dir: Path, reply: bytes, expected: object) -> None:
    from alarmtui.engine.attached.quick import get_json

    path = short_dir / "one.sock"
    OneReply(path, reply)
    assert get_json(path, "/v1/status", {"provider": "a b", "partition": None}, timeout=5) == expected


def test_quick_client_says_none_when_nobody_listens(short_dir: Path) -> None:
    from alarmtui.engine.attached.quick import get_json

    assert get_json(short_dir / "nobody.sock", "/v1/hello", timeout=1) is None
