"""The dashboard's main screen: the panels, the flow from the engine's updates to them, alarms and the keys.

The app (`ui/app.py`) owns settings, engine, theme and keymap; this screen keeps
what the dashboard knows in `ProviderView`s (`ui/state.py`), draws it on the
panels (`ui/widgets/`), raises the alarm banner and runs the dashboard's keys.
What the command keys do — targets, whether they can act, confirmation, PIN,
sending once — is in `ui/controller.py`; the pending marks in `PendingMarks`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events as textual_events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, OptionList

from alarmtui import imaging
from alarmtui.domain import ArmMode, Capability, Command, CommandAction, CommandPhase, Event, PartitionState
from alarmtui.domain.updates import LinkState, ProviderStatus
from alarmtui.engine import Engine
from alarmtui.engine.base import HistoryPage, view_origin
from alarmtui.ui.availability import UNSETTLED
from alarmtui.ui.controller import Controller
from alarmtui.ui.format import DONE_WORDS, STATE_WORDS, Palette, clean, outcome, settled, target_name
from alarmtui.ui.messages import CommandProgressed, EventsReceived, PhotosReceived, SnapshotReceived, StatusChanged
from alarmtui.ui.screens.alarm import AlarmScreen
from alarmtui.ui.screens.event import EventScreen
from alarmtui.ui.screens.help import HelpScreen
from alarmtui.ui.screens.otp import DeviceVerifier, OtpScreen
from alarmtui.ui.screens.photo import PhotoScreen
from alarmtui.ui.state import (
    ALERT_ALARM,
    STALE_FLOOR,
    Alert,
    AlertTracker,
    EventLog,
    PendingMarks,
    PhotoAlbum,
    ProviderView,
    last_changes,
)
from alarmtui.ui.widgets.events import EventsPanel, EventsTable
from alarmtui.ui.widgets.footer import KeyFooter
from alarmtui.ui.widgets.partitions import PartitionsPanel
from alarmtui.ui.widgets.photo import PhotoPanel
from alarmtui.ui.widgets.providers import ProviderBar, command_line
from alarmtui.ui.widgets.troubles import TroublesTable
from alarmtui.ui.widgets.users import UsersTable
from alarmtui.ui.widgets.zones import ZonesTable

if TYPE_CHECKING:  # the poller (and with it httpx) is loaded only by an in-process engine
    from alarmtui.engine.timing import PollTiming
    from alarmtui.settings import Settings
    from alarmtui.ui.app import AlarmApp

WallClock = Callable[[], datetime]
M = TypeVar("M", bound=Message)
FOOTER_ACTIONS: tuple[tuple[str, tuple[object, ...]], ...] = (
    *(("arm", (mode.value,)) for mode in ArmMode),
    ("disarm", ()),
    ("bypass", ()),
    ("photo", ()),
    ("lock", (True,)),
    ("lock", (False,)),
)
TARGET_ACTIONS = {
    **{f"arm('{mode.value}')": ("arm", (mode.value,)) for mode in ArmMode},
    "disarm": ("disarm", ()),
    "bypass": ("bypass", ()),
    "photo": ("photo", ()),
    "lock(True)": ("lock", (True,)),
    "lock(False)": ("lock", (False,)),
}
"""Footer action string -> (action, parameters) of the keys that act on a selected partition or zone."""
FOOTER_ORDER = (*TARGET_ACTIONS, "refresh", "filter_events", "help", "cycle_provider", "open_event")
FOOTER_PRIORITY = (
    "disarm",
    "arm('away')",
    "help",
    "arm('home')",
    "arm('night')",
    "bypass",
    "arm('perimeter')",
    "photo",
    "refresh",
    "filter_events",
    "open_event",
    "cycle_provider",
    "lock(True)",
    "lock(False)",
)
"""What the footer keeps first when the terminal is narrow (every key is always in the help screen)."""


def _while_running(handler: Callable[[MainScreen, M], None]) -> Callable[[MainScreen, M], None]:
    """Engine news still queued while the app shuts down (screens already gone) is dropped."""

    @functools.wraps(handler)
    def guarded(screen: MainScreen, message: M) -> None:
        if screen.app.screen_stack:
            handler(screen, message)
            screen.wake_ticks()  # the news may have started something that counts by the second

    return guarded


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "arm('away')", "Arm away", id="arm_away"),
        Binding("h", "arm('home')", "Arm home", id="arm_home"),
        Binding("n", "arm('night')", "Arm night", id="arm_night"),
        Binding("p", "arm('perimeter')", "Perimeter", id="arm_perimeter"),
        Binding("d", "disarm", "Disarm", id="disarm"),
        Binding("b", "bypass", "Bypass", id="bypass"),
        Binding("c", "photo", "Photo", id="photo"),
        Binding("l", "lock(True)", "Lock", id="lock"),
        Binding("u", "lock(False)", "Unlock", id="unlock"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("slash", "filter_events", "Filter", id="filter_events"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "app.quit", "Quit", show=False, id="quit"),
    ]
    COMPACT_WIDTH = 100
    """At 100 columns and less: compact partitions, zone warnings as markers, panels stacked."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        clock: WallClock,
        timing: PollTiming | None = None,
        autostart: bool = True,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.autostart = autostart
        self.providers = engine.providers
        self.controller = Controller(self, origin=view_origin("dashboard"))
        self.views = {
            name: ProviderView(
                name,
                provider.kind,
                ProviderStatus(name, provider.kind, LinkState.CONNECTING),
                poll_interval=(timing.poll_interval if timing else None) or provider.poll_interval,
            )
            for name, provider in self.providers.items()
        }
        self.marks = PendingMarks(self.views)
        self.event_log = EventLog(limit=settings.event_limit)
        self.album = PhotoAlbum()
        self.palette = Palette({})
        self.alerts = AlertTracker()
        self._alarm_screen: AlarmScreen | None = None
        self._footer_state: tuple[object, ...] | None = None
        self._verifying: set[str] = set()
        """Providers whose SMS verification dialog was offered (once; `r` offers it again)."""
        self._target_title: tuple[object, ...] | None = None
        self.compact = False
        self._stale_shown: dict[str, bool] = {}
        self._tick_timer: Timer | None = None
        self._tick_delay = 0.0
        self._redraw_when_uncovered = False
        self._header_drawn_at: datetime | None = None
        """News came while a dialog covered the panels: they are drawn when it closes, not behind it."""
        self._awaiting: dict[tuple[str, str | None], Command] = {}
        """Commands the panel accepted but had not carried out yet (exit delay): told "armed" once a snapshot says so."""

    @property
    def alarm_app(self) -> AlarmApp:
        return self.app  # type: ignore[return-value]

    @property
    def screen_stack(self) -> list[Screen[Any]]:
        return self.app.screen_stack

    async def push_screen_wait(self, screen: Screen[Any]) -> Any:
        return await self.app.push_screen_wait(screen)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        # Kept as attributes: modal screens sit on top, and the app must still reach its panels.
        self.header = ProviderBar(id="providers")
        self.partitions = PartitionsPanel(id="partitions")
        self.zones = ZonesTable(id="zones")
        self.events = EventsPanel(list(self.providers), history=self._journal_history, id="events")
        # Empty until the first answers: composed so (a class changed after mount restyles the whole subtree).
        self.troubles = TroublesTable(id="troubles", classes="-empty")
        self.users = UsersTable(id="users", classes="-empty")
        self.photo = PhotoPanel(id="photo", classes="-empty")
        yield self.header
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield self.partitions
                yield self.zones
            with Vertical(id="right"):
                yield self.events
                self.lower = Horizontal(id="lower", classes="-empty")
                with self.lower:
                    with Vertical(id="lists"):
                        yield self.troubles
                        yield self.users
                    yield self.photo
        yield KeyFooter(FOOTER_ORDER, FOOTER_PRIORITY)

    def on_mount(self) -> None:
        if self.app.return_code is not None:  # quit while it was being built: its panels may never be mounted
            return
        self._draw_targets()
        self.troubles.border_title = "Troubles"
        self.users.border_title = "Users"
        self.photo.border_title = "Photo"
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.on_theme_changed())
        self.on_theme_changed()
        self.partitions.focus()
        self._schedule_tick(1.0)
        if self.autostart:
            self.call_next(self.engine.start)

    # ------------------------------------------------------------------ engine -> messages -> panels

    @_while_running
    def on_status_changed(self, message: StatusChanged) -> None:
        view = self.views.get(message.provider)
        if view is None:
            return
        if message.status.state is LinkState.ONLINE:
            view.offline_since = None
        elif view.offline_since is None:
            view.offline_since = self.clock()  # "offline 6 min" counts from here
        view.status = message.status
        self._draw_header()
        self.redraw_partitions()
        self.refresh_footer()
        self._offer_verification(message.provider, message.status)

    def _offer_verification(self, name: str, status: ProviderStatus) -> None:
        """The vendor wants this device validated by SMS (Securitas): show the dialog once."""
        if not status.two_factor or name in self._verifying or self._verifier(name) is None:
            return
        self._verifying.add(name)
        self.run_worker(self._verify_device(name, status), group=f"verify-{name}")

    def _verifier(self, name: str) -> DeviceVerifier | None:
        return self.engine.device_verifier(name)  # in-process: the provider; attached: through the service

    async def _verify_device(self, name: str, status: ProviderStatus) -> None:
        if await self.push_screen_wait(OtpScreen(self._verifier(name), status.two_factor, status.reason)):  # type: ignore[arg-type]
            self._verifying.discard(name)
            self.notify(f"{name}: this device is verified", timeout=4, markup=False)
            self.engine.refresh_now(name)

    @_while_running
    def on_snapshot_received(self, message: SnapshotReceived) -> None:
        view = self.views.get(message.provider)
        if view is None:
            return
        view.snapshot = message.snapshot
        now = self.clock()
        self.marks.snapshot(view.name, message.snapshot, now)
        view.last_changes = last_changes(self._events_of(view.name), view.snapshot)
        self._tell_settled(view)
        self._draw_snapshot_panels()
        self._draw_header()  # power, tamper and communication troubles show there too
        self._show_alerts(self.alerts.update(view.name, message.snapshot, self._events_of(view.name), now))
        self.refresh_footer()

    def _tell_settled(self, view: ProviderView) -> None:
        """An accepted arm whose exit delay ran out: "armed" now that the panel says so (or that it is not)."""
        assert view.snapshot is not None
        for (provider, partition_id), command in list(self._awaiting.items()):
            if provider != view.name:
                continue
            covered = [p for p in view.snapshot.partitions if partition_id is None or p.id == partition_id]
            states = {p.state for p in covered}
            if not covered or states & UNSETTLED:
                continue  # still on its way
            del self._awaiting[(provider, partition_id)]
            where = target_name(view.name, command.label or view.name)
            if command.action is CommandAction.ARM and all(p.state.is_armed for p in covered):
                words = DONE_WORDS.get(command.mode, "armed") if command.mode is not None else "armed"
                self.notify(f"{where} {words} (the panel says so).", title="Armed", markup=False)
            elif command.action is CommandAction.DISARM and states == {PartitionState.DISARMED}:
                self.notify(f"{where} disarmed (the panel says so).", title="Disarmed", markup=False)
            else:
                shown = ", ".join(sorted(STATE_WORDS[s] for s in states))
                self.notify(f"{where} is {shown}, not what was asked.", title="Not armed", severity="warning", markup=False)

    def _events_of(self, provider: str) -> list[Event]:
        return [e for e in self.event_log.events if e.provider == provider]

    @_while_running
    def on_events_received(self, message: EventsReceived) -> None:
        view = self.views.get(message.provider)
        events = [self._readable_event(e, message.provider, view) for e in message.events]
        added, dropped = self.event_log.add(events)
        if (added or dropped) and not self._covered():
            self.events.show(self.event_log.events, added, dropped, self.palette)
        if view is not None and added:
            view.last_changes = last_changes(self._events_of(view.name), view.snapshot)
            if self.alerts.refine_times(added) and self._alarm_screen is not None:
                self._alarm_screen.redraw()
            self.redraw_partitions()

    async def _journal_history(self, **question: object) -> HistoryPage | None:
        """The engine's journal, its events named as the live ones are (partition and zone names)."""
        page = await self.engine.history(**question)  # type: ignore[arg-type]
        if page is None or not page.events:
            return page
        events = tuple(self._readable_event(e, e.provider, self.views.get(e.provider)) for e in page.events)
        return dataclasses.replace(page, events=events)

    @staticmethod
    def _readable_event(event: Event, provider: str, view: ProviderView | None) -> Event:
        """Name the provider, and show partition and zone names where the event carries ids."""
        changes: dict[str, Any] = {} if event.provider else {"provider": provider}
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
        if self.marks.update(view.name, update, self.clock()):
            self.redraw_partitions()
        self._draw_header()
        self.refresh_footer()
        if update.result is None:
            return
        result = update.result
        sentence = outcome(message.provider, update.command, result)
        if result.phase is CommandPhase.DONE and not settled(result):
            self.notify(sentence, title="Accepted", markup=False)
            self._awaiting[(message.provider, update.command.partition)] = update.command
        elif result.phase is CommandPhase.DONE:
            self.notify(sentence, title="Done", markup=False)
        elif result.phase is CommandPhase.FAILED:
            self.notify(sentence, title="Refused", severity="error", timeout=10, markup=False)
        else:
            title = "Not sent" if result.phase is CommandPhase.NOT_SENT else "Outcome unknown"
            self.notify(sentence, title=title, severity="warning", timeout=10, markup=False)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list is self.partitions:
            self.refresh_footer()  # what the keys can do depends on the selected partition
            self._draw_targets()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self.zones:
            self.refresh_footer()  # bypass and photo depend on the selected zone
            self._draw_targets()

    def on_events_table_opened(self, message: EventsTable.Opened) -> None:
        self.app.push_screen(EventScreen(message.event))

    def on_resize(self, event: textual_events.Resize) -> None:
        compact = event.size.width <= self.COMPACT_WIDTH
        if compact != self.compact:
            self.compact = compact
            self.partitions.compact = compact
            self.zones.compact = compact
            self._draw_snapshot_panels()

    @_while_running
    def on_photos_received(self, message: PhotosReceived) -> None:
        photos = tuple(p if p.provider else dataclasses.replace(p, provider=message.provider) for p in message.photos)
        self.album.add(photos)
        if self._covered():
            return
        self.photo.show(self.album.photos)
        self._give_up_empty_panels()  # the photo panel was hidden while empty: it takes its room back now

    def on_photo_panel_opened(self, message: PhotoPanel.Opened) -> None:
        self.app.push_screen(PhotoScreen(self.album.photos, message.index, protocol=imaging.graphics_protocol()))

    # ------------------------------------------------------------------ drawing

    def on_theme_changed(self) -> None:
        self.palette = Palette(self.app.theme_variables)
        self._draw_all()

    def _draw_all(self) -> None:
        self._draw_header()
        self._draw_snapshot_panels()
        self.events.show(self.event_log.events, [], [], self.palette)

    def _covered(self) -> bool:
        """A dialog (not the alarm banner) covers the panels. Any change behind it re-renders the whole dimmed
        screen, dialog included (tens of ms each time): the panels wait, and are drawn once when it closes."""
        covered = self.app.screen not in (self, self._alarm_screen)
        if covered:
            self._redraw_when_uncovered = True
        return covered

    def _draw_header(self) -> None:
        if self._covered():
            return
        self._header_drawn_at = self.clock()
        self.header.show(self.views.values(), self._header_drawn_at, self.palette, self.engine.describe())

    def redraw_partitions(self) -> None:
        if self._covered():
            return
        self.partitions.show(self.views.values(), self.clock(), self.palette)
        self._draw_targets()

    def _draw_snapshot_panels(self) -> None:
        if self._covered():
            return
        self.redraw_partitions()
        self.zones.show(self.views.values(), self.palette)
        self.troubles.show(self.views.values(), self.clock(), self.palette)
        self.users.show(self.views.values(), self.palette)
        self._give_up_empty_panels()

    def _give_up_empty_panels(self) -> None:
        """Empty lists and an empty photo panel give their room to the rest (at any size)."""
        self.troubles.set_class(self.troubles.row_count == 0, "-empty")
        self.users.set_class(self.users.row_count == 0, "-empty")
        self.photo.set_class(not self.album.photos, "-empty")
        self.lower.set_class(self.troubles.row_count == 0 and self.users.row_count == 0 and not self.album.photos, "-empty")

    def _key_for(self, binding_id: str, default: str) -> str:
        keys = self.settings.keymap.get(binding_id, default)
        first = keys.split(",")[0].strip()
        return {"slash": "/", "question_mark": "?"}.get(first, first)

    def _draw_targets(self) -> None:
        """Panel titles name what the keys act on: "Partitions · a/h/n/p/d → powermaster · House"."""
        target = self.controller.partition_target()
        zone_target = self.controller.zone_target()
        arm_keys = "/".join(
            self._key_for(binding_id, key)
            for binding_id, key in (("arm_away", "a"), ("arm_home", "h"), ("arm_night", "n"), ("arm_perimeter", "p"))
        )
        disarm_key = self._key_for("disarm", "d")
        zone_keys = f"{self._key_for('bypass', 'b')}/{self._key_for('photo', 'c')}"
        partition_name = target_name(target[0].name, target[1].name) if target is not None and target[1] is not None else None
        zone_name = target_name(zone_target[0].name, zone_target[1].name) if zone_target is not None else None
        shown = (partition_name, zone_name, arm_keys, disarm_key, zone_keys)
        if shown == self._target_title:
            return
        self._target_title = shown
        self.partitions.border_title = Content(
            f"Partitions · {arm_keys}/{disarm_key} → {partition_name}" if partition_name else "Partitions"
        )
        self.zones.border_title = Content(f"Zones · {zone_keys} → {zone_name}" if zone_name else "Zones / devices")

    def refresh_footer(self) -> None:
        """Re-evaluate which keys can act (dimmed or not), only when that changed; a no-op while shutting down."""
        if not self.screen_stack:
            return
        # Rebuilding the footer on every poll costs more than the poll: compare what it would show first.
        state = tuple(self.check_action(action, parameters) for action, parameters in FOOTER_ACTIONS)
        if state != self._footer_state:
            self._footer_state = state
            self.refresh_bindings()

    _ticks = 0
    AGES_EVERY = 5
    """Seconds between redraws of the header's ages ("updated 12s ago") when no command timer runs there:
    repainting the header every second was most of the idle dashboard's CPU (about 1 % of a core)."""

    def _schedule_tick(self, delay: float) -> None:
        if self._tick_timer is not None:
            self._tick_timer.stop()
        self._tick_delay = delay
        self._tick_timer = self.set_timer(delay, self._tick, name="tick")

    def wake_ticks(self) -> None:
        """Something may count by the second now (a command, an exit delay, an alarm): tick within a second."""
        if self._tick_timer is not None and self._tick_delay > 1.0:
            self._schedule_tick(1.0)

    def on_screen_resume(self) -> None:
        if self._redraw_when_uncovered and self.screen_stack:  # a dialog closed: what came behind it is drawn now
            self._redraw_when_uncovered = False
            self._draw_all()
            if self.album.photos:
                self.photo.show(self.album.photos)
            self._give_up_empty_panels()
        if self._tick_timer is not None:  # and the clocks catch up at once, not on the next slow tick
            self._schedule_tick(0.01)

    def _tick(self) -> None:
        """Command timers and delay countdowns move on each second while one is shown, stale data is marked;
        ages every few seconds. With nothing counting down, the next tick comes when the ages or a view's
        staleness next change (at most `AGES_EVERY` seconds away), so an idle dashboard wakes rarely."""
        if not self.screen_stack:
            return
        now = self.clock()
        marks_held = any(v.pending is not None or v.pending_zones for v in self.views.values())
        if self.marks.expire(now):
            self.refresh_footer()
        if self.app.screen not in (self, self._alarm_screen):
            # A dialog covers the panels: any change behind it re-renders the whole dimmed screen (several %
            # of a core, once a second, for ages alone). They catch up when it closes (`on_screen_resume`).
            self._ticks = 0
            self._schedule_tick(1.0 if marks_held else float(self.AGES_EVERY))
            return
        stale = {name: view.stale(now) for name, view in self.views.items()}
        not_live = any(stale.values()) or any(v.offline_since is not None and v.snapshot for v in self.views.values())
        commands = any(command_line(v, now) is not None for v in self.views.values())
        unsettled = any(p.state in UNSETTLED for v in self.views.values() if v.snapshot for p in v.snapshot.partitions)
        every_second = marks_held or not_live or commands or unsettled or self._alarm_screen is not None
        drawn = self._header_drawn_at
        ages_due = drawn is None or (now - drawn).total_seconds() >= self.AGES_EVERY - 0.5  # polls redraw them too
        if (
            ages_due
            or not_live  # "offline 6 min" must not lag; the bar repaints only when its text changed
            or commands
        ):
            self._draw_header()
        self._ticks += 1
        if unsettled or stale != self._stale_shown:
            self._stale_shown = stale
            self.redraw_partitions()
        if self._alarm_screen is not None:
            self._alarm_screen.redraw()
        self._schedule_tick(1.0 if every_second else self._until_stale(now, float(self.AGES_EVERY)))

    def _until_stale(self, now: datetime, longest: float) -> float:
        """Seconds until the first live view turns stale, at most `longest` (and at least a second)."""
        wait = longest
        for view in self.views.values():
            last = view.status.last_update
            if last is None or view.poll_interval <= 0:
                continue
            left = max(2 * view.poll_interval, STALE_FLOOR) - (now - last).total_seconds()
            wait = min(wait, max(left + 0.05, 1.0))
        return wait

    # ------------------------------------------------------------------ alarms and entry delays

    def _show_alerts(self, fresh: Sequence[Alert]) -> None:
        """Keep the banner in step with the tracker; ring and toast once per new alarm or entry delay."""
        lines = self.alerts.lines()
        if lines and self._alarm_screen is None:
            self._alarm_screen = AlarmScreen(
                self.alerts.lines, self.clock, acknowledge=self.acknowledge_alarms, disarm=self.disarm_from_banner
            )
            self.app.push_screen(self._alarm_screen, self._alarm_closed)
        elif not lines and self._alarm_screen is not None:
            self._alarm_screen.dismiss("gone")  # acknowledged, disarmed, or the entry delay ended
        elif self._alarm_screen is not None:
            self._alarm_screen.redraw()
        for alert in fresh:
            self.app.bell()
            zone = f" — zone {clean(alert.zone)}" if alert.zone else ""
            title = "ALARM" if alert.kind == ALERT_ALARM else "ENTRY DELAY"
            self.notify(
                f"{clean(alert.provider)} · {clean(alert.partition)}{zone}",
                title=title,
                severity="error",
                timeout=30,
                markup=False,
            )

    def _alarm_closed(self, _answer: str | None) -> None:
        self._alarm_screen = None

    def acknowledge_alarms(self, alerts: list[Alert]) -> None:
        """Enter / A on the banner: these episodes are acknowledged, each journaled on its own."""
        for alert in self.alerts.acknowledge(alerts):
            # The engine journals per (provider, partition, zone): called once per episode.
            self.engine.acknowledge(alert.provider, alert.partition_id, alert.zone, origin=self.controller.origin)
        self._show_alerts(())

    def disarm_from_banner(self, alerts: list[Alert]) -> None:
        """d on the banner: disarm the partitions it lists (one confirmation naming them all, one PIN per provider).

        Nothing is acknowledged by this: each episode leaves the banner when the panel reports its
        partition disarmed (or when someone acknowledges it)."""
        targets = [(a.provider, a.partition_id) for a in alerts if a.partition_id]
        if targets:
            self.controller.disarm_many(targets)

    # ------------------------------------------------------------------ targets and what is possible

    def why_not(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        """Why `action` cannot run now on the selected partition or zone; None if it can."""
        return self.controller.why_not(action, parameters)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.app.screen is not self:
            return False  # a viewer or dialog is on top: the dashboard's keys are not offered, not run
        if action == "lock" and not any(
            v.snapshot is not None and Capability.LOCK in v.snapshot.capabilities for v in self.views.values()
        ):
            return False  # no smart locks anywhere: the keys are not offered
        if action in ("arm", "disarm", "bypass", "photo", "lock"):
            return True if self.why_not(action, parameters) is None else None
        return True

    def on_key(self, event: textual_events.Key) -> None:
        """A dimmed key does nothing by itself; say why it cannot act now."""
        if self.app.screen is not self:
            return
        active = self.active_bindings.get(event.key)
        if active is None or active.enabled:
            return
        target = TARGET_ACTIONS.get(active.binding.action)
        if target is None:
            return
        reason = self.why_not(*target)
        if reason is not None:
            self.notify(reason, severity="warning", timeout=4, markup=False)

    # ------------------------------------------------------------------ actions

    def action_arm(self, mode: str, *, force: bool = False) -> None:
        self.controller.arm(mode, force=force)

    def action_disarm(self, *, confirmed: bool = False) -> None:
        self.controller.disarm(confirmed=confirmed)

    def action_bypass(self) -> None:
        self.controller.bypass()

    def action_lock(self, locking: bool) -> None:
        self.controller.lock(locking)

    def action_photo(self) -> None:
        self.controller.photo()

    def action_refresh(self) -> None:
        self._verifying.clear()  # a dismissed SMS verification is offered again
        self.engine.refresh_now()
        self.notify("Refreshing every panel.", timeout=2)

    def action_filter_events(self) -> None:
        self.events.start_text_filter()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.alarm_app.help_sections()))
