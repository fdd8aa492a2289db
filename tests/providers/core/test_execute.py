"""`Provider.execute`: the one dispatch for the poller, the CLI and the service."""

from __future__ import annotations

from typing import Any

import pytest

from alarmtui.domain import ArmMode, Command, CommandAction, CommandPhase, CommandResult, Snapshot
from alarmtui.providers.base import Provider
from alarmtui.providers.errors import NotSupported
from alarmtui.settings import VisonicConfig


class Recorder(Provider):
    """A provider whose commands only record how they were called (the dispatch is what is under test)."""

    kind = "recorder"

    def __init__(self) -> None:
        super().__init__(
            VisonicConfig(kind="visonic", name="rec", url="https://x.invalid", username="u", password="p", code="1234")
        )
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    async def snapshot(self, *, refresh: bool = False) -> Snapshot:
        return Snapshot()

    async def events(self, limit: int = 100) -> list[Any]:
        return []

    def _record(self, name: str, *args: Any, **kwargs: Any) -> CommandResult:
        self.calls.append((name, args, kwargs))
        return CommandResult(CommandPhase.CONFIRMED, name)

    async def arm(self, mode: ArmMode, **kwargs: Any) -> CommandResult:  # type: ignore[override]
        return self._record("arm", mode, **kwargs)

    async def disarm(self, **kwargs: Any) -> CommandResult:  # type: ignore[override]
        return self._record("disarm", **kwargs)

    async def bypass(self, zone: str, on: bool = True, **kwargs: Any) -> CommandResult:  # type: ignore[override]
        return self._record("bypass", zone, on, **kwargs)

    async def request_photo(self, zone: str, **kwargs: Any) -> CommandResult:  # type: ignore[override]
        return self._record("photo", zone, **kwargs)


def progress(update: object) -> None: ...


async def test_execute_dispatches_each_action_like_the_poller() -> None:
    provider = Recorder()
    await provider.execute(Command(CommandAction.ARM, ArmMode.AWAY, partition="1", code="9"), progress)
    await provider.execute(Command(CommandAction.ARM, ArmMode.HOME, force=True), progress)
    await provider.execute(Command(CommandAction.DISARM, partition="2", code="9"), progress)
    await provider.execute(Command(CommandAction.BYPASS, zone="z1", on=False, code="9"), progress)
    await provider.execute(Command(CommandAction.PHOTO, zone="cam"), progress)
    assert provider.calls == [
        # `force` only when asked: an `arm` that predates it keeps working.
        ("arm", (ArmMode.AWAY,), {"partition": "1", "code": "9", "progress": progress}),
        ("arm", (ArmMode.HOME,), {"partition": None, "code": None, "progress": progress, "force": True}),
        ("disarm", (), {"partition": "2", "code": "9", "progress": progress}),
        ("bypass", ("z1", False), {"code": "9", "progress": progress}),
        ("photo", ("cam",), {"progress": progress}),
    ]


@pytest.mark.parametrize("action", [CommandAction.LOCK, CommandAction.UNLOCK])
async def test_locks_are_not_supported_unless_the_vendor_has_them(action: CommandAction) -> None:
    with pytest.raises(NotSupported):
        await Recorder().execute(Command(action, zone="front door"))


async def test_a_lock_vendor_overrides_lock_and_unlock() -> None:
    class WithLocks(Recorder):
        async def lock(self, zone: str, **kwargs: Any) -> CommandResult:  # type: ignore[override]
            return self._record("lock", zone, **kwargs)

        async def unlock(self, zone: str, **kwargs: Any) -> CommandResult:  # type: ignore[override]
            return self._record("unlock", zone, **kwargs)

    provider = WithLocks()
    await provider.execute(Command(CommandAction.LOCK, zone="door", code="1"))
    await provider.execute(Command(CommandAction.UNLOCK, zone="door", code="1"))
    assert [c[0:2] for c in provider.calls] == [("lock", ("door",)), ("unlock", ("door",))]


async def test_a_command_missing_its_zone_or_mode_is_refused_before_sending() -> None:
    provider = Recorder()
    for command in (Command(CommandAction.ARM), Command(CommandAction.BYPASS), Command(CommandAction.PHOTO)):
        with pytest.raises(NotSupported):
            await provider.execute(command)
    assert provider.calls == []
