"""The contract suite's vendor parametrisation and its result matrix."""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from .vendors import VendorFixture

VENDORS = ["verisure", "visonic", "mios", "vera", "securitas", "mypages"]
"""Vendor fixture modules under `vendors/`; add yours here (see README.md)."""

MATRIX: dict[tuple[str, str], dict[str, str]] = {}
"""(vendor, cell) -> {"typed": ..., "recovered": ..., "sends": ..., "outcome": ...}, printed at the end."""


@pytest.fixture(params=VENDORS)
async def vendor(request: pytest.FixtureRequest) -> AsyncIterator[VendorFixture]:
    module = importlib.import_module(f"{__package__}.vendors.{request.param}")
    async with module.Vendor() as fixture:
        yield fixture


def record(vendor: str, cell: str, **columns: Any) -> None:
    MATRIX.setdefault((vendor, cell), {}).update({k: str(v) for k, v in columns.items()})


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not MATRIX or not (os.environ.get("ALARMTUI_CONTRACT_MATRIX") or terminalreporter.config.option.verbose > 0):
        return
    terminalreporter.write_sep("-", "contract matrix (provider × fault → typed / recovered / sends / outcome)")
    for (kind, cell), row in sorted(MATRIX.items()):
        terminalreporter.write_line(
            f"{kind:9s} {cell:24s} typed={row.get('typed', '-'):22s} recovered={row.get('recovered', '-'):5s} "
            f"sends={row.get('sends', '-'):3s} outcome={row.get('outcome', '-')}"
        )
