"""How requests reach the Securitas simulator: one GraphQL POST endpoint, dispatched on `operationName`.

One routing style (§12.1): the operation name (body, else the `X-APOLLO-OPERATION-NAME` header) picks
the cloud's handler, never the query text; unknown variables are ignored. Faults and request counts go
by the same name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from alarmtui.simulators.securitas.render import FIREWALL_PAGE, GraphQLFault

if TYPE_CHECKING:
    from alarmtui.simulators.securitas.cloud import SecuritasCloud

GRAPHQL_PATH = "/owa-api/graphql"

OPERATIONS: dict[str, tuple[str, str]] = {
    "mkLoginToken": ("xSLoginToken", "login"),
    "RefreshLogin": ("xSRefreshLogin", "refresh"),
    "mkValidateDevice": ("xSValidateDevice", "validate_device"),
    "mkSendOTP": ("xSSendOtp", "send_otp"),
    "Logout": ("xSLogout", "logout"),
    "mkInstallationList": ("xSInstallations", "installation_list"),
    "Srv": ("xSSrv", "services"),
    "Status": ("xSStatus", "status"),
    "CheckAlarm": ("xSCheckAlarm", "check_alarm"),
    "CheckAlarmStatus": ("xSCheckAlarmStatus", "check_alarm_status"),
    "xSArmPanel": ("xSArmPanel", "arm_panel"),
    "ArmStatus": ("xSArmStatus", "arm_status"),
    "xSDisarmPanel": ("xSDisarmPanel", "disarm_panel"),
    "DisarmStatus": ("xSDisarmStatus", "disarm_status"),
    "xSGetExceptions": ("xSGetExceptions", "get_exceptions"),
    "ActV2Timeline": ("xSActV2", "timeline"),
    "xSDeviceList": ("xSDeviceList", "device_list"),
    "RequestImages": ("xSRequestImages", "request_images"),
    "RequestImagesStatus": ("xSRequestImagesStatus", "request_images_status"),
    "mkGetThumbnail": ("xSGetThumbnail", "thumbnail"),
    "mkGetPhotoImages": ("xSGetPhotoImages", "photo_images"),
}
"""operationName -> (the reply's root field, the cloud's handler)."""

Handler = Callable[[dict[str, Any], dict[str, str]], Any]


def root_of(operation: str) -> str:
    return OPERATIONS.get(operation, ("xSStatus", ""))[0]


def build_app(cloud: SecuritasCloud) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024, middlewares=[cloud.faults.middleware])

    async def graphql(request: web.Request) -> web.StreamResponse:
        return await handle(cloud, request)

    async def login_page(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>My Verisure</body></html>", content_type="text/html")

    app.router.add_route("POST", GRAPHQL_PATH, graphql)
    app.router.add_route("GET", "/owa-static/login", login_page)
    return app


def firewall_page() -> web.Response:
    return web.Response(status=403, text=FIREWALL_PAGE, content_type="text/html")


async def operation_of(request: web.Request) -> str:
    """Faults and counts go by operationName (the header, else the JSON body)."""
    name = request.headers.get("X-APOLLO-OPERATION-NAME")
    if name:
        return name
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return ""
    return str(body.get("operationName") or "") if isinstance(body, dict) else ""


async def handle(cloud: SecuritasCloud, request: web.Request) -> web.StreamResponse:
    if cloud.firewall_blocks():
        return firewall_page()
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return web.json_response({"errors": [{"message": "Invalid JSON", "extensions": {"code": "BAD_REQUEST"}}]}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"errors": [{"message": "Invalid body"}]}, status=400)
    operation = str(body.get("operationName") or request.headers.get("X-APOLLO-OPERATION-NAME") or "")
    given = body.get("variables")
    variables: dict[str, Any] = given if isinstance(given, dict) else {}
    headers = {k.lower(): v for k, v in request.headers.items()}
    cloud.note_request(operation, variables, headers)
    entry = OPERATIONS.get(operation)
    if entry is None:
        message = f'Unknown operation named "{operation}".'
        return web.json_response(
            {"errors": [{"message": message, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]}, status=400
        )
    root, name = entry
    function: Handler = getattr(cloud, name)
    try:
        value = function(variables, headers)
    except GraphQLFault as exc:
        return web.json_response({"errors": [exc.error], "data": exc.data}, status=exc.status)
    return web.json_response({"data": {root: value}})
