"""The real Securitas client against the real OWA simulator over loopback HTTP(S)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from alarmtui.providers.securitas import Pacing, SecuritasProvider
from alarmtui.settings import SecuritasConfig
from alarmtui.simulators.host import SimHost
from alarmtui.simulators.securitas import SecuritasCloud

FAST = Pacing(
    min_gap=0.0,
    poll_interval=0.01,
    poll_timeout=2.0,
    photo_interval=0.02,
    photo_timeout=2.0,
    renew_margin=1.0,
    operation_margin=1.0,
)


class Sim:
    def __init__(self, cloud: SecuritasCloud, host: SimHost, state: Path) -> None:
        self.cloud = cloud
        self.host = host
        self.state = state

    @property
    def panel(self):  # the main installation's SimPanel
        return self.cloud.main.panel

    def config(self, **overrides: Any) -> SecuritasConfig:
        values: dict[str, Any] = {
            "kind": "securitas",
            "name": "casa",
            "url": self.host.urls["securitas"],
            "username": self.cloud.username,
            "password": self.cloud.password,
            "ca_file": self.host.ca_file,
        }
        values.update(overrides)
        return SecuritasConfig(**values)

    def provider(self, config: SecuritasConfig | None = None, **options: Any) -> SecuritasProvider:
        options.setdefault("pacing", FAST)
        options.setdefault("state_directory", self.state)
        return SecuritasProvider(config or self.config(), **options)

    def count(self, operation: str) -> int:
        return self.cloud.request_counts.get(operation, 0)

    def seen(self, operation: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
        return [(v, h) for op, v, h in self.cloud.requests_seen if op == operation]

    async def validated(self, provider: SecuritasProvider) -> SecuritasProvider:
        """Connect, answering the SMS challenge the simulator sends for a new device."""
        from alarmtui.providers.base import TwoFactorRequired

        try:
            await provider.connect()
        except TwoFactorRequired as exc:
            await provider.send_verification_code(exc.phones[0][0])
            await provider.verify_device(self.cloud.sent_codes[-1])
            await provider.connect()
        return provider


async def make_sim(tmp_path: Path, *, tls: bool = False, **options: Any) -> AsyncIterator[Sim]:
    options.setdefault("exit_delay", 0.0)
    options.setdefault("entry_delay", 0.0)
    options.setdefault("photo_delay", 0.0)
    options.setdefault("photo_cooldown", 0.0)
    cloud = SecuritasCloud(**options)
    async with SimHost([cloud], tls=tls) as host:
        yield Sim(cloud, host, tmp_path / "state")


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Sim]:
    async for value in make_sim(tmp_path, require_otp=False):
        yield value


@pytest.fixture
async def otp_sim(tmp_path: Path) -> AsyncIterator[Sim]:
    async for value in make_sim(tmp_path, tls=True):
        yield value


@pytest.fixture
def sim_with(tmp_path: Path):
    """`async with sim_with(hash_lifetime=3) as sim:` — a simulator with custom options."""
    import contextlib

    @contextlib.asynccontextmanager
    async def factory(**options: Any) -> AsyncIterator[Sim]:
        options.setdefault("require_otp", False)
        async for value in make_sim(tmp_path, **options):
            yield value

    return factory


@pytest.fixture
def fast_pacing() -> Pacing:
    return FAST
