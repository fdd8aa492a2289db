"""`alarmtui serve`: a real service on a real Unix socket (in a thread of this process, or a child process where
signals and SIGKILL are the point), commands run in-process as `alarmtui.cli.main`."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import sys
from pathlib import Path

import pytest

from alarmtui.demo import DemoEnvironment
from alarmtui.domain.updates import LinkState
from alarmtui.engine.attached.engine import SERVICE_LOST, AttachedEngine
from alarmtui.engine.attached.find import find_service
from alarmtui.settings import write_config
from tests.helpers import ServiceThread, cli, until, until_quiet, until_sync
from tests.service.conftest import ServiceProcess, run_process


def set_state_posts(demo: DemoEnvironment) -> int:
    return sum(1 for method, path in demo.host.cloud("visonic").requests if method == "POST" and path.endswith("/set_state"))  # type: ignore[attr-defined]


def test_socket_folder_and_socket_are_private(service: ServiceThread) -> None:
    folder = service.socket.parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_ISSOCK(service.socket.stat().st_mode)
    assert stat.S_IMODE(service.socket.stat().st_mode) == 0o600


def test_status_json_attached_equals_standalone(service: ServiceThread, config_file: Path) -> None:
    attached = cli("status", "--json", "--config", str(config_file), env=service.env)
    standalone = cli("status", "--json", "--standalone", "--config", str(config_file), env=service.env)
    assert attached.returncode == 0, attached.stderr
    assert standalone.returncode == 0, standalone.stderr
    assert json.loads(attached.stdout) == json.loads(standalone.stdout)
    assert {p["name"] for p in json.loads(attached.stdout)["providers"]} == {"casa", "powermaster", "vera", "hogar", "villa"}


def visonic_requests(demo: DemoEnvironment) -> int:
    return len(demo.host.cloud("visonic").requests)  # type: ignore[attr-defined]


def test_status_answered_by_the_service_costs_no_vendor_request(
    demo: DemoEnvironment, short_dir: Path, service_env: dict[str, str]
) -> None:
    tables = [t for t in demo.host.provider_tables() if t["kind"] == "visonic"]
    for table in tables:
        table["poll_interval"] = 3600.0  # the service reads once at start, then stays quiet
    config = short_dir / "quiet.toml"
    write_config(config, tables)
    proc = ServiceThread(config, short_dir / "quiet.log", service_env).start()
    try:
        first = cli("status", "--json", "--config", str(config), env=service_env)  # waits for the first state
        assert first.returncode == 0, first.stderr
        before = until_quiet(lambda: visonic_requests(demo), what="the vendor requests to stop")  # the start-up refresh is done
        for _ in range(3):
            result = cli("status", "--json", "--config", str(config), env=service_env)
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout)["providers"][0]["online"] is True
        assert visonic_requests(demo) == before
        standalone = cli("status", "--json", "--standalone", "--config", str(config), env=service_env)
        assert standalone.returncode == 0, standalone.stderr
        assert visonic_requests(demo) > before  # the control: a standalone read does talk to the vendor
    finally:
        assert proc.terminate() == 0


def test_command_through_the_service_reaches_the_panel_once(
    service: ServiceThread, config_file: Path, demo: DemoEnvironment
) -> None:
    service.wait_first_state("powermaster")  # (a command during the first login would wait for it)
    env = {**service.env, "ALARMTUI_CODE": "1234"}
    before = set_state_posts(demo)
    armed = cli("arm", "away", "--provider", "powermaster", "--config", str(config_file), env=env)
    assert armed.returncode == 0, armed.stderr
    # In its exit delay the panel has accepted, not armed (issue 17): "armed" only once it says so.
    # (Named by the read after the command — "House arming" — or in the panel's own words when the exit delay is
    # still running at the panel's answer: "accepted — arming, exit delay 1 s".)
    assert armed.stdout.startswith(("powermaster: accepted — ", "powermaster: done")), armed.stdout
    assert "arming" in armed.stdout or "armed away" in armed.stdout, armed.stdout
    assert set_state_posts(demo) == before + 1
    assert "1234" not in service.log.read_text()
    disarmed = cli("disarm", "--provider", "powermaster", "--config", str(config_file), env=env)
    assert disarmed.returncode == 0, disarmed.stderr
    assert set_state_posts(demo) == before + 2


def test_a_second_service_on_the_same_socket_is_refused(service: ServiceThread, config_file: Path) -> None:
    second = run_process("serve", "--config", str(config_file), env=service.env, timeout=30)  # its own process: it exits
    assert second.returncode == 1
    assert "already running" in second.stderr and str(service.socket) in second.stderr
    assert service.running()
    assert find_service(config_file) is not None  # the first one still answers


def test_stale_socket_of_a_killed_service_is_taken_over(service_process: ServiceProcess, config_file: Path) -> None:
    service = service_process  # SIGKILL: a process
    service.kill()
    assert service.socket.exists()  # kill -9 leaves the socket file behind
    assert find_service(config_file) is None  # nobody answers: views work standalone
    service.start()
    assert find_service(config_file) is not None


@pytest.mark.e2e  # a real subprocess smoke test: `serve` as systemd runs it, a `status` process attached to it, SIGTERM
def test_sigterm_logs_out_of_every_vendor_and_exits_cleanly(
    service_process: ServiceProcess, config_file: Path, demo: DemoEnvironment
) -> None:
    service = service_process
    attached = run_process("status", "--json", "--config", str(config_file), env=service.env)
    assert attached.returncode == 0, attached.stderr
    assert {p["name"] for p in json.loads(attached.stdout)["providers"]} == {"casa", "powermaster", "vera", "hogar", "villa"}
    verisure = demo.host.cloud("verisure")
    until_sync(lambda: verisure.sessions, 20, "the Verisure login")  # type: ignore[attr-defined]
    assert service.terminate() == 0
    assert not verisure.sessions  # type: ignore[attr-defined]  (CLS sent: logged out)
    assert not service.socket.exists()
    assert "stopped" in service.log.read_text()


def test_the_in_process_service_also_logs_out_of_every_vendor_on_sigterm(service: ServiceThread, demo: DemoEnvironment) -> None:
    """What the e2e test above asserts about stopping, on the in-process service the other tests use."""
    verisure = demo.host.cloud("verisure")
    until_sync(lambda: verisure.sessions, 20, "the Verisure login")  # type: ignore[attr-defined]
    assert service.terminate() == 0
    assert not verisure.sessions  # type: ignore[attr-defined]
    assert not service.socket.exists()
    assert "stopped" in service.log.read_text()


def test_peer_uid_is_read_from_the_socket(short_dir: Path) -> None:
    from alarmtui.service.server import request_peer_uid as peer_uid

    class Transport:
        def __init__(self, sock: socket.socket) -> None:
            self.sock = sock

        def get_extra_info(self, name: str) -> object:
            return self.sock if name == "socket" else None

    class Request:
        def __init__(self, sock: socket.socket) -> None:
            self.transport = Transport(sock)

    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        assert peer_uid(Request(left)) == os.getuid()  # type: ignore[arg-type]


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to connect as another user")
def test_a_peer_with_another_uid_is_refused(service: ServiceThread) -> None:
    os.chmod(service.socket.parent.parent, 0o711)  # let the other user reach the socket at all …
    os.chmod(service.socket.parent, 0o711)
    os.chmod(service.socket, 0o666)  # … and connect: only the uid check stands in the way
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (child)
        code = 1
        try:
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX) as sock:
                sock.connect(str(service.socket))
                sock.sendall(b"GET /v1/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                reply = sock.recv(200)
            code = 0 if reply.startswith(b"HTTP/1.1 403") else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


async def test_attached_view_survives_service_death_and_reattaches(service_process: ServiceProcess, config_file: Path) -> None:
    service = service_process  # SIGKILL: a process
    target = await asyncio.to_thread(find_service, config_file)
    assert target is not None
    engine = AttachedEngine.from_hello(target.socket, target.hello, retry_delay=0.2, retry_max=0.5)
    seen: list[object] = []
    engine.subscribe(seen.append)
    await engine.start()
    try:
        assert await engine.wait_attached(10)
        assert engine.describe() == "attached to service"
        await until(lambda: all(s.snapshot is not None for s in engine.states.values()), 20)
        last = {name: state.snapshot for name, state in engine.states.items()}

        await asyncio.to_thread(service.kill)
        await until(lambda: not engine.attached, 10)
        for name, state in engine.states.items():
            assert state.status.state is LinkState.OFFLINE and state.status.reason == SERVICE_LOST
            assert state.status.stale
            assert state.snapshot == last[name]  # the last state stays, marked stale by the offline status
        assert "service lost" in engine.describe()

        await asyncio.to_thread(service.start)
        await until(lambda: engine.attached and engine.attaches == 2, 20)
        await until(lambda: all(s.status.state is not LinkState.OFFLINE for s in engine.states.values()), 20)
    finally:
        await engine.close()


def test_headless_attached_path_imports_no_textual_or_pillow(service: ServiceThread, config_file: Path) -> None:
    probe = (
        "import sys, io, contextlib\n"
        "from alarmtui.cli import main\n"
        "out = io.StringIO()\n"
        f"with contextlib.redirect_stdout(out): code = main(['status', '--json', '--config', {str(config_file)!r}])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('textual', 'PIL', 'term_image')})\n"
        "print(code, 'alarmtui.settings' not in sys.modules, heavy)\n"
    )
    result = __import__("subprocess").run(  # a fresh interpreter: what it imports is the point
        [sys.executable, "-c", probe], capture_output=True, text=True, env=service.env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "0 True []"


def test_the_service_journals_a_command_with_who_asked(
    demo: DemoEnvironment, short_dir: Path, service_env: dict[str, str]
) -> None:
    from alarmtui.journal.store import JournalReader

    tables = [t for t in demo.host.provider_tables() if t["kind"] == "visonic"]
    config = short_dir / "journaled.toml"
    journal = short_dir / "journal.sqlite3"
    write_config(config, tables, extra={"journal": str(journal)})
    proc = ServiceThread(config, short_dir / "journaled.log", service_env).start().wait_first_state()
    try:
        armed = cli("arm", "away", "--config", str(config), env=service_env)
        assert armed.returncode == 0, armed.stderr
        events = cli("events", "--json", "--kind", "command", "--config", str(config), env=service_env)
        assert events.returncode == 0, events.stderr
    finally:
        assert proc.terminate() == 0  # the journal is flushed on the way out
    reader = JournalReader(journal)
    try:
        commands = reader.search(kinds=["command"], limit=10)
    finally:
        reader.close()
    assert commands, "no command in the journal"
    assert any("alarmtui arm" in c.who and "via the service" in c.who for c in commands), [c.who for c in commands]


def test_print_unit_gives_a_systemd_unit_for_this_installation(short_dir: Path) -> None:
    import configparser
    import shlex

    config = short_dir / "my config.toml"
    result = cli("serve", "--print-unit", "--config", str(config), env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    unit = configparser.ConfigParser(interpolation=None)
    unit.read_string(result.stdout)
    assert unit["Service"]["Type"] == "simple"
    argv = shlex.split(unit["Service"]["ExecStart"])
    assert Path(argv[0]).is_file() and os.access(argv[0], os.X_OK)
    assert argv[-3:] == ["serve", "--config", str(config)]
    assert unit["Install"]["WantedBy"] == "default.target"


def test_a_second_service_on_the_same_journal_is_refused_naming_it(
    demo: DemoEnvironment, short_dir: Path, service_env: dict[str, str]
) -> None:
    """Two configs (two sockets) sharing one journal: the second service exits 1 naming the journal, sends
    nothing on its own socket, and the first keeps journaling."""
    journal = short_dir / "shared-journal.sqlite"
    configs = []
    for name in ("one", "two"):
        path = short_dir / f"{name}.toml"
        tables = [t for t in demo.host.provider_tables() if t["kind"] == "visonic"]
        write_config(path, tables, {"journal": str(journal), "socket": str(short_dir / name / "s.sock")})
        configs.append(path)
    env = {k: v for k, v in service_env.items() if k != "ALARMTUI_SOCKET"}  # each config names its own socket
    first = ServiceThread(configs[0], short_dir / "one.log", env).start()
    try:
        second = run_process("serve", "--config", str(configs[1]), env=env, timeout=30)  # its own process: it exits
        assert second.returncode == 1
        assert str(journal) in second.stderr and "one service per journal" in second.stderr
        assert not (short_dir / "two" / "s.sock").exists()
        assert first.running()
    finally:
        assert first.terminate() == 0
