"""Which commands make sense right now, and if not, why (no Textual here).

The app dims a key when one of these returns a reason, and shows the reason
when the action is asked for anyway (from the command palette).
"""

from __future__ import annotations

from alarmtui.domain import ArmMode, Capability, Partition, PartitionState, Zone
from alarmtui.ui.format import MODE_WORDS
from alarmtui.ui.state import ProviderView

UNSETTLED = frozenset({PartitionState.ARMING, PartitionState.PENDING, PartitionState.DISARMING})


def provider_problem(view: ProviderView) -> str | None:
    """Why no command can go to this provider now."""
    if not view.online:
        return f"{view.name} is {view.status.state.value}"
    if view.command is not None and view.command_pending:
        return f"{view.name} is still busy with {view.command.command.describe()}"
    return None


def why_not_arm(view: ProviderView, partition: Partition, mode: ArmMode) -> str | None:
    problem = provider_problem(view)
    if problem or view.snapshot is None:
        return problem or f"{view.name} has no data yet"
    if not view.snapshot.can_arm(mode):
        return f"{view.name} cannot {MODE_WORDS[mode].lower()}"
    if partition.state is mode.armed_state:
        return f"{partition.name} is already {mode.armed_state.value.replace('_', ' ')}"
    if partition.state in UNSETTLED or partition.state is PartitionState.TRIGGERED:
        return f"{partition.name} is {partition.state.value}; disarm first"
    return None  # not-ready partitions are left to the panel, whose refusal names the open zones


def why_not_disarm(view: ProviderView, partition: Partition) -> str | None:
    problem = provider_problem(view)
    if problem or view.snapshot is None:
        return problem or f"{view.name} has no data yet"
    if Capability.DISARM not in view.snapshot.capabilities:
        return f"{view.name} cannot disarm remotely"
    if partition.state is PartitionState.DISARMED:
        return f"{partition.name} is already disarmed"
    return None


def why_not_bypass(view: ProviderView, zone: Zone) -> str | None:
    problem = provider_problem(view)
    if problem or view.snapshot is None:
        return problem or f"{view.name} has no data yet"
    if Capability.BYPASS not in view.snapshot.capabilities:
        return f"{view.name} cannot bypass zones"
    return None


def why_not_photo(view: ProviderView, zone: Zone) -> str | None:
    problem = provider_problem(view)
    if problem or view.snapshot is None:
        return problem or f"{view.name} has no data yet"
    if Capability.PHOTO not in view.snapshot.capabilities:
        return f"{view.name} has no cameras"
    if not zone.camera:
        return f"{zone.name} has no camera"
    return None
