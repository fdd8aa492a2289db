"""The dashboard app: settings, engine, theme, keymap, the command palette and help; `create_app`.

`create_app()` builds it for the CLI and for tests; `run_dashboard()` runs it in
the terminal. The app listens to one engine (`alarmtui.engine`: the pollers in
this process, or the service it attached to) and hands its updates, as messages
(`ui/messages.py`), to the main screen (`ui/screens/main.py`), which keeps what
the dashboard knows, draws the panels, raises the alarm banner and runs the keys.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events as textual_events
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.markup import escape as escape_markup
from textual.screen import Screen
from textual.widgets.data_table import RowDoesNotExist

from alarmtui.domain import ArmMode, Scenario
from alarmtui.domain.text import terminal_text
from alarmtui.domain.updates import LinkState, PollerUpdate, SnapshotUpdate, StatusUpdate
from alarmtui.engine import Engine
from alarmtui.ui.availability import why_not_arm, why_not_bypass, why_not_disarm, why_not_lock, why_not_photo
from alarmtui.ui.commands import AlarmCommands, PaletteEntry
from alarmtui.ui.format import MODE_WORDS, clean, target_name
from alarmtui.ui.messages import message_for
from alarmtui.ui.screens.guard import GuardedModal, InputGuard
from alarmtui.ui.screens.starting import StartingScreen

if TYPE_CHECKING:  # the poller and providers (httpx) are loaded only by an in-process engine
    from alarmtui.engine.timing import PollTiming
    from alarmtui.providers import Provider
    from alarmtui.settings import Settings
    from alarmtui.ui.screens.help import HelpSection

log = logging.getLogger(__name__)

WallClock = Callable[[], datetime]
CLOSE_TIMEOUT = 1.0
"""Quitting closes every client and logs out within this many seconds."""
START_WINDOW = 1.0
"""Seconds at most that the starting screen stays up over the built dashboard while the providers give their first
answers: the dashboard then appears whole, drawn once, not once per arrival (a full frame costs 40–80 ms, and
five providers' arrivals took ten of them). A dialog or the alarm banner ends the wait at once."""


def styles_dir() -> Path:
    """The .tcss files: inside the installed package (wheel), else the repo's top-level `styles/`."""
    packaged = Path(__file__).resolve().parent.parent / "styles"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "styles"


@dataclasses.dataclass(frozen=True)
class Started:
    """What the dashboard runs on, once built."""

    settings: Settings
    engine: Engine
    scenarios: Sequence[Scenario] = ()
    warnings: Sequence[str] = ()


@dataclasses.dataclass(frozen=True)
class Starting:
    """A dashboard whose first frame comes before its engine: `build` (run in a thread) makes it."""

    waiting_for: str
    """Said on the first frame: "5 simulated clouds", "casa, powermaster"."""
    build: Callable[[], Started]


_frozen = False


def _freeze_startup_objects() -> None:
    """Everything loaded by now lives as long as the dashboard: out of the collector's sight, a full collection
    no longer walks it (those took ~50 ms, and held back one filter keystroke in a dozen on a 1M-event journal:
    109 → 75 ms at the worst). Once per process (tests build many apps in one). The CLI holds collections back
    while the dashboard starts (`cli.run_dashboard_command`): the start-up's garbage is collected first, once,
    and collections resume."""
    global _frozen
    if not _frozen:
        _frozen = True
        if not gc.isenabled():
            gc.collect()
        gc.freeze()
    gc.enable()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AlarmApp(App[None]):
    TITLE = "alarmtui"
    CSS_PATH = [styles_dir() / "app.tcss", styles_dir() / "screens.tcss"]
    COMMANDS = {AlarmCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (101, "-medium"), (150, "-wide")]
    """At 100 columns and less: compact partitions, zone warnings as markers, panels stacked."""

    def __init__(
        self,
        settings: Settings | None,
        *,
        scenarios: Sequence[Scenario] = (),
        clock: WallClock | None = None,
        providers: Iterable[Provider] | None = None,
        timing: PollTiming | None = None,
        autostart: bool = True,
        warnings: Sequence[str] = (),
        engine: Engine | None = None,
        guard_clock: Callable[[], float] | None = None,
        starting: Starting | None = None,
    ) -> None:
        super().__init__()
        self.input_guard = InputGuard(guard_clock or time.monotonic)
        """Holds input back from a dialog in its first half second (a fake clock in tests)."""
        self.scenarios = list(scenarios)
        self.clock = clock or _utc_now
        self.startup_warnings = list(warnings)
        self.starting = starting
        """The first frame comes before the engine: `starting.build` makes it (in a thread) after that frame."""
        self.ready = starting is None
        self._start_cover: StartingScreen | None = None
        """Over the dashboard until every provider answered once (or `START_WINDOW` passed)."""
        self._unanswered: set[str] = set()
        self._start_window_over = False
        """The window ended while the palette was open over the cover: it is lifted when the palette closes."""
        if starting is None:
            assert settings is not None
            self._set_up(settings, engine, providers=providers, timing=timing, autostart=autostart)

    def _set_up(
        self,
        settings: Settings,
        engine: Engine | None,
        *,
        providers: Iterable[Provider] | None = None,
        timing: PollTiming | None = None,
        autostart: bool = True,
    ) -> None:
        self.settings = settings
        if engine is None:  # no service to attach to: the engine runs here
            from alarmtui.engine.inprocess import InProcessEngine
            from alarmtui.engine.timing import PollTiming

            base_timing = timing or PollTiming()
            engine = InProcessEngine(
                settings,
                providers=providers,
                timing=dataclasses.replace(base_timing, event_limit=min(base_timing.event_limit, settings.event_limit)),
                now=self.clock,
                enforce_budget=timing is None,  # tests poll fast on purpose
            )
        self.engine = engine
        self.pollers = getattr(engine, "group", None)
        self.providers = engine.providers
        from alarmtui.ui.screens.main import MainScreen  # here: the first frame does not wait for the panels' code

        self.main = MainScreen(settings, engine, clock=self.clock, timing=timing, autostart=autostart)
        engine.subscribe(self._on_poller_update)

    def get_default_screen(self) -> Screen[Any]:
        if self.starting is not None:
            return StartingScreen(self.starting.waiting_for)
        return self.main

    def _start_in_background(self) -> None:
        assert self.starting is not None
        self.run_worker(self._build_started, thread=True, name="starting", exit_on_error=False)

    def _build_started(self) -> None:
        """In a thread: the settings and engine (imports, simulators, journal) while the first frame is up."""
        assert self.starting is not None
        import alarmtui.ui.screens.main  # noqa: F401  (the panels' code, loaded here rather than on the event loop)

        try:
            started = self.starting.build()
        except Exception as exc:  # noqa: BLE001  (shown and the dashboard ends: nothing can run without it)
            self.call_from_thread(functools.partial(self.exit, return_code=1, message=Text(f"alarmtui: {terminal_text(exc)}")))
            return
        self.call_from_thread(self._started, started)

    def _started(self, started: Started) -> None:
        self.scenarios = list(started.scenarios)
        self.startup_warnings.extend(started.warnings)
        self._set_up(started.settings, started.engine)
        self.ready = True
        self.starting = None
        while not isinstance(self.screen, StartingScreen):  # the palette, opened while starting
            self.pop_screen()
        self.push_screen(self.main)  # over the first frame's screen, which stays below it, never seen again
        # The main screen starts the engine and takes every update, but draws its panels once, when uncovered.
        self._unanswered = set(self.main.views)
        if self._unanswered:
            self._start_cover = StartingScreen(self._connecting_words())
            self.push_screen(self._start_cover)
            self.set_timer(START_WINDOW, self._end_start_window, name="start window")
        else:
            _freeze_startup_objects()
        self._configure()

    def _connecting_words(self) -> str:
        return "connecting to " + ", ".join(clean(name) for name in sorted(self._unanswered))

    def _note_first_answer(self, update: PollerUpdate) -> None:
        """A provider's first snapshot or failure ends its part of the start window."""
        answered = isinstance(update, SnapshotUpdate) or (
            isinstance(update, StatusUpdate) and update.status.state is not LinkState.CONNECTING
        )
        if not answered or update.provider not in self._unanswered:
            return
        self._unanswered.discard(update.provider)
        if self._unanswered:
            assert self._start_cover is not None
            self._start_cover.waiting(self._connecting_words())
        else:  # after the main screen has taken the updates already on their way to it
            self.main.call_later(self._end_start_window)

    def _end_start_window(self, *, now: bool = False) -> None:
        """Uncover the dashboard: at once for a dialog (`now`), else once the palette, if open, is closed."""
        cover = self._start_cover
        if cover is None:
            return
        self._unanswered = set()
        if cover in self.screen_stack and self.screen is not cover and not now:
            self._start_window_over = True  # the palette is open over it: the user's choice is not taken away
            return
        self._start_cover = None
        if cover not in self.screen_stack:
            return
        while self.screen is not cover:  # the palette, closed for a dialog that must show now
            self.pop_screen()
        self.pop_screen()  # the dashboard draws everything it has, once
        self.call_after_refresh(_freeze_startup_objects)  # once that frame is out

    def pop_screen(self) -> Any:
        popped = super().pop_screen()
        if self._start_window_over and self._start_cover is not None and self.screen is self._start_cover:
            self._end_start_window()  # the palette closed after the start window ended
        return popped

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if self._start_cover is not None and screen is not self._start_cover and not isinstance(screen, CommandPalette):
            self._end_start_window(now=True)  # a dialog or the alarm banner: over the dashboard, never over a cover
        if isinstance(screen, GuardedModal):
            screen.shown_at = self.input_guard.clock()  # guarded from this instant, not from when it is drawn
        return super().push_screen(screen, *args, **kwargs)

    async def on_event(self, event: textual_events.Event) -> None:
        # The input guard: a key or click already on its way never lands on a dialog that has just opened.
        if (
            isinstance(event, (textual_events.Key, textual_events.MouseDown, textual_events.MouseUp))
            and not event.is_forwarded
            and self.screen_stack
            and self.input_guard.holds(self.screen)
        ):
            event.stop()
            event.prevent_default()
            return
        await super().on_event(event)

    def on_mount(self) -> None:
        if self.starting is not None:
            self.call_after_refresh(self._start_in_background)
            return
        _freeze_startup_objects()
        self._configure()

    def _configure(self) -> None:
        self._apply_theme(self.settings.theme)
        self._apply_keymap(self.settings.keymap)
        for warning in self.startup_warnings:
            self.notify(warning, severity="warning", timeout=15, markup=False)

    async def on_unmount(self) -> None:
        # Textual only cancels tasks on exit; logging out must be awaited here, and bounded.
        if self.ready:
            await self.engine.close(timeout=CLOSE_TIMEOUT)

    def _apply_theme(self, name: str) -> None:
        if name in self.available_themes:
            self.theme = name
        else:
            self.notify(f"unknown theme {name!r}; using {self.theme}", severity="warning", markup=False)

    def _apply_keymap(self, keymap: dict[str, str]) -> None:
        unknown = sorted(set(keymap) - {binding_id for binding_id, _, _ in self.binding_table()})
        if unknown:
            self.notify(f"keymap: unknown binding id(s): {', '.join(unknown)}", severity="warning", timeout=15, markup=False)
        self.set_keymap(keymap)

    # ------------------------------------------------------------------ engine -> main screen

    def _on_poller_update(self, update: PollerUpdate) -> None:
        self.main.post_message(message_for(update))
        if self._start_cover is not None:
            self._note_first_answer(update)

    def apply(self, update: PollerUpdate) -> None:
        """Feed one update directly (snapshot tests use this with fixed domain data)."""
        self._on_poller_update(update)

    # The main screen's state and panels, reachable from the app (tests, benchmarks, the palette).
    views = property(lambda self: self.main.views)
    event_log = property(lambda self: self.main.event_log)
    album = property(lambda self: self.main.album)
    controller = property(lambda self: self.main.controller)
    header = property(lambda self: self.main.header)
    partitions = property(lambda self: self.main.partitions)
    zones = property(lambda self: self.main.zones)
    events = property(lambda self: self.main.events)
    troubles = property(lambda self: self.main.troubles)
    users = property(lambda self: self.main.users)
    photo = property(lambda self: self.main.photo)

    def why_not(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        """Why `action` cannot run now on the selected partition or zone; None if it can."""
        return self.main.controller.why_not(action, parameters)

    # ------------------------------------------------------------------ command palette, help

    def palette_entries(self, screen: Screen) -> list[PaletteEntry]:
        """Real actions first, only those possible now; then refresh, the app's own commands, demo scenarios."""
        entries: list[PaletteEntry] = []
        views = self.views if self.ready else {}
        for view in views.values():
            if view.snapshot is None:
                continue
            for partition in view.snapshot.partitions:
                where = target_name(view.name, partition.name)
                for mode in ArmMode:
                    if why_not_arm(view, partition, mode) is None:
                        entries.append(
                            PaletteEntry(
                                f"{where}: {MODE_WORDS[mode]}",
                                f"arm this partition ({mode.value})",
                                functools.partial(self._palette_partition, view.name, partition.id, "arm", mode.value),
                            )
                        )
                if why_not_disarm(view, partition) is None:
                    entries.append(
                        PaletteEntry(
                            f"{where}: Disarm",
                            "disarm this partition",
                            functools.partial(self._palette_partition, view.name, partition.id, "disarm", None),
                        )
                    )
            for zone in view.snapshot.zones:
                where = target_name(view.name, zone.name)
                if why_not_bypass(view, zone) is None:
                    entries.append(
                        PaletteEntry(
                            f"{where}: {'Restore' if zone.bypassed else 'Bypass'}",
                            "bypass on/off for this zone",
                            functools.partial(self._palette_zone, view.name, zone.id, "bypass"),
                            discover=False,
                        )
                    )
                for locking in (True, False):
                    if why_not_lock(view, zone, locking) is None:
                        entries.append(
                            PaletteEntry(
                                f"{where}: {'Lock' if locking else 'Unlock'}",
                                "lock this smart lock" if locking else "unlock this smart lock",
                                functools.partial(self._palette_zone, view.name, zone.id, "lock" if locking else "unlock"),
                            )
                        )
                if why_not_photo(view, zone) is None:
                    entries.append(
                        PaletteEntry(
                            f"{where}: Take photo",
                            "ask the camera for new photos",
                            functools.partial(self._palette_zone, view.name, zone.id, "photo"),
                        )
                    )
        for view in views.values():
            entries.append(
                PaletteEntry(
                    f"{clean(view.name)}: Refresh now",
                    "read the panel itself",
                    functools.partial(self.engine.refresh_now, view.name),
                )
            )
        for command in self.get_system_commands(screen):
            entries.append(PaletteEntry(command.title, command.help, command.callback, command.discover))
        for scenario in self.scenarios:
            entries.append(PaletteEntry(clean(scenario.title), escape_markup(clean(scenario.help)), scenario.callback))
        return entries

    def _palette_partition(self, provider: str, partition_id: str, action: str, mode: str | None) -> None:
        self.main.partitions.select(provider, partition_id)
        if action == "arm":
            self.main.action_arm(str(mode))
        else:
            self.main.action_disarm()

    def _palette_zone(self, provider: str, zone_id: str, action: str) -> None:
        table = self.main.zones
        key = f"{provider}\x1f{zone_id}"
        try:
            table.move_cursor(row=table.get_row_index(key))
        except RowDoesNotExist:
            self.notify("That zone is no longer listed.", severity="warning")
            return
        if action in ("lock", "unlock"):
            self.main.action_lock(action == "lock")
        elif action == "bypass":
            self.main.action_bypass()
        else:
            self.main.action_photo()

    def binding_table(self) -> list[tuple[str, str, str]]:
        """(binding id, keys, description) for every remappable binding, with the current keymap applied."""
        return [row for section in self.help_sections() for row in section.rows if row[0]]

    def help_sections(self) -> list[HelpSection]:
        """Every screen's keys, with human key names ("/" not "slash") and full binding ids."""
        from alarmtui.ui.screens.alarm import AlarmScreen
        from alarmtui.ui.screens.confirm import ConfirmScreen
        from alarmtui.ui.screens.event import EventScreen
        from alarmtui.ui.screens.help import HelpScreen, HelpSection
        from alarmtui.ui.screens.main import MainScreen
        from alarmtui.ui.screens.photo import PhotoScreen
        from alarmtui.ui.screens.pin import PinScreen
        from alarmtui.ui.widgets.events import EventsPanel, EventsTable
        from alarmtui.ui.widgets.photo import PhotoPanel

        keymap = dict(self.settings.keymap)
        sources: list[tuple[str, list[Binding | tuple[str, ...]]]] = [
            ("Dashboard", list(MainScreen.BINDINGS)),
            ("Events panel", [*EventsPanel.BINDINGS, *EventsTable.BINDINGS]),
            ("Photo panel", list(PhotoPanel.BINDINGS)),
            ("Photo viewer", list(PhotoScreen.BINDINGS)),
            ("Alarm banner", list(AlarmScreen.BINDINGS)),
            ("Confirmation", list(ConfirmScreen.BINDINGS)),
            ("Code (PIN)", list(PinScreen.BINDINGS)),
            ("Event detail", list(EventScreen.BINDINGS)),
            ("Help", list(HelpScreen.BINDINGS)),
        ]
        sections: list[HelpSection] = []
        for title, bindings in sources:
            rows: list[tuple[str, str, str]] = []
            for binding in bindings:
                if not isinstance(binding, Binding) or not binding.id:
                    continue
                keys = keymap.get(binding.id, binding.key)
                rows.append((binding.id, key_names(self, keys), binding.description))
            if rows:
                sections.append(HelpSection(title, rows))
        sections.append(
            HelpSection(
                "Everywhere",
                [
                    ("", "tab / shift+tab", "next / previous panel"),
                    ("", "ctrl+p", "command palette: every action for every partition"),
                    ("", "ctrl+q", "quit"),
                ],
            )
        )
        return sections


def key_names(app: App[None], keys: str) -> str:
    """ "slash,question_mark" -> "/ ?": the keys as a person reads them."""
    names = []
    for key in (k.strip() for k in keys.split(",")):
        if key:
            names.append(app.get_key_display(Binding(key, "")))
    return " ".join(names)


def create_app(
    settings: Settings | None,
    *,
    scenarios: Sequence[Scenario] = (),
    clock: WallClock | None = None,
    **options: object,
) -> AlarmApp:
    """The dashboard for `settings` (CLI and tests). Options: providers, timing, autostart, warnings."""
    return AlarmApp(settings, scenarios=scenarios, clock=clock, **options)  # type: ignore[arg-type]


def run_dashboard(
    settings: Settings | None = None,
    *,
    scenarios: Sequence[Scenario] = (),
    warnings: Sequence[str] = (),
    engine: Engine | None = None,
    starting: Starting | None = None,
) -> int:
    """Run the dashboard in this terminal until the user quits; its exit code.

    With `starting`, the first frame comes at once and the engine is built behind it.
    """
    # term-image is loaded (queries off) by the first photo drawn, not here: see imaging.prepare_terminal
    app = create_app(settings, scenarios=scenarios, warnings=warnings, engine=engine, starting=starting)  # type: ignore[arg-type]
    app.run()
    return app.return_code or 0
