"""The My Pages client against minimal replies built from the protocol notes (exactly the fields shown there).

Not our simulator: a tiny aiohttp server per host answering each route with a
reply the test sets, so the client is held to the notes, not to what our
simulator happens to send.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from alarmtui.domain import ArmMode, CommandPhase, PartitionState, ZoneKind
from alarmtui.providers.base import AuthenticationFailed, ProtocolError, RateLimited, TwoFactorRequired, WrongCode
from alarmtui.providers.mypages import AccountBlocked, MyPagesProvider, Timing
from alarmtui.settings import MyPagesConfig

GIID = "123456789000"
Reply = tuple[int, Any, dict[str, str]]

INSTALLATIONS = {
    "data": {
        "account": {
            "installations": [
                {"giid": GIID, "alias": "Hemma", "customerType": "PRIVATE", "dealerId": "1", "subsidiary": "SE",
                 "pinCodeLength": 6, "locale": "sv_SE", "address": {"street": "s", "city": "c", "postalNumber": "1"}}
            ]
        }
    }
}  # fmt: skip
# §4.2: the README sample, verbatim.
ARM_STATE = {
    "data": {
        "installation": {
            "armState": {"type": None, "statusType": "DISARMED", "date": "2020-03-11T21:04:40.000Z", "name": "Alex Poe",
                         "changedVia": "CODE", "__typename": "ArmState"},
            "__typename": "Installation",
        }
    }
}  # fmt: skip
DOOR_WINDOW = {
    "data": {
        "installation": {
            "doorWindows": [
                {"device": {"deviceLabel": "ABCD EFGH"}, "type": None, "area": "Hall", "state": "OPEN", "wired": False,
                 "reportTime": "2020-03-11T21:04:40.000Z"},
                {"device": {"deviceLabel": "IJKL MNOP"}, "type": None, "area": "Kök", "state": "CLOSE", "wired": False,
                 "reportTime": "2020-03-11T20:00:00.000Z"},
            ]
        }
    }
}  # fmt: skip
SMART_LOCK = {
    "data": {
        "installation": {
            "smartLocks": [
                {"lockStatus": "LOCKED", "doorState": "CLOSE", "lockMethod": "CODE", "eventTime": "2020-03-11T21:04:40.000Z",
                 "doorLockType": None, "secureMode": None, "device": {"deviceLabel": "QRST UVWX", "area": "Ytterdörr"},
                 "user": {"name": "Alex Poe"}}
            ]
        }
    }
}  # fmt: skip
CLIMATE = {
    "data": {
        "installation": {
            "climates": [
                {"device": {"deviceLabel": "YZAB CDEF", "area": "Källare", "gui": {"label": "SMOKE"}}, "humidityEnabled": True,
                 "humidityTimestamp": "2020-03-11T21:00:00.000Z", "humidityValue": 55.0,
                 "temperatureTimestamp": "2020-03-11T21:00:00.000Z", "temperatureValue": 19.5, "thresholds": []}
            ]
        }
    }
}  # fmt: skip
BROADBAND = {"data": {"installation": {"broadband": {"testDate": "2020-03-11T21:00:00.000Z", "isBroadbandConnected": False}}}}
EVENT_LOG = {
    "data": {
        "installation": {
            "eventLog": {
                "moreDataAvailable": False,
                "pagedList": [
                    {"device": {"deviceLabel": None, "area": None, "gui": {"label": None}}, "arloDevice": None, "gatewayArea": None,
                     "eventType": "CR", "eventCategory": "DISARM", "eventSource": "CODE", "eventId": "1", "eventTime": "2020-03-11T21:04:40.000Z",
                     "userName": "Alex Poe", "armState": "DISARMED", "userType": None, "climateValue": None, "sensorType": None, "eventCount": 1}
                ],
            }
        }
    }
}  # fmt: skip
CAMERA = {"data": {"installation": {"cameras": []}}}
READS = {"ArmState": ARM_STATE, "DoorWindow": DOOR_WINDOW, "SmartLock": SMART_LOCK, "Climate": CLIMATE, "Broadband": BROADBAND,
         "EventLog": EVENT_LOG, "Camera": CAMERA}  # fmt: skip
SESSION = {"vid": "v1", "vs-access": "a1", "vs-refresh": "r1"}


def rest(status: int, group: str, code: str, message: str) -> Reply:
    return status, {"errorGroup": group, "errorCode": code, "errorMessage": message}, {}


class Host:
    """One host: `routes[path]` answers (status, JSON body, cookies) for each request; `seen` keeps what came."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[web.Request, Any], Reply]] = {}
        self.seen: list[tuple[str, dict[str, str], Any]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        self.seen.append((request.path, dict(request.headers), body))
        route = self.routes.get(request.path)
        if route is None:
            return web.json_response({"errorCode": "NOT_FOUND"}, status=404)
        status, reply, cookies = route(request, body)
        response = web.Response(
            status=status, text=reply if isinstance(reply, str) else json.dumps(reply), content_type="application/json"
        )
        for name, value in cookies.items():
            response.set_cookie(name, value, max_age=900 if name == "vs-access" else 4747879)
        return response


def graphql_reads(request: web.Request, body: Any) -> Reply:
    """Answer a batch in order: an array, or the bare object for a one-element batch (§3)."""
    ops = body if isinstance(body, list) else [body]
    answers = []
    for op in ops:
        name = op.get("operationName")
        answers.append(INSTALLATIONS if name == "fetchAllInstallations" else READS[name])
    return 200, answers if len(answers) > 1 else answers[0], {}


@pytest.fixture
async def hosts(tmp_path: Path) -> AsyncIterator[tuple[Host, Host]]:
    pair = (Host(), Host())
    runners = []
    for host in pair:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", host.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        host.routes["/auth/login"] = lambda r, b: (200, {}, SESSION)
        host.routes["/graphql"] = graphql_reads
        runners.append(runner)
    yield pair
    for runner in runners:
        await runner.cleanup()


def provider(hosts: tuple[Host, Host], tmp_path: Path, **overrides: Any) -> MyPagesProvider:
    values = {"kind": "mypages", "name": "hus", "url": hosts[0].url, "failover_url": hosts[1].url, "username": "me@example.se",
              "password": "pw", "code": "123456", **overrides}  # fmt: skip
    return MyPagesProvider(
        MyPagesConfig(**values), state_directory=tmp_path, timing=Timing(poll_interval=0.01, command_deadline=1.0)
    )


async def test_status_from_the_notes_samples(hosts, tmp_path: Path) -> None:
    first, _ = hosts
    p = provider(hosts, tmp_path)
    await p.connect()
    snap = await p.snapshot()
    login_headers = next(h for path, h, _ in first.seen if path == "/auth/login")
    assert login_headers["Authorization"].startswith("Basic ") and "vs-access" not in login_headers.get("Cookie", "")
    part = snap.partitions[0]
    assert part.state is PartitionState.DISARMED and "Alex Poe" in part.detail and part.open_zones == ("Hall",)
    hall = snap.zone("ABCD EFGH")
    assert hall is not None and hall.open is True and hall.reported_at is not None and hall.reported_at.year == 2020
    lock = snap.zone("QRST UVWX")
    assert lock is not None and lock.kind is ZoneKind.LOCK and lock.locked is True and "Alex Poe" in lock.detail
    cellar = snap.zone("YZAB CDEF")
    assert cellar is not None and cellar.temperature == 19.5 and cellar.humidity == 55.0
    assert [t.id for t in snap.troubles] == ["broadband"]
    graphql = [b for path, _, b in first.seen if path == "/graphql"]
    assert isinstance(graphql[-1], list) and len(graphql[-1]) >= 5  # one batched request
    events = await p.events()
    assert events[0].text == "Disarmed" and events[0].who.startswith("Alex Poe")
    await p.close()


async def test_arm_two_step_with_a_bare_object_for_one_operation(hosts, tmp_path: Path) -> None:
    first, _ = hosts
    polls = iter([None, "OK"])

    def graphql(request: web.Request, body: Any) -> Reply:
        op = body[0]
        if op.get("operationName") == "armHome":
            assert op["variables"] == {"giid": GIID, "code": "123456", "forceArm": False}
            return 200, {"data": {"armStateArmHome": "tx-1"}}, {}
        if op.get("operationName") == "pollArmState":
            assert op["variables"]["transactionId"] == "tx-1" and op["variables"]["futureState"] == "ARMED_HOME"
            result = {"result": next(polls), "createTime": "2020-03-11T21:04:40.000Z"}
            return 200, {"data": {"installation": {"armStateChangePollResult": result}}}, {}
        return graphql_reads(request, body)

    first.routes["/graphql"] = graphql
    p = provider(hosts, tmp_path)
    await p.connect()
    result = await p.arm(ArmMode.HOME)
    assert result.phase is CommandPhase.CONFIRMED
    await p.close()


async def test_wrong_code_is_val_00008(hosts, tmp_path: Path) -> None:
    first, _ = hosts

    def graphql(request: web.Request, body: Any) -> Reply:
        if body[0].get("operationName") == "disarm":
            return rest(400, "BAD_REQUEST", "VAL_00008", "Invalid or non-existing value for code")
        return graphql_reads(request, body)

    first.routes["/graphql"] = graphql
    p = provider(hosts, tmp_path)
    await p.connect()
    with pytest.raises(WrongCode):
        await p.disarm()
    await p.close()


async def test_sys_00004_in_a_200_body_fails_over(hosts, tmp_path: Path) -> None:
    first, second = hosts
    first.routes["/graphql"] = lambda r, b: (
        200,
        {"errors": [{"message": "x", "data": {"status": 503, "errorCode": "SYS_00004"}}], "data": None},
        {},
    )
    p = provider(hosts, tmp_path)
    await p.connect()
    assert (await p.snapshot()).partitions
    assert any(path == "/graphql" for path, _, _ in second.seen)
    await p.close()


@pytest.mark.parametrize(
    ("reply", "kind", "words"),
    [
        (
            rest(401, "UNAUTHORIZED", "AUT_00001", "Username/password does not match any valid login"),
            AuthenticationFailed,
            "e-mail address or password",
        ),
        (
            rest(401, "UNAUTHORIZED", "AUT_00004", "Invalid username/password/authentication method combination"),
            AuthenticationFailed,
            "try kind = securitas",
        ),
        (rest(429, "TOO_MANY_REQUESTS", "AUT_00021", "Request limit has been reached"), RateLimited, "request limit"),
        (rest(403, "FORBIDDEN", "AUT_00021", "User 'me@example.se' blocked"), AccountBlocked, "blocked"),
    ],
)
async def test_login_refusals(hosts, tmp_path: Path, reply: Reply, kind: type, words: str) -> None:
    for host in hosts:
        host.routes["/auth/login"] = lambda r, b, reply=reply: reply
    p = provider(hosts, tmp_path)
    with pytest.raises(kind) as caught:
        await p.connect()
    assert words in caught.value.message
    assert sum(1 for host in hosts for path, _, _ in host.seen if path == "/auth/login") == 1  # 4xx never fails over
    await p.close()


async def test_step_up_validate_and_trust_as_the_notes_show(hosts, tmp_path: Path) -> None:
    first, _ = hosts
    first.routes["/auth/login"] = lambda r, b: (200, {"stepUpToken": "s1"}, {"vid": "no_vid_cookie", "vs-stepup": "s1"})
    first.routes["/auth/mfa"] = lambda r, b: (200, {}, {})
    first.routes["/auth/mfa/validate"] = lambda r, b: (200, {}, SESSION) if b == {"token": "424242"} else (401, {}, {})
    first.routes["/auth/trust"] = lambda r, b: (200, {"trustTokenValue": "t1"}, {"vs-trust-abc": "t1"})
    p = provider(hosts, tmp_path)
    with pytest.raises(TwoFactorRequired):
        await p.connect()
    await p.send_verification_code("phone")
    mfa = next((h, b) for path, h, b in first.seen if path == "/auth/mfa")
    assert "vs-stepup=s1" in mfa[0]["Cookie"]
    await p.verify_device("424242")
    validate = next((h, b) for path, h, b in first.seen if path == "/auth/mfa/validate")
    assert validate[0]["Content-Type"] == "application/json" and validate[1] == {"token": "424242"}
    await p.connect()
    await p.close()
    # The next start: the saved session is refused, so is its renewal; the login carries only the trust cookie.
    fresh = {"vid": "v2", "vs-access": "a2", "vs-refresh": "r2"}
    first.routes["/auth/login"] = lambda r, b: (200, {}, fresh)
    expired = rest(401, "UNAUTHORIZED", "AUT_00011", "Invalid session cookie")
    first.routes["/graphql"] = lambda r, b: expired if "vs-access=a1" in r.headers.get("Cookie", "") else graphql_reads(r, b)
    first.routes["/auth/token"] = lambda r, b: expired
    restarted = provider(hosts, tmp_path)
    await restarted.connect()
    login = [h for path, h, _ in first.seen if path == "/auth/login"][-1]
    assert login["Cookie"] == "vs-trust-abc=t1" and login["Authorization"].startswith("Basic ")
    await restarted.close()


async def test_one_failing_operation_keeps_the_rest_of_the_batch(hosts, tmp_path: Path) -> None:
    first, _ = hosts

    def graphql(request: web.Request, body: Any) -> Reply:
        status, answers, cookies = graphql_reads(request, body)
        if isinstance(answers, list):
            names = [op.get("operationName") for op in body]
            answers = [
                {"errors": [{"message": "Climate unavailable", "data": {"status": 500}}], "data": None} if n == "Climate" else a
                for n, a in zip(names, answers, strict=True)
            ]
        return status, answers, cookies

    first.routes["/graphql"] = graphql
    p = provider(hosts, tmp_path)
    await p.connect()
    snap = await p.snapshot()
    assert snap.partitions[0].state is PartitionState.DISARMED and snap.zone("ABCD EFGH") is not None
    assert snap.zone("YZAB CDEF") is None  # never read: nothing to show, nothing invented
    first.routes["/graphql"] = lambda r, b: (
        200,
        [{"errors": [{"message": "x", "data": {"status": 500}}], "data": None}] * len(b)
        if isinstance(b, list) and len(b) > 1
        else graphql_reads(r, b)[1],
        {},
    )
    with pytest.raises(ProtocolError):  # the arm state itself failed: the snapshot says so
        await p.snapshot()
    await p.close()
