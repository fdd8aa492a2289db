"""Visonic PowerManage transport: one request, the login chain, reads with one re-login, command processes.

Errors are mapped from the HTTP status and the JSON body (`error`,
`error_reason_code`, `extras`), never from the reason phrase. An expired session
(440, 401, 403/10002, or a 400 naming the session token) triggers one transparent
re-login through the shared `LoginGate`; reads are then retried once, commands never are.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from alarmtui.providers.errors import (
    AuthenticationFailed,
    CommandRejected,
    ConnectionFailed,
    NotSupported,
    PanelBusy,
    PanelOffline,
    ProtocolError,
    ProviderError,
    RateLimited,
    ReplyLost,
    SessionExpired,
    WrongCode,
)
from alarmtui.providers.http import MAX_REPLY_BYTES, RequestCounter, decode_json, fetch, make_client, translate_errors
from alarmtui.providers.session import LoginGate
from alarmtui.providers.visonic.identity import stable_app_id
from alarmtui.providers.visonic.parse import (
    _opt_dict,
    _opt_list,
    _text,
    choose_version,
    decode_reply,
    parse_token,
    parse_versions,
)
from alarmtui.providers.wire import require_list
from alarmtui.redaction import register_secrets

if TYPE_CHECKING:
    from alarmtui.settings import VisonicConfig

log = logging.getLogger(__name__)

APP_TYPE = "com.visonic.powermaxapp"
USER_AGENT = "Dart/2.10 (dart:io)"


class CommandMaybeSent(ReplyLost):
    """The connection broke after a command may have reached the cloud: its outcome is unknown."""


class WrongUserCode(AuthenticationFailed, WrongCode):
    """The panel refused the user code at panel login: both an authentication failure and a wrong code."""

    hint = "Check the user code (code = ...) for this provider; Visonic needs it to log in to the panel."


def error_for_response(status: int, body: Any, *, what: str, command: bool, provider: str) -> ProviderError:
    """Map an error reply to the provider error tree from its status code and JSON body."""
    info = body if isinstance(body, dict) else {}
    code = info.get("error")
    reason_code = _text(info.get("error_reason_code"))
    vendor_message = _text(info.get("error_message"))
    extras = [e for e in _opt_list(info.get("extras")) if isinstance(e, dict)]
    pairs = [(_text(e.get("key")), e.get("value")) for e in extras]
    vendor = str(code) if isinstance(code, int | str) and not isinstance(code, bool) else (reason_code or None)
    said = f": {vendor_message}" if vendor_message else ""
    kwargs: dict[str, Any] = {"provider": provider, "vendor_code": vendor}

    if status >= 500:
        return ConnectionFailed(f"the PowerManage server failed while {what} (HTTP {status}){said}", **kwargs)
    if status == 440 or (status == 403 and code == 10002):
        return SessionExpired(f"the session is no longer valid (HTTP {status}){said}", **kwargs)
    if status == 401:
        return SessionExpired(f"the user token was refused (HTTP 401){said}", **kwargs)
    if status == 400 and "session token" in vendor_message.lower():
        return SessionExpired(f"the session token was not recognised{said}", **kwargs)
    if status == 420 or code == 10020:
        retry = next(
            (float(v) for k, v in pairs if k == "timeout" and isinstance(v, int | float) and not isinstance(v, bool)), None
        )
        wait = f" for {retry:.0f} s" if retry is not None else ""
        return RateLimited(f"login is temporarily blocked{wait} after too many failed attempts", retry_after=retry, **kwargs)
    if status == 442:
        return RateLimited(f"login attempts limit reached{said}", **kwargs)
    if status == 444:
        return WrongCode(f"wrong user code{said}", **kwargs)
    if status == 429:
        return RateLimited(f"too many requests{said}", **kwargs)
    if status == 403:
        if code == 10010:
            return NotSupported(f"the panel does not allow this{said}", **kwargs)
        return (
            CommandRejected(f"refused (HTTP 403){said}", **kwargs)
            if command
            else AuthenticationFailed(f"access refused while {what}{said}", **kwargs)
        )
    if status == 400:
        if reason_code == "PanelNotConnected" or "not connected" in vendor_message.lower():
            return PanelOffline(f"the panel is not connected to the PowerManage cloud{said}", **kwargs)
        if code == 10004:
            if any(k in ("panel_serial", "master_user_code") for k, _ in pairs):
                return AuthenticationFailed("wrong panel serial or master user code", **kwargs)
            return AuthenticationFailed("wrong email or password", **kwargs)
        if code == 10021:
            return WrongUserCode("the panel refused the user code", **kwargs)
        if code == 10001:
            for key, value in pairs:
                if key == "panel_serial" and value == "incorrect":
                    return AuthenticationFailed(
                        "the panel serial is not known to this account", hint="Check panel_serial in the config.", **kwargs
                    )
                if key == "user_code":
                    return WrongUserCode(f"the user code was refused ({_text(value) or 'invalid'})", **kwargs)
                if value == "required" and key in ("email", "password", "app_id", "panel_serial"):
                    return AuthenticationFailed(f"the server asked for {key}", **kwargs)
        if "busy" in vendor_message.lower():
            return PanelBusy(f"the panel is busy{said}", **kwargs)
        detail = ", ".join(f"{k}={_text(v)}" for k, v in pairs if k)
        message = f"refused while {what}{said}{' (' + detail + ')' if detail else ''}"
        return CommandRejected(message, **kwargs) if command else ProtocolError(message, **kwargs)
    if status == 404:
        return ProtocolError(f"the server has no such endpoint while {what} (HTTP 404){said}", **kwargs)
    return ProtocolError(f"unexpected HTTP {status} while {what}{said}", **kwargs)


class VisonicClient:
    """The transport of one PowerManage account and panel; knows nothing of the domain."""

    def __init__(
        self,
        config: VisonicConfig,
        counter: RequestCounter,
        *,
        provider: str,
        max_reply_bytes: int = MAX_REPLY_BYTES,
        http_timeout: float = 15.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.config = config
        self.counter = counter
        self.provider = provider
        self.max_reply_bytes = max_reply_bytes
        self.http_timeout = http_timeout
        self._http: httpx.AsyncClient | None = None
        self.version: str | None = None
        self.user_token: str | None = None
        self.session_token: str | None = None
        self.serial: str | None = config.panel_serial
        self._app_id: str | None = None
        self.gate = LoginGate(self._login, provider=provider, clock=clock or time.monotonic)
        register_secrets(config.password.get_secret_value(), self.panel_code())

    @property
    def app_id(self) -> str:
        """The config's app id when set there, else the one kept for this installation (§9.7), read at first use."""
        if self._app_id is None:
            self._app_id = self.config.app_id if "app_id" in self.config.model_fields_set else stable_app_id(self.provider)
        return self._app_id

    def panel_code(self) -> str | None:
        return self.config.code.get_secret_value() if self.config.code is not None else None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Language": "en-us"}
            self._http = make_client(self.config, self.counter, timeout=self.http_timeout, headers=headers)
        return self._http

    def url(self, path: str) -> str:
        if path.startswith("https://") or path.startswith("http://"):
            return path
        return f"{self.config.url}/rest_api/{self.version}/{path}"

    async def send(
        self, method: str, path: str, *, body: dict[str, Any] | None = None, what: str, command: bool = False, raw: bool = False
    ) -> Any:
        """One HTTP exchange, errors mapped; no retries. `raw` returns the body bytes."""
        headers: dict[str, str] = {}
        if self.user_token:
            headers["User-Token"] = self.user_token
        if self.session_token:
            headers["Session-Token"] = self.session_token
        async with translate_errors(self.provider, what):
            client = self._client()
            if method == "POST":
                request = client.build_request("POST", self.url(path), json=body or {}, headers=headers)
            else:
                request = client.build_request("GET", self.url(path), headers=headers)
            try:
                reply = await fetch(client, request, provider=self.provider, what=what, limit=self.max_reply_bytes)
            except ReplyLost as exc:
                if command:
                    raise CommandMaybeSent(
                        f"{exc.message}; the command may have been carried out", provider=self.provider
                    ) from None
                raise
            if reply.status != 200:
                try:
                    error_body = decode_json(reply.body, what=what) if reply.body else None
                except ProtocolError:
                    error_body = None
                error = error_for_response(reply.status, error_body, what=what, command=command, provider=self.provider)
                if isinstance(error, RateLimited) and error.retry_after is None:
                    error.retry_after = reply.retry_after
                raise error
            if raw:
                return reply.body
            return await decode_reply(reply.body, what, provider=self.provider)

    async def negotiate(self) -> None:
        if self.version is None:
            data = await self.send("GET", f"{self.config.url}/rest_api/version", what="asking for the REST versions")
            self.version = choose_version(parse_versions(data), self.config.rest_version)
            log.info("%s: using PowerManage REST %s", self.provider, self.version)

    async def read(self, path: str, what: str) -> Any:
        """A read, retried once after a transparent re-login if the session has expired."""
        return await self.gate.call(lambda: self.send("GET", path, what=what))

    async def login(self) -> None:
        """Log in now (connect): a fresh session, through the gate."""
        self.gate.invalidate()
        await self.gate.ensure()

    async def relogin(self, failed_generation: int) -> None:
        await self.gate.relogin(failed_generation)

    async def _login(self) -> None:
        """auth -> (panels) -> panel/login. Called by the gate, which holds its lock."""
        code = self.panel_code()
        if not code:
            raise AuthenticationFailed(
                "a user code is needed to log in to the panel; set code in the config",
                provider=self.provider,
                hint='Visonic panels need the user (master) code at login: add code = "...." to this provider.',
            )
        self.user_token = self.session_token = None
        data = await self.send(
            "POST",
            "auth",
            body={"email": self.config.username, "password": self.config.password.get_secret_value(), "app_id": self.app_id},
            what="logging in",
        )
        self.user_token = parse_token(data, "user_token")
        register_secrets(self.user_token)
        if not self.serial:
            panels = require_list(await self.send("GET", "panels", what="listing the panels"), "panels", cap="installations")
            serials = [_text(_opt_dict(p).get("panel_serial")) for p in panels]
            serials = [s for s in serials if s]
            if not serials:
                raise AuthenticationFailed(
                    "this account has no panels", provider=self.provider, hint="Link a panel in the Visonic app."
                )
            self.serial = serials[0]
        data = await self.send(
            "POST",
            "panel/login",
            body={"user_code": code, "app_type": APP_TYPE, "app_id": self.app_id, "panel_serial": self.serial},
            what="logging in to the panel",
        )
        self.session_token = parse_token(data, "session_token")
        register_secrets(self.session_token)

    async def aclose(self) -> None:
        # PowerManage has no documented logout; dropping the tokens is all there is.
        self.user_token = self.session_token = None
        self.gate.invalidate()
        if self._http is not None:
            http, self._http = self._http, None
            try:
                await asyncio.wait_for(http.aclose(), 5)
            except Exception:  # closing must never raise
                log.debug("closing the HTTP client failed", exc_info=True)


__all__ = ["APP_TYPE", "USER_AGENT", "CommandMaybeSent", "VisonicClient", "WrongUserCode", "error_for_response"]
