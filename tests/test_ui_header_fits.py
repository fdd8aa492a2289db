"""Every provider keeps its status line at 80×24: five clouds must not push the fifth out of the header."""

from __future__ import annotations

from tests.helpers import until_pilot as until
from tests.test_ui_functional import all_online, demo, make_app  # noqa: F401  (demo is a fixture)


async def test_five_providers_each_have_a_visible_status_line_at_80x24(demo) -> None:  # noqa: F811
    env = demo("verisure", "visonic", "mios", "securitas", "mypages")
    app = make_app(env)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: all_online(app), what="every provider online")
        header = app.header
        await until(pilot, lambda: header.region.height >= 5, what="a line for each provider")  # the layout follows the data
        shown = str(header.render())
        for name in ("casa", "powermaster", "vera", "hogar", "villa"):
            assert name in shown
