"""What every simulated cloud provides to the host that serves it."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from aiohttp import web

from alarmtui.simulators.panel import SimPanel


class SimCloud(abc.ABC):
    """One vendor cloud: an aiohttp application over one or more `SimPanel`s."""

    kind: ClassVar[str]

    #: Demo credentials printed by `alarmtui sim` and written by `--write-config`.
    username: str
    password: str
    code: str | None = None

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

    def describe(self, base_url: str) -> list[str]:
        """Lines for `alarmtui sim` to print (never more secret than demo credentials)."""
        line = f"{self.kind:9s} {base_url}  user={self.username} password={self.password}"
        if self.code:
            line += f" code={self.code}"
        return [line]
