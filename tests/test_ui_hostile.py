"""Vendor text is inert in every widget and dialog (issue 18, UI side).

A hostile corpus — Textual markup of every form (`[@click=…]`, `[link=…]` quoted and not, `[b]`, variables),
CSI, OSC 8 hyperlinks, OSC 52 clipboard writes, bidi overrides, zero-width marks and a 3,000-character name —
goes through the SMS device-validation dialog's phone list, the alarm banner, the confirmation, the PIN prompt,
the event detail and the panels. Nothing may crash, nothing may act, and the text shows as text.
"""

from __future__ import annotations

from test_ui_functional import NotifyRecorder, until
from test_ui_trust import HOSTILE, LONG, NOW, fixed_app, house, online, strips_have_no_actions
from textual.widgets import OptionList

from alarmtui.domain import Event, EventKind, Partition, PartitionState, Zone, ZoneKind
from alarmtui.domain.updates import EventsUpdate
from alarmtui.ui.format import clean, widget_text
from alarmtui.ui.screens.alarm import AlarmScreen
from alarmtui.ui.screens.confirm import ConfirmScreen
from alarmtui.ui.screens.event import EventScreen
from alarmtui.ui.screens.otp import OtpScreen
from alarmtui.ui.screens.pin import PinScreen

CORPUS = [
    *HOSTILE,
    "[link=https://x]unquoted[/link]",  # a MarkupError if ever parsed
    "[@click=app.quit]",
    "\x1b]52;c;aGVsbG8=\x07clip",  # OSC 52: writes the user's clipboard
    "\x1b]8;;https://evil\x07osc8\x1b]8;;\x07",
    "\u202eevil\u202c rtl",
    "a\u200b\u200c\u200d\u2060b",
    LONG,
]


def test_clean_removes_whole_escape_sequences_and_invisible_marks() -> None:
    assert clean("\x1b[31mcsi\x1b[0m") == "csi"  # not "[31mcsi[0m"
    assert clean("\x1b]52;c;aGVsbG8=\x07clip") == "clip"
    assert clean("\x1b]8;;https://evil\x07osc8\x1b]8;;\x07") == "osc8"
    assert clean("\u202eevil\u202c rtl") == "evil rtl"
    assert clean("a\u200b\u200c\u200d\u2060b") == "ab"
    long = clean(LONG)
    assert len(long) <= 200 and long.endswith("…")
    text = widget_text("[@click=app.quit]x[/]")
    assert text.plain == "[@click=app.quit]x[/]" and not text.spans  # one plain span: never markup


class RecordingVerifier:
    """The SMS validation steps, answering at once; records which phone was asked for."""

    name = "casa[@click=app.quit]"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_verification_code(self, phone_id: str) -> str:
        self.sent.append(phone_id)
        return "[link=https://x]code sent[/link] \x1b]52;c;aGk=\x07"

    async def verify_device(self, code: str) -> None:
        return None


async def test_otp_dialog_shows_hostile_phones_as_text_and_they_do_nothing() -> None:
    app = fixed_app()
    verifier = RecordingVerifier()
    phones = tuple((f"p{n}", value) for n, value in enumerate(CORPUS))
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(OtpScreen(verifier, phones, reason="[@click=app.quit]reason\x1b[2J"))  # type: ignore[arg-type]
        await until(pilot, lambda: isinstance(app.screen, OtpScreen) and app.screen.query("#otp-phones"), what="dialog")
        options = app.screen.query_one("#otp-phones", OptionList)
        prompts = [options.get_option_at_index(i).prompt for i in range(options.option_count)]
        assert [getattr(p, "plain", p) for p in prompts] == [clean(value) for value in CORPUS]
        assert "[@click=app.quit]" in [getattr(p, "plain", p) for p in prompts]  # visible, literally
        await pilot.pause()
        strips = [options.render_line(y) for y in range(options.size.height)]
        assert strips_have_no_actions(strips)
        status = str(app.screen.query_one("#otp-status").render())
        assert "[@click=app.quit]reason" in status and "\x1b" not in status
        await pilot.click("#otp-phones")  # a click on a "[@click=app.quit]" phone: nothing but a selection
        await pilot.pause()
        assert app.is_running
        options.highlighted = CORPUS.index("[@click=app.quit]")
        await pilot.press("enter")  # choose it: the code is sent to that phone id, nothing else happens
        await until(pilot, lambda: verifier.sent, what="code sent")
        assert verifier.sent[-1] == f"p{CORPUS.index('[@click=app.quit]')}"
        await until(pilot, lambda: "code sent" in str(app.screen.query_one("#otp-status").render()), what="status")
        assert "[link=https://x]code sent[/link]" in str(app.screen.query_one("#otp-status").render())
        assert app.is_running and isinstance(app.screen, OtpScreen)


async def test_hostile_names_through_banner_confirmation_pin_and_event_detail() -> None:
    """Every corpus entry at once: a partition, a zone, a lock and an event named by each."""
    app = fixed_app()
    notes = NotifyRecorder()
    ids = [str(n) for n in range(len(CORPUS))]
    partitions = tuple(Partition(i, name, PartitionState.TRIGGERED, alarm_zone=name) for i, name in zip(ids, CORPUS))
    zones = tuple(Zone(f"z{i}", name, ZoneKind.MOTION, open=True, partitions=(i,)) for i, name in zip(ids, CORPUS))
    locks = tuple(
        Zone(f"l{i}", name, ZoneKind.LOCK, locked=True, temperature=21.5, humidity=40.0, partitions=(i,))
        for i, name in zip(ids, CORPUS)
    )
    events = tuple(
        Event(f"e{i}", NOW, EventKind.ALARM, name, who=name, zone=name, partition=name, provider="home")
        for i, name in zip(ids, CORPUS)
    )
    async with app.run_test(size=(160, 50), message_hook=notes) as pilot:
        online(app, house(*partitions, zones=zones + locks))
        app.apply(EventsUpdate("home", events))
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen) and app.screen.query("#alarm-detail"))
        await pilot.pause()
        banner = str(app.screen.query_one("#alarm-detail").render())
        assert all(clean(name)[:30] in banner for name in CORPUS)
        await pilot.click("#alarm-detail")
        assert app.is_running and isinstance(app.screen, AlarmScreen)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirmation")
        question = str(app.screen.query_one("#confirm-question").render())
        assert all(clean(name)[:30] in question for name in CORPUS)  # it names them all, as text
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, AlarmScreen), what="banner again")
        for name in (CORPUS[0], "[link=https://x]unquoted[/link]", LONG):
            app.push_screen(PinScreen(f"disarm {name}", name))
            await until(pilot, lambda: isinstance(app.screen, PinScreen) and app.screen.query("#pin-title"), what="PIN")
            assert clean(name)[:40] in str(app.screen.query_one("#pin-title").render())
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, AlarmScreen), what="banner again")
        await pilot.press("A")
        await until(pilot, lambda: not isinstance(app.screen, AlarmScreen), what="acknowledged")
        for widget in (app.header, app.partitions, app.zones, app.events.table):
            strips = [widget.render_line(y) for y in range(widget.size.height)]
            assert strips_have_no_actions(strips), widget
        app.events.table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EventScreen), what="event detail")
        body = str(app.screen.query_one("#event-body").render())
        assert any(clean(name)[:30] in body for name in CORPUS)
        await pilot.press("escape")
        assert app.is_running
        assert all("\x1b" not in n.notification.message for n in notes.notes)
