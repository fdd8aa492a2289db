"""Transport for the OWA GraphQL API: headers, pacing, the login chain, renewal, two-step polling.

Everything vendor-specific about *how* requests travel lives here, on the shared
core: `providers/http.py` sends, reads and decodes (any undecodable reply is a
`ProtocolError`) and maps HTTP statuses with this vendor's overrides;
`providers/session.py`'s `LoginGate` serialises renewals and keeps the login
budget; the provider follows operations with `CommandTimeline.follow`.

- One POST endpoint; every request carries `operationName` and the
  `X-APOLLO-OPERATION-NAME` header (§1.2-1.4).
- Requests are serialised and spaced `min_gap` seconds apart (§9: 2 s).
- The 15-minute auth hash is renewed before it lapses (and before a panel
  operation that might outlive it), preferring `RefreshLogin`; every rotated
  refresh token is saved at once; renewals go through the `LoginGate` (never two
  in parallel, and no new password attempt after a refusal until the user asks);
  a dead refresh token (60067) falls back to the password; transient failures do not.
- A new device needs SMS validation: `TwoFactorRequired` carries the phones;
  `send_code()` / `validate_code()` finish it and the device identity is kept.
- Errors: session expiry renews once and retries; 60062 / 409 / err 11 are
  `PanelBusy`; the web firewall's HTML 403 is `RateLimited` with a long
  back-off during which nothing is sent; 60052 is `AccountBlocked`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from alarmtui.providers.errors import (
    AuthenticationFailed,
    CommandRejected,
    ConnectionFailed,
    NotSent,
    NotSupported,
    PanelBusy,
    ProtocolError,
    ProviderError,
    RateLimited,
    SessionExpired,
    TwoFactorRequired,
)
from alarmtui.providers.http import (
    HttpReply,
    RequestCounter,
    StatusErrorFactory,
    decode_json_async,
    error_for_status,
    fetch,
    http_timeout,
    make_client,
)
from alarmtui.providers.securitas import parse
from alarmtui.providers.securitas.parse import GraphQLError
from alarmtui.providers.securitas.store import AccountState, TokenStore, new_operation_id
from alarmtui.providers.session import LoginGate
from alarmtui.redaction import register_secrets

if TYPE_CHECKING:
    from alarmtui.settings import SecuritasConfig

log = logging.getLogger(__name__)

GRAPHQL_PATH = "/owa-api/graphql"
CALLBY = "OWA_10"
APP_VERSION = "10.102.0"
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/102.0.5005.124 Safari/537.36 Edg/102.0.1245.41"
)
DEVICE = {"deviceName": "SM-S901U", "deviceBrand": "samsung", "deviceOsVersion": "12", "deviceVersion": APP_VERSION}
MAX_REPLY_BYTES = 16 * 1024 * 1024  # three base64 photos fit many times over
AUTH_OPERATIONS = frozenset({"mkLoginToken", "RefreshLogin", "mkSendOTP", "mkValidateDevice"})
PRE_AUTH_OPERATIONS = frozenset({"RefreshLogin", "mkSendOTP", "mkValidateDevice"})
ACCOUNT_OPERATIONS = AUTH_OPERATIONS | {"Logout", "mkInstallationList"}

# --------------------------------------------------------------------------- queries (§2-§7)

Q = {
    "mkLoginToken": "mutation mkLoginToken($user: String!, $password: String!, $id: String!, $country: String!, $lang: String!, $callby: String!, $idDevice: String!, $idDeviceIndigitall: String!, $deviceType: String!, $deviceVersion: String!, $deviceResolution: String!, $deviceName: String!, $deviceBrand: String!, $deviceOsVersion: String!, $uuid: String!) { xSLoginToken(user: $user, password: $password, country: $country, lang: $lang, callby: $callby, id: $id, idDevice: $idDevice, idDeviceIndigitall: $idDeviceIndigitall, deviceType: $deviceType, deviceVersion: $deviceVersion, deviceResolution: $deviceResolution, deviceName: $deviceName, deviceBrand: $deviceBrand, deviceOsVersion: $deviceOsVersion, uuid: $uuid) { __typename res msg hash refreshToken legals changePassword needDeviceAuthorization mainUser } }",
    "mkValidateDevice": "mutation mkValidateDevice($idDevice: String, $idDeviceIndigitall: String, $uuid: String, $deviceName: String, $deviceBrand: String, $deviceOsVersion: String, $deviceVersion: String) { xSValidateDevice(idDevice: $idDevice, idDeviceIndigitall: $idDeviceIndigitall, uuid: $uuid, deviceName: $deviceName, deviceBrand: $deviceBrand, deviceOsVersion: $deviceOsVersion, deviceVersion: $deviceVersion) { res msg hash refreshToken legals } }",
    "mkSendOTP": "mutation mkSendOTP($recordId: Int!, $otpHash: String!) { xSSendOtp(recordId: $recordId, otpHash: $otpHash) { res msg } }",
    "RefreshLogin": "mutation RefreshLogin($refreshToken: String!, $id: String!, $country: String!, $lang: String!, $callby: String!, $idDevice: String!, $idDeviceIndigitall: String!, $deviceType: String!, $deviceVersion: String!, $deviceResolution: String!, $deviceName: String!, $deviceBrand: String!, $deviceOsVersion: String!, $uuid: String!) { xSRefreshLogin(refreshToken: $refreshToken, id: $id, country: $country, lang: $lang, callby: $callby, idDevice: $idDevice, idDeviceIndigitall: $idDeviceIndigitall, deviceType: $deviceType, deviceVersion: $deviceVersion, deviceResolution: $deviceResolution, deviceName: $deviceName, deviceBrand: $deviceBrand, deviceOsVersion: $deviceOsVersion, uuid: $uuid) { __typename res msg hash refreshToken legals changePassword needDeviceAuthorization mainUser } }",
    "Logout": "mutation Logout { xSLogout }",
    "mkInstallationList": "query mkInstallationList { xSInstallations { installations { numinst alias panel type name surname address city postcode province email phone } } }",
    "Srv": "query Srv($numinst: String!, $uuid: String) { xSSrv(numinst: $numinst, uuid: $uuid) { res msg language installation { numinst role alias status panel sim instIbs services { idService active visible bde isPremium codOper request minWrapperVersion unprotectActive unprotectDeviceStatus instDate genericConfig { total attributes { key value } } attributes { attributes { name value active } } } configRepoUser { alarmPartitions { id enterStates leaveStates } } capabilities } } }",
    "Status": "query Status($numinst: String!) { xSStatus(numinst: $numinst) { status timestampUpdate wifiConnected exceptions { status deviceType alias } } }",
    "CheckAlarm": "query CheckAlarm($numinst: String!, $panel: String!) { xSCheckAlarm(numinst: $numinst, panel: $panel) { res msg referenceId } }",
    "CheckAlarmStatus": "query CheckAlarmStatus($numinst: String!, $idService: String!, $panel: String!, $referenceId: String!) { xSCheckAlarmStatus(numinst: $numinst, idService: $idService, panel: $panel, referenceId: $referenceId) { res msg status numinst protomResponse protomResponseDate } }",
    "xSArmPanel": "mutation xSArmPanel($numinst: String!, $request: ArmCodeRequest!, $panel: String!, $currentStatus: String, $suid: String, $forceArmingRemoteId: String, $armAndLock: Boolean) { xSArmPanel(numinst: $numinst, request: $request, panel: $panel, currentStatus: $currentStatus, suid: $suid, forceArmingRemoteId: $forceArmingRemoteId, armAndLock: $armAndLock) { res msg referenceId } }",
    "ArmStatus": "query ArmStatus($numinst: String!, $request: ArmCodeRequest, $panel: String!, $referenceId: String!, $counter: Int!, $forceArmingRemoteId: String, $armAndLock: Boolean) { xSArmStatus(numinst: $numinst, panel: $panel, referenceId: $referenceId, counter: $counter, request: $request, forceArmingRemoteId: $forceArmingRemoteId, armAndLock: $armAndLock) { res msg status protomResponse protomResponseDate numinst requestId error { code type allowForcing exceptionsNumber referenceId suid } } }",
    "xSDisarmPanel": "mutation xSDisarmPanel($numinst: String!, $request: DisarmCodeRequest!, $panel: String!) { xSDisarmPanel(numinst: $numinst, request: $request, panel: $panel) { res msg referenceId } }",
    "DisarmStatus": "query DisarmStatus($numinst: String!, $panel: String!, $referenceId: String!, $counter: Int!, $request: DisarmCodeRequest) { xSDisarmStatus(numinst: $numinst, panel: $panel, referenceId: $referenceId, counter: $counter, request: $request) { res msg status protomResponse protomResponseDate numinst requestId error { code type allowForcing exceptionsNumber referenceId } } }",
    "xSGetExceptions": "query xSGetExceptions($numinst: String!, $panel: String!, $referenceId: String!, $counter: Int!, $suid: String) { xSGetExceptions(numinst: $numinst, panel: $panel, referenceId: $referenceId, counter: $counter, suid: $suid) { res msg exceptions { status deviceType alias } } }",
    "ActV2Timeline": "query ActV2Timeline($numinst: String!, $panel: String, $numRows: Int, $offset: Int, $timeFilter: TimeFilter!) { xSActV2(numinst: $numinst, input: {timeFilter: $timeFilter, numRows: $numRows, offset: $offset, panel: $panel, hasLocksmithRequested: false, singleActivityFilter: [0]}) { reg { alias type device source idSignal schedulerType myVerisureUser time img incidenceId signalType interface deviceName keyname tagId userAuth exceptions { status deviceType alias } mediaPlatform { serialNumber mediaId } } } }",
    "xSDeviceList": "query xSDeviceList($numinst: String!, $panel: String!) { xSDeviceList(numinst: $numinst, panel: $panel) { res devices { id code zoneId name type isActive serialNumber } } }",
    "RequestImages": "mutation RequestImages($numinst: String!, $panel: String!, $devices: [Int]!, $mediaType: Int, $resolution: Int, $deviceType: Int) { xSRequestImages(numinst: $numinst, panel: $panel, devices: $devices, mediaType: $mediaType, resolution: $resolution, deviceType: $deviceType) { res msg referenceId } }",
    "RequestImagesStatus": "query RequestImagesStatus($numinst: String!, $panel: String!, $devices: [Int!]!, $referenceId: String!, $counter: Int) { xSRequestImagesStatus(numinst: $numinst, panel: $panel, devices: $devices, referenceId: $referenceId, counter: $counter) { res msg numinst status } }",
    "mkGetThumbnail": "query mkGetThumbnail($numinst: String!, $panel: String!, $device: String, $zoneId: String, $idSignal: String) { xSGetThumbnail(numinst: $numinst, device: $device, panel: $panel, zoneId: $zoneId, idSignal: $idSignal) { idSignal deviceId deviceCode deviceAlias timestamp signalType image type quality } }",
    "mkGetPhotoImages": "query mkGetPhotoImages($numinst: String!, $idSignal: String!, $signalType: String!, $panel: String!) { xSGetPhotoImages(numinst: $numinst, idsignal: $idSignal, signaltype: $signalType, panel: $panel) { devices { id idSignal code name quality images { id image type } } } }",
}


@dataclass(frozen=True, slots=True)
class Pacing:
    """Timing rules (§9). Tests shrink them; the defaults are the vendor-friendly ones."""

    min_gap: float = 2.0
    """Seconds between any two requests."""
    poll_interval: float = 2.0
    """Seconds between polls of a two-step operation."""
    poll_timeout: float = 120.0
    """Give up waiting for the panel after this long: the outcome is then unknown."""
    photo_interval: float = 5.0
    photo_timeout: float = 90.0
    renew_margin: float = 60.0
    """Renew the auth hash / capabilities this long before they lapse."""
    operation_margin: float = 180.0
    """Before a panel operation, renew if less than this remains (a 120 s poll must not cross `exp`)."""
    firewall_backoff: float = 900.0
    """After the web firewall's block page, send nothing for this long."""
    busy_wait: float = 90.0
    photo_busy_wait: float = 300.0


# No connection could be made: the request certainly did not leave this machine.
ServerUnreachable = NotSent

MYPAGES_COUNTRIES = frozenset({"SE", "NO", "DK", "FI", "BE", "NL"})
"""Verisure's countries served by My Pages, not by this API (securitas-owa.md §1.1 has no host for them;
verisure-mypages.md): a login configured for one of them is almost surely the wrong kind."""
MYPAGES_ACCOUNT_HINT = (
    "This looks like a Verisure My Pages account: try kind = \"mypages\" (see 'Which kind am I?' in the README)."
)
WHICH_KIND_HINT = (
    "Check the username and password for this provider in the config file. A Verisure account of Sweden, Norway, "
    'Denmark, Finland, Belgium or the Netherlands (the "Verisure" app, mypages.verisure.com) is kind = "mypages" '
    "(see 'Which kind am I?' in the README)."
)


class AccountBlocked(AuthenticationFailed):
    hint = "Reset the password on the Securitas Direct / Verisure customer website, then update the config."


class WrongOneTimeCode(TwoFactorRequired):
    hint = "Send a new code to one of the phones and type it."


class GraphQLFailure(ProviderError):
    """A GraphQL error reply not handled by the transport itself; `error` has the details."""

    def __init__(self, message: str, error: GraphQLError, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.error = error


def operation_id(user: str, now: datetime | None = None) -> str:
    """The `id` of the auth header (§1.4): date parts concatenated without zero padding."""
    now = now or datetime.now()
    stamp = f"{now.year}{now.month}{now.day}{now.hour}{now.minute}{now.microsecond}"
    return f"OWA_______________{user}_______________{stamp}"


class OwaClient:
    """One account on one OWA endpoint."""

    def __init__(
        self,
        config: SecuritasConfig,
        counter: RequestCounter,
        store: TokenStore,
        *,
        pacing: Pacing | None = None,
        http_timeout_s: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        gate: LoginGate | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self.pacing = pacing or Pacing()
        self.counter = counter
        self._store = store
        self._clock = clock
        self._http_timeout = http_timeout_s
        self._http: httpx.AsyncClient | None = None
        self.url = config.url.rstrip("/") + GRAPHQL_PATH
        self._password = config.password.get_secret_value()
        register_secrets(self._password)
        self._apollo_id = new_operation_id()
        self._state: AccountState | None = None
        self._hash = ""
        self._hash_deadline = 0.0
        self._login_timestamp = 0
        self.gate = gate or LoginGate(self._renew_locked, provider=self.name, clock=clock)
        """Renewals (refresh, else password) one at a time, and the login budget after a refused password."""
        self._send_lock = asyncio.Lock()
        self._last_sent = -1e18
        self._blocked_until = 0.0
        self._otp_hash = ""
        self._phones: tuple[tuple[str, str], ...] = ()
        self._two_factor: TwoFactorRequired | None = None
        # installation scope
        self.numinst = ""
        self.panel = ""
        self._capabilities = ""
        self._capabilities_deadline = 0.0
        self.capability_codes: tuple[str, ...] = ()
        self.services: parse.Services | None = None
        self._last_photo = -1e18
        self.operations: dict[str, int] = {}
        """operationName -> requests sent (for the cost figures and tests)."""
        self._status_overrides: dict[int, StatusErrorFactory] = {
            403: self._forbidden,
            409: lambda reply, what, provider: self._busy(what),
            429: lambda reply, what, provider: RateLimited(
                f"too many requests ({what.removeprefix('sending ')})",
                retry_after=reply.retry_after,
                provider=provider,
                vendor_code="429",
            ),
        }
        """This vendor's entries in the shared status→error table (`http.error_for_status`)."""

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> AccountState:
        if self._state is None:
            loaded = self._store.load()
            assert loaded is not None
            self._state = loaded
        return self._state

    def _adopt_stored_token(self) -> None:
        """Another process (`alarmtui login`, a cron command) may have rotated the refresh token: use the newest."""
        stored = self._store.load(create=False)
        if stored is None or stored.device != self.state.device or not stored.refresh_token:
            return
        if stored.refresh_token != self.state.refresh_token:
            self.state.refresh_token = stored.refresh_token
            self._two_factor = None  # validated elsewhere meanwhile

    @property
    def has_hash(self) -> bool:
        return bool(self._hash)

    def _save_refresh_token(self, token: str) -> None:
        if token and token != self.state.refresh_token:
            self.state.refresh_token = token
            self._store.save(self.state)  # at once: the previous one is already dead (§2.3)

    def _drop_refresh_token(self) -> None:
        if self.state.refresh_token:
            self.state.refresh_token = ""
            self._store.save(self.state)

    def _take_hash(self, token: str) -> None:
        try:
            _, lifetime = parse.jwt_expiry(token)
        except ProtocolError:
            lifetime = 900.0  # not a JWT we can read: assume the documented 15 minutes
        self._hash = token
        self._hash_deadline = self._clock() + lifetime
        self._login_timestamp = int(time.time() * 1000)

    def forget_session(self, used: str | None = None) -> None:
        """Drop the session (the server refused it); `used`: only if it is still the one a request used."""
        if used is not None and used != self._hash:
            return  # another caller renewed meanwhile: keep the new session
        self._hash = ""
        self._hash_deadline = 0.0
        self._capabilities = ""
        self._capabilities_deadline = 0.0
        self.gate.invalidate()

    # ------------------------------------------------------------------ HTTP

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = make_client(self.config, self.counter, timeout=http_timeout(self._http_timeout))
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _auth_header(self, operation: str) -> str | None:
        base = {
            "loginTimestamp": self._login_timestamp,
            "user": self.config.username,
            "id": operation_id(self.config.username),
            "country": self.config.country,
            "lang": self.config.lang,
            "callby": CALLBY,
        }
        if operation in PRE_AUTH_OPERATIONS:
            return json.dumps({**base, "loginTimestamp": 0, "hash": "", "refreshToken": ""})
        if not self._hash:
            return None
        return json.dumps({**base, "hash": self._hash})

    def _headers(self, operation: str, security: dict[str, str] | None) -> dict[str, str]:
        headers = {
            "content-type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "app": json.dumps({"appVersion": APP_VERSION, "origin": "native"}),
            "extension": '{"mode":"full"}',
            "X-APOLLO-OPERATION-ID": self._apollo_id,
            "X-APOLLO-OPERATION-NAME": operation,
        }
        auth = self._auth_header(operation)
        if auth is not None:
            headers["auth"] = auth
        if operation not in ACCOUNT_OPERATIONS and self.numinst:
            headers["numinst"] = self.numinst
            headers["panel"] = self.panel
            if self._capabilities:
                headers["X-Capabilities"] = self._capabilities
        if security is not None:
            headers["security"] = json.dumps(security)
        return headers

    async def _pace(self) -> None:
        wait = self._last_sent + self.pacing.min_gap - self._clock()
        if wait > 0:
            await asyncio.sleep(wait)

    async def send(
        self, operation: str, variables: dict[str, Any] | None, *, security: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """One request; returns the decoded body. HTTP-level failures raise typed errors."""
        if self._clock() < self._blocked_until:
            left = self._blocked_until - self._clock()
            raise RateLimited(
                f"the vendor's web firewall blocked this address; not sending anything for {left:.0f} s more",
                retry_after=left,
                provider=self.name,
            )
        body: dict[str, Any] = {"operationName": operation, "query": Q[operation]}
        if variables is not None:  # mkInstallationList is sent without a variables key (§1.2)
            body["variables"] = variables
        what = f"sending {operation}"
        async with self._send_lock:
            await self._pace()
            client = self._client()
            request = client.build_request("POST", self.url, json=body, headers=self._headers(operation, security))
            self.operations[operation] = self.operations.get(operation, 0) + 1
            try:
                reply = await fetch(client, request, provider=self.name, what=what, limit=MAX_REPLY_BYTES)
            finally:
                self._last_sent = self._clock()
        error = error_for_status(reply, provider=self.name, what=what, overrides=self._status_overrides)
        if error is not None:
            raise error
        decoded = await decode_json_async(reply.body, what=operation, provider=self.name)
        if not isinstance(decoded, dict):
            raise ProtocolError(f"reply to {operation} is not a JSON object", provider=self.name)
        return decoded

    def _forbidden(self, reply: HttpReply, what: str, provider: str) -> ProviderError:
        """HTTP 403: the Incapsula web firewall's block page (back off for long), else a plain refusal."""
        snippet = reply.body[:65536]
        if b"Incapsula" in snippet:
            self._blocked_until = self._clock() + self.pacing.firewall_backoff
            return RateLimited(
                "the vendor's web firewall blocked this address (too many requests); "
                f"waiting {self.pacing.firewall_backoff / 60:.0f} min before trying again",
                retry_after=self.pacing.firewall_backoff,
                provider=provider,
                vendor_code="403",
                hint="Use a longer poll interval; the block also affects the official app on this network.",
            )
        wait = reply.retry_after or 60.0
        return RateLimited(
            f"the server refused the request with HTTP 403 while {what}", retry_after=wait, provider=provider, vendor_code="403"
        )

    def _busy(self, operation: str) -> PanelBusy:
        photo = self._clock() - self._last_photo < self.pacing.photo_busy_wait
        wait = self.pacing.photo_busy_wait if photo else self.pacing.busy_wait
        exc = PanelBusy(
            f"the alarm is busy with another request; wait {wait:.0f} s before the next one",
            provider=self.name,
            vendor_code="60062",
        )
        exc.retry_after = wait  # type: ignore[attr-defined]
        return exc

    def error_for(self, operation: str, error: GraphQLError) -> ProviderError:
        """The typed error a GraphQL error reply means (session expiry is handled by `call`).

        Vendor codes first (`VENDOR_ERRORS`), then the reply's shape.
        """
        message = error.message or error.name or "no message"
        code = error.err or (str(error.status) if error.status else None)
        special = VENDOR_ERRORS.get(error.err)
        if special is not None:
            return special(self, operation, message)
        if error.is_busy:
            return self._busy(operation)
        if error.is_session_expired:
            return SessionExpired(f"session expired ({message})", provider=self.name, vendor_code=code)
        if error.is_server_error:
            return ConnectionFailed(f"the server failed on {operation} ({message})", provider=self.name, vendor_code=code)
        if operation in ARM_OPERATIONS and error.is_not_accepted:
            return NotSupported(f"the panel does not accept this command ({message})", provider=self.name, vendor_code=code)
        if operation in COMMAND_OPERATIONS:
            return CommandRejected(message, provider=self.name, vendor_code=code)
        return GraphQLFailure(f"{operation} failed: {message}", error, provider=self.name, vendor_code=code)

    # ------------------------------------------------------------------ calls

    async def call(
        self, operation: str, variables: dict[str, Any] | None = None, *, margin: float | None = None, retry_expired: bool = True
    ) -> Any:
        """An authenticated operation: renews what needs renewing, retries once after session expiry.

        Commands pass `retry_expired=False`: the server refused the expired session
        before acting, and a command is sent once — the person asks again.
        """
        if not retry_expired:
            return await self._call_once(operation, variables, margin, command=True)
        return await self.gate.call(lambda: self._call_once(operation, variables, margin))

    async def _call_once(
        self, operation: str, variables: dict[str, Any] | None, margin: float | None, *, command: bool = False
    ) -> Any:
        await self.ensure_session(margin)
        if operation not in ACCOUNT_OPERATIONS:
            await self.ensure_capabilities()
        used = self._hash
        body = await self.send(operation, variables)
        error = parse.parse_error(body, parse.ROOT_FIELD[operation])
        if error is None:
            return parse.root_of(body, operation)
        if error.is_session_expired and not error.is_blocked:
            self.forget_session(used)  # the next request renews first (the gate: once for everyone)
            if command:
                raise SessionExpired(
                    f"the session had expired, so the server refused {operation} (nothing was done)", provider=self.name
                )
            raise SessionExpired(f"session expired ({error.message or error.name})", provider=self.name)
        raise self.error_for(operation, error)

    async def ensure_session(self, margin: float | None = None) -> None:
        """A session with at least `margin` seconds left (renewed through the gate otherwise)."""
        margin = self.pacing.renew_margin if margin is None else margin
        generation = self.gate.generation
        if self._hash and self.gate.logged_in and self._hash_deadline - self._clock() > margin:
            return
        if not self.gate.logged_in:
            self.forget_session()
        # A session about to lapse counts as failed: the first caller renews, the others use its result.
        await self.gate.relogin(generation)

    def allow_login(self) -> None:
        """The user asked (r, `alarmtui login`, a config change): a refused password may be tried again now."""
        self.gate.allow_login()

    async def _renew_locked(self) -> None:
        """The gate's login: refresh (else log in with the password). Runs under the gate's lock."""
        self._adopt_stored_token()
        if self.state.refresh_token:
            try:
                await self._refresh()
                return
            except _DeadRefreshToken:
                log.info("%s: refresh token refused; logging in with the password", self.name)
                self._drop_refresh_token()
        await self._password_login()

    async def _refresh(self) -> None:
        variables = {"refreshToken": self.state.refresh_token, **self._login_variables()}
        body = await self.send("RefreshLogin", variables)
        error = parse.parse_error(body, "xSRefreshLogin")
        if error is not None:
            if error.is_dead_refresh or error.is_blocked:
                if error.is_blocked:
                    raise self.error_for("RefreshLogin", error)
                raise _DeadRefreshToken()
            if error.is_busy or error.is_server_error or "Cannot read properties" in error.message:
                raise ConnectionFailed(f"token renewal failed on the server ({error.message})", provider=self.name)
            if error.status in (401, 403) or error.res == "ERROR":
                raise _DeadRefreshToken()
            raise ConnectionFailed(f"token renewal failed ({error.message or error.name})", provider=self.name)
        reply = parse.parse_login(parse.root_of(body, "RefreshLogin"))
        if reply.refresh_token:
            self._save_refresh_token(reply.refresh_token)
        if reply.res != "OK" or not reply.hash:
            if reply.need_device_authorization:
                raise _DeadRefreshToken()
            raise ConnectionFailed(f"token renewal gave no session ({reply.msg or reply.res})", provider=self.name)
        self._take_hash(reply.hash)

    def _login_variables(self) -> dict[str, str]:
        device = self.state.device
        return {
            "id": operation_id(self.config.username),
            "country": self.config.country,
            "lang": self.config.lang,
            "callby": CALLBY,
            "idDevice": device.id_device,
            "idDeviceIndigitall": device.id_device_indigitall,
            "deviceType": "",
            "deviceVersion": APP_VERSION,
            "deviceResolution": "",
            "deviceName": DEVICE["deviceName"],
            "deviceBrand": DEVICE["deviceBrand"],
            "deviceOsVersion": DEVICE["deviceOsVersion"],
            "uuid": device.uuid,
        }

    def _device_variables(self) -> dict[str, str]:
        device = self.state.device
        return {
            "idDevice": device.id_device,
            "idDeviceIndigitall": device.id_device_indigitall,
            "uuid": device.uuid,
            **DEVICE,
        }

    async def _password_login(self) -> None:
        """`mkLoginToken`. Only through the gate, whose budget stops a refused password from being sent again."""
        if self._two_factor is not None:
            raise self._two_factor  # waiting for the person to type the code: nothing to send
        if not self._password:
            raise AuthenticationFailed("no password configured", provider=self.name)
        variables = {"user": self.config.username, "password": self._password, **self._login_variables()}
        my_pages_country = self.config.country.upper() in MYPAGES_COUNTRIES
        try:
            body = await self.send("mkLoginToken", variables)
        except ConnectionFailed as exc:
            if my_pages_country:  # customers.securitasdirect.SE … serve nothing: the account is My Pages'
                exc.hint = MYPAGES_ACCOUNT_HINT  # type: ignore[misc]
            raise
        refused_hint = MYPAGES_ACCOUNT_HINT if my_pages_country else WHICH_KIND_HINT
        error = parse.parse_error(body, "xSLoginToken")
        if error is not None:
            if error.is_blocked or error.is_busy or error.is_server_error:
                raise self.error_for("mkLoginToken", error)
            raise AuthenticationFailed(
                f"login refused: {error.message or 'wrong user or password'}",
                provider=self.name,
                vendor_code=error.err or None,
                hint=refused_hint,
            )
        reply = parse.parse_login(parse.root_of(body, "mkLoginToken"))
        if reply.need_device_authorization:
            await self.start_two_factor()
        if reply.res != "OK" or not reply.hash:
            raise AuthenticationFailed(
                f"login refused: {reply.msg or reply.res or 'no session'}", provider=self.name, hint=refused_hint
            )
        self._take_hash(reply.hash)
        if reply.refresh_token:
            self._save_refresh_token(reply.refresh_token)

    # ------------------------------------------------------------------ two-factor device validation (§2.2)

    async def start_two_factor(self, message: str = "") -> None:
        """Ask for a challenge (phones + OTP hash) and raise `TwoFactorRequired` with the phones."""
        body = await self.send("mkValidateDevice", self._device_variables())
        error = parse.parse_error(body, "xSValidateDevice")
        if error is None:
            # Validated without a code (the server already trusts this device).
            self._finish_validation(parse.parse_login(parse.root_of(body, "mkValidateDevice")))
            return
        if not error.is_otp_challenge or not error.otp_hash:
            raise self.error_for("mkValidateDevice", error)
        self._otp_hash = error.otp_hash
        self._phones = error.phones
        exc_type = WrongOneTimeCode if message else TwoFactorRequired
        self._two_factor = exc_type(
            message or "two-factor verification needed for this device",
            phones=error.phones,
            provider=self.name,
            hint=f"Type the SMS code in the dialog, or run `alarmtui login {self.name}`.",
        )
        raise self._two_factor

    @property
    def phones(self) -> tuple[tuple[str, str], ...]:
        return self._phones

    async def send_code(self, phone_id: str) -> str:
        """`mkSendOTP`: the server texts a code to the chosen phone. Returns the server's message."""
        if not self._otp_hash:
            try:
                await self.start_two_factor()
            except TwoFactorRequired:
                pass
            if not self._otp_hash:
                return ""
        try:
            record = int(phone_id)
        except ValueError:
            raise CommandRejected(f"no phone {phone_id!r}", provider=self.name) from None
        body = await self.send("mkSendOTP", {"recordId": record, "otpHash": self._otp_hash})
        error = parse.parse_error(body, "xSSendOtp")
        if error is not None:
            if error.auth_code == "10002":
                self._otp_hash = ""
                await self.start_two_factor("the verification expired; send a new code")
            raise self.error_for("mkSendOTP", error)
        reply = parse.require_mapping(parse.root_of(body, "mkSendOTP"), "xSSendOtp")
        if parse.text(reply.get("res")) != "OK":
            raise CommandRejected(f"the code could not be sent ({parse.text(reply.get('msg'))})", provider=self.name)
        return parse.text(reply.get("msg"))

    async def validate_code(self, code: str) -> None:
        """`mkValidateDevice` with the typed code; on success the device is trusted from now on."""
        code = code.strip()
        if not self._otp_hash:
            await self.start_two_factor()
        security = {"token": code, "type": "OTP", "otpHash": self._otp_hash}
        body = await self.send("mkValidateDevice", self._device_variables(), security=security)
        self._otp_hash = ""  # the (hash, code) pair is never replayed (§2.2)
        error = parse.parse_error(body, "xSValidateDevice")
        if error is not None:
            if error.auth_code == "10002":
                await self.start_two_factor("the code expired; send a new one")
            if error.is_otp_challenge and error.otp_hash:
                self._otp_hash = error.otp_hash
                self._phones = error.phones or self._phones
                self._two_factor = WrongOneTimeCode("wrong code; send a new one", phones=self._phones, provider=self.name)
                raise self._two_factor
            raise self.error_for("mkValidateDevice", error)
        self._finish_validation(parse.parse_login(parse.root_of(body, "mkValidateDevice")))
        if not self._hash:  # MFA may succeed without a token (§2.2): log in now, as the person asked
            self.gate.allow_login()
            await self.gate.relogin(self.gate.generation)

    def _finish_validation(self, reply: parse.LoginReply) -> None:
        self._two_factor = None
        self._otp_hash = ""
        if reply.refresh_token:
            self._save_refresh_token(reply.refresh_token)
        if reply.hash:
            self._take_hash(reply.hash)
            self.gate.adopt()  # the validation's session is the gate's session

    # ------------------------------------------------------------------ installation scope (§3)

    async def installations(self) -> list[parse.Installation]:
        return parse.parse_installations(await self.call("mkInstallationList"))

    def select(self, installation: parse.Installation) -> None:
        if installation.numinst != self.numinst:
            self._capabilities = ""
            self._capabilities_deadline = 0.0
        self.numinst = installation.numinst
        self.panel = installation.panel or self.panel or "SDVFAST"

    async def ensure_capabilities(self) -> None:
        if self._capabilities and self._capabilities_deadline - self._clock() > self.pacing.renew_margin:
            return
        await self._load_services_once()

    async def load_services(self) -> parse.Services:
        """`Srv`: the installation's services and its capabilities token (one re-login on expiry)."""
        return await self.gate.call(self._load_services_once)

    async def _load_services_once(self) -> parse.Services:
        await self.ensure_session()
        used = self._hash
        body = await self.send("Srv", {"numinst": self.numinst, "uuid": self.state.device.uuid})
        error = parse.parse_error(body, "xSSrv")
        if error is not None:
            if error.is_session_expired and not error.is_blocked:
                self.forget_session(used)
                raise SessionExpired(f"session expired ({error.message or error.name})", provider=self.name)
            raise self.error_for("Srv", error)
        services = parse.parse_services(parse.root_of(body, "Srv"))
        self.services = services
        if services.capabilities:
            self._capabilities = services.capabilities
            try:
                _, lifetime = parse.jwt_expiry(services.capabilities)
                self.capability_codes = parse.capability_list(services.capabilities, self.numinst)
            except ProtocolError:
                lifetime, self.capability_codes = 900.0, ()
            self._capabilities_deadline = self._clock() + lifetime
        if services.panel:
            self.panel = services.panel
        return services

    def note_photo(self) -> None:
        self._last_photo = self._clock()

    async def logout(self) -> None:
        if self._hash:
            try:
                await self.send("Logout", {})
            finally:
                self.forget_session()


COMMAND_OPERATIONS = frozenset({"xSArmPanel", "xSDisarmPanel", "RequestImages"})
"""The submits that carry a command: a GraphQL error there is the panel's refusal."""
ARM_OPERATIONS = frozenset({"xSArmPanel", "xSDisarmPanel"})


def _blocked(client: OwaClient, operation: str, message: str) -> ProviderError:
    return AccountBlocked(f"the account is blocked after failed logins ({message})", provider=client.name, vendor_code="60052")


def _busy(client: OwaClient, operation: str, message: str) -> ProviderError:
    return client._busy(operation)


def _no_rights(client: OwaClient, operation: str, message: str) -> ProviderError:
    return NotSupported(f"this installation's rights do not allow {operation} ({message})", provider=client.name, vendor_code="6")


VENDOR_ERRORS: dict[str, Callable[[OwaClient, str, str], ProviderError]] = {
    "60052": _blocked,  # account blocked (three refused passwords)
    "60062": _busy,  # "already processing a request, wait 90 s" (5 min after a photo)
    "11": _busy,  # alarm-manager.alarm_process_error with 409
    "6": _no_rights,  # "Unauthorized request for current capabilities"
}
"""Vendor error codes (`errors[0].data.err`, §8) that mean one thing whatever the operation."""


class _DeadRefreshToken(Exception):
    """The server refused the refresh token for good (60067): log in with the password."""
