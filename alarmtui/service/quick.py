"""The cheapest way to ask the service something: one HTTP/1.1 GET over its Unix socket.

`alarmtui status` answered by the service must start, ask and print within a
quarter second. httpx costs more than that to import, and even `http.client`
pulls in the `email` package and `ssl` (about a fifth of the budget), so the
read-only requests of headless commands are one plain HTTP/1.1 exchange on a
socket: `Connection: close`, the body by Content-Length (or chunked), read to
the end. The service is aiohttp, so the other side is a real HTTP server; only
this client is small. Nothing here imports more than the standard library.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode  # already loaded with pathlib

MAX_REPLY = 32 * 1024 * 1024
"""A reply larger than this is not the service's (a status of many panels is a few hundred KB)."""


def get_json(path: Path, url: str, params: dict[str, str | None] | None = None, *, timeout: float = 5.0) -> tuple[int, dict[str, Any]] | None:
    """(status, body) of GET `url`, or None when nobody answers on the socket (or the reply is not HTTP + JSON).

    `timeout` bounds each wait on the socket, not the whole exchange.
    """
    query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
    target = quote(url) + (f"?{query}" if query else "")
    request = f"GET {target} HTTP/1.1\r\nHost: alarmtui.service\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(request.encode("ascii"))
            reply = _read_all(sock)
        status, body = _parse_reply(reply)
        decoded = json.loads(body or b"{}")
    except (OSError, ValueError):
        return None
    return status, decoded if isinstance(decoded, dict) else {}


def _read_all(sock: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := sock.recv(65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_REPLY:
            raise ValueError("reply too large")
    return b"".join(chunks)


def _parse_reply(reply: bytes) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.x response; ValueError for anything else (or a cut-off one)."""
    head, separator, body = reply.partition(b"\r\n\r\n")
    if not separator:
        raise ValueError("no end of headers")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
        raise ValueError("not an HTTP/1 response")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _unchunk(body)
    elif "content-length" in headers:
        length = int(headers["content-length"])
        if len(body) < length:
            raise ValueError("reply cut off")
        body = body[:length]
    return int(rest[:3]), body


def _unchunk(data: bytes) -> bytes:
    out: list[bytes] = []
    while True:
        size_line, separator, data = data.partition(b"\r\n")
        if not separator:
            raise ValueError("reply cut off")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            return b"".join(out)
        if len(data) < size + 2:
            raise ValueError("reply cut off")
        out.append(data[:size])
        data = data[size + 2 :]
