"""`alarmtui serve`: the engine in one long-running process, behind a Unix socket.

HTTP over the socket (aiohttp `web.UnixSite`):

    GET  /v1/hello     who serves which config: {service, version, pid, config, providers}
    GET  /v1/state     every provider's current state, as a list of updates
    GET  /v1/status    `alarmtui status --json`, ready made (?provider=, ?partition=, ?config= to check)
    GET  /v1/feed      server-sent events: a hello and the current state at once, then every update live (and a
                       new hello when a provider's info changes: a PIN length learned at login)
    GET  /v1/events    journal vendor events, newest first (?grep=, ?provider=, ?before=cursor, ?limit=)
    POST /v1/acknowledge  {"provider", "partition", "zone", "origin"}: an alarm acknowledged in a view
    POST /v1/command   {"provider", "command"}: sent exactly once; answers with the result when it is known
    POST /v1/refresh   {"provider": name or null}: one read of the panel, shared by every view
    POST /v1/verify/{provider}/send  {"phone": id}: the vendor texts a code to validate this device (Securitas)
    POST /v1/verify/{provider}/code  {"code": digits}: validate with it; then one read of the panel

Only peers with the service's own uid are served (SO_PEERCRED); the folder it
creates is 0700 (one it did not create is used only if private, never changed) and
the socket 0600; views check both before they send anything (`engine.trust`). Credentials never leave this process: updates carry
no PIN, and a PIN arriving in a command is used for that command only.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import json
import logging
import os
import signal
import socket
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from alarmtui import __version__
from alarmtui.domain.inputs import VERIFICATION_CODE_LENGTH, code_problem
from alarmtui.domain.serialize import command_from_wire, status_entry
from alarmtui.domain.text import clean_text
from alarmtui.domain.updates import CommandBusy, LinkState, PollerUpdate
from alarmtui.engine.base import Engine
from alarmtui.engine.trust import UntrustedService, check_path, owner_name, peer_uid
from alarmtui.engine.wire import history_to_wire, info_to_wire, result_to_wire, update_to_wire
from alarmtui.journal.store import JournalError
from alarmtui.providers.errors import ProviderError

log = logging.getLogger(__name__)

FEED_QUEUE = 1000
"""Updates a slow view may fall behind by before it is dropped (it re-attaches and gets the state afresh)."""
FIRST_STATE_TIMEOUT = 30.0
"""How long a `status` waits for a provider the service is still connecting to."""
CLOSE_TIMEOUT = 5.0
"""On SIGTERM, seconds to log out of every vendor."""
MAX_HISTORY_PAGE = 1000
"""The most journal events one `/v1/events` answer carries."""
HEADER_TIMEOUT = 10.0
"""Seconds a client has, from connecting (or from its last answer), to send a request's complete headers:
one that drips its headers a byte at a time is cut off (aiohttp's keep-alive timer covers exactly that)."""
BODY_TIMEOUT = 10.0
"""Seconds a client has to send a request's body once its headers arrived."""


def bad_request(message: str, error: str = "bad_request") -> web.Response:
    return web.json_response({"error": error, "message": message}, status=400)


class BodyTimeout(Exception):
    pass


class MalformedRequest(Exception):
    """The request's body is not a JSON object (raised only while reading it)."""


class ServiceError(Exception):
    """The service cannot start (another one runs, the socket folder is unsafe, …)."""


# --------------------------------------------------------------------------- the socket and its folder


class SocketClaim:
    """Owns the socket path: a private folder, a lock held for the process's life, no stale socket.

    The lock (flock on `<socket>.lock`) is released by the kernel however the
    process ends, so a socket file left by a crashed (kill -9) service is taken
    over safely, while a second live service is refused.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self._lock_fd: int | None = None
        self._folder_fd: int | None = None

    def acquire(self) -> None:
        folder = self.path.parent
        if len(os.fsencode(self.path)) > 100:
            raise ServiceError(f"the socket path {self.path} is too long for a Unix socket; set a shorter ALARMTUI_SOCKET")
        self._folder_fd = _own_folder(folder)
        try:
            self._lock(folder)
        except BaseException:
            os.close(self._folder_fd)
            self._folder_fd = None
            raise
        name = self.path.name
        try:
            os.lstat(name, dir_fd=self._folder_fd)
        except FileNotFoundError:
            return
        log.info("removing the stale socket %s left by a service that did not stop cleanly", self.path)
        os.unlink(name, dir_fd=self._folder_fd)  # in our own folder, by name: never through a link elsewhere

    def _lock(self, folder: Path) -> None:
        assert self._folder_fd is not None
        try:
            # O_NOFOLLOW: a planted symlink is refused, never followed (and its target never truncated).
            fd = os.open(
                self.lock_path.name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=self._folder_fd
            )
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ServiceError(
                    f"the lock file {self.lock_path} is a symlink; remove it (nothing was written through it)"
                ) from None
            raise ServiceError(f"cannot open the lock file {self.lock_path}: {exc.strerror}") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            os.close(fd)
            raise ServiceError(f"the lock file {self.lock_path} is not a plain file of yours; remove it")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                pid = _read_pid(self.lock_path)
                who = f" (pid {pid})" if pid else ""
                raise ServiceError(f"an alarmtui service is already running on {self.path}{who}") from None
            raise
        os.ftruncate(fd, 0)  # our own regular file (checked above), locked by us
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def release(self) -> None:
        if self._folder_fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path.name, dir_fd=self._folder_fd)
            if self._lock_fd is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.lock_path.name, dir_fd=self._folder_fd)
            os.close(self._folder_fd)
            self._folder_fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _own_folder(folder: Path) -> int:
    """An O_NOFOLLOW descriptor of the socket's folder, created 0700 if missing; refused if unsafe.

    Never chmods or chowns a folder it did not create: a folder that is a symlink, belongs
    to someone else, or that others may write is refused (views would refuse it too).
    """
    try:
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # missing ancestors are born private
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ServiceError(f"cannot create the socket folder {folder}: {exc.strerror}") from None
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise ServiceError(
                f"the socket folder {folder} is a symlink or not a folder; choose another with ALARMTUI_SOCKET"
            ) from None
        raise ServiceError(f"cannot open the socket folder {folder}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if info.st_uid != os.getuid():
            raise ServiceError(
                f"the socket folder {folder} belongs to {owner_name(info.st_uid)}, not to this service's user; "
                "choose another with ALARMTUI_SOCKET"
            )
        try:
            check_path(folder, socket_expected=False)  # the folders above, as a view will check them
        except UntrustedService as exc:
            raise ServiceError(
                f"views would refuse this socket: {exc.problem}; choose another folder with ALARMTUI_SOCKET"
            ) from None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None


def request_peer_uid(request: web.Request) -> int | None:
    """The uid of the process at the other end of the Unix socket (Linux SO_PEERCRED)."""
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None or sock.family != socket.AF_UNIX:
        return None
    return peer_uid(sock)


@web.middleware
async def same_user_only(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    uid = request_peer_uid(request)
    if uid != os.getuid():
        log.warning("refused a connection from uid %s", uid)
        raise web.HTTPForbidden(text="alarmtui: only the service's own user may connect\n")
    return await handler(request)


# --------------------------------------------------------------------------- the HTTP side


class Service:
    """Serves one engine on one socket."""

    def __init__(
        self,
        engine: Engine,
        *,
        config: str,
        socket_path: Path,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        self.engine = engine
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.config = config
        self.socket_path = socket_path
        self._feeds: set[asyncio.Queue[bytes | None]] = set()
        self._infos_told = dict(engine.providers)
        """What the views were told of each provider: told again when a login teaches more (a PIN length)."""
        self._unsubscribe = engine.subscribe(self._broadcast)
        self.app = web.Application(middlewares=[same_user_only, self._malformed_is_400], client_max_size=64 * 1024)
        self.app.add_routes(
            [
                web.get("/v1/hello", self.hello),
                web.get("/v1/state", self.state),
                web.get("/v1/status", self.status),
                web.get("/v1/feed", self.feed),
                web.get("/v1/events", self.events),
                web.post("/v1/acknowledge", self.acknowledge),
                web.post("/v1/command", self.command),
                web.post("/v1/refresh", self.refresh),
                web.post("/v1/verify/{provider}/send", self.verify_send),
                web.post("/v1/verify/{provider}/code", self.verify_code),
            ]
        )
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=1.0, keepalive_timeout=self.header_timeout
        )
        await self._runner.setup()
        site = web.UnixSite(self._runner, str(self.socket_path))
        old_umask = os.umask(0o177)  # the socket is born 0600: no window where others may connect
        try:
            await site.start()
        finally:
            os.umask(old_umask)

    async def stop(self) -> None:
        self._unsubscribe()
        for queue in list(self._feeds):
            _offer(queue, None)
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _malformed_is_400(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """A request the handlers cannot make sense of is the client's fault (400), never the service's (500);
        a body that does not arrive in time is 408."""
        try:
            return await handler(request)
        except BodyTimeout:
            return web.json_response({"error": "timeout", "message": "the request body did not arrive in time"}, status=408)
        except MalformedRequest as exc:  # only what reading the request raised: a fault after it is ours (500)
            log.info("malformed request to %s: %s", request.path, exc)
            return bad_request("malformed request")

    async def _body(self, request: web.Request) -> dict[str, Any]:
        """The request's JSON object ({} without a body); `MalformedRequest` for anything else."""
        if not request.can_read_body:
            return {}
        try:
            raw = await asyncio.wait_for(request.read(), self.body_timeout)
        except TimeoutError:
            raise BodyTimeout from None
        try:
            body = json.loads(raw)
        except ValueError:  # UnicodeDecodeError included
            raise MalformedRequest("not JSON") from None
        if not isinstance(body, dict):
            raise MalformedRequest("not a JSON object")
        return body

    def _known(self, name: object) -> str | None:
        """`name` if it is a configured provider's name (a string), else None."""
        return name if isinstance(name, str) and name in self.engine.providers else None

    def _unknown_provider(self, name: object) -> web.Response:
        known = ", ".join(self.engine.providers) or "none"
        shown = clean_text(name, 60) if isinstance(name, str) else type(name).__name__
        return bad_request(f"no provider named {shown!r}; configured: {known}", "unknown_provider")

    # -- handlers

    def _hello(self) -> dict[str, Any]:
        return {
            "service": "alarmtui",
            "version": __version__,
            "pid": os.getpid(),
            "config": self.config,
            "providers": [info_to_wire(info) for info in self.engine.providers.values()],
        }

    async def hello(self, request: web.Request) -> web.Response:
        return web.json_response(self._hello())

    async def state(self, request: web.Request) -> web.Response:
        updates = [update_to_wire(u) for state in self.engine.states.values() for u in state.replay()]
        return web.json_response({**self._hello(), "updates": updates})

    async def status(self, request: web.Request) -> web.Response:
        """What `status --json` prints, from the state at hand: no vendor request.

        A provider the service is still connecting to is waited for (a while), so a
        `status` right after start-up shows the panel rather than "connecting".
        """
        config = request.query.get("config")
        if config is not None and config != self.config:
            return web.json_response({"error": "other_config", "message": "this service watches another config"}, status=409)
        wanted = request.query.get("provider")
        if wanted is not None and self._known(wanted) is None:
            return self._unknown_provider(wanted)
        names = [wanted] if wanted else list(self.engine.providers)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FIRST_STATE_TIMEOUT
        while not all(self._settled(n) for n in names) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        entries, problems = [], {}
        for name in names:
            entry, problem = self._status_entry(name, request.query.get("partition"))
            entries.append(entry)
            if problem is not None:
                problems[name] = problem
        # "problems" is for the view (its exit code and stderr lines, as an in-process read has them); it prints only "providers".
        return web.json_response({"providers": entries, "problems": problems})

    def _status_entry(self, name: str, partition: str | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """One provider as `status --json` shows it, and why it failed (None: it did not).

        A snapshot kept while the link fails (offline, or retrying for longer than
        twice the poll interval) is shown, but marked: `online` false and the
        failure, with the time of the last good read, as its `error`.
        """
        state = self.engine.states[name]
        status = state.status
        failing = status.failures > 0 and (status.state is LinkState.OFFLINE or status.stale)
        if state.snapshot is None:
            error: str | None = f"{name}: {status.reason or 'not connected yet'}"
        elif failing:
            when = status.last_update or state.snapshot.fetched_at
            since = (
                f" (showing the last good read, {when.astimezone():%Y-%m-%d %H:%M:%S})"
                if when
                else " (showing the last good read)"
            )
            error = f"{name}: {status.reason or 'no answer'}{since}"
        else:
            error = None
        entry = status_entry(name, status.kind, state.snapshot, error, partition)
        if error is None:
            return entry, None
        entry["online"] = False
        return entry, {
            "kinds": list(status.error_kinds),
            "hint": status.hint,
            "default_hint_of": _default_hint_of(status.error_kinds, status.hint),
            "two_factor": bool(status.two_factor),
        }

    def _settled(self, name: str) -> bool:
        """Whether a `status` can answer for this provider now: it has read the panel, or failed (and is not
        about to log in again at once)."""
        state = self.engine.states[name]
        return state.snapshot is not None or (state.status.failures > 0 and state.status.retry_in != 0)

    async def feed(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=FEED_QUEUE)
        # The current state first, then live updates: registered before the replay, so nothing falls between.
        replay = [u for state in self.engine.states.values() for u in state.replay()]
        self._feeds.add(queue)
        try:
            await response.prepare(request)
            await response.write(_sse("hello", self._hello()))
            for update in replay:
                await response.write(_sse("update", update_to_wire(update)))
            await response.write(_sse("ready", {}))
            while True:
                chunk = await queue.get()
                if chunk is None:
                    break
                await response.write(chunk)
        except ConnectionResetError:  # the view went away
            pass
        finally:
            self._feeds.discard(queue)
        return response

    async def events(self, request: web.Request) -> web.Response:
        """A page of the journal's vendor events for a view scrolling back or searching (never a vendor request)."""
        query = request.query
        try:
            before = int(query["before"]) if query.get("before") else None
            limit = max(1, min(int(query.get("limit") or 200), MAX_HISTORY_PAGE))
        except ValueError:
            return web.json_response({"error": "bad_request", "message": "before and limit must be integers"}, status=400)
        provider = query.get("provider") or None  # one no longer configured may still be in the journal
        page = await self.engine.history(grep=query.get("grep") or None, provider=provider, before=before, limit=limit)
        return web.json_response(history_to_wire(page))

    async def acknowledge(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        provider, partition = body.get("provider"), body.get("partition")
        if not isinstance(partition, str) or not isinstance(body.get("zone") or "", str):
            return bad_request("malformed acknowledgement")
        known = self._known(provider)
        if known is None:
            return self._unknown_provider(provider)
        zone = clean_text(body.get("zone") or "", 120)
        origin = clean_text(body.get("origin") or "a view", 80)  # the view's words: data, not markup
        self.engine.acknowledge(known, partition, zone or None, origin=f"{origin} via the service")
        return web.json_response({"ok": True})

    async def command(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        provider = self._known(body.get("provider"))
        if provider is None:
            return self._unknown_provider(body.get("provider"))
        try:
            command = command_from_wire(body.get("command"))
        except ValueError:
            return bad_request("malformed command")
        origin = clean_text(body.get("origin") or "a view", 80)  # the view's words: data, not markup
        if command.code is not None:
            info = self.engine.providers[provider]
            problem = code_problem(command.code, info.kind, length=info.code_length)
            if problem is not None:
                return bad_request(f"{problem}; nothing was sent", "bad_code")
        log.info("%s: %s requested by %s", provider, command.describe(), origin)  # describe() never holds the PIN
        try:
            task = self.engine.submit(provider, command, origin=f"{origin} via the service")
        except CommandBusy as exc:
            return web.json_response({"error": "busy", "message": str(exc)}, status=409)
        del command, body  # the PIN lives on only inside the poller's task
        # The view may go away; the command goes on (it was sent, or is being sent, exactly once).
        result = await asyncio.shield(task)
        return web.json_response({"result": result_to_wire(result)})

    async def refresh(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        provider = body.get("provider")
        if provider is not None and self._known(provider) is None:
            return self._unknown_provider(provider)
        self.engine.refresh_now(provider)
        return web.json_response({"ok": True}, status=202)

    # -- validating this device by SMS (the provider stays here; the code crosses only inside its request)

    async def verify_send(self, request: web.Request) -> web.Response:
        name = request.match_info["provider"]
        verifier, refusal = self._verifier(name)
        body = await self._body(request)
        phone = body.get("phone")
        if verifier is None or not isinstance(phone, str):
            return refusal or web.json_response({"error": "bad_request", "message": "malformed verification request"}, status=400)
        log.info("%s: a view asked the vendor to text a device verification code", name)
        try:
            said = await verifier.send_verification_code(phone)
        except ProviderError as exc:
            return _verification_failed(name, exc)
        return web.json_response({"message": clean_text(said, 300)})

    async def verify_code(self, request: web.Request) -> web.Response:
        name = request.match_info["provider"]
        verifier, refusal = self._verifier(name)
        body = await self._body(request)
        code = body.pop("code", None)
        if verifier is None:
            return refusal or bad_request("malformed verification request")
        problem = code_problem(code, lengths=VERIFICATION_CODE_LENGTH)
        if problem is not None:
            return bad_request(f"{problem}; nothing was sent", "bad_code")
        log.info("%s: a view sent a device verification code", name)  # never the code itself
        try:
            await verifier.verify_device(code)
        except ProviderError as exc:
            return _verification_failed(name, exc)
        finally:
            del code
        log.info("%s: this device is validated", name)
        return web.json_response({"ok": True})

    def _verifier(self, name: str) -> tuple[Any, web.Response | None]:
        if self._known(name) is None:
            return None, self._unknown_provider(name)
        verifier = self.engine.device_verifier(name)
        if verifier is None:
            return None, web.json_response(
                {"error": "no_verification", "message": f"{name} has no device validation"}, status=409
            )
        return verifier, None

    # -- the feed

    def _broadcast(self, update: PollerUpdate) -> None:
        if not self._feeds:
            return
        chunks = [_sse("update", update_to_wire(update))]
        if self.engine.providers != self._infos_told:
            self._infos_told = dict(self.engine.providers)
            chunks.insert(0, _sse("hello", self._hello()))
        for chunk in chunks:
            self._offer_to_views(chunk)

    def _offer_to_views(self, chunk: bytes) -> None:
        for queue in list(self._feeds):
            if not _offer(queue, chunk):
                log.warning("a view fell too far behind; dropping it (it will re-attach)")
                self._feeds.discard(queue)
                _force_offer(queue, None)


def _verification_failed(name: str, exc: ProviderError) -> web.Response:
    """The vendor's refusal (wrong or expired code, rate limited …) for the view's dialog, in its words."""
    log.info("%s: device validation step refused: %s", name, exc.message)
    return web.json_response(
        {
            "error": "provider_error",
            "message": exc.message,
            "kinds": [c.__name__ for c in type(exc).__mro__ if issubclass(c, ProviderError)],
            "phones": [list(phone) for phone in getattr(exc, "phones", ())],
        },
        status=422,
    )


def _default_hint_of(kinds: tuple[str, ...], hint: str) -> list[str]:
    """Which of the error's classes carry `hint` as their own (the CLI words those for a one-shot run)."""
    classes: dict[str, type] = {}
    pending: list[type] = [ProviderError]
    while pending:
        kind = pending.pop()
        classes[kind.__name__] = kind
        pending.extend(kind.__subclasses__())
    return [k for k in kinds if k in classes and getattr(classes[k], "hint", None) == hint]


def _offer(queue: asyncio.Queue[bytes | None], item: bytes | None) -> bool:
    try:
        queue.put_nowait(item)
        return True
    except asyncio.QueueFull:
        return False


def _force_offer(queue: asyncio.Queue[bytes | None], item: bytes | None) -> None:
    with contextlib.suppress(asyncio.QueueEmpty):
        queue.get_nowait()
    queue.put_nowait(item)


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'), ensure_ascii=False)}\n\n".encode()


# --------------------------------------------------------------------------- the process


async def run_service(
    engine: Engine,
    *,
    config: str,
    socket_path: Path,
    ready: Callable[[], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT (or `stop` is set: then no signal handlers, the caller stops it), then stop
    within `STOP_DEADLINE`: stop accepting, give notification deliveries up to `DELIVERY_GRACE`, log what was
    abandoned, close every provider (log out), remove the socket."""
    claim = SocketClaim(socket_path)
    try:
        claim.acquire()
    except BaseException:
        await engine.close(timeout=1.0)  # nothing started; release the HTTP clients
        raise
    journal = getattr(engine, "journal", None)
    if journal is not None:
        try:  # one service per journal: a second one is refused, never left running without its journal
            journal.claim()
        except JournalError as exc:
            claim.release()
            await engine.close(timeout=1.0)
            raise ServiceError(
                f"{exc} (one service per journal: stop the other, or give this config its own `journal`)"
            ) from None
    service = Service(engine, config=config, socket_path=socket_path)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT) if stop is None else ()
    stop = stop or asyncio.Event()
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        await service.start()
        await engine.start()
        log.info(
            "alarmtui service %s: watching %s; listening on %s",
            __version__,
            ", ".join(engine.providers) or "no providers",
            socket_path,
        )
        if ready is not None:
            ready()
        await stop.wait()
        log.info("stopping: no new requests; logging out of every provider")
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        deadline = loop.time() + STOP_DEADLINE
        try:
            await _within(service.stop(), 1.5, "closing the socket's connections")
            await _drain_notifications(engine, min(DELIVERY_GRACE, deadline - loop.time() - 2.0))
            remaining = deadline - loop.time()
            await _within(engine.close(timeout=max(0.5, min(CLOSE_TIMEOUT, remaining - 1.0))), max(0.5, remaining), "logging out")
        finally:
            claim.release()
        log.info("stopped")


STOP_DEADLINE = 9.0
"""Seconds from SIGTERM to the end of `run_service`, whatever hangs (systemd waits 90 s; we stay far inside)."""
DELIVERY_GRACE = 5.0
"""Seconds notification deliveries get to finish on the way out."""


async def _within(work: Awaitable[None], seconds: float, what: str) -> None:
    try:
        await asyncio.wait_for(work, max(0.1, seconds))
    except TimeoutError:
        log.warning("stopping: gave up %s after %.1f s", what, seconds)


async def _drain_notifications(engine: Engine, grace: float) -> None:
    """Let queued and running deliveries finish for up to `grace` seconds; log what is abandoned."""
    notifier = getattr(engine, "notifier", None)
    if notifier is None:
        return
    grace = max(0.1, grace)
    aclose = getattr(notifier, "aclose", None)  # the notifier's own bounded shutdown, where it has one
    try:
        if aclose is not None:
            await asyncio.wait_for(aclose(), grace)
        else:
            await notifier.idle(grace)
    except TimeoutError:
        log.warning("stopping: abandoned the notification deliveries still running after %.1f s", grace)
    except Exception as exc:  # noqa: BLE001  (stopping goes on whatever a notifier does)
        log.warning("stopping: the notifier failed to settle: %s", type(exc).__name__)
