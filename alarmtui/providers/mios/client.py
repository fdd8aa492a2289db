"""The MMS cloud transport: login chain, per-server sessions, relay to the Vera's luup port.

The login chain is the one every real client runs (see shared/protocols/mios.md §1):

1. autha `GET /autha/auth/username/<user>?SHA1Password=sha1(lower(user)+password+seed)`
   -> base64 Identity JSON + IdentitySignature + Server_Account / Server_Event hosts;
2. decode the Identity (PK_Account, Expires) - never re-encode it, send it back as received;
3. a session token per server (`/info/session/token` with MMSAuth/MMSAuthSig), then
   `MMSSession` on every call to that server;
4. account server: `/account/account/account/<PK_Account>/devices` -> the Vera and its
   device servers; device server: `/device/device/device/<PK_Device>` -> Server_Relay,
   Server_Storage, Server_Event;
5. relay: `/relay/relay/relay/device/<PK_Device>/port_3480/data_request?id=...`.

The identity is renewed before it expires (at 23/24 of its life, like the Go client),
judged by the identity's own lifetime (Expires - Generated, both server time) counted
on our monotonic clock from when it arrived, so a wrong local wall clock changes nothing.
A 401 "invalid session" fetches a new session token for that server, any other 401
runs the whole chain again.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx

from alarmtui.domain.text import clean_text
from alarmtui.providers.base import (
    AuthenticationFailed,
    ConnectionFailed,
    PanelOffline,
    ProtocolError,
    ProviderError,
    RateLimited,
    RequestCounter,
    SessionExpired,
    retry_after,
)
from alarmtui.providers.http import make_client
from alarmtui.providers.luup.parse import as_id, decode_reply
from alarmtui.providers.luup.transport import (
    LuupAuthRejected,
    LuupTransport,
    get_limited,
    is_long_poll,
    raise_for_throttling,
)
from alarmtui.providers.mios.parse import Controller, Identity, parse_auth_reply, parse_device_info, parse_devices
from alarmtui.providers.session import LoginGate
from alarmtui.redaction import register_secrets

if TYPE_CHECKING:
    from alarmtui.settings import MiosConfig

log = logging.getLogger(__name__)

#: The real 20-character seed (shared/README.md decision 4; the spec's 19-character one is a typo).
PASSWORD_SEED = "oZ7QE6LcLJp6fiWzdqZc"

_TOKEN = re.compile(r"^[0-9A-Za-z]{8,128}$")


def mms_auth_error(response: httpx.Response) -> str:
    text = f"{response.headers.get('WWW-Authenticate', '')} {response.content[:300].decode('utf-8', 'replace')}"
    match = re.search(r'error="([^"]{1,60})"', text)
    return clean_text(match.group(1)) if match else "unauthorized"


def check_status(response: httpx.Response, what: str) -> None:
    status = response.status_code
    if status == 200:
        return
    if status == 403:
        raise AuthenticationFailed(
            f"MiOS says this account lacks the permission for {what} (HTTP 403)",
            hint="The account is missing a permission; ask the account owner.",
        )
    if status == 404:
        raise ProtocolError(f"MiOS has no such resource while {what} (HTTP 404)")
    if status == 429:
        raise RateLimited(f"MiOS is throttling requests while {what}", retry_after=retry_after(response))
    if status >= 500:
        raise ConnectionFailed(f"the MiOS server answered HTTP {status} while {what}")
    raise ProtocolError(f"MiOS answered HTTP {status} while {what}")


class RelayTransport(LuupTransport):
    """luup through the MiOS cloud relay, and the MMS servers behind it (events, storage)."""

    label = "the MiOS relay"

    def __init__(
        self, config: MiosConfig, counter: RequestCounter, *, timeout: float = 15.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(clock)
        self.config = config
        self.counter = counter
        self.timeout = timeout
        self._scheme = urlsplit(config.url).scheme or "https"
        self._http: httpx.AsyncClient | None = None
        self._long_poll_http: httpx.AsyncClient | None = None
        """The long poll's own client: a command never waits for a connection behind it (issue 16)."""
        self.gate = LoginGate(self._run_login_chain, provider=config.name)
        """One login at a time, one re-login per failure generation, and the login budget."""
        self.identity: Identity | None = None
        self._identity_received = 0.0
        """`clock()` when the identity arrived: its age is counted from here."""
        self.servers: dict[str, str] = {}
        self.sessions: dict[str, str] = {}
        self.controller: Controller | None = None
        register_secrets(config.password.get_secret_value())

    @property
    def pk_device(self) -> str | None:
        return self.controller.pk_device if self.controller else None

    @property
    def controller_name(self) -> str:
        return self.controller.name if self.controller else ""

    def client(self, *, long_poll: bool = False) -> httpx.AsyncClient:
        if long_poll:
            if self._long_poll_http is None:
                self._long_poll_http = make_client(self.config, self.counter, timeout=self.timeout)
            return self._long_poll_http
        if self._http is None:
            self._http = make_client(self.config, self.counter, timeout=self.timeout)
        return self._http

    async def close(self) -> None:
        clients = [c for c in (self._http, self._long_poll_http) if c is not None]
        self._http = self._long_poll_http = None
        for http in clients:
            await http.aclose()

    async def _get(self, url: str, *, what: str = "talking to MiOS", long_poll: bool = False, **kwargs: Any) -> httpx.Response:
        return await get_limited(self.client(long_poll=long_poll), url, provider=self.config.name, what=what, **kwargs)

    def url(self, server: str, path: str) -> str:
        return f"{self._scheme}://{server}{path}"

    # ------------------------------------------------------------------ login chain

    @property
    def generation(self) -> int:
        return self.gate.generation

    async def connect(self) -> None:
        """A fresh login (within the login budget: after a refused password only when the user asks)."""
        self.gate.invalidate()
        await self.gate.ensure()

    async def login(self, *, seen_generation: int) -> None:
        """Log in again after a failure seen in `seen_generation` (once for all concurrent callers)."""
        await self.gate.relogin(seen_generation)

    async def renew(self, seen_generation: int, error: str) -> None:
        await self.login(seen_generation=seen_generation)

    def renew_needs_login(self, error: str, failures: int) -> bool:
        # A dropped session token is fetched again by the next request; anything else needs a login.
        return error != "invalid session" or failures > 1

    async def _run_login_chain(self) -> None:
        username = self.config.username.strip().lower()
        password = self.config.password.get_secret_value()
        digest = hashlib.sha1((username + password + PASSWORD_SEED).encode()).hexdigest()
        register_secrets(digest)
        response = await self._get(
            f"{self.config.url}/autha/auth/username/{quote(username, safe='')}",
            params={"SHA1Password": digest, "PK_Oem": self.config.oem, "TokenVersion": "2"},
            what="logging in to MiOS",
        )
        if response.status_code == 404:
            raise AuthenticationFailed(f"MiOS does not know the user {clean_text(username, 60)!r}")
        if response.status_code in (401, 403):
            raise AuthenticationFailed("MiOS refused the password for this user")
        if response.status_code == 429:
            raise RateLimited("MiOS is throttling logins", retry_after=retry_after(response))
        if response.status_code != 200:
            raise ConnectionFailed(f"the MiOS auth server answered HTTP {response.status_code}")
        reply = parse_auth_reply(await decode_reply(response.content, "logging in", provider=self.config.name))
        register_secrets(reply.identity.raw, reply.identity.signature)
        self.identity = reply.identity
        self._identity_received = self.clock()
        self.sessions.clear()
        self.servers = dict(reply.servers)
        try:
            devices = parse_devices(
                await self.mms_json(
                    ["account", "account_alt"],
                    f"/account/account/account/{reply.identity.pk_account}/devices",
                    "listing the account's controllers",
                )
            )
            controller = self._pick_controller(devices)
            self.servers["device"] = controller.server_device
            if controller.server_device_alt:
                self.servers["device_alt"] = controller.server_device_alt
            self.controller = controller
            info = await self.mms_json(
                ["device", "device_alt"],
                f"/device/device/device/{controller.pk_device}",
                "reading the controller's servers",
            )
            self.servers.update(parse_device_info(info, controller.pk_device))
            await self.session(self.servers["relay"])
        except LuupAuthRejected as exc:
            raise AuthenticationFailed(f"MiOS rejected the new login ({exc.error})") from None

    def _pick_controller(self, devices: list[Controller]) -> Controller:
        wanted = self.config.device
        if wanted:
            for controller in devices:
                if controller.pk_device == as_id(wanted, "device"):
                    return controller
            raise AuthenticationFailed(
                f"the MiOS account has no controller {clean_text(wanted, 30)!r}", hint="Check `device` in the config."
            )
        veras = [c for c in devices if c.device_type in ("", "1")] or devices
        if not veras:
            raise AuthenticationFailed("the MiOS account has no controllers", hint="Pair a Vera with the account first.")
        return veras[0]

    async def session(self, server: str) -> str:
        """The session token for `server`, fetched with MMSAuth/MMSAuthSig when missing."""
        token = self.sessions.get(server)
        if token:
            return token
        identity = self.identity
        if identity is None:
            raise SessionExpired("not logged in")
        response = await self._get(
            self.url(server, "/info/session/token"),
            headers={"MMSAuth": identity.raw, "MMSAuthSig": identity.signature},
            what="getting a session token",
        )
        if response.status_code == 401:
            raise LuupAuthRejected(mms_auth_error(response))
        check_status(response, "getting a session token")
        token = response.content[:256].decode("utf-8", "replace").strip()
        if len(response.content) > 256 or not _TOKEN.match(token):
            raise ProtocolError("the session token is not a token")
        register_secrets(token)
        self.sessions[server] = token
        return token

    def identity_age(self) -> float:
        return self.clock() - self._identity_received

    async def ready(self) -> None:
        """Log in when there is no identity, or when ours is near the end of its life.

        The life is the identity's own (Expires - Generated, server time), counted from
        when it arrived on our monotonic clock: the local wall clock never enters into it.
        """
        identity = self.identity
        if identity is None or self.controller is None or not self.gate.logged_in:
            await self.gate.ensure()
            return
        lifetime = identity.lifetime
        margin = min(3600.0, lifetime / 24)
        if lifetime and self.identity_age() >= lifetime - margin:
            log.info("%s: MiOS identity expires soon; logging in again", self.config.name)
            await self.login(seen_generation=self.generation)

    # ------------------------------------------------------------------ MMS servers

    async def mms_get(
        self,
        server_keys: list[str],
        path: str,
        what: str,
        *,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """GET on an MMS server with its session; one new session on "invalid session"; alt server on failure."""
        last_error: ProviderError | None = None
        for key in server_keys:
            server = self.servers.get(key)
            if not server:
                continue
            for attempt in range(2):
                try:
                    token = await self.session(server)
                    response = await self._get(
                        self.url(server, path),
                        params=params,
                        headers={"MMSSession": token},
                        timeout=timeout or self.timeout,
                        what=what,
                    )
                except ConnectionFailed as exc:  # NotSent / ReplyLost: try the alternative server
                    last_error = exc
                    break
                if response.status_code == 401:
                    self.sessions.pop(server, None)
                    error = mms_auth_error(response)
                    if error == "invalid session" and attempt == 0:
                        continue
                    raise LuupAuthRejected(error)
                if response.status_code >= 500:
                    last_error = ConnectionFailed(f"the MiOS server answered HTTP {response.status_code} while {what}")
                    break
                return response
        raise last_error or ProtocolError(f"no MiOS server known for {what}")

    async def mms_json(self, server_keys: list[str], path: str, what: str, *, params: dict[str, Any] | None = None) -> Any:
        response = await self.mms_get(server_keys, path, what, params=params)
        check_status(response, what)
        return await decode_reply(response.content, what, provider=self.config.name)

    async def read(
        self, server_keys: list[str], path: str, what: str, *, params: dict[str, Any] | None = None, raw: bool = False
    ) -> Any:
        """An MMS read with renewal: full re-login once on a 401 it cannot fix with a new session."""
        for attempt in range(2):
            await self.ready()
            generation = self.generation
            try:
                if raw:
                    response = await self.mms_get(server_keys, path, what, params=params)
                    check_status(response, what)
                    return response
                return await self.mms_json(server_keys, path, what, params=params)
            except LuupAuthRejected as exc:
                if attempt:
                    raise SessionExpired(f"MiOS keeps refusing the session while {what} ({exc.error})") from None
                log.info("%s: MiOS said %s; logging in again", self.config.name, exc.error)
                await self.login(seen_generation=generation)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ relay

    def relay_url(self) -> str:
        assert self.controller is not None
        return self.url(self.servers["relay"], f"/relay/relay/relay/device/{self.controller.pk_device}/port_3480/data_request")

    async def send(self, params: Mapping[str, Any], what: str, timeout: float) -> httpx.Response:
        server = self.servers["relay"]
        token = await self.session(server)
        response = await self._get(
            self.relay_url(),
            params=params,
            headers={"MMSSession": token},
            timeout=timeout,
            what=what,
            long_poll=is_long_poll(params),
        )
        if response.status_code == 401:
            self.sessions.pop(server, None)
            raise LuupAuthRejected(mms_auth_error(response))
        if response.status_code == 403:
            raise AuthenticationFailed(
                f"MiOS denies this account access to the controller while {what}",
                hint="The account lacks a permission on this Vera; ask its owner.",
            )
        raise_for_throttling(response, what)
        if b"tunnel not found" in response.content[:200].lower():
            raise PanelOffline("the Vera is not connected to the MiOS relay (Tunnel not found)")
        return response
