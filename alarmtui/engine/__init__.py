"""The engine views use: `InProcessEngine` (pollers here) or `AttachedEngine` (a client of `alarmtui serve`)."""

from alarmtui.engine.base import Engine, ProviderInfo, ProviderState, UpdateCallback

__all__ = ["Engine", "ProviderInfo", "ProviderState", "UpdateCallback"]
