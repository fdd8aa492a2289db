"""Prometheus metrics served by `alarmtui serve`: parsed with prometheus_client's own parser, never a vendor request."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from alarmtui.demo import DemoEnvironment
from alarmtui.settings import write_config
from tests.bridges.conftest import free_port
from tests.service.conftest import ServiceProcess, run_cli


def scrape(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        assert reply.headers["Content-Type"].startswith("text/plain")
        text = reply.read().decode()
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


class Hook(BaseHTTPRequestHandler):
    """A webhook that takes Apprise's json:// posts."""

    posts: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802  (http.server's name)
        self.posts.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def until(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        time.sleep(0.05)


def refresh(service: ServiceProcess) -> bool:
    async def post() -> int:
        async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=str(service.socket))) as session:
            async with session.post("http://alarmtui/v1/refresh", json={"provider": "powermaster"}) as reply:
                return reply.status

    return asyncio.run(post()) == 202


def armed_away(samples: dict[str, list[tuple[dict[str, str], float]]]) -> bool:
    return ({"provider": "powermaster", "partition": "1", "state": "armed_away"}, 1.0) in samples["alarmtui_partition_state"]


def visonic_requests(demo: DemoEnvironment) -> int:
    return len(demo.host.cloud("visonic").requests)  # type: ignore[attr-defined]


def wait_quiet(demo: DemoEnvironment, quiet: float = 0.5, timeout: float = 20.0) -> None:
    """Until the simulator has seen no request for `quiet` seconds (the start-up reads are over)."""
    deadline = time.monotonic() + timeout
    last, since = visonic_requests(demo), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the service never went quiet"
        time.sleep(0.05)
        now = visonic_requests(demo)
        if now != last:
            last, since = now, time.monotonic()


def test_metrics_parse_and_two_scrapes_cost_no_vendor_request(
    demo: DemoEnvironment, short_dir: Path, service_env: dict[str, str], webhook: ThreadingHTTPServer
) -> None:
    tables = [t for t in demo.host.provider_tables() if t["kind"] == "visonic"]
    for table in tables:
        table["poll_interval"] = 3600.0  # one read at start, then quiet
    port = free_port()
    config = short_dir / "metrics.toml"
    write_config(config, tables)
    with config.open("a") as fh:
        fh.write(f'\n[metrics]\nlisten = "127.0.0.1:{port}"\n')
        fh.write(f'\n[[notify]]\nurl = "json://127.0.0.1:{webhook.server_address[1]}/hook"\nevents = ["armed"]\n')
    proc = ServiceProcess(config, service_env, short_dir / "metrics.log").start()
    try:
        assert run_cli("status", "--json", "--config", str(config), env=service_env).returncode == 0  # waits for the first read
        wait_quiet(demo)
        before = visonic_requests(demo)
        first = scrape(port)
        second = scrape(port)
        assert visonic_requests(demo) == before  # the scrapes asked the vendor nothing

        assert first["alarmtui_provider_up"] == [({"provider": "powermaster"}, 1.0)]
        states = {
            labels["state"]: value for labels, value in first["alarmtui_partition_state"] if labels["provider"] == "powermaster"
        }
        assert states["disarmed"] == 1.0 and sum(states.values()) >= 1.0
        assert set(states) >= {"disarmed", "armed_away", "armed_home", "triggered", "pending", "arming"}
        assert first["alarmtui_zone_open"], "the demo house reports its doors"
        assert {labels["kind"] for labels, _ in first["alarmtui_troubles"]} >= {"low_battery", "tamper", "power"}
        requests = dict((labels["provider"], value) for labels, value in first["alarmtui_vendor_requests_total"])
        assert requests["powermaster"] > 0
        assert second["alarmtui_vendor_requests_total"] == first["alarmtui_vendor_requests_total"]
        (labels, stamp), *_ = first["alarmtui_last_update_timestamp_seconds"]
        assert abs(stamp - time.time()) < 120

        # A command through another view is counted by outcome.
        armed = run_cli("arm", "away", "--provider", "powermaster", "--config", str(config), env=service_env)
        assert armed.returncode == 0, armed.stderr
        commands = scrape(port)["alarmtui_commands_total"]
        assert ({"provider": "powermaster", "action": "arm_away", "outcome": "done"}, 1.0) in commands
        # ... and its notification, by target (never by URL) and outcome, once the service reads "armed away"
        # (asked for as the dashboard's `r` does: this service polls once an hour).
        until(lambda: refresh(proc) and armed_away(scrape(port)))
        until(lambda: "alarmtui_notifications_total" in scrape(port))
        assert scrape(port)["alarmtui_notifications_total"] == [({"target": "target 1 (json)", "outcome": "sent"}, 1.0)]
        assert len(Hook.posts) == 1
    finally:
        assert proc.terminate() == 0
