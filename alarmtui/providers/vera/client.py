"""The LAN transport: luup `data_request` straight to the Vera's own port (`http://HOST:3480`).

No account and no session: the Vera answers anyone on its LAN, over plain HTTP as it
serves it. Timeouts are short because the Vera is a few metres away; the long poll's
read timeout is its window plus a small margin.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from alarmtui.providers.base import AuthenticationFailed, ConnectionFailed, RequestCounter
from alarmtui.providers.http import make_client
from alarmtui.providers.luup.transport import LuupTransport, get_limited, is_long_poll, raise_for_throttling

if TYPE_CHECKING:
    from alarmtui.settings import VeraConfig

#: Connecting to a box on the LAN takes milliseconds; a few seconds means it is not there.
LAN_CONNECT_TIMEOUT = 3.0


class LanTransport(LuupTransport):
    label = "the Vera"

    def __init__(
        self, config: VeraConfig, counter: RequestCounter, *, timeout: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(clock)
        self.config = config
        self.counter = counter
        self.timeout = timeout
        self._http: httpx.AsyncClient | None = None
        self._long_poll_http: httpx.AsyncClient | None = None
        """The long poll's own client: a command never waits for a connection behind it (issue 16)."""

    @property
    def data_request_url(self) -> str:
        # Accept both the bare port URL and one that already names /data_request or /port_3480.
        base = self.config.url
        if base.endswith("/data_request"):
            return base
        return f"{base}/data_request"

    def client(self, *, long_poll: bool = False) -> httpx.AsyncClient:
        timeout = httpx.Timeout(self.timeout, connect=LAN_CONNECT_TIMEOUT)
        if long_poll:
            if self._long_poll_http is None:
                self._long_poll_http = make_client(self.config, self.counter, timeout=timeout)
            return self._long_poll_http
        if self._http is None:
            self._http = make_client(self.config, self.counter, timeout=timeout)
        return self._http

    async def connect(self) -> None:
        """Nothing to log in to: one cheap `alive` proves the Vera is there."""
        response = await self.send({"id": "alive"}, "connecting to the Vera", self.timeout)
        if response.status_code != 200:
            raise ConnectionFailed(f"the Vera answered HTTP {response.status_code} to `alive`; is this its port 3480?")
        self.mark_ok()

    async def send(self, params: Mapping[str, Any], what: str, timeout: float) -> httpx.Response:
        response = await get_limited(
            self.client(long_poll=is_long_poll(params)),
            self.data_request_url,
            params=params,
            timeout=timeout,
            provider=self.config.name,
            what=what,
        )
        if response.status_code in (401, 403):
            raise AuthenticationFailed(
                f"the Vera refused access (HTTP {response.status_code}) while {what}",
                hint="Newer Vera firmware may close port 3480 to the LAN; check the URL and the Vera's settings.",
            )
        raise_for_throttling(response, what)
        return response

    async def close(self) -> None:
        clients = [c for c in (self._http, self._long_poll_http) if c is not None]
        self._http = self._long_poll_http = None
        for http in clients:
            await http.aclose()
