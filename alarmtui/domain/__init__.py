"""Provider-neutral domain model (no UI, no HTTP).

Its names load on first use: `alarmtui status` answered by the service needs only
`domain.text` (a few milliseconds), not the model's dataclasses and enums.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alarmtui.domain.command import Command, CommandAction
    from alarmtui.domain.model import (
        ARM_CAPABILITY,
        ARMED_STATES,
        ArmMode,
        Capability,
        CommandPhase,
        CommandProgress,
        CommandResult,
        Event,
        EventKind,
        Partition,
        PartitionOutcome,
        PartitionState,
        Photo,
        Snapshot,
        Trouble,
        TroubleKind,
        User,
        Zone,
        ZoneKind,
    )
    from alarmtui.domain.scenario import Scenario
    from alarmtui.domain.text import clean_text

__all__ = [
    "ARMED_STATES",
    "ARM_CAPABILITY",
    "ArmMode",
    "Capability",
    "Command",
    "CommandAction",
    "CommandPhase",
    "CommandProgress",
    "CommandResult",
    "Event",
    "EventKind",
    "Partition",
    "PartitionOutcome",
    "PartitionState",
    "Photo",
    "Scenario",
    "Snapshot",
    "Trouble",
    "TroubleKind",
    "User",
    "Zone",
    "ZoneKind",
    "clean_text",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from alarmtui.domain import command, model, scenario, text

    for module in (model, command, scenario, text):
        if hasattr(module, name):
            value = getattr(module, name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
