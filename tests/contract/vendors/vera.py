"""A Vera on its LAN port (kind = "vera") for the contract suite: the MiOS simulator's LAN face."""

from __future__ import annotations

from typing import Any

from alarmtui.providers.vera import VeraProvider
from alarmtui.settings import VeraConfig

from . import VendorFixture
from .mios import Vendor as MiosVendor
from .mios import fast


class Vendor(MiosVendor):
    kind = "vera"
    unsupported = {
        "rate_limited_vendor": "a Vera answers no throttling of its own; HTTP 429 is the rate_limited_429 cell",
        "expired_before_command": "a Vera's LAN port has no session to expire",
        "expired_mid_command": "a Vera's LAN port has no session to expire",
    }

    @property
    def url(self) -> str:
        assert self.host is not None
        return self.host.urls["vera"]  # the LAN face, plain HTTP

    def provider(self, **options: Any) -> VeraProvider:
        config = VeraConfig(kind="vera", name="vera-lan", url=self.url, code="1234")
        provider = VeraProvider(config)
        fast(provider, **options)
        self.providers.append(provider)
        return provider


__all__ = ["Vendor", "VendorFixture"]
