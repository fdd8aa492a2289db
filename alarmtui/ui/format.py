"""How domain values look on screen: words, colours (from the theme), times.

Server text is data: everything that came from a vendor goes into `Text`
(or Textual `Content`) objects as plain spans, after `clean()` has removed
control characters, bidi overrides and zero-width characters. No markup string
is ever built from it: Textual 8 markup has forms (`[$var]`, `[ @click=…]`)
that no escaping function of ours should have to keep up with.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from rich.style import Style
from rich.text import Text
from textual.content import Content
from textual.widget import Widget

from alarmtui.domain import ArmMode, EventKind, PartitionState, TroubleKind
from alarmtui.domain.text import clean_text
from alarmtui.domain.updates import LinkState

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
        return Text(clean(value), style=self.style(role, **style), no_wrap=True, overflow="ellipsis")


NAME_LIMIT = 200
"""Longest server string shown (a 3,000-character zone name is cut, with an ellipsis)."""
_INVISIBLE = re.compile(r"[\u00ad\u061c\u180e\u2028\u2029\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb]")


_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC (hyperlinks, OSC 52 clipboard writes), to its end
    r"|\x1b[P^_X][^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, PM, APC, SOS strings
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI (colours, cursor moves)
    r"|\x1b[ -/]*[0-~]"  # any other escape
)


def clean(value: object, limit: int = NAME_LIMIT) -> str:
    """Server text as one line of printable characters: whole escape sequences (not only their ESC), other
    control characters, bidi overrides and zero-width marks removed; at most `limit` characters."""
    if value is None:
        return ""
    return _INVISIBLE.sub("", clean_text(_ESCAPE_SEQUENCE.sub("", str(value)), limit))


def widget_text(value: object, style: str | Style = "", limit: int = NAME_LIMIT) -> Text:
    """The one way vendor text reaches a widget: cleaned, as a `Text` with one plain span (never markup)."""
    return Text(clean(value, limit), style=style, no_wrap=True, overflow="ellipsis")


def plain(value: object, style: str | Style = "") -> Text:
    """Server text as a `Text` that is never parsed as markup (`widget_text`)."""
    return widget_text(value, style)


def content(*parts: object) -> Content:
    """A Textual `Content` from plain parts (server text is cleaned, never parsed as markup)."""
    return Content(clean("".join(str(part) for part in parts), 10 * NAME_LIMIT))


def text(*parts: str | tuple[str, str | Style]) -> Text:
    """A `Text` from plain parts, each optionally with a style: the safe way to put server text in a sentence."""
    result = Text(no_wrap=True, overflow="ellipsis")
    for part in parts:
        value, style = part if isinstance(part, tuple) else (part, "")
        result.append(clean(value, 10 * NAME_LIMIT), style)
    return result


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
    return f"{math.ceil(left.total_seconds())}s"  # "1s" in the last second, never "0s"


def target_name(provider: str, name: str) -> str:
    """ "powermaster · House": how a partition or zone is named in titles, dialogs and the palette."""
    return f"{clean(provider)} · {clean(name)}"


DONE_WORDS = {
    ArmMode.AWAY: "armed away",
    ArmMode.HOME: "armed home",
    ArmMode.NIGHT: "armed night",
    ArmMode.PERIMETER: "armed perimeter",
}
_ECHO = re.compile(
    r"^(?:(?:arm(?:ing)?|disarm(?:ing)?|bypass(?:ing)?|un-bypass|restore|photo|away|home|night|perimeter|"
    r"request(?:ing)?|command|failed|error|outcome unknown)[ :]*)+(?:[:—-]\s*)",
    re.IGNORECASE,
)


def reason_of(message: str) -> str:
    """The vendor's reason without our own words repeated in front ("arm away failed: " and the like)."""
    reason = clean(message, 300)
    stripped = _ECHO.sub("", reason)
    return (stripped or reason).rstrip(".")


def settled(result: object) -> bool:
    """False when the panel accepted the command but is still getting there (`CommandResult.settled`)."""
    return getattr(result, "settled", True) is not False


def transition_words(command: object, state: str) -> str:
    """ "arming, exit delay 30 s" from the panel's words ("arming — exit delay 30 s"); "arming" if it said none."""
    from alarmtui.domain import CommandAction  # noqa: PLC0415  (small, local)

    said = state.replace(" — ", ", ").replace(" - ", ", ").strip(" .")
    if said:
        return said
    return "arming" if command.action is CommandAction.ARM else "disarming"  # type: ignore[attr-defined]


def outcome(provider: str, command: object, result: object) -> str:
    """One clean sentence per outcome: "vera · House armed away.", "Could not disarm vera · House: wrong code."."""
    from alarmtui.domain import CommandAction, CommandPhase  # noqa: PLC0415  (small, local)

    action = command.action  # type: ignore[attr-defined]
    label = command.label or ""  # type: ignore[attr-defined]
    where = target_name(provider, label) if label else clean(provider)
    phase = result.phase  # type: ignore[attr-defined]
    message = result.message  # type: ignore[attr-defined]
    state = clean(getattr(result, "state", "") or "", 200)
    if phase is CommandPhase.DONE and not settled(result):
        # Accepted, but the panel is still in its exit delay (or arming): never "armed" before it says so.
        return f"{clean(provider)}: accepted — {clean(label) or 'the panel'} {transition_words(command, state)}."
    if phase is CommandPhase.DONE and state:
        return f"{where}: {state}."
    if phase is CommandPhase.DONE:
        if action is CommandAction.ARM:
            bypassed = " (open zones bypassed)" if command.force else ""  # type: ignore[attr-defined]
            return f"{where} {DONE_WORDS.get(command.mode, 'armed')}{bypassed}."  # type: ignore[attr-defined]
        if action is CommandAction.DISARM:
            return f"{where} disarmed."
        if action is CommandAction.BYPASS:
            return f"{where} {'bypassed' if command.on else 'restored'}."  # type: ignore[attr-defined]
        return f"Photo taken: {where}."
    what = command.describe().split(" ")[0] if action is not CommandAction.ARM else f"arm {command.mode}"  # type: ignore[attr-defined]
    if action is CommandAction.BYPASS and not command.on:  # type: ignore[attr-defined]
        what = "restore"
    reason = reason_of(message) if message else ""
    if phase is CommandPhase.FAILED:
        return f"Could not {what} {where}: {reason or 'refused'}."
    if phase is CommandPhase.NOT_SENT:
        return f"Not sent: {what} {where} ({reason or 'no connection'}); nothing reached the panel."
    return f"Outcome of {what} {where} unknown ({reason or 'no answer'}); re-reading the panel, not re-sending."


def set_border(widget: Widget, *, title: object = None, subtitle: object = None) -> None:
    """Set a border title and/or subtitle only when it changed: Textual repaints the whole widget on every
    assignment, even of the same text (a table repainted on every poll was most of an idle dashboard's CPU).
    `None` leaves that one as it is; pass "" to clear it."""
    shown: dict[str, object] = widget.__dict__.setdefault("_border_shown", {})
    for name, value in (("border_title", title), ("border_subtitle", subtitle)):
        if value is None:
            continue
        # Content compares by its plain text only: its spans (styles) count here too.
        key = (value.plain, tuple(value.spans)) if isinstance(value, Content) else (type(value), str(value))
        if shown.get(name) == key:
            continue
        shown[name] = key
        setattr(widget, name, value)
