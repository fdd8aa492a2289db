"""One module per vendor cloud behind the contract in `base`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from alarmtui.providers.errors import (
    AuthenticationFailed,
    CommandRejected,
    ConnectionFailed,
    NotSupported,
    PanelBusy,
    PanelOffline,
    PanelUnavailable,
    ProtocolError,
    ProviderError,
    RateLimited,
    SessionExpired,
    WrongCode,
)

if TYPE_CHECKING:
    from alarmtui.providers.base import Provider
    from alarmtui.settings import ProviderConfig

# kind -> "module:Class", one line per kind; imported only when a provider of that kind is
# created, so `alarmtui status` for one vendor does not pay for the others (nor for httpx
# when it only talks to the service: the errors above need neither).
PROVIDER_CLASSES = {
    "verisure": "alarmtui.providers.verisure:VerisureProvider",
    "visonic": "alarmtui.providers.visonic:VisonicProvider",
    "mios": "alarmtui.providers.mios:MiosProvider",
    "vera": "alarmtui.providers.vera:VeraProvider",
    "securitas": "alarmtui.providers.securitas:SecuritasProvider",
    "mypages": "alarmtui.providers.mypages:MyPagesProvider",
}


def provider_class(kind: str) -> type[Provider]:
    try:
        target = PROVIDER_CLASSES[kind]
    except KeyError:
        raise ValueError(f"unknown provider kind {kind!r}; expected one of {', '.join(PROVIDER_CLASSES)}") from None
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)


def create_provider(config: ProviderConfig) -> Provider:
    return provider_class(config.kind)(config)


def __getattr__(name: str) -> object:
    # `from alarmtui.providers import Provider` keeps working without importing the HTTP layer up front.
    if name == "Provider":
        from alarmtui.providers.base import Provider

        return Provider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AuthenticationFailed",
    "CommandRejected",
    "ConnectionFailed",
    "NotSupported",
    "PanelBusy",
    "PanelOffline",
    "PanelUnavailable",
    "ProtocolError",
    "Provider",
    "ProviderError",
    "RateLimited",
    "SessionExpired",
    "WrongCode",
    "create_provider",
    "provider_class",
]
