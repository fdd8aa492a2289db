"""PowerManage routes: one table (method, path) → (scope, handler), one dispatcher, the error middleware."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import web

from alarmtui.simulators.panel import Mode, SimError, SimUser
from alarmtui.simulators.visonic import render
from alarmtui.simulators.visonic.cloud import ApiError, Session, VisonicCloud, bad_params, trim
from alarmtui.simulators.visonic.render import Ctx

# ---------------------------------------------------------------------- route handlers


def r_auth(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    email = ctx.field("email")
    password = ctx.field("password")
    ctx.field("app_id")
    cloud._check_blocked(str(email))
    account = cloud.accounts.get(str(email))
    if account is None or account.password != password:
        cloud._note_failed_login(str(email))
        raise ApiError(
            400,
            10004,
            "Wrong combination",
            "WrongCombination",
            [{"key": "email", "value": "wrong_combination"}, {"key": "password", "value": "wrong_combination"}],
        )
    cloud._failed_logins.pop(account.email, None)
    token = str(uuid.uuid4())
    cloud.user_tokens[token] = account.email
    trim(cloud.user_tokens, cloud.MAX_KEPT)
    return {"user_token": token, "customization": {}}


def r_panel_login(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    # No or unknown user token -> 403 10002: the demo's connect() authenticates only on that.
    email = ctx.require_user(unknown_means_auth_required=True)
    code = ctx.body.get("user_code")
    if code is None or code == "":
        raise bad_params("user_code", "required")
    if not isinstance(code, str) or len(code) < 4:
        raise bad_params("user_code", "minLength:4")
    ctx.field("app_id")
    serial = ctx.field("panel_serial")
    account = cloud.accounts[email]
    if serial not in account.panels or serial not in cloud._panels:
        raise bad_params("panel_serial", "incorrect")
    panel = cloud._panels[serial]
    key = f"{email}/{serial}"
    if cloud._failed_codes.get(key, 0) >= cloud.max_code_attempts:
        raise ApiError(442, 10022, "Login attempts limit reached", "LoginAttemptsLimitReached")
    user = panel.user_by_code(code)
    if user is None:
        cloud._failed_codes[key] = cloud._failed_codes.get(key, 0) + 1
        raise ApiError(400, 10021, "Wrong user code", "WrongUserCode")
    cloud._failed_codes.pop(key, None)
    token = str(uuid.uuid4())
    cloud.sessions[token] = Session(token, email, serial, user.id, cloud.clock())
    cloud.issued_sessions[token] = None
    trim(cloud.issued_sessions, 10 * cloud.MAX_KEPT)
    cloud._reached.setdefault(serial, cloud.clock())  # the cloud reaches the panel once, not per session
    return {"session_token": token}


def _session_user(ctx: Ctx) -> SimUser:
    assert ctx.session is not None
    user = next((u for u in ctx.panel.users if u.id == ctx.session.user_id), None)
    return user or SimUser("0", "Cloud user", "")


def _check_command_code(ctx: Ctx) -> SimUser:
    """Newer clients send the user code with commands; a wrong one is 444 "Wrong user code"."""
    code = ctx.body.get("user_code", ctx.body.get("code"))
    if code is None or code == "":
        return _session_user(ctx)
    user = ctx.panel.user_by_code(str(code))
    if user is None:
        raise ApiError(444, 10021, "Wrong user code", "WrongUserCode")
    return user


def _require_online(ctx: Ctx) -> None:
    if ctx.panel.faults.offline:
        raise ApiError(400, 400, "Panel is not connected", "PanelNotConnected")


def _target_partitions(ctx: Ctx, value: Any) -> list[str] | None:
    if value is None or value == -1 or value == "-1":
        return None
    if not ctx.meta.partitions_enabled or str(value) not in ctx.panel.partitions:
        raise bad_params("partition", "incorrect")
    return [str(value)]


def r_set_state(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    state = ctx.field("state")
    if state not in ("HOME", "AWAY", "DISARM"):
        raise bad_params("state", "incorrect")
    targets = _target_partitions(ctx, ctx.body.get("partition", -1))
    user = _check_command_code(ctx)
    _require_online(ctx)
    panel = ctx.panel

    def action() -> None:
        if state == "DISARM":
            panel.disarm(targets, user=user.name, source="cloud")
        else:
            panel.arm(Mode.HOME if state == "HOME" else Mode.AWAY, targets, user=user.name, source="cloud")

    return cloud._new_process(panel.serial, action)


def r_bypass(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    zone_number = ctx.field("zone")
    enabled = ctx.body.get("set")
    if not isinstance(enabled, bool):
        raise bad_params("set", "required")
    panel = ctx.panel
    zone = render.find_device(panel, zone_number)
    if zone is None:
        raise bad_params("zone", "incorrect")
    user = _check_command_code(ctx)
    _require_online(ctx)
    return cloud._new_process(panel.serial, lambda: panel.bypass(zone.id, enabled, user=user.name))


def r_set_name(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    object_class = ctx.field("class")
    object_id = ctx.field("id")
    name = ctx.field("name")
    panel = ctx.panel
    _require_online(ctx)
    if object_class == "USER":
        index = next((i for i, u in enumerate(panel.users) if u.id == str(object_id)), None)
        if index is None:
            raise bad_params("id", "incorrect")

        def rename_user() -> None:
            panel.users[index] = replace(panel.users[index], name=str(name))
            panel._touch()

        return cloud._new_process(panel.serial, rename_user)
    if object_class in ("ZONE", "DEVICE"):
        zone = render.find_device(panel, object_id)
        if zone is None:
            raise bad_params("id", "incorrect")

        def rename_zone() -> None:
            zone.name = str(name)
            ctx.meta.renamed.add(zone.id)
            panel._touch()

        return cloud._new_process(panel.serial, rename_zone)
    raise bad_params("class", "incorrect")


def r_set_user_code(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    code = ctx.field("user_code")
    user_id = str(ctx.field("user_id"))
    if not isinstance(code, str) or not code.isdigit() or len(code) != 4:
        raise bad_params("user_code", "minLength:4")
    panel = ctx.panel
    _require_online(ctx)

    def set_code() -> None:
        index = next((i for i, u in enumerate(panel.users) if u.id == user_id), None)
        if code == "0000":
            if index is not None:
                del panel.users[index]
        elif any(u.code == code and u.id != user_id for u in panel.users):
            raise SimError("conflict", "User code already in use")
        elif index is None:
            panel.users.append(SimUser(user_id, f"User {user_id}", code))
        else:
            panel.users[index] = replace(panel.users[index], code=code)
        panel._touch()

    return cloud._new_process(panel.serial, set_code)


def r_activate_siren(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    if not cloud.siren_allowed:
        raise ApiError(403, 10010, "Not allowed", "NotAllowed")
    user = _session_user(ctx)
    _require_online(ctx)
    panel = ctx.panel
    return cloud._new_process(panel.serial, lambda: panel.set_siren(True, user=user.name))


def r_disable_siren(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    if not cloud.siren_allowed:
        raise ApiError(403, 10010, "Not allowed", "NotAllowed")
    user = _session_user(ctx)
    _require_online(ctx)
    panel = ctx.panel
    return cloud._new_process(panel.serial, lambda: panel.set_siren(False, user=user.name))


def r_make_video(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    camera_id = ctx.field("camera_id")
    panel, meta = ctx.panel, ctx.meta
    zone = render.find_device(panel, camera_id)
    if zone is None or not zone.camera:
        raise bad_params("camera_id", "incorrect")
    user = _session_user(ctx)
    _require_online(ctx)

    def capture() -> None:
        if zone.id in meta.failed_photo:
            meta.failed_photo.discard(zone.id)
            raise SimError("failed", "Camera did not answer")
        photo_set = panel.take_photos(zone.id, user=user.name)
        meta.last_photo[zone.id] = photo_set.id

    return cloud._new_process(panel.serial, capture, delay=panel.photo_delay)


def r_process_status(cloud: VisonicCloud, ctx: Ctx) -> list[dict[str, Any]]:
    tokens = ctx.request.query.get("process_tokens", "")
    result = []
    for token in filter(None, tokens.split(",")):
        process = cloud.processes.get(token)
        if process is None:
            raise bad_params("process_tokens", "incorrect")
        status = process.status
        if status == "handled":
            if process.reported_handled:
                status = process.status = "succeeded"
            process.reported_handled = True
        result.append({"token": process.token, "status": status, "message": process.message, "error": process.error})
    return result


def r_access_grant(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    user_id = str(ctx.field("user"))
    email = ctx.field("email")
    meta, panel = ctx.meta, ctx.panel
    if not any(u.id == user_id for u in panel.users):
        raise bad_params("user", "incorrect")
    if user_id in meta.emails:
        raise bad_params("user", "already_granted")
    if email in meta.emails.values():
        raise bad_params("email", "already_linked")
    meta.emails[user_id] = str(email)
    return {}


def r_access_revoke(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    user_id = str(ctx.field("user"))
    ctx.meta.emails.pop(user_id, None)
    return {}


def r_panels(cloud: VisonicCloud, ctx: Ctx) -> list[dict[str, Any]]:
    account = cloud.accounts[ctx.email]
    result = []
    for serial, alias in account.panels.items():
        item: dict[str, Any] = {"panel_serial": serial, "alias": alias, "role": "master", "customization": {}}
        if ctx.number >= 14.0 and serial in cloud._panels:
            item.update({"panel_model": cloud._panels[serial].name, "type": "POWER_MASTER"})
        result.append(item)
    return result


def r_panel_add(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    alias = ctx.field("alias")
    serial = ctx.field("panel_serial")
    master_code = ctx.field("master_user_code")
    account = cloud.accounts[ctx.email]
    panel = cloud._panels.get(str(serial))
    master = next((u for u in panel.users if u.role == "master"), None) if panel else None
    if panel is None or master is None or master.code != master_code:
        raise ApiError(
            400,
            10004,
            "Wrong combination",
            "WrongCombination",
            [{"key": "panel_serial", "value": "wrong_combination"}, {"key": "master_user_code", "value": "wrong_combination"}],
        )
    if serial in account.panels:
        raise bad_params("panel_serial", "already_linked")
    account.panels[str(serial)] = str(alias)
    return {}


def r_panel_rename(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    serial = ctx.field("panel_serial")
    alias = ctx.field("alias")
    account = cloud.accounts[ctx.email]
    if serial not in account.panels:
        raise bad_params("panel_serial", "incorrect")
    account.panels[serial] = str(alias)
    return {}


def r_panel_unlink(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    serial = ctx.field("panel_serial")
    password = ctx.field("password")
    ctx.field("app_id")
    account = cloud.accounts[ctx.email]
    if password != account.password:
        raise ApiError(400, 10004, "Wrong combination", "WrongCombination", [{"key": "password", "value": "wrong_combination"}])
    if serial not in account.panels:
        raise bad_params("panel_serial", "incorrect")
    del account.panels[serial]
    for token, session in list(cloud.sessions.items()):
        if session.email == account.email and session.serial == serial:
            del cloud.sessions[token]
    return {}


def r_password_reset(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    email = ctx.field("email")
    account = cloud.accounts.get(str(email))
    if account is not None:  # never reveal whether an account exists
        account.reset_code = secrets.token_hex(5).upper()
    return {}


def r_password_reset_complete(cloud: VisonicCloud, ctx: Ctx) -> dict[str, Any]:
    code = ctx.field("reset_password_code")
    new_password = ctx.field("new_password")
    ctx.field("app_id")
    account = next((a for a in cloud.accounts.values() if a.reset_code and a.reset_code == code), None)
    if account is None:
        raise bad_params("reset_password_code", "incorrect")
    strong = (
        isinstance(new_password, str)
        and len(new_password) >= 8
        and any(c.isdigit() for c in new_password)
        and any(not c.isalnum() for c in new_password)
    )
    if not strong:
        raise bad_params("new_password", "weak")
    account.password = new_password
    account.reset_code = None
    for token, email in list(cloud.user_tokens.items()):
        if email == account.email:
            del cloud.user_tokens[token]
    token = str(uuid.uuid4())
    cloud.user_tokens[token] = account.email
    return {"user_token": token}


def _locations(ctx: Ctx) -> list[dict[str, Any]]:
    names = ["Loft", "Back door", "Basement", "Bathroom", "Bedroom", "Child room", "Conservatory", "Play room",
             "Dining room", "Downstairs", "Emergency", "Fire", "Front door", "Garage", "Garage door", "Guest room",
             "Hall", "Kitchen", "Laundry room", "Living room", "Master bathroom", "Master bedroom", "Office",
             "Upstairs", "Utility room", "Yard", "Custom 1", "Custom 2", "Custom 3", "Custom 4", "Custom 5"]  # fmt: skip
    return [{"hel_id": i, "name": name, "is_editable": name.startswith("Custom")} for i, name in enumerate(names)]


def _wakeup_sms(ctx: Ctx) -> dict[str, Any]:
    serial = ctx.panel.serial
    return {"phone": "+34600000000", "sms": f"CONNECT;{serial};PM-30;SEQ-{int(time.time()) % 10000:04d};"}


def _notifications(ctx: Ctx) -> dict[str, Any]:
    if ctx.request.method == "POST":
        ctx.meta.email_notifications = str(ctx.field("mode"))
    return {"mode": ctx.meta.email_notifications}


def _read(builder: Callable[[Ctx], Any]) -> Callable[[VisonicCloud, Ctx], Any]:
    return lambda cloud, ctx: builder(ctx)


Handler = Callable[[VisonicCloud, Ctx], Any]
ROUTES: dict[tuple[str, str], tuple[str, Handler]] = {
    ("POST", "auth"): ("none", r_auth),
    ("POST", "password/reset"): ("none", r_password_reset),
    ("POST", "password/reset/complete"): ("none", r_password_reset_complete),
    ("POST", "panel/login"): ("none", r_panel_login),  # checks the user token itself (403 10002 first)
    ("GET", "panels"): ("user", r_panels),
    ("POST", "panel/add"): ("user", r_panel_add),
    ("POST", "panel/rename"): ("user", r_panel_rename),
    ("POST", "panel/unlink"): ("user", r_panel_unlink),
    ("GET", "status"): ("session", _read(render.status)),
    ("GET", "devices"): ("session", _read(render.devices)),
    ("GET", "events"): ("session", _read(render.events)),
    ("GET", "troubles"): ("session", _read(render.troubles)),
    ("GET", "alarms"): ("session", _read(render.alarms)),
    ("GET", "alerts"): ("session", lambda cloud, ctx: []),
    ("GET", "users"): ("session", _read(render.users)),
    ("GET", "cameras"): ("session", _read(render.cameras)),
    ("GET", "feature_set"): ("session", _read(render.feature_set)),
    ("GET", "locations"): ("session", _read(_locations)),
    ("GET", "panel_info"): ("session", _read(render.panel_info)),
    ("GET", "wakeup_sms"): ("session", _read(_wakeup_sms)),
    ("GET", "notifications/email"): ("session", _read(_notifications)),
    ("POST", "notifications/email"): ("session", _read(_notifications)),
    ("GET", "smart_devices"): ("session", lambda cloud, ctx: []),
    ("GET", "smart_devices/settings"): ("session", lambda cloud, ctx: {}),
    ("GET", "home_automation_devices"): ("session", lambda cloud, ctx: []),
    ("GET", "process_status"): ("session", r_process_status),
    ("POST", "set_state"): ("session", r_set_state),
    ("POST", "set_bypass_zone"): ("session", r_bypass),
    ("POST", "set_name"): ("session", r_set_name),
    ("POST", "set_user_code"): ("session", r_set_user_code),
    ("POST", "activate_siren"): ("session", r_activate_siren),
    ("POST", "disable_siren"): ("session", r_disable_siren),
    ("POST", "make_video"): ("session", r_make_video),
    ("POST", "access/grant"): ("session", r_access_grant),
    ("POST", "access/revoke"): ("session", r_access_revoke),
}


def build_app(cloud: VisonicCloud) -> web.Application:
    @web.middleware
    async def errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        cloud.requests.append((request.method, request.path))
        if len(cloud.requests) > 10 * cloud.MAX_KEPT:
            del cloud.requests[: 5 * cloud.MAX_KEPT]
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()
        except web.HTTPException as exc:
            if exc.status == 404:
                return ApiError(404, 404, "Not Found", "NotFound").response()
            if exc.status == 405:
                return ApiError(405, 405, "Method Not Allowed", "MethodNotAllowed").response()
            raise

    async def version(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "rest_versions": list(cloud.versions),
                "installer_versions": ["8.0"],
                "push_format_versions": ["7"],
                "dls_versions": ["1.0"],
            }
        )

    async def dispatch(request: web.Request) -> web.StreamResponse:
        return await _dispatch(cloud, request)

    app = web.Application(middlewares=[cloud.faults.middleware, errors])
    app.router.add_get("/rest_api/version", version)
    app.router.add_route("*", "/rest_api/{version}/{path:.*}", dispatch)
    return app


async def _dispatch(cloud: VisonicCloud, request: web.Request) -> web.StreamResponse:
    version = request.match_info["version"]
    if version not in cloud.versions:
        raise ApiError(404, 404, f"REST version {version} is not supported", "NotFound")
    path = request.match_info["path"].rstrip("/")
    ctx = Ctx(cloud, request, version)
    if path.startswith("camera_preview/"):
        if request.method != "GET":
            raise web.HTTPMethodNotAllowed(request.method, ["GET"])
        return await _camera_preview(ctx, path)
    route = ROUTES.get((request.method, path))
    if route is None:
        if any(p == path for (_, p) in ROUTES):
            raise web.HTTPMethodNotAllowed(request.method, [m for (m, p) in ROUTES if p == path])
        raise web.HTTPNotFound()
    scope, handler = route
    if request.method == "POST":
        await ctx.read_body()
    if scope == "user":
        ctx.require_user()
    elif scope == "session":
        ctx.require_session()
    try:
        result = handler(cloud, ctx)
        if asyncio.iscoroutine(result):
            result = await result
    except (TypeError, ValueError, AttributeError) as exc:  # a field of the wrong type, as a real server would say
        raise ApiError(400, 10000, "Invalid request format", "InvalidRequestFormat") from exc
    return web.json_response(result)


async def _camera_preview(ctx: Ctx, path: str) -> web.Response:
    ctx.require_session()
    parts = path.split("/")
    try:
        set_id, frame = int(parts[1]), int(parts[2]) if len(parts) > 2 else 0
    except (IndexError, ValueError):
        raise web.HTTPNotFound() from None
    photo_set = ctx.panel.photos.get(set_id)
    if photo_set is None or not 0 <= frame < len(photo_set.jpegs):
        raise web.HTTPNotFound()
    return web.Response(body=photo_set.jpegs[frame], content_type="image/jpeg")


__all__ = ["ROUTES", "build_app"]
