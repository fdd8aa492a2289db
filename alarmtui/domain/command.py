"""What a person asked a panel to do: shared by the CLI, the poller, the service and the UI."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from alarmtui.domain.model import ArmMode


class CommandAction(enum.StrEnum):
    ARM = "arm"
    DISARM = "disarm"
    BYPASS = "bypass"
    PHOTO = "photo"
    LOCK = "lock"
    UNLOCK = "unlock"


@dataclass(frozen=True, slots=True)
class Command:
    """One thing a person asked a panel to do."""

    action: CommandAction
    mode: ArmMode | None = None
    partition: str | None = None
    """Partition id, or None for the whole panel."""
    zone: str | None = None
    on: bool = True
    """For bypass: True bypasses the zone, False restores it."""
    code: str | None = field(default=None, repr=False, compare=False)
    label: str = ""
    """What the user would call the target ("Ground floor", "Hall PIR")."""
    force: bool = False
    """For arm: arm even though zones are open (the vendor's force-arm, or bypassing the open zones)."""

    def describe(self) -> str:
        target = f" {self.label}" if self.label else ""
        if self.action is CommandAction.ARM:
            anyway = " anyway" if self.force else ""
            return f"arm {self.mode}{target}{anyway}"
        if self.action is CommandAction.DISARM:
            return f"disarm{target}"
        if self.action is CommandAction.BYPASS:
            return f"{'bypass' if self.on else 'un-bypass'}{target}"
        if self.action is CommandAction.LOCK:
            return f"lock{target}"
        if self.action is CommandAction.UNLOCK:
            return f"unlock{target}"
        return f"photo{target}"
