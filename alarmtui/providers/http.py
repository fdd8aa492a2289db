"""The one HTTP layer every provider uses.

- `make_client()`: an httpx client with timeouts, TLS settings from the
  provider's config, request counting and redacted debug logging.
- `fetch()`: one request whose reply body is read *streamed and decompressed*
  under a size limit (16 MB by default): a 50 MB body or a gzip bomb stops at
  the limit instead of costing memory. Transport failures become
  `NotSent` (never left this machine; `CertificateError` for TLS) or
  `ReplyLost` (may have reached the server); timeouts say so.
- `decode_json()` / `decode_xml()`: *any* failure while decoding — bad syntax,
  unknown XML encoding (LookupError), deep nesting (RecursionError),
  MemoryError, UnicodeError, entity tricks — becomes `ProtocolError`.
- `error_for_status()`: the status→error table (401 → SessionExpired,
  429 → RateLimited with Retry-After, 5xx → ConnectionFailed …), which a vendor
  can override per status.
- `parse_retry_after()`: both forms of Retry-After.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import gc
import json
import json.scanner
import logging
import os
import ssl
import threading
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

import defusedxml
import httpx
import xmltodict

from alarmtui.providers.errors import (
    AuthenticationFailed,
    CertificateError,
    ConnectionFailed,
    NotSent,
    ProtocolError,
    ProviderError,
    RateLimited,
    ReplyLost,
    SessionExpired,
    TooManyRecords,
    finite_seconds,
)
from alarmtui.redaction import redact_url, scrub

if TYPE_CHECKING:
    from alarmtui.settings import ProviderConfig

log = logging.getLogger(__name__)

MAX_REPLY_BYTES = 16 * 1024 * 1024
"""Default limit on a reply body, counted after decompression."""
DEFAULT_TIMEOUT = 15.0
CHUNK = 64 * 1024


class RequestCounter:
    """Counts HTTP requests in a sliding one-hour window (for the cost figures)."""

    WINDOW = 3600.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._times: deque[float] = deque()
        self.total = 0
        self.started = clock()

    def add(self) -> None:
        now = self._clock()
        self._times.append(now)
        self.total += 1
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self.WINDOW:
            self._times.popleft()

    def per_hour(self) -> float:
        """Requests per hour: the last hour's count, extrapolated while younger than an hour."""
        now = self._clock()
        self._trim(now)
        age = max(now - self.started, 1.0)
        if age >= self.WINDOW:
            return float(len(self._times))
        return len(self._times) * self.WINDOW / age


# --------------------------------------------------------------------------- client


def http_timeout(total: float = DEFAULT_TIMEOUT) -> httpx.Timeout:
    """Every phase bounded by `total`; connecting by at most 10 s."""
    return httpx.Timeout(total, connect=min(total, 10.0))


def tls_context(verify: bool, ca_file: str | None = None) -> ssl.SSLContext:
    """One TLS context per setting, shared by every client: building one (the CA bundle) costs ~40 ms, and a
    dashboard starts several clients at once. A CA file is read again when it changes."""
    if ca_file is None:
        return _tls_context(verify, None, None)
    stat = os.stat(ca_file)
    return _tls_context(verify, ca_file, (stat.st_mtime_ns, stat.st_size, stat.st_ino))


@functools.lru_cache(maxsize=16)
def _tls_context(verify: bool, ca_file: str | None, version: tuple[int, int, int] | None) -> ssl.SSLContext:
    if ca_file is not None:
        return ssl.create_default_context(cafile=ca_file)
    return httpx.create_ssl_context(verify=verify)


@functools.lru_cache(maxsize=1)
def _plain_http_context() -> ssl.SSLContext:
    """For a client whose configured URLs are all plain http: no CA bundle to load (~40–80 ms at start), and
    every certificate refused, so an https URL it meets anyway fails closed instead of going unverified."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, with nothing to trust


def _plain_http_only(config: ProviderConfig) -> bool:
    urls = [getattr(config, "url", ""), getattr(config, "failover_url", None) or ""]
    return all(not url or str(url).lower().startswith("http://") for url in urls) and any(urls)


def make_client(
    config: ProviderConfig, counter: RequestCounter, *, timeout: float | httpx.Timeout = DEFAULT_TIMEOUT, **kwargs: Any
) -> httpx.AsyncClient:
    """An httpx client honouring `verify_tls` / `ca_file`, counting every request.

    We ask only for gzip/deflate, which `fetch()` inflates itself under the size
    limit. Request URLs are logged redacted (httpx's own INFO logging, which
    prints full URLs, is silenced in `alarmtui.logging_setup`).
    """
    if config.verify_tls and not config.ca_file and _plain_http_only(config):
        verify = _plain_http_context()
    else:
        verify = tls_context(config.verify_tls, str(config.ca_file) if config.verify_tls and config.ca_file else None)

    async def on_request(request: httpx.Request) -> None:
        counter.add()
        log.debug("%s %s", request.method, redact_url(request.url))

    kwargs["timeout"] = timeout if isinstance(timeout, httpx.Timeout) else http_timeout(timeout)
    headers = {"Accept-Encoding": "gzip, deflate", **dict(kwargs.pop("headers", None) or {})}
    return httpx.AsyncClient(verify=verify, event_hooks={"request": [on_request]}, headers=headers, **kwargs)


# Old name, kept for callers of `providers.base`.
def build_http_client(config: ProviderConfig, counter: RequestCounter, **kwargs: Any) -> httpx.AsyncClient:
    return make_client(config, counter, **kwargs)


# --------------------------------------------------------------------------- one request


@dataclass(frozen=True, slots=True)
class HttpReply:
    """A reply whose body was read completely (and decompressed) within the limit."""

    status: int
    headers: httpx.Headers
    body: bytes
    reason: str = ""

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("Retry-After"))


async def fetch(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    provider: str,
    what: str,
    limit: int = MAX_REPLY_BYTES,
) -> HttpReply:
    """Send `request` once and read its whole reply under `limit` bytes (after decompression).

    Raises `NotSent` / `CertificateError` when no connection could be made (the
    request never left), `ReplyLost` when it may have reached the server but no
    whole reply came back (timeouts, dropped connections), `ProtocolError` when
    the reply is too large or its encoding broken. Any HTTP status is returned:
    see `error_for_status()`.
    """
    try:
        response = await client.send(request, stream=True)
    except httpx.ConnectTimeout:
        raise NotSent(f"timed out connecting to the server while {what}", provider=provider) from None
    except httpx.ConnectError as exc:
        raise _connect_error(exc, provider, what) from None
    except httpx.PoolTimeout:
        raise NotSent(f"no free connection while {what}", provider=provider) from None
    except httpx.UnsupportedProtocol as exc:
        raise NotSent(f"bad server URL while {what} ({_first_line(exc)})", provider=provider) from None
    except httpx.TimeoutException:
        raise ReplyLost(f"timed out waiting for the server while {what}", provider=provider) from None
    except httpx.TransportError as exc:
        raise ReplyLost(
            f"the connection broke while {what} ({type(exc).__name__}: {_first_line(exc)})", provider=provider
        ) from None
    try:
        body = await _read_limited(response, limit, provider=provider, what=what)
    except httpx.TimeoutException:
        raise ReplyLost(f"timed out reading the reply while {what}", provider=provider) from None
    except httpx.TransportError as exc:
        raise ReplyLost(
            f"the reply broke off while {what} ({type(exc).__name__}: {_first_line(exc)})", provider=provider
        ) from None
    finally:
        await response.aclose()
    return HttpReply(response.status_code, response.headers, body, response.reason_phrase)


async def _read_limited(response: httpx.Response, limit: int, *, provider: str, what: str) -> bytes:
    """The raw stream inflated by us, so that a small compressed body cannot grow past `limit`."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    inflater: Any = None
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflater = _DeflateEither()
    elif encoding not in ("", "identity"):
        raise ProtocolError(f"the reply while {what} uses an unsupported encoding {encoding[:20]!r}", provider=provider)
    declared = response.headers.get("Content-Length", "")
    if inflater is None and declared.isdigit() and int(declared) > limit:
        raise ProtocolError(f"the reply while {what} is larger than {limit} bytes", provider=provider)
    parts: list[bytes] = []
    size = 0

    def add(data: bytes) -> None:
        nonlocal size
        size += len(data)
        if size > limit:
            raise ProtocolError(f"the reply while {what} is larger than {limit} bytes", provider=provider)
        parts.append(data)

    try:
        async for chunk in response.aiter_raw():
            if inflater is None:
                add(chunk)
                continue
            data = chunk
            while data:
                # max_length bounds each step, so a bomb never inflates past the limit in memory.
                add(inflater.decompress(data, CHUNK))
                data = inflater.unconsumed_tail
        if inflater is not None:
            add(inflater.flush())
    except zlib.error:
        raise ProtocolError(f"the reply while {what} is not valid {encoding} data", provider=provider) from None
    return b"".join(parts)


class _DeflateEither:
    """HTTP "deflate" is zlib-wrapped by the spec and raw deflate in practice; accept both."""

    def __init__(self) -> None:
        self._inner: Any = None
        self.unconsumed_tail = b""

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._inner is None:
            self._inner = zlib.decompressobj()
            try:
                out = self._inner.decompress(data, max_length)
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self._inner.decompress(data, max_length)
        else:
            out = self._inner.decompress(data, max_length)
        self.unconsumed_tail = self._inner.unconsumed_tail
        return out

    def flush(self) -> bytes:
        return self._inner.flush() if self._inner is not None else b""


def _connect_error(exc: httpx.ConnectError, provider: str, what: str) -> NotSent:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = scrub(cause.verify_message or str(cause))[:160]
            return CertificateError(
                f"TLS certificate problem: the server's certificate could not be verified ({reason}) while {what}",
                provider=provider,
            )
        if isinstance(cause, ssl.SSLError):
            return CertificateError(
                f"TLS problem while {what}: the secure connection could not be set up ({_first_line(cause)})",
                provider=provider,
            )
        cause = cause.__cause__ or cause.__context__
    detail = _first_line(exc)
    return NotSent(
        f"could not connect to the server while {what} ({type(exc).__name__}{': ' + detail if detail else ''})",
        provider=provider,
    )


def _first_line(exc: BaseException) -> str:
    lines = scrub(str(exc)).splitlines()
    line = lines[0] if lines else ""
    # httpx messages may quote the URL; never show query strings.
    return " ".join(redact_url(w) if "://" in w else w for w in line.split(" "))[:200]


# --------------------------------------------------------------------------- status → error


StatusErrorFactory = Callable[[HttpReply, str, str], ProviderError]


def _rate_limited(reply: HttpReply, what: str, provider: str) -> ProviderError:
    wait = reply.retry_after
    after = f"; the server asks us to wait {wait:.0f} s" if wait else ""
    return RateLimited(
        f"the server is rate limiting us (HTTP {reply.status}) while {what}{after}",
        retry_after=wait,
        provider=provider,
        vendor_code=str(reply.status),
    )


STATUS_ERRORS: dict[int, StatusErrorFactory] = {
    401: lambda r, what, p: SessionExpired(f"the server no longer accepts our session (HTTP 401) while {what}", provider=p),
    403: lambda r, what, p: AuthenticationFailed(f"access refused (HTTP 403) while {what}", provider=p, vendor_code="403"),
    408: lambda r, what, p: ReplyLost(f"the server timed out (HTTP 408) while {what}", provider=p),
    429: _rate_limited,
}
"""The default status→error table; `error_for_status(overrides=…)` replaces entries per vendor."""


def error_for_status(
    reply: HttpReply,
    *,
    provider: str,
    what: str,
    overrides: Mapping[int, StatusErrorFactory] | None = None,
) -> ProviderError | None:
    """The error an HTTP status means, or None for 2xx.

    5xx → `ConnectionFailed` ("server error", a 503 with Retry-After → `RateLimited`),
    other unexpected statuses → `ProtocolError`.
    """
    if 200 <= reply.status < 300:
        return None
    factory = (overrides or {}).get(reply.status) or STATUS_ERRORS.get(reply.status)
    if factory is not None:
        return factory(reply, what, provider)
    if reply.status == 503 and reply.retry_after:
        return _rate_limited(reply, what, provider)
    if reply.status >= 500:
        return ConnectionFailed(f"server error HTTP {reply.status} while {what}", provider=provider)
    return ProtocolError(f"unexpected HTTP {reply.status} while {what}", provider=provider)


def parse_retry_after(value: str | None, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float | None:
    """Seconds from a Retry-After value: delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        pass
    else:  # "nan", "inf", "-5": no usable wait → None (the caller's default)
        return finite_seconds(number)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return finite_seconds(max(0.0, (when - now()).total_seconds()))


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a response's `Retry-After` header, or None (old helper of `providers.base`)."""
    return parse_retry_after(response.headers.get("Retry-After"))


@contextlib.asynccontextmanager
async def translate_errors(provider: str, what: str) -> AsyncIterator[None]:
    """Turn anything that is not a `ProviderError` into one, without leaking secrets.

    `what` names the operation ("logging in", "reading the status") so the
    message says where it happened. httpx errors that escaped `fetch()` become
    `NotSent` / `ReplyLost`; any other exception (a parser's LookupError,
    RecursionError …) becomes `ProtocolError` — only cancellation passes through.
    """
    try:
        yield
    except ProviderError as exc:
        if not exc.provider:
            exc.provider = provider
        raise
    except asyncio.CancelledError:
        raise
    except httpx.ConnectTimeout:
        raise NotSent(f"timed out connecting to the server while {what}", provider=provider) from None
    except httpx.ConnectError as exc:
        raise _connect_error(exc, provider, what) from None
    except httpx.TimeoutException:
        raise ReplyLost(f"timed out while {what}", provider=provider) from None
    except httpx.TransportError as exc:
        detail = _first_line(exc)
        raise ReplyLost(
            f"could not reach the server while {what} ({type(exc).__name__}{': ' + detail if detail else ''})",
            provider=provider,
        ) from None
    except Exception as exc:
        log.debug("%s: %s while %s", provider, type(exc).__name__, what, exc_info=True)
        raise ProtocolError(
            f"unexpected reply while {what}: {type(exc).__name__}: {_first_line(exc)}", provider=provider
        ) from None


# --------------------------------------------------------------------------- decoding


def decode_json(body: bytes | str, *, what: str, provider: str = "") -> Any:
    """Parse JSON; any failure at all (syntax, encoding, nesting, memory) → `ProtocolError`."""
    try:
        if isinstance(body, bytes) and not body.strip():
            raise ValueError("empty reply")
        return json.loads(body)
    except Exception as exc:  # noqa: BLE001  (LookupError, RecursionError, MemoryError … all mean "not our protocol")
        raise ProtocolError(f"the reply to {what} is not usable JSON ({type(exc).__name__})", provider=provider) from None


OFF_LOOP_BYTES = 256 * 1024
"""Replies larger than this are decoded in a worker thread, so a big one never stalls the event loop."""


def _decode_json_yielding(body: bytes | str, *, what: str, provider: str = "") -> Any:
    """`decode_json` with the pure-Python scanner, for a worker thread.

    The C scanner holds the GIL for the whole document (a 10 MB reply stalled the loop
    for 0.6 s even in a thread); the Python one gives it back every few milliseconds,
    and long strings (base64 photos) are still scanned in C.
    """
    try:
        text = body.decode(json.detect_encoding(body), "surrogatepass") if isinstance(body, bytes) else body
        if not text.strip():
            raise ValueError("empty reply")
        decoder = json.JSONDecoder()
        decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
        return decoder.decode(text)
    except Exception as exc:  # noqa: BLE001  (as decode_json: anything at all means "not our protocol")
        raise ProtocolError(f"the reply to {what} is not usable JSON ({type(exc).__name__})", provider=provider) from None


MAX_NODES = 250_000
"""A big reply decoded off the loop may hold at most this many JSON values / XML nodes: a larger tree is
refused in the worker (and freed there), because merely freeing it on the loop would stall every view."""


def _bounded(tree: Any, *, what: str, provider: str, max_nodes: int) -> Any:
    """`tree`, or `TooManyRecords` when a list is longer than `wire.MAX_LIST` or the tree has over `max_nodes` nodes."""
    from alarmtui.providers.wire import MAX_LIST  # wire imports errors only; here lazily to keep http's imports flat

    nodes = 0
    stack = [tree]
    while stack:
        node = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise TooManyRecords(
                f"the reply to {what} holds more than {max_nodes} values; refused (cap 'nodes')",
                cap="nodes",
                limit=max_nodes,
                provider=provider,
            )
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            if len(node) > MAX_LIST:
                raise TooManyRecords(
                    f"the reply to {what} holds a list of {len(node)} entries; at most {MAX_LIST} are accepted (cap 'entries')",
                    cap="entries",
                    limit=MAX_LIST,
                    provider=provider,
                )
            stack.extend(node)
    return tree


def _off_loop(decode: Callable[[], Any], *, what: str, provider: str, max_nodes: int) -> Any:
    """Decode and bound a tree in this worker thread; a refused tree is also freed here, not on the loop."""
    with _collector_paused():
        tree = decode()
        try:
            return _bounded(tree, what=what, provider=provider, max_nodes=max_nodes)
        except TooManyRecords as exc:
            error = exc
        # The traceback's frames hold the tree: drop them, then take the tree apart here, piece by piece
        # (freeing it in one go is one C call that holds the GIL — and the loop — for as long as it takes).
        error.__traceback__ = None
        _dismantle(tree)
        del tree
    raise error


def _dismantle(tree: Any) -> None:
    """Free a big decoded tree in small steps, so the interpreter can switch threads in between."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
            node.clear()
        elif isinstance(node, list):
            stack.extend(node)
            node.clear()


_collector_lock = threading.Lock()
_collector_users = 0


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a big tree is built: a full collection over it holds the GIL
    (and so the event loop) for as long as it takes. The collection runs later, in small steps."""
    global _collector_users
    with _collector_lock:
        _collector_users += 1
        if _collector_users == 1:
            was_enabled = gc.isenabled()
            gc.disable()
            _collector_state.append(was_enabled)
    try:
        yield
    finally:
        with _collector_lock:
            _collector_users -= 1
            if _collector_users == 0 and _collector_state.pop():
                gc.enable()


_collector_state: list[bool] = []


def _decode_json_worker(body: bytes | str, what: str, provider: str, max_nodes: int) -> Any:
    return _off_loop(
        lambda: _decode_json_yielding(body, what=what, provider=provider), what=what, provider=provider, max_nodes=max_nodes
    )


async def decode_json_async(body: bytes | str, *, what: str, provider: str = "", max_nodes: int = MAX_NODES) -> Any:
    """`decode_json` that never stalls the event loop.

    Larger than `OFF_LOOP_BYTES`: decoded in a worker thread, where a tree too big to
    handle (`MAX_NODES`, a list longer than `wire.MAX_LIST`) is refused as `TooManyRecords`.
    """
    if len(body) > OFF_LOOP_BYTES:
        return await asyncio.to_thread(_decode_json_worker, body, what, provider, max_nodes)
    return decode_json(body, what=what, provider=provider)


class _RefusingExpat:
    """A stand-in for the `xml.parsers.expat` module that xmltodict accepts.

    Its parsers refuse DOCTYPE declarations outright (billion laughs and external
    entities both need one) and any entity declaration or external reference that
    slips past, raising defusedxml's own exception types.
    """

    ExpatError = expat.ExpatError

    @staticmethod
    def ParserCreate(encoding: str | None = None, namespace_separator: str | None = None) -> Any:
        parser = expat.ParserCreate(encoding, namespace_separator)

        def refuse_doctype(name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool) -> None:
            raise defusedxml.DTDForbidden(name, sysid, pubid)

        def refuse_entity(name: str, *args: Any) -> None:
            raise defusedxml.EntitiesForbidden(name, None, None, None, None, None)

        def refuse_external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
            raise defusedxml.ExternalReferenceForbidden(context, base, sysid, pubid)

        parser.StartDoctypeDeclHandler = refuse_doctype
        parser.EntityDeclHandler = refuse_entity
        parser.UnparsedEntityDeclHandler = refuse_entity
        parser.ExternalEntityRefHandler = refuse_external
        return parser


def decode_xml(body: bytes | str, *, what: str, provider: str = "", limit: int = MAX_REPLY_BYTES) -> dict[str, Any]:
    """Parse XML into xmltodict's dict form, refusing DTDs and entities.

    Any failure — bad syntax, an unknown declared encoding (LookupError), deep
    nesting (RecursionError), MemoryError, UnicodeError — → `ProtocolError`.
    """
    if isinstance(body, str):
        body = body.encode("utf-8", "replace")
    if len(body) > limit:
        raise ProtocolError(f"the reply to {what} is too large ({len(body)} bytes)", provider=provider)
    if not body.strip():
        raise ProtocolError(f"the reply to {what} is empty", provider=provider)
    try:
        doc = xmltodict.parse(body, expat=_RefusingExpat, disable_entities=True)
    except defusedxml.DefusedXmlException as exc:
        raise ProtocolError(f"refused unsafe XML in the reply to {what} ({type(exc).__name__})", provider=provider) from None
    except expat.ExpatError as exc:
        raise ProtocolError(f"the reply to {what} is not XML ({scrub(str(exc))[:100]})", provider=provider) from None
    except Exception as exc:  # noqa: BLE001  (LookupError for encoding='YR', RecursionError, MemoryError …)
        raise ProtocolError(f"the reply to {what} is not usable XML ({type(exc).__name__})", provider=provider) from None
    if not isinstance(doc, dict):
        raise ProtocolError(f"the reply to {what} has no root element", provider=provider)
    return doc


def _decode_xml_worker(body: bytes | str, what: str, provider: str, limit: int, max_nodes: int) -> dict[str, Any]:
    return _off_loop(  # type: ignore[no-any-return]
        lambda: decode_xml(body, what=what, provider=provider, limit=limit), what=what, provider=provider, max_nodes=max_nodes
    )


async def decode_xml_async(
    body: bytes | str, *, what: str, provider: str = "", limit: int = MAX_REPLY_BYTES, max_nodes: int = MAX_NODES
) -> dict[str, Any]:
    """`decode_xml` that never stalls the event loop (as `decode_json_async`)."""
    if len(body) > OFF_LOOP_BYTES:
        return await asyncio.to_thread(_decode_xml_worker, body, what, provider, limit, max_nodes)
    return decode_xml(body, what=what, provider=provider, limit=limit)


__all__ = [
    "MAX_NODES",
    "MAX_REPLY_BYTES",
    "OFF_LOOP_BYTES",
    "STATUS_ERRORS",
    "HttpReply",
    "RequestCounter",
    "build_http_client",
    "decode_json",
    "decode_json_async",
    "decode_xml",
    "decode_xml_async",
    "error_for_status",
    "fetch",
    "http_timeout",
    "make_client",
    "parse_retry_after",
    "retry_after",
    "translate_errors",
]
