"""My Pages states its PIN length: the installation's `pinCodeLength` (verisure-mypages.md §4.1)."""

from __future__ import annotations

from alarmtui.domain.inputs import code_problem
from alarmtui.engine.inprocess import provider_info
from tests.providers.mypages.conftest import Sim


async def test_the_code_length_is_the_installations_pin_code_length(sim: Sim) -> None:
    provider = sim.provider()
    assert provider.code_length is None  # not known before the installation is read
    try:
        await provider.connect()
        assert provider.code_length == 4  # the simulator's installation says pinCodeLength 4
        info = provider_info(provider)
        assert info.code_length == 4
        assert code_problem("123456", info.kind, length=info.code_length) == "the code must be 4 digits"
        assert code_problem("1234", info.kind, length=info.code_length) is None
    finally:
        await provider.close()
