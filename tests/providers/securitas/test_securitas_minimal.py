"""Parsers and the client against minimal replies: exactly the fields the protocol notes show.

Each JSON literal below is copied from shared/protocols/securitas-owa.md (placeholders
filled in), not from our simulator, so the client is checked against the
vendor's shapes and not against our own reading of them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from alarmtui.domain import ArmMode, CommandPhase, EventKind, PartitionState
from alarmtui.providers.base import OpenZones, PanelBusy, ProtocolError, SessionExpired
from alarmtui.providers.securitas import SecuritasProvider, mapping, parse
from alarmtui.providers.securitas.client import Pacing
from alarmtui.settings import SecuritasConfig


def jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'EdDSA'})}.{part(claims)}.c2ln"


def load(text: str) -> Any:
    return json.loads(text)


# ---------------------------------------------------------------- envelope (§8)

EXPIRED = """{"errors":[{"message":"Invalid session. Please, try again later.","name":"ExpiredSessionError",
            "time_thrown":"2025-12-06T15:26:56.023Z","data":{"status":403,"err":"ExpiredSessionError"},
            "path":["xSStatus"]}],
 "data":null}"""
BUSY = """{"errors":[{"message":"Your alarm is already processing a request, please wait 90 seconds before making another one (if you have requested a photo, please wait 5 minutes)","name":"ApiError","data":{"res":"ERROR","err":"60062"},"path":["xSArmPanel"]}],"data":{"xSArmPanel":null}}"""
DEAD_REFRESH = """{"errors":[{"message":"Invalid Session","name":"ApiError","data":{"res":"ERROR","err":"60067"},"path":["xSRefreshLogin"]}],"data":{"xSRefreshLogin":null}}"""
BLOCKED = """{"errors":[{"message": "Utilisateur bloqué.", "data": {"res": "ERROR", "err": "60052", "status": 403}}], "data": {"xSLoginToken": null}}"""
CHALLENGE = """{"errors": [{"message": "Unauthorized", "name": "SecurityError",
             "data": {"auth-otp-hash": "<challenge hash>",
                      "auth-phones": [{"id": 1, "phone": "***456"}, {"id": 2, "phone": "***789"}]}}]}"""
REJECTED = """{"errors":[{"message":"4: Requested data not found error.","name":"ApiError","data":{"res":"ERROR","err":"4","status":404},"path":["xSDisarmPanel"]}],"data":{"xSDisarmPanel":null}}"""
FR_CRASH = """{"errors":[{"message":"Cannot read properties of undefined (reading 'fr')","extensions":{}}],"data":{}}"""
BAD_INPUT = """{"errors":[{"message":"Variable \\"$request\\" got invalid value \\"TEST\\"; Value \\"TEST\\" does not exist in \\"DisarmCodeRequest\\" enum.","extensions":{"code":"BAD_USER_INPUT"}}],"data":{}}"""


def test_error_envelope_classification() -> None:
    expired = parse.parse_error(load(EXPIRED), "xSStatus")
    assert expired is not None and expired.is_session_expired and not expired.is_busy
    busy = parse.parse_error(load(BUSY), "xSArmPanel")
    assert busy is not None and busy.is_busy and not busy.is_session_expired
    dead = parse.parse_error(load(DEAD_REFRESH), "xSRefreshLogin")
    assert dead is not None and dead.is_dead_refresh and not dead.is_session_expired
    blocked = parse.parse_error(load(BLOCKED), "xSLoginToken")
    assert blocked is not None and blocked.is_blocked and not blocked.is_session_expired
    challenge = parse.parse_error(load(CHALLENGE), "xSValidateDevice")
    assert challenge is not None and challenge.is_otp_challenge
    assert challenge.phones == (("1", "***456"), ("2", "***789")) and challenge.otp_hash == "<challenge hash>"
    rejected = parse.parse_error(load(REJECTED), "xSDisarmPanel")
    assert rejected is not None and rejected.is_not_accepted and not rejected.is_busy
    crash = parse.parse_error(load(FR_CRASH), "xSRefreshLogin")
    assert crash is not None and not crash.is_dead_refresh and not crash.is_session_expired
    bad = parse.parse_error(load(BAD_INPUT), "xSDisarmPanel")
    assert bad is not None and bad.is_not_accepted
    expired_code = parse.parse_error({"errors": [{"message": "x", "data": {"auth-code": "10002"}}]}, "xSValidateDevice")
    assert expired_code is not None and expired_code.auth_code == "10002"
    legacy = parse.parse_error({"errors": {"data": {"reason": "nope"}}}, "xSStatus")
    assert legacy is not None and legacy.message == "nope"
    assert parse.parse_error({"data": {"xSStatus": {"status": "D"}}}, "xSStatus") is None


# ---------------------------------------------------------------- replies (§2-§7)

LOGIN_OK = """{"data": {"xSLoginToken": {"__typename": "XSLoginToken", "res": "OK", "msg": "", "hash": "HASH", "refreshToken": "<opaque/JWT>", "legals": null, "changePassword": false, "needDeviceAuthorization": false, "mainUser": true}}}"""
INSTALLATIONS = """{"data": {"xSInstallations": {"installations": [{"numinst": "123456", "alias": "Home", "panel": "SDVFAST", "type": "PLUS", "name": "John", "surname": "Doe", "address": "123 Test St", "city": "Madrid", "postcode": "28001", "province": "Madrid", "email": "test@example.com", "phone": "555-1234"}]}}}"""
SERVICES = """{"data": {"xSSrv": {"res": "OK", "msg": "", "language": "es", "installation": {
  "numinst": "123456", "role": "OWNER", "alias": "Home", "status": "ACTIVE", "panel": "SDVFAST", "sim": "", "instIbs": false,
  "services": [{"idService": "520", "active": true, "visible": true, "bde": false, "isPremium": false, "codOper": false,
                "request": "SMARTNOT", "minWrapperVersion": null, "unprotectActive": false, "unprotectDeviceStatus": null,
                "instDate": null, "genericConfig": null, "attributes": null}],
  "configRepoUser": {"alarmPartitions": [{"id": "01", "enterStates": ["01","02"], "leaveStates": ["01","02"]},
                                         {"id": "02", "enterStates": ["01"], "leaveStates": ["01"]}]},
  "capabilities": "CAPS"}}}}"""
STATUS = """{"data": {"xSStatus": {"status": "T", "timestampUpdate": "2024-01-01 12:00:00", "wifiConnected": true, "exceptions": null}}}"""
CHECK = """{"data":{"xSCheckAlarm":{"res":"OK","msg":"O seu pedido foi enviado","referenceId":"OWA_______________<user>20231017041638964________________"}}}"""
CHECK_WAIT = """{"data":{"xSCheckAlarmStatus":{"res":"WAIT","msg":"Demande en cours de traitement","status":null,"numinst":null,"protomResponse":null,"protomResponseDate":null}}}"""
CHECK_OK = """{"data":{"xSCheckAlarmStatus":{"res":"OK","msg":"O seu alarme está desligado","status":"0","numinst":"1234567","protomResponse":"D","protomResponseDate":"2023-10-17 04:16:32.193"}}}"""
ARM_SUBMIT = """{"data":{"xSArmPanel":{"res":"OK","msg":"alarm-manager.processed.request","referenceId":"<opaque>"}}}"""
ARM_WAIT = """{"data":{"xSArmStatus":{"res":"WAIT","msg":"Petición en proceso","status":null,"protomResponse":null,"protomResponseDate":null,"numinst":null,"requestId":"_pollingStatus_","error":null}}}"""
ARM_OK = """{"data":{"xSArmStatus":{"res":"OK","msg":"","status":"","numinst":"123456","protomResponse":"T","protomResponseDate":"","requestId":"req-1","error":null}}}"""
ARM_EXCEPTION = """{"data":{"xSArmStatus":{"res":"ERROR","msg":"error_mpj_exception","status":null,"protomResponse":null,
  "protomResponseDate":"2026-02-28T16:03:13Z","numinst":null,"requestId":null,
  "error":{"code":"102","type":"NON_BLOCKING","allowForcing":true,"exceptionsNumber":1,
           "referenceId":"<ref>","suid":"<suid, base64-like>"}}}}"""
EXC_WAIT = """{"data":{"xSGetExceptions":{"res":"WAIT","msg":null,"exceptions":null}}}"""
EXC_OK = """{"data":{"xSGetExceptions":{"res":"OK","msg":null,"exceptions":[{"status":"0","deviceType":"MG","alias":"Kitchen door"}]}}}"""
DISARM_SUBMIT = """{"data":{"xSDisarmPanel":{"res":"OK","msg":"alarm-manager.processed.request","referenceId":"<opaque>"}}}"""
DISARM_WAIT = """{"data":{"xSDisarmStatus":{"res":"WAIT","msg":"Petición en proceso","status":null,"protomResponse":null,"protomResponseDate":null,"numinst":null,"requestId":"_pollingStatus_5753130","error":null}}}"""
DISARM_OK = """{"data":{"xSDisarmStatus":{"res":"OK","msg":"Tu Alarma ha sido desconectada","status":"0","protomResponse":"D","protomResponseDate":"2023-10-23 09:30:25.126","numinst":"1234567","requestId":"_pollingStatus_5762680","error":null}}}"""
ACTIVITY_ROW = """{"alias":"Armed","type":701,"device":"VV","source":null,"idSignal":"16215212397","schedulerType":null,
 "myVerisureUser":"Test User","time":"2026-04-25 14:17:06","img":0,"incidenceId":null,"signalType":701,
 "interface":"03","deviceName":"Ingresso","keyname":null,"tagId":null,"userAuth":null,"exceptions":null,
 "mediaPlatform":null,"__typename":"XSActV2Reg"}"""
DEVICE_ROW = """{"id":"4","code":"3","zoneId":"YP03","name":"Fachada","type":"YP","isActive":true}"""


def test_reply_parsers_on_the_notes_examples() -> None:
    login = parse.parse_login(parse.root_of(load(LOGIN_OK), "mkLoginToken"))
    assert login.res == "OK" and login.hash == "HASH" and not login.need_device_authorization
    (inst,) = parse.parse_installations(parse.root_of(load(INSTALLATIONS), "mkInstallationList"))
    assert (inst.numinst, inst.alias, inst.panel) == ("123456", "Home", "SDVFAST")
    services = parse.parse_services(parse.root_of(load(SERVICES), "Srv"))
    assert services.perimeter_partition and services.requests == ("SMARTNOT",) and services.capabilities == "CAPS"
    status = parse.parse_status(parse.root_of(load(STATUS), "Status"))
    assert status.status == "T" and status.wifi_connected is True and status.exceptions == ()
    assert parse.parse_submit(parse.root_of(load(CHECK), "CheckAlarm")).reference_id.startswith("OWA_")
    assert parse.parse_poll(parse.root_of(load(CHECK_WAIT), "CheckAlarmStatus")).waiting
    assert parse.parse_poll(parse.root_of(load(CHECK_OK), "CheckAlarmStatus")).proto == "D"
    assert parse.parse_poll(parse.root_of(load(ARM_WAIT), "ArmStatus")).waiting
    assert parse.parse_poll(parse.root_of(load(ARM_OK), "ArmStatus")).proto == "T"
    failed = parse.parse_poll(parse.root_of(load(ARM_EXCEPTION), "ArmStatus"))
    assert failed.res == "ERROR" and failed.error is not None
    assert (failed.error.type, failed.error.allow_forcing, failed.error.exceptions_number) == ("NON_BLOCKING", True, 1)
    assert failed.error.reference_id == "<ref>" and failed.error.suid == "<suid, base64-like>"
    assert parse.parse_exceptions(parse.root_of(load(EXC_WAIT), "xSGetExceptions")).res == "WAIT"
    (zone,) = parse.parse_exceptions(parse.root_of(load(EXC_OK), "xSGetExceptions")).exceptions
    assert (zone.status, zone.device_type, zone.alias) == ("0", "MG", "Kitchen door")
    assert parse.parse_poll(parse.root_of(load(DISARM_OK), "DisarmStatus")).proto == "D"
    (row,) = parse.parse_activity({"reg": [load(ACTIVITY_ROW)]})
    assert (row.id_signal, row.type, row.user, row.device_name, row.img) == ("16215212397", 701, "Test User", "Ingresso", False)
    assert parse.parse_activity({"reg": None}) == []
    (device,) = parse.parse_devices({"devices": [load(DEVICE_ROW)]})
    assert (device.code, device.zone_id, device.type) == ("3", "YP03", "YP")
    arm_string_error = parse.parse_poll({"res": "OK", "msg": "", "protomResponse": "P", "error": ""})
    assert arm_string_error.error is None


def test_capabilities_token_layouts() -> None:
    old = jwt({"jti": "j", "iat": 1000, "exp": 1899, "role": "OWNER", "ins": "123456", "cap": ["ARM", "PERI"]})
    new = jwt({"exp": 1899, "iat": 1000, "installations": [{"role": "OWNER", "ins": "9", "cap": ["X"]}, {"role": "OWNER", "ins": "123456", "cap": ["ARMDAY"]}], "element": "e", "nova": "n"})
    assert parse.capability_list(old, "123456") == ("ARM", "PERI")
    assert parse.capability_list(new, "123456") == ("ARMDAY",)
    assert parse.jwt_expiry(old) == (1899.0, 899.0)
    with pytest.raises(ProtocolError):
        parse.jwt_claims("not a token")


def test_images_must_be_pictures() -> None:
    jpeg = b"\xff\xd8\xff\xe0" + b"0" * 20
    path = base64.b64encode(b"/var/volatile/media/1_38_1.jpeg").decode()
    thumb = parse.parse_thumbnail({"idSignal": "1", "timestamp": "2024-01-01 00:00:00", "image": path, "signalType": "16"})
    assert thumb.image is None
    full = parse.parse_photo_images(
        {"devices": [{"id": "1", "idSignal": "1", "code": "1", "name": "Hall", "quality": "x",
                      "images": [{"id": "1", "image": base64.b64encode(jpeg).decode(), "type": "BINARY"}, {"id": "2", "image": path, "type": "BINARY"}]}]}
    )
    assert full[0].images == (jpeg,)
    idle = parse.parse_thumbnail(None)
    assert idle.timestamp == "" and idle.image is None


@pytest.mark.parametrize(
    ("letter", "state", "words"),
    [
        ("D", PartitionState.DISARMED, "disarmed"),
        ("E", PartitionState.ARMED_CUSTOM_BYPASS, "perimeter"),
        ("P", PartitionState.ARMED_HOME, "home"),
        ("Q", PartitionState.ARMED_NIGHT, "night"),
        ("B", PartitionState.ARMED_HOME, "home + perimeter"),
        ("C", PartitionState.ARMED_NIGHT, "night + perimeter"),
        ("T", PartitionState.ARMED_AWAY, "away"),
        ("A", PartitionState.ARMED_AWAY, "away + perimeter"),
        ("X", PartitionState.ARMED_CUSTOM_BYPASS, "annex"),
        ("O", PartitionState.ARMED_AWAY, "away + annex"),
        ("N", PartitionState.UNKNOWN, "unknown panel state 'N'"),
        ("", PartitionState.UNKNOWN, "unknown panel state '(empty)'"),
    ],
)
def test_proto_letters(letter: str, state: PartitionState, words: str) -> None:
    assert mapping.proto_state(letter) == (state, words)


def test_activity_categories() -> None:
    assert mapping.activity_kind(701) is EventKind.ARM
    assert mapping.activity_kind(850) is EventKind.ARM
    assert mapping.activity_kind(32) is EventKind.DISARM
    assert mapping.activity_kind(13) is EventKind.ALARM
    assert mapping.activity_kind(16) is EventKind.PHOTO
    assert mapping.activity_kind(99999) is None


# ---------------------------------------------------------------- the client against a scripted server


class Scripted:
    """A server answering each operation with the next reply from a list (the notes' examples)."""

    def __init__(self, replies: dict[str, list[str]]) -> None:
        self.replies = {op: list(bodies) for op, bodies in replies.items()}
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.bodies: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        operation = body["operationName"]
        self.seen.append((operation, body.get("variables", {})))
        self.bodies.append(body)
        queue = self.replies[operation]
        text = queue.pop(0) if len(queue) > 1 else queue[0]
        status = 200
        if text.startswith("HTTP "):
            status, text = int(text[5:8]), text[9:]
        return web.Response(text=text, status=status, content_type="application/json")


@pytest.fixture
async def scripted(tmp_path: Path) -> AsyncIterator[Any]:
    servers: list[web.AppRunner] = []

    async def start(replies: dict[str, list[str]]) -> tuple[Scripted, SecuritasProvider]:
        script = Scripted(replies)
        app = web.Application()
        app.router.add_post("/owa-api/graphql", script.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        servers.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        config = SecuritasConfig(kind="securitas", name="casa", url=f"http://127.0.0.1:{port}", username="user@example.com", password="pw")
        pacing = Pacing(min_gap=0.0, poll_interval=0.0, poll_timeout=1.0)
        return script, SecuritasProvider(config, pacing=pacing, state_directory=tmp_path)

    yield start
    for runner in servers:
        await runner.cleanup()


def base_replies() -> dict[str, list[str]]:
    hash_ = jwt({"sub": "user@example.com", "iat": 2_000_000_000, "exp": 2_000_000_900})
    caps = jwt({"jti": "j", "iat": 2_000_000_000, "exp": 2_000_000_899, "role": "OWNER", "ins": "123456", "cap": ["ARM"]})
    return {
        "mkLoginToken": [LOGIN_OK.replace("HASH", hash_)],
        "mkInstallationList": [INSTALLATIONS],
        "Srv": [SERVICES.replace("CAPS", caps)],
        "xSDeviceList": ["""{"data":{"xSDeviceList":{"res":"OK","devices":[""" + DEVICE_ROW + "]}}}"],
        "Status": [STATUS],
        "CheckAlarm": [CHECK],
        "CheckAlarmStatus": [CHECK_WAIT, CHECK_OK],
        "ActV2Timeline": ["""{"data":{"xSActV2":{"reg":[""" + ACTIVITY_ROW + "]}}}"],
    }


async def test_client_on_minimal_replies_status_both_ways_and_events(scripted) -> None:
    script, provider = await scripted(base_replies())
    await provider.connect()
    snapshot = await provider.snapshot()
    assert snapshot.partitions[0].state is PartitionState.ARMED_AWAY and snapshot.panel_name == "Home"
    from alarmtui.domain import Capability

    assert Capability.ARM_PERIMETER in snapshot.capabilities and Capability.PHOTO in snapshot.capabilities
    refreshed = await provider.snapshot(refresh=True)
    assert refreshed.partitions[0].state is PartitionState.DISARMED
    (event,) = await provider.events()
    assert event.kind is EventKind.ARM and event.who == "Test User" and event.zone == "Ingresso"
    assert event.time.isoformat() == "2026-04-25T12:17:06+00:00"  # Madrid summer time
    listing = next(b for b in script.bodies if b["operationName"] == "mkInstallationList")
    assert "variables" not in listing  # sent without a variables key (§1.2)
    await provider.close()


async def test_client_on_minimal_replies_arm_disarm_and_open_zones(scripted) -> None:
    replies = base_replies()
    replies.update(
        {
            "Status": [STATUS.replace('"T"', '"D"')],
            "xSArmPanel": [ARM_SUBMIT, ARM_SUBMIT],
            "ArmStatus": [ARM_WAIT, ARM_EXCEPTION, ARM_WAIT, ARM_OK],
            "xSGetExceptions": [EXC_WAIT, EXC_OK],
            "xSDisarmPanel": [DISARM_SUBMIT],
            "DisarmStatus": [DISARM_WAIT, DISARM_OK],
        }
    )
    script, provider = await scripted(replies)
    await provider.connect()
    await provider.snapshot()
    with pytest.raises(OpenZones) as caught:
        await provider.arm(ArmMode.AWAY)
    assert caught.value.zones == ("Kitchen door",) and caught.value.can_force
    result = await provider.arm(ArmMode.AWAY, force=True)
    assert result.phase is CommandPhase.DONE
    forced = [v for op, v in script.seen if op == "xSArmPanel"][-1]
    assert forced["forceArmingRemoteId"] == "<ref>" and forced["suid"] == "<suid, base64-like>"
    assert (await provider.disarm()).phase is CommandPhase.DONE
    disarm_poll = [v for op, v in script.seen if op == "DisarmStatus"][0]
    assert disarm_poll["counter"] == 1 and disarm_poll["referenceId"] == "<opaque>"
    await provider.close()


async def test_client_on_minimal_busy_and_expired_replies(scripted) -> None:
    replies = base_replies()
    replies["xSArmPanel"] = [BUSY]
    replies["Status"] = [EXPIRED, EXPIRED, EXPIRED]
    replies["RefreshLogin"] = [DEAD_REFRESH]
    script, provider = await scripted(replies)
    await provider.connect()
    with pytest.raises(PanelBusy):
        await provider.arm(ArmMode.AWAY)
    with pytest.raises(SessionExpired):
        await provider.snapshot()  # renewed once (refresh refused -> password), still expired: transient
    operations = [op for op, _ in script.seen]
    assert operations.count("RefreshLogin") == 1 and operations.count("mkLoginToken") == 2
    await provider.close()
