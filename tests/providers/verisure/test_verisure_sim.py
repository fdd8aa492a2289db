"""The ws.do simulator speaks the dialect real clients expect (protocols/verisure.md Appendix A).

These tests talk to it the way pysecuritas, segalion and Jeedom do: plain
`requests` calls, parameters in the query string or a form body, xmltodict on
the answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import pytest
import requests
import xmltodict

from alarmtui.simulators.host import ThreadedSimHost, create_cloud
from alarmtui.simulators.panel import Mode
from alarmtui.simulators.verisure import VerisureCloud


class Client:
    """A pysecuritas-style client: GET with query parameters, one ID per op."""

    def __init__(self, base: str, cloud: VerisureCloud, lang: str = "es") -> None:
        self.url = base + "/WebService/ws.do"
        self.cloud = cloud
        self.lang = lang
        self.hash = ""
        self.session = requests.Session()

    def new_id(self) -> str:
        return "AND" + "_" * 25 + "demo" + datetime.now().strftime("%Y%m%d%H%M%S")

    def call(self, request: str, method: str = "GET", form: bool = False, **params: str) -> dict:
        payload = {"request": request, "ID": params.pop("ID", self.new_id()), "Country": "ES", "lang": self.lang,
                   "user": "demo", "hash": self.hash, **params}
        if method == "POST" and form:
            response = self.session.post(self.url, data=payload, timeout=10)
        elif method == "POST":
            response = self.session.post(self.url, params=payload, timeout=10)
        else:
            response = self.session.get(self.url, params=payload, timeout=10)
        assert response.status_code == 200
        assert response.text.rstrip().endswith("</BLOQ></PET>")  # BLOQ tail on every reply
        doc = xmltodict.parse(response.text)
        doc["PET"].pop("BLOQ")
        return doc["PET"]

    def login(self, method: str = "GET", form: bool = False) -> dict:
        pet = self.call("LOGIN", method, form, pwd="demo-pass")
        self.hash = pet.get("HASH", "")
        return pet

    def inst(self, **extra: str) -> dict[str, str]:
        return {"numinst": self.cloud.main.numinst, "panel": "SDVFAST", "callby": "AND_61", **extra}

    def two_step(self, op: str, **extra: str) -> tuple[dict, int]:
        op_id = self.new_id()
        first = self.call(op + "1", ID=op_id, **self.inst(**extra))
        assert first["RES"] == "OK", first
        waits = 0
        while True:
            second = self.call(op + "2", ID=op_id, **self.inst(**extra))
            if second["RES"] != "WAIT":
                return second, waits
            assert "ERR" not in second
            waits += 1


@pytest.fixture
def served() -> Iterator[tuple[VerisureCloud, ThreadedSimHost]]:
    cloud = VerisureCloud(exit_delay=0.0, photo_delay=0.2)
    with ThreadedSimHost([cloud]) as host:
        yield cloud, host


@pytest.fixture
def client(served) -> Client:
    cloud, host = served
    c = Client(host.urls["verisure"], cloud)
    c.login()
    return c


def test_demo_account_and_tables() -> None:
    cloud = create_cloud("verisure")
    assert isinstance(cloud, VerisureCloud)
    assert (cloud.username, cloud.password) == ("demo", "demo-pass")
    assert [i.alias for i in cloud.installations.values()] == ["Casa", "Apartamento"]
    (table,) = cloud.provider_tables("https://127.0.0.1:1")
    assert table == {"name": "casa", "kind": "verisure", "url": "https://127.0.0.1:1", "username": "demo",
                     "password": "demo-pass", "installation": cloud.main.numinst, "country": "ES", "language": "es"}
    assert len(cloud.panels) == 2


def test_custom_panels() -> None:
    from alarmtui.simulators.houses import verisure_house

    single = VerisureCloud(panel=verisure_house(exit_delay=0.1))
    assert len(single.installations) == 1 and single.main.panel.exit_delay == 0.1
    several = VerisureCloud(panels=[verisure_house(), verisure_house(), verisure_house()], photo_delay=0.5)
    assert len({i.numinst for i in several.installations.values()}) == 3
    assert all(p.photo_delay == 0.5 for p in several.panels)
    lines = several.describe("http://127.0.0.1:1")
    assert "demo-pass" in lines[0] and len(lines) == 4


@pytest.mark.parametrize(("method", "form"), [("GET", False), ("POST", False), ("POST", True)])
def test_login_every_way(served, method: str, form: bool) -> None:
    cloud, host = served
    c = Client(host.urls["verisure"], cloud)
    pet = c.login(method, form)
    assert pet["RES"] == "OK" and pet["LANG"] == "ES"
    assert pet["HASH"].isdigit() and len(pet["HASH"]) == 11
    assert pet["MSG"] == "Usuario validado correctamente"


def test_login_failures(served) -> None:
    cloud, host = served
    c = Client(host.urls["verisure"], cloud)
    pet = c.call("LOGIN", pwd="wrong")
    assert pet["RES"] == "ERROR" and "ERR" not in pet and pet["MSG"]
    cloud.migrated = True
    pet = c.call("LOGIN", pwd="demo-pass")
    assert (pet["RES"], pet["ERR"]) == ("ERROR", "60161")


def test_installation_data(client: Client) -> None:
    ins = client.call("INS", callby="AND_61")
    installations = ins["INSTALATIONS"]["INSTALATION"]
    assert [i["ALIAS"] for i in installations] == ["Casa", "Apartamento"]
    assert all(i["PANEL"] == "SDVFAST" for i in installations)
    mine = client.call("MYINSTALLATION", "POST", **client.inst())
    devices = mine["INSTALLATION"]["DEVICES"]["DEVICE"]
    assert devices[0]["@type"] == "YR" and devices[0]["@aliasType"] == "Foto detector"
    assert {d["@idDev"] for d in devices} == {"1", "2", "3", "4", "5", "6"}
    for name in ("SRV", "SVR"):  # every working client sends SRV; the doc's SVR is accepted too
        srv = client.call(name, **client.inst())
        assert srv["INSTALATION"]["INSTIBS"] == client.cloud.main.instibs
        assert srv["INSTALATION"]["ALIAS"] == "Casa"


def test_second_installation_has_a_single_device_list_entry_per_device(client: Client) -> None:
    second = list(client.cloud.installations.values())[1]
    mine = client.call("MYINSTALLATION", numinst=second.numinst)
    assert len(mine["INSTALLATION"]["DEVICES"]["DEVICE"]) == 2


def test_status_codes_for_every_combination() -> None:
    from alarmtui.simulators.panel import Phase, SimPartition

    expected = {(None, False): "0", (Mode.AWAY, False): "1", (Mode.HOME, False): "P", (Mode.NIGHT, False): "Q",
                (None, True): "3", (Mode.AWAY, True): "4", (Mode.HOME, True): "B", (Mode.NIGHT, True): "C"}
    for (mode, peri), code in expected.items():
        part = SimPartition("1", "x", mode=mode, perimeter=peri, phase=Phase.ARMED if (mode or peri) else Phase.DISARMED)
        assert VerisureCloud.status_code(part) == code


def test_two_step_ops_through_the_wire(client: Client) -> None:
    est, waits = client.two_step("EST")
    assert (est["STATUS"], est["NUMINST"], waits) == ("0", client.cloud.main.numinst, 2)
    assert est["MSG"] == "Tu Alarma está desconectada"
    for op, code in [("ARMDAY", "P"), ("PERI", "B")]:
        reply, _ = client.two_step(op)
        assert reply["STATUS"] == code
    conflict, _ = client.two_step("ARMNIGHT")
    assert conflict["RES"] == "ERROR" and "otro activado" in conflict["MSG"]
    darm, _ = client.two_step("DARM")
    assert (darm["STATUS"], darm["MSG"]) == ("0", "Tu Alarma ha sido desconectada")
    for op, code in [("ARMNIGHT", "Q"), ("PERI", "C")]:
        assert client.two_step(op)[0]["STATUS"] == code
    client.two_step("DARM")
    assert client.two_step("ARM")[0]["STATUS"] == "1"
    assert client.two_step("PERI")[0]["STATUS"] == "4"
    assert client.two_step("ARMANNEX")[0]["RES"] == "OK"
    assert client.cloud.main.panel.partitions["1"].annex
    assert client.two_step("DARM")[0]["STATUS"] == "0"
    assert client.cloud.main.panel.partitions["1"].annex  # DARM leaves the annex alone
    client.two_step("DARMANNEX")
    assert not client.cloud.main.panel.partitions["1"].annex


def test_step2_needs_its_step1_and_same_id(client: Client) -> None:
    pet = client.call("EST2", **client.inst())
    assert pet["RES"] == "ERROR" and pet["ERR"]
    op_id = client.new_id()
    client.call("EST1", ID=op_id, **client.inst())
    assert client.call("EST2", ID=op_id + "x", **client.inst())["RES"] == "ERROR"
    assert client.call("EST2", ID=op_id, **client.inst())["RES"] == "WAIT"


def test_one_operation_in_flight_gives_panel_busy(client: Client) -> None:
    client.call("EST1", **client.inst())
    pet = client.call("ARM1", **client.inst())
    assert pet["RES"] == "ERROR" and "solicitud anterior" in pet["MSG"]


def test_strict_mode_wants_callby(client: Client) -> None:
    client.cloud.strict = True
    params = client.inst()
    params.pop("callby")
    pet = client.call("EST1", **params)
    assert (pet["RES"], pet["ERR"], pet["NUMINST"]) == ("ERROR", "60060", client.cloud.main.numinst)
    # Non-panel requests still work without callby (pysecuritas#6).
    assert client.call("ACT_V2", numinst=client.cloud.main.numinst, timefilter="3", activityfilter="0")["RES"] == "OK"
    assert client.call("EST1", **client.inst())["RES"] == "OK"


def test_sessions_expire_and_injected_errors(client: Client) -> None:
    inst = client.inst()
    client.cloud.inject_error("60067")
    pet = client.call("ACT_V2", **inst)
    assert (pet["RES"], pet["ERR"]) == ("ERROR", "60067")
    client.cloud.inject_error("3000")
    pet = client.call("ACT_V2", **inst)
    assert (pet["ERR"], pet["MSG"]) == ("3000", "The system is temporarily unavailable.")
    assert client.call("ACT_V2", **inst)["RES"] == "OK"
    client.cloud.expire_sessions()
    pet = client.call("ACT_V2", **inst)
    assert (pet["ERR"], pet["MSG"]) == ("60022", "Invalid session. Please, try again later.")
    client.login()
    assert client.call("ACT_V2", **inst)["RES"] == "OK"


def test_hash_lifetime(served) -> None:
    cloud, host = served
    now = [1000.0]
    cloud.clock = lambda: now[0]
    cloud.hash_lifetime = 60
    c = Client(host.urls["verisure"], cloud)
    c.login()
    now[0] += 50
    assert c.call("INS")["RES"] == "OK"
    now[0] += 50  # used 50 s ago: still alive (sliding)
    assert c.call("INS")["RES"] == "OK"
    now[0] += 61
    assert c.call("INS")["ERR"] == "60022"


@pytest.mark.parametrize("numinst", ["(null)", "", None])
def test_logout_accepts_every_numinst_spelling(client: Client, numinst: str | None) -> None:
    params = {"numinst": numinst} if numinst is not None else {}
    pet = client.call("CLS", **params)
    assert pet["RES"] == "OK"
    assert client.call("INS")["ERR"] == "60022"


def test_activity_log_shape(client: Client) -> None:
    client.two_step("EST")
    client.two_step("ARM")
    client.two_step("DARM")
    panel = client.cloud.main.panel
    panel.raise_trouble("power_cut")
    act = client.call("ACT_V2", **client.inst(timefilter="3", activityfilter="0"))
    regs = act["LIST"]["REG"]
    assert act["LIST"]["@totalreg"] == str(len(regs))
    assert [r["@type"] for r in regs] == ["25", "32", "31", "27"]  # newest first
    for reg in regs:
        assert set(reg) >= {"@type", "@alias", "@time", "@idsignal", "@signaltype", "@source", "@device"}
        assert reg["@signaltype"] == reg["@type"]
        datetime.strptime(reg["@time"], "%y%m%d%H%M%S")
    ids = [int(r["@idsignal"]) for r in regs]
    assert ids == sorted(ids, reverse=True)
    assert regs[1]["@myverisureUser"] == "demo" and regs[1]["@source"] == "ANDROID"
    assert regs[1]["@alias"] == "Desconectado"


def test_empty_activity_log(client: Client) -> None:
    act = client.call("ACT_V2", **client.inst(timefilter="1", activityfilter="0"))
    assert act["LIST"] == {"@totalreg": "0", "@costtotal": "0"}


def test_sim_events_map_to_reg_types(client: Client) -> None:
    panel = client.cloud.main.panel
    panel.arm(Mode.AWAY, instant=True, user="Ana")
    panel.trip_zone("2")
    panel.disarm(user="Ana")
    panel.raise_trouble("tamper", "3")
    panel.arm(Mode.NIGHT, instant=True, user="Ana")
    panel.raise_trouble("tamper", "4")
    act = client.call("ACT_V2", **client.inst(timefilter="2", activityfilter="0"))
    types = [r["@type"] for r in act["LIST"]["REG"]]
    assert types == ["24", "46", "241", "32", "13", "324", "31"]
    alarm = act["LIST"]["REG"][4]
    assert alarm["@device"] == "Comedor"
    assert act["LIST"]["REG"][-1]["@user"] == "Ana"


def test_english_messages(served) -> None:
    cloud, host = served
    c = Client(host.urls["verisure"], cloud, lang="en")
    assert c.login()["LANG"] == "EN"
    assert c.two_step("EST")[0]["MSG"] == "Your Alarm is deactivated"
    assert c.two_step("ARM")[0]["MSG"] == "Your Alarm is activated in Total mode"


def test_photo_flow_pysecuritas_style(client: Client) -> None:
    srv = client.call("SRV", **client.inst())
    instibs = srv["INSTALATION"]["INSTIBS"]
    bad = client.call("IMG1", **client.inst(device="1", instibs="0", idservice="1"))
    assert bad["RES"] == "ERROR"
    not_camera = client.call("IMG1", **client.inst(device="5", instibs=instibs, idservice="1"))
    assert not_camera["RES"] == "ERROR"
    reply, _ = client.two_step("IMG", device="1", instibs=instibs, idservice="1")
    assert reply["RES"] == "OK" and reply["MSG"].startswith("La secuencia de imágenes ha sido tomada")
    done_at = time.monotonic()
    while True:  # ACT_V2 until the newest REG is a photo (pysecuritas get_inf)
        act = client.call("ACT_V2", **client.inst(timefilter="3", activityfilter="0"))
        regs = act["LIST"].get("REG", [])
        newest = regs[0] if isinstance(regs, list) and regs else regs
        if newest and newest["@signaltype"] == "16":
            break
        assert time.monotonic() - done_at < 5
        time.sleep(0.05)
    assert time.monotonic() - done_at >= 0.15  # photo_delay 0.2 s after IMG2 answered OK
    inf = client.call("INF", **client.inst(idsignal=newest["@idsignal"], signaltype=newest["@signaltype"]))
    device = inf["DEVICES"]["DEVICE"]
    assert device["@name"] == "Entrada" and device["@numimg"] == "3"
    import base64

    images = [base64.b64decode(img["#text"]) for img in device["IMG"]]
    assert len(images) == 3 and all(i.startswith(b"\xff\xd8") for i in images)
    assert client.call("INF", **client.inst(idsignal="1", signaltype="16"))["RES"] == "ERROR"


def test_http_injection(served) -> None:
    cloud, host = served
    cloud.inject_http(403, retry_after=60)
    response = requests.get(host.urls["verisure"] + "/WebService/ws.do", params={"request": "LOGIN"}, timeout=5)
    assert response.status_code == 403 and response.headers["Retry-After"] == "60"
    response = requests.get(host.urls["verisure"] + "/WebService/ws.do", params={"request": "LOGIN", "ID": "x"}, timeout=5)
    assert response.status_code == 200 and "<RES>ERROR</RES>" in response.text
