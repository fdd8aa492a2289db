"""Active troubles of every provider, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text

from alarmtui.domain import Trouble
from alarmtui.ui.format import TROUBLE_WORDS, Palette, age, clean, plain, set_border
from alarmtui.ui.state import ProviderView
from alarmtui.ui.widgets.tables import SortableText, SyncedTable

OLDEST = datetime.min.replace(tzinfo=UTC)


def short_time(when: datetime | None, now: datetime) -> str:
    """ "21:25" today, "21 Nov" before: troubles last, the minute only matters today."""
    if when is None:
        return "?"
    local, today = when.astimezone(), now.astimezone()
    return local.strftime("%H:%M") if local.date() == today.date() else local.strftime("%d %b")


def trouble_age(since: datetime | None, first_seen: datetime | None, now: datetime) -> str:
    """ "3h" since the panel says it began; "≥5m" since the dashboard first saw it, when the panel does not say."""
    if since is not None:
        return age(since, now).removesuffix(" ago")
    if first_seen is not None:
        return "≥" + age(first_seen, now).removesuffix(" ago")
    return "new"


class TroublesTable(SyncedTable):
    COLUMNS = (
        ("since", "Age", 5),
        ("provider", "Provider", 9),
        ("kind", "Trouble", 9),
        ("text", "Detail", None),
    )
    LIMITS: ClassVar[dict[str, int]] = {"since": 6, "provider": 14, "kind": 13}

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("show_cursor", False)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._first_seen: dict[str, datetime] = {}

    def show(self, views: Iterable[ProviderView], now: datetime, palette: Palette) -> None:
        rows: dict[str, list[Text]] = {}
        for view in views:
            if view.snapshot is None:
                continue
            for trouble in view.snapshot.troubles:
                key = f"{view.name}\x1f{trouble.id}"
                first_seen = self._first_seen.setdefault(key, now)
                rows[key] = trouble_cells(view.name, trouble, now, palette, first_seen)
        self._first_seen = {k: v for k, v in self._first_seen.items() if k in rows}
        self.size_to_content(rows, self.LIMITS)
        self.sync(rows, sort_column="since", reverse=True)
        set_border(self, subtitle=f"{len(rows)} active" if rows else "none")


def trouble_cells(
    provider: str, trouble: Trouble, now: datetime, palette: Palette, first_seen: datetime | None = None
) -> list[Text]:
    since = trouble.since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    text = clean(trouble.text, 500)
    zone = clean(trouble.zone) if trouble.zone else ""
    detail = text + (f" ({zone})" if zone and zone not in text else "")
    if since is not None:
        detail += f" · since {short_time(since, now)}"
    return [
        SortableText(trouble_age(since, first_seen, now), since or first_seen or OLDEST, no_wrap=True),
        plain(provider, palette.style("muted")),
        palette.text(TROUBLE_WORDS.get(trouble.kind, trouble.kind.value), "warning", bold=True),
        plain(detail),
    ]
