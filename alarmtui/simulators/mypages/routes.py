"""The HTTP face of the simulated My Pages cloud (one per host; both share the cloud's state).

REST auth endpoints with the real cookie names and lifetimes, the batched
`/graphql` dispatch on root fields, self-authorising media URLs, the request
ceilings (429 / 403 `AUT_00021`) and the Content-Type rule (missing or JSON is
fine, anything else 415 `VAL_00566`). Every success answers exactly 200 (§1.1).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from typing import Any

from aiohttp import web

from alarmtui.simulators.mypages.cloud import (
    GraphQLError,
    HttpFault,
    MyPagesCloud,
    StepUp,
    new_code,
    trust_cookie_name,
)
from alarmtui.simulators.mypages.render import Document, DocumentError, iso, parse_document, project
from alarmtui.simulators.panel import Mode, SimError

log = logging.getLogger(__name__)


def build_app(cloud: MyPagesCloud, host: str) -> web.Application:
    face = _Face(cloud, host)
    app = web.Application(
        client_max_size=1024 * 1024,
        middlewares=[cloud.faults.middleware, cloud.host_faults[host].middleware, face.guard],
    )
    app.router.add_post("/auth/login", face.login)
    app.router.add_post("/auth/mfa", face.request_mfa)
    app.router.add_post("/auth/mfa/validate", face.validate_mfa)
    app.router.add_post("/auth/trust", face.trust)
    app.router.add_delete("/auth/trust/{value}", face.untrust)
    app.router.add_delete("/auth/logout", face.logout)
    app.router.add_get("/auth/token", face.renew)
    app.router.add_post("/graphql", face.graphql)
    app.router.add_get("/media/{token}.jpg", face.media)
    return app


def _fault_response(fault: HttpFault) -> web.Response:
    return web.json_response(fault.body, status=fault.status)


class _Face:
    def __init__(self, cloud: MyPagesCloud, host: str) -> None:
        self.cloud = cloud
        self.host = host

    # ------------------------------------------------------------------ every request

    @web.middleware
    async def guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        cloud = self.cloud
        cloud.requests_seen.append((self.host, request.path, dict(request.headers)))
        if len(cloud.requests_seen) > 3000:
            del cloud.requests_seen[:1000]
        if request.path.startswith("/media/"):
            return await handler(request)  # cookie-less image downloads: not counted [I]
        content_type = request.headers.get("Content-Type", "")
        if content_type and not content_type.lower().startswith("application/json"):
            return _fault_response(HttpFault(415, "VAL_00566", "Invalid or non-existing value for media type"))
        try:
            self._count()
            return await handler(request)
        except HttpFault as fault:
            return _fault_response(fault)

    def _count(self) -> None:
        cloud = self.cloud
        now = cloud.clock()
        if now - cloud.day_started >= 86400:
            cloud.day_started, cloud.day_count, cloud.blocked = now, 0, False
        if cloud.blocked:
            raise HttpFault(403, "AUT_00021", f"User '{cloud.username}' blocked", "FORBIDDEN")
        cloud.day_count += 1
        if cloud.per_day is not None and cloud.day_count > cloud.per_day:
            cloud.blocked = True
            log.warning("mypages sim: %s exceeded the daily limit and is blocked", cloud.username)
            raise HttpFault(403, "AUT_00021", f"User '{cloud.username}' blocked", "FORBIDDEN")
        cloud.request_times = [t for t in cloud.request_times if now - t < 60.0]
        cloud.request_times.append(now)
        if cloud.per_minute is not None and len(cloud.request_times) > cloud.per_minute:
            raise HttpFault(429, "AUT_00021", "Request limit has been reached", "TOO_MANY_REQUESTS")

    def _cookie(self, response: web.Response, name: str, value: str, max_age: float, path: str = "/") -> None:
        response.set_cookie(name, value, max_age=int(max_age), path=path, secure=False, httponly=True)

    def _session_cookies(self, response: web.Response, email: str, vid: str | None = None) -> None:
        cloud = self.cloud
        access = cloud.access.new(email)
        refresh = cloud.refresh.new(email)
        self._cookie(response, "vid", vid or secrets.token_hex(16), cloud.refresh.ttl or 0)  # type: ignore[arg-type]
        self._cookie(response, "vs-access", access, cloud.access_lifetime)
        self._cookie(response, "vs-refresh", refresh, cloud.refresh.ttl or 0)  # type: ignore[arg-type]

    def _session(self, request: web.Request) -> str:
        email = self.cloud.access.valid(request.cookies.get("vs-access", ""))
        if email is None:
            raise HttpFault(401, "AUT_00011", "Invalid session cookie", "UNAUTHORIZED")
        return email

    # ------------------------------------------------------------------ auth

    async def login(self, request: web.Request) -> web.StreamResponse:
        cloud = self.cloud
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            raise HttpFault(401, "AUT_00003", "No username/password provided", "UNAUTHORIZED")
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise HttpFault(401, "AUT_00003", "No username/password provided", "UNAUTHORIZED") from None
        if user.lower() != cloud.username.lower() or password != cloud.password:
            raise HttpFault(401, "AUT_00001", "Username/password does not match any valid login", "UNAUTHORIZED")
        if any(name.startswith("vs-access") or name == "vs-refresh" for name in request.cookies):
            raise HttpFault(401, "AUT_00041", "Cannot use both basic authentication and cookie authentication", "UNAUTHORIZED")
        trusted = cloud.trust.valid(request.cookies.get(trust_cookie_name(cloud.username), "")) is not None
        response = web.json_response({})
        if cloud.mfa and not trusted:
            token = cloud.step_ups.new(StepUp(cloud.username))
            response = web.json_response({"stepUpToken": token})
            self._cookie(response, "vid", "no_vid_cookie", 600, path="/auth")
            self._cookie(response, "vs-stepup", token, 600, path="/auth")
            return response
        self._session_cookies(response, cloud.username)
        return response

    def _step_up(self, request: web.Request) -> tuple[str, StepUp]:
        token = request.cookies.get("vs-stepup", "")
        step = self.cloud.step_ups.valid(token)
        if step is None:
            raise HttpFault(401, "AUT_00011", "Invalid session cookie", "UNAUTHORIZED")
        return token, step

    async def request_mfa(self, request: web.Request) -> web.StreamResponse:
        cloud = self.cloud
        _, step = self._step_up(request)
        now = cloud.clock()
        cloud.code_sends = [t for t in cloud.code_sends if now - t < 3600]
        if len(cloud.code_sends) >= cloud.max_code_sends:
            raise HttpFault(401, "ACC_00002", "Too many step up tokens sent.", "UNAUTHORIZED", tooManyStepUpTokens="true")
        cloud.code_sends.append(now)
        channel = request.query.get("type", "phone")
        step.code = new_code()
        step.sends += 1
        cloud.sent_codes.append(step.code)
        log.info("mypages sim: verification code %s sent by %s", step.code, channel)
        if cloud.on_code is not None:
            cloud.on_code(channel, step.code)
        return web.json_response({})

    async def validate_mfa(self, request: web.Request) -> web.StreamResponse:
        cloud = self.cloud
        token, step = self._step_up(request)
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            body = {}
        typed = body.get("token") if isinstance(body, dict) else None
        if not step.code or typed != step.code:
            step.wrong += 1
            if step.wrong >= 3:
                cloud.step_ups.expire(token)
            raise HttpFault(401, "", "Invalid step-up token", "UNAUTHORIZED")
        cloud.step_ups.expire(token)
        response = web.json_response({})
        self._session_cookies(response, step.email)
        return response

    async def trust(self, request: web.Request) -> web.StreamResponse:
        email = self._session(request)
        value = self.cloud.trust.new(email)
        response = web.json_response({"trustTokenValue": value})
        self._cookie(response, trust_cookie_name(email), value, self.cloud.trust.ttl or 0)  # type: ignore[arg-type]
        return response

    async def untrust(self, request: web.Request) -> web.StreamResponse:
        self._session(request)
        self.cloud.trust.expire(request.match_info["value"])
        return web.json_response({})

    async def logout(self, request: web.Request) -> web.StreamResponse:
        self._session(request)
        self.cloud.access.expire(request.cookies.get("vs-access", ""))
        self.cloud.refresh.expire(request.cookies.get("vs-refresh", ""))
        return web.json_response({})

    async def renew(self, request: web.Request) -> web.StreamResponse:
        cloud = self.cloud
        old = request.cookies.get("vs-refresh", "")
        email = cloud.refresh.valid(old)
        if email is None:
            raise HttpFault(401, "AUT_00011", "Invalid session cookie", "UNAUTHORIZED")
        cloud.refresh.expire(old)  # rotates [I]
        response = web.json_response({})
        self._session_cookies(response, email, request.cookies.get("vid"))
        return response

    async def media(self, request: web.Request) -> web.StreamResponse:
        jpeg = self.cloud.images.get(request.match_info["token"])
        if jpeg is None:
            raise web.HTTPNotFound()
        return web.Response(body=jpeg, content_type="image/jpeg")

    # ------------------------------------------------------------------ GraphQL

    async def graphql(self, request: web.Request) -> web.StreamResponse:
        self._session(request)
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            raise HttpFault(400, "VAL_00001", "Invalid request body") from None
        operations = body if isinstance(body, list) else [body]
        if not operations or not all(isinstance(op, dict) for op in operations):
            raise HttpFault(400, "VAL_00001", "Invalid request body")
        answers = [self._operation(op, request) for op in operations]
        if isinstance(body, list) and len(body) > 1:
            return web.json_response(answers)
        return web.json_response(answers[0])  # a one-element array is answered with the bare object (§3)

    def _operation(self, op: dict[str, Any], request: web.Request) -> dict[str, Any]:
        given = op.get("variables")
        variables: dict[str, Any] = given if isinstance(given, dict) else {}
        try:
            document = parse_document(str(op.get("query") or ""))
        except DocumentError as exc:
            return {"errors": [{"message": f"Syntax Error: {exc}", "data": {"status": 400}}], "data": None}
        try:
            return {"data": self._resolve(document, variables, request)}
        except GraphQLError as exc:
            return {"errors": [exc.error], "data": None}

    def _resolve(self, document: Document, variables: dict[str, Any], request: web.Request) -> dict[str, Any]:
        cloud = self.cloud
        if document.kind == "mutation":
            values = {name: self._mutation(name, variables, request) for name in document.root_names}
        else:
            values = {"account": lambda: self._account(), "installation": lambda: self._installation(variables, request)}
            if variables.get("giid") not in (None, cloud.giid) and "installation" in document.root_names:
                raise GraphQLError(f"Installation {variables.get('giid')} not found", 404)
        return project(values, document.roots)

    def _account(self) -> dict[str, Any]:
        cloud = self.cloud
        installation = {
            "giid": cloud.giid, "alias": cloud.panel.name, "customerType": "PRIVATE", "dealerId": "0", "subsidiary": "SE",
            "pinCodeLength": 4, "locale": "sv_SE",
            "address": {"street": "Storgatan 1", "city": "Uppsala", "postalNumber": "75310", "__typename": "Address"},
            "__typename": "Installation",
        }  # fmt: skip
        return {"installations": [installation], "__typename": "Account"}

    def _installation(self, variables: dict[str, Any], request: web.Request) -> dict[str, Any]:
        cloud = self.cloud
        cloud._advance()
        origin = f"{request.scheme}://{request.host}"
        return {
            "armState": lambda: self._arm_state(),
            "doorWindows": lambda: [
                {
                    "device": {"deviceLabel": z.id, "__typename": "Device"},
                    "type": z.model or "DOOR",
                    "area": z.name,
                    "state": "OPEN" if z.open else "CLOSE",
                    "wired": False,
                    "reportTime": iso(z.last_trip or cloud._boot),
                    "__typename": "DoorWindow",
                }  # fmt: skip
                for z in cloud.contacts()
            ],
            "smartLocks": lambda: [
                {
                    "lockStatus": "LOCKED" if lk.locked else "UNLOCKED",
                    "doorState": "OPEN" if lk.door_open else "CLOSE",
                    "lockMethod": lk.method,
                    "eventTime": iso(lk.time),
                    "doorLockType": lk.lock_type,
                    "secureMode": False,
                    "device": {"deviceLabel": lk.label, "area": lk.area, "__typename": "Device"},
                    "user": {"name": lk.user or None, "__typename": "User"},
                    "__typename": "SmartLock",
                    "configuration": {
                        "autoLockEnabled": False,
                        "voiceLevel": "ESSENTIAL",
                        "volume": "LOW",
                        "__typename": "YaleLockConfiguration",
                    },
                }  # fmt: skip
                for lk in cloud.locks
            ],
            "climates": lambda: [
                {
                    "device": {
                        "deviceLabel": c.label,
                        "area": c.area,
                        "gui": {"label": c.kind, "__typename": "GUI"},
                        "__typename": "Device",
                    },
                    "humidityEnabled": c.humidity is not None,
                    "humidityTimestamp": iso(c.time) if c.humidity is not None else None,
                    "humidityValue": c.humidity,
                    "temperatureTimestamp": iso(c.time),
                    "temperatureValue": c.temperature,
                    "thresholds": [],
                    "__typename": "Climate",
                }  # fmt: skip
                for c in cloud.climates
            ],
            "broadband": lambda: {
                "testDate": iso(cloud.broadband_tested),
                "isBroadbandConnected": not cloud.panel.faults.offline,
                "__typename": "Broadband",
            },
            "cameras": lambda: [
                {
                    "visibleOnCard": True,
                    "initiallyConfigured": True,
                    "imageCaptureAllowed": True,
                    "imageCaptureAllowedByArmstate": True,
                    "device": {"deviceLabel": z.id, "area": z.name, "__typename": "Device"},
                    "latestCameraSeries": {
                        "image": [
                            {
                                "imageId": i["imageId"],
                                "imageStatus": i["imageStatus"],
                                "captureTime": i["captureTime"],
                                "url": f"{origin}/media/{i['token']}.jpg",
                            }
                            for i in cloud.series.get(z.id, [])
                        ]
                    },
                }  # fmt: skip
                for z in cloud.panel.zones.values()
                if z.camera
            ],
            "eventLog": lambda: self._event_log(variables),
            "armStateChangePollResult": lambda: cloud.poll(variables),
            "doorLockStateChangePollResult": lambda: {**cloud.poll(variables), "__typename": "DoorLockStateChangePollResult"},
            "cameraContentProvider": lambda: {
                "captureImageRequestStatus": self._capture_status(variables),
                "latestImage": [],
            },
            "__typename": "Installation",
        }

    def _arm_state(self) -> dict[str, Any]:
        cloud = self.cloud
        part = cloud.partition
        return {
            "type": None,
            "statusType": cloud.status_type(),
            "date": iso(next((e.time for e in reversed(cloud.panel.events) if e.kind in ("arm", "disarm")), cloud._boot)),
            "name": part.last_user or None,
            "changedVia": "CODE",
            "__typename": "ArmState",
            "dryRunStatus": lambda: self._dry_run_status(),
        }

    def _event_log(self, variables: dict[str, Any]) -> dict[str, Any]:
        rows = self.cloud.log_rows()
        categories = variables.get("eventCategories")
        if isinstance(categories, list) and categories:
            rows = [r for r in rows if r["eventCategory"] in categories]
        labels = variables.get("eventDeviceLabels")
        if isinstance(labels, list) and labels:
            rows = [r for r in rows if r["device"] and r["device"]["deviceLabel"] in labels]
        offset = _int(variables.get("offset"), 0)
        size = max(1, min(_int(variables.get("pagesize"), 15), 100))
        return {
            "moreDataAvailable": offset + size < len(rows),
            "pagedList": rows[offset : offset + size],
            "__typename": "EventLog",
        }

    def _capture_status(self, variables: dict[str, Any]) -> dict[str, Any]:
        cloud = self.cloud
        cloud._advance()
        capture = cloud.captures.get(str(variables.get("requestId") or ""))
        if capture is None:
            raise GraphQLError("Invalid request id", 400)
        return {"mediaRequestStatus": "AVAILABLE" if capture.done else "PENDING"}  # PENDING [I]

    def _dry_run_status(self) -> dict[str, Any]:
        violations = [
            {"deviceLabel": z.id, "violation": "DOOR_WINDOW_OPEN", "occurred": iso(z.last_trip), "__typename": "DeviceViolation"}
            for z in self.cloud.contacts()
            if z.open
        ]
        now = iso(self.cloud.wall())
        return {
            "status": {"status": "DONE", "createTime": now, "changeTime": now, "__typename": "DryRunStatus"},
            "result": {"created": now, "received": now, "deviceViolations": violations, "__typename": "DryRunResult"},
            "__typename": "ArmStateDryRunStatus",
        }

    # ------------------------------------------------------------------ mutations

    def _media_search(self, request: web.Request) -> dict[str, Any]:
        """`ContentProviderMediaSearch` (a mutation in vsure, §5.5): one series per camera with images."""
        origin = f"{request.scheme}://{request.host}"
        series = []
        for label, images in self.cloud.series.items():
            media = [
                {
                    "contentUrl": f"{origin}/media/{i['token']}.jpg",
                    "mediaAvailable": True,
                    "deviceLabel": label,
                    "mediaId": i["imageId"],
                    "contentType": "IMAGE_JPEG",
                    "timestamp": i["captureTime"],
                    "requestTimestamp": i["captureTime"],
                    "duration": None,
                    "expiryDate": None,
                    "viewed": False,
                    "thumbnailUrl": f"{origin}/media/{i['token']}.jpg",
                    "bitRate": None,
                    "width": 640,
                    "height": 480,
                    "codec": None,
                }  # fmt: skip
                for i in images
            ]
            stamp = images[0]["captureTime"] if images else None
            series.append(
                {
                    "seriesId": f"{label}-{stamp}",
                    "storageType": "CLOUD",
                    "viewed": False,
                    "timestamp": stamp,
                    "deviceMediaList": media,
                }
            )
        return {"totalNumberOfMediaSeries": len(series), "mediaSeriesList": series}

    def _mutation(self, root: str, variables: dict[str, Any], request: web.Request) -> Any:
        cloud = self.cloud
        panel = cloud.panel
        if str(variables.get("giid") if variables.get("giid") is not None else cloud.giid) != cloud.giid:
            raise HttpFault(400, "VAL_00001", "Invalid or non-existing value for giid")
        if root in ("armStateArmAway", "armStateArmHome"):
            user = cloud.user_for(variables.get("code"))
            mode = Mode.AWAY if root == "armStateArmAway" else Mode.HOME
            current = cloud.status_type()
            future = "ARMED_AWAY" if mode is Mode.AWAY else "ARMED_HOME"
            if (
                current == future
                or (current == "ARMED_HOME" and mode is Mode.AWAY)
                or (current == "ARMED_AWAY" and mode is Mode.HOME)
            ):
                raise HttpFault(400, "VAL_00818", "The requested arm state is not possible to apply due to armstate already set")
            force = variables.get("forceArm") is True

            def arm() -> None:
                panel.arm(mode, user=user.name, force=force, source="CODE")

            return cloud.start("arm", future, arm, delay=cloud.arm_delay)
        if root == "armStateDisarm":
            user = cloud.user_for(variables.get("code"))

            def disarm() -> None:
                panel.disarm(user=user.name, source="CODE")

            return cloud.start("disarm", "DISARMED", disarm, delay=cloud.arm_delay)
        if root in ("DoorLock", "DoorUnlock"):
            given = variables.get("input")
            code = given.get("code") if isinstance(given, dict) else None
            user = cloud.user_for(code, length=None)
            lock = cloud.lock(str(variables.get("deviceLabel") or ""))
            locked = root == "DoorLock"

            def act() -> None:
                if panel.faults.offline:
                    raise SimError("offline", "Panel is not connected")
                panel._note_command(f"{'lock' if locked else 'unlock'} {lock.label}")
                cloud.set_lock(lock.label, locked, user=user.name, method="REMOTE")

            return cloud.start(
                "lock" if locked else "unlock", "LOCKED" if locked else "UNLOCKED", act, delay=cloud.lock_delay, device=lock.label
            )
        if root == "ContentProviderCaptureImageRequest":
            label = str(variables.get("deviceLabel") or "")
            zone = panel.zones.get(label)
            if zone is None or not zone.camera:
                raise HttpFault(400, "VAL_00001", "Invalid or non-existing value for deviceLabel")
            from alarmtui.simulators.mypages.cloud import Capture

            request_id = str(secrets.randbelow(10**12))
            cloud.captures[request_id] = Capture(request_id, label, cloud.clock() + cloud.capture_delay)
            cloud._advance()
            return {"requestId": request_id, "__typename": "CaptureImageRequest"}
        if root == "ContentProviderMediaSearch":
            return self._media_search(request)
        if root == "armStateDryRun":
            return cloud.start("dryrun", "", lambda: None, delay=0.0)
        raise GraphQLError(f'Cannot query field "{root}" on type "Mutation".', 400)


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default
