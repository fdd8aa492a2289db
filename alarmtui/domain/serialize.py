"""Plain-JSON views of domain objects (`status --json`, `events --json`). Keys are stable."""

from __future__ import annotations

from typing import Any

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
