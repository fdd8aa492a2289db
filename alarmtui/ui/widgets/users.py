"""The users each provider knows about."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from alarmtui.ui.format import Palette, plain
from alarmtui.ui.state import ProviderView
from alarmtui.ui.widgets.tables import SyncedTable


class UsersTable(SyncedTable):
    COLUMNS = (
        ("provider", "Provider", 10),
        ("name", "User", 16),
        ("role", "Role", 10),
        ("detail", "Detail", None),
    )

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("show_cursor", False)
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def show(self, views: Iterable[ProviderView], palette: Palette) -> None:
        rows: dict[str, list[Text]] = {}
        for view in views:
            if view.snapshot is None:
                continue
            for user in view.snapshot.users:
                rows[f"{view.name}\x1f{user.id}"] = [
                    plain(view.name, palette.style("muted")),
                    plain(user.name),
                    plain(user.role),
                    plain(user.detail),
                ]
        self.size_to_content(rows, {"provider": 14, "name": 24, "role": 12})
        self.sync(rows)
