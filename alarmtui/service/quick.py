"""The cheapest way to ask the service something: standard-library HTTP over its Unix socket.

`alarmtui status` answered by the service must start, ask and print within a
quarter second; importing httpx alone costs more than that, so the read-only
requests of headless commands use `http.client` (the same HTTP the service
speaks to httpx clients, only a lighter client). Nothing here imports more
than the standard library.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse
from pathlib import Path
from typing import Any


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("alarmtui.service", timeout=timeout)
        self.socket_path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def get_json(path: Path, url: str, params: dict[str, str | None] | None = None, *, timeout: float = 5.0) -> tuple[int, dict[str, Any]] | None:
    """(status, body) of GET `url`, or None when nobody answers on the socket."""
    query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
    connection = UnixHTTPConnection(path, timeout)
    try:
        connection.request("GET", f"{url}?{query}" if query else url, headers={"Accept": "application/json"})
        response = connection.getresponse()
        body = json.loads(response.read() or b"{}")
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        connection.close()
    return response.status, body if isinstance(body, dict) else {}
