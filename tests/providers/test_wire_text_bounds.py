"""Issue 18: one huge text field (under the 16 MB reply cap) is cut before it is cleaned. Cleaning looks at every
character: a 15 MB device name took 1.5 s of the event loop in Visonic's and luup's parsers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import alarmtui.domain.text as text_module
from alarmtui.providers.luup.mapping import build_snapshot
from alarmtui.providers.luup.parse import parse_sdata
from alarmtui.providers.visonic.parse import parse_devices, parse_status
from alarmtui.providers.wire import as_text

HUGE = "x" * 2_000_000


@pytest.fixture
def longest_cleaned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every string `terminal_text` is asked to clean (a spy: it still cleans)."""
    seen: list[int] = []
    real = text_module.terminal_text

    def spy(value: object, *args: Any, **kwargs: Any) -> str:
        seen.append(len(value) if isinstance(value, str) else 0)
        return real(value, *args, **kwargs)

    monkeypatch.setattr(text_module, "terminal_text", spy)
    return seen


@pytest.mark.parametrize(
    "parse",
    [
        lambda: as_text(HUGE, "name"),
        lambda: parse_status({"connected": True, "partitions": [{"id": 1, "state": HUGE}]}),
        lambda: parse_devices([{"device_number": 1, "device_type": "ZONE", "subtype": "CONTACT", "name": HUGE}]),
        lambda: build_snapshot(
            parse_sdata({"loadtime": 1, "dataversion": 1, "devices": [{"id": 1, "name": HUGE, "category": 4}]}).devices,
            panel_name="Vera",
        ),
    ],
)
def test_a_huge_field_is_cut_before_it_is_cleaned(longest_cleaned: list[int], parse: Callable[[], object]) -> None:
    parse()
    assert longest_cleaned and max(longest_cleaned) <= 4 * 500 + 64
