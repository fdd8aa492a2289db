"""The engine as a client of `alarmtui serve`: the service's state and updates, commands through it.

When the service goes away the view keeps the last state, every provider shows
as offline ("the alarmtui service stopped"), a command in flight is reported as
of unknown outcome (never re-sent), and the engine re-attaches as soon as the
service answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from alarmtui.domain import Command, CommandPhase, CommandProgress, CommandResult
from alarmtui.domain.updates import CommandBusy, CommandUpdate, LinkState, StatusUpdate
from alarmtui.engine.attached.client import CommandRefused, ServiceClient, ServiceUnavailable
from alarmtui.engine.base import HISTORY_PAGE, Engine, HistoryPage, ProviderInfo
from alarmtui.engine.trust import UntrustedService
from alarmtui.engine.verify import DeviceVerifier
from alarmtui.engine.wire import info_from_wire, update_from_wire

log = logging.getLogger(__name__)

SERVICE_LOST = "the alarmtui service stopped; showing the last state"
SERVICE_LOST_HINT = "This view re-attaches when the service is back (or restart it with --standalone)."


class AttachedEngine(Engine):
    def __init__(
        self,
        socket_path: Path,
        providers: Iterable[ProviderInfo],
        *,
        config: str,
        retry_delay: float = 1.0,
        retry_max: float = 10.0,
    ) -> None:
        super().__init__(providers)
        self.socket_path = socket_path
        self.config = config
        self.retry_delay = retry_delay
        self.retry_max = retry_max
        self.client = ServiceClient(socket_path)
        self.attached = False
        self.attaches = 0
        """How many times the feed connected (1 at start, +1 per re-attach)."""
        self.service_pid: int | None = None
        self.untrusted = ""
        """Why the socket is refused (not this user's service); empty while it is trusted."""
        self._problem = ""
        self._task: asyncio.Task[None] | None = None
        self._commands: set[asyncio.Task[CommandResult]] = set()
        self._side_tasks: set[asyncio.Task[None]] = set()
        self.attached_event = asyncio.Event()
        """Set while attached and the current state has arrived."""

    @classmethod
    def from_hello(cls, socket_path: Path, hello: dict[str, Any], **options: Any) -> AttachedEngine:
        listed = hello.get("providers")
        infos = [info_from_wire(p) for p in (listed if isinstance(listed, list) else [])]
        return cls(socket_path, infos, config=str(hello.get("config", "")), **options)

    def _take_infos(self, listed: object) -> None:
        """What the service knows of its providers now (a PIN length learned at login), for those this view shows."""
        for data in listed if isinstance(listed, list) else []:
            try:
                info = info_from_wire(data)
            except ValueError:
                continue
            if info.name in self.providers:
                self.providers[info.name] = info

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._follow(), name="attached-engine-feed")

    async def wait_attached(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.attached_event.wait(), timeout)
        return self.attached_event.is_set()

    def submit(self, provider: str, command: Command, *, origin: str = "") -> asyncio.Future[CommandResult]:
        if provider not in self.providers:
            raise KeyError(provider)
        if not self.attached:
            raise CommandBusy(f"{provider}: the alarmtui service is not reachable; nothing was sent")
        state = self.states[provider]
        if state.command is not None and not state.command.finished:
            raise CommandBusy(f"{provider}: another command is still in flight")
        task = asyncio.get_running_loop().create_task(self._send(provider, command, origin), name=f"command:{provider}")
        self._commands.add(task)
        task.add_done_callback(self._commands.discard)
        return task

    async def _send(self, provider: str, command: Command, origin: str) -> CommandResult:
        try:
            return await self.client.command(provider, command, origin=origin)
        except ServiceUnavailable as exc:
            # It may have reached the service and the panel: never re-send.
            result = CommandResult(CommandPhase.UNKNOWN, f"outcome unknown: {exc}")
            self._settle(provider, command, result)
            return result
        except CommandRefused as exc:
            return CommandResult(CommandPhase.FAILED, f"not sent: {exc}")
        except UntrustedService as exc:
            return CommandResult(CommandPhase.NOT_SENT, f"not sent: {exc}")

    def _settle(self, provider: str, command: Command, result: CommandResult) -> None:
        """Tell the views how a command ended when the service cannot (it stopped): once, before the caller hears."""
        state = self.states.get(provider)
        shown = state.command if state is not None else None
        if shown is not None and shown.finished and shown.command == command:
            return  # the lost feed already settled it
        self._publish(CommandUpdate(provider, command, CommandProgress(result.phase, result.message), result))

    def refresh_now(self, provider: str | None = None) -> None:
        if not self.attached:
            return
        task = asyncio.get_running_loop().create_task(self._refresh(provider))
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _refresh(self, provider: str | None) -> None:
        with contextlib.suppress(ServiceUnavailable, UntrustedService):
            await self.client.refresh(provider)

    async def history(
        self, *, grep: str | None = None, provider: str | None = None, before: int | None = None, limit: int = HISTORY_PAGE
    ) -> HistoryPage | None:
        try:
            return await self.client.history(grep=grep, provider=provider, before=before, limit=limit)
        except (ServiceUnavailable, UntrustedService) as exc:
            return HistoryPage((), error=str(exc))

    def acknowledge(self, provider: str, partition: str, zone: str | None, *, origin: str) -> None:
        task = asyncio.get_running_loop().create_task(self._acknowledge(provider, partition, zone, origin))
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _acknowledge(self, provider: str, partition: str, zone: str | None, origin: str) -> None:
        try:
            await self.client.acknowledge(provider, partition, zone, origin=origin)
        except (ServiceUnavailable, UntrustedService) as exc:
            log.warning("%s: the acknowledgement of the alarm was not journaled: %s", provider, exc)

    async def close(self, timeout: float = 1.0) -> None:
        tasks: list[asyncio.Task[Any]] = [t for t in (self._task, *self._side_tasks) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        # A command already handed to the service goes on there; this view just stops listening.
        for task in list(self._commands):
            task.cancel()
        await self.client.aclose()

    def describe(self) -> str:
        if self.attached:
            return "attached to service"
        if self.untrusted:
            return self.untrusted
        return f"service lost: {self._problem or 'not reachable'}; re-attaching…"

    # -- the feed

    async def _follow(self) -> None:
        delay = self.retry_delay
        while True:
            try:
                async for event, data in self.client.feed():
                    if event == "hello":
                        if data.get("config") != self.config:
                            raise ServiceUnavailable("the service now serves another config")
                        pid = data.get("pid")
                        self.service_pid = pid if isinstance(pid, int) else None
                        self._take_infos(data.get("providers"))
                    elif event == "update":
                        try:
                            update = update_from_wire(data)
                        except ValueError as exc:
                            log.warning("ignoring a malformed update from the service: %s", exc)
                            continue
                        if update.provider in self.providers:
                            self._publish(update)
                    elif event == "ready":
                        self.attached = True
                        self.attaches += 1
                        self._problem = ""
                        self.untrusted = ""
                        self.attached_event.set()
                        delay = self.retry_delay
                raise ServiceUnavailable("the service closed the feed")
            except ServiceUnavailable as exc:
                problem = str(exc)
            except UntrustedService as exc:
                if str(exc) != self.untrusted:  # once, not at every retry
                    log.error("%s", exc)
                self.untrusted = str(exc)
                problem = str(exc)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001  (a view must outlive anything the feed does)
                log.exception("the service feed failed")
                problem = f"feed failed ({type(exc).__name__})"
            self._detached(problem)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_max)

    def _detached(self, problem: str) -> None:
        was_attached = self.attached
        self.attached = False
        self.attached_event.clear()
        self._problem = problem
        if not was_attached and self.attaches:
            return  # already told the views
        for name, state in self.states.items():
            command = state.command
            if command is not None and not command.finished:
                result = CommandResult(
                    CommandPhase.UNKNOWN, "outcome unknown: the alarmtui service stopped while it was in flight"
                )
                self._publish(CommandUpdate(name, command.command, CommandProgress(result.phase, result.message), result))
            status = dataclasses.replace(
                state.status,
                state=LinkState.OFFLINE,
                reason=SERVICE_LOST,
                hint=SERVICE_LOST_HINT,
                retry_in=None,
                stale=True,  # the last state stays on screen, marked as possibly out of date
            )
            self._publish(StatusUpdate(name, status))

    def device_verifier(self, provider: str) -> DeviceVerifier | None:
        return ServiceVerifier(self.client, provider) if provider in self.providers else None


class ServiceVerifier:
    """Validates the service's provider by SMS: each step is one request to the service, which holds the provider."""

    def __init__(self, client: ServiceClient, name: str) -> None:
        self.client = client
        self.name = name

    async def send_verification_code(self, phone_id: str) -> str:
        reply = await self._ask("send", {"phone": phone_id})
        return str(reply.get("message") or "")

    async def verify_device(self, code: str) -> None:
        await self._ask("code", {"code": code})

    async def _ask(self, step: str, body: dict[str, str]) -> dict[str, Any]:
        from alarmtui.providers import errors

        try:
            status, reply = await self.client.verification(self.name, step, body)
        except (ServiceUnavailable, UntrustedService) as exc:
            raise errors.ConnectionFailed(str(exc), provider=self.name) from None
        if status == 200:
            return reply
        message = str(reply.get("message") or f"the alarmtui service refused ({status})")
        # The vendor's refusal as the provider raised it in the service: the dialog tells them apart.
        kind = next(
            (getattr(errors, k) for k in reply.get("kinds") or () if isinstance(getattr(errors, k, None), type)),
            errors.ProviderError,
        )
        if issubclass(kind, errors.TwoFactorRequired):
            phones = tuple((str(p[0]), str(p[1])) for p in reply.get("phones") or () if isinstance(p, list) and len(p) == 2)
            raise errors.TwoFactorRequired(message, phones=phones, provider=self.name)
        raise kind(message, provider=self.name)
