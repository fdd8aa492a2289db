"""The MiOS simulator speaks MMS as real clients expect (checked with raw HTTP, not our client)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from PIL import Image

from alarmtui.simulators.host import SimHost, create_cloud
from alarmtui.simulators.houses import vera_house
from alarmtui.simulators.mios import AP2, SS1, MiosCloud, sha1_password
from alarmtui.simulators.panel import Phase

SPEC_TYPO_SEED = "oZ7QE6LcJp6fiWzdqZc"


@dataclass
class Mms:
    cloud: MiosCloud
    host: SimHost
    http: httpx.AsyncClient

    @property
    def base(self) -> str:
        return self.host.urls["mios"]

    def url(self, server: str, path: str) -> str:
        return f"https://{server}{path}"

    async def login(self, token_version: int = 2) -> dict[str, Any]:
        response = await self.http.get(
            f"{self.base}/autha/auth/username/demo",
            params={
                "SHA1Password": sha1_password("demo", "demo-pass"),
                "PK_Oem": "1",
                "TokenVersion": str(token_version),
            },
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def session(self, auth: dict[str, Any], server: str) -> str:
        response = await self.http.get(
            self.url(server, "/info/session/token"),
            headers={"MMSAuth": auth["Identity"], "MMSAuthSig": auth["IdentitySignature"]},
        )
        assert response.status_code == 200, response.text
        return response.text

    async def relay(self, **params: Any) -> httpx.Response:
        auth = await self.login()
        pk, relay = await self.relay_server(auth)
        token = await self.session(auth, relay)
        return await self.http.get(
            self.url(relay, f"/relay/relay/relay/device/{pk}/port_3480/data_request"),
            params={**params, "output_format": "json"},
            headers={"MMSSession": token},
        )

    async def relay_server(self, auth: dict[str, Any]) -> tuple[str, str]:
        identity = json.loads(base64.b64decode(auth["Identity"]))
        account = auth["Server_Account"]
        token = await self.session(auth, account)
        devices = (
            await self.http.get(
                self.url(account, f"/account/account/account/{identity['PK_Account']}/devices"),
                headers={"MMSSession": token},
            )
        ).json()["Devices"]
        device = devices[0]
        token = await self.session(auth, device["Server_Device"])
        info = (
            await self.http.get(
                self.url(device["Server_Device"], f"/device/device/device/{device['PK_Device']}"),
                headers={"MMSSession": token},
            )
        ).json()
        return device["PK_Device"], info["Server_Relay"]


class Luup:
    """A relay session for luup calls, like pyvera's VeraRemote."""

    def __init__(self, mms: Mms, auth: dict[str, Any], pk: str, relay: str, token: str) -> None:
        self.mms, self.auth, self.pk, self.relay, self.token = mms, auth, pk, relay, token

    async def get(self, **params: Any) -> httpx.Response:
        return await self.mms.http.get(
            self.mms.url(self.relay, f"/relay/relay/relay/device/{self.pk}/port_3480/data_request"),
            params={**params, "output_format": "json"},
            headers={"MMSSession": self.token},
        )

    async def json(self, **params: Any) -> Any:
        response = await self.get(**params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
async def mms() -> AsyncIterator[Mms]:
    cloud = MiosCloud(panel=vera_house(exit_delay=0.3, entry_delay=0.3, photo_delay=0))
    async with SimHost([cloud], tls=True) as host:
        context = ssl.create_default_context(cafile=str(host.ca_file))
        async with httpx.AsyncClient(verify=context, timeout=20) as http:
            yield Mms(cloud, host, http)


@pytest.fixture
async def luup(mms: Mms) -> Luup:
    auth = await mms.login()
    pk, relay = await mms.relay_server(auth)
    return Luup(mms, auth, pk, relay, await mms.session(auth, relay))


async def _job_done(luup: Luup, job: str) -> dict[str, Any]:
    for _ in range(100):
        status = await luup.json(id="jobstatus", job=job)
        if status["status"] in (2, 3, 4):
            return status
        await asyncio.sleep(0.02)
    raise AssertionError("job never finished")


# ---------------------------------------------------------------------------------------- autha


async def test_autha_checks_user_and_the_real_seed(mms: Mms) -> None:
    url = f"{mms.base}/autha/auth/username/"
    assert (await mms.http.get(url + "nobody", params={"SHA1Password": "x", "PK_Oem": "1"})).status_code == 404
    good = sha1_password("demo", "demo-pass")
    assert (await mms.http.get(url + "demo", params={"SHA1Password": good, "PK_Oem": "73"})).status_code == 404
    wrong = await mms.http.get(url + "demo", params={"SHA1Password": sha1_password("demo", "nope"), "PK_Oem": "1"})
    assert wrong.status_code == 403 and "wrong password" in wrong.text
    typo = hashlib.sha1(("demo" + "demo-pass" + SPEC_TYPO_SEED).encode()).hexdigest()
    assert (await mms.http.get(url + "demo", params={"SHA1Password": typo, "PK_Oem": "1"})).status_code == 403
    auth = await mms.login()
    assert set(auth) == {
        "Identity",
        "IdentitySignature",
        "Server_Event",
        "Server_Event_Alt",
        "Server_Account",
        "Server_Account_Alt",
    }
    port = mms.host.ports["mios"]
    assert auth["Server_Account"] == f"127.0.0.1:{port}/vera-us-oem-account11"
    assert mms.cloud.logins == 1


async def test_identity_is_signed_with_rsa_sha512_over_the_base64_text(mms: Mms) -> None:
    auth = await mms.login()
    signature = base64.b64decode(auth["IdentitySignature"])
    assert len(signature) == 256  # RSA-2048, like MiOS
    public_key = __import__("cryptography.hazmat.primitives.serialization", fromlist=["x"]).load_pem_public_key(
        mms.cloud.public_key_pem()
    )
    public_key.verify(signature, auth["Identity"].encode(), padding.PKCS1v15(), hashes.SHA512())
    identity = json.loads(base64.b64decode(auth["Identity"]))
    assert identity["Expires"] - identity["Generated"] == 86400
    assert abs(identity["Generated"] - time.time()) < 5
    for key in ("PK_User", "PK_Account", "PK_Server_Auth", "Username", "Seq", "PermissionsEnabled", "Server_Auth"):
        assert key in identity
    assert identity["Version"] == 2 and 41 in identity["PermissionsEnabled"]
    v1 = json.loads(base64.b64decode((await mms.login(token_version=1))["Identity"]))
    assert {"PK_Permission": 41, "Mode": 1} in v1["Permissions"] and "Version" not in v1


async def test_identity_lifetime_hook(mms: Mms) -> None:
    mms.cloud.identity_lifetime = 60
    identity = json.loads(base64.b64decode((await mms.login())["Identity"]))
    assert identity["Expires"] - identity["Generated"] == 60


# ---------------------------------------------------------------------------------------- sessions


async def test_session_tokens_and_each_401_reason(mms: Mms) -> None:
    auth = await mms.login()
    account = auth["Server_Account"]
    pk_account = json.loads(base64.b64decode(auth["Identity"]))["PK_Account"]
    devices_path = f"/account/account/account/{pk_account}/devices"

    async def get(headers: dict[str, str], path: str = "/info/session/token", server: str = account) -> httpx.Response:
        return await mms.http.get(mms.url(server, path), headers=headers)

    token = await mms.session(auth, account)
    assert len(token) == 38 and token == token.upper() and int(token, 16) >= 0
    assert (await get({"MMSSession": token}, devices_path)).status_code == 200
    # Identity headers work directly too (the Ezlo Go client does this).
    assert (await get({"MMSAuth": auth["Identity"], "MMSAuthSig": auth["IdentitySignature"]}, devices_path)).status_code == 200

    def reason(response: httpx.Response) -> str:
        assert response.status_code == 401
        return response.text

    assert reason(await get({}, devices_path)) == 'MMSAuth error="invalid session"'
    assert reason(await get({"MMSSession": "0" * 38}, devices_path)) == 'MMSAuth error="invalid session"'
    # A token is bound to the server that minted it.
    relay_name = auth["Server_Account"].replace("account11", "relay11")
    assert reason(await get({"MMSSession": token}, devices_path, relay_name)) == 'MMSAuth error="invalid session"'
    bad_sig = auth["IdentitySignature"][:-8] + "AAAAAAA="
    assert reason(await get({"MMSAuth": auth["Identity"], "MMSAuthSig": bad_sig})) == 'MMSAuth error="invalid signature"'
    tampered = base64.b64encode(base64.b64decode(auth["Identity"]).replace(b'"PK_Account":260061', b'"PK_Account":1')).decode()
    assert (
        reason(await get({"MMSAuth": tampered, "MMSAuthSig": auth["IdentitySignature"]})) == 'MMSAuth error="invalid signature"'
    )
    garbage = base64.b64encode(b"not json").decode()
    assert reason(await get({"MMSAuth": garbage, "MMSAuthSig": mms.cloud.sign(garbage)})) == 'MMSAuth error="invalid token"'
    partial = base64.b64encode(json.dumps({"PK_Account": 1, "Expires": int(time.time()) + 99}).encode()).decode()
    assert reason(await get({"MMSAuth": partial, "MMSAuthSig": mms.cloud.sign(partial)})) == 'MMSAuth error="invalid token"'
    mms.cloud.advance_clock(86401)
    assert (
        reason(await get({"MMSAuth": auth["Identity"], "MMSAuthSig": auth["IdentitySignature"]}))
        == 'MMSAuth error="expired token"'
    )
    assert reason(await get({"MMSSession": token}, devices_path)) == 'MMSAuth error="invalid session"'
    mms.cloud.advance_clock(-86401)
    token = await mms.session(auth, account)
    mms.cloud.expire_sessions()
    assert reason(await get({"MMSSession": token}, devices_path)) == 'MMSAuth error="invalid session"'


async def test_missing_permission_is_403(mms: Mms) -> None:
    mms.cloud.revoke_permission("view_account")
    auth = await mms.login()
    token = await mms.session(auth, auth["Server_Account"])
    response = await mms.http.get(
        mms.url(auth["Server_Account"], "/account/account/account/260061/devices"), headers={"MMSSession": token}
    )
    assert response.status_code == 403 and "view_account" in response.text
    other = await mms.http.get(
        mms.url(auth["Server_Account"], "/account/account/account/1/devices"), headers={"MMSSession": token}
    )
    assert other.status_code == 403


# ---------------------------------------------------------------------------------------- account / device / locator


async def test_account_devices_device_info_and_locator(mms: Mms) -> None:
    auth = await mms.login()
    account = auth["Server_Account"]
    token = await mms.session(auth, account)
    devices = (
        await mms.http.get(mms.url(account, "/account/account/account/260061/devices"), headers={"MMSSession": token})
    ).json()
    device = devices["Devices"][0]
    assert device["PK_Device"] == "35101627" and device["PK_DeviceType"] == "1" and device["Using_2G"] == "0"
    assert device["Blocked"] == 0 and device["Server_Device"].endswith("/vera-us-oem-device11")
    token = await mms.session(auth, device["Server_Device"])
    info = (
        await mms.http.get(mms.url(device["Server_Device"], "/device/device/device/35101627"), headers={"MMSSession": token})
    ).json()
    assert info["Server_Relay"].endswith("/vera-us-oem-relay11") and info["HasAlarmPanel"] == "1" and info["Using_2G"] == 0
    status = (
        await mms.http.get(
            mms.url(device["Server_Device"], "/device/device/device/35101627/status"), headers={"MMSSession": token}
        )
    ).json()
    assert status["Online"] == "1"
    mms.cloud.set_offline(True)
    status = (
        await mms.http.get(
            mms.url(device["Server_Device"], "/device/device/device/35101627/status"), headers={"MMSSession": token}
        )
    ).json()
    assert status["Online"] == "0"
    missing = await mms.http.get(mms.url(device["Server_Device"], "/device/device/device/1"), headers={"MMSSession": token})
    assert missing.status_code == 404
    located = (await mms.http.get(f"{mms.base}/locator/locator/locator")).json()["Devices"][0]
    assert located["PK_Device"] == 35101627 and located["PK_Account"] == 260061


async def test_bare_hosts_mode_returns_plain_host_port() -> None:
    cloud = MiosCloud(bare_hosts=True)
    async with SimHost([cloud], tls=False) as host:
        async with httpx.AsyncClient() as http:
            response = await http.get(
                f"{host.urls['mios']}/autha/auth/username/demo",
                params={"SHA1Password": sha1_password("demo", "demo-pass")},
            )
            assert response.json()["Server_Account"] == f"127.0.0.1:{host.ports['mios']}"


def test_cloud_defaults_and_provider_tables() -> None:
    cloud = create_cloud("mios")
    assert isinstance(cloud, MiosCloud) and cloud.kind == "mios"
    assert (cloud.username, cloud.password, cloud.code) == ("demo", "demo-pass", "1234")
    assert cloud.provider_tables("https://127.0.0.1:1") == [
        {
            "name": "vera",
            "kind": "mios",
            "url": "https://127.0.0.1:1",
            "username": "demo",
            "password": "demo-pass",
            "code": "1234",
        }
    ]
    assert cloud.panels[0].name == "Vera Plus"
    assert {u.code for u in cloud.panels[0].users} == {"1234", "5678", "2580"}


# ---------------------------------------------------------------------------------------- relay / luup


async def test_sdata_shape(luup: Luup) -> None:
    data = await luup.json(id="sdata")
    assert data["full"] == 1 and isinstance(data["loadtime"], int) and isinstance(data["dataversion"], int)
    by_id = {d["id"]: d for d in data["devices"]}
    assert by_id[40]["category"] == 22
    house = by_id[41]
    assert house["category"] == 23 and house["parent"] == 40 and house["name"] == "House"
    assert (house["armmode"], house["detailedarmmode"], house["alarm"], house["alarmmemory"]) == (
        "Disarmed",
        "Ready",
        "None",
        "0",
    )
    assert house["vendorstatus"] == "Ready to Arm" and house["state"] == -1
    door = by_id[51]
    assert door["category"] == 4 and door["subcategory"] == 1
    assert (door["armed"], door["tripped"], door["batterylevel"]) == ("1", "0", "100")
    assert by_id[67]["category"] == 6
    assert {c["id"] for c in data["categories"]} == {4, 6, 22, 23}


async def test_offline_vera_is_tunnel_not_found(mms: Mms, luup: Luup) -> None:
    mms.cloud.set_offline(True)
    response = await luup.get(id="sdata")
    assert response.status_code == 500 and response.text == "ERROR:Tunnel not found"


async def test_session_in_path_form_and_wrong_server_token(mms: Mms, luup: Luup) -> None:
    response = await mms.http.get(
        mms.url(luup.relay, f"/relay/relay/relay/device/{luup.pk}/session/{luup.token}/port_3480/data_request"),
        params={"id": "alive"},
    )
    assert response.text == "OK"
    account_token = await mms.session(luup.auth, luup.auth["Server_Account"])
    response = await mms.http.get(
        mms.url(luup.relay, f"/relay/relay/relay/device/{luup.pk}/port_3480/data_request"),
        params={"id": "alive"},
        headers={"MMSSession": account_token},
    )
    assert response.status_code == 401


async def test_long_poll_waits_for_changes_and_returns_only_changed_devices(mms: Mms, luup: Luup) -> None:
    full = await luup.json(id="sdata")
    base = {"id": "lu_sdata", "loadtime": full["loadtime"], "dataversion": full["dataversion"], "minimumdelay": 0}
    started = time.monotonic()
    idle = await luup.json(**base, timeout=1)
    assert 0.9 < time.monotonic() - started < 2 and idle["full"] == 0 and idle["devices"] == []

    async def trip() -> None:
        await asyncio.sleep(0.2)
        mms.cloud.panels[0].open_zone("2")

    task = asyncio.create_task(trip())
    started = time.monotonic()
    delta = await luup.json(**base, timeout=10)
    await task
    assert time.monotonic() - started < 1.0
    assert delta["full"] == 0 and delta["dataversion"] > full["dataversion"]
    assert {d["id"] for d in delta["devices"]} == {41, 52}  # the window and its (now not ready) partition
    assert next(d for d in delta["devices"] if d["id"] == 41)["detailedarmmode"] == "NotReady"
    stale = await luup.json(id="lu_sdata", loadtime=full["loadtime"] - 5, dataversion=full["dataversion"], timeout=5)
    assert stale["full"] == 1 and len(stale["devices"]) == len(full["devices"])


@pytest.mark.parametrize(("glitch", "status", "body"), [("empty", 200, ""), ("status0", 200, '{"status": 0}'), ("500", 500, "")])
async def test_reload_glitches(mms: Mms, luup: Luup, glitch: str, status: int, body: str) -> None:
    mms.cloud.inject_glitch(glitch)
    response = await luup.get(id="sdata")
    assert response.status_code == status and response.text == body
    assert (await luup.get(id="sdata")).json()["full"] == 1


async def test_status_user_data_and_variables(mms: Mms, luup: Luup) -> None:
    status = await luup.json(id="status")
    assert {"alerts", "LoadTime", "DataVersion", "devices"} <= set(status)
    one = await luup.json(id="status", DeviceNum=41)
    states = {(s["service"], s["variable"]): s["value"] for s in one["Device_Num_41"]["states"]}
    assert states[(AP2, "DetailedArmMode")] == "Ready"
    user_data = await luup.json(id="user_data")
    devices = {d["id"]: d for d in user_data["devices"]}
    assert devices["41"]["device_type"] == "urn:schemas-micasaverde-com:device:AlarmPartition:2"
    assert devices["41"]["category_num"] == 23
    assert (await luup.get(id="user_data", DataVersion=user_data["DataVersion"])).text == "NO_CHANGES"
    value = await luup.get(id="variableget", DeviceNum=41, serviceId=AP2, Variable="VendorStatus")
    assert value.text == "Ready to Arm"
    assert (await luup.get(id="variableset", DeviceNum=52, serviceId=SS1, Variable="Tripped", Value="1")).text == "OK"
    assert mms.cloud.panels[0].zones["2"].open
    assert (await luup.get(id="action", DeviceNum=41, serviceId=SS1, action="SetArmed", newArmedValue="0")).text.startswith(
        "ERROR"
    )
    assert (await luup.get(id="action", DeviceNum=999, serviceId=AP2, action="RequestArmMode")).text.startswith("ERROR")
    assert (await luup.get(id="nonsense")).text.startswith("ERROR")
    assert (await luup.json(id="jobstatus", job=123456))["status"] == -1


async def test_arm_jobs_pin_quick_arm_and_detailed_modes(mms: Mms, luup: Luup) -> None:
    panel = mms.cloud.panels[0]
    reply = await luup.json(
        id="action", DeviceNum=41, serviceId=AP2, action="RequestArmMode", State="StayInstant", PINCode="2580"
    )
    job = reply["u:RequestArmModeResponse"]["JobID"]
    assert isinstance(job, str)
    assert (await _job_done(luup, job))["status"] == 4
    house = {d["id"]: d for d in (await luup.json(id="sdata"))["devices"]}[41]
    assert (house["armmode"], house["detailedarmmode"], house["lastuser"]) == ("Armed", "StayInstant", "Cleaner")
    assert panel.partitions["1"].phase is Phase.ARMED  # instant: no exit delay
    # Wrong PIN: the job fails and the device comment says why.
    reply = await luup.json(id="action", DeviceNum=41, serviceId=AP2, action="RequestArmMode", State="Disarmed", PINCode="1111")
    assert (await _job_done(luup, reply["u:RequestArmModeResponse"]["JobID"]))["status"] == 2
    house = {d["id"]: d for d in (await luup.json(id="sdata"))["devices"]}[41]
    assert (house["state"], house["comment"]) == (2, "Invalid PIN or User code.")
    assert panel.partitions["1"].phase is Phase.ARMED
    # Quick arm needs no PIN but cannot disarm.
    reply = await luup.json(id="action", DeviceNum=42, serviceId=AP2, action="RequestQuickArmMode", State="Stay")
    assert (await _job_done(luup, reply["u:RequestQuickArmModeResponse"]["JobID"]))["status"] == 4
    reply = await luup.json(id="action", DeviceNum=42, serviceId=AP2, action="RequestQuickArmMode", State="Disarmed")
    status = await _job_done(luup, reply["u:RequestQuickArmModeResponse"]["JobID"])
    assert status["status"] == 2 and "PIN" in status["notes"]
    # Force arms over an open zone; Vacation reports itself.
    reply = await luup.json(id="action", DeviceNum=41, serviceId=AP2, action="RequestArmMode", State="Disarmed", PINCode="1234")
    await _job_done(luup, reply["u:RequestArmModeResponse"]["JobID"])
    panel.open_zone("2")
    reply = await luup.json(id="action", DeviceNum=41, serviceId=AP2, action="RequestArmMode", State="Force", PINCode="1234")
    assert (await _job_done(luup, reply["u:RequestArmModeResponse"]["JobID"]))["status"] == 4
    await asyncio.sleep(0.35)
    house = {d["id"]: d for d in (await luup.json(id="sdata"))["devices"]}[41]
    assert house["detailedarmmode"] == "Force"


async def test_camera_snapshot_and_archive(luup: Luup) -> None:
    image = await luup.get(id="request_image", cam=67, res="low")
    assert image.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(image.content)) as picture:
        assert picture.size == (320, 240)
    assert (await luup.get(id="request_image", cam=51)).text.startswith("ERROR")
    assert (await luup.get(id="archive_video", cam=67, duration=60, format=1)).text == "OK"


# ---------------------------------------------------------------------------------------- events / storage


async def _event_session(mms: Mms) -> tuple[str, str]:
    auth = await mms.login()
    return auth["Server_Event"], await mms.session(auth, auth["Server_Event"])


async def test_variable_events_for_every_change_with_filters(mms: Mms, luup: Luup) -> None:
    panel = mms.cloud.panels[0]
    reply = await luup.json(id="action", DeviceNum=41, serviceId=AP2, action="RequestArmMode", State="Armed", PINCode="1234")
    await _job_done(luup, reply["u:RequestArmModeResponse"]["JobID"])
    panel.open_zone("5")
    server, token = await _event_session(mms)

    async def events(**params: str) -> list[dict[str, Any]]:
        response = await mms.http.get(mms.url(server, "/event/event/events"), params=params, headers={"MMSSession": token})
        assert response.status_code == 200, response.text
        return response.json()["Records"]

    records = await events(Gateway="35101627", User="0", Count="200")
    codes = {(r["DeviceID"], r["Code"], r["NewValue"]) for r in records}
    assert {
        ("41", "DetailedArmMode", "ExitDelay"),
        ("41", "ArmMode", "Armed"),
        ("41", "LastUser", "Ana"),
        ("55", "Tripped", "1"),
    } <= codes
    first = records[0]
    assert first["PK_Device"] == "35101627" and first["EventType"] == "4" and isinstance(first["PK_Event"], int)
    assert int(records[0]["Timestamp"]) >= int(records[-1]["Timestamp"])  # newest first
    assert all(r["EventType"] == "4" for r in await events(Gateway="*", Type="4", User="0"))
    assert {r["DeviceID"] for r in await events(Gateway="*", Device="55", User="0")} == {"55"}
    assert len(await events(Gateway="*", Count="2", User="0")) == 2
    ascending = await events(Gateway="*", Sort="Asc", User="0")
    assert [r["PK_Event"] for r in ascending] == sorted(r["PK_Event"] for r in ascending)
    assert await events(Gateway="*", After=str(int(time.time()) + 10), User="0") == []
    # Without a gateway only the user's own events (logins) come back; User=0 drops them.
    logins = await events()
    assert logins and {r["EventType"] for r in logins} == {"5"}
    assert await events(User="0") == []
    assert await events(Gateway="1", User="0") == []  # not this account's gateway


async def test_image_events_point_to_stored_jpegs(mms: Mms, luup: Luup) -> None:
    await luup.get(id="request_image", cam=67)
    server, token = await _event_session(mms)
    records = (
        await mms.http.get(
            mms.url(server, "/event/event/events"),
            params={"Gateway": "*", "Type": "1", "User": "0"},
            headers={"MMSSession": token},
        )
    ).json()["Records"]
    assert len(records) == 3
    record = records[0]
    assert record["Format"] == "jpg" and record["DeviceID"] == "67" and int(record["FileSize"]) > 1000
    storage = record["Server_Storage"]
    assert storage.endswith("/vera-us-oem-storage11")
    auth = await mms.login()
    store_token = await mms.session(auth, storage)
    path = f"/storage/storage/store/{record['PK_Store']}"
    archive = await mms.http.get(
        mms.url(storage, path + "/archive"), params={"Key": record["Key"]}, headers={"MMSSession": store_token}
    )
    assert (
        archive.status_code == 200 and archive.content.startswith(b"\xff\xd8") and len(archive.content) == int(record["FileSize"])
    )
    thumb = await mms.http.get(
        mms.url(storage, path + "/thumbnail"), params={"Key": record["Key"]}, headers={"MMSSession": store_token}
    )
    with Image.open(io.BytesIO(thumb.content)) as picture:
        assert picture.format == "JPEG" and picture.size[0] <= 160
    info = (await mms.http.get(mms.url(storage, path), params={"Key": record["Key"]}, headers={"MMSSession": store_token})).json()
    assert info["Filesize"] == len(archive.content)
    wrong = await mms.http.get(mms.url(storage, path + "/archive"), params={"Key": "1"}, headers={"MMSSession": store_token})
    assert wrong.status_code == 403
    missing = await mms.http.get(
        mms.url(storage, "/storage/storage/store/1/archive"), params={"Key": "1"}, headers={"MMSSession": store_token}
    )
    assert missing.status_code == 404
    # The event server's token is no good on the storage server.
    assert (
        await mms.http.get(mms.url(storage, path + "/archive"), params={"Key": record["Key"]}, headers={"MMSSession": token})
    ).status_code == 401


# ---------------------------------------------------------------------------------------- a real client


async def test_real_pyvera_client_reads_and_bypasses_through_the_relay() -> None:
    """pyvera (the Home Assistant Vera library) works unmodified on the relay's session-path URL.

    Plain HTTP here: the point is the luup dialect, and requests' own CA handling is not ours to test.
    """
    pyvera = pytest.importorskip("pyvera")
    cloud = MiosCloud(panel=vera_house(exit_delay=0.3))
    async with SimHost([cloud], tls=False) as host, httpx.AsyncClient(timeout=20) as http:
        mms = Mms(cloud, host, http)
        mms.url = lambda server, path: f"http://{server}{path}"  # type: ignore[method-assign]
        auth = await mms.login()
        pk, relay = await mms.relay_server(auth)
        token = await mms.session(auth, relay)
        base_url = mms.url(relay, f"/relay/relay/relay/device/{pk}/session/{token}/port_3480")
        panel = cloud.panels[0]
        panel.open_zone("2")

        def run() -> tuple[Any, ...]:
            controller = pyvera.VeraController(base_url)
            devices = {d.device_id: d for d in controller.get_devices()}
            window = devices[52]
            facts = (
                controller.temperature_units,
                window.name,
                window.is_tripped,
                window.is_armed,
                window.battery_level,
                devices[41].name,
            )
            armable = next(d for d in controller.devices if isinstance(d, pyvera.VeraArmableDevice) and d.device_id == 52)
            armable.set_armed_state(0)  # pyvera's "bypass" switch
            changed, stamp = controller.get_changed_devices(pyvera.TIMESTAMP_NONE)
            return (*facts, len(changed), stamp)

        model, name, tripped, armed, battery, partition, changed, stamp = await asyncio.to_thread(run)
        assert (model, name, tripped, armed, battery, partition) == ("C", "Kitchen Window", True, True, "100", "House")
        assert changed == len(cloud.vera().devices) and stamp["loadtime"] == cloud.vera().loadtime
        for _ in range(50):
            if panel.zones["2"].bypassed:
                break
            await asyncio.sleep(0.02)
        assert panel.zones["2"].bypassed


def test_any_house_gets_distinct_luup_device_numbers() -> None:
    from alarmtui.simulators.houses import visonic_house

    cloud = MiosCloud(panel=visonic_house())
    devices = cloud.vera().devices
    zones = [d.zone for d in devices.values() if d.zone]
    assert len(zones) == len(set(zones)) == 9  # keyfob, GSM and PGM are not security sensors
    assert sorted(d.category for d in devices.values()).count(6) == 2
    assert {41, 42, 43} <= set(devices)


async def test_a_long_poll_open_when_the_simulator_stops_is_answered_not_cut() -> None:
    """Stopping a simulator does not wait for its long polls (the runners' shutdown timeout, 0.5 s each: every
    demo's quit and many test teardowns): they are answered at once, as a window with no change."""
    from tests.helpers import until

    cloud = MiosCloud(panel=vera_house())
    host = SimHost([cloud])
    await host.start()
    stopped = False
    try:
        url = f"{host.urls['vera']}/data_request"
        async with httpx.AsyncClient(timeout=30) as client:
            full = (await client.get(url, params={"id": "lu_sdata"})).json()
            question = {"id": "lu_sdata", "loadtime": full["loadtime"], "dataversion": full["dataversion"], "timeout": 60}
            held = asyncio.create_task(client.get(url, params=question))
            await until(lambda: cloud.faults.count("lu_sdata") == 2, what="the long poll at the Vera")
            await asyncio.sleep(0)  # into its wait
            await host.stop()
            stopped = True
            reply = await held
        assert reply.status_code == 200
        assert reply.json()["dataversion"] == full["dataversion"]  # a whole answer: nothing changed
    finally:
        if not stopped:
            await host.stop()
