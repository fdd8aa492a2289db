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


async def test_the_engine_tells_the_length_it_learns_at_login() -> None:
    """Views and the service check a code against the engine's `ProviderInfo`: built before the login, it did not
    know My Pages' length; the first read of the panel brings it (the PIN dialog and the service's check say 4)."""
    from alarmtui.demo import DemoEnvironment
    from alarmtui.domain.updates import LinkState
    from tests.helpers import until

    with DemoEnvironment.start(kinds=("mypages",), life=False, fast=True) as env:
        engine = env.engine()
        (name,) = engine.providers
        assert engine.providers[name].code_length is None  # not known before the login
        await engine.start()
        try:
            await until(lambda: engine.states[name].status.state is LinkState.ONLINE, what="online")
            assert engine.providers[name].code_length == 4
        finally:
            await engine.close()
