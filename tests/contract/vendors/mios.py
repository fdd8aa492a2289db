"""MiOS (the Vera through the MMS cloud relay) for the contract suite."""

from __future__ import annotations

import json
from typing import Any

from alarmtui.providers.luup.provider import LuupProvider
from alarmtui.providers.mios import MiosProvider
from alarmtui.settings import MiosConfig
from alarmtui.simulators.houses import vera_house
from alarmtui.simulators.mios import MiosCloud
from alarmtui.simulators.panel import SimPanel

from . import COMMAND_DEADLINE, HTTP_TIMEOUT, VendorFixture


def fast(provider: LuupProvider, **options: Any) -> LuupProvider:
    """Short timeouts for the suite (`HTTP_TIMEOUT` requests, `COMMAND_DEADLINE` for a job), one retry of a read glitch."""
    settings: dict[str, Any] = {
        "relay_timeout": HTTP_TIMEOUT,
        "job_timeout": COMMAND_DEADLINE,
        "job_poll_interval": 0.05,
        "retry_delay": 0.02,
        "read_retries": 1,
        "snapshot_cache_ttl": 0.0,
        "long_poll_max": 1.0,
        "relay_margin": 0.5,
        **options,
    }
    for name, value in settings.items():
        setattr(provider, name, value)
    transport = provider.transport
    if hasattr(transport, "timeout"):
        transport.timeout = settings["relay_timeout"]  # type: ignore[attr-defined]
    return provider


class Vendor(VendorFixture):
    kind = "mios"
    read_route = "sdata"
    command_route = "action"
    follow_route = "jobstatus"
    partition = "1"  # the plugin's partition number (altid Partition1)
    malformed_body = b'{"full": 1, "loadtime": tru'
    wrong_types_body = json.dumps({"full": 1, "loadtime": "yesterday", "dataversion": [], "devices": "all of them"}).encode()
    content_type = "application/json"
    unsupported = {
        "rate_limited_vendor": "MiOS documents no throttling answer of its own; the relay's 429 is the rate_limited_429 cell",
    }

    def make_cloud(self) -> MiosCloud:
        return MiosCloud(panel=vera_house(exit_delay=0.2, entry_delay=0.2, photo_delay=0.05))

    def provider(self, **options: Any) -> MiosProvider:
        config = MiosConfig(kind="mios", name="vera", url=self.url, username="demo", password="demo-pass", code="1234")
        provider = MiosProvider(config)
        fast(provider, **options)
        self.providers.append(provider)
        return provider

    @property
    def panel(self) -> SimPanel:
        return self.cloud.panels[0]

    def expire_mid_command(self) -> None:
        # The relay drops the session while the job is being followed.
        body = 'MMSAuth error="invalid session"'
        self.cloud.faults.add(self.follow_route, status=401, body=body, headers={"WWW-Authenticate": body})

    def rate_limit_vendor(self) -> None:
        raise NotImplementedError

    def never_finish(self) -> None:
        self.cloud.vera().stall_jobs = True  # type: ignore[attr-defined]

    def wrong_code(self) -> str:
        return "0000"
