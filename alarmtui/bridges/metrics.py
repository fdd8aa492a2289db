"""Prometheus metrics for `alarmtui serve` (`[metrics] listen = "127.0.0.1:9877"`).

A custom collector reads the engine's cached state at scrape time: a scrape never causes a vendor
request. Served by aiohttp on the service's own loop (no thread reads the engine's state while a
poller writes it). The only counters kept here are the commands' outcomes, counted from the engine's
updates like any other subscriber.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from alarmtui.bridges.homeassistant import available
from alarmtui.domain import PartitionState, TroubleKind
from alarmtui.domain.updates import CommandUpdate, PollerUpdate
from alarmtui.engine.base import Engine

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "::1", "localhost")


class EngineCollector(Collector):
    """Every metric, from what the engine already holds."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.commands: Counter[tuple[str, str, str]] = Counter()
        """(provider, action, outcome) -> commands finished since the service started."""
        self._unsubscribe = engine.subscribe(self.feed)

    def feed(self, update: PollerUpdate) -> None:
        if isinstance(update, CommandUpdate) and update.result is not None:
            command = update.command
            action = command.action.value if command.mode is None else f"{command.action.value}_{command.mode.value}"
            self.commands[(update.provider, action, update.result.phase.value)] += 1

    def close(self) -> None:
        self._unsubscribe()

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily(
            "alarmtui_provider_up", "1 while the provider's panel is read and fresh (online, not stale)", labels=["provider"]
        )
        partition_state = GaugeMetricFamily(
            "alarmtui_partition_state",
            "1 for the partition's current state, 0 for the others",
            labels=["provider", "partition", "state"],
        )
        zone_open = GaugeMetricFamily(
            "alarmtui_zone_open",
            "1 while the zone is open (absent where the vendor does not say)",
            labels=["provider", "zone", "name"],
        )
        troubles = GaugeMetricFamily("alarmtui_troubles", "Current troubles by kind", labels=["provider", "kind"])
        requests = CounterMetricFamily(
            "alarmtui_vendor_requests", "HTTP requests sent to the vendor since the service started", labels=["provider"]
        )
        last_update = GaugeMetricFamily(
            "alarmtui_last_update_timestamp_seconds", "Unix time of the last good read of the panel", labels=["provider"]
        )
        commands = CounterMetricFamily(
            "alarmtui_commands", "Commands finished, by outcome", labels=["provider", "action", "outcome"]
        )
        notifications = CounterMetricFamily(
            "alarmtui_notifications", "Notifications delivered (sent) or given up, by target", labels=["target", "outcome"]
        )
        pollers = {poller.name: poller for poller in getattr(self.engine, "group", ())}
        for name, state in self.engine.states.items():
            up.add_metric([name], 1.0 if available(state) else 0.0)
            if state.status.last_update is not None:
                last_update.add_metric([name], state.status.last_update.timestamp())
            poller = pollers.get(name)
            if poller is not None:
                requests.add_metric([name], float(poller.provider.requests.total))
            snapshot = state.snapshot
            if snapshot is None:
                continue
            for partition in snapshot.partitions:
                for value in PartitionState:
                    partition_state.add_metric([name, partition.id, value.value], 1.0 if partition.state is value else 0.0)
            for zone in snapshot.zones:
                if zone.open is not None:
                    zone_open.add_metric([name, zone.id, zone.name], 1.0 if zone.open else 0.0)
            kinds = Counter(t.kind for t in snapshot.troubles)
            for kind in TroubleKind:
                troubles.add_metric([name, kind.value], float(kinds[kind]))
        for (provider, action, outcome), count in sorted(self.commands.items()):
            commands.add_metric([provider, action, outcome], float(count))
        notifier = getattr(self.engine, "notifier", None)
        for (target, outcome), count in sorted(getattr(notifier, "outcomes", {}).items()):
            notifications.add_metric([target, outcome], float(count))
        yield from (up, partition_state, zone_open, troubles, requests, last_update, commands, notifications)


class MetricsBridge:
    """Serves /metrics on `host:port` for the life of the service."""

    def __init__(self, engine: Engine, *, host: str = "127.0.0.1", port: int = 9877) -> None:
        self.host = host
        self.port = port
        self.collector = EngineCollector(engine)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)
        self._runner: web.AppRunner | None = None

    @classmethod
    def from_settings(cls, engine: Engine, settings: Any) -> MetricsBridge:
        host, _, port = settings.metrics.listen.rpartition(":")
        return cls(engine, host=host.strip("[]"), port=int(port))

    async def metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def start(self) -> None:
        import asyncio

        asyncio.get_running_loop().create_task(self._serve(), name="alarmtui-metrics")

    async def _serve(self) -> None:
        app = web.Application()
        app.add_routes([web.get("/metrics", self.metrics)])
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        if self.host not in LOOPBACK:
            log.warning(
                "metrics: listening on %s, not a loopback address: anyone who reaches it sees the panels' state", self.host
            )
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except OSError as exc:  # the service goes on without metrics
            log.error("metrics: cannot listen on %s:%s: %s", self.host, self.port, exc.strerror)
            return
        log.info("metrics: serving http://%s:%s/metrics", self.host, self.port)

    async def close(self, timeout: float = 3.0) -> None:
        self.collector.close()
        if self._runner is not None:
            await self._runner.cleanup()
