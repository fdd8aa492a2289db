"""Verisure ws.do for the contract suite."""

from __future__ import annotations

from typing import Any

from alarmtui.providers.verisure import VerisureProvider
from alarmtui.settings import VerisureConfig
from alarmtui.simulators.panel import SimPanel
from alarmtui.simulators.verisure import VerisureCloud

from . import COMMAND_DEADLINE, HTTP_TIMEOUT, VendorFixture

SESSION_EXPIRED = (
    "<?xml version='1.0' encoding='UTF-8'?><PET><RES>ERROR</RES><ERR>60022</ERR>"
    "<MSG>Invalid session. Please, try again later.</MSG></PET>"
)


class Vendor(VendorFixture):
    kind = "verisure"
    read_route = "ACT_V2"
    command_route = "ARM1"
    follow_route = "ARM2"
    malformed_body = b"this is not xml at all"
    # The envelope is right, the record is not: a REG without type or idsignal.
    wrong_types_body = b"<PET><RES>OK</RES><LIST><REG alias='x' time='nonsense'/></LIST></PET>"
    content_type = "text/xml"
    unsupported = {"wrong_code": "ws.do commands carry no user code"}

    def make_cloud(self) -> VerisureCloud:
        return VerisureCloud(exit_delay=0.2, entry_delay=0.2, photo_delay=0.05, step2_waits=1)

    def provider(self, **options: Any) -> VerisureProvider:
        config = VerisureConfig(kind="verisure", name="casa", url=self.url, username="demo", password="demo-pass")
        settings = {
            "step2_interval": 0.05,
            "step2_deadline": COMMAND_DEADLINE,
            "activity_cache": 0.0,
            "http_timeout": HTTP_TIMEOUT,
            **options,
        }
        provider = VerisureProvider(config, **settings)
        self.providers.append(provider)
        return provider

    @property
    def panel(self) -> SimPanel:
        return self.cloud.main.panel  # type: ignore[attr-defined,no-any-return]

    def expire_mid_command(self) -> None:
        self.cloud.faults.add(self.follow_route, body=SESSION_EXPIRED, content_type="text/xml")

    def rate_limit_vendor(self) -> None:
        # The ws.do front end's WAF answers 403 when it blocks a client.
        self.cloud.faults.add(self.read_route, status=403, headers={"Retry-After": "2"})

    def never_finish(self) -> None:
        self.cloud.step2_waits = 10**9  # type: ignore[attr-defined]
