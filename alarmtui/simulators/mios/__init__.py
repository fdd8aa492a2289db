"""The MiOS "MMS" cloud in front of a simulated Vera with an alarm-panel plugin.

What is served (one aiohttp app; see `MiosCloud`):

* autha  `GET /autha/auth/username/<user>?SHA1Password=..&PK_Oem=..[&TokenVersion=2]`
  -> base64 Identity JSON + an RSA-2048/SHA-512 signature over the base64 text
  (as MiOS's own token check does), plus `Server_Account(_Alt)` / `Server_Event(_Alt)`.
  Unknown user (or another OEM) -> 404; wrong password -> 403 "Forbidden: wrong password"
  (MiOS's own answer is undocumented; ours is at least unambiguous).
* info   `GET /info/session/token` (MMSAuth + MMSAuthSig) -> 38 hex chars, bound to
  the server it was minted on; `MMSSession: <token>` afterwards. 401 bodies are
  `MMSAuth error="invalid session" | "invalid signature" | "expired token" | "invalid token"`.
* account `/account/account/account/<PK_Account>[/devices]`, locator
  `/locator/locator/locator`, device `/device/device/device/<PK_Device>[/status]`.
* event   `/event/event/events` (Gateway/Camera/User/Type/Device/Format/Count/Start/
  Before/After/Severity/Unread/Sort) with an EventType 4 record for every luup variable
  change and EventType 1 records for every camera image (stored in the storage module).
* storage `/storage/storage/store/<PK_Store>[/archive|/thumbnail]?Key=..` (real JPEGs).
* relay   `/relay/relay/relay/device/<PK_Device>[/session/<token>]/port_3480/data_request?id=..`
  tunnelling a Vera's luup API: alive, sdata/lu_sdata (long poll), status, user_data,
  action (RequestArmMode, RequestQuickArmMode, RequestPanicMode, SetArmed),
  jobstatus, variableget/variableset, request_image, archive_video.
  `ERROR:Tunnel not found` (HTTP 500) while the Vera is offline.
* LAN face: the first Vera's own luup port (`/data_request?id=..`, also `/port_3480/data_request`)
  on a separate plain-HTTP port with no account, as a Vera serves it on a LAN (`extra_faces()`;
  `SimHost` serves it and records its URL as `urls["vera"]`). The same panel as through the relay;
  while the panel is "offline" the panel device reports `CommFailure` 1 there.

Hosts. Real MiOS spreads these modules over many hosts (autha, account, device,
relay, event, storage). Here everything is served by one server, but each
`Server_*` value names a *virtual server* as `host:port/<server-name>`
(e.g. `127.0.0.1:8443/vera-us-oem-relay11`): a client that does what real clients
do, `https://<Server_X>/info/session/token`, lands on a path prefix, and the
session token it gets is bound to that virtual server exactly as a real token is
bound to its host. Requests without a prefix are the auth server (the configured
URL), which also serves every module for lenient clients. `MiosCloud(bare_hosts=True)`
returns plain `host:port` values instead (then all servers share one session scope).

Inferred, not documented by MiOS: the permission numbers (41 = device whitelist is from
MiOS's own token check; the others are ours) and the exact event record layout.
"""

from alarmtui.simulators.luup import AP2, SS1, VeraUnit
from alarmtui.simulators.mios.cloud import PASSWORD_SEED, PERMISSIONS, SERVER_NAMES, MiosCloud, sha1_password, signing_key

__all__ = ["AP2", "PASSWORD_SEED", "PERMISSIONS", "SERVER_NAMES", "SS1", "MiosCloud", "VeraUnit", "sha1_password", "signing_key"]
