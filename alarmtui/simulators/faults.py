"""One fault mechanism and one session store for every simulated cloud.

`FaultInjector` is an aiohttp middleware. Each cloud names its routes with a
`route_of(request)` function (Verisure: the `request` parameter, e.g. "ARM1";
REST vendors: the path after the version, e.g. "set_state"); a fault applies to
one route (or every route) for a number of requests:

    cloud.faults.add("ARM2", status=500)                 # HTTP 500
    cloud.faults.add("status", body=b"{", times=3)        # malformed body, 3 times
    cloud.faults.add(None, delay=5.0)                     # hang past the client's timeout
    cloud.faults.add("set_state", forward=True, drop=True)  # the panel acts, the reply is lost
    cloud.faults.add("events", forward=True, truncate=40)   # the real reply, cut after 40 bytes
    cloud.faults.count("set_state")                       # requests seen on a route (counted at the server)

`forward=True` runs the real handler first (the cloud and panel act on it);
without it the fault answers instead of the handler. `drop` closes the
connection without a reply, `truncate` sends only the first bytes of the
reply's body with the full Content-Length and closes.

`SessionStore` keeps tokens with a sliding or fixed expiry on the cloud's clock.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RouteOf = Callable[[web.Request], Awaitable[str]]
V = TypeVar("V")


@dataclass
class Fault:
    """One injected fault; see the module docstring."""

    route: str | None
    status: int | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    forward: bool = False
    drop: bool = False
    truncate: int | None = None
    times: int = 1
    content_type: str = "text/plain"
    reason: str | None = None
    """The HTTP reason phrase to send (Visonic's real library dispatches on them)."""
    hits: int = 0

    def matches(self, route: str) -> bool:
        return self.times > 0 and (self.route is None or self.route == route)


async def path_route(request: web.Request) -> str:
    """Default route name: the last path segments after a version (`/rest_api/9.0/status` → "status")."""
    version = request.match_info.get("version")
    path = request.match_info.get("path")
    if version is not None and path is not None:
        return path.rstrip("/")
    return request.path.rstrip("/").rsplit("/", 1)[-1]


class FaultInjector:
    """Counts every request per route and applies injected faults (an aiohttp middleware)."""

    def __init__(self, route_of: RouteOf = path_route) -> None:
        self.route_of = route_of
        self.faults: list[Fault] = []
        self.counts: Counter[str] = Counter()
        self.applied: Counter[str] = Counter()

    def add(
        self,
        route: str | None,
        *,
        status: int | None = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        forward: bool = False,
        drop: bool = False,
        truncate: int | None = None,
        times: int = 1,
        content_type: str = "text/plain",
        reason: str | None = None,
    ) -> Fault:
        fault = Fault(
            route,
            status,
            body.encode() if isinstance(body, str) else body,
            dict(headers or {}),
            delay,
            forward,
            drop,
            truncate,
            times,
            content_type,
            reason,
        )
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def count(self, route: str) -> int:
        return self.counts[route]

    def _take(self, route: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(route):
                fault.times -= 1
                fault.hits += 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                self.applied[route] += 1
                return fault
        return None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        route = await self.route_of(request)
        self.counts[route] += 1
        fault = self._take(route)
        if fault is None:
            return await handler(request)
        if fault.delay and not fault.forward:
            await asyncio.sleep(fault.delay)
        response: web.StreamResponse | None = None
        if fault.forward:
            response = await handler(request)  # the cloud (and the panel) act on it
            if fault.delay:
                await asyncio.sleep(fault.delay)
        if fault.drop:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # aiohttp ends the request without a reply
        if fault.truncate is not None:
            body = _body_of(response) if response is not None else (fault.body or b"")
            return await _truncated(request, body, fault.truncate, response)
        if response is not None and fault.status is None and fault.body is None:
            return response
        status = fault.status or 200
        body = fault.body if fault.body is not None else f"injected HTTP {status}".encode()
        return web.Response(status=status, reason=fault.reason, body=body, headers=fault.headers, content_type=fault.content_type)


def _body_of(response: web.StreamResponse) -> bytes:
    body = getattr(response, "body", None)
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    text = getattr(response, "text", None)
    return text.encode() if isinstance(text, str) else b""


async def _truncated(request: web.Request, body: bytes, keep: int, original: web.StreamResponse | None) -> web.StreamResponse:
    """Promise the whole body (Content-Length) but send only `keep` bytes, then close."""
    response = web.StreamResponse(status=original.status if original is not None else 200)
    content_type = original.headers.get("Content-Type") if original is not None else None
    if content_type:
        response.headers["Content-Type"] = content_type
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[:keep])
    if request.transport is not None:
        request.transport.close()
    return response


class SessionStore(MutableMapping[str, V], Generic[V]):
    """Tokens → session values, expiring `ttl` seconds after creation (or last use when `sliding`).

    A dict to the cloud's code (`store[token]`, `store.get(token)`, `clear()`),
    with `new(value)` minting a token and `touch(token)` for sliding expiry.
    """

    def __init__(
        self,
        ttl: float | Callable[[], float | None] | None = None,
        *,
        sliding: bool = True,
        clock: Callable[[], float] = time.monotonic,
        limit: int = 2000,
    ) -> None:
        """`ttl` may be a function, read at each check (a cloud whose lifetime a scenario changes)."""
        self.ttl = ttl
        self.sliding = sliding
        self.clock = clock
        self.limit = limit
        self._items: dict[str, tuple[V, float]] = {}

    def new(self, value: V, *, token: str | None = None) -> str:
        token = token or secrets.token_hex(16)
        self[token] = value
        return token

    def valid(self, token: str) -> V | None:
        """The session for `token` if it has not expired (and, when sliding, renew it), else None."""
        item = self._items.get(token)
        if item is None:
            return None
        value, last = item
        now = self.clock()
        ttl = self.ttl() if callable(self.ttl) else self.ttl
        if ttl is not None and now - last > ttl:
            del self._items[token]
            return None
        if self.sliding:
            self._items[token] = (value, now)
        return value

    def expire(self, token: str | None = None) -> None:
        """Forget one session, or all of them."""
        if token is None:
            self._items.clear()
        else:
            self._items.pop(token, None)

    def __getitem__(self, token: str) -> V:
        return self._items[token][0]

    def __setitem__(self, token: str, value: V) -> None:
        self._items[token] = (value, self.clock())
        while len(self._items) > self.limit:
            self._items.pop(next(iter(self._items)))

    def __delitem__(self, token: str) -> None:
        del self._items[token]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


__all__ = ["Fault", "FaultInjector", "SessionStore", "path_route"]
