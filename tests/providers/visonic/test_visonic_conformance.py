"""The real, unmodified `visonicalarm` 3.12.0 library against the Visonic simulator over TLS.

The library is blocking (requests), so the simulator runs in its own thread
(`ThreadedSimHost`) and the tests are plain synchronous functions. The library
hard-codes https and takes "127.0.0.1:PORT" as its hostname; it trusts the
simulator's CA through REQUESTS_CA_BUNDLE.
"""

from __future__ import annotations

import importlib.metadata
import io
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PIL import Image
from visonic import alarm as visonic_alarm  # the real visonicalarm 3.12.0 (test extra), never skipped
from visonic import devices as visonic_devices
from visonic import exceptions as vx

from alarmtui.simulators.host import ThreadedSimHost
from alarmtui.simulators.visonic import (
    DEMO_CODE,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    LIBRARY_VERSIONS,
    MAIN_SERIAL,
    SECOND_SERIAL,
    VisonicCloud,
)
from tests.helpers import until_sync as wait_until

APP_ID = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def make_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., tuple[ThreadedSimHost, VisonicCloud, str]]]:
    hosts: list[ThreadedSimHost] = []

    def make(**options: Any) -> tuple[ThreadedSimHost, VisonicCloud, str]:
        options.setdefault("exit_delay", 0.4)
        options.setdefault("entry_delay", 0.4)
        options.setdefault("photo_delay", 0.05)
        options.setdefault("process_delay", 0.05)
        options.setdefault("versions", LIBRARY_VERSIONS)  # the library was written for 9.0/10.0 payloads
        cloud = VisonicCloud(**options)
        host = ThreadedSimHost([cloud], tls=True).start()
        hosts.append(host)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(host.ca_file))
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(proxy, raising=False)
        hostname = host.urls["visonic"].removeprefix("https://")
        return host, cloud, hostname

    yield make
    for host in hosts:
        host.stop()


def logged_in(hostname: str, api_version: str = "latest", serial: str = MAIN_SERIAL) -> visonic_alarm.Setup:
    setup = visonic_alarm.Setup(hostname, APP_ID, api_version)
    setup.authenticate(DEMO_EMAIL, DEMO_PASSWORD)
    setup.panel_login(serial, DEMO_CODE)
    return setup


def final_process_status(setup: visonic_alarm.Setup, token: str) -> str:
    seen: list[str] = []

    def finished() -> bool:
        seen.append(setup.get_process_status(token)[0].status)
        return seen[-1] in ("succeeded", "failed")

    wait_until(finished)
    assert seen[0] in ("start", "handled", "succeeded", "failed")
    return seen[-1]


# --------------------------------------------------------------------------- the demo flow


def test_demo_flow_runs_unmodified(make_host: Callable[..., Any]) -> None:
    """examples/alarm-control-demo.py: connect() with its 403 10002 -> authenticate -> panel_login dance, arm, disarm."""
    assert importlib.metadata.version("visonicalarm") == "3.12.0"
    host, cloud, hostname = make_host(connect_delay=0.3)
    setup = visonic_alarm.Setup(hostname, APP_ID)  # api_version='latest': the library picks the highest

    assert setup.get_rest_versions() == ["9.0", "10.0"]
    assert setup.api._API__url_base.endswith("/rest_api/10.0")

    # connect(): panel_login first; the library authenticates only on UserAuthRequiredError.
    attempts = 0
    connected = False
    while not connected:
        attempts += 1
        try:
            setup.panel_login(MAIN_SERIAL, DEMO_CODE)
            wait_until(setup.connected)  # the cloud takes a moment to reach the panel
            connected = True
        except vx.UserAuthRequiredError:
            assert setup.authenticate(DEMO_EMAIL, DEMO_PASSWORD) is True
    assert attempts == 2

    # main(): current state, arm home, poll until HOME, disarm, poll until DISARM.
    status = setup.get_status()
    assert status.partitions[0].state == "DISARM"
    assert status.partitions[0].ready is True
    setup.panel_login(MAIN_SERIAL, DEMO_CODE)  # the demo logs in again before every command
    token = setup.arm_home()
    assert isinstance(token, str) and token
    wait_until(lambda: setup.get_status().partitions[0].state == "HOME")
    assert final_process_status(setup, token) == "succeeded"
    setup.panel_login(MAIN_SERIAL, DEMO_CODE)
    setup.disarm()
    wait_until(lambda: setup.get_status().partitions[0].state == "DISARM")

    # print_status() and print_devices()
    status = setup.get_status()
    assert status.connected is True and status.bba_connected is True
    assert status.rssi_level.capitalize() == "Ok"
    assert status.discovery_completed is True
    for device in setup.get_devices():
        assert isinstance(device.partitions, list)
        assert ",".join(str(p) for p in device.partitions)
        assert (len(device.warnings) if device.warnings else 0) == 0
    assert cloud.panels[0].commands_received == 2


# --------------------------------------------------------------------------- every public method


def test_every_public_method_on_rest_9(make_host: Callable[..., Any]) -> None:
    host, cloud, hostname = make_host()
    panel = cloud.panels[0]
    setup = logged_in(hostname, "9.0")
    assert setup.api._API__url_base.endswith("/rest_api/9.0")
    assert setup.connected() is True and setup.api.is_logged_in() is True
    setup.set_rest_version("latest")
    assert setup.api._API__url_base.endswith("/rest_api/10.0")
    setup.set_rest_version("9.0")
    assert setup.api._API__url_base.endswith("/rest_api/9.0")
    assert setup.api.session_token and setup.api.user_token and setup.api.app_id == APP_ID
    assert setup.api.hostname == hostname

    status = setup.get_status()
    assert [p.id for p in status.partitions] == [1, 2, 3]
    assert status.gprs_state == "online"

    devices = setup.get_devices()
    kinds = {type(d) for d in devices}
    assert kinds == {
        visonic_devices.ContactDevice,
        visonic_devices.CameraDevice,
        visonic_devices.SmokeDevice,
        visonic_devices.KeyFobDevice,
        visonic_devices.GSMDevice,
        visonic_devices.PGMDevice,
        visonic_devices.GenericDevice,
    }
    front = next(d for d in devices if d.device_number == 1)
    assert isinstance(front, visonic_devices.ContactDevice) and front.state == "CLOSED"
    assert "'location': 'Front door'" in str(front)
    fob = next(d for d in devices if isinstance(d, visonic_devices.KeyFobDevice))
    assert "'owner_name': 'Ana'" in str(fob)
    assert "'signal_level': 'GOOD'" in str(next(d for d in devices if isinstance(d, visonic_devices.GSMDevice)))

    events = setup.get_events()
    assert events and {"ARM", "DISARM"} <= {e.label for e in events}
    assert any(e.appointment == "Ana" for e in events)

    troubles = setup.get_troubles()
    assert troubles == []
    users = setup.get_users()
    assert [(u.id, u.name) for u in users] == [(1, "Ana"), (2, "Luis"), (3, "Cleaner")]
    locations = setup.get_locations()
    assert len(locations) > 20 and locations[0].name == "Loft"
    features = setup.get_feature_set()
    assert features.partitions_enabled is True and features.partitions_max_count == 3
    assert features.sirens_can_enable is True
    info = setup.get_panel_info()
    assert (info.serial, info.manufacturer, info.current_user) == (MAIN_SERIAL, "Visonic", "master_user")
    panels = setup.get_panels()
    assert [(p.panel_serial, p.alias) for p in panels] == [(MAIN_SERIAL, "Home"), (SECOND_SERIAL, "Cabin")]
    cameras = setup.get_cameras()
    assert [c.zone for c in cameras] == [2, 7]
    sms = setup.get_wakeup_sms()
    assert sms.phone_number.startswith("+") and MAIN_SERIAL in sms.message
    assert setup.api.get_alarms() == [] and setup.api.get_alerts() == []
    assert setup.api.get_email_notifications() == {"mode": "all"}
    assert setup.api.set_email_notifications("none") == {"mode": "none"}
    assert setup.api.get_smart_devices() == []
    assert setup.api.get_smart_devices_settings() == {}

    # arm home / arm away / disarm per partition
    token = setup.arm_home(partition=2)
    assert final_process_status(setup, token) == "succeeded"
    assert {p.id: (p.state, p.status) for p in setup.get_status().partitions}[2] == ("HOME", "EXIT")
    wait_until(lambda: {p.id: p.status for p in setup.get_status().partitions}[2] == "")
    token = setup.arm_away(partition=3)
    assert final_process_status(setup, token) == "succeeded"
    assert {p.id: p.state for p in setup.get_status().partitions} == {1: "DISARM", 2: "HOME", 3: "AWAY"}
    token = setup.disarm(partition=2)
    assert final_process_status(setup, token) == "succeeded"
    token = setup.disarm()  # -1: every partition
    assert final_process_status(setup, token) == "succeeded"
    assert {p.state for p in setup.get_status().partitions} == {"DISARM"}

    # bypass, reflected in traits.bypass
    token = setup.set_bypass_zone(4, True)
    assert final_process_status(setup, token) == "succeeded"
    assert next(d for d in setup.get_devices() if d.device_number == 4).bypass is True
    token = setup.set_bypass_zone(4, False)
    assert final_process_status(setup, token) == "succeeded"
    assert next(d for d in setup.get_devices() if d.device_number == 4).bypass is False

    # user name and code
    token = setup.set_name_user(2, "Bob")
    assert final_process_status(setup, token) == "succeeded"
    assert [u.name for u in setup.get_users()][1] == "Bob"
    token = setup.set_user_code(4, "8675")  # adds user 4
    assert final_process_status(setup, token) == "succeeded"
    assert any(u.id == "4" and u.code == "8675" for u in panel.users)
    token = setup.set_user_code(4, "0000")  # removes it again
    assert final_process_status(setup, token) == "succeeded"
    assert [u.id for u in setup.get_users()] == [1, 2, 3]
    token = setup.api.set_name("ZONE", 3, "Lounge")["process_token"]
    assert final_process_status(setup, token) == "succeeded"

    # siren on/off
    token = setup.activate_siren()
    assert final_process_status(setup, token) == "succeeded"
    assert panel.siren_on is True
    token = setup.disable_siren()
    assert final_process_status(setup, token) == "succeeded"
    assert panel.siren_on is False

    # access grant / revoke
    assert setup.access_grant(3, "cleaner@example.com") == {}
    assert next(u for u in setup.get_users() if u.id == 3).email == "cleaner@example.com"
    with pytest.raises(vx.AlreadyGrantedError):
        setup.access_grant(3, "other@example.com")
    assert setup.access_revoke(3) == {}
    assert next(u for u in setup.get_users() if u.id == 3).email == ""

    # panel add / rename / unlink
    assert setup.panel_rename("Holiday home", SECOND_SERIAL) == {}
    assert ("E5F6A7", "Holiday home") in [(p.panel_serial, p.alias) for p in setup.get_panels()]
    with pytest.raises(vx.WrongUsernameOrPasswordError):
        setup.panel_unlink(SECOND_SERIAL, "not-the-password", APP_ID)
    assert setup.panel_unlink(SECOND_SERIAL, DEMO_PASSWORD, APP_ID) == {}
    assert [p.panel_serial for p in setup.get_panels()] == [MAIN_SERIAL]
    with pytest.raises(vx.WrongPanelSerialOrMasterUserCodeError):
        setup.panel_add("Cabin", SECOND_SERIAL, "9999")
    assert setup.panel_add("Cabin", SECOND_SERIAL, DEMO_CODE) == {}
    with pytest.raises(vx.AlreadyLinkedError):
        setup.panel_add("Cabin", SECOND_SERIAL, DEMO_CODE)
    assert [p.panel_serial for p in setup.get_panels()] == [MAIN_SERIAL, SECOND_SERIAL]

    # password reset in two steps
    assert setup.password_reset(DEMO_EMAIL) == {}
    reset_code = host.call(lambda: cloud.accounts[DEMO_EMAIL].reset_code)
    assert reset_code
    with pytest.raises(vx.ResetPasswordCodeIncorrectError):
        setup.password_reset_complete("WRONG", "N3w.P@ssw0rd!")
    with pytest.raises(vx.NewPasswordStrengthError):
        setup.password_reset_complete(reset_code, "weak")
    new_token = setup.password_reset_complete(reset_code, "N3w.P@ssw0rd!")
    assert re.fullmatch(r"[0-9a-f-]{36}", new_token)
    again = visonic_alarm.Setup(hostname, APP_ID, "9.0")
    with pytest.raises(vx.WrongUsernameOrPasswordError):
        again.authenticate(DEMO_EMAIL, DEMO_PASSWORD)
    assert again.authenticate(DEMO_EMAIL, "N3w.P@ssw0rd!") is True


def test_camera_previews_serve_real_jpegs(make_host: Callable[..., Any]) -> None:
    host, cloud, hostname = make_host()
    setup = logged_in(hostname, "9.0")
    token = setup.api.send_post(setup.api._API__url_base + "/make_video", {"camera_id": 2})["process_token"]
    assert final_process_status(setup, token) == "succeeded"
    camera = next(c for c in setup.get_cameras() if c.zone == 2)
    assert camera.status == "SUCCEEDED" and camera.preview_path and camera.timestamp
    session = setup.api._API__session
    response = session.get(
        f"https://{hostname}{camera.preview_path}",
        headers={"User-Token": setup.api.user_token, "Session-Token": setup.api.session_token},
        timeout=4,
    )
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (640, 480)
    photo_events = [e for e in setup.get_events() if e.video]
    assert photo_events and photo_events[-1].label == "CAMERA"


def test_panel_without_partitions(make_host: Callable[..., Any]) -> None:
    host, cloud, hostname = make_host()
    setup = logged_in(hostname, "9.0", serial=SECOND_SERIAL)
    assert setup.get_feature_set().partitions_enabled is False
    status = setup.get_status()
    assert [(p.id, p.state) for p in status.partitions] == [(-1, "DISARM")]
    assert {tuple(d.partitions) for d in setup.get_devices()} == {(-1,)}
    token = setup.arm_away()
    assert final_process_status(setup, token) == "succeeded"
    assert (setup.get_status().partitions[0].state, setup.get_status().partitions[0].status) == ("AWAY", "EXIT")
    with pytest.raises(vx.UndefinedBadRequestError):
        setup.arm_home(partition=2)  # no partition 2 on this panel


def test_not_ready_entry_delay_and_alarm_are_visible(make_host: Callable[..., Any]) -> None:
    host, cloud, hostname = make_host()
    panel = cloud.panels[0]
    setup = logged_in(hostname, "9.0")
    host.call(panel.open_zone, "1")
    house = setup.get_status().partitions[0]
    assert house.ready is False
    front = next(d for d in setup.get_devices() if d.device_number == 1)
    assert front.state == "OPENED"
    assert [t.trouble_type for t in setup.get_troubles()] == ["OPENED"]
    token = setup.arm_away(partition=1)
    assert final_process_status(setup, token) == "failed"
    assert "Not ready" in setup.get_process_status(token)[0].message
    host.call(panel.close_zone, "1")

    assert final_process_status(setup, setup.arm_away(partition=1)) == "succeeded"
    wait_until(lambda: setup.get_status().partitions[0].status == "")
    host.call(panel.open_zone, "1")  # an entry zone: entry delay first
    assert setup.get_status().partitions[0].state == "ENTRY_DELAY"
    wait_until(lambda: bool(setup.api.get_alarms()))
    alarms = setup.api.get_alarms()
    assert alarms[0]["alarm_type"] == "ALARM_IN_MEMORY" and alarms[0]["zone_name"] == "Front door"  # an intrusion, §9.1
    assert setup.get_status().partitions[0].state == "AWAY"
    assert final_process_status(setup, setup.disarm(partition=1)) == "succeeded"
    assert setup.api.get_alarms()[0]["alarm_type"] == "ALARM_IN_MEMORY"


def test_rest_10_payload_differences(make_host: Callable[..., Any]) -> None:
    """REST 10.0 drops events[].name (3.12.0's get_events then fails, as against the real cloud)."""
    host, cloud, hostname = make_host()
    setup = logged_in(hostname)  # latest = 10.0
    assert setup.api._API__url_base.endswith("/rest_api/10.0")
    assert setup.get_status().gprs_state is None
    raw_events = setup.api.get_events()
    assert raw_events and all("zone_name" in e and "name" not in e for e in raw_events)
    with pytest.raises(KeyError, match="name"):
        setup.get_events()
    # everything else still parses
    assert len(setup.get_devices()) == 12
    assert setup.get_panel_info().serial == MAIN_SERIAL
    host.call(cloud.panels[0].set_offline, True)
    assert setup.connected() is False
    assert all(d.bypass is False for d in setup.get_devices())  # empty traits while offline
    assert all(not raw["traits"] for raw in setup.api.get_devices())


def test_version_pinning_and_unsupported_versions(make_host: Callable[..., Any]) -> None:
    host, cloud, hostname = make_host(versions=["9.0", "10.0", "14.0"])
    assert visonic_alarm.Setup(hostname, APP_ID).api._API__url_base.endswith("/14.0")
    assert visonic_alarm.Setup(hostname, APP_ID, "9.0").api._API__url_base.endswith("/9.0")
    with pytest.raises(vx.UnsupportedRestAPIVersionError):
        visonic_alarm.Setup(hostname, APP_ID, "8.0")
    setup = logged_in(hostname)
    assert setup.get_users()[0].name == "Ana"
    assert setup.api.get_users()["users"][0]["role"] == "MASTER_USER"  # 14.0 roles (§9.6)


# --------------------------------------------------------------------------- exceptions


def test_exceptions_come_out_right(make_host: Callable[..., Any]) -> None:
    host, cloud, hostname = make_host()
    setup = visonic_alarm.Setup(hostname, APP_ID, "9.0")

    with pytest.raises(vx.UserAuthRequiredError):
        setup.panel_login(MAIN_SERIAL, DEMO_CODE)
    with pytest.raises(vx.WrongUsernameOrPasswordError):
        setup.authenticate(DEMO_EMAIL, "wrong")
    with pytest.raises(vx.EmailRequiredError):
        setup.authenticate("", DEMO_PASSWORD)
    setup.authenticate(DEMO_EMAIL, DEMO_PASSWORD)
    with pytest.raises(vx.UserCodeIncorrectError):
        setup.panel_login(MAIN_SERIAL, "9999")
    with pytest.raises(vx.UserCodeRequiredError):
        setup.panel_login(MAIN_SERIAL, "")
    with pytest.raises(vx.PanelSerialIncorrectError):
        setup.panel_login("FFFFFF", DEMO_CODE)

    # never logged in to a panel: no Session-Token header at all
    with pytest.raises(vx.SessionTokenError) as excinfo:
        setup.get_status()
    assert excinfo.value.message == "Session token not found. Please log in prior to this call."

    setup.panel_login(MAIN_SERIAL, DEMO_CODE)
    assert setup.connected() is True
    host.call(cloud.expire_sessions)
    with pytest.raises(vx.SessionTokenError):
        setup.get_status()
    with pytest.raises(vx.SessionTokenError):
        setup.arm_away()
    assert host.call(lambda: cloud.panels[0].commands_received) == 0

    # the demo's connect() recovers: panel_login with the stale user token -> 403 10002 -> authenticate
    with pytest.raises(vx.UserAuthRequiredError):
        setup.panel_login(MAIN_SERIAL, DEMO_CODE)
    setup.authenticate(DEMO_EMAIL, DEMO_PASSWORD)
    setup.panel_login(MAIN_SERIAL, DEMO_CODE)
    assert setup.api.is_logged_in() is True

    # a wrong code sent with a command is 444 "Wrong user code"
    with pytest.raises(vx.InvalidUserCodeError):
        setup.api.send_post(setup.api._API__url_base + "/set_state", {"partition": -1, "state": "AWAY", "user_code": "0000"})

    host.call(cloud.panels[0].set_offline, True)
    with pytest.raises(vx.PanelNotConnectedError):
        setup.arm_home()
    assert setup.connected() is False
    host.call(cloud.panels[0].set_offline, False)


def test_login_blocked_with_seconds_remaining(make_host: Callable[..., Any]) -> None:
    host, cloud, hostname = make_host(max_login_attempts=2, login_block_seconds=30)
    setup = visonic_alarm.Setup(hostname, APP_ID, "9.0")
    for _ in range(2):
        with pytest.raises(vx.WrongUsernameOrPasswordError):
            setup.authenticate(DEMO_EMAIL, "wrong")
    with pytest.raises(vx.LoginTemporaryBlockedError) as excinfo:
        setup.authenticate(DEMO_EMAIL, DEMO_PASSWORD)  # even the right password, while blocked
    assert re.search(r"\((30|29) seconds remaining\)\.$", excinfo.value.message)


def test_login_attempts_limit_on_user_codes(make_host: Callable[..., Any]) -> None:
    host, cloud, hostname = make_host(max_code_attempts=2)
    setup = visonic_alarm.Setup(hostname, APP_ID, "9.0")
    setup.authenticate(DEMO_EMAIL, DEMO_PASSWORD)
    for _ in range(2):
        with pytest.raises(vx.UserCodeIncorrectError):
            setup.panel_login(MAIN_SERIAL, "0000")
    with pytest.raises(vx.LoginAttemptsLimitReachedError):
        setup.panel_login(MAIN_SERIAL, DEMO_CODE)


def test_reason_phrases_are_exact(make_host: Callable[..., Any]) -> None:
    """What the library dispatches on: requests' "<code> Client Error: <reason>" text."""
    import requests

    host, cloud, hostname = make_host()
    base = f"https://{hostname}/rest_api/9.0"
    response = requests.get(f"{base}/status", headers={"Session-Token": str(uuid.uuid4())}, timeout=4)
    assert (response.status_code, response.reason) == (440, "Session token not found")
    assert response.json()["error_reason_code"] == "SessionTokenNotFound"
    response = requests.get(f"{base}/nothing-here", timeout=4)
    assert response.status_code == 404 and response.json()["error"] == 404
    response = requests.get(f"https://{hostname}/rest_api/7.0/status", timeout=4)
    assert response.status_code == 404


def test_malformed_requests_get_json_errors_not_crashes(make_host: Callable[..., Any]) -> None:
    import requests

    host, cloud, hostname = make_host()
    setup = logged_in(hostname, "9.0")
    headers = {"User-Token": setup.api.user_token, "Session-Token": setup.api.session_token}
    base = f"https://{hostname}/rest_api/9.0"
    for path, body in [
        ("auth", b"not json"),
        ("auth", b"[1, 2]"),
        ("panel/login", b'{"user_code": "1234", "app_id": "x", "panel_serial": ["D0A1B2"]}'),
        ("set_state", b'{"partition": {"x": 1}, "state": "AWAY"}'),
        ("set_bypass_zone", b'{"zone": "4", "set": "yes"}'),
        ("set_user_code", b'{"user_code": 1234, "user_id": 2}'),
    ]:
        response = requests.post(f"{base}/{path}", data=body, headers=headers, timeout=4)
        assert response.status_code == 400, (path, response.status_code)
        assert isinstance(response.json()["error"], int) and isinstance(response.json()["extras"], list)
    assert cloud.panels[0].commands_received == 0
