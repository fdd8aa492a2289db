"""Mutual trust on the socket: a view talks only to its own user's service, and the service owns only what it made.

The fake service here is a real process run as another user (nobody, through `setpriv`),
listening on a real Unix socket in a folder it owns; it records every connection and
every byte it receives, so "nothing was sent" is measured, not assumed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alarmtui.engine.trust import UntrustedService, check_path
from alarmtui.service.server import ServiceError, SocketClaim
from tests.helpers import cli
from tests.service.conftest import REPO, run_cli

NOBODY = 65534
needs_root = pytest.mark.skipif(
    os.getuid() != 0 or shutil.which("setpriv") is None, reason="running a fake service as another user needs root and setpriv"
)

FAKE_SERVICE = r"""
import json, os, socket, sys, threading
path, record = sys.argv[1], sys.argv[2]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(8)
print("ready", flush=True)
lock = threading.Lock()

def serve(conn):
    got = b""
    conn.settimeout(5)
    try:
        while b"\r\n\r\n" not in got:
            chunk = conn.recv(65536)
            if not chunk:
                break
            got += chunk
        if got:
            body = json.dumps({"service": "alarmtui", "config": "", "providers": [],
                               "problems": {}}).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    except OSError:
        pass
    finally:
        with lock, open(record, "a") as out:
            out.write(f"connection {len(got)}\n")
        conn.close()

while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""


class FakeService:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "alarmtui.sock"
        self.record = folder.parent / "fake-record.txt"  # outside: the folder may be handed to root
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> FakeService:
        self.folder.mkdir(mode=0o700)
        script = self.folder / "fake.py"
        script.write_text(FAKE_SERVICE)
        self.record.touch()
        for path in (self.folder, script, self.record):
            os.chown(path, NOBODY, NOBODY)
        self.process = subprocess.Popen(
            [
                "setpriv",
                f"--reuid={NOBODY}",
                f"--regid={NOBODY}",
                "--clear-groups",
                sys.executable,
                "-I",
                str(script),
                str(self.socket),
                str(self.record),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"
        return self

    def connections(self) -> list[int]:
        """Bytes received per connection the fake has finished with."""
        return [int(line.split()[1]) for line in self.record.read_text().splitlines()]

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def fake(short_dir: Path) -> Iterator[FakeService]:
    os.chmod(short_dir, 0o711)  # nobody may pass through to its own folder
    service = FakeService(short_dir / "fake").start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def fake_env(fake: FakeService, short_dir: Path) -> dict[str, str]:
    config = short_dir / "config.toml"
    config.write_text('[[providers]]\nname = "house"\nkind = "visonic"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALARMTUI_")}
    env.update(PYTHONPATH=str(REPO), ALARMTUI_SOCKET=str(fake.socket), ALARMTUI_CONFIG=str(config), ALARMTUI_CODE="1234")
    return env


def view(argv: list[str], env: dict[str, str]) -> Any:
    """The view in this process; the dashboard in a child (were it not refused, it would take over the terminal)."""
    return cli(*argv, env=env) if argv else run_cli(*argv, env=env, timeout=30)


def settle(fake: FakeService) -> list[int]:
    """The fake's record once every connection it accepted is written down."""
    time.sleep(0.05)
    return fake.connections()


@needs_root
@pytest.mark.parametrize(
    "argv",
    [["status"], ["status", "--json"], ["arm", "away"], ["disarm"], []],
    ids=["status", "status-json", "arm", "disarm", "dashboard"],
)
def test_a_view_refuses_a_socket_owned_by_another_user(fake: FakeService, fake_env: dict[str, str], argv: list[str]) -> None:
    result = view(argv, fake_env)
    assert result.returncode == 2, result
    assert str(fake.socket) in result.stderr
    assert "nobody (uid 65534)" in result.stderr
    assert "--standalone" in result.stderr
    assert result.stdout == ""
    assert settle(fake) == []  # not even a connection


@pytest.fixture
def disguised(fake: FakeService) -> FakeService:
    """The fake's socket and folder handed to root: only the peer's uid gives it away."""
    os.chown(fake.folder, 0, 0)
    os.chown(fake.socket, 0, 0)
    return fake


@needs_root
@pytest.mark.parametrize("argv", [["status", "--json"], ["arm", "away"]], ids=["status", "arm"])
def test_a_view_refuses_a_service_run_by_another_user_on_a_trusted_path(
    disguised: FakeService, fake_env: dict[str, str], argv: list[str]
) -> None:
    result = view(argv, fake_env)
    assert result.returncode == 2, result
    assert "runs as nobody (uid 65534)" in result.stderr
    assert str(disguised.socket) in result.stderr
    assert settle(disguised) == [0]  # it connected, checked the peer, and sent nothing


@needs_root
async def test_the_attached_engine_and_client_send_nothing_to_another_users_service(disguised: FakeService) -> None:
    from alarmtui.domain import ArmMode, Command, CommandAction
    from alarmtui.engine.attached.client import ServiceClient
    from alarmtui.engine.attached.engine import AttachedEngine
    from alarmtui.engine.base import ProviderInfo

    async with ServiceClient(disguised.socket) as client:
        with pytest.raises(UntrustedService, match="runs as nobody"):
            await client.command("house", Command(CommandAction.ARM, mode=ArmMode.AWAY, code="1234"))
    engine = AttachedEngine(disguised.socket, [ProviderInfo("house", "visonic")], config="", retry_delay=0.05)
    await engine.start()
    try:
        assert not await engine.wait_attached(0.5)
        assert "runs as nobody" in engine.describe()
    finally:
        await engine.close()
    await asyncio.sleep(0.05)
    received = disguised.connections()
    assert received and set(received) == {0}


@needs_root
def test_the_quick_path_refuses_too(disguised: FakeService) -> None:
    from alarmtui.engine.attached.quick import get_json

    with pytest.raises(UntrustedService):
        get_json(disguised.socket, "/v1/status")
    assert set(settle(disguised)) == {0}


# --------------------------------------------------------------------------- the path rules, on real folders


def make_socket(path: Path) -> None:
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()  # the file stays: enough for the path rules


def test_a_private_path_is_trusted(short_dir: Path) -> None:
    (short_dir / "run").mkdir(mode=0o700)
    make_socket(short_dir / "run" / "s.sock")
    check_path(short_dir / "run" / "s.sock")


def test_a_folder_its_group_or_others_may_write_is_refused(short_dir: Path) -> None:
    folder = short_dir / "shared"
    folder.mkdir()
    os.chmod(folder, 0o770)
    make_socket(folder / "s.sock")
    with pytest.raises(UntrustedService, match="writable by its group"):
        check_path(folder / "s.sock")


def test_a_sticky_folder_is_trusted_only_when_root_owns_it(short_dir: Path) -> None:
    tmp_like = short_dir / "tmp"
    tmp_like.mkdir()
    os.chmod(tmp_like, 0o1777)
    make_socket(tmp_like / "s.sock")
    check_path(tmp_like / "s.sock")  # root's sticky folder: nobody else may replace our entry
    if os.getuid() == 0:
        os.chown(tmp_like, NOBODY, NOBODY)
        with pytest.raises(UntrustedService, match="belongs to nobody"):
            check_path(tmp_like / "s.sock")


def test_a_symlink_is_judged_by_both_ends(short_dir: Path) -> None:
    open_folder = short_dir / "open"
    open_folder.mkdir()
    os.chmod(open_folder, 0o777)
    make_socket(open_folder / "s.sock")
    private = short_dir / "private"
    private.mkdir(mode=0o700)
    (private / "link.sock").symlink_to(open_folder / "s.sock")
    with pytest.raises(UntrustedService, match="writable by its group and others"):
        check_path(private / "link.sock")


def test_a_file_that_is_not_a_socket_is_refused(short_dir: Path) -> None:
    (short_dir / "s.sock").write_text("")
    with pytest.raises(UntrustedService, match="not a socket"):
        check_path(short_dir / "s.sock")


# --------------------------------------------------------------------------- what the service creates and refuses


def test_a_symlinked_lock_file_is_refused_and_its_target_untouched(short_dir: Path) -> None:
    folder = short_dir / "run"
    folder.mkdir(mode=0o700)
    target = short_dir / "precious.txt"
    target.write_text("do not truncate me\n")
    (folder / "alarmtui.sock.lock").symlink_to(target)
    claim = SocketClaim(folder / "alarmtui.sock")
    with pytest.raises(ServiceError, match="is a symlink"):
        claim.acquire()
    assert target.read_text() == "do not truncate me\n"


def test_a_symlinked_socket_folder_is_refused(short_dir: Path) -> None:
    real = short_dir / "real"
    real.mkdir(mode=0o700)
    (short_dir / "run").symlink_to(real)
    with pytest.raises(ServiceError, match="is a symlink"):
        SocketClaim(short_dir / "run" / "alarmtui.sock").acquire()


@pytest.mark.skipif(os.getuid() != 0, reason="making a folder another user's needs root")
def test_a_socket_folder_of_another_user_is_refused_and_left_alone(short_dir: Path) -> None:
    folder = short_dir / "run"
    folder.mkdir(mode=0o755)
    os.chown(folder, NOBODY, NOBODY)
    with pytest.raises(ServiceError, match="belongs to nobody"):
        SocketClaim(folder / "alarmtui.sock").acquire()
    info = folder.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (NOBODY, 0o755)


def test_an_existing_folder_is_used_but_never_chmodded(short_dir: Path) -> None:
    folder = short_dir / "run"
    folder.mkdir()
    os.chmod(folder, 0o755)
    claim = SocketClaim(folder / "alarmtui.sock")
    claim.acquire()
    try:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    finally:
        claim.release()


def test_a_folder_others_may_write_is_refused_by_the_service(short_dir: Path) -> None:
    folder = short_dir / "run"
    folder.mkdir()
    os.chmod(folder, 0o777)
    with pytest.raises(ServiceError, match="views would refuse"):
        SocketClaim(folder / "alarmtui.sock").acquire()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777


def test_the_folder_the_service_creates_is_private(short_dir: Path) -> None:
    claim = SocketClaim(short_dir / "new" / "alarmtui.sock")
    claim.acquire()
    try:
        assert stat.S_IMODE((short_dir / "new").stat().st_mode) == 0o700
        assert stat.S_IMODE((short_dir / "new" / "alarmtui.sock.lock").stat().st_mode) == 0o600
    finally:
        claim.release()
