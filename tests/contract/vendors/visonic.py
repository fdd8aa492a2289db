"""Visonic PowerManage REST for the contract suite."""

from __future__ import annotations

import json
from typing import Any

from alarmtui.providers.visonic import VisonicProvider
from alarmtui.settings import VisonicConfig
from alarmtui.simulators.panel import SimPanel
from alarmtui.simulators.visonic import MAIN_SERIAL, VisonicCloud

from . import COMMAND_DEADLINE, HTTP_TIMEOUT, VendorFixture


class Vendor(VendorFixture):
    kind = "visonic"
    read_route = "status"
    command_route = "set_state"
    follow_route = "process_status"
    partition = "1"
    malformed_body = b'{"connected": tru'
    wrong_types_body = json.dumps({"connected": True, "partitions": "all of them"}).encode()
    content_type = "application/json"

    def make_cloud(self) -> VisonicCloud:
        return VisonicCloud(exit_delay=0.2, entry_delay=0.2, photo_delay=0.05, process_delay=0.05)

    def provider(self, **options: Any) -> VisonicProvider:
        table = self.cloud.provider_tables(self.url)[0]
        table.update(panel_serial=MAIN_SERIAL)
        config = VisonicConfig(**{k: v for k, v in table.items() if v is not None})
        settings = {
            "command_poll": 0.05,
            "command_timeout": COMMAND_DEADLINE,
            "http_timeout": HTTP_TIMEOUT,
            "offline_grace": 0.0,
            **options,
        }
        provider = VisonicProvider(config, **settings)
        self.providers.append(provider)
        return provider

    @property
    def panel(self) -> SimPanel:
        return self.cloud.panel_by_serial(MAIN_SERIAL)  # type: ignore[attr-defined,no-any-return]

    def expire_mid_command(self) -> None:
        body = json.dumps({"error": 440, "error_message": "Session token not found", "error_reason_code": "", "extras": []})
        self.cloud.faults.add(self.follow_route, status=440, body=body, content_type="application/json")

    def rate_limit_vendor(self) -> None:
        # 420 "Login temporary blocked" with the seconds to wait in `extras`.
        body = json.dumps(
            {"error": 10020, "error_reason_code": "LoginTemporaryBlocked", "extras": [{"key": "timeout", "value": 2}]}
        )
        self.cloud.faults.add(self.read_route, status=420, body=body, content_type="application/json")

    def never_finish(self) -> None:
        self.cloud.process_delay = 10**6  # type: ignore[attr-defined]

    def wrong_code(self) -> str:
        return "0000"
