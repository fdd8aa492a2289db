"""How domain values look on screen: words, colours (from the theme), times.

Server text is data: everything that came from a vendor goes into `Text`
objects verbatim (never parsed as markup) or through `rich.markup.escape`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from rich.markup import escape
from rich.style import Style
from rich.text import Text

from alarmtui.domain import ArmMode, EventKind, PartitionState, TroubleKind
from alarmtui.poller import LinkState

STATE_WORDS = {
    PartitionState.DISARMED: "DISARMED",
    PartitionState.ARMED_HOME: "ARMED HOME",
    PartitionState.ARMED_AWAY: "ARMED AWAY",
    PartitionState.ARMED_NIGHT: "ARMED NIGHT",
    PartitionState.ARMED_CUSTOM_BYPASS: "ARMED PERIMETER",
    PartitionState.ARMING: "ARMING",
    PartitionState.PENDING: "ENTRY DELAY",
    PartitionState.DISARMING: "DISARMING",
    PartitionState.TRIGGERED: "ALARM",
    PartitionState.UNKNOWN: "UNKNOWN",
}

# Semantic colour role of each state; roles map to theme variables in `Palette`.
STATE_ROLE = {
    PartitionState.DISARMED: "success",
    PartitionState.ARMED_HOME: "primary",
    PartitionState.ARMED_AWAY: "primary",
    PartitionState.ARMED_NIGHT: "primary",
    PartitionState.ARMED_CUSTOM_BYPASS: "primary",
    PartitionState.ARMING: "warning",
    PartitionState.PENDING: "warning",
    PartitionState.DISARMING: "warning",
    PartitionState.TRIGGERED: "error",
    PartitionState.UNKNOWN: "muted",
}

EVENT_ROLE = {
    EventKind.ALARM: "error",
    EventKind.ARM: "primary",
    EventKind.DISARM: "success",
    EventKind.TROUBLE: "warning",
    EventKind.PHOTO: "accent",
    EventKind.ZONE: "foreground",
    EventKind.SYSTEM: "muted",
}

LINK_ROLE = {
    LinkState.CONNECTING: "muted",
    LinkState.ONLINE: "success",
    LinkState.RECONNECTING: "warning",
    LinkState.OFFLINE: "error",
}

TROUBLE_WORDS = {
    TroubleKind.LOW_BATTERY: "low battery",
    TroubleKind.TAMPER: "tamper",
    TroubleKind.POWER: "power",
    TroubleKind.COMMUNICATION: "communication",
    TroubleKind.JAMMING: "jamming",
    TroubleKind.OTHER: "other",
}

MODE_WORDS = {
    ArmMode.AWAY: "Arm away",
    ArmMode.HOME: "Arm home",
    ArmMode.NIGHT: "Arm night",
    ArmMode.PERIMETER: "Arm perimeter",
}


class Palette:
    """Theme colours by role, read from the app's theme variables."""

    ROLES = ("primary", "secondary", "accent", "warning", "error", "success", "foreground", "background")

    def __init__(self, variables: Mapping[str, str]) -> None:
        self.colours = {role: variables.get(role, "default") for role in self.ROLES}

    def style(self, role: str, *, bold: bool = False, reverse: bool = False, dim: bool = False) -> Style:
        if role == "muted":  # secondary information: the text colour, dimmed
            return Style(color=self.colours["foreground"], bold=bold, reverse=reverse, dim=True)
        return Style(color=self.colours.get(role, "default"), bold=bold, reverse=reverse, dim=dim)

    def text(self, value: str, role: str, **style: bool) -> Text:
        """`value` verbatim (never parsed as markup), in the role's colour."""
        return Text(value, style=self.style(role, **style), no_wrap=True, overflow="ellipsis")


def plain(value: str, style: str | Style = "") -> Text:
    """Server text as a `Text` that is never parsed as markup."""
    return Text(value, style=style, no_wrap=True, overflow="ellipsis")


def safe(value: str) -> str:
    """Server text for places that take markup strings."""
    return escape(value)


def local_time(when: datetime | None, *, with_date: bool = False) -> str:
    if when is None:
        return "--:--:--"
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.strftime("%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def age(since: datetime | None, now: datetime) -> str:
    """ "12s ago", "3m ago", "2h ago" — how stale data is."""
    if since is None:
        return "never"
    seconds = max((now - since).total_seconds(), 0)
    if seconds < 60:
        return f"{seconds:.0f}s ago"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m ago"
    if seconds < 86400:
        return f"{seconds // 3600:.0f}h ago"
    return f"{seconds // 86400:.0f}d ago"


def countdown(until: datetime | None, now: datetime) -> str:
    if until is None:
        return ""
    left = until - now
    if left <= timedelta(0):
        return ""
    return f"{left.total_seconds():.0f}s"
