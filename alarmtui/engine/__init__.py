"""The engine views use: `InProcessEngine` (pollers here) or `AttachedEngine` (a client of `alarmtui serve`).

Its names load on first use: `alarmtui status` answered by the service imports only the
standard-library corner of `alarmtui.engine` (finding and checking the service's socket).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alarmtui.engine.base import Engine, ProviderInfo, ProviderState, UpdateCallback

__all__ = ["Engine", "ProviderInfo", "ProviderState", "UpdateCallback"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from alarmtui.engine import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
