"""How requests reach the ws.do simulator: one path, GET and POST, dispatched on the `request` parameter.

Parameters come from the query string and/or a form body; unknown ones are ignored.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from aiohttp import web

from alarmtui.simulators.verisure.render import (
    ERR_BAD_REQUEST,
    ERR_BUSY,
    ERR_CONFLICT,
    ERR_IDENTIFY,
    ERR_INVALID_SESSION,
    ERR_MIGRATED,
    ERR_OFFLINE,
    ERR_OLD_APP,
    ERR_UNAVAILABLE,
    MESSAGES,
    TWO_STEP_OPS,
    VerisureError,
    envelope,
    error_envelope,
    message,
)

if TYPE_CHECKING:
    from alarmtui.simulators.verisure.cloud import VerisureCloud

WS_PATH = "/WebService/ws.do"


def build_app(cloud: VerisureCloud) -> web.Application:
    app = web.Application(middlewares=[cloud.faults.middleware])

    async def ws(request: web.Request) -> web.StreamResponse:
        return await cloud.handle(request)

    app.router.add_route("GET", WS_PATH, ws)
    app.router.add_route("POST", WS_PATH, ws)
    return app


async def request_name(request: web.Request) -> str:
    """ws.do has one path: the route is the `request` parameter (query, or form for POST)."""
    name = request.query.get("request", "")
    if not name and request.method == "POST" and request.can_read_body:
        try:
            value = (await request.post()).get("request", "")  # cached: the handler reads it again for free
        except Exception:  # noqa: BLE001  (a body that is not a form)
            value = ""
        name = value if isinstance(value, str) else ""
    return name


async def handle(cloud: VerisureCloud, request: web.Request) -> web.StreamResponse:
    params: dict[str, str] = {k: v for k, v in request.query.items()}
    if request.method == "POST":  # (the fault middleware may have read the form already: post() caches it)
        try:
            form = dict(await request.post())
        except Exception:  # a body that is not a form: parameters are in the query
            form = {}
        for key, value in form.items():
            if isinstance(value, str):
                params.setdefault(key, value)
    cloud.requests_seen.append(params)
    if len(cloud.requests_seen) > 2000:
        del cloud.requests_seen[:500]
    name = params.get("request", "")
    lang = params.get("lang", "es").lower()
    lang = lang if lang in MESSAGES else "en"
    try:
        body = dispatch(cloud, name, params, lang)
    except VerisureError as exc:
        body = error_envelope(exc, lang)
    response = web.Response(body=body.encode("utf-8"), content_type="text/xml", charset="UTF-8")
    if "JSESSIONID" not in request.cookies:
        response.set_cookie("JSESSIONID", secrets.token_hex(16).upper(), path="/WebService")
    return response


def dispatch(cloud: VerisureCloud, name: str, params: dict[str, str], lang: str) -> str:
    if not name:
        raise VerisureError(ERR_BAD_REQUEST, "bad_request")
    injected = cloud._take_injected(name)
    if injected is not None:
        key = {
            ERR_INVALID_SESSION: "invalid_session",
            ERR_IDENTIFY: "identify",
            ERR_UNAVAILABLE: "unavailable",
            ERR_OLD_APP: "old_app",
            ERR_MIGRATED: "migrated",
            ERR_BUSY: "busy",
            ERR_CONFLICT: "conflict",
            ERR_OFFLINE: "offline",
        }.get(injected, "failed")
        raise VerisureError(injected, key)
    if not params.get("ID"):
        raise VerisureError(ERR_BAD_REQUEST, "bad_request")
    if name == "LOGIN":
        return cloud.login(params, lang)
    user = cloud._session_user(params)
    if name == "CLS":
        cloud.sessions.pop(params.get("hash", ""), None)
        return envelope(lang, "OK", msg=message(lang, "logout"))
    if name == "INS":
        return cloud.ins(user, lang)
    inst = cloud._installation(params)
    if name == "MYINSTALLATION":
        return cloud.my_installation(inst, lang)
    if name in ("SRV", "SVR"):
        return cloud.srv(inst, lang)
    if name == "ACT_V2":
        return cloud.activity(inst, params, lang)
    if name == "INF":
        return cloud.inf(inst, params, lang)
    base, step = name[:-1], name[-1:]
    if base in TWO_STEP_OPS and step in ("1", "2"):
        if cloud.strict and not params.get("callby"):
            error = VerisureError(ERR_OLD_APP, "old_app")
            error.numinst = inst.numinst
            raise error
        if step == "1":
            return cloud.step1(base, inst, user, params, lang)
        return cloud.step2(base, inst, user, params, lang)
    raise VerisureError(ERR_BAD_REQUEST, "bad_request")
