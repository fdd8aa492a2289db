"""Verisure ws.do transport: one request, the login chain, reads with one re-login, two-step operations.

- every request is `ws.do?request=NAME&ID=..&Country=ES&lang=es&user=..&hash=..`;
  `user`, `pwd` and `hash` travel in the URL, so nothing here prints a URL
  without `redact_url`, and the password, hash and login are registered with
  the log filter as soon as we know them;
- logins go through the shared `LoginGate` (one at a time, login budget after
  a refused password); reads log in again once on ERR 60022/60067;
- panel operations are two requests: `X1` sends, `X2` (same `ID`) is polled
  while it answers WAIT. The command carried by `X1` is sent exactly once; the
  `CommandTimeline` decides what any failure means for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from alarmtui.providers.errors import (
    AuthenticationFailed,
    CommandRejected,
    ConnectionFailed,
    OpenZones,
    PanelBusy,
    PanelOffline,
    PanelUnavailable,
    ProtocolError,
    ProviderError,
    RateLimited,
    SessionExpired,
)
from alarmtui.providers.http import (
    MAX_REPLY_BYTES,
    HttpReply,
    RequestCounter,
    error_for_status,
    fetch,
    make_client,
    translate_errors,
)
from alarmtui.providers.session import LoginGate
from alarmtui.providers.verisure.mapping import open_zones_in, translate
from alarmtui.providers.verisure.parse import Reply, parse_login, parse_reply
from alarmtui.redaction import register_secrets

if TYPE_CHECKING:
    from alarmtui.settings import VerisureConfig

log = logging.getLogger(__name__)

WS_PATH = "/WebService/ws.do"
CALLBY = "AND_61"
ID_PREFIX = "AND" + "_" * 25

SESSION_ERRORS = frozenset({"60022", "60067"})
ERR_UNAVAILABLE = "3000"
ERR_OLD_APP = "60060"
ERR_MIGRATED = "60161"
# No real codes are known for these; the simulator's synthetic ones, plus the real texts.
ERR_BUSY = frozenset({"10001"})
ERR_CONFLICT = frozenset({"10002"})
ERR_NOT_READY = frozenset({"10003"})
ERR_OFFLINE = frozenset({"10004"})
BUSY_WORDS = ("gestionando una solicitud anterior", "handling a previous request", "espera 90 segundos")
NOT_READY_WORDS = ("zonas abiertas", "zones are open")

# 403 from the ws.do front end is its WAF blocking us, not a refused login.
STATUS_OVERRIDES = {
    403: lambda reply, what, provider: RateLimited(
        f"the server refused the request with HTTP 403 while {what} (blocked or rate limited)",
        retry_after=reply.retry_after,
        provider=provider,
        vendor_code="403",
    ),
}


def new_id(user: str) -> str:
    """pysecuritas' ID: AND + 25 underscores + user + local yyyymmddHHMMSS."""
    return f"{ID_PREFIX}{user}{datetime.now().strftime('%Y%m%d%H%M%S')}"


@dataclass
class StepTwo:
    """What polling step 2 ended with: the final OK reply, or None past the deadline."""

    reply: Reply | None
    last_problem: str = ""


class VerisureClient:
    """The transport of one Verisure account; knows nothing of the domain."""

    def __init__(
        self,
        config: VerisureConfig,
        counter: RequestCounter,
        *,
        provider: str,
        http_timeout: float = 15.0,
        clock: Callable[[], float],
        max_reply_bytes: int | None = None,
    ) -> None:
        self.config = config
        self.counter = counter
        self.provider = provider
        self.http_timeout = http_timeout
        self._clock = clock
        self.max_reply_bytes = max_reply_bytes
        self._password = config.password.get_secret_value()
        # The login also travels inside every `ID` (AND___…<user><timestamp>), which redact_url cannot see.
        register_secrets(self._password, ID_PREFIX + config.username)
        self._http: httpx.AsyncClient | None = None
        self.base_url = config.url.rstrip("/") + WS_PATH
        self.hash: str | None = None
        self.gate = LoginGate(self._login, provider=provider, clock=clock)

    # ------------------------------------------------------------------ one request

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = make_client(self.config, self.counter, timeout=self.http_timeout)
        return self._http

    def _params(self, request: str, op_id: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        params = {
            "request": request,
            "ID": op_id,
            "Country": self.config.country,
            "lang": self.config.language,
            "user": self.config.username,
        }
        if request == "LOGIN":
            params["pwd"] = self._password  # only here: afterwards the hash is the credential
        else:
            params["hash"] = self.hash or ""
            params["callby"] = CALLBY
        if extra:
            params.update(extra)
        return params

    async def send(self, request: str, op_id: str, extra: dict[str, str] | None = None, *, post: bool = False) -> Reply:
        """One HTTP request; returns the parsed envelope (OK, WAIT or ERROR).

        Raises `NotSent` when it never left, `ReplyLost` when the reply was lost,
        `ProtocolError` for anything unreadable, `RateLimited` for 403/429.
        """
        params = self._params(request, op_id, extra)
        what = f"sending {request}"
        async with translate_errors(self.provider, what):
            client = self._client()
            if post:
                # A form body keeps the password out of URLs (Jeedom does the same; the server reads both).
                http_request = client.build_request("POST", self.base_url, data=params)
            else:
                http_request = client.build_request("GET", self.base_url, params=params)
            limit = self.max_reply_bytes or MAX_REPLY_BYTES
            reply: HttpReply = await fetch(client, http_request, provider=self.provider, what=what, limit=limit)
            error = error_for_status(reply, provider=self.provider, what=what, overrides=STATUS_OVERRIDES)
            if error is not None:
                raise error
            parsed = parse_reply(reply.body, request)
        log.debug("%s -> %s %s", request, parsed.res, parsed.err)
        return parsed

    # ------------------------------------------------------------------ errors

    def error(self, reply: Reply, *, command: bool = False) -> ProviderError:
        """The error a RES=ERROR reply means, in plain English with the vendor's words as detail."""
        code, vendor_words = reply.err, reply.msg or "no message"
        english, _ = translate(vendor_words)
        kwargs: dict[str, Any] = {"provider": self.provider, "vendor_code": code or None, "detail": vendor_words}
        lowered = vendor_words.lower()
        if code in SESSION_ERRORS:
            return SessionExpired(f"session expired ({english})", **kwargs)
        if code == ERR_UNAVAILABLE:
            return ConnectionFailed(english, **kwargs)
        if code == ERR_MIGRATED:
            return AuthenticationFailed(english, hint="This account can no longer use the ws.do service.", **kwargs)
        if code in ERR_BUSY or any(word in lowered for word in BUSY_WORDS):
            return PanelBusy(english, **kwargs)
        if code in ERR_OFFLINE:
            return PanelOffline(english, **kwargs)
        if code in ERR_NOT_READY or any(word in lowered for word in NOT_READY_WORDS):
            zones = open_zones_in(vendor_words)
            names = f": {', '.join(zones)}" if zones else ""
            return OpenZones(f"cannot arm, zones are open{names}", zones=zones, can_force=False, **kwargs)
        if reply.request == "LOGIN":
            return AuthenticationFailed(f"login refused: {english}", **kwargs)
        if reply.request.startswith("EST"):
            return PanelUnavailable(f"the panel could not report its status: {english}", **kwargs)
        if command or code == ERR_OLD_APP or code in ERR_CONFLICT:
            return CommandRejected(english, **kwargs)
        return ProtocolError(f"{reply.request} failed: {english}", **kwargs)

    # ------------------------------------------------------------------ session

    async def _login(self) -> None:
        reply = await self.send("LOGIN", new_id(self.config.username), post=True)
        if not reply.ok:
            raise self.error(reply)
        self.hash = parse_login(reply)
        register_secrets(self.hash)

    async def ensure_session(self) -> int:
        if self.hash is None:
            self.gate.invalidate()
        return await self.gate.ensure()

    async def read(
        self, request: str, extra: dict[str, str] | None = None, *, op_id: str | None = None, post: bool = False
    ) -> Reply:
        """A read: on 60022/60067 log in again once and retry it; other errors raise."""

        async def once() -> Reply:
            reply = await self.send(request, op_id or new_id(self.config.username), extra, post=post)
            if reply.error:
                if reply.err in SESSION_ERRORS:
                    self.hash = None
                raise self.error(reply)
            return reply

        await self.ensure_session()
        return await self.gate.call(once)

    async def logout(self) -> None:
        if self.hash is not None and self._http is not None:
            await self.send("CLS", new_id(self.config.username), {"numinst": "(null)"})

    async def aclose(self) -> None:
        self.hash = None
        self.gate.invalidate()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # ------------------------------------------------------------------ two-step

    async def two_step_read(self, op: str, extra: dict[str, str], *, interval: float, deadline: float) -> Reply:
        """EST1/EST2 (a read): re-login allowed; WAIT past the deadline raises PanelUnavailable."""
        op_id = new_id(self.config.username)
        await self.read(f"{op}1", extra, op_id=op_id)
        stop = self._clock() + deadline
        last_problem: ProviderError | None = None
        while True:
            await asyncio.sleep(interval)
            if self._clock() > stop:
                if last_problem is not None:
                    raise last_problem
                raise PanelUnavailable(
                    f"the panel did not answer the status request within {deadline:.0f} s", provider=self.provider
                )
            try:
                reply = await self.read(f"{op}2", extra, op_id=op_id)
            except ConnectionFailed as exc:
                if exc.unprocessed:
                    raise  # the server is down: a read has nothing to wait for
                log.info("%s: %s2 poll failed (%s); polling again", self.provider, op, exc)
                last_problem = exc
                continue
            except ProtocolError as exc:
                log.info("%s: %s2 poll failed (%s); polling again", self.provider, op, exc)
                last_problem = exc
                continue
            if reply.waiting:
                continue
            return reply

    async def step_one(self, op: str, op_id: str, extra: dict[str, str]) -> Reply:
        """Send `op`1 — the request that carries the command — exactly once. Refusals raise."""
        first = await self.send(f"{op}1", op_id, extra)
        if first.error:
            if first.err in SESSION_ERRORS:
                self.hash = None  # the next request logs in again; this command is not repeated
                raise SessionExpired(
                    f"the session expired before {op} reached the panel; the command was not sent — try again",
                    provider=self.provider,
                    vendor_code=first.err,
                    detail=first.msg,
                )
            raise self.error(first, command=True)
        return first

    async def step_two(self, op: str, op_id: str, extra: dict[str, str]) -> Reply | None:
        """One poll of `op`2: the final reply, or None while the panel is still working. Refusals raise."""
        reply = await self.send(f"{op}2", op_id, extra)
        if reply.waiting:
            return None
        if reply.error:
            if reply.err in SESSION_ERRORS:
                self.hash = None
                raise SessionExpired(
                    f"the session expired while waiting for the panel to confirm {op}",
                    provider=self.provider,
                    vendor_code=reply.err,
                    detail=reply.msg,
                )
            raise self.error(reply, command=True)
        return reply


__all__ = ["CALLBY", "ID_PREFIX", "SESSION_ERRORS", "WS_PATH", "VerisureClient", "new_id"]
