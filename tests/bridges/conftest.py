"""A real Mosquitto broker per test session on a free loopback port, and a client that listens as Home Assistant does."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiomqtt
import pytest

from alarmtui.demo import DemoEnvironment
from alarmtui.settings import write_config
from tests.service.conftest import ServiceProcess, config_file, demo, service, service_env, short_dir  # noqa: F401  (fixtures)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Broker:
    host: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"


def _wait_port(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"mosquitto exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.02)
    raise AssertionError("mosquitto did not start listening")


def start_mosquitto(folder: Path, port: int | None = None) -> Broker:
    exe = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
    if exe is None:
        pytest.fail("mosquitto is not installed (apt-get install -y mosquitto; .ci/run installs it)")
    port = port or free_port()
    config = folder / f"mosquitto-{port}.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    process = subprocess.Popen([exe, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_port(port, process)
    return Broker("127.0.0.1", port, process)


def stop_mosquitto(broker: Broker) -> None:
    broker.process.terminate()
    try:
        broker.process.wait(5)
    except subprocess.TimeoutExpired:
        broker.process.kill()
        broker.process.wait(5)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    running = start_mosquitto(tmp_path_factory.mktemp("mosquitto"))
    try:
        yield running
    finally:
        stop_mosquitto(running)


@dataclass
class Topics:
    """Each test's own corner of the shared broker (retained messages of one test never meet another's)."""

    prefix: str = field(default_factory=lambda: f"ha{uuid.uuid4().hex[:8]}")
    base: str = field(default_factory=lambda: f"at{uuid.uuid4().hex[:8]}")


@pytest.fixture
def topics() -> Topics:
    return Topics()


def mqtt_config(tables: list[dict[str, object]], path: Path, broker: Broker, topics: Topics) -> Path:
    write_config(path, tables)
    with path.open("a") as fh:
        fh.write(f'\n[mqtt]\nurl = "{broker.url}"\ndiscovery_prefix = "{topics.prefix}"\nbase_topic = "{topics.base}"\n')
    return path


@pytest.fixture
def mqtt_config_file(demo: DemoEnvironment, short_dir: Path, broker: Broker, topics: Topics) -> Path:  # noqa: F811
    tables = demo.host.provider_tables()
    for table in tables:
        table["poll_interval"] = 10.0 if table["kind"] == "verisure" else 2.0
        table["request_budget"] = 20000
        if table["kind"] == "securitas":
            table["request_gap"] = 0.02
    return mqtt_config(tables, short_dir / "config.toml", broker, topics)


@pytest.fixture
def mqtt_service(mqtt_config_file: Path, service_env: dict[str, str], short_dir: Path) -> Iterator[ServiceProcess]:  # noqa: F811
    proc = ServiceProcess(mqtt_config_file, service_env, short_dir / "service.log").start()
    try:
        yield proc
    finally:
        if proc.process is not None and proc.process.poll() is None:
            proc.process.kill()
            proc.process.wait(10)


class HomeAssistant:
    """An MQTT client subscribed as Home Assistant is: the discovery prefix, then every topic discovery names."""

    def __init__(self, client: aiomqtt.Client, topics: Topics) -> None:
        self.client = client
        self.topics = topics
        self.retained: dict[str, str] = {}
        """The newest payload of every topic (retained or live)."""
        self.log: list[tuple[str, str, bool]] = []
        """(topic, payload, retain) in arrival order."""
        self._task: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        async for message in self.client.messages:
            payload = message.payload.decode() if isinstance(message.payload, bytes) else str(message.payload)
            topic = str(message.topic)
            self.retained[topic] = payload
            self.log.append((topic, payload, bool(message.retain)))

    def discovery(self) -> dict[str, str]:
        return {t: p for t, p in self.retained.items() if t.startswith(f"{self.topics.prefix}/device/")}

    async def until(self, condition: Callable[[], object], timeout: float = 20.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or condition}; have {sorted(self.retained)}")
            await asyncio.sleep(0.02)

    async def publish(self, topic: str, payload: str, *, retain: bool = False) -> None:
        await self.client.publish(topic, payload, qos=0, retain=retain)


@contextlib.asynccontextmanager
async def home_assistant(broker: Broker, topics: Topics) -> AsyncIterator[HomeAssistant]:
    async with aiomqtt.Client(broker.host, broker.port, identifier=f"ha-{uuid.uuid4().hex[:8]}") as client:
        ha = HomeAssistant(client, topics)
        await client.subscribe(f"{topics.prefix}/#", qos=1)
        await client.subscribe(f"{topics.base}/#", qos=1)
        ha._task = asyncio.create_task(ha._read())
        try:
            yield ha
        finally:
            ha._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await ha._task
