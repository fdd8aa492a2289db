"""The dashboard app: layout, key bindings, and the flow from pollers to panels.

`create_app()` builds it for the CLI and for tests; `run_dashboard()` runs it
in the terminal. The app owns one poller per provider (`alarmtui.poller`),
turns their updates into messages, keeps what it knows in `ProviderView`s and
hands those to the panels. Commands go back through the pollers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, TypeVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, OptionList
from textual.widgets.data_table import RowDoesNotExist

from alarmtui import imaging
from alarmtui.domain import (
    ArmMode,
    Capability,
    CommandPhase,
    Event,
    Partition,
    PartitionState,
    Scenario,
    Snapshot,
    Zone,
)
from alarmtui.engine import Engine
from alarmtui.engine.base import view_origin
from alarmtui.poller import (
    Command,
    CommandAction,
    CommandBusy,
    CommandUpdate,
    LinkState,
    PollerUpdate,
    PollTiming,
    ProviderStatus,
)
from alarmtui.providers import Provider
from alarmtui.settings import Settings
from alarmtui.ui.availability import (
    UNSETTLED,
    why_not_arm,
    why_not_bypass,
    why_not_disarm,
    why_not_photo,
)
from alarmtui.ui.format import MODE_WORDS, Palette, safe
from alarmtui.ui.messages import (
    CommandProgressed,
    EventsReceived,
    PhotosReceived,
    SnapshotReceived,
    StatusChanged,
    message_for,
)
from alarmtui.ui.screens.alarm import Alarm, AlarmScreen
from alarmtui.ui.screens.confirm import ConfirmScreen
from alarmtui.ui.screens.help import HelpScreen
from alarmtui.ui.screens.otp import OtpScreen
from alarmtui.ui.screens.photo import PhotoScreen
from alarmtui.ui.screens.pin import PinScreen
from alarmtui.ui.state import EventLog, PendingChange, PhotoAlbum, ProviderView
from alarmtui.ui.widgets.events import EventsPanel
from alarmtui.ui.widgets.partitions import PartitionsPanel
from alarmtui.ui.widgets.photo import PhotoPanel
from alarmtui.ui.widgets.providers import ProviderBar
from alarmtui.ui.widgets.troubles import TroublesTable
from alarmtui.ui.widgets.users import UsersTable
from alarmtui.ui.widgets.zones import ZonesTable

log = logging.getLogger(__name__)

WallClock = Callable[[], datetime]
M = TypeVar("M", bound=Message)
MAIN_ACTIONS = frozenset({"arm", "disarm", "bypass", "photo", "refresh", "filter_events", "help"})
"""The dashboard's own keys: live on the main screen only, never under a viewer or dialog."""
FOOTER_ACTIONS: tuple[tuple[str, tuple[object, ...]], ...] = (
    *(("arm", (mode.value,)) for mode in ArmMode),
    ("disarm", ()),
    ("bypass", ()),
    ("photo", ()),
)
CLOSE_TIMEOUT = 1.0
"""Quitting closes every client and logs out within this many seconds."""


def styles_dir() -> Path:
    """The .tcss files: inside the installed package (wheel), else the repo's top-level `styles/`."""
    packaged = Path(__file__).resolve().parent.parent / "styles"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "styles"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _while_running(handler: Callable[[AlarmApp, M], None]) -> Callable[[AlarmApp, M], None]:
    """Poller news still queued while the app shuts down (screens already gone) is dropped."""

    @functools.wraps(handler)
    def guarded(app: AlarmApp, message: M) -> None:
        if app.screen_stack:
            handler(app, message)

    return guarded


class AlarmApp(App[None]):
    TITLE = "alarmtui"
    CSS_PATH: ClassVar[list[str | Path]] = [styles_dir() / "app.tcss", styles_dir() / "screens.tcss"]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "arm('away')", "Arm away", id="arm_away"),
        Binding("h", "arm('home')", "Arm home", id="arm_home"),
        Binding("n", "arm('night')", "Arm night", id="arm_night"),
        Binding("p", "arm('perimeter')", "Perimeter", id="arm_perimeter"),
        Binding("d", "disarm", "Disarm", id="disarm"),
        Binding("b", "bypass", "Bypass", id="bypass"),
        Binding("c", "photo", "Photo", id="photo"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("slash", "filter_events", "Filter", id="filter_events"),
        Binding("question_mark", "help", "Help", id="help"),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        scenarios: Sequence[Scenario] = (),
        clock: WallClock | None = None,
        providers: Iterable[Provider] | None = None,
        timing: PollTiming | None = None,
        autostart: bool = True,
        warnings: Sequence[str] = (),
        engine: Engine | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.scenarios = list(scenarios)
        self.clock = clock or _utc_now
        self.startup_warnings = list(warnings)
        self.autostart = autostart
        if engine is None:  # no service to attach to: the engine runs here
            from alarmtui.engine.inprocess import InProcessEngine

            base_timing = timing or PollTiming()
            engine = InProcessEngine(
                settings,
                providers=providers,
                timing=dataclasses.replace(base_timing, event_limit=min(base_timing.event_limit, settings.event_limit)),
                now=self.clock,
                enforce_budget=timing is None,  # tests poll fast on purpose
            )
        self.engine = engine
        self._origin = view_origin("dashboard")
        self.pollers = getattr(engine, "group", None)
        self.providers = engine.providers
        engine.subscribe(self._on_poller_update)
        self.views = {
            name: ProviderView(name, provider.kind, ProviderStatus(name, provider.kind, LinkState.CONNECTING))
            for name, provider in self.providers.items()
        }
        self.event_log = EventLog(limit=settings.event_limit)
        self.album = PhotoAlbum()
        self.palette = Palette({})
        self._acknowledged: set[tuple[str, str]] = set()
        self._alarm_screen: AlarmScreen | None = None
        self._footer_state: tuple[object, ...] | None = None
        self._verifying: set[str] = set()
        """Providers whose SMS verification dialog was offered (once; `r` offers it again)."""

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        # Kept as attributes: modal screens sit on top, and the app must still reach its panels.
        self.header = ProviderBar(id="providers")
        self.partitions = PartitionsPanel(id="partitions")
        self.zones = ZonesTable(id="zones")
        self.events = EventsPanel(list(self.providers), id="events")
        self.troubles = TroublesTable(id="troubles")
        self.users = UsersTable(id="users")
        self.photo = PhotoPanel(id="photo")
        yield self.header
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield self.partitions
                yield self.zones
            with Vertical(id="right"):
                yield self.events
                with Horizontal(id="lower"):
                    with Vertical(id="lists"):
                        yield self.troubles
                        yield self.users
                    yield self.photo
        yield Footer()

    def on_mount(self) -> None:
        self._apply_theme(self.settings.theme)
        self._apply_keymap(self.settings.keymap)
        self.partitions.border_title = "Partitions"
        self.zones.border_title = "Zones / devices"
        self.troubles.border_title = "Troubles"
        self.users.border_title = "Users"
        self.photo.border_title = "Photo"
        self.theme_changed_signal.subscribe(self, lambda _theme: self._on_theme_changed())
        self._on_theme_changed()
        self.partitions.focus()
        for warning in self.startup_warnings:
            self.notify(warning, severity="warning", timeout=15, markup=False)
        self.set_interval(1.0, self._tick, name="tick")
        if self.autostart:
            self.call_next(self.engine.start)

    async def on_unmount(self) -> None:
        # Textual only cancels tasks on exit; logging out must be awaited here, and bounded.
        await self.engine.close(timeout=CLOSE_TIMEOUT)

    def _apply_theme(self, name: str) -> None:
        if name in self.available_themes:
            self.theme = name
        else:
            self.notify(f"unknown theme {name!r}; using {self.theme}", severity="warning")

    def _apply_keymap(self, keymap: dict[str, str]) -> None:
        unknown = sorted(set(keymap) - {binding_id for binding_id, _, _ in self.binding_table()})
        if unknown:
            self.notify(f"keymap: unknown binding id(s): {', '.join(unknown)}", severity="warning", timeout=15)
        self.set_keymap(keymap)

    # ------------------------------------------------------------------ poller -> messages -> panels

    def _on_poller_update(self, update: PollerUpdate) -> None:
        self.post_message(message_for(update))

    def apply(self, update: PollerUpdate) -> None:
        """Feed one update directly (snapshot tests use this with fixed domain data)."""
        self._on_poller_update(update)

    @_while_running
    def on_status_changed(self, message: StatusChanged) -> None:
        view = self.views.get(message.provider)
        if view is None:
            return
        view.status = message.status
        self._draw_header()
        self._draw_partitions()
        self._refresh_footer()
        self._offer_verification(message.provider, message.status)

    def _offer_verification(self, name: str, status: ProviderStatus) -> None:
        """The vendor wants this device validated by SMS (Securitas): show the dialog once."""
        provider = self.providers.get(name)
        if not status.two_factor or name in self._verifying or not hasattr(provider, "verify_device"):
            return
        self._verifying.add(name)
        self.run_worker(self._verify_device(name, status), group=f"verify-{name}")

    async def _verify_device(self, name: str, status: ProviderStatus) -> None:
        if await self.push_screen_wait(OtpScreen(self.providers[name], status.two_factor, status.reason)):  # type: ignore[arg-type]
            self._verifying.discard(name)
            self.notify(f"{name}: this device is verified", timeout=4, markup=False)
            self.engine.refresh_now(name)

    @_while_running
    def on_snapshot_received(self, message: SnapshotReceived) -> None:
        view = self.views.get(message.provider)
        if view is None:
            return
        view.snapshot = message.snapshot
        if view.pending is not None and _pending_answered(view.pending, message.snapshot):
            view.pending = None  # the panel's real state from now on
        self._draw_snapshot_panels()
        self._check_alarms(view)
        self._refresh_footer()

    @_while_running
    def on_events_received(self, message: EventsReceived) -> None:
        view = self.views.get(message.provider)
        events = [self._readable_event(e, message.provider, view) for e in message.events]
        added, dropped = self.event_log.add(events)
        if added or dropped:
            self.events.show(self.event_log.events, added, dropped, self.palette)

    @staticmethod
    def _readable_event(event: Event, provider: str, view: ProviderView | None) -> Event:
        """Name the provider, and show partition and zone names where the event carries ids."""
        changes: dict[str, str] = {} if event.provider else {"provider": provider}
        snapshot = view.snapshot if view is not None else None
        if snapshot is not None:
            # Some vendors list several partitions ("1,2,3"): name each one we know.
            ids = [part.strip() for part in event.partition.split(",")] if event.partition else []
            names = [(p.name if (p := snapshot.partition(pid)) is not None and p.name else pid) for pid in ids]
            if names != ids:
                changes["partition"] = ", ".join(names)
            zone = snapshot.zone(event.zone) if event.zone else None
            if zone is not None and zone.name:
                changes["zone"] = zone.name
        return dataclasses.replace(event, **changes) if changes else event

    @_while_running
    def on_command_progressed(self, message: CommandProgressed) -> None:
        view = self.views.get(message.provider)
        if view is None:
            return
        update = message.update
        view.command = update
        view.command_seen_at = self.clock()
        if self._track_pending(view, update):
            self._draw_partitions()
        self._draw_header()
        self._refresh_footer()
        if update.result is None:
            return
        what = f"{message.provider}: {update.command.describe()}"
        result = update.result
        if result.phase is CommandPhase.DONE:
            self.notify(f"{what}: {result.message or 'done'}", title="Done", markup=False)
        elif result.phase is CommandPhase.FAILED:
            self.notify(f"{what} failed: {result.message}", title="Refused", severity="error", timeout=10, markup=False)
        else:
            self.notify(
                f"{what}: {result.message}. Re-reading the panel's state; not re-sent.",
                title="Outcome unknown",
                severity="warning",
                timeout=10,
                markup=False,
            )

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list is self.partitions:
            self._refresh_footer()  # what the keys can do depends on the selected partition

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self.zones:
            self._refresh_footer()  # bypass and photo depend on the selected zone

    @_while_running
    def on_photos_received(self, message: PhotosReceived) -> None:
        photos = tuple(p if p.provider else dataclasses.replace(p, provider=message.provider) for p in message.photos)
        self.album.add(photos)
        self.photo.show(self.album.photos)

    def on_photo_panel_opened(self, message: PhotoPanel.Opened) -> None:
        self.push_screen(PhotoScreen(self.album.photos, message.index, protocol=imaging.graphics_protocol()))

    # ------------------------------------------------------------------ drawing

    def _on_theme_changed(self) -> None:
        self.palette = Palette(self.theme_variables)
        self._draw_all()

    def _draw_all(self) -> None:
        self._draw_header()
        self._draw_snapshot_panels()
        self.events.show(self.event_log.events, [], [], self.palette)

    def _draw_header(self) -> None:
        engine = self.engine.describe()
        self.header.show(self.views.values(), self.clock(), self.palette, "" if engine == "in-process" else engine)

    def _draw_partitions(self) -> None:
        self.partitions.show(self.views.values(), self.clock(), self.palette)

    def _draw_snapshot_panels(self) -> None:
        self._draw_partitions()
        self.zones.show(self.views.values(), self.palette)
        self.troubles.show(self.views.values(), self.clock(), self.palette)
        self.users.show(self.views.values(), self.palette)

    def _refresh_footer(self) -> None:
        """Re-evaluate which keys can act (dimmed or not), only when that changed; a no-op while shutting down."""
        if not self.screen_stack:
            return
        # Rebuilding the footer on every poll costs more than the poll: compare what it would show first.
        state = tuple(self.check_action(action, parameters) for action, parameters in FOOTER_ACTIONS)
        if state != self._footer_state:
            self._footer_state = state
            self.refresh_bindings()

    @staticmethod
    def _track_pending(view: ProviderView, update: CommandUpdate) -> bool:
        """Keep `view.pending` in step with an arm/disarm command; True if what the partitions show changed."""
        command = update.command
        if command.action not in (CommandAction.ARM, CommandAction.DISARM):
            return False
        if update.result is not None:
            if view.pending is None:
                return False
            if update.result.phase is CommandPhase.DONE:
                # Confirmed by the panel; still shown as pending until the snapshot read right after it.
                view.pending = dataclasses.replace(view.pending, finished=True)
                return False
            view.pending = None  # refused or unknown: back to the last state the panel reported
            return True
        if view.pending is not None or view.snapshot is None:
            return False
        view.pending = PendingChange(
            "ARMING…" if command.action is CommandAction.ARM else "DISARMING…",
            command.partition,
            tuple((p.id, p.state.value) for p in view.snapshot.partitions),
        )
        return True

    def _tick(self) -> None:
        """Once a second: data ages, command timers and exit-delay countdowns move on."""
        if not self.screen_stack:
            return
        self._draw_header()
        if any(p.state in UNSETTLED for v in self.views.values() if v.snapshot for p in v.snapshot.partitions):
            self._draw_partitions()

    # ------------------------------------------------------------------ alarms

    def _check_alarms(self, view: ProviderView) -> None:
        assert view.snapshot is not None
        triggered = {p.id: p for p in view.snapshot.partitions if p.state is PartitionState.TRIGGERED}
        # Once a partition is no longer triggered, its next alarm must alert again.
        self._acknowledged = {k for k in self._acknowledged if k[0] != view.name or k[1] in triggered}
        for partition in triggered.values():
            key = (view.name, partition.id)
            if key in self._acknowledged:
                continue
            alarm = Alarm(view.name, partition.id, partition.name, partition.alarm_zone, view.snapshot.fetched_at)
            if self._alarm_screen is not None:
                if alarm in self._alarm_screen.alarms:
                    continue
                self._alarm_screen.add(alarm)
            else:
                self._alarm_screen = AlarmScreen([alarm])
                self.push_screen(self._alarm_screen, self._alarm_closed)
            self.bell()
            zone = f" — {partition.alarm_zone}" if partition.alarm_zone else ""
            self.notify(
                f"{view.name} · {partition.name}{zone}", title="ALARM", severity="error", timeout=30, markup=False
            )

    def _alarm_closed(self, answer: str | None) -> None:
        screen, self._alarm_screen = self._alarm_screen, None
        if screen is None:
            return
        self._acknowledged.update((a.provider, a.partition_id) for a in screen.alarms)
        if answer == "disarm" and screen.alarms:
            first = screen.alarms[0]
            self.partitions.select(first.provider, first.partition_id)
            self.action_disarm()

    # ------------------------------------------------------------------ targets and what is possible

    def _partition_target(self) -> tuple[ProviderView, Partition | None] | None:
        selected = self.partitions.selected()
        if selected is None:
            return None
        provider, partition_id = selected
        view = self.views[provider]
        partition = view.snapshot.partition(partition_id) if view.snapshot and partition_id else None
        return view, partition

    def _zone_target(self) -> tuple[ProviderView, Zone] | None:
        selected = self.zones.selected()
        if selected is None:
            return None
        return self.views[selected[0]], selected[1]

    def why_not(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        """Why `action` cannot run now on the selected partition or zone; None if it can."""
        if action in ("arm", "disarm"):
            target = self._partition_target()
            if target is None or target[1] is None:
                return "select a partition first"
            view, partition = target
            if action == "arm":
                return why_not_arm(view, partition, ArmMode(str(parameters[0])))
            return why_not_disarm(view, partition)
        if action in ("bypass", "photo"):
            zone_target = self._zone_target()
            if zone_target is None:
                return "select a zone first"
            view, zone = zone_target
            return why_not_bypass(view, zone) if action == "bypass" else why_not_photo(view, zone)
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MAIN_ACTIONS and self.is_mounted and len(self.screen_stack) > 1:
            return False  # a viewer or dialog is on top: not offered, not run
        if action in ("arm", "disarm", "bypass", "photo"):
            if not self.is_mounted:
                return True
            return True if self.why_not(action, parameters) is None else None
        return True

    # ------------------------------------------------------------------ actions

    def action_arm(self, mode: str) -> None:
        if self._refuse_if_impossible("arm", (mode,)):
            return
        view, partition = self._partition_target()  # type: ignore[misc]
        assert partition is not None and view.snapshot is not None
        whole_panel = Capability.PARTITION_COMMANDS not in view.snapshot.capabilities
        command = Command(
            CommandAction.ARM,
            mode=ArmMode(mode),
            partition=None if whole_panel else partition.id,
            label=(view.snapshot.panel_name or view.name) if whole_panel else partition.name,
        )
        self._start_command(view, command, confirm=self.settings.confirm.arm)

    def action_disarm(self) -> None:
        if self._refuse_if_impossible("disarm", ()):
            return
        view, partition = self._partition_target()  # type: ignore[misc]
        assert partition is not None and view.snapshot is not None
        whole_panel = Capability.PARTITION_COMMANDS not in view.snapshot.capabilities
        command = Command(
            CommandAction.DISARM,
            partition=None if whole_panel else partition.id,
            label=(view.snapshot.panel_name or view.name) if whole_panel else partition.name,
        )
        self._start_command(view, command, confirm=self.settings.confirm.disarm)

    def action_bypass(self) -> None:
        if self._refuse_if_impossible("bypass", ()):
            return
        view, zone = self._zone_target()  # type: ignore[misc]
        self._start_command(
            view, Command(CommandAction.BYPASS, zone=zone.id, on=not zone.bypassed, label=zone.name), confirm=False
        )

    def action_photo(self) -> None:
        if self._refuse_if_impossible("photo", ()):
            return
        view, zone = self._zone_target()  # type: ignore[misc]
        self._start_command(view, Command(CommandAction.PHOTO, zone=zone.id, label=zone.name), confirm=False)

    def action_refresh(self) -> None:
        self._verifying.clear()  # a dismissed SMS verification is offered again
        self.engine.refresh_now()
        self.notify("refreshing every panel", timeout=2)

    def action_filter_events(self) -> None:
        self.events.start_text_filter()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.binding_table()))

    def _refuse_if_impossible(self, action: str, parameters: tuple[object, ...]) -> bool:
        reason = self.why_not(action, parameters)
        if reason is not None:
            self.notify(reason, severity="warning", timeout=4, markup=False)
            return True
        return False

    def _start_command(self, view: ProviderView, command: Command, *, confirm: bool) -> None:
        needs_code = command.action is not CommandAction.PHOTO and self.providers[view.name].asks_for_code
        if not confirm and not needs_code:
            self._submit(view.name, command)
            return
        self.run_worker(
            self._ask_then_submit(view.name, command, confirm, needs_code), group="command-dialog", exclusive=True
        )

    async def _ask_then_submit(self, provider: str, command: Command, confirm: bool, needs_code: bool) -> None:
        if confirm and not await self.push_screen_wait(ConfirmScreen(f"{provider}: {command.describe()}?")):
            return
        code = None
        if needs_code:
            code = await self.push_screen_wait(PinScreen(command.describe(), provider))
            if not code:
                return
        self._submit(provider, dataclasses.replace(command, code=code))

    def _submit(self, provider: str, command: Command) -> None:
        try:
            task = self.engine.submit(provider, command, origin=self._origin)
        except CommandBusy as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        task.add_done_callback(self._command_refused)

    def _command_refused(self, task: asyncio.Future[object]) -> None:
        """Attached: the service may refuse a command another view's command beat (nothing was sent)."""
        if not task.cancelled() and isinstance(task.exception(), CommandBusy) and self.screen_stack:
            self.notify(str(task.exception()), severity="warning", markup=False)

    # ------------------------------------------------------------------ command palette, help

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for view in self.views.values():
            yield SystemCommand(
                safe(f"{view.name}: refresh now"),
                "read the panel itself",
                functools.partial(self.engine.refresh_now, view.name),
            )
            if view.snapshot is None:
                continue
            for partition in view.snapshot.partitions:
                where = safe(f"{view.name} · {partition.name}")
                for mode in ArmMode:
                    if view.snapshot.can_arm(mode):
                        yield SystemCommand(
                            f"{where}: {MODE_WORDS[mode]}",
                            safe(f"arm {partition.name} ({mode.value})"),
                            functools.partial(self._palette_partition, view.name, partition.id, "arm", mode.value),
                        )
                yield SystemCommand(
                    f"{where}: Disarm",
                    safe(f"disarm {partition.name}"),
                    functools.partial(self._palette_partition, view.name, partition.id, "disarm", None),
                )
            for zone in view.snapshot.zones:
                if Capability.BYPASS in view.snapshot.capabilities:
                    yield SystemCommand(
                        safe(f"{view.name} · {zone.name}: {'Restore' if zone.bypassed else 'Bypass'}"),
                        "bypass on/off for this zone",
                        functools.partial(self._palette_zone, view.name, zone.id, "bypass"),
                        discover=False,
                    )
                if zone.camera and Capability.PHOTO in view.snapshot.capabilities:
                    yield SystemCommand(
                        safe(f"{view.name} · {zone.name}: Take photo"),
                        "ask the camera for new photos",
                        functools.partial(self._palette_zone, view.name, zone.id, "photo"),
                    )
        for scenario in self.scenarios:
            yield SystemCommand(safe(scenario.title), safe(scenario.help), scenario.callback)

    def _palette_partition(self, provider: str, partition_id: str, action: str, mode: str | None) -> None:
        self.partitions.select(provider, partition_id)
        if action == "arm":
            self.action_arm(str(mode))
        else:
            self.action_disarm()

    def _palette_zone(self, provider: str, zone_id: str, action: str) -> None:
        table = self.zones
        key = f"{provider}\x1f{zone_id}"
        try:
            table.move_cursor(row=table.get_row_index(key))
        except RowDoesNotExist:
            self.notify("that zone is no longer listed", severity="warning")
            return
        self.action_bypass() if action == "bypass" else self.action_photo()

    def binding_table(self) -> list[tuple[str, str, str]]:
        """(binding id, keys, description) for every remappable binding, with the current keymap applied."""
        rows: list[tuple[str, str, str]] = []
        keymap = {k: v for k, v in self.settings.keymap.items()}
        sources: list[tuple[str, list[Binding | tuple[str, ...]]]] = [
            ("", list(self.BINDINGS)),
            ("events: ", list(EventsPanel.BINDINGS)),
            ("photo: ", list(PhotoPanel.BINDINGS)),
            ("alarm: ", list(AlarmScreen.BINDINGS)),
        ]
        for prefix, bindings in sources:
            for binding in bindings:
                if isinstance(binding, Binding) and binding.id:
                    rows.append((binding.id, keymap.get(binding.id, binding.key), prefix + binding.description))
        rows += [
            ("", "tab / shift+tab", "next / previous panel"),
            ("", "ctrl+p", "command palette: every action for every partition"),
            ("", "ctrl+q", "quit"),
        ]
        return rows


def _pending_answered(pending: PendingChange, snapshot: Snapshot) -> bool:
    """Whether `snapshot` replaces a pending mark: after confirmation always, before only if the state moved."""
    if pending.finished:
        return True
    before = dict(pending.before)
    return any(p.state.value != before.get(p.id) for p in snapshot.partitions if pending.covers(p.id))


def create_app(
    settings: Settings,
    *,
    scenarios: Sequence[Scenario] = (),
    clock: WallClock | None = None,
    **options: object,
) -> AlarmApp:
    """The dashboard for `settings` (CLI and tests). Options: providers, timing, autostart, warnings."""
    return AlarmApp(settings, scenarios=scenarios, clock=clock, **options)  # type: ignore[arg-type]


def run_dashboard(
    settings: Settings, *, scenarios: Sequence[Scenario] = (), warnings: Sequence[str] = (), engine: Engine | None = None
) -> None:
    """Run the dashboard in this terminal until the user quits (attached to the service when `engine` says so)."""
    imaging.prepare_terminal()  # before the app owns the terminal: term-image must never query it
    create_app(settings, scenarios=scenarios, warnings=warnings, engine=engine).run()
