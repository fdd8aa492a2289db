"""Verisure My Pages (GraphQL, two hosts) for the contract suite."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from alarmtui.providers.mypages import MyPagesProvider, Timing
from alarmtui.settings import MyPagesConfig
from alarmtui.simulators.mypages import MyPagesCloud
from alarmtui.simulators.panel import SimPanel

from . import COMMAND_DEADLINE, HTTP_TIMEOUT, VendorFixture

EXPIRED = json.dumps({"errorGroup": "UNAUTHORIZED", "errorCode": "AUT_00011", "errorMessage": "Invalid session cookie"})
LIMITED = json.dumps(
    {"errorGroup": "TOO_MANY_REQUESTS", "errorCode": "AUT_00021", "errorMessage": "Request limit has been reached"}
)


class Vendor(VendorFixture):
    kind = "mypages"
    read_route = "ArmState"  # the first operation of every poll's batch
    command_route = "armAway"
    follow_route = "pollArmState"
    malformed_body = b'[{"data": {"installation": {"armState": '
    wrong_types_body = json.dumps({"data": {"installation": {"armState": {"statusType": ["ARMED_AWAY"], "date": 7}}}}).encode()
    content_type = "application/json"

    def make_cloud(self) -> MyPagesCloud:
        # A trusted device beforehand (no step-up): the MFA flow has its own tests (tests/providers/mypages).
        return MyPagesCloud(
            mfa=False, arm_delay=0.05, lock_delay=0.05, capture_delay=0.05, exit_delay=0.2, entry_delay=0.2, photo_delay=0.05
        )

    def provider(self, **options: Any) -> MyPagesProvider:
        table = self.cloud.provider_tables(self.url)[0]
        config = MyPagesConfig(**table)
        if not hasattr(self, "_state"):
            self._state = Path(tempfile.mkdtemp(prefix="alarmtui-contract-"))
        settings = {
            "timing": Timing(poll_interval=0.05, command_deadline=COMMAND_DEADLINE, photo_deadline=COMMAND_DEADLINE),
            "http_timeout": HTTP_TIMEOUT,
            "state_directory": self._state,
            **options,
        }
        provider = MyPagesProvider(config, **settings)
        self.providers.append(provider)
        return provider

    @property
    def panel(self) -> SimPanel:
        return self.cloud.panel  # type: ignore[attr-defined,no-any-return]

    def wrong_code(self) -> str:
        return "9999"

    def expire_mid_command(self) -> None:
        self.cloud.faults.add(self.follow_route, status=401, body=EXPIRED, content_type="application/json")

    def rate_limit_vendor(self) -> None:
        # The vendor's own limit reply: 429 AUT_00021 with no Retry-After (§1.3).
        self.cloud.faults.add(self.read_route, status=429, body=LIMITED, content_type="application/json", times=3)

    def never_finish(self) -> None:
        self.cloud.arm_delay = float("inf")  # type: ignore[attr-defined]
