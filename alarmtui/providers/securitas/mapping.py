"""OWA wire values -> the domain, as pure functions (shared/protocols/securitas-owa.md §4.4, §5, §6)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alarmtui.domain import ArmMode, EventKind, PartitionState

INTERIOR_OFF, DAY, NIGHT, TOTAL = "off", "day", "night", "total"


@dataclass(frozen=True, slots=True)
class Axes:
    """The three independent axes of a Securitas panel."""

    interior: str = INTERIOR_OFF
    perimeter: bool = False
    annex: bool = False


# proto letter -> axes (§4.4). `N` and anything else: unknown, never "disarmed".
PROTO_AXES: dict[str, Axes] = {
    "D": Axes(),
    "E": Axes(perimeter=True),
    "P": Axes(DAY),
    "Q": Axes(NIGHT),
    "B": Axes(DAY, True),
    "C": Axes(NIGHT, True),
    "T": Axes(TOTAL),
    "A": Axes(TOTAL, True),
    "X": Axes(annex=True),
    "R": Axes(DAY, annex=True),
    "S": Axes(NIGHT, annex=True),
    "O": Axes(TOTAL, annex=True),
}
AXES_PROTO = {axes: letter for letter, axes in PROTO_AXES.items()}

INTERIOR_STATE = {
    TOTAL: PartitionState.ARMED_AWAY,
    DAY: PartitionState.ARMED_HOME,
    NIGHT: PartitionState.ARMED_NIGHT,
}
MODE_INTERIOR = {ArmMode.AWAY: TOTAL, ArmMode.HOME: DAY, ArmMode.NIGHT: NIGHT}
INTERIOR_REQUEST = {TOTAL: "ARM1", DAY: "ARMDAY1", NIGHT: "ARMNIGHT1"}
# interior + perimeter in one request (§5.1); total+perimeter has two spellings, ARMINTEXT1 first (§5.6).
WITH_PERIMETER_REQUESTS = {TOTAL: ("ARMINTEXT1", "ARM1PERI1"), DAY: ("ARMDAY1PERI1",), NIGHT: ("ARMNIGHT1PERI1",)}


def proto_axes(letter: str) -> Axes | None:
    return PROTO_AXES.get(letter.strip().upper())


def describe(axes: Axes) -> str:
    """The vendor's words for a combination: "total", "day + perimeter", "perimeter", "annex", "disarmed"."""
    parts = []
    if axes.interior != INTERIOR_OFF:
        parts.append(axes.interior)
    if axes.perimeter:
        parts.append("perimeter")
    if axes.annex:
        parts.append("annex")
    return " + ".join(parts) or "disarmed"


def proto_state(letter: str) -> tuple[PartitionState, str]:
    """Canonical state and the vendor's words for a proto letter.

    The interior mode decides the state; perimeter alone is ARMED_CUSTOM_BYPASS
    (ArmMode.PERIMETER's state); annex alone counts as armed custom as well.
    """
    axes = proto_axes(letter)
    if axes is None:
        shown = letter.strip() or "(empty)"
        return PartitionState.UNKNOWN, f"unknown panel state {shown!r}"
    if axes.interior != INTERIOR_OFF:
        return INTERIOR_STATE[axes.interior], describe(axes)
    if axes.perimeter or axes.annex:
        return PartitionState.ARMED_CUSTOM_BYPASS, describe(axes)
    return PartitionState.DISARMED, "disarmed"


def arm_target(mode: ArmMode, current: Axes | None) -> Axes:
    """What arming `mode` should leave: the other axis is kept as it stands (combinations)."""
    base = current or Axes()
    if mode is ArmMode.PERIMETER:
        return Axes(base.interior, True, base.annex)
    return Axes(MODE_INTERIOR[mode], base.perimeter, base.annex)


def arm_requests(target: Axes) -> tuple[str, ...]:
    """Request codes that reach `target` from any state, best first."""
    if target.interior == INTERIOR_OFF:
        return ("PERI1",) if target.perimeter else ()
    if target.perimeter:
        return WITH_PERIMETER_REQUESTS[target.interior]
    return (INTERIOR_REQUEST[target.interior],)


def disarm_requests(current: Axes | None, panel: str) -> tuple[str, ...]:
    """Disarm everything. SDVFAST's DARM1 clears interior and perimeter; elsewhere DARM1DARMPERI does (§5.3)."""
    if current is not None and current.perimeter and panel.upper() != "SDVFAST":
        return ("DARM1DARMPERI", "DARM1")
    return ("DARM1",)


def reached(target: Axes, letter: str) -> bool:
    axes = proto_axes(letter)
    return axes is not None and axes.interior == target.interior and axes.perimeter == target.perimeter


# --------------------------------------------------------------------------- activity (§6)

_KINDS: dict[EventKind, tuple[int, ...]] = {
    EventKind.ARM: (2, 31, 37, 40, 46, 701, 702, 721, 801, 802, 821, 823, 824, 850),
    EventKind.DISARM: (1, 32, 107, 700, 720, 800, 820, 822),
    EventKind.ALARM: (13, 14),
    EventKind.TROUBLE: (24, 241, 25, 26, 501, 502, 3121, 531, 537, 540, 546, 5802, 5823, 5824),
    EventKind.PHOTO: (16,),
    EventKind.ZONE: (324, 325),
    EventKind.SYSTEM: (27, 70, 331),
}
ACTIVITY_KINDS: dict[int, EventKind] = {code: kind for kind, codes in _KINDS.items() for code in codes}
ARM_TYPES = frozenset(_KINDS[EventKind.ARM])
DISARM_TYPES = frozenset(_KINDS[EventKind.DISARM])
ALARM_TYPES = frozenset(_KINDS[EventKind.ALARM])
FORCED_ARM_TYPE = 850
PHOTO_TYPE = 16
POWER_CUT, POWER_BACK = 25, 26
STATUS_CHECK_TYPE = 27
"""An "Alarm Status Request" row: every CheckAlarm leaves one (§6), ours included."""
COMM_FAILED, COMM_BACK = frozenset({501, 502}), 3121


def activity_kind(type_code: int) -> EventKind | None:
    return ACTIVITY_KINDS.get(type_code)


COUNTRY_TZ = {
    "ES": "Europe/Madrid",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "IT": "Europe/Rome",
    "PT": "Europe/Lisbon",
    "BR": "America/Sao_Paulo",
    "CL": "America/Santiago",
    "AR": "America/Argentina/Buenos_Aires",
    "PE": "America/Lima",
}


def country_zone(country: str) -> str:
    """The time zone the panel's local times are in (a guess by country; §13.9 leaves it open)."""
    return COUNTRY_TZ.get(country.upper(), "UTC")


def parse_time(value: str, zone: str = "Europe/Madrid") -> datetime:
    """`YYYY-MM-DD HH:MM:SS` (panel local time, §6) or ISO 8601 -> aware UTC datetime."""
    value = value.strip()
    if not value:
        raise ValueError("empty time")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed.astimezone(UTC)


def own_status_checks(
    rows: Iterable[tuple[str, int, datetime | None]], own_checks: Iterable[datetime], window: float = 120.0
) -> set[str]:
    """The ids of the status-request rows alarmtui itself caused: (id, type, time) rows in, ids out.

    As Verisure's `is_own_status_check`: a status request near one of our CheckAlarms is ours;
    here each CheckAlarm claims only the nearest such row, so a person's own check from the
    app a minute apart is still shown.
    """
    candidates = [(row_id, when) for row_id, type_code, when in rows if type_code == STATUS_CHECK_TYPE and when is not None]
    claimed: set[str] = set()
    for check in own_checks:
        distances = [(abs((when - check).total_seconds()), row_id) for row_id, when in candidates if row_id not in claimed]
        nearest = min((d for d in distances if d[0] <= window), default=None)
        if nearest is not None:
            claimed.add(nearest[1])
    return claimed


def exception_words(status: str) -> str:
    return {"0": "open", "2": "low battery"}.get(status, f"status {status}" if status else "")
