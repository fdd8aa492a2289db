"""Validating this device by SMS (Securitas two-factor login), as every view sees it.

In-process the provider itself validates (then its poller reads the panel at
once); attached, a proxy asks the service, which holds the provider. The code
is an argument of one call and nothing keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class DeviceVerifier(Protocol):
    """What a provider with two-factor device validation offers (Securitas)."""

    name: str

    async def send_verification_code(self, phone_id: str) -> str:
        """Have the vendor text a code to phone `phone_id`; returns the vendor's words."""
        ...

    async def verify_device(self, code: str) -> None:
        """Validate this device with `code`; raises `TwoFactorRequired` (with phones) for a wrong or expired one."""
        ...


class RefreshingVerifier:
    """A provider's own validation, followed by a read of the panel once it succeeded."""

    def __init__(self, provider: DeviceVerifier, refresh: Callable[[], None]) -> None:
        self.provider = provider
        self.name = provider.name
        self._refresh = refresh

    async def send_verification_code(self, phone_id: str) -> str:
        return await self.provider.send_verification_code(phone_id)

    async def verify_device(self, code: str) -> None:
        await self.provider.verify_device(code)
        self._refresh()  # the poller backs off while the vendor wants a code: read the panel now
