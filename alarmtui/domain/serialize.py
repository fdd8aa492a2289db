"""Plain-JSON views of domain objects (`status --json`, `events --json`; keys are stable) and their lossless wire form."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from alarmtui.domain.command import Command
from alarmtui.domain.model import Event, Partition, Snapshot, Trouble, User, Zone


def partition_json(p: Partition) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "state": p.state.value,
        "detail": p.detail,
        "ready": p.ready,
        "open_zones": list(p.open_zones),
        "delay_until": p.exit_delay_until.isoformat() if p.exit_delay_until else None,
        "alarm_zone": p.alarm_zone,
        "alarm_zones": list(p.alarm_zones),
        "entry_delay": p.entry_delay,
    }


def zone_json(z: Zone) -> dict[str, Any]:
    return {
        "id": z.id,
        "name": z.name,
        "kind": z.kind.value,
        "open": z.open,
        "bypassed": z.bypassed,
        "camera": z.camera,
        "battery_low": z.battery_low,
        "tamper": z.tamper,
        "partitions": list(z.partitions),
        "detail": z.detail,
        "alarm": z.alarm,
        "locked": z.locked,
        "temperature": z.temperature,
        "humidity": z.humidity,
        "reported_at": z.reported_at.isoformat() if z.reported_at else None,
    }


def trouble_json(t: Trouble) -> dict[str, Any]:
    return {
        "id": t.id,
        "kind": t.kind.value,
        "text": t.text,
        "zone": t.zone,
        "since": t.since.isoformat() if t.since else None,
    }


def user_json(u: User) -> dict[str, Any]:
    return {"id": u.id, "name": u.name, "role": u.role}


def event_json(e: Event) -> dict[str, Any]:
    return {
        "id": e.id,
        "time": e.time.isoformat(),
        "kind": e.kind.value,
        "text": e.text,
        "who": e.who,
        "zone": e.zone,
        "partition": e.partition,
        "provider": e.provider,
    }


def status_entry(
    name: str, kind: str, snapshot: Snapshot | None, error: str | None, partition: str | None = None
) -> dict[str, Any]:
    """One provider in `status --json` (the same whether read in-process or answered by the service)."""
    entry: dict[str, Any] = {"name": name, "kind": kind, "online": False, "error": error}
    if snapshot is None:
        entry.update({"partitions": [], "zones": [], "troubles": [], "users": []})
        return entry
    body = snapshot_json(snapshot)
    if partition:
        body["partitions"] = [p for p in body["partitions"] if p["id"] == partition]
        body["zones"] = [z for z in body["zones"] if partition in z["partitions"] or not z["partitions"]]
    entry.update(body)
    entry["online"] = snapshot.online
    if not snapshot.online and error is None:
        # The cloud answered for a panel that is not there: scripts must not read this as fine.
        entry["error"] = snapshot.detail or "the panel is offline"
    return entry


def snapshot_json(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "panel": snapshot.panel_name,
        "online": snapshot.online,
        "partitions": [partition_json(p) for p in snapshot.partitions],
        "zones": [zone_json(z) for z in snapshot.zones],
        "troubles": [trouble_json(t) for t in snapshot.troubles],
        "users": [user_json(u) for u in snapshot.users],
        "capabilities": sorted(c.value for c in snapshot.capabilities),
    }


# --------------------------------------------------------------------------- lossless wire form (service socket)
# The views above are for people and scripts; these round-trip every field of a
# domain object, so a view attached to the service holds exactly what the
# service holds. JPEG bytes travel as base64. A command's PIN is dropped unless
# the caller asks for it (only a view's own command request carries it).


@functools.cache
def _wire_model(kind: Any) -> Any:
    from pydantic import ConfigDict, create_model  # here: `status --json` answered by the service never needs it

    return create_model(
        f"Wire{getattr(kind, '__name__', 'Value')}",
        __config__=ConfigDict(ser_json_bytes="base64", val_json_bytes="base64", arbitrary_types_allowed=False),
        value=(kind, ...),
    )


def to_wire(value: Any, kind: Any) -> Any:
    """`value` (a domain dataclass, or a tuple of them) as plain JSON data."""
    return _wire_model(kind)(value=value).model_dump(mode="json")["value"]


def from_wire(data: Any, kind: Any) -> Any:
    """The domain object back from `to_wire`'s data; any mismatch raises `ValueError`."""
    from pydantic import ValidationError

    try:
        return _wire_model(kind).model_validate({"value": data}).value
    except ValidationError as exc:
        raise ValueError(f"malformed {getattr(kind, '__name__', 'value')}: {exc.error_count()} error(s)") from None


def command_to_wire(command: Command, *, with_code: bool = False) -> dict[str, Any]:
    data = to_wire(dataclasses.replace(command, code=None), Command)
    data.pop("code", None)
    if with_code and command.code:
        data["code"] = command.code
    return data


def command_from_wire(data: Any) -> Command:
    return from_wire(data, Command)
