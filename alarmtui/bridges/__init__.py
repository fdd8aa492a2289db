"""Bridges: thin adapters from the engine's updates to other protocols (MQTT, Prometheus), commands back through it.

Subscribers of the engine like the journal and the notifier, and independent of them. Each is
loaded only when its config table is there, so a service without them starts as fast as before.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Bridge(Protocol):
    def start(self) -> None: ...

    async def close(self, timeout: float = 3.0) -> None: ...


class Bridges:
    """The bridges the config asks for, started and closed together."""

    def __init__(self, bridges: list[Bridge]) -> None:
        self.bridges = bridges

    def start(self) -> None:
        for bridge in self.bridges:
            bridge.start()

    async def close(self, timeout: float = 3.0) -> None:
        for bridge in self.bridges:
            try:
                await bridge.close(timeout)
            except Exception:  # one bridge's failure must not keep the others open
                log.exception("closing %r failed", bridge)


def bridges_for(engine: Any, settings: Any) -> Bridges:
    """The bridges `settings` configures for `engine` (not started)."""
    found: list[Bridge] = []
    if getattr(settings, "mqtt", None) is not None:
        from alarmtui.bridges.mqtt import MqttBridge

        found.append(MqttBridge.from_settings(engine, settings))
    if getattr(settings, "metrics", None) is not None:
        from alarmtui.bridges.metrics import MetricsBridge

        found.append(MetricsBridge.from_settings(engine, settings))
    return Bridges(found)
