"""Securitas Direct / Verisure OWA GraphQL for the contract suite."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from alarmtui.providers.securitas import Pacing, SecuritasProvider
from alarmtui.settings import SecuritasConfig
from alarmtui.simulators.panel import SimPanel
from alarmtui.simulators.securitas import SecuritasCloud

from . import COMMAND_DEADLINE, HTTP_TIMEOUT, VendorFixture

EXPIRED = json.dumps(
    {
        "errors": [
            {
                "message": "Invalid session. Please, try again later.",
                "name": "ExpiredSessionError",
                "data": {"status": 403, "err": "ExpiredSessionError"},
                "path": ["xSArmStatus"],
            }
        ],
        "data": None,
    }
)
# The suite's command deadline; no gap between requests; the firewall back-off short enough to see recovery.
PACING = Pacing(
    min_gap=0.0,
    poll_interval=0.05,
    poll_timeout=COMMAND_DEADLINE,
    photo_interval=0.05,
    photo_timeout=COMMAND_DEADLINE,
    firewall_backoff=0.0,
)


class Vendor(VendorFixture):
    kind = "securitas"
    read_route = "Status"
    command_route = "xSArmPanel"
    follow_route = "ArmStatus"
    malformed_body = b'{"data": {"xSStatus": {"status": "T", '
    wrong_types_body = json.dumps({"data": {"xSStatus": {"status": ["T"], "wifiConnected": "yes", "exceptions": 7}}}).encode()
    content_type = "application/json"
    unsupported = {"wrong_code": "the OWA API sends no user code with arm/disarm (protocol notes §10)"}

    def make_cloud(self) -> SecuritasCloud:
        # A device validated beforehand: the two-factor flow has its own tests (tests/providers/securitas).
        return SecuritasCloud(require_otp=False, exit_delay=0.2, entry_delay=0.2, photo_delay=0.05, photo_cooldown=0.0)

    def provider(self, **options: Any) -> SecuritasProvider:
        table = self.cloud.provider_tables(self.url)[0]
        config = SecuritasConfig(**{k: v for k, v in table.items() if v is not None})
        if not hasattr(self, "_state"):
            self._state = Path(tempfile.mkdtemp(prefix="alarmtui-contract-"))
        settings = {
            "pacing": PACING,
            "http_timeout": HTTP_TIMEOUT,
            "activity_cache": 0.0,
            "state_directory": self._state,
            **options,
        }
        provider = SecuritasProvider(config, **settings)
        self.providers.append(provider)
        return provider

    @property
    def panel(self) -> SimPanel:
        return self.cloud.main.panel  # type: ignore[attr-defined,no-any-return]

    def expire_mid_command(self) -> None:
        self.cloud.faults.add(self.follow_route, body=EXPIRED, content_type="application/json")

    def rate_limit_vendor(self) -> None:
        # The Incapsula web firewall in front of the API: an HTML 403 block page.
        self.cloud.inject("firewall", times=3, operation=self.read_route)  # type: ignore[attr-defined]

    def never_finish(self) -> None:
        self.cloud.waits = 10**9  # type: ignore[attr-defined]
