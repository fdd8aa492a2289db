"""What the dashboard's command keys do: the target they act on, whether they can, and the command's way out.

The app's `action_arm`/`action_disarm`/`action_bypass`/`action_photo` land here.
A command is asked about (confirmation, PIN), handed to the engine once, marked
pending on screen at once, and followed: a wrong PIN is asked again (up to
`PIN_ATTEMPTS`), open zones offer "arm anyway". The pending marks (the echo
guard) are `PendingMarks` in `ui/state.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual.notifications import SeverityLevel
from textual.screen import Screen

from alarmtui.domain import ArmMode, Capability, Command, CommandAction, CommandResult, Partition, Zone
from alarmtui.domain.updates import CommandBusy
from alarmtui.engine import Engine
from alarmtui.engine.base import ProviderInfo
from alarmtui.providers.errors import OpenZones, WrongCode
from alarmtui.ui.availability import why_not_arm, why_not_bypass, why_not_disarm, why_not_lock, why_not_photo
from alarmtui.ui.format import MODE_WORDS, clean, target_name
from alarmtui.ui.screens.confirm import ConfirmScreen
from alarmtui.ui.screens.pin import PIN_ATTEMPTS, PinScreen
from alarmtui.ui.state import PendingMarks, ProviderView
from alarmtui.ui.widgets.partitions import PartitionsPanel
from alarmtui.ui.widgets.zones import ZonesTable

if TYPE_CHECKING:
    from alarmtui.settings import Settings


class Dashboard(Protocol):
    """What the controller needs of the app (`AlarmApp`)."""

    settings: Settings
    engine: Engine

    @property
    def providers(self) -> Mapping[str, ProviderInfo]: ...

    views: Mapping[str, ProviderView]
    marks: PendingMarks
    partitions: PartitionsPanel
    zones: ZonesTable

    def notify(
        self, message: str, *, title: str = ..., severity: SeverityLevel = ..., timeout: float | None = ..., markup: bool = ...
    ) -> None: ...
    def run_worker(self, work: Coroutine[Any, Any, Any], *, group: str = ..., exclusive: bool = ...) -> Any: ...
    async def push_screen_wait(self, screen: Screen[Any]) -> Any: ...
    @property
    def screen_stack(self) -> list[Screen[Any]]: ...
    def redraw_partitions(self) -> None: ...
    def refresh_footer(self) -> None: ...


class Controller:
    def __init__(self, app: Dashboard, *, origin: str) -> None:
        self.app = app
        self.origin = origin
        """Who asks, for the journal ("dashboard on /dev/pts/3")."""

    # ------------------------------------------------------------------ targets and what is possible

    def partition_target(self) -> tuple[ProviderView, Partition | None] | None:
        selected = self.app.partitions.selected()
        if selected is None:
            return None
        provider, partition_id = selected
        view = self.app.views[provider]
        partition = view.snapshot.partition(partition_id) if view.snapshot and partition_id else None
        return view, partition

    def zone_target(self) -> tuple[ProviderView, Zone] | None:
        selected = self.app.zones.selected()
        if selected is None:
            return None
        return self.app.views[selected[0]], selected[1]

    def why_not(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        """Why `action` cannot run now on the selected partition or zone; None if it can."""
        if action in ("arm", "disarm"):
            target = self.partition_target()
            if target is None or target[1] is None:
                return "select a partition first"
            view, partition = target
            assert partition is not None
            if action == "arm":
                return why_not_arm(view, partition, ArmMode(str(parameters[0])))
            return why_not_disarm(view, partition)
        if action in ("bypass", "photo", "lock"):
            zone_target = self.zone_target()
            if zone_target is None:
                return "select a zone first"
            view, zone = zone_target
            if action == "lock":
                return why_not_lock(view, zone, bool(parameters[0]))
            return why_not_bypass(view, zone) if action == "bypass" else why_not_photo(view, zone)
        return None

    def _refuse_if_impossible(self, action: str, parameters: tuple[object, ...]) -> bool:
        reason = self.why_not(action, parameters)
        if reason is not None:
            self.app.notify(reason, severity="warning", timeout=4, markup=False)
            return True
        return False

    # ------------------------------------------------------------------ the keys

    def _partition_command(self, action: CommandAction, **details: Any) -> tuple[ProviderView, Partition, Command]:
        """The command for the selected partition; the whole panel where the vendor cannot address one."""
        view, partition = self.partition_target()  # type: ignore[misc]
        assert partition is not None and view.snapshot is not None
        whole_panel = Capability.PARTITION_COMMANDS not in view.snapshot.capabilities
        command = Command(
            action,
            partition=None if whole_panel else partition.id,
            label=(view.snapshot.panel_name or view.name) if whole_panel else partition.name,
            **details,
        )
        return view, partition, command

    def arm(self, mode: str, *, force: bool = False) -> None:
        if self._refuse_if_impossible("arm", (mode,)):
            return
        view, partition, command = self._partition_command(CommandAction.ARM, mode=ArmMode(mode), force=force)
        assert view.snapshot is not None
        question = None
        detail = None
        yes = "Arm"
        if partition.ready is False and not force:
            # Not ready: say which zones, and offer to arm anyway with them bypassed where the panel can.
            opened = ", ".join(clean(z) for z in partition.open_zones) or "some zones"
            question = Text(f"{MODE_WORDS[ArmMode(mode)]} {target_name(view.name, partition.name)}?")
            detail = Text(f"Not ready — open: {opened}")
            if Capability.BYPASS in view.snapshot.capabilities and partition.open_zones:
                command = dataclasses.replace(command, force=True)
                yes = "Arm anyway, bypassing these"
            else:
                yes = "Try to arm"
        elif self.app.settings.confirm.arm:
            question = Text(f"{MODE_WORDS[ArmMode(mode)]} {target_name(view.name, partition.name)}?")
        self.start(view, command, question, detail, yes=yes)

    def disarm(self, *, confirmed: bool = False) -> None:
        if self._refuse_if_impossible("disarm", ()):
            return
        view, partition, command = self._partition_command(CommandAction.DISARM)
        question = None
        if self.app.settings.confirm.disarm and not confirmed:
            question = Text(f"Disarm {target_name(view.name, partition.name)}?")
        self.start(view, command, question, yes="Disarm")

    def disarm_many(self, targets: list[tuple[str, str]]) -> None:
        """Disarm these (provider, partition id) pairs — the alarm banner's `d`.

        One confirmation names every partition; one PIN prompt per provider that asks for a code; then the
        commands are sent one after the other (a panel takes one command at a time), each exactly once.
        A vendor that cannot address a partition gets one whole-panel disarm."""
        plan: list[tuple[ProviderView, list[Command], list[str]]] = []
        for provider in dict.fromkeys(name for name, _ in targets):
            view = self.app.views.get(provider)
            if view is None or view.snapshot is None:
                continue
            partitions = [p for name, pid in targets if name == provider and (p := view.snapshot.partition(pid)) is not None]
            able = []
            for partition in partitions:
                reason = why_not_disarm(view, partition)
                if reason is None:
                    able.append(partition)
                else:
                    self.app.notify(f"{target_name(view.name, partition.name)}: {reason}", severity="warning", markup=False)
            if not able:
                continue
            names = [target_name(view.name, p.name) for p in able]
            if Capability.PARTITION_COMMANDS not in view.snapshot.capabilities:
                label = view.snapshot.panel_name or view.name
                plan.append((view, [Command(CommandAction.DISARM, partition=None, label=label)], names))
            else:
                plan.append((view, [Command(CommandAction.DISARM, partition=p.id, label=p.name) for p in able], names))
        if plan:
            self.app.run_worker(self._disarm_plan(plan), group="command-dialog", exclusive=True)

    async def _disarm_plan(self, plan: list[tuple[ProviderView, list[Command], list[str]]]) -> None:
        everything = [name for _, _, names in plan for name in names]
        question = Text(f"Disarm {' and '.join(everything) if len(everything) < 3 else ', '.join(everything)}?")
        if not await self.app.push_screen_wait(ConfirmScreen(question, yes="Disarm", no="Cancel")):
            return
        for view, commands, _names in plan:
            code = None
            needs_code = self._needs_code(view.name, commands[0])
            if needs_code:
                what = "disarm " + ", ".join(clean(c.label or view.name) for c in commands)
                code = await self.app.push_screen_wait(PinScreen(what, view.name, length=self._code_length(view.name)))
                if not code:
                    continue
            for command in commands:
                attempt = 1
                while True:
                    task = self.submit(view.name, dataclasses.replace(command, code=code))
                    if task is None:
                        break
                    try:
                        result = await asyncio.shield(task)  # leaving this flow must never cancel the command
                    except Exception:  # noqa: BLE001  (the engine reports every outcome itself)
                        break
                    if not (isinstance(result.error, WrongCode) and needs_code and attempt < PIN_ATTEMPTS):
                        break
                    attempt += 1
                    code = await self.app.push_screen_wait(
                        PinScreen(
                            command.describe(),
                            view.name,
                            attempt=attempt,
                            error="Wrong code",
                            length=self._code_length(view.name),
                        )
                    )
                    if not code:
                        return

    def bypass(self) -> None:
        if self._refuse_if_impossible("bypass", ()):
            return
        view, zone = self.zone_target()  # type: ignore[misc]
        self.start(view, Command(CommandAction.BYPASS, zone=zone.id, on=not zone.bypassed, label=zone.name))

    def lock(self, locking: bool) -> None:
        """Lock or unlock the selected smart lock (`ZoneKind.LOCK`): the same flow as every command — an
        unlock is confirmed first, the code asked where the vendor needs one, sent once."""
        if self._refuse_if_impossible("lock", (locking,)):
            return
        view, zone = self.zone_target()  # type: ignore[misc]
        action = CommandAction.LOCK if locking else CommandAction.UNLOCK
        question = None if locking else Text(f"Unlock {target_name(view.name, zone.name)}?")
        self.start(view, Command(action, zone=zone.id, label=zone.name), question, yes="Unlock")

    def photo(self) -> None:
        if self._refuse_if_impossible("photo", ()):
            return
        view, zone = self.zone_target()  # type: ignore[misc]
        self.start(view, Command(CommandAction.PHOTO, zone=zone.id, label=zone.name))

    # ------------------------------------------------------------------ asking, sending once, following

    def _code_length(self, provider_name: str) -> int | None:
        """The provider's code length where it says (`code_length`), else None."""
        length = getattr(self.app.providers.get(provider_name), "code_length", None)
        return length if isinstance(length, int) and length > 0 else None

    def _needs_code(self, provider_name: str, command: Command) -> bool:
        provider = self.app.providers[provider_name]
        return command.action is not CommandAction.PHOTO and provider.asks_for_code

    def start(
        self,
        view: ProviderView,
        command: Command,
        question: Text | None = None,
        detail: Text | None = None,
        *,
        yes: str = "Yes",
    ) -> None:
        """Ask what must be asked (confirmation, code), send once, then follow the outcome."""
        needs_code = self._needs_code(view.name, command)
        if question is None and not needs_code:
            task = self.submit(view.name, command)  # at once: nothing to ask
            if task is not None:
                self.app.run_worker(self.follow(view.name, command, task, typed_code=False), group="command-flow")
            return
        self.app.run_worker(
            self._ask_then_submit(view.name, command, question, detail, yes, needs_code),
            group="command-dialog",
            exclusive=True,
        )

    async def _ask_then_submit(
        self, provider: str, command: Command, question: Text | None, detail: Text | None, yes: str, needs_code: bool
    ) -> None:
        if question is not None and not await self.app.push_screen_wait(ConfirmScreen(question, detail, yes=yes, no="Cancel")):
            return
        code = None
        if needs_code:
            code = await self.app.push_screen_wait(PinScreen(command.describe(), provider, length=self._code_length(provider)))
            if not code:
                return
        task = self.submit(provider, dataclasses.replace(command, code=code))
        if task is not None:
            await self.follow(provider, command, task, typed_code=needs_code)

    async def follow(self, provider: str, command: Command, task: asyncio.Future[CommandResult], *, typed_code: bool) -> None:
        """After a refusal the user can act on: ask the code again, or offer to arm anyway."""
        attempt = 1
        while True:
            try:
                result = await asyncio.shield(task)  # leaving this flow must never cancel the command
            except Exception:  # noqa: BLE001  (the poller reports every outcome itself)
                return
            if isinstance(result.error, WrongCode) and typed_code and attempt < PIN_ATTEMPTS:
                attempt += 1
                code = await self.app.push_screen_wait(
                    PinScreen(
                        command.describe(), provider, attempt=attempt, error="Wrong code", length=self._code_length(provider)
                    )
                )
                if not code:
                    return
                next_command = dataclasses.replace(command, code=code)
            elif isinstance(result.error, OpenZones) and result.error.can_force and not command.force:
                opened = ", ".join(clean(z) for z in result.error.zones) or "some zones"
                question = Text(f"{command.describe().capitalize()}: the panel says zones are open.")
                if not await self.app.push_screen_wait(
                    ConfirmScreen(question, Text(f"Open: {opened}"), yes="Arm anyway, bypassing these", no="Cancel")
                ):
                    return
                command = dataclasses.replace(command, force=True)
                code = None
                if typed_code:
                    code = await self.app.push_screen_wait(
                        PinScreen(command.describe(), provider, length=self._code_length(provider))
                    )
                    if not code:
                        return
                next_command = dataclasses.replace(command, code=code)
            else:
                return
            next_task = self.submit(provider, next_command)
            if next_task is None:
                return
            task = next_task

    def submit(self, provider: str, command: Command) -> asyncio.Future[CommandResult] | None:
        """Hand `command` to the engine (sent once); mark its target pending at once."""
        try:
            task = self.app.engine.submit(provider, command, origin=self.origin)
        except CommandBusy as exc:
            self.app.notify(str(exc), severity="warning", markup=False)
            return None
        task.add_done_callback(self._command_refused)
        if self.app.marks.submit(provider, command):
            self.app.redraw_partitions()
        self.app.refresh_footer()
        return task

    def _command_refused(self, task: asyncio.Future[CommandResult]) -> None:
        """Attached: the service may refuse a command another view's command beat (nothing was sent)."""
        if not task.cancelled() and isinstance(task.exception(), CommandBusy) and self.app.screen_stack:
            self.app.notify(str(task.exception()), severity="warning", markup=False)
