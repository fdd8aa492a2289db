"""The cheapest way to ask the service something: standard-library HTTP over its Unix socket.

`alarmtui status` answered by the service must start, ask and print within a
quarter second; importing httpx alone costs more than that, so the read-only
requests of headless commands use the standard library's `http.client` (the
same HTTP the service speaks to httpx clients, only a lighter client, and a
well-kept one: no home-made HTTP parsing). Nothing here imports more than the
standard library.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from alarmtui.engine.trust import connect_trusted

MAX_REPLY = 32 * 1024 * 1024
"""A reply larger than this is not the service's (a status of many panels is a few hundred KB)."""


class UnixHTTPConnection(http.client.HTTPConnection):
    """`http.client` over a Unix socket: only where it connects differs."""

    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("alarmtui.service", timeout=timeout)
        self.socket_path = str(path)

    def connect(self) -> None:
        # The path and the process behind it are checked before a byte is sent (raises UntrustedService).
        self.sock = connect_trusted(self.socket_path, self.timeout)


def get_json(
    path: Path, url: str, params: dict[str, str | None] | None = None, *, timeout: float = 5.0
) -> tuple[int, dict[str, Any]] | None:
    """(status, body) of GET `url`, or None when nobody answers on the socket (or the reply is not HTTP + JSON).

    Raises `UntrustedService` (nothing sent) when the socket is not this user's service.

    `timeout` bounds each wait on the socket, not the whole exchange.
    """
    query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
    target = quote(url) + (f"?{query}" if query else "")
    connection = UnixHTTPConnection(path, timeout)
    try:
        connection.request("GET", target, headers={"Accept": "application/json"})
        response = connection.getresponse()
        if response.length is not None and response.length > MAX_REPLY:
            return None
        body = response.read()  # to the end: a reply cut short raises IncompleteRead
        decoded = json.loads(body or b"{}")
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        connection.close()
    return response.status, decoded if isinstance(decoded, dict) else {}
