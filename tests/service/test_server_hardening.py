"""The socket server under misuse: malformed requests are 400s, slow clients are cut off, PINs are checked
before anything is sent, delays are finite, and SIGTERM ends the service in time whatever a target does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from alarmtui.demo import DemoEnvironment
from alarmtui.domain.inputs import code_problem, finite_delay
from alarmtui.engine.attached.client import trusting_transport
from alarmtui.engine.inprocess import engine_for
from alarmtui.service.server import Service, SocketClaim
from alarmtui.settings import write_config
from tests.helpers import ServiceThread, cli
from tests.service.conftest import ServiceProcess


@pytest.fixture(scope="module")
def visonic_only() -> Iterator[DemoEnvironment]:
    env = DemoEnvironment.start(kinds=("visonic",), life=False, fast=True, otp=False)
    try:
        yield env
    finally:
        env.stop()


def commands_received(env: DemoEnvironment) -> int:
    return sum(panel.commands_received for panel in env.host.cloud("visonic").panels)  # type: ignore[attr-defined]


@pytest.fixture
async def served(visonic_only: DemoEnvironment, short_dir: Path) -> AsyncIterator[tuple[Service, httpx.AsyncClient]]:
    """The real service (real engine, real Visonic client and simulator) on a real socket, short timeouts."""
    engine = engine_for(visonic_only.settings, journal=False, notify=False)
    path = short_dir / "run" / "alarmtui.sock"
    claim = SocketClaim(path)
    claim.acquire()
    service = Service(engine, config="cfg", socket_path=path, header_timeout=0.3, body_timeout=0.3)
    await service.start()
    await engine.start()
    client = httpx.AsyncClient(transport=trusting_transport(path), base_url="http://alarmtui.service", timeout=5.0)
    try:
        yield service, client
    finally:
        await client.aclose()
        await service.stop()
        await engine.close(timeout=1.0)
        claim.release()


MALFORMED: list[tuple[str, dict[str, Any]]] = [
    ("/v1/command", {"content": b"{not json"}),
    ("/v1/command", {"content": b"\xff\xfe"}),
    ("/v1/command", {"json": ["a", "list"]}),
    ("/v1/command", {"json": {"provider": ["powermaster"], "command": {}}}),
    ("/v1/command", {"json": {"provider": "nobody", "command": {"action": "arm"}}}),
    ("/v1/command", {"json": {"provider": "powermaster", "command": "arm"}}),
    ("/v1/command", {"json": {"provider": "powermaster", "command": {"action": 42}}}),
    ("/v1/refresh", {"json": {"provider": {"a": 1}}}),
    ("/v1/refresh", {"content": b"[1, 2"}),
    ("/v1/acknowledge", {"json": {"provider": "powermaster", "partition": 1}}),
    ("/v1/acknowledge", {"json": {"provider": None, "partition": "1"}}),
    ("/v1/verify/powermaster/code", {"content": b"nope"}),
]


@pytest.mark.parametrize(("path", "request_kwargs"), MALFORMED, ids=[f"{p}-{i}" for i, (p, _) in enumerate(MALFORMED)])
async def test_malformed_requests_are_400_not_500(
    served: tuple[Service, httpx.AsyncClient], visonic_only: DemoEnvironment, path: str, request_kwargs: dict[str, Any]
) -> None:
    _, client = served
    before = commands_received(visonic_only)
    response = await client.post(path, headers={"Content-Type": "application/json"}, **request_kwargs)
    assert response.status_code == 400, response.text
    assert response.json()["error"] in ("bad_request", "unknown_provider")
    assert commands_received(visonic_only) == before


async def test_unknown_provider_in_a_status_query_is_400(served: tuple[Service, httpx.AsyncClient]) -> None:
    _, client = served
    response = await client.get("/v1/status", params={"provider": "nobody"})
    assert response.status_code == 400 and response.json()["error"] == "unknown_provider"


@pytest.mark.parametrize(
    "code",
    ["١٢٣٤", "1" * 10_000, "12 34", "123", "12345678901", "", "１２３４"],
    ids=["arabic-indic", "10000-digits", "space", "short", "long", "empty", "fullwidth"],
)
async def test_a_pin_that_is_not_the_vendors_is_refused_before_anything_is_sent(
    served: tuple[Service, httpx.AsyncClient], visonic_only: DemoEnvironment, code: str
) -> None:
    _, client = served
    before = commands_received(visonic_only)
    command = {"action": "arm", "mode": "away", "code": code}
    response = await client.post("/v1/command", json={"provider": "powermaster", "command": command})
    assert response.status_code == 400, response.text
    assert "nothing was sent" in response.json()["message"]
    assert commands_received(visonic_only) == before


def test_code_rules() -> None:
    assert code_problem("1234", "visonic") is None
    assert code_problem("123456", "visonic") is None
    assert code_problem("١٢٣٤", "visonic") is not None
    assert code_problem("1234567", "visonic") is not None
    assert code_problem("1" * 10_000, "mios") is not None


def raw_connect(service: Service) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(service.socket_path))
    return sock


async def test_a_client_dripping_its_headers_is_cut_off(served: tuple[Service, httpx.AsyncClient]) -> None:
    service, _ = served

    def drip() -> tuple[bytes, float]:
        with raw_connect(service) as sock:
            sock.settimeout(5.0)
            started = time.monotonic()
            sock.sendall(b"GET /v1/hello HTTP/1.1\r\nHost: x\r\n")
            received = b""
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                while True:  # one header byte at a time, never the blank line that ends them
                    sock.sendall(b"X")
                    with contextlib.suppress(TimeoutError):
                        sock.settimeout(0.05)
                        chunk = sock.recv(4096)
                        if not chunk:
                            break
                        received += chunk
                    if time.monotonic() - started > 5.0:
                        break
            return received, time.monotonic() - started

    received, took = await asyncio.to_thread(drip)
    assert took < 3.0, "the dripping client was never cut off"
    assert b"200" not in received


async def test_a_client_dripping_its_body_gets_408(
    served: tuple[Service, httpx.AsyncClient], visonic_only: DemoEnvironment
) -> None:
    service, _ = served
    before = commands_received(visonic_only)

    def drip() -> bytes:
        with raw_connect(service) as sock:
            sock.settimeout(5.0)
            sock.sendall(
                b"POST /v1/command HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"
            )
            return sock.recv(4096)

    reply = await asyncio.to_thread(drip)
    assert reply.startswith(b"HTTP/1.1 408"), reply
    assert commands_received(visonic_only) == before


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "5", None, True])
def test_a_delay_is_a_finite_number_or_none(value: object) -> None:
    assert finite_delay(value) is None
    assert finite_delay(-3.0) == 0.0 and finite_delay(12) == 12.0


def test_a_status_with_nan_retry_crossing_the_socket_has_no_nan() -> None:
    from alarmtui.domain.updates import LinkState, ProviderStatus, StatusUpdate
    from alarmtui.engine.wire import update_from_wire, update_to_wire

    wire = json.loads(
        json.dumps(update_to_wire(StatusUpdate("p", ProviderStatus("p", "visonic", LinkState.OFFLINE, retry_in=math.nan))))
    )
    assert update_from_wire(wire).status.retry_in is None  # type: ignore[union-attr]
    wire["status"]["retry_in"] = math.inf
    assert update_from_wire(wire).status.retry_in is None  # type: ignore[union-attr]


def test_an_arabic_indic_pin_from_the_environment_is_refused_attached_and_standalone(
    short_dir: Path, service_env: dict[str, str]
) -> None:
    env = DemoEnvironment.start(kinds=("mios",), life=False, fast=True, otp=False)
    try:
        tables = env.host.provider_tables()
        for table in tables:
            table.pop("code", None)  # the PIN travels inside each command
        config = short_dir / "nocode.toml"
        write_config(config, tables)
        panels = env.host.cloud("mios").panels  # type: ignore[attr-defined]
        proc = ServiceThread(config, short_dir / "pin.log", service_env).start()
        try:
            for extra in ([], ["--standalone"]):
                result = cli("arm", "away", *extra, "--config", str(config), env={**service_env, "ALARMTUI_CODE": "١٢٣٤"})
                assert result.returncode == 2, result
                assert "digits 0-9" in result.stderr and "nothing was sent" in result.stderr
        finally:
            assert proc.terminate() == 0
        assert sum(p.commands_received for p in panels) == 0
    finally:
        env.stop()


# --------------------------------------------------------------------------- SIGTERM with a hanging target


class HangingTarget:
    """An HTTP "notification service" that accepts, reads, and never answers."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.requests = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.server.accept()
                self.connections.append(conn)
                conn.recv(65536)
                self.requests.set()

    def close(self) -> None:
        for conn in self.connections:
            conn.close()
        self.server.close()


def test_sigterm_with_a_hanging_notification_target_exits_0_within_10_s(
    visonic_only: DemoEnvironment, short_dir: Path, service_env: dict[str, str]
) -> None:
    target = HangingTarget()
    tables = [t for t in visonic_only.host.provider_tables() if t["kind"] == "visonic"]
    for table in tables:
        table["poll_interval"] = 2.0
    config = short_dir / "notify.toml"
    write_config(config, tables)
    with config.open("a") as out:  # rto: apprise waits this long for the reply: the delivery hangs
        out.write(f'\n[[notify]]\nurl = "json://127.0.0.1:{target.port}/?rto=120&cto=5"\nevents = ["armed", "disarmed"]\n')
    proc = ServiceProcess(config, service_env, short_dir / "notify.log").start()  # a process: SIGTERM, and threads it abandons
    try:
        armed = cli("arm", "home", "--config", str(config), env=service_env)
        assert armed.returncode in (0, 5), armed.stderr
        assert target.requests.wait(30), "no notification reached the target"
        started = time.monotonic()
        try:
            code = proc.terminate(timeout=15)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the service did not exit 15 s after SIGTERM: {proc.log.read_text()}") from None
        took = time.monotonic() - started
    finally:
        if proc.process is not None and proc.process.poll() is None:
            proc.kill()
        target.close()
        cli("disarm", "--standalone", "--config", str(config), env=service_env)
    log = proc.log.read_text()
    assert code == 0, log
    assert took < 10.0, f"SIGTERM → exit took {took:.1f} s"
    assert "abandon" in log
    assert "stopped" in log
