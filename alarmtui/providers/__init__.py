"""One module per vendor cloud behind the contract in `base`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from alarmtui.providers.base import (
    AuthenticationFailed,
    CommandRejected,
    ConnectionFailed,
    NotSupported,
    PanelBusy,
    PanelOffline,
    PanelUnavailable,
    ProtocolError,
    Provider,
    ProviderError,
    RateLimited,
    SessionExpired,
    WrongCode,
)

if TYPE_CHECKING:
    from alarmtui.settings import ProviderConfig

# kind -> "module:Class"; imported lazily so `alarmtui status` for one vendor
# does not pay for the others.
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
