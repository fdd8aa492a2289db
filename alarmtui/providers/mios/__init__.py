"""MiOS / Vera through the MMS cloud: the luup provider over the relay, plus MMS events and storage.

The transport (login chain, sessions, relay) is in `client.py`; the luup reads and
commands are shared with the LAN transport (`alarmtui.providers.luup`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import quote

from alarmtui.domain import Event, Photo
from alarmtui.providers.base import NotSupported, ProtocolError, events_since
from alarmtui.providers.luup.mapping import build_snapshot, partition_state
from alarmtui.providers.luup.parse import (
    OFF_LOOP_RECORDS,
    as_text,
    parse_action_reply,
    parse_jobstatus,
    parse_sdata,
    record_count,
)
from alarmtui.providers.luup.provider import LuupProvider
from alarmtui.providers.mios.client import PASSWORD_SEED, RelayTransport
from alarmtui.providers.mios.mapping import events_from_records
from alarmtui.providers.mios.parse import (
    EventRecord,
    Identity,
    decode_identity,
    parse_auth_reply,
    parse_device_info,
    parse_devices,
    parse_event_records,
)
from alarmtui.redaction import register_secrets

if TYPE_CHECKING:
    from alarmtui.settings import MiosConfig


class MiosProvider(LuupProvider):
    """A Vera with an alarm-panel plugin, reached through the MiOS cloud relay."""

    kind: ClassVar[str] = "mios"

    events_max_age: float = 600.0
    """The event log is re-read when the long poll saw a change, after a command, or after this long."""
    backfill_page_rows: int = 500
    """Records per page of a back-fill (`Count=`); most are luup noise the dashboard drops."""
    backfill_max_pages: int = 8
    """A back-fill reads at most this many pages, once per start."""

    config: MiosConfig
    transport: RelayTransport

    def __init__(self, config: MiosConfig, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(config, clock=clock)
        self._store_refs: dict[str, tuple[str, str, str, int]] = {}
        self._events_cache: tuple[tuple[int | None, int | None], float, int, list[Event]] | None = None

    def _make_transport(self) -> RelayTransport:
        transport = RelayTransport(self.config, self.requests, timeout=self.relay_timeout, clock=self.clock)
        self.login_gate = transport.gate
        return transport

    def __repr__(self) -> str:
        return f"<MiosProvider {self.name!r} device={self.pk_device}>"

    # Kept for tests and tools that look inside the login state.
    @property
    def _identity(self) -> Identity | None:
        return self.transport.identity

    @property
    def _sessions(self) -> dict[str, str]:
        return self.transport.sessions

    def _command_sent(self) -> None:
        self._events_cache = None

    async def events(self, limit: int = 100) -> list[Event]:
        """Recent events from the MMS event module, newest first.

        Every event this dashboard shows comes from a luup variable change, which the
        long poll sees; so while the Vera's dataversion stands still the last answer is
        reused (up to `events_max_age`) instead of asking the event server every round.
        """
        async with self._guard("reading the event log"):
            stamp = (self._loadtime, self._dataversion)
            cached = self._events_cache
            if (
                cached is not None
                and stamp[1] is not None
                and cached[0] == stamp
                and cached[2] >= limit
                and self.clock() - cached[1] < self.events_max_age
            ):
                return cached[3][:limit]
            await self.transport.ready()
            pk_device = self.pk_device
            assert pk_device is not None
            count = min(1000, max(50, limit * 8))
            params = {"Gateway": pk_device, "User": "0", "Count": str(count), "Sort": "Desc"}
            data = await self.transport.read(
                ["event", "event_alt"], "/event/event/events", "reading the event log", params=params
            )
            events = await self._events_of(data)
            self._events_cache = (stamp, self.clock(), limit, events)
            return events[:limit]

    async def events_since(self, since: datetime | None, limit: int = 1000) -> list[Event]:
        """The event module's records after `since` (`After=`), in pages of `Count=` rows (`Start=`).

        Stops at a short page or after `backfill_max_pages`. `After` is sent one second early:
        whether the server's bound is inclusive is undocumented, and an event in the same
        second as `since` may be new (callers de-duplicate by id).
        """
        async with self._guard("reading the event log"):
            await self.transport.ready()
            pk_device = self.pk_device
            assert pk_device is not None
            records: dict[str, EventRecord] = {}
            page = max(1, self.backfill_page_rows)
            for number in range(max(1, self.backfill_max_pages)):
                params = {"Gateway": pk_device, "User": "0", "Count": str(page), "Start": str(number * page), "Sort": "Desc"}
                if since is not None:
                    params["After"] = str(int(since.timestamp()) - 1)
                data = await self.transport.read(
                    ["event", "event_alt"], "/event/event/events", "reading the event log", params=params
                )
                found = (
                    await asyncio.to_thread(parse_event_records, data)
                    if record_count(data, "Records") > OFF_LOOP_RECORDS
                    else parse_event_records(data)
                )
                for record in found:
                    records.setdefault(record.pk_event, record)
                reached_back = since is not None and any(r.timestamp < since.timestamp() - 1 for r in found)
                if len(found) < page or reached_back:  # the end, or a server that ignores `After`
                    break
            found_all = list(records.values())
            if len(found_all) > OFF_LOOP_RECORDS:  # mapping a back-fill of 1,000 records: off the loop
                return await asyncio.to_thread(lambda: events_since(self._take_records(found_all), since, limit))
            return events_since(self._take_records(found_all), since, limit)

    async def _events_of(self, data: object) -> list[Event]:
        """A page of event records as events; parsed and mapped in a worker thread when it is long."""
        if record_count(data, "Records") > OFF_LOOP_RECORDS:
            return await asyncio.to_thread(lambda: self._take_records(parse_event_records(data)))
        return self._take_records(parse_event_records(data))

    def _take_records(self, records: list[EventRecord]) -> list[Event]:
        """Remember where each record's stored photo is; the records as dashboard events."""
        default_storage = self.transport.servers.get("storage", "")
        for record in records:
            if record.pk_store and record.key:
                register_secrets(record.key)
                self._store_refs[record.pk_store] = (
                    record.server_storage or default_storage,
                    record.key,
                    record.device_id,
                    record.timestamp,
                )
        names = {k: as_text(v.get("name")) for k, v in self._devices.items()}
        return events_from_records(records, names)

    async def photos(self, event: Event) -> list[Photo]:
        async with self._guard("fetching a stored photo"):
            if not event.photo_ref:
                raise NotSupported("this event has no photo", provider=self.name)
            ref = self._store_refs.get(event.photo_ref)
            if ref is None:
                await self.events(limit=200)
                ref = self._store_refs.get(event.photo_ref)
            if ref is None:
                raise ProtocolError("the event module no longer lists this photo")
            storage, key, device_id, stamp = ref
            if not storage:
                raise ProtocolError("no storage server is known for this photo")
            self.transport.servers["photo_storage"] = storage
            response = await self.transport.read(
                ["photo_storage"],
                f"/storage/storage/store/{quote(event.photo_ref, safe='')}/archive",
                "fetching a stored photo",
                params={"Key": key},
                raw=True,
            )
            jpeg = response.content
            if not jpeg.startswith(b"\xff\xd8"):
                raise ProtocolError("the stored photo is not a JPEG")
            name = as_text(self._devices.get(device_id, {}).get("name")) or event.zone or "camera"
            return [Photo(zone=name, time=datetime.fromtimestamp(stamp, UTC), jpeg=jpeg, provider=self.name)]


__all__ = [
    "PASSWORD_SEED",
    "EventRecord",
    "MiosProvider",
    "build_snapshot",
    "decode_identity",
    "events_from_records",
    "parse_action_reply",
    "parse_auth_reply",
    "parse_device_info",
    "parse_devices",
    "parse_event_records",
    "parse_jobstatus",
    "parse_sdata",
    "partition_state",
]
