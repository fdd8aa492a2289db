"""A Vera reached directly on its LAN port (`http://HOST:3480`): the luup provider, no account.

Same luup calls and mapping as the MiOS relay (`alarmtui.providers.luup`); only the
transport differs (`client.py`). A Vera on the LAN has no event module, so the events
are the changes this provider itself saw (partition states, alarms, zones, bypasses).
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from alarmtui.domain import Event
from alarmtui.providers.luup.mapping import change_events
from alarmtui.providers.luup.provider import LuupProvider
from alarmtui.providers.vera.client import LanTransport

if TYPE_CHECKING:
    from collections.abc import Mapping

    from alarmtui.settings import VeraConfig


class VeraProvider(LuupProvider):
    """A Vera with an alarm-panel plugin on the local network."""

    kind: ClassVar[str] = "vera"

    relay_timeout: float = 10.0
    relay_margin: float = 5.0
    session_check_after: float = float("inf")  # no session to go stale on the LAN
    events_kept: int = 500

    config: VeraConfig
    transport: LanTransport

    def __init__(self, config: VeraConfig, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(config, clock=clock)
        self._seen: collections.deque[Event] = collections.deque(maxlen=self.events_kept)

    def _make_transport(self) -> LanTransport:
        return LanTransport(self.config, self.requests, timeout=self.relay_timeout, clock=self.clock)

    def _panel_detail(self) -> str:
        return "Vera (LAN)"

    def _observe(self, before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]) -> None:
        if not before:
            return  # the first read is the baseline, not a change
        stamp = f"{self._loadtime}-{self._dataversion}"
        self._seen.extend(change_events(before, after, stamp=stamp, when=datetime.now(UTC)))

    async def events(self, limit: int = 100) -> list[Event]:
        """What changed since this provider started watching, newest first."""
        return list(reversed(self._seen))[:limit]

    async def events_since(self, since: datetime | None, limit: int = 1000) -> list[Event]:
        """No back-fill: a Vera on the LAN keeps no event history, so what happened while alarmtui
        was not watching is lost; this returns only the changes seen since this provider started."""
        return await super().events_since(since, limit)
