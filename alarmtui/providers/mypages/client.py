"""The My Pages transport: two hosts with failover, one cookie jar, login / step-up / trust / renewal.

protocols/verisure-mypages.md §1–§3. What it promises:

- every request tries the host that answered last, then the other one, on a
  connection failure, HTTP ≥ 500, a 504 HTML gateway page or `SYS_00004` in a
  200 body (§1.1); 4xx never fail over. A command's mutation fails over only
  when it provably never reached the first host (no connection, or `SYS_00004`):
  a lost reply could mean the panel has it, and no command is ever sent twice;
- cookies are kept by us, not by httpx (one jar for both hosts, §2.6) and sent
  per endpoint as the real client does: Basic login carries only the trust
  cookie, renewal only `vid` + `vs-refresh`; the jar, the trust token and the
  working host live in a 0600 state file that never holds the password;
- the access cookie (900 s) is renewed ahead of its end under one lock (never two
  renewals at once); a refused renewal falls back to a login with the trust
  cookie; a login that wants a step-up code keeps its step-up cookies so that
  asking for a code never logs in a second time (pv#183), and a second code is
  never requested while one is pending;
- 403 `AUT_00021` (the daily block) stops every request until the user asks.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from alarmtui.providers.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    NotSent,
    ProtocolError,
    ProviderError,
    RateLimited,
    SessionExpired,
    TwoFactorRequired,
)
from alarmtui.providers.http import HttpReply, RequestCounter, decode_json, fetch, http_timeout, make_client
from alarmtui.providers.mypages import mapping, parse
from alarmtui.providers.mypages.mapping import AccountBlocked, TooManyCodes
from alarmtui.redaction import register_secrets

if TYPE_CHECKING:
    from alarmtui.settings import MyPagesConfig

log = logging.getLogger(__name__)

DEFAULT_HOSTS = ("https://automation01.verisure.com", "https://automation02.verisure.com")
ACCESS_LIFETIME = 900.0
"""vs-access lives 15 minutes (§2.4) when the server does not say otherwise."""
RENEW_MARGIN = 90.0
"""Renew this long before the access cookie ends, so a poll never meets an expired one."""
CODE_PENDING = 300.0
"""A code sent less than this long ago is still pending: no second one is requested [?: its lifetime]."""
PHONES = (("phone", "SMS to the account's phone number"), ("email", "e-mail to the account's address"))
"""The two step-up channels (§2.2), in the shape of `TwoFactorRequired.phones`."""
SESSION_COOKIES = ("vid", "vs-access", "vs-refresh")
STEP_UP_LIFETIME = 540.0
"""A step-up is given up after this long without validation [?: the server's lifetime]; the next login starts anew."""


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "alarmtui"


@dataclass
class Jar:
    """The account's cookies and what we know about them; `cookies` never leaves this process but to the state file."""

    cookies: dict[str, str] = field(default_factory=dict, repr=False)
    access_until: float = 0.0
    """Wall-clock time the access cookie ends."""
    trust_token: str = field(default="", repr=False)
    host: str = ""

    def trust_cookies(self) -> dict[str, str]:
        return {k: v for k, v in self.cookies.items() if "vs-trust" in k}

    def pick(self, names: tuple[str, ...]) -> dict[str, str]:
        return {k: self.cookies[k] for k in names if k in self.cookies}

    @property
    def has_session(self) -> bool:
        return bool(self.cookies.get("vs-access"))


class JarStore:
    """One JSON file per provider (0600, replaced atomically); `path=None` keeps it in memory only."""

    def __init__(self, path: Path | None, username: str) -> None:
        self.path = path
        self._owner = hashlib.sha256(username.lower().encode()).hexdigest()[:16]

    @classmethod
    def for_provider(cls, name: str, username: str, directory: Path | None = None) -> JarStore:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        return cls((directory or state_dir()) / f"mypages-{safe}.json", username)

    def load(self) -> Jar:
        if self.path is None:
            return Jar()
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Jar()
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable cookie file %s (%s)", self.path, type(exc).__name__)
            return Jar()
        if not isinstance(raw, dict) or raw.get("owner") != self._owner:
            return Jar()  # another account's cookies are never used
        cookies = raw.get("cookies")
        jar = Jar(
            cookies={str(k): str(v) for k, v in cookies.items()} if isinstance(cookies, dict) else {},
            access_until=float(raw.get("accessUntil") or 0.0),
            trust_token=str(raw.get("trustToken") or ""),
            host=str(raw.get("host") or ""),
        )
        for value in (*jar.cookies.values(), jar.trust_token):
            register_secrets(value)
        return jar

    def save(self, jar: Jar) -> None:
        if self.path is None:
            return
        data = {
            "owner": self._owner,
            "cookies": jar.cookies,
            "accessUntil": jar.access_until,
            "trustToken": jar.trust_token,
            "host": jar.host,
        }
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(prefix=".mypages-", dir=directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(temp, self.path)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise


@dataclass
class _StepUp:
    """A login that wants a code: its cookies (kept so asking for a code needs no second login) and the sends."""

    cookies: dict[str, str] = field(repr=False)
    created: float = 0.0
    sent_at: float | None = None
    channel: str = ""


class MyPagesClient:
    """HTTP for one My Pages account: failover, cookies, login, step-up, trust, renewal, batched GraphQL."""

    def __init__(
        self,
        config: MyPagesConfig,
        counter: RequestCounter,
        store: JarStore,
        *,
        http_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.provider = config.name
        self.counter = counter
        self.store = store
        self._clock = clock
        self._wall = wall
        self.http = make_client(config, counter, timeout=http_timeout(http_timeout_s), follow_redirects=False)
        self.jar = store.load()
        hosts = list(config.hosts)
        if self.jar.host in hosts:  # remember the host that worked last time
            hosts.remove(self.jar.host)
            hosts.insert(0, self.jar.host)
        self.hosts = hosts
        self._renew_lock = asyncio.Lock()
        self._login_lock = asyncio.Lock()
        self.step_up: _StepUp | None = None
        self.blocked: AccountBlocked | None = None
        self.renewals = 0
        self.logins = 0
        self.failovers = 0
        register_secrets(config.password.get_secret_value())

    async def aclose(self) -> None:
        await self.http.aclose()

    # ------------------------------------------------------------------ one request, both hosts

    async def send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        cookies: dict[str, str] | None = None,
        basic: bool = False,
        body: Any = None,
        json_content_type: bool = False,
        command: bool = False,
    ) -> HttpReply:
        """One request, failing over to the other host (§1.1). Any 2xx–4xx reply is returned; the caller classifies it."""
        if self.blocked is not None:
            raise self.blocked
        headers = {"APPLICATION_ID": "PS_PYTHON", "Accept": "application/json"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if basic:
            secret = f"{self.config.username}:{self.config.password.get_secret_value()}"
            headers["Authorization"] = "Basic " + base64.b64encode(secret.encode()).decode()
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif json_content_type:
            content = b"{}"
            headers["Content-Type"] = "application/json"
        last: ProviderError | None = None
        for attempt, host in enumerate(list(self.hosts)):
            # Our jar, not httpx's: each endpoint gets exactly the cookies the real client sends (a login
            # with a session cookie beside Basic is refused, AUT_00041), so httpx's own jar stays empty.
            self.http.cookies.clear()
            request = self.http.build_request(method, host + path, headers=headers, content=content)
            try:
                reply = await fetch(self.http, request, provider=self.provider, what=what)
            except NotSent as exc:
                last = exc
                self._fail_over(host, attempt, exc.message)
                continue
            except ConnectionFailed as exc:  # ReplyLost: it may have reached the host
                if command:
                    raise
                last = exc
                self._fail_over(host, attempt, exc.message)
                continue
            unavailable = reply.status >= 500 or (reply.status == 200 and b"SYS_00004" in reply.body)
            if unavailable:
                sys_down = b"SYS_00004" in reply.body
                last = ConnectionFailed(
                    f"{_host_name(host)} is unavailable ({'SYS_00004' if sys_down else f'HTTP {reply.status}'}) while {what}",
                    provider=self.provider,
                    vendor_code="SYS_00004" if sys_down else str(reply.status),
                )
                if command and not sys_down:
                    last.may_have_left = True
                    raise last  # a 5xx to a command: it may have been carried out; never send it again elsewhere
                self._fail_over(host, attempt, last.message)
                continue
            if self.hosts[0] != host:
                self.hosts.remove(host)
                self.hosts.insert(0, host)
            if self.jar.host != host:
                self.jar.host = host
                self._save()
            return reply
        assert last is not None
        raise last

    def _fail_over(self, host: str, attempt: int, why: str) -> None:
        if attempt == 0 and len(self.hosts) > 1:
            self.failovers += 1
            log.info("%s: %s failed (%s); trying %s", self.provider, _host_name(host), why, _host_name(self.hosts[1]))

    def _check(self, reply: HttpReply, what: str) -> None:
        """Raise the error a non-200 reply means (by errorCode first)."""
        if reply.status == 200:
            return
        code, message = parse.rest_error(reply.body)
        error = mapping.error_for(
            reply.status, code, message, what=what, provider=self.provider, retry_after=reply.retry_after, body=reply.body
        )
        if isinstance(error, AccountBlocked):
            self.blocked = error
            log.warning("%s: the account is blocked for today; nothing is sent until the user asks", self.provider)
        if error is None:
            error = ProtocolError(f"unexpected HTTP {reply.status} while {what}", provider=self.provider)
        raise error

    def _take_cookies(self, reply: HttpReply, *, replace: bool = False) -> dict[str, str]:
        """Store the reply's Set-Cookies in the jar (all of them when `replace`, as vsure after validate)."""
        found: dict[str, str] = {}
        max_age: dict[str, float] = {}
        for header in reply.headers.get_list("set-cookie"):
            parsed: SimpleCookie = SimpleCookie()
            try:
                parsed.load(header)
            except CookieError:
                continue
            for name, morsel in parsed.items():
                found[name] = morsel.value
                age = morsel.get("max-age")
                if age and str(age).lstrip("-").isdigit():
                    max_age[name] = float(age)
        for value in found.values():
            register_secrets(value)
        if replace:
            trust = self.jar.trust_cookies()
            self.jar.cookies = {**trust, **found}
        else:
            self.jar.cookies.update(found)
        for name, age in max_age.items():
            if age <= 0:
                self.jar.cookies.pop(name, None)
        if "vs-access" in found:
            self.jar.access_until = self._wall() + max_age.get("vs-access", ACCESS_LIFETIME)
        return found

    def _save(self) -> None:
        try:
            self.store.save(self.jar)
        except OSError as exc:
            log.warning("%s: could not save the cookie file (%s)", self.provider, type(exc).__name__)

    # ------------------------------------------------------------------ session

    def allow(self) -> None:
        """The user asked (r, a CLI run): a daily block may be tried again."""
        self.blocked = None

    @property
    def access_left(self) -> float:
        return self.jar.access_until - self._wall()

    async def ensure_session(self) -> None:
        """A usable access cookie: renew ahead of its end, else log in (with the trust cookie)."""
        if self.jar.has_session and self.access_left > RENEW_MARGIN:
            return
        await self.renew()

    async def renew(self, *, stale: str | None = None) -> None:
        """Renew the access cookie (never two renewals at once); a refused renewal → a login with trust.

        `stale` is the access cookie a request found refused: if another renewal replaced it meanwhile, done.
        """
        async with self._renew_lock:
            current = self.jar.cookies.get("vs-access")
            if stale is not None and current and current != stale:
                return
            if stale is None and self.jar.has_session and self.access_left > RENEW_MARGIN:
                return
            if self.jar.cookies.get("vs-refresh"):
                reply = await self.send(
                    "GET", "/auth/token", what="renewing the session", cookies=self.jar.pick(("vid", "vs-refresh"))
                )
                if reply.status == 200 and "vs-access" in self._take_cookies(reply):
                    self.renewals += 1
                    self._save()
                    return
                code, message = parse.rest_error(reply.body)
                error = mapping.error_for(
                    reply.status,
                    code,
                    message,
                    what="renewing the session",
                    provider=self.provider,
                    retry_after=reply.retry_after,
                    body=reply.body,
                )
                if isinstance(error, RateLimited):
                    self._check(reply, "renewing the session")
                log.info(
                    "%s: the session could not be renewed (%s); logging in with the trusted device",
                    self.provider,
                    code or reply.status,
                )
                for name in SESSION_COOKIES:
                    self.jar.cookies.pop(name, None)
            await self._login_locked()

    async def login(self) -> None:
        async with self._renew_lock:
            await self._login_locked()

    async def _login_locked(self) -> None:
        """Basic login with only the trust cookie(s) (§2.1); a step-up reply → `TwoFactorRequired`, no code sent."""
        if self.step_up is not None and self.step_up.sent_at is not None and self._clock() - self.step_up.sent_at < CODE_PENDING:
            # A code is on its way: a new login would start a new step-up and void it.
            raise self._challenge("a verification code was sent; type it to validate this device")
        reply = await self.send(
            "POST", "/auth/login", what="logging in", cookies=self.jar.trust_cookies(), basic=True, json_content_type=True
        )
        self._check(reply, "logging in")
        if b"stepUpToken" in reply.body:
            cookies = {}
            for header in reply.headers.get_list("set-cookie"):
                parsed: SimpleCookie = SimpleCookie()
                try:
                    parsed.load(header)
                except CookieError:
                    continue
                cookies.update({name: morsel.value for name, morsel in parsed.items()})
            for value in cookies.values():
                register_secrets(value)
            self.step_up = _StepUp(cookies, created=self._clock())
            self.jar.trust_token = ""
            for name in [k for k in self.jar.cookies if "vs-trust" in k]:
                del self.jar.cookies[name]  # it no longer works: forget it
            self._save()
            raise self._challenge("Verisure wants this device verified with a one-time code before it may log in")
        found = self._take_cookies(reply)
        if "vs-access" not in found:
            raise ProtocolError("the login reply set no session cookie", provider=self.provider)
        self.logins += 1
        self.step_up = None
        self._save()

    def _challenge(self, message: str) -> TwoFactorRequired:
        return TwoFactorRequired(message, phones=PHONES, provider=self.provider)  # the standard hint: `alarmtui login NAME`

    def pending_challenge(self) -> TwoFactorRequired | None:
        """The challenge of a login still waiting for its code (no request is made), else None."""
        step = self.step_up
        if step is None:
            return None
        if self._clock() - step.created > STEP_UP_LIFETIME:
            self.step_up = None  # expired at the server too [?: its lifetime]; the next login starts a new one
            return None
        if step.sent_at is not None:
            return self._challenge(
                f"a verification code was sent by {_channel_words(step.channel)}; type it to verify this device"
            )
        return self._challenge("Verisure wants this device verified with a one-time code before it may log in")

    async def request_code(self, channel: str) -> str:
        """POST /auth/mfa?type=phone|email with the step-up cookies of the login that asked; at most one pending code."""
        if channel not in ("phone", "email"):
            raise AuthenticationFailed(f"unknown channel {channel!r}: phone or email", provider=self.provider)
        if self.step_up is None:
            try:
                await self.login()  # keeps the step-up it meets (one login, never two, pv#183)
            except TwoFactorRequired:
                pass
            if self.step_up is None:
                return "this device is already trusted: no code is needed"
        step = self.step_up
        if step.sent_at is not None and self._clock() - step.sent_at < CODE_PENDING:
            left = CODE_PENDING - (self._clock() - step.sent_at)
            return f"a code was already sent ({_channel_words(step.channel)}); type it — a new one can be asked in {left / 60:.0f} min"
        reply = await self.send("POST", f"/auth/mfa?type={channel}", what="asking for a verification code", cookies=step.cookies)
        try:
            self._check(reply, "asking for a verification code")
        except TooManyCodes:
            self.step_up = None
            raise
        step.sent_at = self._clock()
        step.channel = channel
        return f"a 6-digit code was sent by {_channel_words(channel)}"

    async def validate_code(self, code: str) -> None:
        """POST /auth/mfa/validate, then /auth/trust: the session and the trust cookie are saved (§2.2, §2.3)."""
        code = code.strip()
        if self.step_up is None or self.step_up.sent_at is None:
            raise self._challenge("no code is pending: ask for a code first")
        if not re.fullmatch(r"[0-9]{6}", code):
            raise self._challenge("the code has 6 digits")
        reply = await self.send(
            "POST", "/auth/mfa/validate", what="validating this device", cookies=self.step_up.cookies, body={"token": code}
        )
        if reply.status == 401 and parse.rest_error(reply.body)[0] == "AUT_00011":
            self.step_up = None  # the step-up itself is gone (expired, or too many wrong codes): start again
            raise self._challenge("this verification expired; ask for a new code")
        if reply.status in (400, 401, 403, 404) and not any(m in reply.body.lower() for m in mapping.RATE_MARKERS):
            # A wrong code [? its reply]: the pending code stays usable until the server says otherwise.
            raise self._challenge("Verisure did not accept that code; type it again (or ask for a new one in a few minutes)")
        self._check(reply, "validating this device")
        self._take_cookies(reply, replace=True)
        self.step_up = None
        self.logins += 1
        trust = await self.send("POST", "/auth/trust", what="trusting this device", cookies=self.jar.pick(SESSION_COOKIES))
        if trust.status == 200:
            self._take_cookies(trust)
            try:
                value = json.loads(trust.body).get("trustTokenValue")
            except (ValueError, AttributeError):
                value = None
            if isinstance(value, str):
                self.jar.trust_token = value
                register_secrets(value)
        else:  # validated all the same; only the next login will ask again
            log.warning("%s: the device could not be trusted (HTTP %s)", self.provider, trust.status)
        self._save()

    # ------------------------------------------------------------------ GraphQL

    async def graphql(
        self, operations: list[dict[str, Any]], *, what: str, command: bool = False, optional: frozenset[int] = frozenset()
    ) -> list[dict[str, Any]]:
        """One batched POST /graphql (the array vsure sends); AUT_00011 → renew once and retry (reads only).

        An operation whose index is in `optional` may fail on its own (its item then holds `"errors"`;
        how one failing operation affects a batch is [?]); limits and session errors always raise.
        """
        await self.ensure_session()
        access = self.jar.cookies.get("vs-access", "")
        reply = await self.send(
            "POST", "/graphql", what=what, cookies=self.jar.pick(SESSION_COOKIES), body=operations, command=command
        )
        if reply.status == 401 and parse.rest_error(reply.body)[0] in ("AUT_00011", ""):
            await self.renew(stale=access)  # the command was refused unprocessed: renewed for the next try
            if command:
                raise SessionExpired(
                    f"the session had expired while {what}; it was renewed — nothing was sent to the panel",
                    provider=self.provider,
                    vendor_code="AUT_00011",
                )
            reply = await self.send("POST", "/graphql", what=what, cookies=self.jar.pick(SESSION_COOKIES), body=operations)
        self._check(reply, what)
        items = parse.batch_items(decode_json(reply.body, what=what, provider=self.provider), len(operations))
        for index, item in enumerate(items):
            for error in parse.graphql_errors(item):
                code, status = parse.error_code(error)
                text = parse.as_text(error.get("message"), "errors.message", limit=200)
                failure: ProviderError | None = None
                if code or status >= 400:
                    failure = mapping.error_for(status or 400, code, text, what=what, provider=self.provider)
                if failure is None and item.get("data") is None:
                    failure = ProtocolError(
                        f"the server answered an error while {what} ({text or code or 'no reason'})", provider=self.provider
                    )
                if failure is None:
                    continue
                if index in optional and not isinstance(failure, RateLimited | AuthenticationFailed | SessionExpired):
                    log.info(
                        "%s: %s failed on its own (%s); its last value is kept",
                        self.provider,
                        _op_name(operations[index]),
                        failure.message,
                    )
                    break
                raise failure
        return items

    async def download(self, url: str, *, what: str) -> bytes:
        """GET a media URL without cookies or headers: they are self-authorising (§5.5)."""
        if not url.startswith(("https://", "http://")):
            url = self.hosts[0] + (url if url.startswith("/") else "/" + url)
        parts = httpx.URL(url)
        register_secrets(parts.path, parts.query.decode())  # the URL authorises itself: never log it
        reply = await fetch(
            self.http, self.http.build_request("GET", url), provider=self.provider, what=what, limit=8 * 1024 * 1024
        )
        if reply.status != 200:
            raise ConnectionFailed(f"the image could not be fetched (HTTP {reply.status})", provider=self.provider)
        return reply.body


def _op_name(operation: dict[str, Any]) -> str:
    return str(operation.get("operationName") or "an operation")


def _host_name(url: str) -> str:
    return httpx.URL(url).host or url


def _channel_words(channel: str) -> str:
    return "e-mail" if channel == "email" else "SMS"
