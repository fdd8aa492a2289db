"""Provider-neutral domain model (no UI, no HTTP)."""

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
