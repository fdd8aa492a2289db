"""Keys (issue 20, UI side): vim movement in every list, q quits from the main screen only, lock/unlock."""

from __future__ import annotations

import asyncio

from test_ui_functional import until
from test_ui_trust import ALL, NOW, fixed_app, online
from textual.widgets import Input

from alarmtui.domain import (
    Capability,
    Command,
    CommandAction,
    CommandPhase,
    CommandResult,
    Event,
    EventKind,
    Partition,
    PartitionState,
    Snapshot,
    Zone,
    ZoneKind,
)
from alarmtui.domain.updates import EventsUpdate
from alarmtui.ui.screens.confirm import ConfirmScreen
from alarmtui.ui.screens.help import HelpScreen

PARTITIONS = tuple(Partition(str(n), f"P{n}", PartitionState.DISARMED) for n in range(1, 5))
ZONES = (
    Zone("z1", "Front door", ZoneKind.CONTACT, open=False),
    Zone("z2", "Door lock", ZoneKind.LOCK, locked=True),
    Zone("z3", "Hall climate", ZoneKind.CLIMATE, temperature=21.5, humidity=44.0),
    Zone("z4", "Back door", ZoneKind.CONTACT, open=True),
)


def snapshot(*, locks: bool = True) -> Snapshot:
    capabilities = ALL | {Capability.LOCK} if locks else ALL
    return Snapshot(partitions=PARTITIONS, zones=ZONES, capabilities=capabilities, fetched_at=NOW)


async def test_vim_keys_move_in_partitions_zones_and_events() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        online(app, snapshot())
        events = tuple(Event(f"e{n}", NOW, EventKind.ZONE, f"event {n}", provider="home") for n in range(5))
        app.apply(EventsUpdate("home", events))
        await until(pilot, lambda: app.partitions.option_count == 4 and app.events.table.row_count == 5)
        app.partitions.focus()
        app.partitions.highlighted = 0
        await pilot.press("j", "j")
        assert app.partitions.highlighted == 2
        await pilot.press("k")
        assert app.partitions.highlighted == 1
        await pilot.press("G")
        assert app.partitions.highlighted == 3
        await pilot.press("g")
        assert app.partitions.highlighted == 0
        app.zones.focus()
        await pilot.pause()
        app.zones.move_cursor(row=0)
        await pilot.press("j")
        assert app.zones.cursor_row == 1
        await pilot.press("G")
        assert app.zones.cursor_row == 3
        await pilot.press("g", "j", "k")
        assert app.zones.cursor_row == 0
        table = app.events.table
        table.focus()
        await pilot.press("g", "j", "j")
        first_two = table.cursor_row
        await pilot.press("k")
        assert table.cursor_row == first_two - 1
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1


async def test_q_quits_from_the_main_screen_only() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        online(app, snapshot())
        await pilot.pause()
        app.events.start_text_filter()  # typing in an input: q is a letter
        await pilot.pause()
        await pilot.press("q")
        assert app.is_running and app.screen.query_one("#event-filter", Input).value == "q"
        await pilot.press("escape")
        app.partitions.focus()
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.press("q")  # closes the help dialog, does not quit
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), what="help closed")
        assert app.is_running
        app.push_screen(ConfirmScreen("Disarm home · P1?"))  # a confirmation: q is not an answer, nor a quit
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirmation")
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), what="confirmation closed")
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running, what="quit")


async def test_lock_and_unlock_go_through_the_controller_with_confirmation() -> None:
    app = fixed_app()
    sent: list[Command] = []
    async with app.run_test(size=(120, 40)) as pilot:
        online(app, snapshot())

        def submit(provider: str, command: Command, *, origin: str) -> asyncio.Future[CommandResult]:
            sent.append(command)
            done: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
            done.set_result(CommandResult(CommandPhase.DONE))
            return done

        app.engine.submit = submit  # type: ignore[method-assign]  (the engine is not started in this test)
        await until(pilot, lambda: app.zones.row_count == 4)
        row = "".join(cell.plain for cell in app.zones.get_row("home\x1fz2"))
        assert "locked" in row
        climate = "".join(cell.plain for cell in app.zones.get_row("home\x1fz3"))
        assert "21.5°C" in climate and "44%" in climate
        app.zones.focus()
        app.zones.move_cursor(row=app.zones.get_row_index("home\x1fz1"))
        await pilot.pause()
        assert "not a lock" in (app.why_not("lock", (True,)) or "")
        app.zones.move_cursor(row=app.zones.get_row_index("home\x1fz2"))
        await pilot.pause()
        assert "already locked" in (app.why_not("lock", (True,)) or "")
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="unlock confirmation")
        assert "Unlock home · Door lock?" in app.screen.question.plain
        await pilot.press("y")
        await until(pilot, lambda: sent, what="unlock sent")
        assert sent == [Command(CommandAction.UNLOCK, zone="z2", label="Door lock")]
        assert "already sent" in (app.why_not("lock", (False,)) or "")  # marked pending until the panel shows it


async def test_lock_keys_are_not_offered_without_locks() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        online(app, snapshot(locks=False))
        await pilot.pause()
        assert app.main.check_action("lock", (True,)) is False
