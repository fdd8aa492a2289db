"""A DataTable that is updated in place, row by row, by key.

Repainting a whole table on every poll is what makes dashboards slow; here a
poll that changes one zone updates one cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowDoesNotExist

from alarmtui.ui.widgets.vim import TABLE_KEYS

Cells = Sequence[Text]


class SortableText(Text):
    """A cell that sorts by `sort_value` rather than by what it shows (times, severities)."""

    def __init__(self, text: str, sort_value: Any, **kwargs: Any) -> None:
        super().__init__(text, **kwargs)
        self.sort_value = sort_value


def _signature(cells: Cells) -> tuple[tuple[str, str], ...]:
    return tuple((cell.plain, str(cell.style)) for cell in cells)


class SyncedTable(DataTable[Text]):
    """Subclasses set `COLUMNS` as (key, label, width or None)."""

    BINDINGS: ClassVar[list[BindingType]] = TABLE_KEYS

    COLUMNS: Sequence[tuple[str, str, int | None]] = ()

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", False)
        super().__init__(**kwargs)
        self._signatures: dict[str, tuple[tuple[str, str], ...]] = {}

    def on_mount(self) -> None:
        for key, label, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)
        self._fit_columns()

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        """A column without a fixed width takes exactly the room left, so nothing needs a horizontal scrollbar."""
        fill = [key for key, _, width in self.COLUMNS if width is None]
        if not fill or not self.columns:
            return
        available = self.scrollable_content_region.width
        if available <= 0:
            return
        padding = 2 * self.cell_padding
        widths = getattr(self, "_content_widths", {})
        used = sum(widths.get(key, width) + padding for key, _, width in self.COLUMNS if width is not None)
        share = max((available - used) // len(fill) - padding, 4)
        for key in fill:
            column = self.columns.get(ColumnKey(key))
            if column is None or (not column.auto_width and column.width == share):
                continue
            column.auto_width = False
            column.width = share
            self._require_update_dimensions = True
            self._clear_caches()
        self.refresh()

    def size_to_content(self, rows: Mapping[str, Cells], limits: Mapping[str, int] | None = None) -> None:
        """Fixed columns as wide as their widest cell (and header), up to `limits`: no "powermas…" when there is room."""
        limits = limits or {}
        changed = False
        widths: dict[str, int] = {}
        for n, (key, label, width) in enumerate(self.COLUMNS):
            if width is None:
                continue
            widest = max([len(label), *(rows_cell.cell_len for rows_cell in (cells[n] for cells in rows.values()))])
            widths[key] = min(widest, limits.get(key, 40))
        self._content_widths = widths
        for key, width in widths.items():
            column = self.columns.get(ColumnKey(key))
            if column is not None and (column.auto_width or column.width != width):
                column.auto_width = False
                column.width = width
                changed = True
        if changed:
            self._require_update_dimensions = True
            self._clear_caches()  # rows already drawn at the old widths
            self._fit_columns()
            self.refresh()

    def sync(self, rows: Mapping[str, Cells], *, sort_column: str | None = None, reverse: bool = False) -> None:
        """Make the table show exactly `rows` (row key -> cells), touching only what changed."""
        column_keys = [key for key, _, _ in self.COLUMNS]
        added = False
        for row_key, cells in rows.items():
            signature = _signature(cells)
            previous = self._signatures.get(row_key)
            if previous == signature:
                continue
            self._signatures[row_key] = signature
            if previous is None:
                self.add_row(*cells, key=row_key)
                added = True
                continue
            for column, cell, old in zip(column_keys, cells, previous, strict=False):
                if (cell.plain, str(cell.style)) != old:
                    try:
                        self.update_cell(row_key, column, cell)
                    except (CellDoesNotExist, RowDoesNotExist):
                        pass
        for row_key in [k for k in self._signatures if k not in rows]:
            del self._signatures[row_key]
            self.remove_row(row_key)
        if sort_column is not None and added:
            self.sort_by(sort_column, reverse=reverse)

    def remove_keys(self, keys: Sequence[str]) -> None:
        for row_key in keys:
            if self._signatures.pop(row_key, None) is not None:
                self.remove_row(row_key)

    def add_rows_keyed(self, rows: Mapping[str, Cells]) -> None:
        for row_key, cells in rows.items():
            if row_key not in self._signatures:
                self._signatures[row_key] = _signature(cells)
                self.add_row(*cells, key=row_key)

    def clear_rows(self) -> None:
        self._signatures.clear()
        self.clear()

    def sort_by(self, column: str, *, reverse: bool = False) -> None:
        """Order rows by a column, using `SortableText.sort_value` where a cell has one."""
        self.sort(column, key=lambda cell: getattr(cell, "sort_value", getattr(cell, "plain", cell)), reverse=reverse)

    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except (CellDoesNotExist, RowDoesNotExist):
            return None
        return row_key.value
