"""The shared HTTP layer against a real loopback server: size limit, decompression, transport errors, decode."""

from __future__ import annotations

import asyncio
import gzip
import socket
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from alarmtui.providers.errors import CertificateError, NotSent, ProtocolError, RateLimited, ReplyLost, SessionExpired
from alarmtui.providers.http import (
    HttpReply,
    RequestCounter,
    decode_json,
    decode_xml,
    error_for_status,
    fetch,
    make_client,
    parse_retry_after,
)
from alarmtui.settings import VisonicConfig


def _config(**extra: Any) -> VisonicConfig:
    return VisonicConfig(name="t", kind="visonic", url="http://127.0.0.1", username="u", password="p", code="1234", **extra)


async def _serve(app: web.Application, ssl_context: Any = None) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    scheme = "https" if ssl_context else "http"
    return runner, f"{scheme}://127.0.0.1:{port}"


_BOMB: list[bytes] = []


def _bomb() -> bytes:
    """8 MB of zeros in about 8 kB: inflates past the 1 MB limit used below."""
    if not _BOMB:
        _BOMB.append(gzip.compress(b"\0" * (8 * 1024 * 1024), compresslevel=9))
    return _BOMB[0]


@pytest.fixture
async def server() -> AsyncIterator[str]:
    bomb = _bomb()

    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(2 * 16 + 1):  # just over 2 MB without Content-Length
            await response.write(b"x" * 65536)
        return response

    async def gz_bomb(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip"})

    async def gz_small(request: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(b'{"ok": true}'), headers={"Content-Encoding": "gzip"})

    async def raw_deflate(request: web.Request) -> web.Response:
        squeeze = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return web.Response(body=squeeze.compress(b"<a>1</a>") + squeeze.flush(), headers={"Content-Encoding": "deflate"})

    async def truncated(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b"{\"partial\":")
        request.transport.close()  # type: ignore[union-attr]
        return response

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(1.0)
        return web.Response(text="late")

    async def limited(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "7"})

    app = web.Application()
    app.router.add_get("/big", big)
    app.router.add_get("/bomb", gz_bomb)
    app.router.add_get("/gz", gz_small)
    app.router.add_get("/deflate", raw_deflate)
    app.router.add_get("/truncated", truncated)
    app.router.add_get("/hang", hang)
    app.router.add_get("/429", limited)
    runner, url = await _serve(app)
    yield url
    await runner.cleanup()


async def _get(url: str, *, timeout: float = 5.0, limit: int = 16 * 1024 * 1024, config: Any = None) -> HttpReply:
    async with make_client(config or _config(), RequestCounter(), timeout=timeout) as client:
        return await fetch(client, client.build_request("GET", url), provider="t", what="testing", limit=limit)


async def test_streamed_limit_stops_a_huge_body(server: str) -> None:
    with pytest.raises(ProtocolError, match="larger than"):
        await _get(server + "/big", limit=2 * 1024 * 1024)


async def test_gzip_bomb_is_stopped_after_decompression(server: str) -> None:
    with pytest.raises(ProtocolError, match="larger than"):
        await _get(server + "/bomb", limit=1024 * 1024)


async def test_gzip_and_raw_deflate_are_inflated(server: str) -> None:
    assert decode_json((await _get(server + "/gz")).body, what="gz") == {"ok": True}
    assert decode_xml((await _get(server + "/deflate")).body, what="deflate") == {"a": "1"}


async def test_truncated_body_is_reply_lost(server: str) -> None:
    with pytest.raises(ReplyLost):
        await _get(server + "/truncated")


async def test_hang_past_timeout_is_reply_lost_not_not_sent(server: str) -> None:
    with pytest.raises(ReplyLost, match="timed out"):
        await _get(server + "/hang", timeout=0.3)


async def test_connection_refused_is_not_sent() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NotSent, match="could not connect"):
        await _get(f"http://127.0.0.1:{port}/")


async def test_untrusted_certificate_says_tls_certificate(tmp_path: Path) -> None:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    app = web.Application()
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app.router.add_get("/", hello)
    runner, url = await _serve(app, context)
    try:
        with pytest.raises(CertificateError, match="TLS certificate") as caught:
            await _get(url + "/")
        assert isinstance(caught.value, NotSent)
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        reply = await _get(url + "/", config=_config(ca_file=ca_file))
        assert reply.body == b"hi"
    finally:
        await runner.cleanup()


async def test_status_table_and_retry_after(server: str) -> None:
    reply = await _get(server + "/429")
    error = error_for_status(reply, provider="t", what="testing")
    assert isinstance(error, RateLimited) and error.retry_after == 7.0
    unauthorised = HttpReply(401, httpx.Headers(), b"")
    assert isinstance(error_for_status(unauthorised, provider="t", what="x"), SessionExpired)
    overrides = {401: lambda r, what, p: ProtocolError("custom", provider=p)}
    assert isinstance(error_for_status(unauthorised, provider="t", what="x", overrides=overrides), ProtocolError)
    assert error_for_status(HttpReply(204, httpx.Headers(), b""), provider="t", what="x") is None


def test_parse_retry_after_both_forms() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now=lambda: now) == 60.0
    assert parse_retry_after((now - timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S GMT"), now=lambda: now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    "body",
    [
        b"<?xml version='1.0' encoding='YR'?><PET/>",  # LookupError (issue 8 defect 1)
        b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',  # entities refused
        b"\xff\xfe<",
        b"",
        b"not xml",
    ],
    ids=["unknown-encoding", "entity", "bad-bytes", "empty", "text"],
)
def test_decode_xml_turns_every_failure_into_protocol_error(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_xml(body, what="test")


@pytest.mark.parametrize(
    "body", [b"[" * 100_000 + b"]" * 100_000, b"\xff", b"{", b"", b"NaN-ish"], ids=["deep", "bytes", "open", "empty", "text"]
)
def test_decode_json_turns_every_failure_into_protocol_error(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_json(body, what="test")
