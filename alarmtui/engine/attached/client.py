"""The client side of the service socket: httpx over a Unix domain socket (HTTP, server-sent events)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpcore
import httpx

from alarmtui.domain import Command, CommandResult
from alarmtui.domain.updates import CommandBusy
from alarmtui.engine.base import HistoryPage
from alarmtui.engine.trust import UntrustedService, check_path, check_peer
from alarmtui.engine.wire import command_request, history_from_wire, result_from_wire

BASE_URL = "http://alarmtui.service"
"""Any host will do over a Unix socket; this one reads well in logs."""


class ServiceUnavailable(Exception):
    """No service answers on the socket (not running, stopped, or it went away mid-request)."""


class CommandRefused(Exception):
    """The service refused a command before sending anything (unknown provider, malformed request)."""


class TrustingBackend(httpcore.AsyncNetworkBackend):
    """Connects only to this user's service: the socket path is checked before connecting and the
    peer's uid once connected, on every new connection, before httpx sends a byte on it."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        try:
            check_path(path)
        except FileNotFoundError:
            raise httpcore.ConnectError(f"no socket at {path}") from None  # httpx: the service is not there
        stream = await self._inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)
        try:
            check_peer(stream.get_extra_info("socket"), path)
        except BaseException:
            await stream.aclose()
            raise
        return stream

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise UntrustedService("(tcp)", "the service is only ever reached over its Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def trusting_transport(path: Path) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(uds=str(path))
    # httpx takes no network backend; its pool does (the same pool httpx builds, with the checking backend).
    transport._pool = httpcore.AsyncConnectionPool(
        uds=str(path), network_backend=TrustingBackend(), max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0
    )
    return transport


class ServiceClient:
    """Raises `UntrustedService` (nothing sent) from any request when the socket is not this user's service."""

    def __init__(self, path: Path, *, timeout: float = 5.0) -> None:
        self.path = path
        self._http = httpx.AsyncClient(
            transport=trusting_transport(path),
            base_url=BASE_URL,
            timeout=httpx.Timeout(timeout),
        )

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the alarmtui service on {self.path} did not answer ({type(exc).__name__})") from None
        if response.status_code == 403:
            raise ServiceUnavailable(f"the alarmtui service on {self.path} belongs to another user")
        return response

    async def hello(self) -> dict[str, Any]:
        response = await self._request("GET", "/v1/hello")
        return _json(response)

    async def state(self) -> dict[str, Any]:
        response = await self._request("GET", "/v1/state")
        return _json(response)

    async def refresh(self, provider: str | None = None) -> None:
        await self._request("POST", "/v1/refresh", json={"provider": provider})

    async def command(self, provider: str, command: Command, *, origin: str = "") -> CommandResult:
        """Send `command` through the service; returns its result once the service knows it.

        Raises `CommandBusy` if the service refused to start it (nothing was sent),
        `ServiceUnavailable` if the service could not be reached or went away (the
        command may have been sent: the caller must treat the outcome as unknown).
        """
        response = await self._request(
            "POST",
            "/v1/command",
            json={**command_request(provider, command), "origin": origin},
            timeout=httpx.Timeout(5.0, read=None),
        )
        body = _json(response)
        if response.status_code == 409:
            raise CommandBusy(str(body.get("message") or "another command is in flight"))
        if response.status_code != 200:
            raise CommandRefused(str(body.get("message") or f"the service refused the command ({response.status_code})"))
        try:
            return result_from_wire(body.get("result"))
        except ValueError:
            raise ServiceUnavailable("the alarmtui service sent a malformed result") from None

    async def history(
        self, *, grep: str | None = None, provider: str | None = None, before: int | None = None, limit: int = 200
    ) -> HistoryPage | None:
        """A page of the service's journal (None: it keeps none). Raises `ServiceUnavailable`."""
        params: dict[str, str | int] = {"limit": limit}
        if grep:
            params["grep"] = grep
        if provider:
            params["provider"] = provider
        if before is not None:
            params["before"] = before
        response = await self._request("GET", "/v1/events", params=params)
        body = _json(response)
        if response.status_code != 200:
            return HistoryPage((), error=str(body.get("message") or f"the service refused ({response.status_code})"))
        try:
            return history_from_wire(body)
        except ValueError:
            raise ServiceUnavailable("the alarmtui service sent a malformed history page") from None

    async def acknowledge(self, provider: str, partition: str, zone: str | None, *, origin: str) -> None:
        """Tell the service's journal that `origin` acknowledged an alarm. Raises `ServiceUnavailable`."""
        response = await self._request(
            "POST", "/v1/acknowledge", json={"provider": provider, "partition": partition, "zone": zone, "origin": origin}
        )
        if response.status_code != 200:
            raise ServiceUnavailable(f"the alarmtui service refused the acknowledgement ({response.status_code})")

    async def feed(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """(event, data) pairs: "hello", then "update"s of the current state, "ready", then live "update"s (and a new
        "hello" when a provider's info changes: a PIN length learned at login)."""
        try:
            async with self._http.stream("GET", "/v1/feed", timeout=httpx.Timeout(5.0, read=None)) as response:
                if response.status_code != 200:
                    raise ServiceUnavailable(f"the alarmtui service refused the feed ({response.status_code})")
                event, data = "message", list[str]()
                async for line in response.aiter_lines():
                    if not line:
                        if data:
                            yield event, json.loads("\n".join(data))
                        event, data = "message", list[str]()
                    elif line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].lstrip())
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"lost the alarmtui service ({type(exc).__name__})") from None

    async def verification(self, provider: str, step: str, body: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """POST /v1/verify/{provider}/{step} ("send" {phone}, "code" {code}): (HTTP status, reply)."""
        # The vendor may pace these requests: give it time.
        response = await self._request("POST", f"/v1/verify/{provider}/{step}", json=body, timeout=httpx.Timeout(5.0, read=120.0))
        return response.status_code, _json(response)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ServiceUnavailable("the alarmtui service sent a malformed reply") from None
    if not isinstance(body, dict):
        raise ServiceUnavailable("the alarmtui service sent a malformed reply")
    return body
