"""Zones and devices of every provider; bypass and photo act on the selected one."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from alarmtui.domain import Zone
from alarmtui.ui.format import Palette, plain
from alarmtui.ui.state import ProviderView
from alarmtui.ui.widgets.tables import SortableText, SyncedTable


class ZonesTable(SyncedTable):
    COLUMNS = (
        ("provider", "Provider", 9),
        ("zone", "Zone", 16),
        ("type", "Type", 7),
        ("state", "State", 6),
        ("camera", "Cam", 3),
        ("flags", "Warnings", 13),
    )

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._zones: dict[str, tuple[str, Zone]] = {}

    def show(self, views: Iterable[ProviderView], palette: Palette) -> None:
        rows: dict[str, list[Text]] = {}
        zones: dict[str, tuple[str, Zone]] = {}
        for provider_index, view in enumerate(views):
            if view.snapshot is None:
                continue
            for zone_index, zone in enumerate(view.snapshot.zones):
                key = f"{view.name}\x1f{zone.id}"
                zones[key] = (view.name, zone)
                rows[key] = zone_cells(view.name, zone, palette, order=(provider_index, zone_index))
        self._zones = zones
        self.sync(rows, sort_column="provider")  # providers in config order, zones in panel order

    def selected(self) -> tuple[str, Zone] | None:
        """(provider, zone) under the cursor."""
        key = self.selected_key()
        return self._zones.get(key) if key else None


def zone_cells(provider: str, zone: Zone, palette: Palette, order: tuple[int, int] = (0, 0)) -> list[Text]:
    if zone.open is None:
        state = palette.text("?", "muted")
    elif zone.open:
        state = palette.text("open", "warning", bold=True)
    else:
        state = palette.text("closed", "success")
    flags = Text(no_wrap=True, overflow="ellipsis")
    for shown, word, role in (
        (zone.bypassed, "bypassed", "warning"),
        (zone.battery_low, "battery", "warning"),
        (zone.tamper, "tamper", "error"),
    ):
        if shown:
            if flags:
                flags.append(" ")
            flags.append(word, palette.style(role, bold=True))
    return [
        SortableText(provider, order, style=palette.style("muted"), no_wrap=True, overflow="ellipsis"),
        plain(zone.name),
        plain(zone.kind.value),
        state,
        palette.text("cam" if zone.camera else "", "accent"),
        flags,
    ]
