"""Poller updates as JSON for the service socket, and back. Never carries a PIN."""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any

from alarmtui.domain import Command, CommandProgress, CommandResult, Event, Photo, Snapshot
from alarmtui.domain.inputs import finite_delay
from alarmtui.domain.serialize import command_from_wire, command_to_wire, from_wire, to_wire
from alarmtui.domain.updates import (
    CommandUpdate,
    EventsUpdate,
    PhotosUpdate,
    PollerUpdate,
    ProviderStatus,
    SnapshotUpdate,
    StatusUpdate,
)
from alarmtui.engine.base import HistoryPage, ProviderInfo
from alarmtui.providers import errors as provider_errors
from alarmtui.providers.errors import ProviderError


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
                "result": None if update.result is None else result_to_wire(update.result),
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
            status = from_wire(data.get("status"), ProviderStatus)
            if status.retry_in is not None:  # "retry in nan s" is never shown: a wait is a finite number or none
                status = dataclasses.replace(status, retry_in=finite_delay(status.retry_in))
            return StatusUpdate(provider, status)
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
                None if result is None else result_from_wire(result),
            )
        case "photos":
            return PhotosUpdate(provider, from_wire(data.get("photos"), tuple[Photo, ...]))
    raise ValueError(f"unknown update type {data.get('type')!r}")


def info_to_wire(info: ProviderInfo) -> dict[str, Any]:
    return dataclasses.asdict(info)


def _code_length(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 16 else None


def info_from_wire(data: dict[str, Any]) -> ProviderInfo:
    try:
        return ProviderInfo(
            str(data["name"]),
            str(data["kind"]),
            needs_code=bool(data.get("needs_code")),
            code_configured=bool(data.get("code_configured")),
            poll_interval=finite_delay(data.get("poll_interval"), 0.0) or 0.0,
            code_length=_code_length(data.get("code_length")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed provider info: {exc}") from None


@functools.cache
def _result_fields() -> dict[str, Any]:
    """CommandResult's fields and their types, the typed error aside (it crosses as `error_to_wire`)."""
    hints = typing.get_type_hints(CommandResult)
    return {f.name: hints[f.name] for f in dataclasses.fields(CommandResult) if f.name != "error"}


def result_to_wire(result: CommandResult) -> dict[str, Any]:
    """Every field (whatever fields the result grows); the typed error behind it as its class name and
    plain fields (a view offers "arm anyway" from `OpenZones.zones` / `can_force`), never a traceback."""
    data = {name: to_wire(getattr(result, name), kind) for name, kind in _result_fields().items()}
    data["error"] = error_to_wire(getattr(result, "error", None))
    return data


def result_from_wire(data: Any) -> CommandResult:
    if not isinstance(data, dict):
        raise ValueError("a command result must be an object")
    values = {name: from_wire(data[name], kind) for name, kind in _result_fields().items() if name in data}
    if "phase" not in values:
        raise ValueError("a command result needs a phase")
    if any(f.name == "error" for f in dataclasses.fields(CommandResult)):
        values["error"] = error_from_wire(data.get("error"))
    return CommandResult(**values)


ERROR_FIELDS = ("zones", "can_force", "retry_after", "phones")
"""The extra fields some errors carry (OpenZones, RateLimited / LoginPaused, TwoFactorRequired)."""


def error_to_wire(error: BaseException | None) -> dict[str, Any] | None:
    if not isinstance(error, ProviderError):
        return None
    data: dict[str, Any] = {
        "type": type(error).__name__,
        "message": error.message,
        "provider": error.provider,
        "vendor_code": error.vendor_code,
        "hint": error.hint,
        "detail": error.detail,
        "may_have_left": error.may_have_left,
    }
    for name in ERROR_FIELDS:
        if hasattr(error, name):
            data[name] = getattr(error, name)
    return data


def error_from_wire(data: Any) -> ProviderError | None:
    """The typed error back: only `ProviderError` classes of `alarmtui.providers.errors`, by name."""
    if not isinstance(data, dict):
        return None
    kind = getattr(provider_errors, str(data.get("type")), None)
    if not (isinstance(kind, type) and issubclass(kind, ProviderError)):
        kind = ProviderError
    extra: dict[str, Any] = {}
    if "zones" in data:
        extra["zones"] = tuple(str(z) for z in data.get("zones") or ())
    if "can_force" in data:
        extra["can_force"] = bool(data["can_force"])
    if finite_delay(data.get("retry_after")) is not None:
        extra["retry_after"] = finite_delay(data["retry_after"])
    if "phones" in data:
        extra["phones"] = tuple((str(a), str(b)) for a, b in data.get("phones") or ())
    try:
        error = kind(
            str(data.get("message") or ""),
            provider=str(data.get("provider") or ""),
            vendor_code=data.get("vendor_code"),
            hint=str(data.get("hint") or ""),
            detail=str(data.get("detail") or ""),
            **extra,
        )
    except TypeError:  # a class whose constructor takes other fields: keep the words
        error = ProviderError(str(data.get("message") or ""), provider=str(data.get("provider") or ""))
    may_have_left = data.get("may_have_left")
    error.may_have_left = may_have_left if isinstance(may_have_left, bool) else None
    return error


def command_request(provider: str, command: Command) -> dict[str, Any]:
    """The body of a view's command request: the only message that carries a PIN, and only this way."""
    return {"provider": provider, "command": command_to_wire(command, with_code=True)}


def history_to_wire(page: HistoryPage | None) -> dict[str, Any]:
    """`GET /v1/events`: a page of journal events; `{"journal": false}` when the service keeps none."""
    if page is None:
        return {"journal": False}
    return {
        "journal": True,
        "events": to_wire(page.events, tuple[Event, ...]),
        "cursor": page.cursor,
        "more": page.more,
        "error": page.error,
    }


def history_from_wire(data: Any) -> HistoryPage | None:
    """Raises `ValueError` for anything malformed."""
    if not isinstance(data, dict):
        raise ValueError("a history page must be an object")
    if data.get("journal") is False:
        return None
    cursor = data.get("cursor")
    if cursor is not None and (isinstance(cursor, bool) or not isinstance(cursor, int)):
        raise ValueError("a history cursor must be an integer")
    return HistoryPage(
        from_wire(data.get("events"), tuple[Event, ...]),
        cursor=cursor,
        more=data.get("more") is True,
        error=str(data.get("error") or ""),
    )
