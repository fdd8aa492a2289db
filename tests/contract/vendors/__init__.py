"""The shape of a vendor fixture for the contract suite (see ../README.md).

A vendor module defines one subclass of `VendorFixture` named `Vendor`. The
suite starts it (`async with Vendor() as vendor`), then for each cell injects a
fault through the simulator's shared fault middleware (`vendor.cloud.faults`)
or a scenario hook, and checks the real provider against it.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from alarmtui.domain import ArmMode, PartitionState
from alarmtui.providers.base import Provider
from alarmtui.simulators.base import SimCloud
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.panel import SimPanel

HTTP_TIMEOUT = 0.15
"""Seconds a provider waits for one reply in the suite (loopback answers in milliseconds)."""
COMMAND_DEADLINE = 0.5
"""Seconds a provider follows a command's outcome in the suite (the simulators answer after one WAIT)."""

CELLS = (
    "http_500",
    "hang",
    "refused",
    "malformed",
    "wrong_types",
    "truncated",
    "expired_before_command",
    "expired_mid_command",
    "rate_limited_429",
    "rate_limited_vendor",
    "panel_offline",
    "never_finishes",
    "wrong_code",
    "reply_lost",
)


class VendorFixture(abc.ABC):
    """How the contract suite drives one vendor: its simulator, its provider, its routes, its faults."""

    kind: ClassVar[str]
    read_route: ClassVar[str]
    """A route every `snapshot()` requests (read faults go here)."""
    command_route: ClassVar[str]
    """The request that carries an arm command: counted at the server, it must be seen exactly once."""
    follow_route: ClassVar[str | None]
    """The request that follows a command's outcome (step 2, process status), or None."""
    partition: ClassVar[str | None] = None
    """The partition commands address (None: the whole panel)."""
    malformed_body: ClassVar[bytes]
    """A body that is not the vendor's format at all."""
    wrong_types_body: ClassVar[bytes]
    """The vendor's format with wrong types / missing fields for `read_route`."""
    content_type: ClassVar[str] = "text/plain"
    unsupported: ClassVar[dict[str, str]] = {}
    """Cells this vendor cannot produce, with the reason (they are skipped, never silently passed)."""

    def __init__(self) -> None:
        self.host: SimHost | None = None
        self.providers: list[Provider] = []

    # -- lifecycle

    @abc.abstractmethod
    def make_cloud(self) -> SimCloud:
        """A fresh simulated cloud with short delays."""

    async def __aenter__(self) -> VendorFixture:
        self.cloud = self.make_cloud()
        # Plain HTTP so the host can stop and restart on its port; scenarios go through the control API.
        self.host = SimHost([self.cloud], tls=False, control=True)
        await self.host.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for provider in self.providers:
            await provider.close()
        assert self.host is not None
        await self.host.stop()

    @property
    def url(self) -> str:
        assert self.host is not None
        return self.host.urls[self.kind]

    @property
    def control_url(self) -> str:
        assert self.host is not None and self.host.control_url is not None
        return self.host.control_url

    @abc.abstractmethod
    def provider(self, **options: Any) -> Provider:
        """A provider for the simulator with short timeouts (`HTTP_TIMEOUT`, `COMMAND_DEADLINE`)."""

    @property
    @abc.abstractmethod
    def panel(self) -> SimPanel:
        """The panel the provider controls."""

    # -- what the server saw, and the truth

    def commands_sent(self) -> int:
        return self.cloud.faults.count(self.command_route)

    def acted(self) -> bool:
        """The truth at the panel: did it arm away (exit delay included)?"""
        part = self.panel.partitions[self.panel_partition]
        return part.phase.name != "DISARMED" and part.mode is not None and part.mode.name == "AWAY"

    panel_partition: ClassVar[str] = "1"

    arm_mode: ClassVar[ArmMode] = ArmMode.AWAY
    armed_state: ClassVar[PartitionState] = PartitionState.ARMED_AWAY

    # -- faults a vendor produces its own way

    def expire_sessions(self) -> None:
        self.cloud.expire_sessions()

    @abc.abstractmethod
    def expire_mid_command(self) -> None:
        """Make the session expire after the command was accepted (on `follow_route`)."""

    @abc.abstractmethod
    def rate_limit_vendor(self) -> None:
        """The vendor's own way of saying "too many" (not plain 429) on `read_route`."""

    def set_offline(self, offline: bool) -> None:
        self.panel.set_offline(offline)

    @abc.abstractmethod
    def never_finish(self) -> None:
        """Make the command's outcome never arrive (step 2 answers WAIT for ever / the job stays running)."""

    def wrong_code(self) -> str:
        """A user code the panel refuses (only for vendors without `wrong_code` in `unsupported`)."""
        raise NotImplementedError
