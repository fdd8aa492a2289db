"""Which commands make sense right now, and if not, why (no Textual here).

The app dims a key when one of these returns a reason, and shows the reason
when the action is asked for anyway (from the command palette).
"""

from __future__ import annotations

from alarmtui.domain import ARM_CAPABILITY, ArmMode, Capability, Partition, PartitionState, Zone, ZoneKind
from alarmtui.ui.format import MODE_WORDS, clean
from alarmtui.ui.state import ProviderView

UNSETTLED = frozenset({PartitionState.ARMING, PartitionState.PENDING, PartitionState.DISARMING})


def provider_problem(view: ProviderView) -> str | None:
    """Why no command can go to this provider now."""
    if not view.online:
        return f"{view.name} is {view.status.state.value}"
    if view.command is not None and view.command_pending:
        return f"{view.name} is still busy with {clean(view.command.command.describe())}"
    return None


def pending_problem(view: ProviderView, partition: Partition, arming: bool) -> str | None:
    """The same key again while its command is pending, or before the panel shows the result: an echo."""
    pending = view.pending
    if pending is None or not pending.covers(partition.id) or pending.arming != arming:
        return None
    what = "arm" if arming else "disarm"
    if pending.finished:
        return f"{clean(partition.name)}: {what} was just carried out; waiting for the panel to show it"
    return f"{clean(partition.name)}: {what} already sent; waiting for the panel"


def why_not_arm(view: ProviderView, partition: Partition, mode: ArmMode) -> str | None:
    problem = provider_problem(view)
    if problem or view.snapshot is None:
        return problem or f"{view.name} has no data yet"
    if not view.snapshot.can_arm(mode):
        return f"{view.name} cannot {MODE_WORDS[mode].lower()}"
    reason = view.snapshot.why_unavailable(ARM_CAPABILITY[mode])
    if reason:  # the provider says why this mode is impossible from the current state
        return clean(reason)
    echo = pending_problem(view, partition, arming=True)
    if echo:
        return echo
    if partition.state is mode.armed_state:
        return f"{clean(partition.name)} is already {mode.armed_state.value.replace('_', ' ')}"
    if partition.state in UNSETTLED or partition.state is PartitionState.TRIGGERED:
        return f"{clean(partition.name)} is {partition.state.value}; disarm first"
    return None  # not-ready partitions are left to the panel, whose refusal names the open zones


def why_not_disarm(view: ProviderView, partition: Partition) -> str | None:
    problem = provider_problem(view)
    if problem or view.snapshot is None:
        return problem or f"{view.name} has no data yet"
    if Capability.DISARM not in view.snapshot.capabilities:
        return f"{view.name} cannot disarm remotely"
    if view.snapshot.why_unavailable(Capability.DISARM):
        return clean(view.snapshot.why_unavailable(Capability.DISARM))
    if partition.state is PartitionState.DISARMED:
        return f"{clean(partition.name)} is already disarmed"
    return pending_problem(view, partition, arming=False)


def why_not_bypass(view: ProviderView, zone: Zone) -> str | None:
    problem = provider_problem(view)
    if problem or view.snapshot is None:
        return problem or f"{view.name} has no data yet"
    if Capability.BYPASS not in view.snapshot.capabilities:
        return f"{view.name} cannot bypass zones"
    if zone.id in view.pending_zones:
        return f"{clean(zone.name)}: bypass already sent; waiting for the panel to show it"
    return None


def why_not_photo(view: ProviderView, zone: Zone) -> str | None:
    problem = provider_problem(view)
    if problem or view.snapshot is None:
        return problem or f"{view.name} has no data yet"
    if Capability.PHOTO not in view.snapshot.capabilities:
        return f"{view.name} has no cameras"
    if not zone.camera:
        return f"{clean(zone.name)} has no camera"
    return None


def why_not_lock(view: ProviderView, zone: Zone, locking: bool) -> str | None:
    """Lock (`locking`) or unlock a smart lock: only zones of kind LOCK, where the vendor can."""
    problem = provider_problem(view)
    if problem or view.snapshot is None:
        return problem or f"{view.name} has no data yet"
    if zone.kind is not ZoneKind.LOCK:
        return f"{clean(zone.name)} is not a lock"
    if Capability.LOCK not in view.snapshot.capabilities:
        return f"{view.name} cannot lock or unlock remotely"
    if zone.id in view.pending_zones:
        return f"{clean(zone.name)}: already sent; waiting for the panel to show it"
    if zone.locked is locking:
        return f"{clean(zone.name)} is already {'locked' if locking else 'unlocked'}"
    return None
