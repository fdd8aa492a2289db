"""Zones and devices of every provider; bypass and photo act on the selected one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text

from alarmtui.domain import Zone, ZoneKind
from alarmtui.ui.format import Palette, clean, plain, set_border
from alarmtui.ui.state import ProviderView
from alarmtui.ui.widgets.tables import SortableText, SyncedTable

MARKERS = (("bypassed", "B", "warning"), ("battery", "L", "warning"), ("tamper", "T", "error"))
LEGEND_COMPACT = "B=bypassed L=low battery T=tamper ?=not reported"
LEGEND = "? not reported"
MOVING = frozenset({ZoneKind.MOTION, ZoneKind.CAMERA})


class ZonesTable(SyncedTable):
    COLUMNS = (
        ("provider", "Provider", 9),
        ("zone", "Zone", 16),
        ("type", "Type", 7),
        ("state", "State", 6),
        ("flags", "Warnings", None),
    )
    LIMITS: ClassVar[dict[str, int]] = {"provider": 14, "zone": 24, "type": 8, "state": 14}
    COMPACT_LIMITS: ClassVar[dict[str, int]] = {"provider": 11, "zone": 18, "type": 7, "state": 8}
    FULL_WARNINGS = len("bypassed battery tamper")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._zones: dict[str, tuple[str, Zone]] = {}
        self.compact = False
        """Warnings as one-letter markers (narrow terminals)."""

    def show(self, views: Iterable[ProviderView], palette: Palette) -> None:
        self._shown_with = (list(views), palette)
        views, _ = self._shown_with
        zones: dict[str, tuple[str, Zone]] = {}
        unknown = False
        for view in views:
            for zone in view.snapshot.zones if view.snapshot else ():
                zones[f"{view.name}\x1f{zone.id}"] = (view.name, zone)
                unknown = unknown or zone.open is None
        self._zones = zones

        def cells(markers: bool) -> dict[str, list[Text]]:
            rows: dict[str, list[Text]] = {}
            for provider_index, view in enumerate(views):
                for zone_index, zone in enumerate(view.snapshot.zones if view.snapshot else ()):
                    rows[f"{view.name}\x1f{zone.id}"] = zone_cells(
                        view.name, zone, palette, order=(provider_index, zone_index), compact=markers
                    )
            return rows

        rows = cells(self.compact)
        self.size_to_content(rows, self.COMPACT_LIMITS if self.compact else self.LIMITS)
        # A narrow table shows warnings as markers rather than cutting them off.
        fixed = sum(self._content_widths.values()) + 2 * self.cell_padding * len(self.COLUMNS)
        room = self.scrollable_content_region.width - fixed
        widest = max((cells[-1].cell_len for cells in rows.values()), default=0)
        markers = self.compact or (room < widest and self.scrollable_content_region.width > 0)
        if markers and not self.compact:
            rows = cells(True)
        self.markers = markers
        self.sync(rows, sort_column="provider")  # providers in config order, zones in panel order
        set_border(self, subtitle=LEGEND_COMPACT if markers else LEGEND if unknown else "")

    def on_resize(self) -> None:
        super().on_resize()
        shown = getattr(self, "_shown_with", None)
        if shown is not None:
            self.show(*shown)

    def selected(self) -> tuple[str, Zone] | None:
        """(provider, zone) under the cursor."""
        key = self.selected_key()
        return self._zones.get(key) if key else None


def zone_state(zone: Zone, palette: Palette) -> Text:
    """ "open"/"closed" for doors, "motion"/"quiet" for motion sensors (never "closed"), "locked"/"unlocked" for
    smart locks, "?" when not reported; then the temperature and humidity where the device measures them."""
    state = _open_state(zone, palette)
    climate = " ".join(
        part
        for part in (
            f"{zone.temperature:.1f}°C" if zone.temperature is not None else "",
            f"{zone.humidity:.0f}%" if zone.humidity is not None else "",
        )
        if part
    )
    if not climate:
        return state
    if state.plain == "?":  # a thermometer has nothing else to say
        return palette.text(climate, "foreground")
    state.append(f" {climate}", palette.style("foreground"))
    return state


def _open_state(zone: Zone, palette: Palette) -> Text:
    if zone.kind is ZoneKind.LOCK:
        if zone.locked is None:
            return palette.text("?", "muted")
        return palette.text("locked", "success") if zone.locked else palette.text("unlocked", "warning", bold=True)
    if zone.open is None:
        return palette.text("?", "muted")
    if zone.kind in MOVING:
        return palette.text("motion", "warning", bold=True) if zone.open else palette.text("quiet", "success")
    return palette.text("open", "warning", bold=True) if zone.open else palette.text("closed", "success")


def zone_cells(
    provider: str, zone: Zone, palette: Palette, order: tuple[int, int] = (0, 0), *, compact: bool = False
) -> list[Text]:
    flags = Text(no_wrap=True, overflow="ellipsis")
    for shown, (word, marker, role) in zip((zone.bypassed, zone.battery_low, zone.tamper), MARKERS, strict=True):
        if shown:
            if flags:
                flags.append(" ")
            flags.append(marker if compact else word, palette.style(role, bold=True))
    return [
        SortableText(clean(provider), order, style=palette.style("muted"), no_wrap=True, overflow="ellipsis"),
        plain(zone.name),
        plain("camera" if zone.camera else zone.kind.value),
        zone_state(zone, palette),
        flags,
    ]
