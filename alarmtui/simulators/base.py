"""What every simulated cloud provides to the host that serves it."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from aiohttp import web

from alarmtui.simulators.faults import FaultInjector, path_route
from alarmtui.simulators.panel import SimPanel

FAST_PANEL_TIMING = {"exit_delay": 0.6, "entry_delay": 0.6, "photo_delay": 0.2}
"""Delays short enough for a test to watch a whole arm/alarm cycle in a second or two."""


class SimCloud(abc.ABC):
    """One vendor cloud: an aiohttp application over one or more `SimPanel`s."""

    kind: ClassVar[str]

    #: Demo credentials printed by `alarmtui sim` and written by `--write-config`.
    username: str
    password: str
    code: str | None = None

    @property
    def faults(self) -> FaultInjector:
        """The shared fault middleware (status, body, delay, drop-after-forward, truncate; per route, counted).

        `build_app` puts `self.faults.middleware` in front of the vendor's routes;
        `route_of` names a request's route for it.
        """
        injector = self.__dict__.get("_faults")
        if injector is None:
            injector = self.__dict__["_faults"] = FaultInjector(self.route_of)
        return injector

    async def route_of(self, request: web.Request) -> str:
        """The route name faults and counts use (default: the path after the REST version)."""
        return await path_route(request)

    @property
    @abc.abstractmethod
    def panels(self) -> list[SimPanel]:
        """Every panel this cloud serves; the first is the demo's main one."""

    @abc.abstractmethod
    def build_app(self) -> web.Application:
        """The aiohttp application that speaks the vendor's dialect."""

    @abc.abstractmethod
    def provider_tables(self, base_url: str) -> list[dict[str, Any]]:
        """`[[providers]]` tables (name, kind, url, username, password, code, kind fields) for a config file."""

    def expire_sessions(self) -> None:
        """Invalidate every session/token so clients must log in again."""
        raise NotImplementedError

    def cloud_operation(self, op: str) -> None:
        """A scenario that acts on the cloud, not the panel (`control.CLOUD_OPERATIONS`)."""
        if op == "expire_sessions":
            self.expire_sessions()
            return
        raise NotImplementedError(op)

    def use_fast_timing(self) -> None:
        """Short delays and latencies for tests and `alarmtui sim --fast` (clouds add their own knobs)."""
        for panel in self.panels:
            for name, value in FAST_PANEL_TIMING.items():
                setattr(panel, name, value)

    def describe(self, base_url: str) -> list[str]:
        """Lines for `alarmtui sim` to print (never more secret than demo credentials)."""
        line = f"{self.kind:9s} {base_url}  user={self.username} password={self.password}"
        if self.code:
            line += f" code={self.code}"
        return [line]
