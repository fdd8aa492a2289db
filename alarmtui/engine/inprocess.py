"""The engine in this process: the pollers of every provider, plus subscribers (journal, notifier)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from alarmtui.domain import Command, CommandResult
from alarmtui.domain.updates import CommandUpdate, PollerUpdate, SnapshotUpdate, StatusUpdate
from alarmtui.engine.base import HISTORY_PAGE, Engine, HistoryPage, ProviderInfo, UpdateCallback
from alarmtui.engine.budget import RequestBudget, default_ceiling
from alarmtui.engine.poller import PollerGroup, PollTiming
from alarmtui.engine.verify import DeviceVerifier, RefreshingVerifier
from alarmtui.providers import Provider, create_provider
from alarmtui.settings import Settings

if TYPE_CHECKING:  # loaded by `engine_for` only when used: a dashboard in tests runs without them
    from alarmtui.journal.store import Journal
    from alarmtui.notify.notifier import Notifier

LAST_KNOWN_WAIT = 0.5
"""Seconds the start waits for the journal's last known states (a first frame, not worth a slow start)."""
log = logging.getLogger(__name__)

REFRESH_SHARED_FOR = 10.0
"""A refresh asked for within this many seconds of the last one joins it (many views, one vendor read)."""


def provider_info(provider: Provider) -> ProviderInfo:
    return ProviderInfo(
        provider.name,
        provider.kind,
        needs_code=provider.needs_code,
        code_configured=provider.code_for(None) is not None,
        poll_interval=provider.config.poll_interval,
        code_length=provider.code_length,
    )


class InProcessEngine(Engine):
    """Runs the pollers here. `enforce_budget=False` counts requests without stretching intervals (tests)."""

    def __init__(
        self,
        settings: Settings,
        *,
        providers: Iterable[Provider] | None = None,
        timing: PollTiming | Callable[[Provider], PollTiming] | None = None,
        now: Callable[[], datetime] | None = None,
        enforce_budget: bool = True,
        subscribers: Iterable[UpdateCallback] = (),
        journal: Journal | None = None,
        notifier: Notifier | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if providers is None:
            providers = [create_provider(config) for config in settings.providers if config.enabled]
        providers = list(providers)
        super().__init__(provider_info(p) for p in providers)
        self.settings = settings
        self._clock = clock
        self.group = PollerGroup(providers, self._on_update, timing=timing, now=now or (lambda: datetime.now(UTC)))
        self.budgets = {
            poller.name: RequestBudget(
                poller,
                poller.provider.config.request_budget or default_ceiling(poller.provider.kind),
                enforce=enforce_budget,
                clock=clock,
            )
            for poller in self.group
        }
        self._last_refresh: dict[str, float] = {}
        self._last_known_task: asyncio.Future[None] | None = None
        self._last_known: dict[str, datetime] = {}
        """Providers shown from the journal's last known snapshot (-> its time) until their first good poll."""
        self.journal = journal
        self.notifier = notifier
        self._origins: dict[str, str] = {}
        """Provider -> who asked for the command in flight there (one per panel)."""
        for callback in subscribers:
            self.subscribe(callback)

    async def start(self) -> None:
        if self.journal is not None:
            self.journal.start()
        if self.notifier is not None:
            self.notifier.start()
        if self.journal is not None:
            # Back-fill what was missed while down: each poller's first events read starts at its
            # provider's newest journaled event (the journal's dedupe makes the overlap harmless).
            for poller in self.group:
                try:
                    last = await self.journal.last_event_time(poller.name)
                    # From its whole second: vendors stamp in seconds, the journal's key bumps ties by a microsecond.
                    poller.backfill_from = last.replace(microsecond=0) if last is not None else None
                except Exception as exc:  # noqa: BLE001  (no back-fill is better than no start)
                    log.warning("%s: no back-fill: %s", poller.name, exc)
        self.group.start()
        if self.journal is not None:  # beside the first polls, not before them: a cache must not slow the start
            self._last_known_task = asyncio.ensure_future(self._show_last_known())

    async def _show_last_known(self, timeout: float = LAST_KNOWN_WAIT) -> None:
        """The first frame from the journal: each provider's last known snapshot, marked stale, before any poll.

        Views only (never the journal or the notifier: it is not news). The first poll replaces it.
        """
        assert self.journal is not None
        try:
            cached = await asyncio.wait_for(self.journal.last_snapshots(), timeout)
        except Exception as exc:  # noqa: BLE001  (a cache: starting without it is fine)
            log.info("no last known states from the journal: %s", exc)
            return
        for name, (when, snapshot) in cached.items():
            state = self.states.get(name)
            if state is None or state.snapshot is not None:
                continue  # not configured any more, or a poll already answered
            # The link as it stands (connecting, or already failing), marked stale, with the time of the data.
            current = state.status
            reason = current.reason or f"last known state from {when.astimezone():%Y-%m-%d %H:%M}; connecting"
            status = dataclasses.replace(current, stale=True, last_update=when, reason=reason)
            self._last_known[name] = when
            self._publish(StatusUpdate(name, status))
            self._publish(SnapshotUpdate(name, snapshot))

    def submit(self, provider: str, command: Command, *, origin: str = "") -> asyncio.Future[CommandResult]:
        task = self.group[provider].submit(command)
        self._origins[provider] = origin
        return task

    def refresh_now(self, provider: str | None = None) -> None:
        now = self._clock()
        for poller in self.group:
            if provider is not None and poller.name != provider:
                continue
            last = self._last_refresh.get(poller.name)
            if last is not None and now - last < REFRESH_SHARED_FOR:
                continue
            self._last_refresh[poller.name] = now
            poller.refresh_now()

    async def close(self, timeout: float = 1.0) -> None:
        if self._last_known_task is not None:
            self._last_known_task.cancel()
        await self.group.stop(timeout=timeout)
        if self.notifier is not None:
            # Deliveries under way get a moment (at most CLOSE_TIMEOUT); what is left is logged as abandoned.
            from alarmtui.notify.notifier import CLOSE_TIMEOUT

            await _bounded(self.notifier.aclose(timeout=min(timeout, CLOSE_TIMEOUT)), CLOSE_TIMEOUT + 1.0)
        if self.journal is not None:
            await self.journal.close(timeout=max(timeout, 5.0))  # what is queued is written

    def describe(self) -> str:
        return "in-process"

    async def history(
        self, *, grep: str | None = None, provider: str | None = None, before: int | None = None, limit: int = HISTORY_PAGE
    ) -> HistoryPage | None:
        if self.journal is None:
            return None
        from alarmtui.journal.store import JournalError

        try:  # the query runs on the journal's reader thread, off the loop
            entries = await self.journal.search(
                grep=grep, providers=[provider] if provider else None, kinds=["event"], before=before, limit=limit
            )
        except JournalError as exc:
            return HistoryPage((), error=str(exc))
        return HistoryPage(
            tuple(entry.as_event() for entry in entries),
            cursor=entries[-1].cursor if entries else None,
            more=len(entries) >= limit > 0,
        )

    def acknowledge(self, provider: str, partition: str, zone: str | None, *, origin: str) -> None:
        if self.journal is None or provider not in self.providers:
            return
        snapshot = self.states[provider].snapshot
        found = snapshot.partition(partition) if snapshot is not None else None
        name = found.name if found is not None and found.name else partition
        self.journal.record_acknowledgement(provider, partition, name, origin, zone=zone or "")

    def _refresh_info(self, name: str) -> None:
        """What a provider learns by logging in (My Pages: the installation's PIN length) reaches the PIN
        dialogs, the service's code check and the views that attach from now on."""
        fresh = provider_info(self.group[name].provider)
        if fresh != self.providers.get(name):
            self.providers[name] = fresh

    def _on_update(self, update: PollerUpdate) -> None:
        if isinstance(update, SnapshotUpdate) and update.provider in self.providers:
            self._refresh_info(update.provider)
        if update.provider in self._last_known:
            if isinstance(update, SnapshotUpdate):
                del self._last_known[update.provider]  # a live read: no longer "last known"
            elif isinstance(update, StatusUpdate):  # still failing: what is shown stays the stale last known state
                when = self._last_known[update.provider]
                update = StatusUpdate(
                    update.provider, dataclasses.replace(update.status, stale=True, last_update=update.status.last_update or when)
                )
        budget = self.budgets.get(update.provider)
        if budget is not None:
            if isinstance(update, SnapshotUpdate):
                budget.observe(polled=True)
            elif isinstance(update, StatusUpdate):
                if update.status.failures:
                    budget.observe(polled=False)
                update = StatusUpdate(
                    update.provider,
                    dataclasses.replace(update.status, requests_last_hour=budget.used, request_ceiling=budget.ceiling),
                )
        self._publish(update)
        origin = self._origins.get(update.provider, "") if isinstance(update, CommandUpdate) else ""
        if isinstance(update, CommandUpdate) and update.finished:
            self._origins.pop(update.provider, None)
        if self.journal is not None:
            self.journal.record(update, origin=origin)  # queues; never blocks
        if self.notifier is not None:
            self.notifier.feed(update, origin=origin)

    def device_verifier(self, provider: str) -> DeviceVerifier | None:
        poller = self.group[provider]
        if not hasattr(poller.provider, "verify_device"):
            return None

        def refresh() -> None:
            self._last_refresh[provider] = self._clock()  # views asking now join this read
            poller.refresh_now()  # not joined to one before: that one was still refused

        return RefreshingVerifier(poller.provider, refresh)  # type: ignore[arg-type]


async def _bounded(work: object, timeout: float) -> None:
    try:
        await asyncio.wait_for(work, timeout)  # type: ignore[arg-type]
    except TimeoutError:
        pass


def engine_for(settings: Settings, *, journal: bool = True, notify: bool = True, **options: Any) -> InProcessEngine:
    """The engine as the service (and a standalone dashboard) runs it: with the journal and the notifier."""
    journal_sink: Journal | None = None
    notifier: Notifier | None = None
    if journal:
        from alarmtui.journal.store import Journal

        journal_sink = Journal.from_settings(settings)
    if notify and settings.notify:
        from alarmtui.notify.notifier import Message, Notifier, Target

        def dropped(message: Message, target: Target, reason: str) -> None:
            if journal_sink is not None:
                journal_sink.record_notification_dropped(message.provider, target.label, message.kind, message.title, reason)

        notifier = Notifier.from_settings(settings, on_drop=dropped)
    return InProcessEngine(settings, journal=journal_sink, notifier=notifier, **options)
