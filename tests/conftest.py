"""Shared fixtures: keep the developer's own config and environment out of tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from alarmtui.logging_setup import quiet_term_image
from alarmtui.redaction import SECRET_FILTER

quiet_term_image()


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("ALARMTUI_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))  # device identities, journal: never the developer's own
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg-runtime"))  # never attach to the developer's service
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)


@pytest.fixture(autouse=True)
def forget_registered_secrets() -> Iterator[None]:
    """A test's password ("wrong") must not scrub another test's messages."""
    SECRET_FILTER.clear()
    yield
    SECRET_FILTER.clear()
