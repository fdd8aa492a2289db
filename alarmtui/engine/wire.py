"""Poller updates as JSON for the service socket, and back. Never carries a PIN."""

from __future__ import annotations

import dataclasses
from typing import Any

from alarmtui.domain import Command, CommandProgress, CommandResult, Event, Photo, Snapshot
from alarmtui.domain.serialize import command_from_wire, command_to_wire, from_wire, to_wire
from alarmtui.engine.base import ProviderInfo
from alarmtui.poller import (
    CommandUpdate,
    EventsUpdate,
    PhotosUpdate,
    PollerUpdate,
    ProviderStatus,
    SnapshotUpdate,
    StatusUpdate,
)


def update_to_wire(update: PollerUpdate) -> dict[str, Any]:
    match update:
        case StatusUpdate():
            return {"type": "status", "provider": update.provider, "status": to_wire(update.status, ProviderStatus)}
        case SnapshotUpdate():
            return {"type": "snapshot", "provider": update.provider, "snapshot": to_wire(update.snapshot, Snapshot)}
        case EventsUpdate():
            return {"type": "events", "provider": update.provider, "events": to_wire(update.events, tuple[Event, ...])}
        case CommandUpdate():
            return {
                "type": "command",
                "provider": update.provider,
                "command": command_to_wire(update.command),  # the PIN stays behind
                "progress": to_wire(update.progress, CommandProgress),
                "result": None if update.result is None else to_wire(update.result, CommandResult),
            }
        case PhotosUpdate():
            return {"type": "photos", "provider": update.provider, "photos": to_wire(update.photos, tuple[Photo, ...])}
    raise TypeError(f"unknown update {type(update).__name__}")


def update_from_wire(data: dict[str, Any]) -> PollerUpdate:
    """Raises `ValueError` for anything malformed."""
    if not isinstance(data, dict) or not isinstance(data.get("provider"), str):
        raise ValueError("an update needs a provider")
    provider = data["provider"]
    match data.get("type"):
        case "status":
            return StatusUpdate(provider, from_wire(data.get("status"), ProviderStatus))
        case "snapshot":
            return SnapshotUpdate(provider, from_wire(data.get("snapshot"), Snapshot))
        case "events":
            return EventsUpdate(provider, from_wire(data.get("events"), tuple[Event, ...]))
        case "command":
            result = data.get("result")
            return CommandUpdate(
                provider,
                command_from_wire(data.get("command")),
                from_wire(data.get("progress"), CommandProgress),
                None if result is None else from_wire(result, CommandResult),
            )
        case "photos":
            return PhotosUpdate(provider, from_wire(data.get("photos"), tuple[Photo, ...]))
    raise ValueError(f"unknown update type {data.get('type')!r}")


def info_to_wire(info: ProviderInfo) -> dict[str, Any]:
    return dataclasses.asdict(info)


def info_from_wire(data: dict[str, Any]) -> ProviderInfo:
    try:
        return ProviderInfo(
            str(data["name"]),
            str(data["kind"]),
            needs_code=bool(data.get("needs_code")),
            code_configured=bool(data.get("code_configured")),
            poll_interval=float(data.get("poll_interval") or 0.0),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed provider info: {exc}") from None


def result_to_wire(result: CommandResult) -> dict[str, Any]:
    return to_wire(result, CommandResult)


def result_from_wire(data: Any) -> CommandResult:
    return from_wire(data, CommandResult)


def command_request(provider: str, command: Command) -> dict[str, Any]:
    """The body of a view's command request: the only message that carries a PIN, and only this way."""
    return {"provider": provider, "command": command_to_wire(command, with_code=True)}
