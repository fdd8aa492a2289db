"""MMS event records -> dashboard events (pure functions)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from alarmtui.domain import Event, EventKind
from alarmtui.domain.text import clean_text
from alarmtui.providers.base import ProtocolError
from alarmtui.providers.luup.mapping import _DETAIL_STATE, _DISARMED_DETAILS, LOW_BATTERY, entry_delay_text
from alarmtui.providers.luup.parse import as_bool, as_int
from alarmtui.providers.mios.parse import EventRecord


def _disarmed_word(value: str) -> bool:
    return value.strip().lower() in _DISARMED_DETAILS


def _arming_users(records: list[EventRecord]) -> dict[str, str]:
    """PK_Event of each DetailedArmMode change -> the LastUser in effect for it.

    A plugin writes LastUser in the same burst as the arm/disarm, and luup only logs it
    when it changes, so: a LastUser change in the same burst wins, else the last one seen.
    """
    ordered = sorted(records, key=lambda r: (r.timestamp, int(r.pk_event) if re.fullmatch(r"[0-9]{1,18}", r.pk_event) else 0))
    current: dict[str, str] = {}
    users: dict[str, str] = {}
    for index, record in enumerate(ordered):
        if record.event_type != 4:
            continue
        if record.code == "LastUser":
            current[record.device_id] = record.new_value
        elif record.code == "DetailedArmMode":
            for later in ordered[index + 1 :]:
                if later.device_id != record.device_id or later.event_type != 4:
                    continue
                if later.code == "DetailedArmMode" or abs(later.timestamp - record.timestamp) > 1:
                    break
                if later.code == "LastUser":
                    current[record.device_id] = later.new_value
                    break
            users[record.pk_event] = current.get(record.device_id, "")
    return users


def events_from_records(records: Iterable[EventRecord], names: Mapping[str, str]) -> list[Event]:
    """Turn event-module records into dashboard events (variable noise such as VendorStatus is dropped)."""
    records = list(records)
    arming_user = _arming_users(records)
    events = []
    for record in records:
        name = (
            names.get(record.device_id) or record.device_name or (f"device {record.device_id}" if record.device_id != "0" else "")
        )
        when = datetime.fromtimestamp(max(0, min(record.timestamp, 253402300799)), UTC)
        kind: EventKind | None = None
        text = ""
        zone = partition = photo_ref = ""
        if record.event_type in (1, 2):
            kind, text, zone, photo_ref = (
                EventKind.PHOTO,
                record.description or f"Camera image: {name}",
                record.device_id,
                record.pk_store,
            )
        elif record.event_type == 6:
            kind, text = EventKind.SYSTEM, record.description or "Controller connected"
        elif record.event_type == 3:
            kind, text = EventKind.SYSTEM, record.description or "Trigger fired"
        elif record.event_type == 4:
            code, new, old = record.code, record.new_value, record.old_value
            lowered = new.strip().lower()
            if code == "DetailedArmMode":
                partition = record.device_id
                if lowered == "exitdelay":
                    kind, text = EventKind.ARM, f"{name}: arming (exit delay)"
                elif lowered == "entrydelay":
                    # Its own event, never an alarm; named by the partition's name, never its number.
                    kind, text = EventKind.ENTRY_DELAY, entry_delay_text(names.get(record.device_id) or record.device_name)
                elif lowered == "failedtoarm":
                    kind, text = EventKind.ARM, f"{name}: arming failed"
                elif lowered in _DETAIL_STATE:
                    state = _DETAIL_STATE[lowered].value.replace("_", " ")
                    kind, text = EventKind.ARM, f"{name}: {state} ({new})"
                elif _disarmed_word(new) and old and not _disarmed_word(old):
                    kind, text = EventKind.DISARM, f"{name}: disarmed"
            elif code == "Alarm":
                partition = record.device_id
                if lowered == "active":
                    kind, text = EventKind.ALARM, f"{name}: ALARM"
                elif old.lower() == "active":
                    kind, text = EventKind.ALARM, f"{name}: alarm ended"
            elif code == "Tripped":
                zone = record.device_id
                kind, text = EventKind.ZONE, f"{name} {'opened' if as_bool(new) else 'closed'}"
            elif code == "Armed":
                zone = record.device_id
                kind, text = EventKind.ZONE, f"{name} {'unbypassed' if as_bool(new) else 'bypassed'}"
            elif code == "CommFailure":
                zone = record.device_id
                kind, text = (
                    EventKind.TROUBLE,
                    f"Communication failure: {name}" if as_bool(new) else f"Communication restored: {name}",
                )
            elif code == "BatteryLevel":
                with contextlib.suppress(ProtocolError):
                    if as_int(new, "BatteryLevel") < LOW_BATTERY:
                        zone = record.device_id
                        kind, text = EventKind.TROUBLE, f"Low battery: {name}"
        if kind is None:
            continue
        events.append(
            Event(
                id=record.pk_event,
                time=when,
                kind=kind,
                text=clean_text(text),
                who=arming_user.get(record.pk_event, "") if kind in (EventKind.ARM, EventKind.DISARM) else "",
                zone=zone,
                partition=partition,
                photo_ref=photo_ref,
            )
        )
    return events
