"""The real third-party client, vsure 2.10.1 (Home Assistant's), unmodified against the My Pages simulator.

vsure is synchronous (requests): it runs in a worker thread while the simulator serves on the test's loop.
Only its host list is pointed at the simulator's two hosts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alarmtui.simulators.host import SimHost
from alarmtui.simulators.mypages import MyPagesCloud

verisure = pytest.importorskip("verisure")


def session(host: SimHost, cloud: MyPagesCloud, cookie_file: Path) -> Any:
    s = verisure.Session(cloud.username, cloud.password, cookie_file_name=str(cookie_file))
    s._base_urls = [host.urls["mypages"], host.urls["mypages-2"]]
    return s


async def in_thread(call: Callable[[], Any]) -> Any:
    return await asyncio.to_thread(call)


async def test_vsure_mfa_trust_reads_commands_and_failover(tmp_path: Path) -> None:
    cloud = MyPagesCloud(arm_delay=0.0, lock_delay=0.0, capture_delay=0.0, exit_delay=0.0)
    async with SimHost([cloud]) as host:
        cookies = tmp_path / "cookie"
        s = session(host, cloud, cookies)
        with pytest.raises(verisure.LoginError):
            await in_thread(s.login)  # MFA needed
        await in_thread(s.request_mfa)
        assert len(cloud.sent_codes) == 1
        installations = await in_thread(lambda: s.validate_mfa(cloud.sent_codes[-1]))
        giid = installations["data"]["account"]["installations"][0]["giid"]
        s.set_giid(giid)

        reads = await in_thread(lambda: s.request(s.arm_state(), s.door_window(), s.smart_lock(), s.climate(), s.broadband()))
        assert reads[0]["data"]["installation"]["armState"]["statusType"] == "DISARMED"
        assert {d["state"] for d in reads[1]["data"]["installation"]["doorWindows"]} == {"CLOSE"}
        assert reads[2]["data"]["installation"]["smartLocks"][0]["lockStatus"] == "LOCKED"

        armed = await in_thread(lambda: s.request(s.arm_home(cloud.code)))
        transaction = next(iter(armed["data"].values()))  # HA's way: list(data.values())[0]
        results = []
        for _ in range(5):
            poll = await in_thread(lambda: s.request(s.poll_arm_state(transaction, "ARMED_HOME")))
            results.append(poll["data"]["installation"]["armStateChangePollResult"]["result"])
            if results[-1]:
                break
        assert results[0] is None and results[-1] == "OK" and cloud.status_type() == "ARMED_HOME"
        with pytest.raises(verisure.LoginError) as refused:  # away while home: 400 VAL_00818 (a plain LoginError in vsure)
            await in_thread(lambda: s.request(s.arm_away(cloud.code)))
        assert "VAL_00818" in str(refused.value)
        log = await in_thread(lambda: s.request(s.event_log()))
        assert log["data"]["installation"]["eventLog"]["pagedList"][0]["eventCategory"] == "ARM"

        capture = await in_thread(lambda: s.request(s.camera_get_request_id("4CAM 1ABC")))
        request_id = capture["data"]["ContentProviderCaptureImageRequest"]["requestId"]
        status = await in_thread(lambda: s.request(s.camera_capture("4CAM 1ABC", request_id)))
        assert (
            status["data"]["installation"]["cameraContentProvider"]["captureImageRequestStatus"]["mediaRequestStatus"]
            == "AVAILABLE"
        )
        series = await in_thread(lambda: s.request(s.cameras_image_series()))
        media = series["data"]["ContentProviderMediaSearch"]["mediaSeriesList"][0]["deviceMediaList"]
        target = tmp_path / "image.jpg"
        await in_thread(lambda: s.download_image(media[0]["contentUrl"], str(target)))  # a cookie-less GET
        assert target.read_bytes()[:2] == b"\xff\xd8"

        cloud.fail_host(1, "sys_503", times=3)
        assert (await in_thread(lambda: s.request(s.arm_state())))["data"]["installation"]["armState"][
            "statusType"
        ] == "ARMED_HOME"

        # A second client with the saved cookie file logs in by trust: no new code.
        again = session(host, cloud, cookies)
        await in_thread(again.login_cookie)
        assert len(cloud.sent_codes) == 1
        await in_thread(again.update_cookie)
        await in_thread(s.logout)  # DELETE /auth/trust/{v} and /auth/logout answer 200
        assert not cookies.exists()
