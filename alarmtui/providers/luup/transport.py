"""How a luup `data_request` reaches a Vera: the contract both transports implement.

`mios.client.RelayTransport` goes through the MMS cloud relay (login chain, per-server
sessions); `vera.client.LanTransport` talks to the Vera's own port 3480 on the LAN
(no account). The provider logic in `luup.provider` only sees this interface.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from alarmtui.providers.base import RateLimited, SessionExpired, retry_after
from alarmtui.providers.http import MAX_REPLY_BYTES, fetch


class LuupAuthRejected(SessionExpired):
    """The transport's server refused our credentials for this request (an MMS 401).

    Nothing reached the Vera. Handled inside the provider (renew, then retry reads);
    a SessionExpired so that one escaping by mistake is still a typed error.
    """

    def __init__(self, error: str) -> None:
        super().__init__(f"the server refused the session ({error})")
        self.error = error


async def get_limited(
    client: httpx.AsyncClient,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    limit: int = MAX_REPLY_BYTES,
    provider: str = "",
    what: str = "talking to the Vera",
) -> httpx.Response:
    """GET once with the core HTTP layer (`providers.http.fetch`: body streamed, decompressed
    and capped at `limit`), as an `httpx.Response` holding the decoded body.

    Raises `NotSent` (never left this machine), `ReplyLost` (may have reached the
    server) or `ProtocolError` (too large, broken encoding).
    """
    request = client.build_request(
        "GET", url, params=params, headers=headers, timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT
    )
    reply = await fetch(client, request, provider=provider, what=what, limit=limit)
    # The body is already decoded: drop the headers that describe the encoded form.
    kept = [
        (k, v)
        for k, v in reply.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(reply.status, headers=kept, content=reply.body, request=request)


def is_long_poll(params: Mapping[str, Any]) -> bool:
    """A `lu_sdata` that waits on the Vera for a change (it holds its connection for up to a minute)."""
    return params.get("id") == "lu_sdata" and "timeout" in params


def raise_for_throttling(response: httpx.Response, what: str) -> None:
    """HTTP 429 from a relay or a Vera: `RateLimited`, honouring Retry-After."""
    if response.status_code == 429:
        raise RateLimited(f"too many requests while {what}; the server asks us to wait", retry_after=retry_after(response))


class LuupTransport(abc.ABC):
    """One way to send luup `data_request`s to a Vera."""

    #: Words for messages: "the MiOS relay", "the Vera".
    label: str = "the Vera"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last_ok = 0.0
        """`clock()` of the last 200 answer."""

    @property
    def generation(self) -> int:
        """Bumped by every successful (re)login, so concurrent callers renew once."""
        return 0

    @abc.abstractmethod
    async def connect(self) -> None:
        """Log in / find the Vera. Safe to call again after a failure."""

    async def ready(self) -> None:  # noqa: B027  (a hook: most transports have nothing to renew)
        """Before each use: renew credentials that are about to lapse."""

    async def renew(self, seen_generation: int, error: str) -> None:
        """After `LuupAuthRejected`: get new credentials (once, for all concurrent callers)."""
        raise SessionExpired(f"{self.label} refused the request ({error})")

    def renew_needs_login(self, error: str, failures: int) -> bool:
        """Whether a rejection needs `renew` (True) or just a retry (a dropped session token)."""
        return True

    @abc.abstractmethod
    async def send(self, params: Mapping[str, Any], what: str, timeout: float) -> httpx.Response:
        """One data_request exchange. Raises `LuupAuthRejected`, `RateLimited`, `PanelOffline`,
        `AuthenticationFailed`, or httpx transport errors; returns any other response."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    def mark_ok(self) -> None:
        self.last_ok = self.clock()

    @property
    def pk_device(self) -> str | None:
        return None

    @property
    def controller_name(self) -> str:
        return ""
