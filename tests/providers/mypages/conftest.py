"""The real My Pages client against the real My Pages simulator over loopback HTTP (two hosts)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from alarmtui.providers.base import TwoFactorRequired
from alarmtui.providers.mypages import MyPagesProvider, Timing
from alarmtui.settings import MyPagesConfig
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.mypages import MyPagesCloud

FAST = Timing(poll_interval=0.01, command_deadline=2.0, photo_deadline=2.0)


class FakeClock:
    """Seconds that move only when a test says so (for the sim's cookie lifetimes and the provider's clocks)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Sim:
    def __init__(self, cloud: MyPagesCloud, host: SimHost, state: Path) -> None:
        self.cloud = cloud
        self.host = host
        self.state = state

    @property
    def panel(self) -> Any:
        return self.cloud.panel

    def config(self, **overrides: Any) -> MyPagesConfig:
        table = self.cloud.provider_tables(self.host.urls["mypages"])[0]
        table.update(overrides)
        return MyPagesConfig(**{k: v for k, v in table.items() if v is not None})

    def provider(self, config: MyPagesConfig | None = None, **options: Any) -> MyPagesProvider:
        options.setdefault("timing", FAST)
        options.setdefault("state_directory", self.state)
        return MyPagesProvider(config or self.config(), **options)

    def count(self, route: str) -> int:
        return self.cloud.faults.count(route)

    def host_count(self, host: int, route: str | None = None) -> int:
        counts = self.cloud.host_faults[("automation01", "automation02")[host - 1]].counts
        return sum(counts.values()) if route is None else counts[route]

    async def validated(self, provider: MyPagesProvider) -> MyPagesProvider:
        """Connect, answering the step-up the simulator asks of a new device."""
        try:
            await provider.connect()
        except TwoFactorRequired as exc:
            await provider.send_verification_code(exc.phones[0][0])
            await provider.verify_device(self.cloud.sent_codes[-1])
            await provider.connect()
        return provider


async def make_sim(tmp_path: Path, **options: Any) -> AsyncIterator[Sim]:
    for key in ("arm_delay", "lock_delay", "capture_delay", "exit_delay", "entry_delay", "photo_delay"):
        options.setdefault(key, 0.0)
    cloud = MyPagesCloud(**options)
    async with SimHost([cloud]) as host:
        yield Sim(cloud, host, tmp_path / "state")


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Sim]:
    async for value in make_sim(tmp_path, mfa=False):
        yield value


@pytest.fixture
async def mfa_sim(tmp_path: Path) -> AsyncIterator[Sim]:
    async for value in make_sim(tmp_path, mfa=True):
        yield value
