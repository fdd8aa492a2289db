"""Serve simulated clouds on loopback, over HTTP or HTTPS, in-loop or in a thread."""

from __future__ import annotations

import asyncio
import importlib
import logging
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from alarmtui.simulators.base import SimCloud

if TYPE_CHECKING:
    from alarmtui.simulators.panel import SimPanel

log = logging.getLogger(__name__)
T = TypeVar("T")
CONTROL_KEY = "_control"

CLOUD_CLASSES = {
    "verisure": "alarmtui.simulators.verisure:VerisureCloud",
    "visonic": "alarmtui.simulators.visonic:VisonicCloud",
    "mios": "alarmtui.simulators.mios:MiosCloud",
    "securitas": "alarmtui.simulators.securitas:SecuritasCloud",
    "mypages": "alarmtui.simulators.mypages:MyPagesCloud",
}


def create_cloud(kind: str, **options: Any) -> SimCloud:
    module_name, class_name = CLOUD_CLASSES[kind].split(":")
    return getattr(importlib.import_module(module_name), class_name)(**options)


def default_clouds(kinds: Iterable[str] = CLOUD_CLASSES, **options: Any) -> list[SimCloud]:
    return [create_cloud(kind, **options) for kind in kinds]


class TLSMaterial:
    """A throw-away CA (trustme) and a server certificate for 127.0.0.1 / localhost."""

    def __init__(self, directory: Path) -> None:
        import trustme

        self.ca = trustme.CA(organization_name="alarmtui simulator")
        self.server_cert = self.ca.issue_cert("127.0.0.1", "localhost", "::1")
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_file = directory / "alarmtui-sim-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server_cert.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


class SimHost:
    """Runs each cloud on its own loopback port on the current event loop."""

    def __init__(
        self,
        clouds: Iterable[SimCloud],
        *,
        tls: bool = False,
        host: str = "127.0.0.1",
        ports: dict[str, int] | None = None,
        cert_dir: Path | None = None,
        control: bool = False,
        control_port: int = 0,
    ) -> None:
        """`control=True` also serves the scenario control API (`control.py`) on 127.0.0.1:`control_port`."""
        self.clouds: dict[str, SimCloud] = {cloud.kind: cloud for cloud in clouds}
        self.tls = tls
        self.host = host
        self.ports = dict(ports or {})
        self._cert_dir = cert_dir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.tls_material: TLSMaterial | None = None
        self.urls: dict[str, str] = {}
        self._runners: list[web.AppRunner] = []
        self.control = control
        self.control_port = control_port
        self.control_url: str | None = None
        self._apps: dict[str, web.Application] = {}
        self._sockets: dict[str, socket.socket] = {}
        self._plain: set[str] = set()
        """Faces served over plain HTTP whatever `tls` says (the Vera's LAN port, the control API)."""

    @property
    def ca_file(self) -> Path | None:
        return self.tls_material.ca_file if self.tls_material else None

    def cloud(self, kind: str) -> SimCloud:
        return self.clouds[kind]

    def bind(self) -> None:
        """Bind every listening socket now (synchronously): the URLs are known before the servers run.

        A client that connects before `start()` serves the socket waits in its listen queue.
        """
        if self._sockets:
            return
        scheme = "https" if self.tls else "http"
        for kind, cloud in self.clouds.items():
            self._apps[kind] = cloud.build_app()
            self._sockets[kind] = self._listen(self.host, self.ports.get(kind, 0))
            self.ports[kind] = self._sockets[kind].getsockname()[1]
            self.urls[kind] = f"{scheme}://{self.host}:{self.ports[kind]}"
            # Other faces of the same cloud (the MiOS Vera's LAN port): plain HTTP, as the device serves it.
            for face, app in getattr(cloud, "extra_faces", dict)().items():
                self._apps[face] = app
                self._sockets[face] = self._listen(self.host, self.ports.get(face, 0))
                self._plain.add(face)
                self.ports[face] = self._sockets[face].getsockname()[1]
                self.urls[face] = f"http://{self.host}:{self.ports[face]}"
                cloud.face_started(face, self.urls[face])  # type: ignore[attr-defined]
        if self.control:
            from alarmtui.simulators.control import CONTROL_HOST, control_app

            self._apps[CONTROL_KEY] = control_app(self.clouds)
            self._sockets[CONTROL_KEY] = self._listen(
                CONTROL_HOST, self.control_port
            )  # loopback only, whatever `host` is: no auth
            self._plain.add(CONTROL_KEY)
            self.control_port = self._sockets[CONTROL_KEY].getsockname()[1]
            self.control_url = f"http://{CONTROL_HOST}:{self.control_port}"
        if self.tls:
            if self._cert_dir is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="alarmtui-sim-")
                self._cert_dir = Path(self._tmp.name)
            self.tls_material = TLSMaterial(self._cert_dir)

    @staticmethod
    def _listen(host: str, port: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
        return sock

    def _panels(self) -> list[SimPanel]:
        return [panel for cloud in self.clouds.values() for panel in cloud.panels]

    async def start(self) -> None:
        self.bind()
        for panel in self._panels():
            panel.serving = True
        context = self.tls_material.server_context() if self.tls_material else None
        for key, app in self._apps.items():
            runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
            await runner.setup()
            site = web.SockSite(runner, self._sockets[key], ssl_context=None if key in self._plain else context)
            await site.start()
            self._runners.append(runner)

    async def stop(self) -> None:
        for panel in self._panels():  # long polls end now, not at the runners' shutdown timeout
            panel.stop_serving()
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()
        self._apps.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def __aenter__(self) -> SimHost:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def provider_tables(self) -> list[dict[str, Any]]:
        tables = []
        for kind, cloud in self.clouds.items():
            for table in cloud.provider_tables(self.urls[kind]):
                if self.ca_file is not None:
                    table.setdefault("ca_file", str(self.ca_file))
                tables.append(table)
        return tables

    def describe(self) -> list[str]:
        lines = []
        for kind, cloud in self.clouds.items():
            lines.extend(cloud.describe(self.urls[kind]))
        if self.ca_file:
            lines.append(f"CA certificate: {self.ca_file}")
        if self.control_url:
            lines.append(f'scenario control: {self.control_url}/_control  (POST /_control/<cloud>/scenario {{"op": ...}})')
        return lines


class ThreadedSimHost:
    """A `SimHost` on its own event loop in a daemon thread (the demo, CLI tests).

    Scenario hooks must run on the simulator's loop: use `call(fn, ...)`.
    """

    def __init__(self, clouds: Iterable[SimCloud], **options: Any) -> None:
        self.host = SimHost(clouds, **options)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="alarmtui-sim", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.host.start())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.host.stop())
        # Long polls and the demo's life may still be waiting: end them before the loop goes.
        pending = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def start(self, timeout: float = 15.0, *, wait: bool = True) -> ThreadedSimHost:
        """`wait=False`: bind the sockets here (URLs known), serve them from the thread while the caller goes on."""
        if not wait:
            self.host.bind()
        self._thread.start()
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 15.0) -> None:
        if not self._ready.wait(timeout):
            raise RuntimeError("simulators did not start in time")
        if self._error is not None:
            raise RuntimeError(f"simulators failed to start: {self._error}") from self._error

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)

    def __enter__(self) -> ThreadedSimHost:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def call(self, fn: Callable[..., T], *args: Any, timeout: float = 10.0) -> T:
        """Run `fn(*args)` on the simulator loop and return its result."""
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return future.result(timeout)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Fire-and-forget variant of `call` (safe from any thread or loop)."""
        self.loop.call_soon_threadsafe(fn, *args)

    @property
    def urls(self) -> dict[str, str]:
        return self.host.urls

    @property
    def ca_file(self) -> Path | None:
        return self.host.ca_file

    @property
    def control_url(self) -> str | None:
        return self.host.control_url

    def provider_tables(self) -> list[dict[str, Any]]:
        return self.host.provider_tables()

    def cloud(self, kind: str) -> SimCloud:
        return self.host.cloud(kind)
