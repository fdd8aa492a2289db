"""`Provider.execute` on a real vendor: the Securitas client against its simulator."""

from __future__ import annotations

from alarmtui.domain import ArmMode, Command, CommandAction, CommandPhase
from tests.providers.securitas.conftest import Sim


async def test_execute_against_the_securitas_simulator(sim: Sim) -> None:
    provider = sim.provider()
    try:
        await provider.connect()
        result = await provider.execute(Command(CommandAction.ARM, ArmMode.AWAY))
        assert result.phase is CommandPhase.CONFIRMED, result
        result = await provider.execute(Command(CommandAction.DISARM))
        assert result.phase is CommandPhase.CONFIRMED, result
    finally:
        await provider.close()
