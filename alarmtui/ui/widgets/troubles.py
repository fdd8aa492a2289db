"""Active troubles of every provider, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from rich.text import Text

from alarmtui.domain import Trouble
from alarmtui.ui.format import TROUBLE_WORDS, Palette, plain
from alarmtui.ui.state import ProviderView
from alarmtui.ui.widgets.tables import SortableText, SyncedTable

OLDEST = datetime.min.replace(tzinfo=UTC)


def short_time(when: datetime | None, now: datetime) -> str:
    """ "21:25" today, "21 Nov" before: troubles last, the minute only matters today."""
    if when is None:
        return "?"
    local, today = when.astimezone(), now.astimezone()
    return local.strftime("%H:%M") if local.date() == today.date() else local.strftime("%d %b")


class TroublesTable(SyncedTable):
    COLUMNS = (
        ("since", "Since", 6),
        ("provider", "Provider", 9),
        ("kind", "Trouble", 9),
        ("text", "Detail", None),
    )

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("show_cursor", False)
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def show(self, views: Iterable[ProviderView], now: datetime, palette: Palette) -> None:
        rows: dict[str, list[Text]] = {}
        for view in views:
            if view.snapshot is None:
                continue
            for trouble in view.snapshot.troubles:
                rows[f"{view.name}\x1f{trouble.id}"] = trouble_cells(view.name, trouble, now, palette)
        self.sync(rows, sort_column="since", reverse=True)
        self.border_subtitle = f"{len(rows)} active" if rows else "none"


def trouble_cells(provider: str, trouble: Trouble, now: datetime, palette: Palette) -> list[Text]:
    since = trouble.since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    detail = trouble.text + (f" ({trouble.zone})" if trouble.zone and trouble.zone not in trouble.text else "")
    return [
        SortableText(short_time(since, now), since or OLDEST, no_wrap=True),
        plain(provider, palette.style("muted")),
        palette.text(TROUBLE_WORDS.get(trouble.kind, trouble.kind.value), "warning", bold=True),
        plain(detail),
    ]
