"""The README's screenshots exist (SVG and PNG) and the README shows the ones issues 17 and 19 ask for."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("screenshots_script", REPO / "scripts" / "screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_expected_screenshot_is_there_and_the_readme_shows_the_alarm_and_my_pages_ones() -> None:
    script = load_script()
    assert script.missing(REPO / "screenshots") == []
    readme = (REPO / "README.md").read_text()
    for name in ("alarm-80x24", "alarm-120x40", "mypages"):
        assert name in script.EXPECTED
        assert f"(screenshots/{name}.png)" in readme, name
